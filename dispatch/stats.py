"""/stats: the desk's KPIs (dispatch.kpis) for the period a manager picks, beside the
period before it, with the time each step takes, the technicians' table and the worst
cases of the period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from dispatch.calendar import WorkCalendar
from dispatch.clock import Clock
from dispatch.errors import InvalidInput
from dispatch.intake import limit_text
from dispatch.kpis import (
    STEP_TIMES,
    TARGETS,
    KpiCounts,
    Period,
    PeriodDetail,
    TechnicianFigures,
    WorstCase,
    kpi_param,
    percent_param,
    period_named,
)
from dispatch.labels import kind_label, status_label
from dispatch.messages import N_, Day, Lines, Month, Msg, Number, Outgoing, Param
from dispatch.model import TicketKind
from dispatch.policy import DeskPolicy
from dispatch.ports import UnitOfWork
from dispatch.sla import SlaStep
from dispatch.stats_port import PeriodRows
from dispatch.users import as_manager

__all__ = [
    "MAX_RANGE_DAYS",
    "STATS",
    "TECHNICIANS",
    "DeskStats",
    "desk_stats",
    "files_row",
    "period_between",
    "period_of",
    "period_rows",
    "period_stats",
    "period_title",
    "request_files",
    "settle_first_responses",
    "stats_params",
    "technician_params",
    "worst_label",
]

MAX_RANGE_DAYS = 366

STATS = N_(
    "📊 {period}\n"
    "Cases closed: {closed}\n"
    "On-time rate: {on_time}\n"
    "   the period before: {on_time_before}\n"
    "Satisfaction: {satisfaction}\n"
    "   the period before: {satisfaction_before}\n"
    "   surveys answered: {answered} of {sent} sent ({response})\n"
    "Complaint rate attributable to service: {complaint_rate}\n"
    "   the period before: {complaint_rate_before}\n"
    "   complaints about the service: {complaints}; field jobs completed: {jobs}\n"
    "\n"
    "⏱ Average time from registration:\n"
    "{steps}"
)
TECHNICIANS = N_("👷 Technicians, {period}:\n{rows}")


@dataclass(frozen=True)
class DeskStats:
    name: str  # week, month, last_month, or range
    period: Period
    counts: KpiCounts
    before: KpiCounts
    detail: PeriodDetail


def period_between(first: date, last: date, policy: DeskPolicy) -> Period:
    """The days from ``first`` to ``last``, both included, in the desk's zone."""
    if last < first:
        raise InvalidInput(N_("The second day is before the first. Please give them in order."))
    if (last - first).days >= MAX_RANGE_DAYS:
        raise InvalidInput(N_("Please choose at most a year at a time."))
    start = datetime.combine(first, time(), tzinfo=policy.zone)
    end = datetime.combine(last + timedelta(days=1), time(), tzinfo=policy.zone)
    return Period(start, end)


SETTLE_BATCH = 1000


async def settle_first_responses(uow: UnitOfWork, calendar: WorkCalendar) -> int:
    """Count the office hours of the first responses given since the last reading (the
    calendar's holidays and company days live in Python, not in the database); run
    before the figures are read. Returns how many were counted."""
    settled = 0
    while True:
        async with uow:
            pending = await uow.stats.unsettled_first_responses(SETTLE_BATCH)
            if not pending:
                return settled
            await uow.stats.settle_first_responses(
                {
                    ticket: round(calendar.working_hours(registered, answered), 3)
                    for ticket, registered, answered in pending
                }
            )
            await uow.commit()
        settled += len(pending)


async def desk_stats(
    uow: UnitOfWork,
    clock: Clock,
    policy: DeskPolicy,
    *,
    manager_id: int,
    name: str,
    period: Period | None = None,
) -> DeskStats:
    """The figures of this week, this month, last month or a given ``period``, and the
    counts of the period before."""
    period = period or period_named(name, clock.now(), policy.zone)
    await settle_first_responses(uow, policy.work_calendar)
    async with uow:
        await as_manager(uow, manager_id, to="see the desk's figures")
        return await _read(uow, policy, name, period)


async def period_stats(
    uow: UnitOfWork, policy: DeskPolicy, *, name: str, period: Period
) -> DeskStats:
    """The same figures for the desk itself (the charts and files a manager asked for,
    the monthly report), read when they are sent."""
    await settle_first_responses(uow, policy.work_calendar)
    async with uow:
        return await _read(uow, policy, name, period)


async def _read(uow: UnitOfWork, policy: DeskPolicy, name: str, period: Period) -> DeskStats:
    earlier = period.before()
    offset = period.start.utcoffset() or timedelta()
    counts = await uow.stats.kpi_counts(period.start, period.end)
    before = await uow.stats.kpi_counts(earlier.start, earlier.end)
    detail = await uow.stats.figures(
        period.start, period.end, int(offset.total_seconds() // 3600), policy.zone.key
    )
    return DeskStats(name=name, period=period, counts=counts, before=before, detail=detail)


async def period_rows(uow: UnitOfWork, period: Period) -> PeriodRows:
    async with uow:
        return await uow.stats.rows(period.start, period.end)


def files_row(user_id: int, what: str, name: str, period: Period, at: datetime) -> Outgoing:
    """An outbox row that becomes the period's charts (``what`` "charts") or its files
    ("export") when it is sent: made then, so a slow rendering holds up no update, and
    retried like any message. Asked twice within a minute, it is made once."""
    return Outgoing(
        user_id=user_id,
        text="",
        kind=what,
        params={"name": name, "start": period.start.isoformat(), "end": period.end.isoformat()},
        dedup_key=f"{what}:{user_id}:{period.start.isoformat()}:{period.end.isoformat()}:"
        + at.strftime("%Y%m%d%H%M"),
    )


def period_of(params: dict[str, Any]) -> tuple[str, Period]:
    """The period a files row was written for (see :func:`files_row`)."""
    return str(params["name"]), Period(
        datetime.fromisoformat(str(params["start"])), datetime.fromisoformat(str(params["end"]))
    )


async def request_files(
    uow: UnitOfWork, clock: Clock, *, manager_id: int, what: str, name: str, period: Period
) -> None:
    """A manager asked for a period's charts or files: they are made and sent shortly."""
    now = clock.now()
    async with uow:
        await as_manager(uow, manager_id, to="see the desk's figures")
        await uow.outbox.add(files_row(manager_id, what, name, period, now), at=now)
        await uow.commit()


def period_title(stats: DeskStats) -> Param:
    start = stats.period.start
    if stats.name == "week":
        return Msg(N_("the week from {day}"), {"day": Day(start.date())})
    if stats.name == "range":
        last = (stats.period.end - timedelta(days=1)).date()
        return Msg(N_("{first} to {last}"), {"first": Day(start.date()), "last": Day(last)})
    return Month(start.year, start.month)


def _limit(step: SlaStep | None, policy: DeskPolicy) -> Param:
    if step is None or step not in policy.sla:
        return Msg(N_("no limit"))
    return Msg(N_("limit {limit}"), {"limit": limit_text(policy.sla[step])})


def _hours_param(hours: float | None) -> Param:
    return Msg(N_("no data")) if hours is None else Number(hours)


def _time_line(text: str, hours: float | None, cases: int, before: float | None) -> tuple[Msg, ...]:
    if hours is None:
        return ()
    params: dict[str, Param] = {
        "hours": Number(hours),
        "cases": cases,
        "before": _hours_param(before),
    }
    return (Msg(text, params),)


def _response_line(now: KpiCounts, before: KpiCounts) -> tuple[Msg, ...]:
    text = N_(
        "• First response by a person: {hours} office hours over {cases} "
        "(the period before: {before})"
    )
    return _time_line(
        text, now.first_response_hours, now.first_responses, before.first_response_hours
    )


def _resolution_line(now: KpiCounts, before: KpiCounts) -> tuple[Msg, ...]:
    text = N_(
        "• Resolved: {hours} h over {cases}, time waiting for the customer left out "
        "(the period before: {before})"
    )
    return _time_line(text, now.resolution_hours, now.closed, before.resolution_hours)


def stats_params(stats: DeskStats, policy: DeskPolicy) -> dict[str, Param]:
    now, before = stats.counts, stats.before
    steps = (
        *_response_line(now, before),
        *(
            Msg(
                N_("• {step}: {hours} h over {cases} ({limit})"),
                {
                    "step": Msg(step.label),
                    "hours": Number(stats.detail.step_hours[step.name][0]),
                    "cases": stats.detail.step_hours[step.name][1],
                    "limit": _limit(step.limit, policy),
                },
            )
            for step in STEP_TIMES
            if step.name in stats.detail.step_hours
        ),
        *_resolution_line(now, before),
    )
    return {
        "period": period_title(stats),
        "closed": now.closed,
        "on_time": kpi_param(now.on_time, TARGETS["on_time"]),
        "on_time_before": percent_param(before.on_time),
        "satisfaction": kpi_param(now.satisfaction, TARGETS["satisfaction"]),
        "satisfaction_before": percent_param(before.satisfaction),
        "answered": now.surveys_answered,
        "sent": now.surveys_sent,
        "response": percent_param(now.response_rate),
        "complaint_rate": kpi_param(
            now.complaint_rate, TARGETS["complaint_rate"], lower_is_better=True
        ),
        "complaint_rate_before": percent_param(before.complaint_rate),
        "complaints": now.service_complaints,
        "jobs": now.jobs_completed,
        "steps": Lines(steps) if steps else Msg(N_("none yet")),
    }


def _row(figures: TechnicianFigures) -> Msg:
    return Msg(
        N_(
            "• {name}: jobs {jobs} · on time {on_time} · fixed first time {fixed} · "
            "rating {rating} · complaints {complaints}"
        ),
        {
            "name": figures.name,
            "jobs": figures.jobs,
            "on_time": percent_param(figures.on_time),
            "fixed": percent_param(figures.first_time_fix),
            "rating": Msg(N_("none")) if figures.rating is None else Number(figures.rating),
            "complaints": figures.complaints,
        },
    )


def technician_params(stats: DeskStats, name: str = "") -> dict[str, Param]:
    """The technicians' table, most jobs first; with ``name``, only those whose name
    holds it."""
    wanted = name.strip().casefold()
    rows = sorted(
        (f for f in stats.detail.technicians if wanted in f.name.casefold()),
        key=lambda f: (-f.jobs, f.name),
    )
    return {
        "period": period_title(stats),
        "rows": Lines(tuple(_row(f) for f in rows))
        if rows
        else Msg(N_("No field job was completed in this period.")),
    }


def worst_label(case: WorstCase) -> Msg:
    """A worst case's button: its number, kind, status and how many limits it passed."""
    kind = TicketKind(case.kind)
    return Msg(
        N_("🔴 {number} · {kind} · {status} · limits passed: {passed}"),
        {
            "number": case.number,
            "kind": Msg(kind_label(kind)),
            "status": Msg(status_label(kind, case.status)),
            "passed": case.limits_passed,
        },
    )
