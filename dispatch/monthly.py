"""The monthly complaint report (投诉分析报告), due to the managers by the 5th.

Figures for one calendar month in the desk's time zone:
- complaints by topic and by severity, and repeat complainers (two or more);
- median hours from registration to verification, plan and close, with how many
  met the working-day limits (where those steps were recorded);
- the KPIs of SERVICE_RULES against their targets: on-time rate (field jobs on
  site within their limit) >= 90 %, satisfaction (answered follow-ups averaging 4
  or more) >= 85 %, complaint rate attributable to service (complaints about a
  visit, attitude or fees, per field job) < 3 %.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dispatch.messages import N_, Lines, Msg, Param
from dispatch.model import TicketKind
from dispatch.policy import DeskPolicy

__all__ = ["REPORT", "TARGETS", "MonthlyFigures", "figures", "month_bounds", "render_params"]

TARGETS = {"on_time": 90.0, "satisfaction": 85.0, "complaint_rate": 3.0}
SERVICE_TOPICS = {"visit", "attitude", "fees"}
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
    month: str  # YYYY-MM
    complaints: int
    by_topic: dict[str, int]
    by_severity: dict[str, int]
    repeat_complainers: int
    hours_to: dict[str, float | None]  # verified, planned, closed
    within_limit: dict[str, tuple[int, int]]  # step -> (met, reached)
    field_jobs: int
    on_time: float | None
    satisfaction: float | None
    complaint_rate: float | None


def month_bounds(policy: DeskPolicy, year: int, month: int) -> tuple[datetime, datetime]:
    zone = policy.zone
    start = datetime(year, month, 1, tzinfo=zone)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=zone)
    return start, end


def figures(
    policy: DeskPolicy,
    year: int,
    month: int,
    tickets: list[dict[str, Any]],
    reached: dict[int, dict[str, datetime]],
    surveys: list[tuple[int, int, int]],
) -> MonthlyFigures:
    complaints = [ticket for ticket in tickets if ticket["kind"] == TicketKind.COMPLAINT.value]
    field = [
        ticket
        for ticket in tickets
        if ticket["kind"] in (TicketKind.REPAIR.value, TicketKind.INSTALLATION.value)
    ]
    by_customer = Counter(ticket["customer_id"] for ticket in complaints)
    hours: dict[str, float | None] = {}
    within: dict[str, tuple[int, int]] = {}
    for status, step in (
        ("verified", "complaint_verify"),
        ("planned", "complaint_plan"),
        ("closed", None),
    ):
        spans = []
        met = 0
        for ticket in complaints:
            at = reached.get(ticket["id"], {}).get(status)
            if at is None:
                continue
            spans.append((at - ticket["created_at"]).total_seconds() / 3600)
            if step is not None and at <= policy.due(ticket["created_at"], step):
                met += 1
        hours[status] = round(statistics.median(spans), 1) if spans else None
        if step is not None:
            within[status] = (met, len(spans))
    arrived = [
        ticket
        for ticket in field
        if ticket["arrive_due_at"] is not None
        and reached.get(ticket["id"], {}).get("on_site") is not None
    ]
    on_time_jobs = [
        ticket for ticket in arrived if reached[ticket["id"]]["on_site"] <= ticket["arrive_due_at"]
    ]
    due_jobs = [ticket for ticket in field if ticket["arrive_due_at"] is not None]
    satisfied = [s for s in surveys if sum(s) / 3 >= 4]
    service = [
        ticket for ticket in complaints if (ticket["details"] or {}).get("topic") in SERVICE_TOPICS
    ]
    return MonthlyFigures(
        month=f"{year:04d}-{month:02d}",
        complaints=len(complaints),
        by_topic=dict(
            Counter((ticket["details"] or {}).get("topic", "other") for ticket in complaints)
        ),
        by_severity=dict(
            Counter((ticket["details"] or {}).get("severity", "general") for ticket in complaints)
        ),
        repeat_complainers=sum(1 for n in by_customer.values() if n >= 2),
        hours_to=hours,
        within_limit=within,
        field_jobs=len(field),
        on_time=round(100 * len(on_time_jobs) / len(due_jobs), 1) if due_jobs else None,
        satisfaction=round(100 * len(satisfied) / len(surveys), 1) if surveys else None,
        complaint_rate=round(100 * len(service) / len(field), 1) if field else None,
    )


def _kpi(value: float | None, target: float, lower_is_better: bool = False) -> Param:
    if value is None:
        return Msg(N_("no data"))
    met = value < target if lower_is_better else value >= target
    return Msg(
        N_("{value} % (target {target} %) ✅") if met else N_("{value} % (target {target} %) ❌"),
        {"value": f"{value:g}", "target": f"{target:g}"},
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
        return Msg(N_("no data")) if value is None else f"{value:g}"

    def met(key: str) -> Param:
        done, total = f.within_limit.get(key, (0, 0))
        return f"{done}/{total}"

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
        "on_time": _kpi(f.on_time, TARGETS["on_time"]),
        "satisfaction": _kpi(f.satisfaction, TARGETS["satisfaction"]),
        "complaint_rate": _kpi(f.complaint_rate, TARGETS["complaint_rate"], lower_is_better=True),
    }


REPORT = N_(
    "📊 Complaint report for {month}\n"
    "Complaints: {complaints}\nBy topic:\n{topics}\nBy severity:\n{severity}\n"
    "Repeat complainers: {repeat}\n"
    "Hours to verification: {verify_hours} (within limit: {verify_met})\n"
    "Hours to a plan: {plan_hours} (within limit: {plan_met})\n"
    "Hours to close: {close_hours}\n\n"
    "Field jobs: {field_jobs}\nOn-time rate: {on_time}\nSatisfaction: {satisfaction}\n"
    "Complaint rate attributable to service: {complaint_rate}"
)
