"""A case as managers see it: its card (state, people, running limits, timeline and the
actions that apply now), taking it, writing to its customer, the queue and the search.

Which actions a case offers is decided here, from its kind and status, in one place; the
handlers only draw the buttons.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from dispatch.callbacks import (
    ASSIGN_LIST,
    ASSIGN_TO,
    CASE_MESSAGE,
    CASE_TAKE,
    COMPLAINT_ACCEPT,
    COMPLAINT_CAUSE,
    COMPLAINT_SEVERITY,
    COMPLAINT_STEP,
    PART_ARRIVED,
    PLAN_APPROVE,
    PLAN_REFUSE,
    QUESTION_ANSWER,
    RETURN_APPROVE,
    RETURN_NEXT,
    RETURN_REFUSE,
)
from dispatch.clock import Clock
from dispatch.errors import DomainError, NotFound
from dispatch.messages import N_, Outgoing
from dispatch.model import Event, EventKind, Status, Ticket, TicketKind, User
from dispatch.policy import DeskPolicy
from dispatch.ports import UnitOfWork
from dispatch.sla import STEPS, SlaStep
from dispatch.staffroom import refresh_room
from dispatch.states import FIELD_KINDS, at_rest, is_open
from dispatch.users import as_manager

__all__ = [
    "GROUP_ROUTES",
    "URGENCY_LABELS",
    "URGENCY_MARKS",
    "Action",
    "CaseTaken",
    "CaseView",
    "Running",
    "Urgency",
    "actions",
    "case_customer",
    "case_view",
    "group_actions",
    "may_see_phone",
    "message_customer",
    "queue",
    "reminders_off",
    "running_limits",
    "search_cases",
    "staff_view",
    "take_case",
]

# A limit this close is "about to breach" in the queue.
SOON = timedelta(hours=4)
TIMELINE = 8  # the latest events a card shows


@dataclass(frozen=True)
class Action:
    label: str  # msgid
    data: str  # callback data


@dataclass(frozen=True)
class Running:
    """A time limit running on the case: which step, and when it is due."""

    step: SlaStep
    due: datetime


@dataclass(frozen=True)
class CaseView:
    ticket: Ticket
    customer: User | None
    owner: User | None
    technician: str | None
    limits: list[Running]
    events: list[tuple[Event, str | None]]  # the latest, with the actor's name
    actions: list[Action]
    pending_plan: bool


def may_see_phone(view: CaseView, viewer_id: int | None) -> bool:
    """Staff see a customer's phone only on the cases they work: on a case's card, the
    manager holding it (the technician on a job has it in the job's own messages)."""
    return viewer_id is not None and view.owner is not None and view.owner.id == viewer_id


class CaseTaken(DomainError):
    """Another manager holds the case."""

    def __init__(self, number: str, owner: str) -> None:
        super().__init__(f"{number} is held by {owner}")
        self.number, self.owner = number, owner


def running_limits(ticket: Ticket) -> list[Running]:
    """The limits still running on the case, soonest first (the follow-up survey is not one)."""
    found = []
    for column, step in ticket.steps.items():
        due = ticket.deadlines.get(f"{column}_due_at")
        if step is None or due is None or step == SlaStep.SURVEY:
            continue
        if ticket.status in STEPS[step].stops:
            continue
        found.append(Running(SlaStep(step), due))
    return sorted(found, key=lambda r: r.due)


# What works from the staff group's card, each press checked for a manager's role: the
# one-press steps, and the typed ones, whose text is the pressing manager's next message
# in the topic (answers and messages to the customer are written there with /r).
GROUP_ROUTES = (
    COMPLAINT_ACCEPT,
    COMPLAINT_SEVERITY,
    COMPLAINT_CAUSE,
    COMPLAINT_STEP,
    PLAN_APPROVE,
    PLAN_REFUSE,
    RETURN_APPROVE,
    RETURN_REFUSE,
    RETURN_NEXT,
    ASSIGN_LIST,
    ASSIGN_TO,
    PART_ARRIVED,
)


def group_actions(ticket: Ticket) -> list[Action]:
    """The one-press actions of a case, for its card in the staff group."""
    return [
        action
        for action in actions(ticket, 0)
        if any(action.data.startswith(route.prefix + ":") for route in GROUP_ROUTES)
    ]


def actions(ticket: Ticket, manager_id: int | None) -> list[Action]:
    """The buttons a case offers a manager now (None: the staff group's card, which has
    none of its own)."""
    if manager_id is None:
        return []
    if not is_open(ticket.status):
        return []
    found: list[Action] = []
    status, kind = ticket.status, ticket.kind
    if kind is TicketKind.COMPLAINT:
        step = {
            Status.FORWARDED: ("verify", N_("🔎 Record the verification")),
            Status.PLANNED: ("resolve", N_("🛠 Mark it resolved")),
            Status.RESOLVED: ("close", N_("✅ Reply with the outcome and close")),
        }
        if status is Status.NEW:
            found.append(Action(N_("📥 Accept and classify"), COMPLAINT_ACCEPT.data(ticket.id)))
        elif status is Status.VERIFIED and not ticket.details.get("pending_plan"):
            found.append(Action(N_("📋 Propose a plan"), COMPLAINT_STEP.data(ticket.id, "plan")))
        elif status is Status.VERIFIED:
            found.append(Action(N_("✅ Approve the plan"), PLAN_APPROVE.data(ticket.id)))
            found.append(Action(N_("✖ Refuse the plan"), PLAN_REFUSE.data(ticket.id)))
        elif status in step:
            name, label = step[status]
            found.append(Action(label, COMPLAINT_STEP.data(ticket.id, name)))
        if status in (Status.NEW, Status.FORWARDED, Status.VERIFIED):
            found.append(Action(N_("🚫 Unfounded"), COMPLAINT_STEP.data(ticket.id, "dismiss")))
    elif kind is TicketKind.CONSULTATION:
        found.append(Action(N_("✍️ Answer"), QUESTION_ANSWER.data(ticket.id)))
    elif kind is TicketKind.RETURN and status is Status.NEW:
        found.append(Action(N_("✅ Approve"), RETURN_APPROVE.data(ticket.id)))
        found.append(Action(N_("✖ Refuse"), RETURN_REFUSE.data(ticket.id)))
    elif kind is TicketKind.RETURN and status is Status.APPROVED:
        found.append(Action(N_("📦 Goods received"), RETURN_NEXT.data(ticket.id)))
    elif kind is TicketKind.RETURN and status is Status.RECEIVED:
        found.append(Action(N_("✅ Refund or exchange done"), RETURN_NEXT.data(ticket.id)))
    elif kind in FIELD_KINDS and status in (
        Status.NEW,
        Status.OFFERED,
    ):
        found.append(Action(N_("👷 Assign a technician"), ASSIGN_LIST.data(ticket.id)))
    elif status is Status.WAITING_PART:
        found.append(Action(N_("📦 The part has arrived"), PART_ARRIVED.data(ticket.id)))
    if ticket.details.get("owner_id") != manager_id:
        found.append(Action(N_("🙋 Take it"), CASE_TAKE.data(ticket.id)))
    found.append(Action(N_("💬 Write to the customer"), CASE_MESSAGE.data(ticket.id)))
    return found


async def _find(uow: UnitOfWork, number_or_id: str | int) -> Ticket:
    ticket = (
        await uow.tickets.get(number_or_id)
        if isinstance(number_or_id, int)
        else await uow.tickets.by_number(number_or_id.strip().upper())
    )
    if ticket is None:
        raise NotFound(f"case {number_or_id}")
    return ticket


async def case_view(uow: UnitOfWork, *, case: str | int, manager_id: int) -> CaseView:
    """The card of a case, by number or id."""
    async with uow:
        await as_manager(uow, manager_id, to="open cases")
        return await _view(uow, await _find(uow, case), manager_id)


async def staff_view(uow: UnitOfWork, *, ticket_id: int) -> CaseView:
    """Inside an open unit of work: the card of a case as the staff group shows it (to
    everyone there, so no one's own actions: the card links to each member's private chat,
    where their role is checked)."""
    return await _view(uow, await _find(uow, ticket_id), None)


async def _view(uow: UnitOfWork, ticket: Ticket, manager_id: int | None) -> CaseView:
    events = (await uow.events.for_ticket(ticket.id))[-TIMELINE:]
    people = await uow.users.get_many(
        sorted(
            {ticket.customer_id}
            | {e.actor_id for e in events if e.actor_id is not None}
            | ({int(ticket.details["owner_id"])} if ticket.details.get("owner_id") else set())
        )
    )
    technician = None
    if ticket.assigned_technician_id is not None:
        names = await uow.technicians.names([ticket.assigned_technician_id])
        technician = names.get(ticket.assigned_technician_id)
    owner_id = ticket.details.get("owner_id")
    return CaseView(
        ticket=ticket,
        customer=people.get(ticket.customer_id),
        owner=people.get(int(owner_id)) if owner_id else None,
        technician=technician,
        limits=running_limits(ticket),
        events=[
            (e, people[e.actor_id].display_name if e.actor_id in people else None) for e in events
        ],
        actions=actions(ticket, manager_id),
        pending_plan=bool(ticket.details.get("pending_plan")),
    )


async def take_case(
    uow: UnitOfWork,
    clock: Clock,
    *,
    ticket_id: int,
    manager_id: int,
    policy: DeskPolicy | None = None,
) -> Ticket:
    """The manager takes the case: the first wins; a later press hears who holds it. A
    concurrent press loses on the ticket's version (ConcurrentUpdate) and writes nothing."""
    now = clock.now()
    async with uow:
        manager = await as_manager(uow, manager_id, to="take cases")
        ticket = await _find(uow, ticket_id)
        owner_id = ticket.details.get("owner_id")
        if owner_id == manager_id:
            return ticket
        if owner_id is not None:
            owner = await uow.users.get(int(owner_id))
            raise CaseTaken(ticket.number, owner.display_name if owner else "?")
        if not is_open(ticket.status):
            raise NotFound(f"open case {ticket_id}")
        ticket.details = {**ticket.details, "owner_id": manager.id}
        ticket.updated_at = now
        await uow.tickets.save(ticket)
        await uow.events.add(
            Event(
                kind=EventKind.CASE_TAKEN, created_at=now, ticket_id=ticket.id, actor_id=manager_id
            )
        )
        if policy is not None:
            await refresh_room(uow, policy, ticket, now)
        await uow.commit()
        return ticket


async def reminders_off(
    uow: UnitOfWork, clock: Clock, *, ticket_id: int, manager_id: int
) -> Ticket:
    """The manager acknowledged a repeating reminder (the complaint's news to the customer
    is due): they get no more of it for this case. The clock and the customer's news run
    on; the other managers still get theirs."""
    now = clock.now()
    async with uow:
        await as_manager(uow, manager_id, to="acknowledge reminders")
        ticket = await _find(uow, ticket_id)
        off = set(ticket.details.get("reminders_off") or [])
        if manager_id not in off:
            ticket.details = {**ticket.details, "reminders_off": sorted(off | {manager_id})}
            ticket.updated_at = now
            await uow.tickets.save(ticket)
            await uow.events.add(
                Event(
                    kind=EventKind.REMINDERS_OFF,
                    created_at=now,
                    ticket_id=ticket.id,
                    actor_id=manager_id,
                )
            )
        await uow.commit()
        return ticket


_ABOUT = {
    TicketKind.REPAIR: N_("💬 About your repair request {number}:\n{text}"),
    TicketKind.INSTALLATION: N_("💬 About your installation request {number}:\n{text}"),
    TicketKind.COMPLAINT: N_("💬 About your complaint {number}:\n{text}"),
    TicketKind.RETURN: N_("💬 About your return / exchange request {number}:\n{text}"),
    TicketKind.CONSULTATION: N_("💬 About your question {number}:\n{text}"),
    TicketKind.MAINTENANCE: N_("💬 About your planned maintenance visit {number}:\n{text}"),
}


async def message_customer(
    uow: UnitOfWork,
    clock: Clock,
    *,
    ticket_id: int,
    manager_id: int,
    text: str,
    policy: DeskPolicy | None = None,
) -> Ticket:
    """A manager's own words to the customer of an open case, sent by the bot and kept on
    the case's timeline. The step's clock does not stop for it: a message is not a step."""
    now = clock.now()
    async with uow:
        await as_manager(uow, manager_id, to="write to customers")
        ticket = await _find(uow, ticket_id)
        if not is_open(ticket.status):
            raise NotFound(f"open case {ticket_id}")
        await uow.events.add(
            Event(
                kind=EventKind.STAFF_REPLY,
                created_at=now,
                ticket_id=ticket.id,
                actor_id=manager_id,
                details={"text": text},
            )
        )
        await uow.outbox.add(
            Outgoing(
                user_id=ticket.customer_id,
                text=_ABOUT[ticket.kind],
                params={"number": ticket.number, "text": text},
                ticket_id=ticket.id,
                dedup_key=f"staff-message:{ticket.id}:{now.isoformat()}:{manager_id}",
            ),
            at=now,
        )
        if policy is not None:
            await refresh_room(uow, policy, ticket, now)
        await uow.commit()
        return ticket


class Urgency(StrEnum):
    BREACHED = "breached"
    SOON = "soon"
    DISPATCH = "dispatch"
    IN_PROGRESS = "in_progress"


URGENCY_LABELS = {
    Urgency.BREACHED: N_("Over the limit"),
    Urgency.SOON: N_("Due within 4 hours"),
    Urgency.DISPATCH: N_("Waiting for a technician"),
    Urgency.IN_PROGRESS: N_("In progress"),
}
URGENCY_MARKS = {
    Urgency.BREACHED: "🔴",
    Urgency.SOON: "🟠",
    Urgency.DISPATCH: "🟡",
    Urgency.IN_PROGRESS: "🟢",
}


def urgency(ticket: Ticket, now: datetime, limits: list[Running] | None = None) -> Urgency:
    """How urgent a case is now (``limits``: its running limits, when known already)."""
    limits = running_limits(ticket) if limits is None else limits
    if limits and limits[0].due <= now:
        return Urgency.BREACHED
    if limits and limits[0].due - now <= SOON:
        return Urgency.SOON
    if ticket.kind in FIELD_KINDS and ticket.status in (
        Status.NEW,
        Status.OFFERED,
    ):
        return Urgency.DISPATCH
    return Urgency.IN_PROGRESS


async def queue(
    uow: UnitOfWork,
    clock: Clock,
    *,
    manager_id: int,
    kind: TicketKind | None = None,
    mine: bool = False,
) -> list[tuple[Urgency, Ticket]]:
    """Open cases, most urgent first (then by the soonest limit), optionally of one kind or
    only the manager's own."""
    now = clock.now()
    async with uow:
        await as_manager(uow, manager_id, to="see the queue")
        tickets = await uow.tickets.open_cases()
    order = list(Urgency)
    far = now + timedelta(days=3650)
    ranked = []
    for ticket in tickets:
        if at_rest(ticket.kind, ticket.status):
            continue  # an answered question: back in the queue when the customer writes
        if (kind is None or ticket.kind is kind) and (
            not mine or ticket.details.get("owner_id") == manager_id
        ):
            limits = running_limits(ticket)  # once per case: its urgency and its order
            level = urgency(ticket, now, limits)
            ranked.append(
                (order.index(level), limits[0].due if limits else far, ticket.id, level, ticket)
            )
    return [(level, ticket) for *_, level, ticket in sorted(ranked, key=lambda row: row[:3])]


async def case_customer(uow: UnitOfWork, *, ticket_id: int, manager_id: int) -> User:
    """Whom a manager is writing to (their language chooses a saved reply's text)."""
    async with uow:
        await as_manager(uow, manager_id, to="write to customers")
        ticket = await _find(uow, ticket_id)
        customer = await uow.users.get(ticket.customer_id)
    if customer is None:
        raise NotFound(f"customer of {ticket_id}")
    return customer


async def search_cases(uow: UnitOfWork, *, text: str, manager_id: int) -> list[Ticket]:
    """Cases whose number, customer's phone or customer's name holds ``text``."""
    async with uow:
        await as_manager(uow, manager_id, to="search cases")
        return await uow.tickets.search(text)
