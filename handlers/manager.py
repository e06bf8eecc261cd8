"""Managers assign or reassign a job by hand, from the ping's button or with /assign NUMBER."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import AppContext
from dispatch.callbacks import ASSIGN_LIST, ASSIGN_TO
from dispatch.errors import DomainError, NotFound
from dispatch.messages import N_, Number
from dispatch.model import Role
from dispatch.rounds import assign_by_manager
from dispatch.technicians import assignment_candidates, ticket_by_number
from handlers.common import clear_buttons, inline, require_manager, say

__all__ = ["register"]


async def _show(update: Update, context: AppContext, ticket_id: int) -> None:
    try:
        ticket, candidates = await assignment_candidates(
            context.services.uow(), context.clock, context.services.policy, ticket_id=ticket_id
        )
    except NotFound:
        await say(update, context, context.t("That request was not found."))
        return
    if not candidates:
        await say(
            update,
            context,
            context.t("No technician on duty can take {number} right now.", number=ticket.number),
        )
        return
    rows = [
        [
            (
                context.t("{name} · {km} km", name=c.name, km=Number(c.distance_km))
                if c.distance_km is not None
                else context.t(
                    "{name} · {open} of {capacity} jobs",
                    name=c.name,
                    open=c.open_jobs,
                    capacity=c.capacity,
                ),
                ASSIGN_TO.data(ticket.id, c.user_id),
            )
        ]
        for c in candidates
    ]
    await say(
        update,
        context,
        context.t(
            "Who should take {number}? The chosen technician gets the offer as usual.",
            number=ticket.number,
        ),
        inline(*rows),
    )


async def assign_list(update: Update, context: AppContext) -> None:
    if not await require_manager(update, context):
        return
    query = update.callback_query
    assert query is not None
    await query.answer()
    await _show(update, context, ASSIGN_LIST.id(query.data))


async def assign_command(update: Update, context: AppContext) -> None:
    """/assign R-20261122-0007"""
    if not await require_manager(update, context):
        return
    if not context.args:
        await say(
            update,
            context,
            context.t(
                "Send /assign followed by the ticket number, for example /assign R-20261122-0007."
            ),
        )
        return
    try:
        ticket = await ticket_by_number(context.services.uow(), number=context.args[0])
    except NotFound:
        await say(update, context, context.t("That request was not found."))
        return
    await _show(update, context, ticket.id)


async def assign_to(update: Update, context: AppContext) -> None:
    if not await require_manager(update, context):
        return
    query = update.callback_query
    assert query is not None
    ticket_id, user_id = ASSIGN_TO.parse(query.data)
    try:
        assigned = await assign_by_manager(
            context.services.uow(),
            context.clock,
            context.services.policy,
            ticket_id=int(ticket_id),
            technician_id=int(user_id),
            manager_id=context.me.id,
        )
    except DomainError:
        await query.answer(context.t("This job can no longer be assigned."), show_alert=True)
        return
    await query.answer()
    await clear_buttons(query)
    await say(
        update,
        context,
        context.t(
            "Offered {number} to {technician}.",
            number=assigned.ticket_number,
            technician=assigned.technician_name,
        ),
    )
    context.services.wake_sender()


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.bot_data["services"].menus.add(
        (Role.MANAGER,), "assign", N_("Assign a job by hand")
    )
    application.add_handler(CommandHandler("assign", assign_command))
    application.add_handler(CallbackQueryHandler(assign_list, pattern=ASSIGN_LIST.pattern))
    application.add_handler(CallbackQueryHandler(assign_to, pattern=ASSIGN_TO.pattern))
