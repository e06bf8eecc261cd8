"""What people call each kind, status and event: the msgids every screen and message uses."""

from __future__ import annotations

from dispatch.intake import Slot
from dispatch.messages import N_
from dispatch.model import TicketKind

__all__ = [
    "EVENT_LABELS",
    "KIND_LABELS",
    "SLOT_LABELS",
    "event_label",
    "kind_label",
    "status_label",
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
    "completed": N_("Work done, waiting for your signature"),
    "disputed": N_("Service record disputed"),
    "signed": N_("Signed by you"),
}
_STATUS: dict[TicketKind, dict[str, str]] = {
    TicketKind.REPAIR: _FIELD,
    TicketKind.INSTALLATION: _FIELD,
    TicketKind.COMPLAINT: {
        "forwarded": N_("Passed to the department responsible"),
        "verified": N_("Facts verified"),
        "planned": N_("Solution approved"),
        "resolved": N_("Resolved"),
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
    },
}

EVENT_LABELS: dict[str, str] = {
    "created": N_("Request received"),
    "info.added": N_("You added information"),
}


def kind_label(kind: TicketKind) -> str:
    return KIND_LABELS[kind]


def status_label(kind: TicketKind, status: str) -> str:
    return _STATUS[kind].get(status) or _COMMON.get(status) or status


def event_label(kind: str) -> str | None:
    return EVENT_LABELS.get(kind)


# What each SLA step is called in alerts.
STEP_LABELS: dict[str, str] = {
    "repair_dispatch": N_("dispatch to a technician"),
    "repair_on_site": N_("the technician on site"),
    "repair_on_site_priority": N_("the technician on site (priority area)"),
    "repair_remote_answer": N_("an answer to a customer beyond the service range"),
    "consultation_first_response": N_("the first reply to a question"),
    "consultation_answer": N_("the full answer to a question"),
    "complaint_forward": N_("passing a complaint to the department responsible"),
    "complaint_verify": N_("verifying a complaint"),
    "complaint_plan": N_("a solution plan for a complaint"),
    "complaint_reply": N_("the reply with the outcome of a complaint"),
    "complaint_progress": N_("news to the customer about a complaint"),
    "return_review": N_("reviewing a return or exchange"),
    "return_refund": N_("the refund or exchange"),
}
LEVEL_LABELS: dict[int, str] = {1: N_("due soon"), 2: N_("overdue"), 3: N_("escalated")}
