"""The state machine of each ticket kind: the one place its allowed moves are written.

A move not listed here raises :class:`~dispatch.errors.IllegalTransition` and
changes nothing. Every allowed move yields exactly one :class:`~dispatch.model.Event`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from dispatch.errors import IllegalTransition
from dispatch.model import Event, Ticket, TicketKind

__all__ = ["INITIAL_STATUS", "TERMINAL", "TRANSITIONS", "allowed", "is_open", "transition"]

# repair and installation follow the field-service flow of SERVICE_RULES:
# dispatch (offer) → accepted → on the way → on site → completed → signed → closed.
_FIELD_JOB: Mapping[str, frozenset[str]] = {
    "new": frozenset({"offered", "assigned", "cancelled"}),
    "offered": frozenset({"new", "assigned", "cancelled"}),
    "assigned": frozenset({"en_route", "on_site", "new", "offered", "cancelled"}),
    "en_route": frozenset({"on_site", "new", "offered"}),
    "on_site": frozenset({"completed"}),
    "completed": frozenset({"signed", "disputed"}),
    "disputed": frozenset({"signed", "closed"}),
    "signed": frozenset({"closed"}),
    "closed": frozenset(),
    "cancelled": frozenset(),
}

TRANSITIONS: Mapping[TicketKind, Mapping[str, frozenset[str]]] = {
    TicketKind.REPAIR: _FIELD_JOB,
    TicketKind.INSTALLATION: _FIELD_JOB,
    # register → forward to the responsible department → verify → plan (manager
    # approves) → resolve → reply with the outcome and close.
    TicketKind.COMPLAINT: {
        "new": frozenset({"forwarded", "verified", "cancelled"}),
        "forwarded": frozenset({"verified"}),
        "verified": frozenset({"planned"}),
        "planned": frozenset({"resolved"}),
        "resolved": frozenset({"closed"}),
        "closed": frozenset(),
        "cancelled": frozenset(),
    },
    # review within 1 working day → goods received → refunded / exchanged.
    TicketKind.RETURN: {
        "new": frozenset({"approved", "rejected", "cancelled"}),
        "approved": frozenset({"received", "cancelled"}),
        "received": frozenset({"completed"}),
        "completed": frozenset({"closed"}),
        "rejected": frozenset({"closed"}),
        "closed": frozenset(),
        "cancelled": frozenset(),
    },
    # first response within 1 hour, full answer within 24.
    TicketKind.CONSULTATION: {
        "new": frozenset({"responded", "answered", "cancelled"}),
        "responded": frozenset({"answered"}),
        "answered": frozenset({"closed"}),
        "closed": frozenset(),
        "cancelled": frozenset(),
    },
}

INITIAL_STATUS = "new"
TERMINAL: frozenset[str] = frozenset({"closed", "cancelled"})


def allowed(kind: TicketKind, current: str, wanted: str) -> bool:
    return wanted in TRANSITIONS[kind].get(current, frozenset())


def is_open(status: str) -> bool:
    return status not in TERMINAL


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
    event = Event(
        kind="status",
        created_at=at,
        ticket_id=ticket.id,
        actor_id=actor_id,
        from_status=ticket.status,
        to_status=wanted,
        details=dict(details or {}),
    )
    ticket.status = wanted
    ticket.updated_at = at
    return event
