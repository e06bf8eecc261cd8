"""/contracts and the customer's answer to a planned maintenance visit's proposed day.

Contracts are loaded from a table (handlers.resources routes the file here by its header);
the planning pass (dispatch.contracts, with the sweep) proposes each visit to its customer,
who takes the day or picks another from the buttons; either answer books and dispatches it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import AppContext
from dispatch.callbacks import VISIT_DAY, VISIT_OK, VISIT_OTHER
from dispatch.contracts import confirm_visit, contracts_overview, other_days
from dispatch.errors import IllegalTransition, NotFound
from dispatch.following import customer_ticket
from dispatch.messages import N_
from dispatch.model import Role, Status
from handlers.common import clear_buttons, inline, require_manager, say

__all__ = ["register"]


async def show_contracts(update: Update, context: AppContext) -> None:
    """Managers: the running contracts with their next visit and end."""
    if not await require_manager(update, context):
        return
    overview = await contracts_overview(context.services.uow(), customer_id=None)
    if overview is None:
        await say(
            update,
            context,
            context.t(
                "No maintenance contracts yet. Send me a CSV or Excel file with the columns contract, customer phone, site, address, products, start, end, cadence to load them."
            ),
        )
        return
    await say(update, context, context.t(overview.msgid, **overview.params))


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
    """The days the customer may pick instead, one button each."""
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
    today = context.clock.now().astimezone(context.services.policy.zone).date()
    days = other_days(ticket, today)
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
