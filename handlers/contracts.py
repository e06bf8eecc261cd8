"""/contracts and the customer's answer to a planned maintenance visit's proposed day.

Contracts are loaded from a table (handlers.resources routes the file here by its header);
the planning pass (dispatch.contracts, with the sweep) proposes each visit to its customer,
who takes the day or picks another from the buttons; either answer books and dispatches it.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import AppContext
from dispatch.callbacks import VISIT_DAY, VISIT_OK, VISIT_OTHER
from dispatch.contract_table import import_contracts
from dispatch.contracts import confirm_visit, contracts_overview, days_to_pick, end_contract
from dispatch.errors import IllegalTransition, InvalidInput, NotFound
from dispatch.following import customer_ticket
from dispatch.messages import N_, Msg
from dispatch.model import Role, Status
from handlers.common import clear_buttons, inline, require_manager, say

__all__ = ["register"]


PARTS_MISSING = N_("some of its parts are missing")
# A contract typed after /contracts add: the columns of a contracts table, in this order.
TYPED_COLUMNS = (
    "contract",
    "customer phone",
    "site",
    "address",
    "products",
    "start",
    "end",
    "cadence",
    "services",
    "fee",
)


async def show_contracts(update: Update, context: AppContext) -> None:
    """Managers: the running contracts with their next visit and end; ``add`` (or renew)
    one typed on a line, ``end`` one by its number."""
    if not await require_manager(update, context):
        return
    message = update.effective_message
    assert message is not None
    words = (message.text or "").split(maxsplit=2)
    action = words[1].lower() if len(words) > 1 else ""
    if action == "add" and len(words) == 3:
        await _add(update, context, words[2])
        return
    if action == "end" and len(words) == 3:
        await _end(update, context, words[2])
        return
    overview = await contracts_overview(context.services.uow(), customer_id=None)
    usage = context.t(
        "To add or renew one, send a contracts table, or type it on one line:\n/contracts add WB-001; 138 0013 8000; Minhang office; 88 Hongqiao Road; Air conditioner; 2026-12-01; 2027-11-30; monthly\nTo end one now: /contracts end WB-001"
    )
    if overview is None:
        head = context.t("No maintenance contracts yet.")
    else:
        head = context.t(overview.msgid, **overview.params)
    await say(update, context, head + "\n\n" + usage)


async def _add(update: Update, context: AppContext, line: str) -> None:
    services = context.services
    cells = [cell.strip() for cell in re.split(r"[;；\t]", line)]
    try:
        report = await import_contracts(
            services.uow(),
            context.clock,
            services.policy,
            [list(TYPED_COLUMNS[: len(cells)]), cells],
            region=services.settings.desk.calendar_country,
            lead_days=services.settings.contracts.plan_days_ahead,
            manager_id=context.me.id,
        )
    except InvalidInput:
        report = None
    if report is None or report.problems:
        # The table's "line 2: why" is the typed line's why.
        why = report.problems[0].params.get("problem") if report and report.problems else None
        await say(
            update,
            context,
            context.t(
                "That contract could not be saved: {problem}. Please send it again as /contracts add number; customer phone; site; address; products; start; end; cadence.",
                problem=why if isinstance(why, Msg) else Msg(PARTS_MISSING),
            ),
        )
        return
    await say(
        update,
        context,
        context.t("📄 Contract {number} saved.", number=cells[0])
        if report.added
        else context.t("📄 Contract {number} renewed.", number=cells[0]),
    )


async def _end(update: Update, context: AppContext, number: str) -> None:
    try:
        contract = await end_contract(
            context.services.uow(),
            context.clock,
            context.services.policy,
            number=number,
            manager_id=context.me.id,
        )
    except NotFound:
        await say(update, context, context.t("There is no contract {number}.", number=number))
        return
    except IllegalTransition:
        await say(update, context, context.t("Contract {number} has ended already.", number=number))
        return
    await say(
        update,
        context,
        context.t(
            "⏹ Contract {number} has ended: no more visits are planned for it. Visits already booked stay; cancel them from their case if needed.",
            number=contract.number,
        ),
    )


async def _book(update: Update, context: AppContext, ticket_id: int, day: date | None) -> None:
    query = update.callback_query
    assert query is not None
    try:
        await confirm_visit(
            context.services.uow(),
            context.clock,
            context.services.policy,
            ticket_id=ticket_id,
            customer_id=context.me.id,
            day=day,
        )
    except NotFound:
        await query.answer(context.t("That day can no longer be chosen."), show_alert=True)
        return
    except IllegalTransition:
        await query.answer(context.t("This visit is already booked."), show_alert=True)
        return
    await query.answer()
    await clear_buttons(query)
    context.services.wake_sender()


async def day_suits(update: Update, context: AppContext) -> None:
    assert update.callback_query is not None
    await _book(update, context, VISIT_OK.id(update.callback_query.data), None)


async def day_picked(update: Update, context: AppContext) -> None:
    assert update.callback_query is not None
    ticket_id, number = VISIT_DAY.parse(update.callback_query.data)
    assert isinstance(ticket_id, int) and isinstance(number, int)
    try:
        day = date(number // 10000, number // 100 % 100, number % 100)
    except ValueError:
        await update.callback_query.answer(
            context.t("That day can no longer be chosen."), show_alert=True
        )
        return
    await _book(update, context, ticket_id, day)


async def other_day(update: Update, context: AppContext) -> None:
    """The days the customer may pick, one button each; the proposal's own buttons go."""
    query = update.callback_query
    assert query is not None
    try:
        ticket, _, _ = await customer_ticket(
            context.services.uow(), customer_id=context.me.id, ticket_id=VISIT_OTHER.id(query.data)
        )
    except NotFound:
        await query.answer()
        return
    if ticket.status != Status.PROPOSED:
        await query.answer(context.t("This visit is already booked."), show_alert=True)
        return
    await query.answer()
    await clear_buttons(query)  # the proposed day is among the days listed below
    today = context.clock.now().astimezone(context.services.policy.zone).date()
    days = days_to_pick(ticket, today)
    rows = [
        [
            (
                context.services.translator.format_day(context.lang, day),
                VISIT_DAY.data(ticket.id, day.year * 10000 + day.month * 100 + day.day),
            )
        ]
        for day in days
    ]
    await say(
        update,
        context,
        context.t(
            "Which day suits you for {number}? The visit is in the morning.", number=ticket.number
        ),
        inline(*rows),
    )


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.bot_data["services"].menus.add(
        (Role.MANAGER,), "contracts", N_("Maintenance contracts and their planned visits")
    )
    application.add_handler(CommandHandler("contracts", show_contracts))
    application.add_handler(CallbackQueryHandler(day_suits, pattern=VISIT_OK.pattern))
    application.add_handler(CallbackQueryHandler(other_day, pattern=VISIT_OTHER.pattern))
    application.add_handler(CallbackQueryHandler(day_picked, pattern=VISIT_DAY.pattern))
