"""/jobs: the technician's open jobs with their next steps; the visit time; on my way."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from telegram import Update
from telegram.ext import ConversationHandler

from bot.context import AppContext
from dispatch.callbacks import (
    JOB_CHECK_IN,
    JOB_ON_MY_WAY,
    JOB_RECORD,
    JOB_TIME,
    JOB_TIME_AS_ASKED,
    JOB_WAIT_FOR_PART,
    PART_ARRIVED,
)
from dispatch.errors import DomainError, IllegalTransition, NotAllowed, NotFound
from dispatch.intake import Slot, visit_start
from dispatch.labels import status_label
from dispatch.messages import N_, At, Msg
from dispatch.model import Ticket
from dispatch.technicians import JobAction, job_actions, job_of, open_jobs
from dispatch.visits import confirm_visit_time, on_my_way
from handlers.common import inline, require_technician, say
from handlers.technician.common import TIME, ack, button_id, step_state, wake

__all__ = [
    "ask_visit_time",
    "job_or_refuse",
    "jobs",
    "open_job",
    "visit_time_as_asked",
    "visit_time_typed",
    "way",
]

_TIME = re.compile(r"^\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\s+(\d{1,2})[:：](\d{2})\s*$")
_ACTIONS = {
    JobAction.CONFIRM_TIME: (N_("🕒 Confirm the visit time"), JOB_TIME),
    JobAction.ON_MY_WAY: (N_("🚗 On my way"), JOB_ON_MY_WAY),
    JobAction.CHECK_IN: (N_("📍 Check in"), JOB_CHECK_IN),
    JobAction.RECORD: (N_("🧾 Fill in the service record"), JOB_RECORD),
    JobAction.WAIT_FOR_PART: (N_("⏸ Waiting for a part"), JOB_WAIT_FOR_PART),
    JobAction.PART_ARRIVED: (N_("📦 The part has arrived"), PART_ARRIVED),
}


def _action_rows(context: AppContext, ticket: Ticket) -> list[list[tuple[str, str]]]:
    return [
        [(context.t(_ACTIONS[action][0]), _ACTIONS[action][1].data(ticket.id))]
        for action in job_actions(ticket)
    ]


async def jobs(update: Update, context: AppContext) -> None:
    """The technician's open jobs, each with what can be done next."""
    if not await require_technician(update, context):
        return
    await ack(update)
    tickets = await open_jobs(context.services.uow(), technician_id=context.me.id)
    if not tickets:
        await say(update, context, context.t("You have no open jobs. Send /duty to go on duty."))
        return
    for ticket in tickets:
        lines = [
            context.t(
                "{number} · {status}",
                number=ticket.number,
                status=Msg(status_label(ticket.kind, ticket.status)),
            ),
            ticket.description,
            context.t("Address: {address}", address=ticket.address or "-"),
            context.t("Phone: {phone}", phone=ticket.contact_phone or "-"),
        ]
        rows = _action_rows(context, ticket)
        await say(update, context, "\n".join(lines), inline(*rows) if rows else None)


async def job_or_refuse(update: Update, context: AppContext) -> Ticket | None:
    """The job a button is about if it is still this technician's; else the press is told so."""
    try:
        return await job_of(
            context.services.uow(), ticket_id=button_id(update), technician_id=context.me.id
        )
    except (NotFound, NotAllowed):
        await ack(update, context.t("This job is no longer yours."), alert=True)
        return None


async def open_job(update: Update, context: AppContext) -> Ticket | None:
    """The job a button is about, if it is still this technician's; remembered for the step."""
    if (
        not await require_technician(update, context)
        or (ticket := await job_or_refuse(update, context)) is None
    ):
        return None
    await ack(update)
    step_state(context)["ticket"] = ticket.id
    return ticket


async def ask_visit_time(update: Update, context: AppContext) -> str | int:
    ticket = await open_job(update, context)
    if ticket is None:
        return ConversationHandler.END
    rows: list[list[tuple[str, str]]] = []
    if ticket.preferred_date and ticket.preferred_slot:
        start = visit_start(
            ticket.preferred_date, Slot(ticket.preferred_slot), context.services.settings.zone
        )
        if start > context.clock.now():
            label = context.t("As the customer asked: {when}", when=At(start))
            rows.append([(label, JOB_TIME_AS_ASKED.data(ticket.id))])
    await say(
        update,
        context,
        context.t(
            "When will you be there? Type the date and time, for example {example}.",
            example=_example(context),
        ),
        inline(*rows) if rows else None,
    )
    return TIME


def _example(context: AppContext) -> str:
    tomorrow = context.clock.now().astimezone(context.services.settings.zone) + timedelta(days=1)
    return tomorrow.strftime("%Y-%m-%d 14:30")


async def _set_time(update: Update, context: AppContext, when: datetime) -> str | int:
    try:
        await confirm_visit_time(
            context.services.uow(),
            context.clock,
            ticket_id=int(step_state(context)["ticket"]),
            technician_id=context.me.id,
            planned_at=when,
            policy=context.services.policy,  # a visit on another day waits out quiet hours
        )
    except (NotFound, NotAllowed, IllegalTransition):
        await say(update, context, context.t("This job is no longer yours."))
        return ConversationHandler.END
    except DomainError:
        await say(
            update, context, context.t("That time has passed. Please give a time in the future.")
        )
        return TIME
    await say(
        update,
        context,
        context.t("Visit time confirmed: {when}. The customer has been told.", when=At(when)),
    )
    wake(context)
    return ConversationHandler.END


async def visit_time_typed(update: Update, context: AppContext) -> str | int:
    assert update.message is not None and update.message.text is not None
    match = _TIME.match(update.message.text)
    if not match:
        await say(
            update, context, context.t("Please write it like {example}.", example=_example(context))
        )
        return TIME
    try:
        y, m, d, hh, mm = (int(g) for g in match.groups())
        when = datetime(y, m, d, hh, mm, tzinfo=context.services.settings.zone)
    except ValueError:
        await say(
            update, context, context.t("Please write it like {example}.", example=_example(context))
        )
        return TIME
    return await _set_time(update, context, when)


async def visit_time_as_asked(update: Update, context: AppContext) -> str | int:
    ticket = await job_or_refuse(update, context)
    if ticket is None or not ticket.preferred_date or not ticket.preferred_slot:
        return ConversationHandler.END
    await ack(update)
    start = visit_start(
        ticket.preferred_date, Slot(ticket.preferred_slot), context.services.settings.zone
    )
    return await _set_time(update, context, start)


async def way(update: Update, context: AppContext) -> None:
    if not await require_technician(update, context):
        return
    try:
        ticket = await on_my_way(
            context.services.uow(),
            context.clock,
            ticket_id=button_id(update),
            technician_id=context.me.id,
        )
    except (NotFound, NotAllowed):
        await ack(update, context.t("This job is no longer yours."), alert=True)
        return
    except IllegalTransition:
        await ack(update, context.t("That step is already done."), alert=True)
        return
    await ack(update)
    await say(
        update,
        context,
        context.t(
            "The customer of {number} knows you are on the way. Check in when you arrive.",
            number=ticket.number,
        ),
        inline([(context.t("📍 Check in"), JOB_CHECK_IN.data(ticket.id))]),
    )
    wake(context)
