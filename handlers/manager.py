"""Managers assign or reassign a job by hand, from the ping's button or with /assign NUMBER."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import AppContext
from dispatch.assignment import Fleet, Job
from dispatch.errors import DomainError, NotAllowed, NotFound
from dispatch.messages import N_
from dispatch.model import Role, Ticket
from dispatch.offers import assign_by_manager
from handlers.common import clear_buttons, inline, require_manager, say

__all__ = ["register"]

SHOWN = 8


async def _candidates(context: AppContext, ticket: Ticket) -> list[tuple[int, str, str]]:
    """(user id, name, note) of technicians to choose from: qualified ones nearest first."""
    async with context.uow() as uow:
        members = await uow.technicians.fleet(
            context.clock.now(), fresh=context.services.policy.dispatch.fresh_location
        )
        names: dict[int, str] = {}
        for member in members:
            technician = await uow.technicians.get(member.user_id)
            names[member.user_id] = technician.name if technician else str(member.user_id)
    if ticket.latitude is not None and ticket.longitude is not None:
        fleet = Fleet(members)
        job = Job(ticket.id, ticket.latitude, ticket.longitude, ticket.product_category)
        return [(uid, names[uid], f"{km:.1f} km") for uid, km in fleet.nearest(job, SHOWN)]
    skilled = [
        m for m in members if ticket.product_category is None or ticket.product_category in m.skills
    ]
    return [(m.user_id, names[m.user_id], f"{m.open_jobs}/{m.capacity}") for m in skilled[:SHOWN]]


async def _show(update: Update, context: AppContext, ticket: Ticket) -> None:
    options = await _candidates(context, ticket)
    if not options:
        await say(
            update,
            context,
            context.t("No technician on duty can take {number} right now.", number=ticket.number),
        )
        return
    rows = [[(f"{name} · {note}", f"as:to:{ticket.id}:{uid}")] for uid, name, note in options]
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
    assert query is not None and query.data is not None
    await query.answer()
    async with context.uow() as uow:
        ticket = await uow.tickets.get(int(query.data.rsplit(":", 1)[-1]))
    if ticket is None:
        await say(update, context, context.t("That request was not found."))
        return
    await _show(update, context, ticket)


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
    async with context.uow() as uow:
        ticket = await uow.tickets.by_number(context.args[0].strip().upper())
    if ticket is None:
        await say(update, context, context.t("That request was not found."))
        return
    await _show(update, context, ticket)


async def assign_to(update: Update, context: AppContext) -> None:
    if not await require_manager(update, context):
        return
    query = update.callback_query
    assert query is not None and query.data is not None
    _, _, ticket_id, user_id = query.data.split(":")
    try:
        offer = await assign_by_manager(
            context.uow(),
            context.clock,
            context.services.policy,
            ticket_id=int(ticket_id),
            technician_id=int(user_id),
            manager_id=context.me.id,
        )
    except (NotFound, NotAllowed, DomainError):
        await query.answer(context.t("This job can no longer be assigned."), show_alert=True)
        return
    await query.answer()
    await clear_buttons(query)
    async with context.uow() as uow:
        ticket = await uow.tickets.get(offer.ticket_id)
        technician = await uow.technicians.get(offer.technician_id)
    await say(
        update,
        context,
        context.t(
            "Offered {number} to {technician}.",
            number=ticket.number if ticket else "?",
            technician=technician.name if technician else "?",
        ),
    )
    context.services.wake_sender()


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.bot_data["services"].menus.add(
        (Role.MANAGER,), "assign", N_("Assign a job by hand")
    )
    application.add_handler(CommandHandler("assign", assign_command))
    application.add_handler(CallbackQueryHandler(assign_list, pattern=r"^as:list:\d+$"))
    application.add_handler(CallbackQueryHandler(assign_to, pattern=r"^as:to:\d+:\d+$"))
