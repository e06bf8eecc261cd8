"""A complaint's resolution plan: what will be done, by whom and by when, and any
compensation, which a second manager approves (never its author). The plan stands when
it has no compensation or once approved: the plan clock stops and the customer reads it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from dispatch.callbacks import PLAN_APPROVE, PLAN_REFUSE
from dispatch.clock import Clock
from dispatch.complaints import ComplaintMoved, complaint_in, tell_customer
from dispatch.dates import read_date
from dispatch.errors import DomainError, InvalidInput, NotAllowed
from dispatch.lifecycle import move
from dispatch.messages import N_, Button, Day, Money, Outgoing, Param
from dispatch.model import Event, EventKind, Role, Status, Ticket, User
from dispatch.policy import DeskPolicy
from dispatch.ports import UnitOfWork
from dispatch.staffroom import refresh_room
from dispatch.users import as_manager, tell_managers

__all__ = [
    "OwnPlan",
    "Plan",
    "check_amount",
    "check_plan_due",
    "decide_plan",
    "plan_owners",
    "propose_plan",
]


@dataclass(frozen=True)
class Plan:
    """A resolution plan: what will be done, by whom, by when, and any compensation."""

    text: str
    owner_id: int
    due: date
    compensation: float | None = None


def check_plan_due(text: str, today: date) -> date:
    """The day a plan is due, typed as people write dates (``11-30``, ``2026/11/30``,
    ``11月30日``): today or later, within a year."""
    day = read_date(text, today, past=False)
    if day < today:
        raise InvalidInput(N_("That date has passed. Please type a day from today on."))
    if day > today + timedelta(days=366):
        raise InvalidInput(N_("That date is more than a year ahead. Please check it."))
    return day


_AMOUNT = re.compile(r"^\D{0,4}?\s*(\d{1,3}(?:[,，]\d{3})+|\d+)(?:[.．](\d{1,2}))?\s*\D{0,4}$")


def check_amount(text: str) -> float:
    """An amount of money as typed: ``200``, ``200.50``, ``¥1,000``, ``300元``, ``HK$80``."""
    match = _AMOUNT.match(text.strip())
    if match is None or "-" in text:
        raise InvalidInput(N_("Please type the amount as a number, for example 200 or 199.50."))
    amount = float(re.sub(r"[,，]", "", match.group(1)) + "." + (match.group(2) or "0"))
    if not 0 < amount <= 1_000_000:
        raise InvalidInput(N_("Please type an amount above 0 and at most 1,000,000."))
    return amount


async def plan_owners(uow: UnitOfWork, *, manager_id: int) -> list[User]:
    """Who may own a plan: the managers, the asking one first."""
    async with uow:
        await as_manager(uow, manager_id, to="plan complaints")
        managers = await uow.users.with_role(Role.MANAGER)
    return sorted(managers, key=lambda m: (m.id != manager_id, m.display_name))


def _plan_details(plan: Plan, author_id: int, currency: str) -> dict[str, Any]:
    return {
        "plan": plan.text,
        "owner_id": plan.owner_id,
        "due": plan.due.isoformat(),
        "compensation": plan.compensation,
        "currency": currency,
        "author_id": author_id,
    }


async def propose_plan(
    uow: UnitOfWork,
    clock: Clock,
    policy: DeskPolicy,
    *,
    ticket_id: int,
    manager_id: int,
    plan: Plan,
) -> bool:
    """A plan for a verified complaint. Without compensation it stands at once (the plan
    clock stops); with compensation it waits for a second manager's approval, and every
    other manager is asked. True when the plan stands."""
    now = clock.now()
    async with uow:
        ticket = await complaint_in(uow, ticket_id, manager_id, (Status.VERIFIED,))
        if ticket.details.get("pending_plan"):  # another plan waits for its approval
            raise ComplaintMoved(ticket.number, ticket.status)
        owner = await uow.users.get(plan.owner_id)
        if owner is None or owner.role is not Role.MANAGER:
            raise NotAllowed("a plan's owner is a manager")
        details = _plan_details(plan, manager_id, policy.currency)
        if not plan.compensation:
            await _plan_stands(uow, policy, ticket, details, now, manager_id)
            await uow.commit()
            return True
        ticket.details = {**ticket.details, "pending_plan": details}
        await uow.tickets.save(ticket)
        await refresh_room(uow, policy, ticket, now)  # the card offers approval now
        await uow.events.add(
            Event(
                kind=EventKind.PLAN_PROPOSED,
                created_at=now,
                ticket_id=ticket.id,
                actor_id=manager_id,
                details=details,
            )
        )
        author = await uow.users.get(manager_id)
        await tell_managers(  # the author cannot approve it
            uow,
            text=N_(
                "💰 {author} proposes compensation for complaint {number}: {amount}.\n"
                "Plan: {plan}\nOwner: {owner}, due {due}. It needs a second manager's approval."
            ),
            params=_plan_params(ticket, details, author, owner),
            buttons=(
                (
                    Button(N_("✅ Approve the plan"), data=PLAN_APPROVE.data(ticket.id)),
                    Button(N_("✖ Refuse the plan"), data=PLAN_REFUSE.data(ticket.id)),
                ),
            ),
            ticket_id=ticket.id,
            key=f"plan:{ticket.id}:{now.isoformat()}",
            at=now,
            but=manager_id,
        )
        await uow.commit()
        return False


def _plan_params(
    ticket: Ticket, details: dict[str, Any], author: User | None, owner: User | None
) -> dict[str, Param]:
    return {
        "number": ticket.number,
        "author": author.display_name if author else "?",
        "owner": owner.display_name if owner else "?",
        "plan": str(details["plan"]),
        "due": Day(date.fromisoformat(str(details["due"]))),
        "amount": Money(float(details["compensation"] or 0), str(details["currency"])),
    }


async def _plan_stands(
    uow: UnitOfWork,
    policy: DeskPolicy,
    ticket: Ticket,
    details: dict[str, Any],
    now: datetime,
    actor_id: int,
) -> None:
    ticket.details = {
        key: value for key, value in ticket.details.items() if key != "pending_plan"
    } | {"owner_id": details["owner_id"]}
    await move(uow, policy, ticket, Status.PLANNED, at=now, actor_id=actor_id, details=details)
    text = (
        N_(
            "Our proposal for your complaint {number}: {plan}\n"
            "It includes compensation of {amount}. We will carry it out by {due}."
        )
        if details.get("compensation")
        else N_("Our proposal for your complaint {number}: {plan}\nWe will carry it out by {due}.")
    )
    owner = await uow.users.get(int(details["owner_id"]))
    await uow.outbox.add(
        tell_customer(ticket, text, _plan_params(ticket, details, None, owner), "complaint-plan"),
        at=now,
    )


class OwnPlan(DomainError):
    """The author of a plan cannot approve or refuse it."""


async def decide_plan(
    uow: UnitOfWork,
    clock: Clock,
    policy: DeskPolicy,
    *,
    ticket_id: int,
    manager_id: int,
    approve: bool,
    reason: str = "",
) -> Ticket:
    """A second manager approves a compensating plan (it stands, the customer hears it) or
    refuses it (the author hears why; the complaint stays verified, its clock running)."""
    now = clock.now()
    async with uow:
        ticket = await complaint_in(uow, ticket_id, manager_id, (Status.VERIFIED,))
        pending = ticket.details.get("pending_plan")
        if not pending:
            raise ComplaintMoved(ticket.number, ticket.status)
        if int(pending["author_id"]) == manager_id:
            raise OwnPlan(ticket.number)
        approver = await uow.users.get(manager_id)
        if approve:
            await _plan_stands(
                uow, policy, ticket, {**pending, "approved_by": manager_id}, now, manager_id
            )
            text = N_("✅ {approver} approved your plan for complaint {number}.")
        else:
            ticket.details = {k: v for k, v in ticket.details.items() if k != "pending_plan"}
            await uow.tickets.save(ticket)
            await uow.events.add(
                Event(
                    kind=EventKind.PLAN_REFUSED,
                    created_at=now,
                    ticket_id=ticket.id,
                    actor_id=manager_id,
                    details={"reason": reason},
                )
            )
            await refresh_room(uow, policy, ticket, now)  # the card offers a new plan
            text = N_(
                "✖ {approver} refused your plan for complaint {number}: {reason}\n"
                "Propose another with /case {number}."
            )
        await uow.outbox.add(
            Outgoing(
                user_id=int(pending["author_id"]),
                text=text,
                params={
                    "number": ticket.number,
                    "approver": approver.display_name if approver else "?",
                    "reason": reason,
                },
                ticket_id=ticket.id,
                dedup_key=f"plan-decided:{ticket.id}:{now.isoformat()}",
            ),
            at=now,
        )
        await uow.commit()
        return ticket
