"""Ticket numbers people can read aloud on the phone: ``R-20261122-0007``.

One letter per kind, the local date in the desk's time zone, and a sequence per
kind and day reserved atomically by the ticket repository.
"""

from __future__ import annotations

from datetime import date

from dispatch.model import TicketKind

__all__ = ["PREFIX", "format_number"]

PREFIX: dict[TicketKind, str] = {
    TicketKind.REPAIR: "R",
    TicketKind.INSTALLATION: "I",
    TicketKind.COMPLAINT: "C",
    TicketKind.RETURN: "X",
    TicketKind.CONSULTATION: "Q",
    TicketKind.MAINTENANCE: "M",
}


def format_number(kind: TicketKind, day: date, sequence: int) -> str:
    return f"{PREFIX[kind]}-{day:%Y%m%d}-{sequence:04d}"
