"""The state machine of each ticket kind: the one place its allowed moves are written.

A move not listed here raises :class:`~dispatch.errors.IllegalTransition` and
changes nothing. Every allowed move yields exactly one :class:`~dispatch.model.Event`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from dispatch.errors import IllegalTransition
from dispatch.model import Event, EventKind, Status, Ticket, TicketKind

__all__ = [
    "FIELD_KINDS",
    "INITIAL_STATUS",
    "TERMINAL",
    "TRANSITIONS",
    "WAITING_FOR_CUSTOMER",
    "allowed",
    "at_rest",
    "is_open",
    "transition",
]


def _machine(moves: Mapping[str, set[str]]) -> Mapping[Status, frozenset[Status]]:
    return {Status(at): frozenset(Status(to) for to in tos) for at, tos in moves.items()}


# repair and installation follow the field-service flow of SERVICE_RULES:
# dispatch (offer) → accepted → on the way → on site → completed → signed → closed.
# Before the work is done the job can wait for a spare part; its arrival gives the job
# back to the technician (assigned), who sets a new visit time.
_FIELD_JOB = _machine(
    {
        "new": {"offered", "assigned", "cancelled"},
        "offered": {"new", "assigned", "cancelled"},
        "assigned": {"en_route", "on_site", "waiting_part", "new", "offered", "cancelled"},
        "en_route": {"on_site", "waiting_part", "new", "offered"},
        "on_site": {"completed", "waiting_part"},
        "waiting_part": {"assigned"},
        "completed": {"signed", "disputed"},
        "disputed": {"signed", "closed"},
        "signed": {"closed"},
        "closed": set(),
        "cancelled": set(),
    }
)

# A planned visit under a maintenance contract is proposed to the customer first; once they
# confirm its date (or pick another) it is dispatched like a repair.
_PLANNED_VISIT = {
    **_FIELD_JOB,
    Status.PROPOSED: frozenset({Status.NEW, Status.CANCELLED}),
}

TRANSITIONS: Mapping[TicketKind, Mapping[Status, frozenset[Status]]] = {
    TicketKind.REPAIR: _FIELD_JOB,
    TicketKind.INSTALLATION: _FIELD_JOB,
    TicketKind.MAINTENANCE: _PLANNED_VISIT,
    # register → classify and forward to the responsible department → verify → plan
    # (a second manager approves compensation) → resolve → reply with the outcome and
    # close; found unfounded at any point before a plan: rejected with the reason, closed.
    TicketKind.COMPLAINT: _machine(
        {
            "new": {"forwarded", "verified", "rejected", "cancelled"},
            "forwarded": {"verified", "rejected"},
            "verified": {"planned", "rejected"},
            "planned": {"resolved"},
            "resolved": {"closed"},
            "rejected": {"closed"},
            "closed": set(),
            "cancelled": set(),
        }
    ),
    # review within 1 working day → goods received → refunded / exchanged.
    TicketKind.RETURN: _machine(
        {
            "new": {"approved", "rejected", "cancelled"},
            "approved": {"received", "cancelled"},
            "received": {"completed"},
            "completed": {"closed"},
            "rejected": {"closed"},
            "closed": set(),
            "cancelled": set(),
        }
    ),
    # first response within 1 hour, full answer within 24; asked again after the answer
    # (within the follow-up window), it is reopened and answered again within 24 hours.
    TicketKind.CONSULTATION: _machine(
        {
            "new": {"responded", "answered", "cancelled"},
            "responded": {"answered"},
            "answered": {"reopened", "closed"},
            "reopened": {"answered", "closed"},
            "closed": set(),
            "cancelled": set(),
        }
    ),
}

# Where the case waits for the customer, not the desk: a field job for the customer's
# signature, a return for the goods to come back, a question answered for whether the
# customer asks again. The resolution time (dispatch.kpis) stops its clock there.
WAITING_FOR_CUSTOMER: Mapping[TicketKind, frozenset[Status]] = {
    TicketKind.REPAIR: frozenset({Status.COMPLETED}),
    TicketKind.INSTALLATION: frozenset({Status.COMPLETED}),
    TicketKind.MAINTENANCE: frozenset({Status.PROPOSED, Status.COMPLETED}),
    TicketKind.COMPLAINT: frozenset(),
    TicketKind.RETURN: frozenset({Status.APPROVED}),
    TicketKind.CONSULTATION: frozenset({Status.ANSWERED}),
}

# The kinds a technician visits for: offered, checked in, recorded and signed alike.
FIELD_KINDS: tuple[TicketKind, ...] = (
    TicketKind.REPAIR,
    TicketKind.INSTALLATION,
    TicketKind.MAINTENANCE,
)

INITIAL_STATUS = Status.NEW
TERMINAL: frozenset[Status] = frozenset({Status.CLOSED, Status.CANCELLED})


def allowed(kind: TicketKind, current: str, wanted: str) -> bool:
    return wanted in TRANSITIONS[kind].get(Status(current), frozenset())


def is_open(status: str) -> bool:
    return status not in TERMINAL


def at_rest(kind: TicketKind, status: str) -> bool:
    """Nothing for the desk to do: the case is closed or cancelled, or it is a question
    with its full answer (the customer's next message reopens it). Such a case leaves the
    queue, and its staff topic is closed."""
    return not is_open(status) or (kind is TicketKind.CONSULTATION and status == Status.ANSWERED)


def transition(
    ticket: Ticket,
    wanted: str,
    *,
    at: datetime,
    actor_id: int | None,
    details: Mapping[str, Any] | None = None,
) -> Event:
    """Move ``ticket`` to ``wanted`` in memory and return the event that records it."""
    if not allowed(ticket.kind, ticket.status, wanted):
        raise IllegalTransition(ticket.kind.value, ticket.status, wanted)
    status = Status(wanted)
    event = Event(
        kind=EventKind.STATUS,
        created_at=at,
        ticket_id=ticket.id,
        actor_id=actor_id,
        from_status=ticket.status,
        to_status=status,
        details=dict(details or {}),
    )
    ticket.status = status
    ticket.updated_at = at
    return event
