"""Tickets: a readable number, the created event, and the SLA clock of a step.

The services that open tickets (customers' requests, a disputed record, a low survey
score) build on these.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from dispatch.clock import Clock
from dispatch.errors import NotFound
from dispatch.messages import N_, Outgoing
from dispatch.model import (
    Event,
    EventKind,
    Priority,
    Role,
    Ticket,
    TicketKind,
)
from dispatch.numbering import PREFIX, format_number
from dispatch.policy import DeskPolicy
from dispatch.ports import UnitOfWork
from dispatch.sla import STEPS, SlaStep
from dispatch.staffroom import open_room
from dispatch.states import INITIAL_STATUS

__all__ = [
    "arm",
    "create_ticket",
    "created_event",
    "customers_ticket",
    "new_ticket",
    "new_tickets",
    "open_linked_complaint",
]


def created_event(ticket: Ticket, *, actor_id: int | None, at: datetime) -> Event:
    """The first line of every ticket's history."""
    return Event(
        kind=EventKind.CREATED,
        created_at=at,
        ticket_id=ticket.id,
        actor_id=actor_id,
        to_status=ticket.status,
    )


async def customers_ticket(uow: UnitOfWork, *, ticket_id: int, customer_id: int) -> Ticket:
    """The ticket if it is this customer's; NotFound otherwise (another customer's ticket
    is not even said to exist)."""
    ticket = await uow.tickets.get(ticket_id)
    if ticket is None or ticket.customer_id != customer_id:
        raise NotFound(f"ticket {ticket_id}")
    return ticket


async def new_ticket(
    uow: UnitOfWork,
    *,
    now: datetime,
    zone: ZoneInfo,
    customer_id: int,
    kind: TicketKind,
    intake_key: str | None = None,
) -> Ticket:
    """A ticket in its first status with its readable number reserved; not yet stored."""
    day = now.astimezone(zone).date()
    sequence = await uow.tickets.next_number(PREFIX[kind], day)
    return Ticket(
        id=0,
        number=format_number(kind, day, sequence),
        kind=kind,
        status=INITIAL_STATUS,
        customer_id=customer_id,
        created_at=now,
        updated_at=now,
        intake_key=intake_key,
    )


async def new_tickets(
    uow: UnitOfWork, *, now: datetime, zone: ZoneInfo, kind: TicketKind, customer_ids: list[int]
) -> list[Ticket]:
    """Tickets in their first status for each customer, their numbers reserved together
    (the planning pass's visits); not yet stored."""
    if not customer_ids:
        return []
    day = now.astimezone(zone).date()
    first = await uow.tickets.next_number(PREFIX[kind], day, len(customer_ids))
    return [
        Ticket(
            id=0,
            number=format_number(kind, day, first + i),
            kind=kind,
            status=INITIAL_STATUS,
            customer_id=customer_id,
            created_at=now,
            updated_at=now,
        )
        for i, customer_id in enumerate(customer_ids)
    ]


async def open_linked_complaint(
    uow: UnitOfWork,
    *,
    now: datetime,
    policy: DeskPolicy,
    customer_id: int,
    related: Ticket,
    description: str,
    details: Mapping[str, Any],
) -> Ticket:
    """A complaint the product opens itself (a disputed record, a low survey score), with
    the clocks of a complaint a customer files: accepting it and the 24-hour news (the
    callers tell the managers why it was opened)."""
    complaint = await new_ticket(
        uow, now=now, zone=policy.zone, customer_id=customer_id, kind=TicketKind.COMPLAINT
    )
    complaint.related_ticket_id = related.id
    complaint.description = description
    complaint.priority = Priority.HIGH
    complaint.details = {"topic": "visit", "severity": "general", **details}
    complaint = await uow.tickets.add(complaint)
    await uow.events.add(created_event(complaint, actor_id=customer_id, at=now))
    for step in (SlaStep.COMPLAINT_FORWARD, SlaStep.COMPLAINT_PROGRESS):
        await arm(uow, policy, complaint, step, now)
    await open_room(uow, policy, complaint, now)  # its topic, when the desk has a staff group
    return complaint


async def create_ticket(
    uow: UnitOfWork,
    clock: Clock,
    zone: ZoneInfo,
    *,
    customer_id: int,
    kind: TicketKind,
    fields: Mapping[str, Any] | None = None,
) -> Ticket:
    """Record a new ticket with a readable number and its ``created`` event."""
    async with uow:
        now = clock.now()
        ticket = await new_ticket(uow, now=now, zone=zone, customer_id=customer_id, kind=kind)
        for name, value in (fields or {}).items():
            if not hasattr(ticket, name) or name in ("id", "number", "kind", "status"):
                raise ValueError(f"a ticket has no settable field {name!r}")
            setattr(ticket, name, value)
        ticket = await uow.tickets.add(ticket)
        await uow.events.add(created_event(ticket, actor_id=customer_id, at=now))
        await uow.commit()
        return ticket


async def arm(
    uow: UnitOfWork,
    policy: DeskPolicy,
    ticket: Ticket,
    step: str,
    start: datetime,
    *,
    not_before: datetime | None = None,
) -> None:
    """Start the clock of an SLA step on its deadline column; the sweep does the rest.

    ``not_before`` moves the limit later, never earlier: a visit the customer booked
    for a later day is due then, not when the usual limit ends."""
    column = STEPS[step].column
    due = policy.due(start, step)
    if not_before is not None and not_before > due:
        due = not_before
    warn = start + (due - start) * policy.warn_fraction
    ticket.deadlines[f"{column}_due_at"] = due
    await uow.tickets.arm(ticket.id, column, step, due, warn)
    calendar = policy.work_calendar
    if policy.sla[step].round_the_clock is None and not calendar.published(
        due.astimezone(policy.zone).year
    ):
        year = due.astimezone(policy.zone).year
        for manager in await uow.users.with_role(Role.MANAGER):
            await uow.outbox.add(
                Outgoing(
                    user_id=manager.id,
                    text=N_(
                        "📅 Deadlines now reach {year}, whose official holidays and make-up working days are not published yet. They are estimated; add company days with /calendar once they are known."
                    ),
                    params={"year": year},
                    dedup_key=f"calendar-unpublished:{year}:{manager.id}",
                ),
                at=start,
            )
