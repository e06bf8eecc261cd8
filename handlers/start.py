"""/start and /help: greet each role, redeem invite links, onboard technicians.

A technician's onboarding is a persistent conversation (name → phone → skills →
base location); it survives a restart, and /start resumes it where it stopped.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

from telegram import ReplyKeyboardRemove, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.context import AppContext
from dispatch.errors import InviteRefused
from dispatch.intake import clean_text
from dispatch.invites import redeem_invite
from dispatch.messages import N_, Msg, Number
from dispatch.model import Role
from dispatch.technicians import save_technician_profile, technician_profile
from handlers import drafts
from handlers.cases import show_case
from handlers.common import (
    apply_menu,
    clear_buttons,
    contact_keyboard,
    contact_phone,
    inline,
    location_keyboard,
    read_phone,
    require_manager,
    say,
)
from handlers.forms import ANYTHING, TEXT

__all__ = ["register"]

NAME, PHONE, SKILLS, BASE = "name", "phone", "skills", "base"
DRAFT = "technician_profile"
_CASE_LINK = re.compile(r"^case_(\d{1,18})$")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")

_REFUSALS = {
    "unknown": N_("This invite link is not valid. Please ask your manager for a new one."),
    "used": N_("This invite link has already been used. Please ask your manager for a new one."),
    "expired": N_("This invite link has expired. Please ask your manager for a new one."),
    "already": N_(
        "You are already a manager, so this link was left unused for the person it was meant for."
    ),
}


async def _greet(update: Update, context: AppContext) -> None:
    role = context.me.role
    if role is Role.MANAGER:
        text = context.t(
            "Welcome, {name}. You are a manager of this service desk. "
            "Send /invite to add technicians or managers, /help for everything else.",
            name=context.me.display_name,
        )
    elif role is Role.TECHNICIAN:
        text = context.t(
            "Welcome back, {name}. You are registered as a technician. Send /help to see what you can do.",
            name=context.me.display_name,
        )
    else:
        text = context.t(
            "Welcome to AfterCare after-sales service, {name}. "
            "We accept repair and installation requests, complaints, returns and questions at any hour. "
            "Send /help to see what you can do, or /language to change the language.",
            name=context.me.display_name,
        )
    await apply_menu(update, context)
    await say(update, context, text, ReplyKeyboardRemove())
    for flow, command in (
        ("repair", "repair"),
        ("installation", "install"),
        ("complaint", "complain"),
        ("return", "return"),
    ):
        draft = drafts.find(context, flow)
        if draft is not None and draft["data"] and not drafts.expired(context, draft):
            await say(
                update,
                context,
                context.t(
                    "You have an unfinished {request}. Send /{command} to continue it.",
                    request=context.t(drafts.FLOW_NAMES[flow]),
                    command=command,
                ),
            )


async def _has_profile(context: AppContext) -> bool:
    return await technician_profile(context.services.uow(), user_id=context.me.id) is not None


async def _ask_name(update: Update, context: AppContext) -> str:
    await say(
        update,
        context,
        context.t("Let's set up your technician profile. What name should customers see?"),
        ReplyKeyboardRemove(),
    )
    return NAME


async def start(update: Update, context: AppContext) -> str | int:
    """Redeems an invite if the link carried one, then greets or starts onboarding; a link
    from a case card in the staff group (``case_<id>``) opens that case for a manager."""
    if context.args and (case := _CASE_LINK.match(context.args[0])):
        if await require_manager(update, context):
            await show_case(update, context, int(case.group(1)))
        return ConversationHandler.END
    if context.args:
        token = context.args[0]
        try:
            if not _TOKEN.match(token):
                raise InviteRefused("unknown")
            context.user = await redeem_invite(
                context.services.uow(), context.clock, user_id=context.me.id, token=token
            )
        except InviteRefused as refused:
            await say(update, context, context.t(_REFUSALS[refused.reason]))
        else:
            role_text = {
                Role.TECHNICIAN: N_("Welcome to the team! You joined as a technician."),
                Role.MANAGER: N_("Welcome to the team! You joined as a manager."),
            }
            await say(
                update, context, context.t(role_text.get(context.me.role, role_text[Role.MANAGER]))
            )
    if context.me.role is Role.TECHNICIAN and not await _has_profile(context):
        await apply_menu(update, context)
        return await _ask_name(update, context)
    await _greet(update, context)
    return ConversationHandler.END


def _draft(context: AppContext) -> dict[str, Any]:
    assert context.user_data is not None
    draft = context.user_data.setdefault(DRAFT, {})
    assert isinstance(draft, dict)
    return draft


async def name_given(update: Update, context: AppContext) -> str:
    """Stores the name and asks for the phone number."""
    assert update.message is not None and update.message.text is not None
    name = " ".join(clean_text(update.message.text).split())
    if not 2 <= len(name) <= 64:
        await say(update, context, context.t("Please send a name of 2 to 64 characters."))
        return NAME
    _draft(context)["name"] = name
    await say(
        update,
        context,
        context.t(
            "Thank you, {name}. Now your phone number, so that customers can reach you: "
            "press the button below, or type it.",
            name=name,
        ),
        contact_keyboard(context),
    )
    return PHONE


async def _ask_skills(update: Update, context: AppContext) -> str:
    phone = _draft(context)["phone"]
    await say(
        update,
        context,
        context.t("Phone number saved: {phone}", phone=phone),
        ReplyKeyboardRemove(),
    )
    if not context.services.settings.products:
        _draft(context)["skills"] = []  # no catalogue configured yet: nothing to choose
        return await _ask_base(update, context)
    await say(
        update,
        context,
        context.t("Which products can you service? Tap each one, then Done."),
        _skills_keyboard(context),
    )
    return SKILLS


async def contact_given(update: Update, context: AppContext) -> str:
    """Takes the shared contact as the phone number, if it is the user's own."""
    assert update.message is not None and update.message.contact is not None
    contact = update.message.contact
    if contact.user_id is not None and contact.user_id != context.me.telegram_id:
        await say(
            update,
            context,
            context.t(
                "That is someone else's contact. Please share your own number with the button."
            ),
            contact_keyboard(context),
        )
        return PHONE
    phone = contact_phone(context, contact.phone_number)
    _draft(context)["phone"] = phone
    return await _ask_skills(update, context)


async def phone_typed(update: Update, context: AppContext) -> str:
    """Validates a typed phone number, or asks again."""
    assert update.message is not None and update.message.text is not None
    phone = read_phone(context, update.message.text)
    if phone is None:
        await say(
            update,
            context,
            context.t(
                "That does not look like a phone number. Please type it with the area or "
                "country code (for example +86 138 0013 8000), or press the button."
            ),
            contact_keyboard(context),
        )
        return PHONE
    _draft(context)["phone"] = phone
    return await _ask_skills(update, context)


def _skills_keyboard(context: AppContext) -> Any:
    chosen = set(_draft(context).get("skills", []))
    rows = [
        [(("✅ " if p.code in chosen else "") + p.name.in_(context.lang), f"sk:{p.code}")]
        for p in context.services.settings.products
    ]
    rows.append([(context.t("Done"), "sk:done")])
    return inline(*rows)


async def skill_toggled(update: Update, context: AppContext) -> str:
    """Adds or removes one product from the technician's skills."""
    query = update.callback_query
    assert query is not None and query.data is not None
    code = query.data.removeprefix("sk:")
    known = {p.code for p in context.services.settings.products}
    if code not in known:
        await query.answer(context.t("This button is no longer active."))
        return SKILLS
    draft = _draft(context)
    skills = set(draft.get("skills", []))
    skills ^= {code}
    draft["skills"] = sorted(skills)
    await query.answer()
    await query.edit_message_reply_markup(_skills_keyboard(context))
    return SKILLS


async def skills_done(update: Update, context: AppContext) -> str:
    """Moves on to the base location once at least one skill is chosen."""
    query = update.callback_query
    assert query is not None
    if not _draft(context).get("skills"):
        await query.answer(context.t("Please choose at least one product."), show_alert=True)
        return SKILLS
    await query.answer()
    await clear_buttons(query)
    return await _ask_base(update, context)


async def _ask_base(update: Update, context: AppContext) -> str:
    await say(
        update,
        context,
        context.t(
            "Last step: where do you usually start your day? Share that location with the button "
            "(use the paperclip, then Location, to pick another place). Jobs are offered within "
            "your service radius of it."
        ),
        location_keyboard(context),
    )
    return BASE


async def base_given(update: Update, context: AppContext) -> int:
    """Saves the whole profile and shows the technician menu."""
    assert update.message is not None and update.message.location is not None
    location = update.message.location
    draft = _draft(context)
    settings = context.services.settings
    technician = await save_technician_profile(
        context.services.uow(),
        context.clock,
        user_id=context.me.id,
        name=draft["name"],
        phone=draft["phone"],
        skills=draft["skills"],
        latitude=location.latitude,
        longitude=location.longitude,
        service_radius_km=settings.dispatch.default_service_radius_km,
        capacity=settings.dispatch.default_capacity,
    )
    assert context.user_data is not None
    context.user_data.pop(DRAFT, None)
    names = context.services.translator.join(
        context.lang,
        [p.name.in_(context.lang) for p in settings.products if p.code in technician.skills],
    )
    await apply_menu(update, context)
    await say(
        update,
        context,
        context.t(
            "Your profile is saved, {name}.\nPhone: {phone}\nProducts: {products}\n"
            "Service radius: {radius} km. Send /help to see what you can do.",
            name=technician.name,
            phone=technician.phone,
            products=names,
            radius=Number(technician.service_radius_km),
        ),
        ReplyKeyboardRemove(),
    )
    return ConversationHandler.END


async def name_reask(update: Update, context: AppContext) -> str:
    """A sticker, photo or voice where the name is awaited."""
    await say(update, context, context.t("Please type your name."))
    return NAME


async def phone_reask(update: Update, context: AppContext) -> str:
    """Anything but a contact or text where the phone number is awaited."""
    await say(
        update,
        context,
        context.t("Please share your phone number with the button, or type it."),
        contact_keyboard(context),
    )
    return PHONE


async def skills_reask(update: Update, context: AppContext) -> str:
    """A message while the skills buttons are awaited: show them again, choices kept."""
    await say(
        update,
        context,
        context.t("Please choose the products you can service, then press Done."),
        _skills_keyboard(context),
    )
    return SKILLS


async def base_reask(update: Update, context: AppContext) -> str:
    """Anything but a location while the base location is awaited."""
    await say(
        update,
        context,
        context.t("Please share your base location with the button below."),
        location_keyboard(context),
    )
    return BASE


async def cancel(update: Update, context: AppContext) -> int:
    """Pauses onboarding; what was entered is kept for the next /start."""
    await say(
        update,
        context,
        context.t("Profile setup paused. Send /start to continue where you left off."),
        ReplyKeyboardRemove(),
    )
    return ConversationHandler.END


async def help_command(update: Update, context: AppContext) -> None:
    """Lists what the acting user's role can do, from the menu that role really has."""
    services = context.services
    lines = [context.t("Here is what you can do:")]
    for command, description in services.menus.commands(context.me.role):
        lines.append(
            context.t("/{command} — {description}", command=command, description=Msg(description))
        )
    await say(update, context, "\n".join(lines))


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    # Skills buttons are tracked per user, not per message, on purpose: PTB's warning
    # about per_message=False states exactly that and is silenced here.
    warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)
    menus = application.bot_data["services"].menus
    everyone = (Role.CUSTOMER, Role.TECHNICIAN, Role.MANAGER)
    menus.add(everyone, "start", N_("Start or main menu"))
    menus.add(everyone, "help", N_("What I can do"))
    anything = ANYTHING
    application.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("start", start)],
            states={
                NAME: [
                    MessageHandler(TEXT, name_given),
                    MessageHandler(anything, name_reask),
                ],
                PHONE: [
                    MessageHandler(filters.CONTACT, contact_given),
                    MessageHandler(TEXT, phone_typed),
                    MessageHandler(anything, phone_reask),
                ],
                SKILLS: [
                    CallbackQueryHandler(skills_done, pattern=r"^sk:done$"),
                    CallbackQueryHandler(skill_toggled, pattern=r"^sk:"),
                    MessageHandler(anything, skills_reask),
                ],
                BASE: [
                    MessageHandler(filters.LOCATION, base_given),
                    MessageHandler(anything, base_reask),
                ],
            },
            fallbacks=[CommandHandler("cancel", cancel)],
            allow_reentry=True,
            name="onboarding",
            persistent=True,
        )
    )
    application.add_handler(CommandHandler("help", help_command))
