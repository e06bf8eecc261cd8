"""/stats: the desk's KPIs (dispatch.kpis) for the period a manager picks, beside the
period before it."""

from __future__ import annotations

from dataclasses import dataclass

from dispatch.clock import Clock
from dispatch.kpis import TARGETS, KpiCounts, Period, kpi_param, percent_param, period_named
from dispatch.messages import N_, Day, Month, Msg, Param
from dispatch.policy import DeskPolicy
from dispatch.ports import UnitOfWork
from dispatch.users import as_manager

__all__ = ["STATS", "DeskStats", "desk_stats", "stats_params"]

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
    "   complaints about the service: {complaints}; field jobs completed: {jobs}"
)


@dataclass(frozen=True)
class DeskStats:
    name: str  # week, month, last_month
    period: Period
    counts: KpiCounts
    before: KpiCounts


async def desk_stats(
    uow: UnitOfWork, clock: Clock, policy: DeskPolicy, *, manager_id: int, name: str
) -> DeskStats:
    """The KPIs of this week, this month or last month, and of the period before."""
    period = period_named(name, clock.now(), policy.zone)
    earlier = period.before()
    async with uow:
        await as_manager(uow, manager_id, to="see the desk's figures")
        counts = await uow.stats.kpi_counts(period.start, period.end)
        before = await uow.stats.kpi_counts(earlier.start, earlier.end)
    return DeskStats(name=name, period=period, counts=counts, before=before)


def stats_params(stats: DeskStats) -> dict[str, Param]:
    start = stats.period.start
    title: Param = (
        Msg(N_("the week from {day}"), {"day": Day(start.date())})
        if stats.name == "week"
        else Month(start.year, start.month)
    )
    now, before = stats.counts, stats.before
    return {
        "period": title,
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
    }
