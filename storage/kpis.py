"""The KPIs' counting (dispatch.kpis), as aggregate queries over each ticket's figures
(``ticket_facts``, kept by storage.facts): each reads the period's rows through an index
on their time and returns counts, sums and averages, never the tickets themselves."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, bindparam, case, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.kpis import (
    STEP_TIMES,
    KpiCounts,
    TechnicianFigures,
    WorstCase,
)
from dispatch.model import EventKind, TicketKind
from dispatch.stats_port import PeriodRows
from storage.facts import Facts
from storage.models import EventRow, SurveyRow, TechnicianRow, TicketRow, UserRow
from storage.sqltime import local_day

__all__ = [
    "complaint_causes",
    "kpi_counts",
    "period_rows",
    "settle_first_responses",
    "step_hours",
    "technician_figures",
    "tickets_per_day",
    "unsettled_first_responses",
    "worst_cases",
]


async def kpi_counts(session: AsyncSession, start: datetime, end: datetime) -> KpiCounts:
    closed, on_time, resolution = (
        await session.execute(
            select(
                func.count(),
                func.count(case((Facts.c.breaches == 0, 1))),
                func.avg(Facts.c.resolution_h),
            ).where(Facts.c.closed_at >= start, Facts.c.closed_at < end)
        )
    ).one()
    responses, response = (
        await session.execute(
            select(func.count(Facts.c.first_response_h), func.avg(Facts.c.first_response_h)).where(
                Facts.c.created_at >= start, Facts.c.created_at < end
            )
        )
    ).one()
    jobs = await session.scalar(
        select(func.count()).where(Facts.c.completed_at >= start, Facts.c.completed_at < end)
    )
    complaints = await session.scalar(
        select(func.count()).where(
            Facts.c.created_at >= start,
            Facts.c.created_at < end,
            Facts.c.kind == TicketKind.COMPLAINT,
            Facts.c.service_cause.is_(True),
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
        first_responses=responses,
        first_response_hours=_hours(response),
        resolution_hours=_hours(resolution),
    )


def _hours(average: float | None) -> float | None:
    return None if average is None else round(float(average), 1)


async def unsettled_first_responses(
    session: AsyncSession, limit: int
) -> list[tuple[int, datetime, datetime]]:
    """First responses whose office hours are not counted yet: (ticket, registered,
    answered), through the partial index that holds only them."""
    rows = await session.execute(
        select(Facts.c.ticket_id, Facts.c.created_at, Facts.c.first_response_at)
        .where(Facts.c.first_response_at.is_not(None), Facts.c.first_response_h.is_(None))
        .limit(limit)
    )
    return [(int(ticket), created, answered) for ticket, created, answered in rows]


async def settle_first_responses(session: AsyncSession, hours: dict[int, float]) -> None:
    if hours:
        await session.execute(
            update(Facts).where(Facts.c.ticket_id == bindparam("id")),
            [{"id": ticket, "first_response_h": h} for ticket, h in hours.items()],
        )


async def step_hours(
    session: AsyncSession, start: datetime, end: datetime
) -> dict[str, tuple[float, int]]:
    """Each step of STEP_TIMES: the average hours from registration, and how many cases
    registered in the period reached it."""
    columns = []
    for step in STEP_TIMES:
        hours = Facts.c[step.name + "_h"]
        columns += [func.avg(hours), func.count(hours)]
    row = (
        await session.execute(
            select(*columns).where(Facts.c.created_at >= start, Facts.c.created_at < end)
        )
    ).one()
    found: dict[str, tuple[float, int]] = {}
    for index, step in enumerate(STEP_TIMES):
        average, count = row[2 * index], row[2 * index + 1]
        if count:
            found[step.name] = (round(float(average), 1), int(count))
    return found


async def tickets_per_day(
    session: AsyncSession, start: datetime, end: datetime, offset_hours: int, zone: str
) -> dict[tuple[str, str], int]:
    day = local_day(Facts.c.created_at, literal(offset_hours), literal(zone))
    rows = await session.execute(
        select(day, Facts.c.kind, func.count())
        .where(Facts.c.created_at >= start, Facts.c.created_at < end)
        .group_by(day, Facts.c.kind)
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
    rows = await session.execute(
        select(
            Facts.c.technician_id,
            TechnicianRow.name,
            func.count(),
            func.count(
                case((and_(Facts.c.arrival_h.is_not(None), Facts.c.late_arrival.is_(False)), 1))
            ),
            func.count(case((Facts.c.came_back.is_(False), 1))),
            func.avg(Facts.c.rating),
            func.sum(Facts.c.complaints),
        )
        .join(TechnicianRow, TechnicianRow.user_id == Facts.c.technician_id)
        .where(Facts.c.completed_at >= start, Facts.c.completed_at < end)
        .group_by(Facts.c.technician_id, TechnicianRow.name)
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
    passed = Facts.c.breaches + Facts.c.escalations
    worst = (  # found in the index alone; only these few tickets are read
        select(Facts.c.ticket_id, passed.label("passed"), Facts.c.created_at)
        .where(Facts.c.created_at >= start, Facts.c.created_at < end, passed > 0)
        .order_by(passed.desc(), Facts.c.created_at)
        .limit(limit)
        .subquery()
    )
    rows = await session.execute(
        select(TicketRow.id, TicketRow.number, TicketRow.kind, TicketRow.status, worst.c.passed)
        .join(worst, worst.c.ticket_id == TicketRow.id)
        .order_by(worst.c.passed.desc(), worst.c.created_at)
    )
    return [
        WorstCase(ticket_id=i, number=number, kind=kind, status=status, limits_passed=int(n))
        for i, number, kind, status, n in rows
    ]


async def period_rows(session: AsyncSession, start: datetime, end: datetime) -> PeriodRows:
    """Every row of the period's export (dispatch.ports.PeriodRows), in number and time
    order: this is the one reading that returns rows, because the files hold them."""
    passed = Facts.c.breaches + Facts.c.escalations
    # Core, not the ORM: half a million plain rows need none of its identity work.
    connection = await session.connection()
    tickets = (
        await connection.execute(
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
            .join(Facts, Facts.c.ticket_id == TicketRow.id)
            .outerjoin(TechnicianRow, TechnicianRow.user_id == TicketRow.assigned_technician_id)
            .where(TicketRow.created_at >= start, TicketRow.created_at < end)
            .order_by(TicketRow.created_at, TicketRow.id)
        )
    ).all()
    # Two indexes alone give the moves (ix_events_kind_created_at_moves) and their
    # tickets' numbers and kinds (ix_tickets_id_kind_number); the people who made them
    # are named after, each once.
    in_period = (
        EventRow.kind == EventKind.STATUS,
        EventRow.created_at >= start,
        EventRow.created_at < end,
    )
    moves = (
        await connection.execute(
            select(
                TicketRow.number,
                TicketRow.kind,
                EventRow.from_status,
                EventRow.to_status,
                EventRow.created_at,
                EventRow.actor_id,
            )
            .join(TicketRow, TicketRow.id == EventRow.ticket_id)
            .where(*in_period)
            .order_by(EventRow.created_at, EventRow.id)
        )
    ).all()
    actors = select(EventRow.actor_id).where(*in_period)
    names = dict(
        (
            await connection.execute(
                select(UserRow.id, UserRow.display_name).where(UserRow.id.in_(actors))
            )
        )
        .tuples()
        .all()
    )
    steps = [(*move, names.get(actor)) for *move, actor in moves]
    surveys = (
        await connection.execute(
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
        steps=steps,
        surveys=[tuple(row) for row in surveys],
    )
