"""The KPIs' counting (dispatch.kpis), as aggregate queries: each reads the period's rows
through the indexes on their times (migration 0008) and returns counts, sums and
averages, never the tickets themselves.

Elapsed time and the local day are written per database (:class:`hours_between`,
:class:`local_day`): SQLite has ``julianday`` and ``date(..., '+8 hours')``, PostgreSQL
``EXTRACT(EPOCH ...)`` and ``AT TIME ZONE``; SQLAlchemy has no portable form of either.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Float, String, and_, case, exists, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from dispatch.kpis import (
    FIELD,
    FIRST_TIME_FIX_DAYS,
    SERVICE_CAUSES,
    STEP_TIMES,
    KpiCounts,
    TechnicianFigures,
    WorstCase,
)
from dispatch.model import EventKind, Status, TicketKind
from dispatch.ports import PeriodRows
from storage.models import EventRow, SurveyRow, TechnicianRow, TicketRow, UserRow, VisitRow

__all__ = [
    "complaint_causes",
    "hours_between",
    "kpi_counts",
    "local_day",
    "period_rows",
    "step_hours",
    "technician_figures",
    "tickets_per_day",
    "worst_cases",
]


class hours_between(FunctionElement[float]):
    """Hours from the second timestamp to the first."""

    type = Float()
    inherit_cache = True


@compiles(hours_between)
def _hours_sqlite(element: hours_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return (
        f"((julianday({compiler.process(later, **kw)}) - "
        f"julianday({compiler.process(earlier, **kw)})) * 24.0)"
    )


@compiles(hours_between, "postgresql")
def _hours_postgres(element: hours_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return (
        f"(EXTRACT(EPOCH FROM ({compiler.process(later, **kw)} - "
        f"{compiler.process(earlier, **kw)})) / 3600.0)"
    )


class local_day(FunctionElement[str]):
    """The desk's calendar day of a UTC timestamp, as ``YYYY-MM-DD``: by the zone's name
    on PostgreSQL, by its offset (given as the second argument, in hours) on SQLite."""

    type = String()
    inherit_cache = True


@compiles(local_day)
def _day_sqlite(element: local_day, compiler: SQLCompiler, **kw: Any) -> str:
    moment, offset, _zone = list(element.clauses)
    return (
        f"date({compiler.process(moment, **kw)}, "
        f"printf('%+d hours', {compiler.process(offset, **kw)}))"
    )


@compiles(local_day, "postgresql")
def _day_postgres(element: local_day, compiler: SQLCompiler, **kw: Any) -> str:
    moment, _offset, zone = list(element.clauses)
    return (
        f"to_char(({compiler.process(moment, **kw)} AT TIME ZONE "
        f"{compiler.process(zone, **kw)}), 'YYYY-MM-DD')"
    )


def _moves(to: tuple[str, ...] | str, start: datetime, end: datetime) -> Any:
    """Status events into ``to`` within the period (the indexed kind, status, time)."""
    statuses = (to,) if isinstance(to, str) else to
    return and_(
        EventRow.kind == EventKind.STATUS,
        EventRow.to_status.in_(statuses),
        EventRow.created_at >= start,
        EventRow.created_at < end,
    )


async def kpi_counts(session: AsyncSession, start: datetime, end: datetime) -> KpiCounts:
    closing = aliased(EventRow)
    breached = exists().where(
        EventRow.ticket_id == closing.ticket_id,
        EventRow.kind == EventKind.SLA_LEVEL2,
        EventRow.details["step"].as_string() != "survey",
    )
    closed, on_time = (
        await session.execute(
            select(func.count(), func.count(case((~breached, 1))))
            .select_from(closing)
            .where(
                closing.kind == EventKind.STATUS,
                closing.to_status == Status.CLOSED,
                closing.created_at >= start,
                closing.created_at < end,
            )
        )
    ).one()
    jobs = await session.scalar(
        select(func.count())
        .select_from(EventRow)
        .join(TicketRow, TicketRow.id == EventRow.ticket_id)
        .where(_moves(Status.COMPLETED, start, end), TicketRow.kind.in_(FIELD))
    )
    complaints = await session.scalar(
        select(func.count()).where(
            TicketRow.created_at >= start,
            TicketRow.created_at < end,
            TicketRow.kind == TicketKind.COMPLAINT,
            TicketRow.details["cause"].as_string().in_(SERVICE_CAUSES),
        )
    )
    sent = await session.scalar(
        select(func.count()).where(SurveyRow.sent_at >= start, SurveyRow.sent_at < end)
    )
    high = and_(SurveyRow.timeliness >= 4, SurveyRow.attitude >= 4, SurveyRow.result >= 4)
    answered, satisfied = (
        await session.execute(
            select(func.count(), func.count(case((high, 1)))).where(
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


async def step_hours(
    session: AsyncSession, start: datetime, end: datetime
) -> dict[str, tuple[float, int]]:
    """Each step of STEP_TIMES: the average hours from registration, and how many cases
    registered in the period reached it; one pass over the period's tickets and moves
    (each ticket's first time into each step, then the averages)."""
    firsts = (
        select(
            TicketRow.kind.label("kind"),
            TicketRow.created_at.label("created_at"),
            *(
                func.min(case((EventRow.to_status.in_(step.reached), EventRow.created_at))).label(
                    step.name
                )
                for step in STEP_TIMES
            ),
        )
        .join(EventRow, EventRow.ticket_id == TicketRow.id)
        .where(
            TicketRow.created_at >= start,
            TicketRow.created_at < end,
            EventRow.kind == EventKind.STATUS,
        )
        # Not by the bare id: SQLite would then walk the whole table in id order instead
        # of the period's rows through the index on their time.
        .group_by(TicketRow.id + 0, TicketRow.kind, TicketRow.created_at)
        .subquery()
    )
    columns = []
    for step in STEP_TIMES:
        at = firsts.c[step.name]
        hours = case((firsts.c.kind.in_(step.kinds), hours_between(at, firsts.c.created_at)))
        columns += [func.avg(hours), func.count(hours)]
    row = (await session.execute(select(*columns))).one()
    found: dict[str, tuple[float, int]] = {}
    for index, step in enumerate(STEP_TIMES):
        average, count = row[2 * index], row[2 * index + 1]
        if count:
            found[step.name] = (round(float(average), 1), int(count))
    return found


async def tickets_per_day(
    session: AsyncSession, start: datetime, end: datetime, offset_hours: int, zone: str
) -> dict[tuple[str, str], int]:
    day = local_day(TicketRow.created_at, literal(offset_hours), literal(zone))
    rows = await session.execute(
        select(day, TicketRow.kind, func.count())
        .where(TicketRow.created_at >= start, TicketRow.created_at < end)
        .group_by(day, TicketRow.kind)
    )
    return {(str(d), str(kind)): int(n) for d, kind, n in rows}


async def complaint_causes(session: AsyncSession, start: datetime, end: datetime) -> dict[str, int]:
    cause = func.coalesce(TicketRow.details["cause"].as_string(), "unclassified")
    rows = await session.execute(
        select(cause, func.count())
        .where(
            TicketRow.created_at >= start,
            TicketRow.created_at < end,
            TicketRow.kind == TicketKind.COMPLAINT,
        )
        .group_by(cause)
    )
    return {str(c): int(n) for c, n in rows}


async def technician_figures(
    session: AsyncSession, start: datetime, end: datetime
) -> list[TechnicianFigures]:
    """Per technician, the field jobs they completed in the period (see dispatch.kpis)."""
    done = (
        select(
            TicketRow.id.label("ticket_id"),
            TicketRow.assigned_technician_id.label("technician_id"),
            TicketRow.customer_id.label("customer_id"),
            TicketRow.arrive_due_at.label("due"),
            func.min(EventRow.created_at).label("completed_at"),
        )
        .join(TicketRow, TicketRow.id == EventRow.ticket_id)
        .where(
            _moves(Status.COMPLETED, start, end),
            TicketRow.kind.in_(FIELD),
            TicketRow.assigned_technician_id.is_not(None),
        )
        .group_by(TicketRow.id)
        .subquery()
    )
    arrival = (
        select(VisitRow.ticket_id, func.min(VisitRow.arrived_at).label("at"))
        .where(VisitRow.ticket_id.in_(select(done.c.ticket_id)))
        .group_by(VisitRow.ticket_id)
        .subquery()
    )
    again = aliased(TicketRow)
    came_back = exists().where(
        again.customer_id == done.c.customer_id,
        again.id != done.c.ticket_id,
        again.kind == TicketKind.REPAIR,
        again.created_at > done.c.completed_at,
        # Bounded by the period too, so the index finds the few rows to look at.
        again.created_at < end + timedelta(days=FIRST_TIME_FIX_DAYS),
        hours_between(again.created_at, done.c.completed_at) <= FIRST_TIME_FIX_DAYS * 24,
    )
    complaint = aliased(TicketRow)
    complaints = (
        select(func.count())
        .where(
            complaint.kind == TicketKind.COMPLAINT,
            complaint.related_ticket_id == done.c.ticket_id,
        )
        .scalar_subquery()
    )
    rating = (SurveyRow.timeliness + SurveyRow.attitude + SurveyRow.result) / literal(3.0)
    rows = await session.execute(
        select(
            done.c.technician_id,
            TechnicianRow.name,
            func.count(),
            func.count(case((and_(arrival.c.at.is_not(None), arrival.c.at <= done.c.due), 1))),
            func.count(case((~came_back, 1))),
            func.avg(rating),
            func.sum(complaints),
        )
        .select_from(done)
        .join(TechnicianRow, TechnicianRow.user_id == done.c.technician_id)
        .outerjoin(arrival, arrival.c.ticket_id == done.c.ticket_id)
        .outerjoin(
            SurveyRow,
            and_(SurveyRow.ticket_id == done.c.ticket_id, SurveyRow.answered_at.is_not(None)),
        )
        .group_by(done.c.technician_id, TechnicianRow.name)
    )
    return [
        TechnicianFigures(
            technician_id=int(technician),
            name=str(name),
            jobs=int(jobs),
            on_time_checkins=int(on_time),
            first_time_fixes=int(fixed),
            rating=None if average is None else round(float(average), 2),
            complaints=int(complained or 0),
        )
        for technician, name, jobs, on_time, fixed, average, complained in rows
    ]


async def worst_cases(
    session: AsyncSession, start: datetime, end: datetime, limit: int = 3
) -> list[WorstCase]:
    passed = (
        select(EventRow.ticket_id, func.count().label("n"))
        .join(TicketRow, TicketRow.id == EventRow.ticket_id)
        .where(
            TicketRow.created_at >= start,
            TicketRow.created_at < end,
            EventRow.kind.in_([EventKind.SLA_LEVEL2, EventKind.SLA_LEVEL3]),
            EventRow.details["step"].as_string() != "survey",
        )
        .group_by(EventRow.ticket_id)
        .subquery()
    )
    rows = await session.execute(
        select(TicketRow.id, TicketRow.number, TicketRow.kind, TicketRow.status, passed.c.n)
        .join(passed, passed.c.ticket_id == TicketRow.id)
        .order_by(passed.c.n.desc(), TicketRow.created_at)
        .limit(limit)
    )
    return [
        WorstCase(ticket_id=i, number=number, kind=kind, status=status, limits_passed=int(n))
        for i, number, kind, status, n in rows
    ]


async def period_rows(session: AsyncSession, start: datetime, end: datetime) -> PeriodRows:
    """Every row of the period's export (dispatch.ports.PeriodRows), in number and time
    order: this is the one reading that returns rows, because the files hold them."""
    passed = (
        select(func.count())
        .where(
            EventRow.ticket_id == TicketRow.id,
            EventRow.kind.in_([EventKind.SLA_LEVEL2, EventKind.SLA_LEVEL3]),
            EventRow.details["step"].as_string() != "survey",
        )
        .scalar_subquery()
    )
    tickets = (
        await session.execute(
            select(
                TicketRow.number,
                TicketRow.kind,
                TicketRow.status,
                TicketRow.created_at,
                TicketRow.product_category,
                TicketRow.product_model,
                TechnicianRow.name,
                passed,
            )
            .outerjoin(TechnicianRow, TechnicianRow.user_id == TicketRow.assigned_technician_id)
            .where(TicketRow.created_at >= start, TicketRow.created_at < end)
            .order_by(TicketRow.created_at, TicketRow.id)
        )
    ).all()
    steps = (
        await session.execute(
            select(
                TicketRow.number,
                TicketRow.kind,
                EventRow.from_status,
                EventRow.to_status,
                EventRow.created_at,
                UserRow.display_name,
            )
            .join(TicketRow, TicketRow.id == EventRow.ticket_id)
            .outerjoin(UserRow, UserRow.id == EventRow.actor_id)
            .where(
                EventRow.kind == EventKind.STATUS,
                EventRow.created_at >= start,
                EventRow.created_at < end,
            )
            .order_by(EventRow.created_at, EventRow.id)
        )
    ).all()
    surveys = (
        await session.execute(
            select(
                TicketRow.number,
                SurveyRow.sent_at,
                SurveyRow.answered_at,
                SurveyRow.timeliness,
                SurveyRow.attitude,
                SurveyRow.result,
                SurveyRow.comment,
            )
            .join(TicketRow, TicketRow.id == SurveyRow.ticket_id)
            .where(SurveyRow.sent_at >= start, SurveyRow.sent_at < end)
            .order_by(SurveyRow.sent_at, SurveyRow.id)
        )
    ).all()
    return PeriodRows(
        tickets=[tuple(row) for row in tickets],
        steps=[tuple(row) for row in steps],
        surveys=[tuple(row) for row in surveys],
    )
