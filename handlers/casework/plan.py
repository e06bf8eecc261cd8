"""Managers work a complaint step by step from its card (dispatch.complaints): accept and
classify with buttons; verification and resolution notes typed; the plan asked piece by
piece (what, who, by when, any compensation); what the customer will read previewed
before it is sent; a second manager approves or refuses a compensating plan."""

from __future__ import annotations

from datetime import date, timedelta

from telegram import Update
from telegram.ext import (
    ConversationHandler,
)

from bot.context import AppContext
from dispatch.callbacks import (
    PLAN_APPROVE,
    PLAN_NO_COMPENSATION,
    PLAN_OWNER,
    PLAN_SUBMIT,
)
from dispatch.errors import DomainError, InvalidInput
from dispatch.messages import Day, Money
from dispatch.plans import (
    OwnPlan,
    Plan,
    check_amount,
    check_plan_due,
    decide_plan,
    plan_owners,
    propose_plan,
)
from handlers.cases import show_case
from handlers.casework.common import (
    COMPENSATION,
    DUE,
    OWNER,
    REWRITE,
    SUBMIT,
    draft,
    end,
    moved,
)
from handlers.common import clear_buttons, inline, require_manager, say

__all__ = [
    "amount_typed",
    "approve",
    "ask_owner",
    "due_typed",
    "no_compensation",
    "owner_chosen",
    "submit",
]


# -- the plan: who owns it, by when, any compensation ---------------------------------------
async def ask_owner(update: Update, context: AppContext) -> str:
    owners = await plan_owners(context.services.uow(), manager_id=context.me.id)
    ticket_id = int(draft(context)["ticket"])
    await say(
        update,
        context,
        context.t("Who owns the plan?"),
        inline(*[[(m.display_name, PLAN_OWNER.data(ticket_id, m.id))] for m in owners]),
    )
    return OWNER


async def owner_chosen(update: Update, context: AppContext) -> str:
    query = update.callback_query
    assert query is not None
    _ticket_id, owner_id = PLAN_OWNER.parse(query.data)
    await query.answer()
    await clear_buttons(query)
    draft(context)["owner"] = int(owner_id)
    await say(
        update,
        context,
        context.t(
            "By which day will it be done? For example {example}.",
            # An example the manager can type as it is (a week from today).
            example=(
                context.clock.now().astimezone(context.services.settings.zone).date()
                + timedelta(days=7)
            ).isoformat(),
        ),
    )
    return DUE


async def due_typed(update: Update, context: AppContext) -> str:
    assert update.message is not None and update.message.text is not None
    today = context.clock.now().astimezone(context.services.settings.zone).date()
    try:
        due = check_plan_due(update.message.text, today)
    except InvalidInput as error:
        await say(update, context, context.t(error.message, **error.params))
        return DUE
    current = draft(context)
    current["due"] = due.isoformat()
    await say(
        update,
        context,
        context.t("Does the plan compensate the customer? Type the amount, or tap below."),
        inline([(context.t("No compensation"), PLAN_NO_COMPENSATION.data(int(current["ticket"])))]),
    )
    return COMPENSATION


async def amount_typed(update: Update, context: AppContext) -> str:
    assert update.message is not None and update.message.text is not None
    try:
        amount = check_amount(update.message.text)
    except InvalidInput as error:
        await say(update, context, context.t(error.message, **error.params))
        return COMPENSATION
    draft(context)["compensation"] = amount
    return await _summary(update, context)


async def no_compensation(update: Update, context: AppContext) -> str:
    query = update.callback_query
    assert query is not None
    await query.answer()
    await clear_buttons(query)
    draft(context)["compensation"] = None
    return await _summary(update, context)


async def _summary(update: Update, context: AppContext) -> str:
    current = draft(context)
    compensation = current.get("compensation")
    text = (
        context.t(
            "Plan for {number}: {plan}\nDue {due}. Compensation: {amount}; a second manager must approve it.",
            number=current["number"],
            plan=current["text"],
            due=Day(date.fromisoformat(current["due"])),
            amount=Money(float(compensation), context.services.policy.currency),
        )
        if compensation
        else context.t(
            "Plan for {number}: {plan}\nDue {due}. No compensation.",
            number=current["number"],
            plan=current["text"],
            due=Day(date.fromisoformat(current["due"])),
        )
    )
    await say(
        update,
        context,
        text,
        inline(
            [(context.t("✅ Submit the plan"), PLAN_SUBMIT.data(int(current["ticket"])))],
            [(context.t("✏️ Write it again"), REWRITE)],
        ),
    )
    return SUBMIT


async def submit(update: Update, context: AppContext) -> int:
    query = update.callback_query
    assert query is not None
    current = draft(context)
    if not current.get("due") or current.get("ticket") != PLAN_SUBMIT.id(query.data):
        await query.answer(context.t("This button is no longer active."), show_alert=True)
        return ConversationHandler.END
    compensation = current.get("compensation")
    plan = Plan(
        text=str(current["text"]),
        owner_id=int(current["owner"]),
        due=date.fromisoformat(str(current["due"])),
        compensation=float(compensation) if compensation else None,
    )
    try:
        stands = await propose_plan(
            context.services.uow(),
            context.clock,
            context.services.policy,
            ticket_id=int(current["ticket"]),
            manager_id=context.me.id,
            plan=plan,
        )
    except DomainError as error:
        return await moved(update, context, error)
    await query.answer()
    await clear_buttons(query)
    await say(
        update,
        context,
        context.t("The plan stands and the customer has been told.")
        if stands
        else context.t("The plan is sent to the other managers for approval."),
    )
    context.services.wake_sender()
    await show_case(update, context, int(current["ticket"]))
    return await end(context)


async def approve(update: Update, context: AppContext) -> None:
    if not await require_manager(update, context):
        return
    query = update.callback_query
    assert query is not None
    ticket_id = PLAN_APPROVE.id(query.data)
    try:
        ticket = await decide_plan(
            context.services.uow(),
            context.clock,
            context.services.policy,
            ticket_id=ticket_id,
            manager_id=context.me.id,
            approve=True,
        )
    except OwnPlan:
        await query.answer(context.t("A plan needs another manager's approval."), show_alert=True)
        return
    except DomainError:
        await query.answer(context.t("This plan was decided already."), show_alert=True)
        return
    await query.answer()
    await clear_buttons(query)
    await say(
        update,
        context,
        context.t(
            "Approved: the plan for {number} stands and the customer has been told.",
            number=ticket.number,
        ),
    )
    context.services.wake_sender()
