"""/technicians: managers see the team (duty, jobs, last location) and manage each
technician: pause or bring back, skills, service radius and capacity."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
)

from bot.context import AppContext
from dispatch.callbacks import TEAM_ACTIVE, TEAM_EDIT, TEAM_OPEN
from dispatch.errors import DomainError, InvalidInput, NotFound
from dispatch.messages import N_, Delta, Number
from dispatch.model import Role, Technician
from dispatch.team import (
    check_capacity,
    check_radius,
    edit_technician,
    set_active,
    team,
    team_member,
)
from handlers.common import clear_buttons, inline, require_manager, say
from handlers.forms import ANYTHING, TEXT

__all__ = ["register"]

SKILLS, RADIUS, CAPACITY = "team:skills", "team:radius", "team:capacity"
_DRAFT = "team_edit"
SKILL, SKILLS_DONE = "tm:skill:", "tm:skills:done"


def _state(context: AppContext, technician: Technician) -> str:
    if not technician.active:
        return context.t("⏸ paused")
    return context.t("🟢 on duty") if technician.on_duty else context.t("⚪ off duty")


async def list_team(update: Update, context: AppContext) -> None:
    """/technicians: each technician a button, with duty and load at a glance."""
    if not await require_manager(update, context):
        return
    if update.callback_query is not None:
        await update.callback_query.answer()
    members = await team(context.services.uow(), manager_id=context.me.id)
    if not members:
        await say(
            update,
            context,
            context.t("No technician has joined yet. Send /invite to invite one."),
        )
        return
    rows = [
        [
            (
                context.t(
                    "{name} · {state} · {jobs}/{capacity}",
                    name=technician.name,
                    state=_state(context, technician),
                    jobs=jobs,
                    capacity=technician.capacity,
                ),
                TEAM_OPEN.data(technician.user_id),
            )
        ]
        for technician, jobs in members
    ]
    await say(
        update,
        context,
        context.tn(
            "{count} technician. Tap one to manage:",
            "{count} technicians. Tap one to manage:",
            len(members),
        ),
        inline(*rows),
    )


async def _show(update: Update, context: AppContext, technician_id: int) -> None:
    try:
        technician, jobs = await team_member(
            context.services.uow(), manager_id=context.me.id, technician_id=technician_id
        )
    except NotFound:
        await say(update, context, context.t("That technician was not found."))
        return
    products = [context.services.policy.product(code) for code in technician.skills]
    names = context.services.translator.join(
        context.lang, [p.name.in_(context.lang) for p in products if p is not None]
    )
    seen = technician.last_location_at
    text = context.t(
        "👷 {name}, {phone}\nStatus: {state}\nSkills: {skills}\nService radius: {radius} km · "
        "Capacity: {capacity} jobs at once\nOpen jobs: {jobs}\nLast location: {seen}",
        name=technician.name,
        phone=technician.phone,
        state=_state(context, technician),
        skills=names or context.t("none"),
        radius=Number(technician.service_radius_km),
        capacity=technician.capacity,
        jobs=jobs,
        seen=Delta(min((seen - context.clock.now()).total_seconds(), -1))  # in the past
        if seen
        else context.t("never shared"),
    )
    pause = (
        (context.t("⏸ Pause"), TEAM_ACTIVE.data(technician_id, "off"))
        if technician.active
        else (context.t("▶️ Bring back"), TEAM_ACTIVE.data(technician_id, "on"))
    )
    await say(
        update,
        context,
        text,
        inline(
            [pause],
            [
                (context.t("🛠 Skills"), TEAM_EDIT.data(technician_id, "skills")),
                (context.t("📏 Radius"), TEAM_EDIT.data(technician_id, "radius")),
                (context.t("🔢 Capacity"), TEAM_EDIT.data(technician_id, "capacity")),
            ],
        ),
    )


async def open_member(update: Update, context: AppContext) -> None:
    if not await require_manager(update, context):
        return
    query = update.callback_query
    assert query is not None
    await query.answer()
    await _show(update, context, TEAM_OPEN.id(query.data))


async def switch_active(update: Update, context: AppContext) -> None:
    if not await require_manager(update, context):
        return
    query = update.callback_query
    assert query is not None
    technician_id, to = TEAM_ACTIVE.parse(query.data)
    try:
        paused = await set_active(
            context.services.uow(),
            context.clock,
            context.services.policy,
            manager_id=context.me.id,
            technician_id=int(technician_id),
            active=to == "on",
        )
    except DomainError:
        await query.answer(context.t("That technician was not found."), show_alert=True)
        return
    await query.answer()
    await clear_buttons(query)
    context.services.fleet_cache.invalidate()
    name = paused.technician.name
    if to == "on":
        text = context.t("{name} is back: they can go on duty with /duty.", name=name)
    elif paused.open_jobs:
        text = context.t(
            "{name} is paused. They still hold {jobs} open jobs: reassign them with /assign.",
            name=name,
            jobs=paused.open_jobs,
        )
    else:
        text = context.t("{name} is paused: no jobs are offered to them.", name=name)
    await say(update, context, text)
    context.services.wake_sender()


# -- editing: skills by buttons, radius and capacity typed ----------------------------------
def _draft(context: AppContext) -> dict[str, Any]:
    assert context.user_data is not None
    draft = context.user_data.setdefault(_DRAFT, {})
    assert isinstance(draft, dict)
    return draft


def _skills_keyboard(context: AppContext) -> Any:
    chosen = set(_draft(context).get("skills", []))
    rows = [
        [(("✅ " if p.code in chosen else "") + p.name.in_(context.lang), SKILL + p.code)]
        for p in context.services.policy.products
    ]
    rows.append([(context.t("Done"), SKILLS_DONE)])
    return inline(*rows)


async def start_edit(update: Update, context: AppContext) -> str | int:
    if not await require_manager(update, context):
        return ConversationHandler.END
    query = update.callback_query
    assert query is not None
    technician_id, what = TEAM_EDIT.parse(query.data)
    try:
        technician, _jobs = await team_member(
            context.services.uow(), manager_id=context.me.id, technician_id=int(technician_id)
        )
    except NotFound:
        await query.answer(context.t("That technician was not found."), show_alert=True)
        return ConversationHandler.END
    await query.answer()
    _draft(context).clear()
    _draft(context).update(technician=technician.user_id, skills=list(technician.skills))
    if what == "skills":
        await say(
            update,
            context,
            context.t(
                "Which products can {name} work on? Tap to choose, then Done.", name=technician.name
            ),
            _skills_keyboard(context),
        )
        return SKILLS
    if what == "radius":
        await say(
            update,
            context,
            context.t(
                "How far may {name} travel, in kilometres? For example 30.", name=technician.name
            ),
        )
        return RADIUS
    await say(
        update,
        context,
        context.t("How many jobs may {name} hold at once? For example 3.", name=technician.name),
    )
    return CAPACITY


async def skill_toggled(update: Update, context: AppContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer()
    code = query.data.removeprefix(SKILL)
    if context.services.policy.product(code) is None:
        return SKILLS
    skills = set(_draft(context).get("skills", [])) ^ {code}
    _draft(context)["skills"] = sorted(skills)
    await query.edit_message_reply_markup(_skills_keyboard(context))
    return SKILLS


async def skills_done(update: Update, context: AppContext) -> str | int:
    query = update.callback_query
    assert query is not None
    if not _draft(context).get("skills"):
        await query.answer(context.t("Choose at least one product."), show_alert=True)
        return SKILLS
    await query.answer()
    await clear_buttons(query)
    return await _save(update, context, skills=list(_draft(context)["skills"]))


async def radius_typed(update: Update, context: AppContext) -> str | int:
    assert update.message is not None and update.message.text is not None
    try:
        radius = check_radius(update.message.text)
    except InvalidInput as error:
        await say(update, context, context.t(error.message, **error.params))
        return RADIUS
    return await _save(update, context, radius_km=radius)


async def capacity_typed(update: Update, context: AppContext) -> str | int:
    assert update.message is not None and update.message.text is not None
    try:
        capacity = check_capacity(update.message.text)
    except InvalidInput as error:
        await say(update, context, context.t(error.message, **error.params))
        return CAPACITY
    return await _save(update, context, capacity=capacity)


async def _save(update: Update, context: AppContext, **changes: Any) -> int:
    technician_id = int(_draft(context)["technician"])
    try:
        technician = await edit_technician(
            context.services.uow(),
            context.clock,
            manager_id=context.me.id,
            technician_id=technician_id,
            **changes,
        )
    except DomainError:
        await say(update, context, context.t("That technician was not found."))
        return await _end(context)
    context.services.fleet_cache.invalidate()
    await say(update, context, context.t("Saved for {name}.", name=technician.name))
    await _show(update, context, technician_id)
    return await _end(context)


async def _end(context: AppContext) -> int:
    assert context.user_data is not None
    context.user_data.pop(_DRAFT, None)
    return ConversationHandler.END


async def hint(update: Update, context: AppContext) -> None:
    await say(
        update,
        context,
        context.t("Please answer the question above, or send /cancel to stop (nothing is saved)."),
    )


async def cancel(update: Update, context: AppContext) -> int:
    await say(update, context, context.t("Stopped. Nothing was saved or sent."))
    return await _end(context)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.bot_data["services"].menus.add(
        (Role.MANAGER,), "technicians", N_("Technicians: duty, jobs, skills")
    )
    application.add_handler(CommandHandler("technicians", list_team))
    application.add_handler(CallbackQueryHandler(open_member, pattern=TEAM_OPEN.pattern))
    application.add_handler(CallbackQueryHandler(switch_active, pattern=TEAM_ACTIVE.pattern))
    entry: list[BaseHandler[Any, Any, Any]] = [
        CallbackQueryHandler(start_edit, pattern=TEAM_EDIT.pattern)
    ]
    application.add_handler(
        ConversationHandler(
            entry_points=entry,
            states={
                SKILLS: [
                    CallbackQueryHandler(skill_toggled, pattern=rf"^{SKILL}[\w-]+$"),
                    CallbackQueryHandler(skills_done, pattern=rf"^{SKILLS_DONE}$"),
                ],
                RADIUS: [MessageHandler(TEXT, radius_typed)],
                CAPACITY: [MessageHandler(TEXT, capacity_typed)],
            },
            fallbacks=[CommandHandler("cancel", cancel), *entry, MessageHandler(ANYTHING, hint)],
            allow_reentry=True,
            name="team_edit",
            persistent=True,
        )
    )
