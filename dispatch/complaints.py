"""The complaint procedure (投诉处理流程), worked by managers step by step.

Accept and classify (general or serious; the cause, which names the department
responsible) and forward → verify the facts → a plan with an owner and a due date,
approved by a second manager when it compensates the customer → resolve → reply with the
outcome and close (which schedules the follow-up survey). A complaint found unfounded is
answered with the reason and closed. Each step is a status move (dispatch.states) or an
event, so the SLA clock of the step stops when it is done and the next one starts
(dispatch.sla.STARTS); the customer's 24-hour news quotes the latest step.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from dispatch.callbacks import CASE_OPEN, CASE_TAKE, COMPLAINT_ACCEPT
from dispatch.clock import Clock
from dispatch.errors import DomainError, NotFound
from dispatch.intake import ComplaintTopic, limit_text
from dispatch.labels import COMPLAINT_TOPICS
from dispatch.lifecycle import move
from dispatch.messages import N_, Button, Msg, Outgoing, Param
from dispatch.model import Event, EventKind, Priority, Status, Ticket, TicketKind
from dispatch.policy import DeskPolicy
from dispatch.ports import UnitOfWork
from dispatch.sla import SlaStep
from dispatch.staffroom import open_room
from dispatch.users import as_manager, tell_managers

__all__ = [
    "CAUSE_LABELS",
    "DEPARTMENT_LABELS",
    "SEVERITY_LABELS",
    "Cause",
    "ComplaintMoved",
    "Severity",
    "classify",
    "close_with_outcome",
    "complaint_at",
    "complaint_in",
    "dismiss",
    "ping_complaint",
    "resolve",
    "tell_customer",
    "verify",
]


class Severity(StrEnum):
    GENERAL = "general"  # 一般投诉: attitude, no loss
    SERIOUS = "serious"  # 严重投诉: property loss, theft, injury


class Cause(StrEnum):
    PRODUCT = "product"
    TECHNICIAN = "technician"
    PROCESS = "process"
    CUSTOMER = "customer"
    UNFOUNDED = "unfounded"


# The department responsible for each founded cause: product faults go to quality, the
# rest stays with the service department (whose manager may still be the one acting).
DEPARTMENT: dict[Cause, str] = {
    Cause.PRODUCT: "quality",
    Cause.TECHNICIAN: "service",
    Cause.PROCESS: "service",
    Cause.CUSTOMER: "service",
}
CAUSE_LABELS: dict[Cause, str] = {
    Cause.PRODUCT: N_("Product quality"),
    Cause.TECHNICIAN: N_("The technician"),
    Cause.PROCESS: N_("Our service process"),
    Cause.CUSTOMER: N_("Use by the customer"),
    Cause.UNFOUNDED: N_("Unfounded"),
}
SEVERITY_LABELS: dict[Severity, str] = {
    Severity.GENERAL: N_("General"),
    Severity.SERIOUS: N_("Serious"),
}
DEPARTMENT_LABELS: dict[str, str] = {
    "quality": N_("the quality department"),
    "service": N_("the service department"),
}


class ComplaintMoved(DomainError):
    """The complaint is no longer where the step needs it (another manager was quicker,
    or it is closed); ``status`` is where it is now."""

    def __init__(self, number: str, status: str) -> None:
        super().__init__(f"{number} is {status}")
        self.number, self.status = number, status


async def complaint_at(
    uow: UnitOfWork, *, ticket_id: int, manager_id: int, statuses: tuple[Status, ...]
) -> Ticket:
    """The complaint, if a manager asks and it is in one of ``statuses``."""
    async with uow:
        return await complaint_in(uow, ticket_id, manager_id, statuses)


async def complaint_in(
    uow: UnitOfWork, ticket_id: int, manager_id: int, statuses: tuple[Status, ...]
) -> Ticket:
    await as_manager(uow, manager_id, to="work complaints")
    ticket = await uow.tickets.get(ticket_id)
    if ticket is None or ticket.kind is not TicketKind.COMPLAINT:
        raise NotFound(f"complaint {ticket_id}")
    if ticket.status not in statuses:
        raise ComplaintMoved(ticket.number, ticket.status)
    return ticket


async def ping_complaint(
    uow: UnitOfWork, policy: DeskPolicy, ticket: Ticket, at: datetime, customer_name: str
) -> None:
    """Every manager hears of a new complaint with the buttons that act on it; a serious
    one says so first, with the verification limit."""
    sla = policy.sla
    serious = ticket.details.get("severity") == Severity.SERIOUS
    text = (
        N_(
            "⚠️ Serious complaint {number} ({topic}): the customer reports property loss or injury.\n"
            "{description}\nCustomer: {customer}. Verify within {verify}."
        )
        if serious
        else N_(
            "📣 New complaint {number} ({topic}) from {customer}:\n{description}\n"
            "Accept it and pass it on within {forward}."
        )
    )
    params: dict[str, Param] = {
        "number": ticket.number,
        "topic": Msg(COMPLAINT_TOPICS[ComplaintTopic(ticket.details.get("topic", "other"))]),
        "description": ticket.description,
        "customer": customer_name,  # the phone: on the card of whoever holds the case
        "verify": limit_text(sla[SlaStep.COMPLAINT_VERIFY]),
        "forward": limit_text(sla[SlaStep.COMPLAINT_FORWARD]),
    }
    buttons = (
        (Button(N_("📥 Accept and classify"), data=COMPLAINT_ACCEPT.data(ticket.id)),),
        (
            Button(N_("🙋 Take it"), data=CASE_TAKE.data(ticket.id)),
            Button(N_("📁 Open"), data=CASE_OPEN.data(ticket.id)),
        ),
    )
    await open_room(uow, policy, ticket, at)
    await tell_managers(
        uow,
        text=text,
        params=params,
        buttons=buttons,
        ticket_id=ticket.id,
        key=f"complaint:{ticket.id}",
        at=at,
    )


def tell_customer(ticket: Ticket, text: str, params: dict[str, Param], key: str) -> Outgoing:
    return Outgoing(
        user_id=ticket.customer_id,
        text=text,
        params={"number": ticket.number, **params},
        ticket_id=ticket.id,
        dedup_key=f"{key}:{ticket.id}",
    )


async def classify(
    uow: UnitOfWork,
    clock: Clock,
    policy: DeskPolicy,
    *,
    ticket_id: int,
    manager_id: int,
    severity: Severity,
    cause: Cause,
) -> Ticket:
    """Accept a new complaint: classify it and forward it to the department responsible
    (stops the 1-working-day forwarding limit, starts verification). A complaint raised to
    serious reaches every manager at once."""
    if cause is Cause.UNFOUNDED:
        raise ValueError("an unfounded complaint is dismissed with a reason (dismiss)")
    now = clock.now()
    async with uow:
        ticket = await complaint_in(uow, ticket_id, manager_id, (Status.NEW,))
        department = DEPARTMENT[cause]
        raised = severity is Severity.SERIOUS and ticket.details.get("severity") != "serious"
        ticket.details = {
            **ticket.details,
            "severity": severity.value,
            "cause": cause.value,
            "department": department,
            # Who accepts it holds it, unless someone took it first.
            "owner_id": ticket.details.get("owner_id") or manager_id,
        }
        if severity is Severity.SERIOUS:
            ticket.priority = Priority.URGENT
        await uow.events.add(
            Event(
                kind=EventKind.COMPLAINT_CLASSIFIED,
                created_at=now,
                ticket_id=ticket.id,
                actor_id=manager_id,
                details={"severity": severity.value, "cause": cause.value},
            )
        )
        await move(
            uow,
            policy,
            ticket,
            Status.FORWARDED,
            at=now,
            actor_id=manager_id,
            details={"department": department},
        )
        if raised:
            await tell_managers(
                uow,
                text=N_("⚠️ Complaint {number} was classified as serious: it needs a manager now."),
                params={"number": ticket.number},
                ticket_id=ticket.id,
                key=f"raised:{ticket.id}",
                at=now,
            )
        await uow.outbox.add(
            tell_customer(
                ticket,
                N_(
                    "Your complaint {number} has been accepted and passed to {department}. "
                    "We will verify the facts within {verify} of receiving it."
                ),
                {
                    "department": Msg(DEPARTMENT_LABELS[department]),
                    "verify": limit_text(policy.sla[SlaStep.COMPLAINT_VERIFY]),
                },
                "complaint-accepted",
            ),
            at=now,
        )
        await uow.commit()
        return ticket


async def dismiss(
    uow: UnitOfWork,
    clock: Clock,
    policy: DeskPolicy,
    *,
    ticket_id: int,
    manager_id: int,
    reason: str,
) -> Ticket:
    """An unfounded complaint: the customer reads why, politely, with a way to answer; the
    case closes (and is surveyed like every closed complaint)."""
    now = clock.now()
    async with uow:
        ticket = await complaint_in(
            uow, ticket_id, manager_id, (Status.NEW, Status.FORWARDED, Status.VERIFIED)
        )
        ticket.details = {**ticket.details, "cause": Cause.UNFOUNDED.value}
        await uow.events.add(
            Event(
                kind=EventKind.COMPLAINT_CLASSIFIED,
                created_at=now,
                ticket_id=ticket.id,
                actor_id=manager_id,
                details={"cause": Cause.UNFOUNDED.value},
            )
        )
        details = {"reason": reason}
        await move(
            uow, policy, ticket, Status.REJECTED, at=now, actor_id=manager_id, details=details
        )
        await move(uow, policy, ticket, Status.CLOSED, at=now, actor_id=manager_id)
        await uow.outbox.add(
            tell_customer(
                ticket,
                N_(
                    "Thank you for telling us about {number}. We have looked into it carefully "
                    "and could not find a fault on our side:\n{reason}\n"
                    "If you see it differently or have more to show us, send /complain and we "
                    "will look again."
                ),
                {"reason": reason},
                "complaint-dismissed",
            ),
            at=now,
        )
        await uow.commit()
        return ticket


async def verify(
    uow: UnitOfWork,
    clock: Clock,
    policy: DeskPolicy,
    *,
    ticket_id: int,
    manager_id: int,
    notes: str,
) -> Ticket:
    """The facts as verified (staff notes): stops verification, starts the plan's clock."""
    return await _step(
        uow, clock, policy, ticket_id, manager_id, Status.FORWARDED, Status.VERIFIED, notes
    )


async def resolve(
    uow: UnitOfWork,
    clock: Clock,
    policy: DeskPolicy,
    *,
    ticket_id: int,
    manager_id: int,
    notes: str,
) -> Ticket:
    """The plan carried out: starts the 2-working-day limit for the reply with the outcome."""
    return await _step(
        uow, clock, policy, ticket_id, manager_id, Status.PLANNED, Status.RESOLVED, notes
    )


async def _step(
    uow: UnitOfWork,
    clock: Clock,
    policy: DeskPolicy,
    ticket_id: int,
    manager_id: int,
    at: Status,
    to: Status,
    notes: str,
) -> Ticket:
    now = clock.now()
    async with uow:
        ticket = await complaint_in(uow, ticket_id, manager_id, (at,))
        await move(uow, policy, ticket, to, at=now, actor_id=manager_id, details={"notes": notes})
        await uow.commit()
        return ticket


async def close_with_outcome(
    uow: UnitOfWork,
    clock: Clock,
    policy: DeskPolicy,
    *,
    ticket_id: int,
    manager_id: int,
    outcome: str,
) -> Ticket:
    """The reply with the outcome, in the manager's words, and the case closed: stops the
    reply limit and the 24-hour news, and schedules the follow-up survey."""
    now = clock.now()
    async with uow:
        ticket = await complaint_in(uow, ticket_id, manager_id, (Status.RESOLVED,))
        await move(
            uow,
            policy,
            ticket,
            Status.CLOSED,
            at=now,
            actor_id=manager_id,
            details={"outcome": outcome},
        )
        await uow.outbox.add(
            tell_customer(
                ticket,
                N_(
                    "✅ Your complaint {number} is resolved:\n{outcome}\n"
                    "Thank you for your patience. We will ask you shortly how we handled it."
                ),
                {"outcome": outcome},
                "complaint-closed",
            ),
            at=now,
        )
        await uow.commit()
        return ticket
