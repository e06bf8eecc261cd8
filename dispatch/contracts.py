"""Maintenance contracts (维保合同, 000 part 4 §6-9): the contracts a manager loads, and the
planned visits the desk makes of them.

A contract names its customer (by the phone they gave the bot), the site, the products
covered, its start and end and how often a visit is due: monthly visits (月访), quarterly
inspections (季度巡检) or every N months. Managers load contracts from a CSV or XLSX file
(dispatch.contract_table); loading a contract number again renews it (a later end) or
corrects it. The sweep's planning pass (:func:`plan_visits`) creates each planned visit a
configurable number of days ahead as a ``maintenance`` ticket in ``proposed``, and asks
the customer whether the day suits them; their answer (:func:`confirm_visit`) dispatches it
like a repair booked for that day. Thirty days before a contract ends the managers are told
once (:func:`warn_ending`); a renewal arms the warning again.

The planning pass reads only the contracts due, by their indexed planning day: its cost
follows the visits due, not the contracts held (bench/planned.py).
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import date, datetime, timedelta

from dispatch.callbacks import VISIT_OK, VISIT_OTHER
from dispatch.clock import Clock
from dispatch.errors import IllegalTransition, NotFound
from dispatch.intake import Slot, visit_end
from dispatch.labels import SLOT_LABELS
from dispatch.lifecycle import move
from dispatch.messages import N_, Button, Day, Lines, Msg, Outgoing, Param
from dispatch.model import Contract, Event, EventKind, Role, Status, Ticket, TicketKind, User
from dispatch.offers import offer_in
from dispatch.policy import DeskPolicy
from dispatch.ports import UnitOfWork, UnitOfWorkFactory
from dispatch.sla import SlaStep
from dispatch.tickets import arm, created_event, customers_ticket, new_tickets
from dispatch.users import as_manager

__all__ = [
    "END_WARNING",
    "book_unanswered",
    "confirm_visit",
    "contracts_overview",
    "days_to_pick",
    "end_contract",
    "plan_visits",
    "schedule_next",
    "warn_ending",
]

END_WARNING = timedelta(days=30)
ANSWER_BY = timedelta(days=2)  # a proposal unanswered this close to its day is kept...
TIME_TO_ANSWER = timedelta(hours=20)  # ...once the customer has had this long to answer
BATCH = 500


def add_months(day: date, months: int, *, anchor: int | None = None) -> date:
    """``day`` moved by ``months``, on the ``anchor`` day of the month (default: its own),
    or that month's last day when it is shorter."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(anchor or day.day, last))


def next_visit(contract: Contract, after: date) -> date | None:
    """The first planned visit on or after ``after``: the start, then every ``every_months``
    on the start's day of the month; None once past the contract's end."""
    visit, step = contract.starts_on, 0
    while visit < after:
        step += contract.every_months
        visit = add_months(contract.starts_on, step, anchor=contract.starts_on.day)
    return visit if visit <= contract.ends_on else None


def schedule_next(contract: Contract, after: date, lead: int) -> None:
    """The contract's next visit on or after ``after``, and the day to plan it."""
    contract.next_visit_on = next_visit(contract, after) if contract.ended_on is None else None
    contract.plan_on = (
        None if contract.next_visit_on is None else contract.next_visit_on - timedelta(days=lead)
    )


def _proposal(ticket: Ticket, contract: Contract, quiet_until: datetime | None) -> Outgoing:
    return Outgoing(
        ticket.customer_id,
        N_(
            "🗓 Planned maintenance {number} under your contract {contract} ({site}): we propose a visit on {day}, {slot}. Does that day suit you?"
        ),
        {
            "number": ticket.number,
            "contract": contract.number,
            "site": contract.site,
            "day": Day(contract.next_visit_on or ticket.created_at.date()),
            "slot": Msg(SLOT_LABELS[Slot(ticket.preferred_slot or Slot.MORNING.value)]),
        },
        buttons=(
            (
                Button(N_("✅ That day suits me"), data=VISIT_OK.data(ticket.id)),
                Button(N_("📅 Another day"), data=VISIT_OTHER.data(ticket.id)),
            ),
        ),
        ticket_id=ticket.id,
        dedup_key=f"planned:{ticket.id}",
        not_before=quiet_until,  # the customer did not ask: not in their quiet hours
    )


async def plan_visits(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    policy: DeskPolicy,
    *,
    lead_days: int,
    limit: int = BATCH,
) -> int:
    """One planning pass: each contract whose next visit is due to be planned gets its
    ticket, its created event and the customer's proposal, and its following visit
    scheduled, in one transaction; returns how many visits were created."""
    uow = uow_factory()
    async with uow:
        now = clock.now()
        today = now.astimezone(policy.zone).date()
        due = await uow.contracts.due(today, limit)
        if not due:
            return 0
        customers = await uow.users.get_many(sorted({c.customer_id for c in due}))
        # A visit whose day has passed (the desk was down) is skipped, not made late.
        planned = [
            c
            for c in due
            if c.next_visit_on is not None
            and c.next_visit_on >= today
            and c.customer_id in customers
        ]
        tickets = await new_tickets(
            uow,
            now=now,
            zone=policy.zone,
            kind=TicketKind.MAINTENANCE,
            customer_ids=[c.customer_id for c in planned],
        )
        for ticket, contract in zip(tickets, planned, strict=True):
            ticket.status = Status.PROPOSED
            ticket.product_category = contract.products[0] if contract.products else None
            ticket.description = contract.services or contract.site
            ticket.address = contract.address
            ticket.latitude, ticket.longitude = contract.latitude, contract.longitude
            ticket.contact_phone = customers[contract.customer_id].phone
            ticket.preferred_date = contract.next_visit_on
            ticket.preferred_slot = Slot.MORNING.value
            ticket.details = {"contract": contract.number, "site": contract.site}
        await uow.tickets.add_many(tickets)
        await uow.events.add_many([created_event(v, actor_id=None, at=now) for v in tickets])
        await uow.outbox.add_many(
            [
                _proposal(v, c, policy.quiet_until(now))
                for v, c in zip(tickets, planned, strict=True)
            ],
            at=now,
        )
        changes: list[tuple[int, date | None, date | None]] = []
        for contract in due:  # the following visit: the first after this one
            after = max(today, (contract.next_visit_on or today) + timedelta(days=1))
            schedule_next(contract, after, lead_days)
            changes.append((contract.id, contract.next_visit_on, contract.plan_on))
        await uow.contracts.planned(changes)
        await uow.commit()
        return len(tickets)


def days_to_pick(ticket: Ticket, today: date) -> list[date]:
    """The days a customer may pick: the week around the proposed one (which is among
    them), from tomorrow on."""
    proposed = ticket.preferred_date or today
    first = max(today + timedelta(days=1), proposed - timedelta(days=3))
    return [first + timedelta(days=i) for i in range(7)]


async def confirm_visit(
    uow: UnitOfWork,
    clock: Clock,
    policy: DeskPolicy,
    *,
    ticket_id: int,
    customer_id: int,
    day: date | None = None,
) -> Ticket:
    """The customer confirms the proposed day (or picks ``day``): the visit is booked and
    offered to a technician like a repair booked for that day."""
    async with uow:
        now = clock.now()
        today = now.astimezone(policy.zone).date()
        ticket = await customers_ticket(uow, ticket_id=ticket_id, customer_id=customer_id)
        if ticket.status != Status.PROPOSED:
            raise IllegalTransition(ticket.kind.value, ticket.status, Status.NEW)
        if day is not None:
            if day not in days_to_pick(ticket, today):
                raise NotFound("that day is not offered")
            ticket.preferred_date = day
        await _book(
            uow,
            policy,
            ticket,
            now,
            actor_id=customer_id,
            text=N_(
                "✅ Booked: planned maintenance {number} on {day}, {slot}. The technician will call you before coming."
            ),
        )
        await uow.commit()
        return ticket


async def _book(
    uow: UnitOfWork,
    policy: DeskPolicy,
    ticket: Ticket,
    now: datetime,
    *,
    actor_id: int | None,
    text: str,
) -> None:
    """Inside an open unit of work: the visit booked on its day, its dispatch and on-site
    clocks started (the on-site one runs to the end of the booked morning), the customer
    told, and the job offered like a repair booked for that day."""
    booked = ticket.preferred_date or now.astimezone(policy.zone).date()
    await move(uow, policy, ticket, Status.NEW, at=now, actor_id=actor_id)
    slot = Slot(ticket.preferred_slot or Slot.MORNING.value)
    await arm(uow, policy, ticket, SlaStep.REPAIR_DISPATCH, now)
    await arm(
        uow,
        policy,
        ticket,
        SlaStep.REPAIR_ON_SITE,
        now,
        not_before=visit_end(booked, slot, policy.zone),
    )
    await uow.outbox.add(
        Outgoing(
            ticket.customer_id,
            text,
            {"number": ticket.number, "day": Day(booked), "slot": Msg(SLOT_LABELS[slot])},
            ticket_id=ticket.id,
            dedup_key=f"planned-ok:{ticket.id}",
            # The customer's own answer is told at once; a booking the desk made alone
            # waits out their quiet hours.
            not_before=None if actor_id == ticket.customer_id else policy.quiet_until(now),
        ),
        at=now,
    )
    await offer_in(uow, policy, ticket, now)


async def book_unanswered(uow: UnitOfWork, clock: Clock, policy: DeskPolicy) -> int:
    """A proposed visit is kept on its day and dispatched, the customer told, when it is
    still unanswered ANSWER_BY before the day and the customer had TIME_TO_ANSWER, or in
    any case the day before (a visit planned late: the desk was down, or plans only a day
    or two ahead). Returns how many."""
    async with uow:
        now = clock.now()
        today = now.astimezone(policy.zone).date()
        waiting = [
            ticket
            for ticket in await uow.tickets.in_status(Status.PROPOSED)
            if ticket.preferred_date is None
            or ticket.preferred_date <= today + timedelta(days=1)
            or (
                ticket.preferred_date - ANSWER_BY <= today
                and ticket.created_at <= now - TIME_TO_ANSWER
            )
        ]
        if not waiting:
            return 0
        for ticket in waiting:
            await _book(
                uow,
                policy,
                ticket,
                now,
                actor_id=None,
                text=N_(
                    "🗓 Planned maintenance {number} is booked for {day}, {slot}. The technician will call you before coming; to change the day, open it in /mytickets and tell us which day suits you."
                ),
            )
        await uow.commit()
        return len(waiting)


async def end_contract(
    uow: UnitOfWork, clock: Clock, policy: DeskPolicy, *, number: str, manager_id: int
) -> Contract:
    """A manager ends a contract today: no more visits are planned (those already
    proposed or booked stay, and can be cancelled on their own). NotFound for an unknown
    number, IllegalTransition when it has ended already."""
    async with uow:
        now = clock.now()
        await as_manager(uow, manager_id, to="end a contract")
        contract = await uow.contracts.get(number.strip())
        if contract is None:
            raise NotFound(f"contract {number}")
        if contract.ended_on is not None:
            raise IllegalTransition("contract", "ended", "ended")
        contract.ended_on = now.astimezone(policy.zone).date()
        contract.next_visit_on = contract.plan_on = None
        await uow.contracts.save(contract)
        await uow.events.add(
            Event(
                kind=EventKind.CONTRACT_ENDED,
                created_at=now,
                actor_id=manager_id,
                details={"contract": contract.number},
            )
        )
        await uow.commit()
        return contract


async def warn_ending(uow: UnitOfWork, clock: Clock, policy: DeskPolicy) -> int:
    """Tell every manager, once, of a contract ending within 30 days; return how many
    messages were written."""
    now = clock.now()
    today = now.astimezone(policy.zone).date()
    async with uow:
        ending = await uow.contracts.ending_unwarned(today + END_WARNING)
        if not ending:
            return 0
        managers = await uow.users.with_role(Role.MANAGER)
        customers = await uow.users.get_many(sorted({c.customer_id for c in ending}))
        messages = [
            Outgoing(
                manager.id,
                N_(
                    "📄 Maintenance contract {contract} ({site}, {customer}) ends on {day}. Renew it by loading the contract again with its new end date."
                ),
                {
                    "contract": contract.number,
                    "site": contract.site,
                    "customer": _name(customers, contract.customer_id),
                    "day": Day(contract.ends_on, year=True),
                },
                dedup_key=f"contract-end:{contract.number}:{contract.ends_on}:{manager.id}",
            )
            for contract in ending
            for manager in managers
        ]
        for contract in ending:
            contract.end_warned_on = today
            await uow.contracts.save(contract)
        await uow.outbox.add_many(messages, at=now)
        await uow.commit()
    return len(messages)


def _name(customers: Mapping[int, User], customer_id: int) -> str:
    customer = customers.get(customer_id)
    return customer.display_name if customer else "?"


async def contracts_overview(uow: UnitOfWork, *, customer_id: int | None) -> Msg | None:
    """The running contracts (all, or one customer's), with the next visit and the end;
    None when there are none."""
    async with uow:
        found = (
            await uow.contracts.running()
            if customer_id is None
            else [c for c in await uow.contracts.of_customer(customer_id) if c.ended_on is None]
        )
        customers = await uow.users.get_many(sorted({c.customer_id for c in found}))
    if not found:
        return None
    lines: list[Param] = []
    for contract in found:
        lines.append(
            Msg(
                N_(
                    "{contract} · {site} · {customer} · every {months} months · next visit {next} · ends {end}"
                )
                if contract.every_months > 1
                else N_(
                    "{contract} · {site} · {customer} · monthly · next visit {next} · ends {end}"
                ),
                {
                    "contract": contract.number,
                    "site": contract.site,
                    "customer": _name(customers, contract.customer_id),
                    "months": contract.every_months,
                    "next": Day(contract.next_visit_on) if contract.next_visit_on else "-",
                    "end": Day(contract.ends_on, year=True),
                },
            )
        )
    return Msg(N_("📄 Maintenance contracts:\n{lines}"), {"lines": Lines(tuple(lines))})
