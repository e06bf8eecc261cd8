"""The desk's KPIs: how each is counted, for any period, against SERVICE_RULES' targets.

The counting happens in the database (``StatsRepository.kpi_counts``: aggregate queries
over the period's rows, never the tickets loaded into Python); this module says what is
counted, turns counts into rates, and picks the periods a manager asks for.

- **SLA on-time rate**: cases closed in the period with no time limit missed, over all
  cases closed in the period (every kind has a limit from its registration). A missed
  step fails the case even if later steps were met: a case fails when any of its limits
  reached the breach level (an ``sla.level2`` event), the follow-up survey excepted.
  Target: at least 90 %.
- **Satisfaction (CSAT)**: surveys answered in the period whose every rating is 4 or 5,
  over the surveys answered in the period; shown with the **response rate**, surveys
  answered over surveys sent in the period. Target: at least 85 %.
- **Complaint rate**: complaints registered in the period whose recorded cause is the
  service (the technician or the service process, set when the complaint is classified),
  over field jobs (repairs and installations) completed in the period. Target: under 3 %.
- **First response time**: for the cases registered in the period, from registration
  to the first time a person of the desk answered the customer, in office hours on
  working days (WorkCalendar.working_hours), averaged. A person answered when a manager
  or technician replied (``staff.reply``), planned the visit with the customer, or moved
  the case on (every such move tells the customer); what the desk sends by itself (the
  acknowledgement with the ticket number, offers, progress messages, reminders) has no
  person behind it and does not count. The working hours are settled in Python (the
  calendar's holidays are not in the database) just before the figures are read.
- **Resolution time**: for the cases closed in the period (not cancelled), hours from
  registration to closing on the clock, less the time the case waited for the customer
  (dispatch.states.WAITING_FOR_CUSTOMER: a signature, goods coming back, whether an
  answered question is asked again), averaged.
- **Time to each step** (STEP_TIMES), for the cases registered in the period that reached
  it: from registration to the first move that completes the step, in hours on the
  clock, averaged (dispatch: to a technician's acceptance; arrival: on site; repair: to
  the signed record; a question's first reply and full answer; a complaint's
  verification and plan; a return's decision). Shown beside the step's limit.
- **Per technician**, over the field jobs each completed in the period: jobs; on-time
  check-ins (on site without passing the job's arrival limit); first-time fixes (no repair for the
  same customer registered within 30 days after completion); the average of the follow-up
  survey's three ratings; complaints that name one of their jobs.
- **The worst cases** of the period: cases registered in it with the most limits passed
  (breaches and escalations), then the longest open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dispatch.messages import N_, Msg, Number, Param
from dispatch.model import EventKind
from dispatch.sla import SlaStep

__all__ = [
    "FIELD",
    "FIRST_RESPONSE_EVENTS",
    "FIRST_TIME_FIX_DAYS",
    "PERIODS",
    "SERVICE_CAUSES",
    "STEP_TIMES",
    "TARGETS",
    "KpiCounts",
    "Period",
    "PeriodDetail",
    "StepTime",
    "TechnicianFigures",
    "WorstCase",
    "kpi_param",
    "percent_param",
    "period_named",
    "rate",
]

# SERVICE_RULES, "Targets": on-time and satisfaction at least, complaint rate under.
TARGETS = {"on_time": 90.0, "satisfaction": 85.0, "complaint_rate": 3.0}
SERVICE_CAUSES = ("technician", "process")
PERIODS = ("week", "month", "last_month")
FIRST_TIME_FIX_DAYS = 30
FIELD = ("repair", "installation", "maintenance")
# The events that answer the customer when a person of the desk writes them.
FIRST_RESPONSE_EVENTS = (EventKind.STATUS, EventKind.STAFF_REPLY, EventKind.VISIT_PLANNED)


@dataclass(frozen=True)
class StepTime:
    """A step timed from registration to the first move into one of ``reached``; its
    limit is ``limit`` of the SLA table (None: the step has no limit of its own)."""

    name: str
    label: str  # msgid
    kinds: tuple[str, ...]
    reached: tuple[str, ...]
    limit: SlaStep | None


STEP_TIMES: tuple[StepTime, ...] = (
    StepTime("dispatch", N_("Dispatch"), FIELD, ("assigned",), SlaStep.REPAIR_DISPATCH),
    StepTime("arrival", N_("On site"), FIELD, ("on_site",), SlaStep.REPAIR_ON_SITE),
    StepTime("repair", N_("Repair signed"), FIELD, ("signed",), None),
    StepTime(
        "first_reply",
        N_("First reply to a question"),
        ("consultation",),
        ("responded", "answered"),
        SlaStep.CONSULTATION_FIRST_RESPONSE,
    ),
    StepTime(
        "answer",
        N_("Full answer to a question"),
        ("consultation",),
        ("answered",),
        SlaStep.CONSULTATION_ANSWER,
    ),
    StepTime(
        "verify",
        N_("Complaint verified"),
        ("complaint",),
        ("verified",),
        SlaStep.COMPLAINT_VERIFY,
    ),
    StepTime("plan", N_("Complaint plan"), ("complaint",), ("planned",), SlaStep.COMPLAINT_PLAN),
    StepTime(
        "review",
        N_("Return decided"),
        ("return",),
        ("approved", "rejected"),
        SlaStep.RETURN_REVIEW,
    ),
)


@dataclass(frozen=True)
class Period:
    """From ``start`` (included) to ``end`` (excluded), both aware."""

    start: datetime
    end: datetime

    def before(self) -> Period:
        """The period just before, of the same kind: the previous calendar month for a
        month, the same length of time otherwise."""
        start = self.start
        if start.day == 1 and self.end == _next_month(start):
            earlier = (start - timedelta(days=1)).replace(day=1)
            return Period(earlier, start)
        return Period(start - (self.end - start), start)


def _next_month(day: datetime) -> datetime:
    return day.replace(year=day.year + (day.month == 12), month=day.month % 12 + 1, day=1)


def period_named(name: str, now: datetime, zone: ZoneInfo) -> Period:
    """``week``: this week from Monday; ``month``: this calendar month; ``last_month``:
    the one before. This week and this month run to the end of their span, so that the
    period before compares like with like."""
    local = now.astimezone(zone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if name == "week":
        monday = midnight - timedelta(days=local.weekday())
        return Period(monday, monday + timedelta(days=7))
    first = midnight.replace(day=1)
    if name == "month":
        return Period(first, _next_month(first))
    if name == "last_month":
        return Period(first, _next_month(first)).before()
    raise ValueError(f"unknown period {name!r}")


@dataclass(frozen=True)
class KpiCounts:
    """What the database counted for one period."""

    closed: int  # cases closed in the period
    closed_on_time: int  # of which no limit was missed
    surveys_sent: int
    surveys_answered: int
    surveys_satisfied: int  # every rating 4 or 5
    jobs_completed: int  # repairs and installations completed
    service_complaints: int  # complaints whose cause is the service
    # Registered in the period and answered by a person: how many, their average
    # working hours to that answer.
    first_responses: int = 0
    first_response_hours: float | None = None
    # Closed in the period: their average hours to closing, waiting for the customer left out.
    resolution_hours: float | None = None

    @property
    def on_time(self) -> float | None:
        return rate(self.closed_on_time, self.closed)

    @property
    def satisfaction(self) -> float | None:
        return rate(self.surveys_satisfied, self.surveys_answered)

    @property
    def response_rate(self) -> float | None:
        return rate(self.surveys_answered, self.surveys_sent)

    @property
    def complaint_rate(self) -> float | None:
        return rate(self.service_complaints, self.jobs_completed)


@dataclass(frozen=True)
class TechnicianFigures:
    technician_id: int
    name: str
    jobs: int
    on_time_checkins: int
    first_time_fixes: int
    rating: float | None  # the average of the surveys' three ratings, 1 to 5
    complaints: int

    @property
    def on_time(self) -> float | None:
        return rate(self.on_time_checkins, self.jobs)

    @property
    def first_time_fix(self) -> float | None:
        return rate(self.first_time_fixes, self.jobs)


@dataclass(frozen=True)
class WorstCase:
    ticket_id: int
    number: str
    kind: str
    status: str
    limits_passed: int


@dataclass(frozen=True)
class PeriodDetail:
    """What the charts and the tables show of one period, beside its KPI counts."""

    step_hours: dict[str, tuple[float, int]]  # step name -> (average hours, cases)
    per_day: dict[tuple[str, str], int]  # (local day ISO, kind) -> tickets registered
    causes: dict[str, int]  # complaint cause -> complaints registered
    technicians: list[TechnicianFigures]
    worst: list[WorstCase]


def rate(part: int, whole: int) -> float | None:
    """A percentage with one decimal; None when there is nothing to count."""
    return round(100 * part / whole, 1) if whole else None


def kpi_param(value: float | None, target: float, lower_is_better: bool = False) -> Param:
    """A KPI against its target, marked met or not (``no data`` with nothing counted)."""
    if value is None:
        return Msg(N_("no data"))
    met = value < target if lower_is_better else value >= target
    return Msg(
        N_("{value} % (target {target} %) ✅") if met else N_("{value} % (target {target} %) ❌"),
        {"value": Number(value), "target": Number(target)},
    )


def percent_param(value: float | None) -> Param:
    if value is None:
        return Msg(N_("no data"))
    return Msg(N_("{value} %"), {"value": Number(value)})
