"""Managers work a complaint step by step from its card (dispatch.complaints): accept and
classify with buttons; verification and resolution notes typed; the plan asked piece by
piece (what, who, by when, any compensation); what the customer will read previewed
before it is sent; a second manager approves or refuses a compensating plan."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    ConversationHandler,
)

from bot.context import AppContext
from dispatch.callbacks import (
    COMPLAINT_ACCEPT,
    COMPLAINT_CAUSE,
    COMPLAINT_SEVERITY,
    COMPLAINT_STEP,
    PLAN_REFUSE,
)
from dispatch.complaints import (
    CAUSE_LABELS,
    DEPARTMENT_LABELS,
    SEVERITY_LABELS,
    Cause,
    Severity,
    classify,
    close_with_outcome,
    complaint_at,
    dismiss,
    resolve,
    verify,
)
from dispatch.errors import DomainError, InvalidInput
from dispatch.intake import check_text
from dispatch.messages import N_, Msg
from dispatch.model import Status
from dispatch.plans import (
    OwnPlan,
    decide_plan,
)
from handlers.cases import show_case
from handlers.casework.common import (
    PREVIEW,
    REWRITE,
    SEND,
    TYPING,
    draft,
    end,
    moved,
)
from handlers.casework.plan import ask_owner
from handlers.common import (
    clear_buttons,
    for_whom,
    in_private,
    inline,
    require_manager,
    say,
    topic_of,
)

__all__ = [
    "accept",
    "cause_chosen",
    "refuse_pressed",
    "rewrite",
    "send",
    "severity_chosen",
    "step_pressed",
    "text_typed",
]

# Where each typed step may start, and what the manager is asked for.
STEP_AT: dict[str, tuple[Status, ...]] = {
    "verify": (Status.FORWARDED,),
    "plan": (Status.VERIFIED,),
    "resolve": (Status.PLANNED,),
    "close": (Status.RESOLVED,),
    "dismiss": (Status.NEW, Status.FORWARDED, Status.VERIFIED),
    "refuse": (Status.VERIFIED,),
}
PROMPTS = {
    "verify": N_("What did the verification find? These notes stay with staff."),
    "plan": N_("What is the plan to solve {number}? The customer will read it as you write it."),
    "resolve": N_("What was done to carry out the plan? These notes stay with staff."),
    "close": N_(
        "Type the outcome for the customer of {number}: what was done and what it means for them."
    ),
    "dismiss": N_(
        "Why is {number} unfounded? The customer will read your reason, so please write it kindly."
    ),
    "refuse": N_("Why do you refuse the plan for {number}? Its author will read your reason."),
}
# Steps whose text the customer reads: previewed before anything is sent.
TO_CUSTOMER = ("close", "dismiss")


# -- accept and classify: buttons only ------------------------------------------------------
async def accept(update: Update, context: AppContext) -> None:
    if not await require_manager(update, context):
        return
    query = update.callback_query
    assert query is not None
    ticket_id = COMPLAINT_ACCEPT.id(query.data)
    await query.answer()
    await say(
        update,
        context,
        context.t("How serious is it?"),
        inline(
            *[
                [(context.t(SEVERITY_LABELS[s]), COMPLAINT_SEVERITY.data(ticket_id, s.value))]
                for s in Severity
            ]
        ),
    )


async def severity_chosen(update: Update, context: AppContext) -> None:
    if not await require_manager(update, context):
        return
    query = update.callback_query
    assert query is not None
    ticket_id, severity = COMPLAINT_SEVERITY.parse(query.data)
    await query.answer()
    await clear_buttons(query)
    await say(
        update,
        context,
        context.t("What caused it?"),
        inline(
            *[
                [
                    (
                        context.t(CAUSE_LABELS[c]),
                        COMPLAINT_CAUSE.data(int(ticket_id), str(severity), c.value),
                    )
                ]
                for c in Cause
            ]
        ),
    )


async def cause_chosen(update: Update, context: AppContext) -> str | int:
    if not await require_manager(update, context):
        return ConversationHandler.END
    query = update.callback_query
    assert query is not None
    ticket_id, severity, cause = COMPLAINT_CAUSE.parse(query.data)
    draft(context).clear()
    draft(context).update(ticket=int(ticket_id))
    if cause == Cause.UNFOUNDED:
        return await _ask(update, context, int(ticket_id), "dismiss")
    try:
        ticket = await classify(
            context.services.uow(),
            context.clock,
            context.services.policy,
            ticket_id=int(ticket_id),
            manager_id=context.me.id,
            severity=Severity(str(severity)),
            cause=Cause(str(cause)),
        )
    except DomainError as error:
        return await moved(update, context, error)
    await query.answer()
    await clear_buttons(query)
    await say(
        update,
        context,
        context.t(
            "{number} is accepted and passed to {department}. The customer has been told.",
            number=ticket.number,
            department=Msg(DEPARTMENT_LABELS[str(ticket.details["department"])]),
        ),
    )
    context.services.wake_sender()
    await show_case(update, context, ticket.id)
    return ConversationHandler.END


# -- the typed steps ------------------------------------------------------------------------
async def _ask(update: Update, context: AppContext, ticket_id: int, step: str) -> str | int:
    query = update.callback_query
    try:
        ticket = await complaint_at(
            context.services.uow(),
            ticket_id=ticket_id,
            manager_id=context.me.id,
            statuses=STEP_AT[step],
        )
    except DomainError as error:
        return await moved(update, context, error)
    if query is not None:
        await query.answer()
        if in_private(update):  # in the staff group the button is on the case's card
            await clear_buttons(query)
    thread = topic_of(update)
    draft(context).update(ticket=ticket.id, number=ticket.number, step=step, thread=thread)
    await say(
        update, context, for_whom(context, thread, context.t(PROMPTS[step], number=ticket.number))
    )
    return TYPING


async def step_pressed(update: Update, context: AppContext) -> str | int:
    if not await require_manager(update, context):
        return ConversationHandler.END
    query = update.callback_query
    assert query is not None
    ticket_id, step = COMPLAINT_STEP.parse(query.data)
    draft(context).clear()
    return await _ask(update, context, int(ticket_id), str(step))


async def refuse_pressed(update: Update, context: AppContext) -> str | int:
    if not await require_manager(update, context):
        return ConversationHandler.END
    query = update.callback_query
    assert query is not None
    draft(context).clear()
    return await _ask(update, context, PLAN_REFUSE.id(query.data), "refuse")


async def text_typed(update: Update, context: AppContext) -> str | int:
    assert update.message is not None and update.message.text is not None
    try:
        text = check_text(update.message.text, minimum=2, maximum=3000)
    except InvalidInput as error:
        await say(update, context, context.t(error.message, **error.params))
        return TYPING
    current = draft(context)
    if "ticket" not in current:  # a step begun before an upgrade: begin it again
        await say(update, context, context.t("This button is no longer active."))
        return await end(context)
    current["text"] = text
    step = str(current.get("step"))
    if step in TO_CUSTOMER or step == "plan":
        if step == "plan":
            return await ask_owner(update, context)
        await say(
            update,
            context,
            context.t("The customer will read:") + "\n\n" + text,
            inline(
                [(context.t("📨 Send it"), SEND)],
                [(context.t("✏️ Write it again"), REWRITE)],
            ),
        )
        return PREVIEW
    return await _act(update, context)


async def rewrite(update: Update, context: AppContext) -> str:
    query = update.callback_query
    assert query is not None
    await query.answer()
    await clear_buttons(query)
    await say(update, context, context.t("Type it again."))
    return TYPING


async def send(update: Update, context: AppContext) -> int:
    query = update.callback_query
    assert query is not None
    if not draft(context).get("text"):
        await query.answer(context.t("This button is no longer active."), show_alert=True)
        return ConversationHandler.END
    await query.answer()
    await clear_buttons(query)
    return await _act(update, context)


async def _act(update: Update, context: AppContext) -> int:
    """The step the typed text completes."""
    current = draft(context)
    step, ticket_id, text = str(current["step"]), int(current["ticket"]), str(current["text"])
    services = context.services
    common = {"ticket_id": ticket_id, "manager_id": context.me.id}
    try:
        if step == "verify":
            await verify(services.uow(), context.clock, services.policy, notes=text, **common)
            done = context.t("Verification recorded; the plan is due next.")
        elif step == "resolve":
            await resolve(services.uow(), context.clock, services.policy, notes=text, **common)
            done = context.t("Marked resolved; reply to the customer with the outcome next.")
        elif step == "close":
            await close_with_outcome(
                services.uow(), context.clock, services.policy, outcome=text, **common
            )
            done = context.t("The outcome is sent and the complaint is closed.")
        elif step == "dismiss":
            await dismiss(services.uow(), context.clock, services.policy, reason=text, **common)
            done = context.t("The customer has your reason and the complaint is closed.")
        else:  # refuse a plan
            await decide_plan(
                services.uow(),
                context.clock,
                services.policy,
                approve=False,
                reason=text,
                **common,
            )
            done = context.t("The plan is refused; its author has your reason.")
    except OwnPlan:
        await say(update, context, context.t("A plan needs another manager's approval."))
        return await end(context)
    except DomainError as error:
        return await moved(update, context, error)
    await say(update, context, done)
    services.wake_sender()
    await show_case(update, context, ticket_id)
    return await end(context)
