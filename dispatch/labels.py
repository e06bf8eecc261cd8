"""What people call each kind, status and event: the msgids every screen and message uses."""

from __future__ import annotations

from typing import Any

from dispatch.intake import ComplaintTopic, ReturnReason, Slot
from dispatch.messages import N_
from dispatch.model import Ticket, TicketKind
from dispatch.sla import SlaStep

__all__ = [
    "COMPLAINT_TOPICS",
    "EVENT_LABELS",
    "KIND_LABELS",
    "RETURN_REASON_LABELS",
    "SLOT_LABELS",
    "STAFF_EVENT_LABELS",
    "SURVEY_COMPLAINT",
    "event_label",
    "kind_label",
    "status_label",
    "written_description",
]

SLOT_LABELS: dict[Slot, str] = {
    Slot.MORNING: N_("Morning (9:00-12:00)"),
    Slot.AFTERNOON: N_("Afternoon (12:00-18:00)"),
    Slot.EVENING: N_("Evening (18:00-21:00)"),
}

KIND_LABELS: dict[TicketKind, str] = {
    TicketKind.REPAIR: N_("Repair"),
    TicketKind.INSTALLATION: N_("Installation"),
    TicketKind.COMPLAINT: N_("Complaint"),
    TicketKind.RETURN: N_("Return / exchange"),
    TicketKind.CONSULTATION: N_("Question"),
    TicketKind.MAINTENANCE: N_("Planned maintenance visit"),
}

_COMMON = {
    "new": N_("Received"),
    "closed": N_("Closed"),
    "cancelled": N_("Cancelled"),
}
_FIELD = {
    "offered": N_("Finding a technician"),
    "assigned": N_("Technician assigned"),
    "en_route": N_("Technician on the way"),
    "on_site": N_("Technician on site"),
    "waiting_part": N_("Waiting for a spare part"),
    "completed": N_("Work done, waiting for your signature"),
    "disputed": N_("Service record disputed"),
    "signed": N_("Signed by you"),
}
_STATUS: dict[TicketKind, dict[str, str]] = {
    TicketKind.REPAIR: _FIELD,
    TicketKind.INSTALLATION: _FIELD,
    TicketKind.MAINTENANCE: {**_FIELD, "proposed": N_("Visit date proposed")},
    TicketKind.COMPLAINT: {
        "forwarded": N_("Passed to the department responsible"),
        "verified": N_("Facts verified"),
        "planned": N_("Solution approved"),
        "resolved": N_("Resolved"),
        "rejected": N_("Not upheld"),
    },
    TicketKind.RETURN: {
        "approved": N_("Approved"),
        "rejected": N_("Not approved"),
        "received": N_("Goods received"),
        "completed": N_("Refund or exchange done"),
    },
    TicketKind.CONSULTATION: {
        "responded": N_("First reply sent"),
        "answered": N_("Answered"),
        "reopened": N_("Asked again"),
    },
}

EVENT_LABELS: dict[str, str] = {
    "created": N_("Request received"),
    "info.added": N_("You added information"),
    "staff.reply": N_("Our reply"),
    "customer.follow_up": N_("You wrote"),
}


# The timeline of a case as staff read it: every event a manager may need, by kind (a
# status move is named by its status).
STAFF_EVENT_LABELS: dict[str, str] = {
    "created": N_("Registered"),
    "info.added": N_("The customer added information"),
    "customer.follow_up": N_("The customer wrote"),
    "staff.reply": N_("Message to the customer"),
    "staff.note": N_("Internal note"),
    "assigned.by_manager": N_("Assigned by a manager"),
    "visit.planned": N_("Visit time agreed"),
    "arrival.claimed": N_("Technician checked in"),
    "record.correction": N_("Service record corrected"),
    "complaint.classified": N_("Classified"),
    "complaint.plan_proposed": N_("Plan proposed, waiting for approval"),
    "complaint.plan_refused": N_("Plan refused"),
    "case.taken": N_("Taken"),
    "case.reminders_off": N_("Reminders acknowledged"),
    "sla.level1": N_("Limit due soon"),
    "sla.level2": N_("Limit passed"),
    "sla.level3": N_("Escalated"),
    "sla.progress": N_("News sent to the customer"),
    "survey.answered": N_("Survey answered"),
}


SURVEY_COMPLAINT = N_(
    "Low scores in the follow-up survey of {number}: timeliness {timeliness}/5, "
    "attitude {attitude}/5, result {result}/5."
)


COMPLAINT_TOPICS: dict[ComplaintTopic, str] = {
    ComplaintTopic.PRODUCT: N_("the product"),
    ComplaintTopic.VISIT: N_("a technician visit"),
    ComplaintTopic.ATTITUDE: N_("staff attitude"),
    ComplaintTopic.FEES: N_("fees"),
    ComplaintTopic.OTHER: N_("something else"),
}

RETURN_REASON_LABELS: dict[ReturnReason, str] = {
    ReturnReason.QUALITY: N_("A quality fault"),
    ReturnReason.NOT_AS_DESCRIBED: N_("Not as described"),
    ReturnReason.CHANGED_MIND: N_("I changed my mind"),
}


def written_description(ticket: Ticket) -> tuple[str, dict[str, Any]] | None:
    """A description the desk wrote itself (a complaint opened by a low survey score), as
    a catalog text in the reader's language; None where the customer's own words stand."""
    if ticket.details.get("source") != "survey":
        return None
    scores = ticket.details.get("scores") or {}
    params = {item: scores.get(item, "?") for item in ("timeliness", "attitude", "result")}
    return SURVEY_COMPLAINT, {"number": ticket.details.get("of", ""), **params}


def kind_label(kind: TicketKind) -> str:
    return KIND_LABELS[kind]


def status_label(kind: TicketKind, status: str) -> str:
    return _STATUS[kind].get(status) or _COMMON.get(status) or status


def event_label(kind: str) -> str | None:
    return EVENT_LABELS.get(kind)


# What each SLA step is called in alerts.
STEP_LABELS: dict[str, str] = {
    SlaStep.REPAIR_DISPATCH: N_("dispatch to a technician"),
    SlaStep.REPAIR_ON_SITE: N_("the technician on site"),
    SlaStep.REPAIR_ON_SITE_PRIORITY: N_("the technician on site (priority area)"),
    SlaStep.REPAIR_REMOTE_ANSWER: N_("an answer to a customer beyond the service range"),
    SlaStep.CONSULTATION_FIRST_RESPONSE: N_("the first reply to a question"),
    SlaStep.CONSULTATION_ANSWER: N_("the full answer to a question"),
    SlaStep.COMPLAINT_FORWARD: N_("passing a complaint to the department responsible"),
    SlaStep.COMPLAINT_VERIFY: N_("verifying a complaint"),
    SlaStep.COMPLAINT_PLAN: N_("a solution plan for a complaint"),
    SlaStep.COMPLAINT_REPLY: N_("the reply with the outcome of a complaint"),
    SlaStep.COMPLAINT_PROGRESS: N_("news to the customer about a complaint"),
    SlaStep.RETURN_REVIEW: N_("reviewing a return or exchange"),
    SlaStep.RETURN_REFUND: N_("the refund or exchange"),
    SlaStep.PART_REQUEST: N_("getting a spare part to the technician"),
}
LEVEL_LABELS: dict[int, str] = {1: N_("due soon"), 2: N_("overdue"), 3: N_("escalated")}
