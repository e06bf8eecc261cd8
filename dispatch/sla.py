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

__all__ = [
    "BREACH",
    "ESCALATION",
    "SLA_DEFAULTS",
    "STARTS",
    "STEPS",
    "WARNING",
    "WARN_FRACTION",
    "Limit",
    "Step",
    "Unit",
    "parse_limit",
]


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
    "consultation_first_response": Limit(1, Unit.HOURS),
    "consultation_answer": Limit(24, Unit.HOURS),
    "repair_dispatch": Limit(1, Unit.HOURS),
    "repair_on_site": Limit(24, Unit.HOURS),
    "repair_on_site_priority": Limit(12, Unit.HOURS),
    "repair_remote_answer": Limit(12, Unit.HOURS),
    "application_confirm": Limit(2, Unit.WORKING_DAYS),
    "application_start": Limit(3, Unit.WORKING_DAYS),
    "returned_goods_repair": Limit(5, Unit.WORKING_DAYS),
    "return_review": Limit(1, Unit.WORKING_DAYS),
    "return_refund": Limit(3, Unit.WORKING_DAYS),
    "complaint_forward": Limit(1, Unit.WORKING_DAYS),
    "complaint_verify": Limit(2, Unit.WORKING_DAYS),
    "complaint_plan": Limit(3, Unit.WORKING_DAYS),
    "complaint_progress": Limit(24, Unit.HOURS),
    "complaint_reply": Limit(2, Unit.WORKING_DAYS),
    "quality_investigation": Limit(3, Unit.WORKING_DAYS),
}

# A warning goes out when this share of a limit has elapsed.
WARN_FRACTION = 0.8


# -- which step runs on which deadline column, and what stops it ----------------------
# Levels of an alert: a warning at WARN_FRACTION of the limit, the breach at the limit,
# the escalation a configurable time after. Who hears each (see dispatch.sweep):
# the assigned technician (else the managers), then the managers, then the directors.
WARNING, BREACH, ESCALATION = 1, 2, 3

_FIELD_DONE = frozenset({"on_site", "completed", "disputed", "signed", "closed", "cancelled"})
_DISPATCHED = frozenset({"assigned", "en_route"}) | _FIELD_DONE


@dataclass(frozen=True)
class Step:
    column: str  # the ticket deadline it runs on: dispatch, arrive, sla, progress, survey
    stops: frozenset[str]  # statuses in which it is met (or moot)
    repeats: bool = False  # complaint progress: due again every period until closed


STEPS: dict[str, Step] = {
    "repair_dispatch": Step("dispatch", _DISPATCHED),
    "repair_on_site": Step("arrive", _FIELD_DONE),
    "repair_on_site_priority": Step("arrive", _FIELD_DONE),
    "repair_remote_answer": Step("sla", _DISPATCHED),
    "consultation_first_response": Step(
        "sla", frozenset({"responded", "answered", "closed", "cancelled"})
    ),
    "consultation_answer": Step("sla", frozenset({"answered", "closed", "cancelled"})),
    "complaint_forward": Step(
        "sla", frozenset({"forwarded", "verified", "planned", "resolved", "closed", "cancelled"})
    ),
    "complaint_verify": Step(
        "sla", frozenset({"verified", "planned", "resolved", "closed", "cancelled"})
    ),
    "complaint_plan": Step("sla", frozenset({"planned", "resolved", "closed", "cancelled"})),
    "complaint_reply": Step("sla", frozenset({"closed", "cancelled"})),
    "complaint_progress": Step("progress", frozenset({"closed", "cancelled"}), repeats=True),
    "return_review": Step("sla", frozenset({"approved", "rejected", "closed", "cancelled"})),
    "return_refund": Step("sla", frozenset({"completed", "closed", "cancelled"})),
    # Not a limit: the follow-up visit rides the same sweep (dispatch.surveys).
    "survey": Step("survey", frozenset({"cancelled"}), repeats=True),
}

# Which status starts which step, and from when its limit counts: the moment the
# status is reached ("now"), or the ticket's registration ("created"). The first
# steps of each kind start at intake (dispatch.customer); these start later.
STARTS: dict[tuple[str, str], tuple[str, str]] = {
    ("complaint", "forwarded"): ("complaint_verify", "created"),
    ("complaint", "verified"): ("complaint_plan", "created"),
    ("complaint", "resolved"): ("complaint_reply", "now"),
    ("return", "received"): ("return_refund", "now"),
    ("consultation", "responded"): ("consultation_answer", "created"),
}
