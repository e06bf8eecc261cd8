"""The SLA table: every time limit of SERVICE_RULES, in one place, with its default.

Limits run either round the clock (``h`` / ``min``) or in working days (``wd``)
of the operator's calendar. The config's ``[sla]`` section overrides any entry
by name; an unknown name or a malformed / non-positive limit stops start-up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from dispatch.model import Deadline

__all__ = [
    "BREACH",
    "ESCALATION",
    "SLA_DEFAULTS",
    "STARTS",
    "STEPS",
    "WARNING",
    "WARN_FRACTION",
    "Limit",
    "SlaStep",
    "Step",
    "Unit",
    "parse_limit",
]


class SlaStep(StrEnum):
    """Every time limit of SERVICE_RULES by its name (the config's ``[sla]`` keys), and
    the follow-up survey, which rides the same sweep."""

    CONSULTATION_FIRST_RESPONSE = "consultation_first_response"
    CONSULTATION_ANSWER = "consultation_answer"
    REPAIR_DISPATCH = "repair_dispatch"
    REPAIR_ON_SITE = "repair_on_site"
    REPAIR_ON_SITE_PRIORITY = "repair_on_site_priority"
    REPAIR_REMOTE_ANSWER = "repair_remote_answer"
    APPLICATION_CONFIRM = "application_confirm"
    APPLICATION_START = "application_start"
    RETURNED_GOODS_REPAIR = "returned_goods_repair"
    RETURN_REVIEW = "return_review"
    RETURN_REFUND = "return_refund"
    COMPLAINT_FORWARD = "complaint_forward"
    COMPLAINT_VERIFY = "complaint_verify"
    COMPLAINT_PLAN = "complaint_plan"
    COMPLAINT_PROGRESS = "complaint_progress"
    COMPLAINT_REPLY = "complaint_reply"
    QUALITY_INVESTIGATION = "quality_investigation"
    PART_REQUEST = "part_request"
    SURVEY = "survey"


class Unit(StrEnum):
    MINUTES = "min"
    HOURS = "h"
    WORKING_DAYS = "wd"


@dataclass(frozen=True)
class Limit:
    amount: float
    unit: Unit

    @property
    def round_the_clock(self) -> timedelta | None:
        """The limit as a plain duration, or None when it counts working days."""
        if self.unit is Unit.MINUTES:
            return timedelta(minutes=self.amount)
        if self.unit is Unit.HOURS:
            return timedelta(hours=self.amount)
        return None

    def __str__(self) -> str:
        amount = int(self.amount) if self.amount == int(self.amount) else self.amount
        return f"{amount}{self.unit.value}"


_LIMIT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(min|h|wd)\s*$")


def parse_limit(text: str) -> Limit:
    """Parse ``"1h"``, ``"30min"`` or ``"2wd"``; raise ValueError saying what is wrong."""
    if text.strip().startswith("-"):
        raise ValueError(f"{text!r} is negative; a time limit must be positive")
    match = _LIMIT.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a time limit like '1h', '30min' or '2wd'")
    amount = float(match.group(1))
    if amount <= 0:
        raise ValueError(f"{text!r} must be positive")
    return Limit(amount, Unit(match.group(2)))


# Source of each number: shared/domain/SERVICE_RULES.md, "Time limits".
SLA_DEFAULTS: dict[str, Limit] = {
    SlaStep.CONSULTATION_FIRST_RESPONSE: Limit(1, Unit.HOURS),
    SlaStep.CONSULTATION_ANSWER: Limit(24, Unit.HOURS),
    SlaStep.REPAIR_DISPATCH: Limit(1, Unit.HOURS),
    SlaStep.REPAIR_ON_SITE: Limit(24, Unit.HOURS),
    SlaStep.REPAIR_ON_SITE_PRIORITY: Limit(12, Unit.HOURS),
    SlaStep.REPAIR_REMOTE_ANSWER: Limit(12, Unit.HOURS),
    SlaStep.APPLICATION_CONFIRM: Limit(2, Unit.WORKING_DAYS),
    SlaStep.APPLICATION_START: Limit(3, Unit.WORKING_DAYS),
    SlaStep.RETURNED_GOODS_REPAIR: Limit(5, Unit.WORKING_DAYS),
    SlaStep.RETURN_REVIEW: Limit(1, Unit.WORKING_DAYS),
    SlaStep.RETURN_REFUND: Limit(3, Unit.WORKING_DAYS),
    SlaStep.COMPLAINT_FORWARD: Limit(1, Unit.WORKING_DAYS),
    SlaStep.COMPLAINT_VERIFY: Limit(2, Unit.WORKING_DAYS),
    SlaStep.COMPLAINT_PLAN: Limit(3, Unit.WORKING_DAYS),
    SlaStep.COMPLAINT_PROGRESS: Limit(24, Unit.HOURS),
    SlaStep.COMPLAINT_REPLY: Limit(2, Unit.WORKING_DAYS),
    SlaStep.QUALITY_INVESTIGATION: Limit(3, Unit.WORKING_DAYS),
    # Not in the manuals as a number (000 §1.5 asks that common parts never run short):
    # the desk's own default for getting a missing part to the technician.
    SlaStep.PART_REQUEST: Limit(2, Unit.WORKING_DAYS),
}

# A warning goes out when this share of a limit has elapsed.
WARN_FRACTION = 0.8


# -- which step runs on which deadline column, and what stops it ----------------------
# Levels of an alert: a warning at WARN_FRACTION of the limit, the breach at the limit,
# the escalation a configurable time after. Who hears each (see dispatch.sweep):
# the assigned technician (else the managers), then the managers, then the directors.
WARNING, BREACH, ESCALATION = 1, 2, 3

_FIELD_DONE = frozenset({"on_site", "completed", "disputed", "signed", "closed", "cancelled"})
_DISPATCHED = frozenset({"assigned", "en_route", "waiting_part"}) | _FIELD_DONE
# The on-site clock stands still while the job waits for a part (dispatch.part_requests).
_ARRIVED_OR_PAUSED = _FIELD_DONE | {"waiting_part"}
_PART_HERE = _DISPATCHED - {"waiting_part"} | {"new", "offered"}


@dataclass(frozen=True)
class Step:
    column: Deadline  # the ticket deadline it runs on
    stops: frozenset[str]  # statuses in which it is met (or moot)
    repeats: bool = False  # complaint progress: due again every period until closed


_D = Deadline
STEPS: dict[str, Step] = {
    SlaStep.REPAIR_DISPATCH: Step(_D.DISPATCH, _DISPATCHED),
    SlaStep.REPAIR_ON_SITE: Step(_D.ARRIVE, _ARRIVED_OR_PAUSED),
    SlaStep.REPAIR_ON_SITE_PRIORITY: Step(_D.ARRIVE, _ARRIVED_OR_PAUSED),
    SlaStep.PART_REQUEST: Step(_D.SLA, _PART_HERE),
    SlaStep.REPAIR_REMOTE_ANSWER: Step(_D.SLA, _DISPATCHED),
    SlaStep.CONSULTATION_FIRST_RESPONSE: Step(
        _D.SLA, frozenset({"responded", "answered", "closed", "cancelled"})
    ),
    SlaStep.CONSULTATION_ANSWER: Step(_D.SLA, frozenset({"answered", "closed", "cancelled"})),
    SlaStep.COMPLAINT_FORWARD: Step(
        _D.SLA, frozenset({"forwarded", "verified", "planned", "resolved", "closed", "cancelled"})
    ),
    SlaStep.COMPLAINT_VERIFY: Step(
        _D.SLA, frozenset({"verified", "planned", "resolved", "closed", "cancelled"})
    ),
    SlaStep.COMPLAINT_PLAN: Step(_D.SLA, frozenset({"planned", "resolved", "closed", "cancelled"})),
    SlaStep.COMPLAINT_REPLY: Step(_D.SLA, frozenset({"closed", "cancelled"})),
    SlaStep.COMPLAINT_PROGRESS: Step(_D.PROGRESS, frozenset({"closed", "cancelled"}), repeats=True),
    SlaStep.RETURN_REVIEW: Step(_D.SLA, frozenset({"approved", "rejected", "closed", "cancelled"})),
    SlaStep.RETURN_REFUND: Step(_D.SLA, frozenset({"completed", "closed", "cancelled"})),
    # Not a limit: the follow-up visit rides the same sweep (dispatch.surveys).
    SlaStep.SURVEY: Step(_D.SURVEY, frozenset({"cancelled"}), repeats=True),
}

# Which status starts which step, and from when its limit counts: the moment the
# status is reached ("now"), or the ticket's registration ("created"). The first
# steps of each kind start at intake (dispatch.customer); these start later.
STARTS: dict[tuple[str, str], tuple[SlaStep, str]] = {
    ("complaint", "forwarded"): (SlaStep.COMPLAINT_VERIFY, "created"),
    ("complaint", "verified"): (SlaStep.COMPLAINT_PLAN, "created"),
    ("complaint", "resolved"): (SlaStep.COMPLAINT_REPLY, "now"),
    ("return", "received"): (SlaStep.RETURN_REFUND, "now"),
    ("consultation", "responded"): (SlaStep.CONSULTATION_ANSWER, "created"),
    ("consultation", "reopened"): (SlaStep.CONSULTATION_ANSWER, "now"),
    ("repair", "waiting_part"): (SlaStep.PART_REQUEST, "now"),
    ("installation", "waiting_part"): (SlaStep.PART_REQUEST, "now"),
    ("maintenance", "waiting_part"): (SlaStep.PART_REQUEST, "now"),
}
