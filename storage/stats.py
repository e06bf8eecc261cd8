"""The reports' reading: the monthly report's tickets, status events and surveys, and the
KPIs of any period (counted in storage.kpis)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.kpis import KpiCounts, PeriodDetail
from dispatch.model import TicketKind
from dispatch.stats_port import MonthRecords, MonthTicket, PeriodRows
from storage import kpis
from storage.facts import Facts
from storage.models import EventRow, OutboxRow, TicketRow, UserRow
from storage.sqlite_driver import on_the_worker

__all__ = ["SqlStatsRepository"]


class SqlStatsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def opened_at(self) -> datetime | None:
        first: datetime | None = await self.session.scalar(select(func.min(UserRow.created_at)))
        return first

    @on_the_worker
    async def month(self, start: datetime, end: datetime) -> MonthRecords:
        """The month's complaints and when each reached each status: the complaint
        analysis reads them one by one (a few in a hundred of the month's tickets); every
        other figure is counted in the database (storage.kpis)."""
        rows = (
            await self.session.execute(
                select(
                    TicketRow.id,
                    TicketRow.kind,
                    TicketRow.customer_id,
                    TicketRow.created_at,
                    TicketRow.details,
                    TicketRow.arrive_due_at,
                ).where(
                    TicketRow.created_at >= start,
                    TicketRow.created_at < end,
                    TicketRow.kind == TicketKind.COMPLAINT,
                )
            )
        ).all()
        tickets = [
            MonthTicket(
                id=r.id,
                kind=TicketKind(r.kind),
                customer_id=r.customer_id,
                created_at=r.created_at,
                topic=(r.details or {}).get("topic"),
                severity=(r.details or {}).get("severity"),
                arrive_due_at=r.arrive_due_at,
            )
            for r in rows
        ]
        reached: dict[int, dict[str, datetime]] = {}
        if tickets:
            for ticket_id, status, at in await self.session.execute(
                select(EventRow.ticket_id, EventRow.to_status, EventRow.created_at)
                .where(
                    EventRow.ticket_id.in_([t.id for t in tickets]),
                    EventRow.to_status.is_not(None),
                )
                .order_by(EventRow.id)
            ):
                reached.setdefault(ticket_id, {}).setdefault(status, at)
        return MonthRecords(tickets=tickets, reached=reached)

    @on_the_worker
    async def kpi_counts(self, start: datetime, end: datetime) -> KpiCounts:
        return await kpis.kpi_counts(self.session, start, end)

    async def unsettled_first_responses(self, limit: int) -> list[tuple[int, datetime, datetime]]:
        return await kpis.unsettled_first_responses(self.session, limit)

    async def settle_first_responses(self, hours: dict[int, float]) -> None:
        await kpis.settle_first_responses(self.session, hours)

    @on_the_worker
    async def rows(self, start: datetime, end: datetime) -> PeriodRows:
        return await kpis.period_rows(self.session, start, end)

    @on_the_worker
    async def figures(
        self, start: datetime, end: datetime, offset_hours: int, zone: str
    ) -> PeriodDetail:
        return PeriodDetail(
            step_hours=await kpis.step_hours(self.session, start, end),
            per_day=await kpis.tickets_per_day(self.session, start, end, offset_hours, zone),
            causes=await kpis.complaint_causes(self.session, start, end),
            technicians=await kpis.technician_figures(self.session, start, end),
            worst=await kpis.worst_cases(self.session, start, end),
        )

    @on_the_worker
    async def planned_visits(self, first: date, end: date) -> tuple[int, int]:
        # On time as the technicians' on-time check-ins count it (storage.kpis): reached,
        # and no on-site limit passed on the way.
        reached = and_(Facts.c.arrival_h.is_not(None), Facts.c.late_arrival.is_(False))
        due, on_time = (
            await self.session.execute(
                select(func.count(), func.count(case((reached, 1))))
                .select_from(TicketRow)
                .join(Facts, Facts.c.ticket_id == TicketRow.id)
                .where(
                    TicketRow.kind == TicketKind.MAINTENANCE,
                    TicketRow.status != "cancelled",
                    TicketRow.preferred_date >= first,
                    TicketRow.preferred_date < end,
                )
            )
        ).one()
        return int(due), int(on_time)

    async def sent(self, dedup_prefix: str) -> bool:
        found = await self.session.scalar(
            select(OutboxRow.id).where(OutboxRow.dedup_key.like(f"{dedup_prefix}%")).limit(1)
        )
        return found is not None
