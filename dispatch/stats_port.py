"""The reporting side of the storage port: what the monthly analysis, the KPIs and the
exported files read (the implementation is ``storage.stats``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from dispatch.kpis import KpiCounts, PeriodDetail
from dispatch.model import TicketKind

__all__ = ["MonthRecords", "MonthTicket", "PeriodRows", "StatsRepository"]


@dataclass(frozen=True)
class MonthTicket:
    """A ticket opened in the month, as the monthly figures read it."""

    id: int
    kind: TicketKind
    customer_id: int
    created_at: datetime
    topic: str | None  # complaints: what it is about (dispatch.intake.ComplaintTopic)
    severity: str | None  # complaints: serious or general
    arrive_due_at: datetime | None


@dataclass(frozen=True)
class MonthRecords:
    """A month's complaints, for the monthly complaint analysis."""

    tickets: list[MonthTicket]
    reached: dict[int, dict[str, datetime]]  # ticket id -> status -> first time reached


@dataclass(frozen=True)
class PeriodRows:
    """A period's data as a spreadsheet holds it, one tuple per row:
    tickets registered (number, kind, status, created, product, model, technician, limits
    passed); status moves made (ticket number, kind, from, to, at, by); and surveys sent
    (ticket number, sent, answered, timeliness, attitude, result, comment)."""

    tickets: list[tuple[Any, ...]]
    steps: list[tuple[Any, ...]]
    surveys: list[tuple[Any, ...]]


class StatsRepository(Protocol):
    async def opened_at(self) -> datetime | None:
        """When the desk began: its first user (None for a desk nobody used yet)."""
        ...

    async def month(self, start: datetime, end: datetime) -> MonthRecords: ...
    async def kpi_counts(self, start: datetime, end: datetime) -> KpiCounts:
        """The counts behind dispatch.kpis for one period, aggregated in the database."""
        ...

    async def unsettled_first_responses(self, limit: int) -> list[tuple[int, datetime, datetime]]:
        """Up to ``limit`` first responses whose office hours are still to be counted:
        (ticket id, registered at, answered at)."""
        ...

    async def settle_first_responses(self, hours: dict[int, float]) -> None:
        """Each ticket's first response time, in office hours."""
        ...

    async def rows(self, start: datetime, end: datetime) -> PeriodRows:
        """The period's tickets, status moves and surveys, for the exported files."""
        ...

    async def figures(
        self, start: datetime, end: datetime, offset_hours: int, zone: str
    ) -> PeriodDetail:
        """Step times, tickets per local day, complaint causes, technicians and the worst
        cases of one period (``offset_hours``: the zone's offset, for SQLite's days)."""
        ...

    async def planned_visits(self, first: date, end: date) -> tuple[int, int]:
        """Planned maintenance visits booked for a day from ``first`` to before ``end``
        (not cancelled), and how many of them the technician reached by the booked time."""
        ...

    async def sent(self, dedup_prefix: str) -> bool:
        """Whether an outgoing message with this dedup key prefix was ever written."""
        ...
