"""A ticket's status moves, with what follows from a move: the clock of the SLA step the
new status starts, and the follow-up survey once a complaint or a return is closed.

Those reactions live here, in one place, above both tickets and surveys.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from dispatch.clock import Clock
from dispatch.errors import NotFound
from dispatch.model import (
    Ticket,
    TicketKind,
)
from dispatch.policy import DeskPolicy
from dispatch.ports import UnitOfWork
from dispatch.sla import STARTS
from dispatch.staffroom import refresh_room
from dispatch.states import transition
from dispatch.surveys import schedule as schedule_survey
from dispatch.tickets import arm

__all__ = ["change_status", "move"]


async def move(
    uow: UnitOfWork,
    policy: DeskPolicy,
    ticket: Ticket,
    to: str,
    *,
    at: datetime,
    actor_id: int | None,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Inside an open unit of work: the move, its event, the clock the new status starts
    (dispatch.sla.STARTS) and the survey after a closed complaint or return."""
    event = transition(ticket, to, at=at, actor_id=actor_id, details=details)
    await uow.tickets.save(ticket)
    await uow.events.add(event)
    started = STARTS.get((ticket.kind.value, to))
    if started is not None:
        step, counted_from = started
        await arm(uow, policy, ticket, step, ticket.created_at if counted_from == "created" else at)
    if to == "closed" and ticket.kind in (TicketKind.COMPLAINT, TicketKind.RETURN):
        await schedule_survey(uow, policy, ticket, at)  # the follow-up visit after a closed case
    await refresh_room(uow, policy, ticket, at)  # the staff group's card, when there is one


async def change_status(
    uow: UnitOfWork,
    clock: Clock,
    *,
    ticket_id: int,
    to: str,
    actor_id: int | None,
    details: Mapping[str, Any] | None = None,
    policy: DeskPolicy,
) -> Ticket:
    """Move a ticket along its state machine in its own transaction; an illegal move
    writes nothing."""
    async with uow:
        ticket = await uow.tickets.get(ticket_id)
        if ticket is None:
            raise NotFound(f"ticket {ticket_id}")
        await move(uow, policy, ticket, to, at=clock.now(), actor_id=actor_id, details=details)
        await uow.commit()
        return ticket
