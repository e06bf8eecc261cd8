"""The monthly complaint report (投诉分析报告), due to the managers by the 5th.

Figures for one calendar month in the desk's time zone:
- complaints by topic and by severity, and repeat complainers (two or more);
- median hours from registration to verification, plan and close, with how many
  met the working-day limits (where those steps were recorded);
- the KPIs of SERVICE_RULES against their targets, counted as /stats counts them
  (dispatch.kpis); the month's charts and files follow the text.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from dispatch.clock import Clock
from dispatch.kpis import TARGETS, KpiCounts, Period, kpi_param
from dispatch.messages import N_, Lines, Month, Msg, Number, Outgoing, Param
from dispatch.model import Role, TicketKind
from dispatch.policy import DeskPolicy
from dispatch.ports import UnitOfWorkFactory
from dispatch.sla import SlaStep
from dispatch.staffroom import announce
from dispatch.stats import files_row
from dispatch.stats_port import MonthRecords, MonthTicket

__all__ = [
    "REPORT",
    "REPORT_DAY",
    "REPORT_HOUR",
    "TARGETS",
    "MonthlyFigures",
    "figures",
    "month_bounds",
    "render_params",
    "report_due",
    "send_monthly_report",
]

# SERVICE_RULES: the complaint analysis report is due by the 5th of the next month.
REPORT_DAY, REPORT_HOUR = 5, 9

TOPICS = {
    "product": N_("the product"),
    "visit": N_("a technician visit"),
    "attitude": N_("staff attitude"),
    "fees": N_("fees"),
    "other": N_("something else"),
}
SEVERITIES = {"serious": N_("serious"), "general": N_("general")}


@dataclass(frozen=True)
class MonthlyFigures:
    month: Month
    complaints: int
    by_topic: dict[str, int]
    by_severity: dict[str, int]
    repeat_complainers: int
    hours_to: dict[str, float | None]  # verified, planned, closed
    within_limit: dict[str, tuple[int, int]]  # step -> (met, reached)
    field_jobs: int
    planned_visits: tuple[int, int]  # maintenance visits booked in the month, and on time
    on_time: float | None
    satisfaction: float | None
    complaint_rate: float | None


def month_bounds(policy: DeskPolicy, year: int, month: int) -> tuple[datetime, datetime]:
    zone = policy.zone
    start = datetime(year, month, 1, tzinfo=zone)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=zone)
    return start, end


def _complaint_steps(
    policy: DeskPolicy, complaints: list[MonthTicket], reached: dict[int, dict[str, datetime]]
) -> tuple[dict[str, float | None], dict[str, tuple[int, int]]]:
    """Median hours to verification, plan and close, and how many met their limit."""
    hours: dict[str, float | None] = {}
    within: dict[str, tuple[int, int]] = {}
    for status, step in (
        ("verified", SlaStep.COMPLAINT_VERIFY),
        ("planned", SlaStep.COMPLAINT_PLAN),
        ("closed", None),
    ):
        spans = []
        met = 0
        for ticket in complaints:
            at = reached.get(ticket.id, {}).get(status)
            if at is None:
                continue
            spans.append((at - ticket.created_at).total_seconds() / 3600)
            if step is not None and at <= policy.due(ticket.created_at, step):
                met += 1
        hours[status] = round(statistics.median(spans), 1) if spans else None
        if step is not None:
            within[status] = (met, len(spans))
    return hours, within


def figures(
    policy: DeskPolicy,
    year: int,
    month: int,
    records: MonthRecords,
    counts: KpiCounts,
    planned: tuple[int, int] = (0, 0),
) -> MonthlyFigures:
    """The complaint analysis from the month's complaints, and the KPIs as /stats counts
    them (dispatch.kpis), so that both say the same of the same month."""
    tickets, reached = records.tickets, records.reached
    complaints = [ticket for ticket in tickets if ticket.kind is TicketKind.COMPLAINT]
    by_customer = Counter(ticket.customer_id for ticket in complaints)
    hours, within = _complaint_steps(policy, complaints, reached)
    return MonthlyFigures(
        month=Month(year, month),
        complaints=len(complaints),
        by_topic=dict(Counter(ticket.topic or "other" for ticket in complaints)),
        by_severity=dict(Counter(ticket.severity or "general" for ticket in complaints)),
        repeat_complainers=sum(1 for n in by_customer.values() if n >= 2),
        hours_to=hours,
        within_limit=within,
        field_jobs=counts.jobs_completed,
        planned_visits=planned,
        on_time=counts.on_time,
        satisfaction=counts.satisfaction,
        complaint_rate=counts.complaint_rate,
    )


def render_params(f: MonthlyFigures) -> dict[str, Param]:
    topics = Lines(
        tuple(
            Msg(N_("• {label}: {count}"), {"label": Msg(TOPICS.get(k, k)), "count": v})
            for k, v in sorted(f.by_topic.items())
        )
    )
    severity = Lines(
        tuple(
            Msg(N_("• {label}: {count}"), {"label": Msg(SEVERITIES.get(k, k)), "count": v})
            for k, v in sorted(f.by_severity.items())
        )
    )

    def hours(key: str) -> Param:
        value = f.hours_to.get(key)
        return Msg(N_("no data")) if value is None else Number(value)

    def met(key: str) -> Param:
        done, total = f.within_limit.get(key, (0, 0))
        return Msg(N_("{done} of {total}"), {"done": done, "total": total})

    return {
        "month": f.month,
        "complaints": f.complaints,
        "topics": topics if f.by_topic else Msg(N_("none")),
        "severity": severity if f.by_severity else Msg(N_("none")),
        "repeat": f.repeat_complainers,
        "verify_hours": hours("verified"),
        "verify_met": met("verified"),
        "plan_hours": hours("planned"),
        "plan_met": met("planned"),
        "close_hours": hours("closed"),
        "field_jobs": f.field_jobs,
        "planned_met": Msg(
            N_("{done} of {total}"),
            {"done": f.planned_visits[1], "total": f.planned_visits[0]},
        ),
        "on_time": kpi_param(f.on_time, TARGETS["on_time"]),
        "satisfaction": kpi_param(f.satisfaction, TARGETS["satisfaction"]),
        "complaint_rate": kpi_param(
            f.complaint_rate, TARGETS["complaint_rate"], lower_is_better=True
        ),
    }


REPORT = N_(
    "📊 Complaint report for {month}\n"
    "Complaints: {complaints}\nBy topic:\n{topics}\nBy severity:\n{severity}\n"
    "Repeat complainers: {repeat}\n"
    "Hours to verification: {verify_hours} (within limit: {verify_met})\n"
    "Hours to a plan: {plan_hours} (within limit: {plan_met})\n"
    "Hours to close: {close_hours}\n\n"
    "Field jobs: {field_jobs}\nPlanned maintenance visits on time: {planned_met}\n"
    "On-time rate: {on_time}\nSatisfaction: {satisfaction}\n"
    "Complaint rate attributable to service: {complaint_rate}"
)


def report_due(policy: DeskPolicy, now: datetime) -> tuple[int, int] | None:
    """The (year, month) whose report is due from 09:00 on the 5th of the month after."""
    local = now.astimezone(policy.zone)
    if local.day < REPORT_DAY or (local.day == REPORT_DAY and local.hour < REPORT_HOUR):
        return None
    return (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)


async def send_monthly_report(
    uow_factory: UnitOfWorkFactory, clock: Clock, policy: DeskPolicy, *, known_sent: str | None
) -> tuple[str | None, bool]:
    """Last month's report to every manager, once; runs with the sweep, so a desk that
    was down on the 5th sends it when it is back. A month the desk did not run (it
    opened after) has nothing to report.

    Returns the report's key once it is known sent (to pass back as ``known_sent``,
    sparing the lookup) and whether this call sent it.
    """
    now = clock.now()
    due = report_due(policy, now)
    if due is None:
        return known_sent, False
    year, month = due
    key = f"monthly:{year:04d}-{month:02d}:"
    if known_sent == key:
        return key, False
    start, end = month_bounds(policy, year, month)
    uow = uow_factory()
    async with uow:
        if await uow.stats.sent(key):  # by this process before a restart, or another one
            return key, False
        opened = await uow.stats.opened_at()
        if opened is None or opened >= end:
            return key, False
        records = await uow.stats.month(start.astimezone(UTC), end.astimezone(UTC))
        counts = await uow.stats.kpi_counts(start, end)
        planned = await uow.stats.planned_visits(start.date(), end.date())
        params = render_params(figures(policy, year, month, records, counts, planned))
        await announce(uow, policy, "desk:reports", REPORT, params, now, dedup_key=key)
        period = Period(start, end)
        for manager in await uow.users.with_role(Role.MANAGER):
            await uow.outbox.add(
                Outgoing(
                    user_id=manager.id, text=REPORT, params=params, dedup_key=f"{key}{manager.id}"
                ),
                at=now,
            )
            # The month's charts and files follow the text (made when they are sent).
            for what in ("charts", "export"):
                row = files_row(manager.id, what, "last_month", period, now)
                await uow.outbox.add(replace(row, dedup_key=f"{key}{what}:{manager.id}"), at=now)
        await uow.commit()
    return key, True
