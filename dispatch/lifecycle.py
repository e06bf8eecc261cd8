"""A ticket's status moves, with what follows from a move: the clock of the SLA step the
new status starts, and the follow-up survey once a complaint or a return is closed.

Those reactions live here, in one place, above both tickets and surveys.
"""

from __future__ import annotations

from collections.abc import Mapping
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
from dispatch.states import transition
from dispatch.surveys import schedule as schedule_survey
from dispatch.tickets import arm

__all__ = ["change_status"]


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
    """Move a ticket along its state machine; an illegal move writes nothing.

    With ``policy``, a status that starts an SLA step (dispatch.sla.STARTS) arms its
    clock in the same transaction.
    """
    async with uow:
        ticket = await uow.tickets.get(ticket_id)
        if ticket is None:
            raise NotFound(f"ticket {ticket_id}")
        now = clock.now()
        event = transition(ticket, to, at=now, actor_id=actor_id, details=details)
        await uow.tickets.save(ticket)
        await uow.events.add(event)
        started = STARTS.get((ticket.kind.value, to))
        if started is not None:
            step, counted_from = started
            await arm(
                uow, policy, ticket, step, ticket.created_at if counted_from == "created" else now
            )
        if to == "closed" and ticket.kind in (TicketKind.COMPLAINT, TicketKind.RETURN):
            await schedule_survey(
                uow, policy, ticket, now
            )  # the follow-up visit after a closed case
        await uow.commit()
        return ticket
