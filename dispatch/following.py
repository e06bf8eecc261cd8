"""What a customer does with their tickets once sent: follow them, add information, cancel."""

from __future__ import annotations

from dispatch.clock import Clock
from dispatch.customer import Photo, attach_photos
from dispatch.errors import IllegalTransition
from dispatch.model import Attachment, Event, EventKind, Ticket
from dispatch.policy import DeskPolicy
from dispatch.ports import UnitOfWork
from dispatch.staffroom import Source, mirror
from dispatch.states import allowed, is_open, transition
from dispatch.tickets import customers_ticket

__all__ = [
    "add_information",
    "can_cancel",
    "cancel_by_customer",
    "customer_ticket",
    "customer_tickets",
]


async def customer_tickets(uow: UnitOfWork, *, customer_id: int) -> list[Ticket]:
    async with uow:
        return await uow.tickets.of_customer(customer_id)


async def customer_ticket(
    uow: UnitOfWork, *, customer_id: int, ticket_id: int
) -> tuple[Ticket, list[Event], list[Attachment]]:
    """A customer's own ticket with its timeline; anyone else's is NotFound."""
    async with uow:
        ticket = await customers_ticket(uow, ticket_id=ticket_id, customer_id=customer_id)
        return (
            ticket,
            await uow.events.for_ticket(ticket_id),
            await uow.attachments.for_ticket(ticket_id),
        )


def can_cancel(ticket: Ticket) -> bool:
    """Only before the work is in progress: the state table says where 'cancelled' is allowed."""
    return allowed(ticket.kind, ticket.status, "cancelled")


async def cancel_by_customer(
    uow: UnitOfWork, clock: Clock, *, customer_id: int, ticket_id: int, reason: str
) -> Ticket:
    async with uow:
        ticket = await customers_ticket(uow, ticket_id=ticket_id, customer_id=customer_id)
        if not can_cancel(ticket):
            raise IllegalTransition(ticket.kind.value, ticket.status, "cancelled")
        now = clock.now()
        event = transition(
            ticket,
            "cancelled",
            at=now,
            actor_id=customer_id,
            details={"reason": reason, "by": "customer"},
        )
        for name in list(ticket.deadlines):
            if name.endswith("_due_at"):
                ticket.deadlines[name] = None
        await uow.tickets.save(ticket)
        await uow.events.add(event)
        await uow.commit()
        return ticket


async def add_information(
    uow: UnitOfWork,
    clock: Clock,
    *,
    customer_id: int,
    ticket_id: int,
    text: str | None,
    photos: tuple[Photo, ...],
    policy: DeskPolicy | None = None,
    source: Source | None = None,
) -> Ticket:
    """More words or photos on an open ticket, recorded as one event; with the desk's
    ``policy`` and the messages' ``source``, copied into the case's staff topic too."""
    async with uow:
        ticket = await customers_ticket(uow, ticket_id=ticket_id, customer_id=customer_id)
        if not is_open(ticket.status):
            raise IllegalTransition(ticket.kind.value, ticket.status, ticket.status)
        now = clock.now()
        await attach_photos(uow, ticket.id, customer_id, photos, "info", now)
        await uow.events.add(
            Event(
                kind=EventKind.INFO_ADDED,
                created_at=now,
                ticket_id=ticket.id,
                actor_id=customer_id,
                details={"text": text or "", "photos": len(photos)},
            )
        )
        if policy is not None:
            await mirror(uow, policy, ticket, source, now)
        await uow.commit()
        return ticket
