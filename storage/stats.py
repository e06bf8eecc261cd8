"""The monthly report's reading: the month's tickets, their status events, surveys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.kpis import SERVICE_CAUSES, KpiCounts
from dispatch.model import EventKind, Status, TicketKind
from dispatch.ports import MonthRecords, MonthTicket, SurveyScores
from storage.models import EventRow, OutboxRow, SurveyRow, TicketRow, UserRow

__all__ = ["SqlStatsRepository"]


class SqlStatsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def opened_at(self) -> datetime | None:
        first: datetime | None = await self.session.scalar(select(func.min(UserRow.created_at)))
        return first

    async def month(self, start: datetime, end: datetime) -> MonthRecords:
        rows = (
            await self.session.execute(
                select(
                    TicketRow.id,
                    TicketRow.kind,
                    TicketRow.customer_id,
                    TicketRow.created_at,
                    TicketRow.details,
                    TicketRow.arrive_due_at,
                ).where(TicketRow.created_at >= start, TicketRow.created_at < end)
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
        surveys = [
            SurveyScores(timeliness, attitude, result)
            for timeliness, attitude, result in await self.session.execute(
                select(SurveyRow.timeliness, SurveyRow.attitude, SurveyRow.result).where(
                    SurveyRow.answered_at >= start, SurveyRow.answered_at < end
                )
            )
        ]
        return MonthRecords(tickets=tickets, reached=reached, surveys=surveys)

    async def kpi_counts(self, start: datetime, end: datetime) -> KpiCounts:
        """The counts behind the KPIs of dispatch.kpis, each one aggregate query over the
        period's rows (found by the indexed times of status events and surveys)."""
        breached = exists().where(
            EventRow.ticket_id == TicketRow.id,
            EventRow.kind == EventKind.SLA_LEVEL2,
            EventRow.details["step"].as_string() != "survey",
        )
        closing = EventRow.__table__.alias("closing")
        closed, on_time = (
            await self.session.execute(
                select(func.count(), func.count(case((~breached, 1))))
                .select_from(closing)
                .join(TicketRow, TicketRow.id == closing.c.ticket_id)
                .where(
                    closing.c.kind == EventKind.STATUS,
                    closing.c.to_status == Status.CLOSED,
                    closing.c.created_at >= start,
                    closing.c.created_at < end,
                )
            )
        ).one()
        jobs = await self.session.scalar(
            select(func.count())
            .select_from(EventRow)
            .join(TicketRow, TicketRow.id == EventRow.ticket_id)
            .where(
                EventRow.kind == EventKind.STATUS,
                EventRow.to_status == Status.COMPLETED,
                EventRow.created_at >= start,
                EventRow.created_at < end,
                TicketRow.kind.in_([TicketKind.REPAIR, TicketKind.INSTALLATION]),
            )
        )
        complaints = await self.session.scalar(
            select(func.count()).where(
                TicketRow.kind == TicketKind.COMPLAINT,
                TicketRow.created_at >= start,
                TicketRow.created_at < end,
                TicketRow.details["cause"].as_string().in_(SERVICE_CAUSES),
            )
        )
        sent = await self.session.scalar(
            select(func.count()).where(SurveyRow.sent_at >= start, SurveyRow.sent_at < end)
        )
        every_rating_high = and_(
            SurveyRow.timeliness >= 4, SurveyRow.attitude >= 4, SurveyRow.result >= 4
        )
        answered, satisfied = (
            await self.session.execute(
                select(func.count(), func.count(case((every_rating_high, 1)))).where(
                    SurveyRow.answered_at >= start, SurveyRow.answered_at < end
                )
            )
        ).one()
        return KpiCounts(
            closed=closed,
            closed_on_time=on_time,
            surveys_sent=sent or 0,
            surveys_answered=answered,
            surveys_satisfied=satisfied,
            jobs_completed=jobs or 0,
            service_complaints=complaints or 0,
        )

    async def sent(self, dedup_prefix: str) -> bool:
        found = await self.session.scalar(
            select(OutboxRow.id).where(OutboxRow.dedup_key.like(f"{dedup_prefix}%")).limit(1)
        )
        return found is not None
