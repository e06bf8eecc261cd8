"""A job that waits for a spare part (备品备件, 000 §1.5: a missing part must not silently
make a visit late).

The technician says which part is missing (:func:`wait_for_part`): the job moves to
``waiting_part``, its on-site clock stands still (dispatch.sla: the on-site steps stop
there) with the time it had left kept on the ticket, and the part request's own limit
(the SLA table's ``part_request``) starts; the customer and the managers are told. When
the part has arrived (:func:`part_arrived`, pressed by the technician or a manager) the
job is the technician's again: the on-site clock runs on with the time it had left, or,
where the technician had already been on site, a return visit gets the full limit again;
the technician sets a new visit time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from dispatch.callbacks import CASE_OPEN, PART_ARRIVED
from dispatch.clock import Clock
from dispatch.errors import IllegalTransition, NotAllowed, NotFound
from dispatch.intake import check_text
from dispatch.lifecycle import move
from dispatch.messages import N_, At, Button, Lines, Msg, Outgoing, Param
from dispatch.model import PartKind, Role, Status, Ticket
from dispatch.parts import counted_part
from dispatch.policy import DeskPolicy
from dispatch.ports import UnitOfWork
from dispatch.sla import SlaStep
from dispatch.staffroom import announce
from dispatch.states import allowed
from dispatch.technicians import assigned_job
from dispatch.tickets import arm

__all__ = ["PartWait", "open_requests", "part_arrived", "wait_for_part"]

_WAIT = "part_wait"  # the ticket's details key


@dataclass(frozen=True)
class PartWait:
    """What a job waits for: the part as listed (or as the technician wrote it), how many."""

    name: Param
    quantity: int
    since: datetime


def _wait_of(ticket: Ticket, parts: Sequence[PartKind]) -> PartWait:
    wait = ticket.details.get(_WAIT) or {}
    listed = {part.code: part.name for part in parts}
    code = wait.get("code")
    return PartWait(
        listed[code] if code in listed else str(wait.get("name", "?")),
        int(wait.get("quantity", 1)),
        datetime.fromisoformat(wait["since"]) if wait.get("since") else ticket.updated_at,
    )


async def wait_for_part(
    uow: UnitOfWork,
    clock: Clock,
    policy: DeskPolicy,
    parts: Sequence[PartKind],
    *,
    ticket_id: int,
    technician_id: int,
    text: str,
) -> tuple[Ticket, PartWait]:
    """The technician's job waits for the part ``text`` names (``Drain pump x2``; a part
    not on the list is kept as written). InvalidInput for an unreadable name."""
    typed = check_text(text, minimum=2, maximum=120)
    part, name, quantity = counted_part(parts, typed)
    async with uow:
        now = clock.now()
        ticket = await assigned_job(uow, ticket_id, technician_id)
        if not allowed(ticket.kind, ticket.status, Status.WAITING_PART):
            raise IllegalTransition(ticket.kind.value, ticket.status, Status.WAITING_PART)
        due = ticket.deadlines.get("arrive_due_at")
        step = ticket.steps.get("arrive")
        left = (
            (due - now).total_seconds()
            if due is not None and step is not None and ticket.status != Status.ON_SITE
            else None
        )
        ticket.details[_WAIT] = {
            "code": part.code if part else None,
            "name": name,
            "quantity": quantity,
            "since": now.isoformat(),
            "from": ticket.status.value,
            "arrive_step": step,
            "arrive_left_s": left,
        }
        await move(
            uow,
            policy,
            ticket,
            Status.WAITING_PART,
            at=now,
            actor_id=technician_id,
            details={"part": part.code if part else name, "quantity": quantity},
        )
        wait = _wait_of(ticket, parts)
        technician = await uow.technicians.get(technician_id)
        shown: dict[str, Param] = {
            "number": ticket.number,
            "part": wait.name,
            "quantity": quantity,
            "technician": technician.name if technician else "-",
            "due": At(policy.due(now, SlaStep.PART_REQUEST)),
        }
        await uow.outbox.add(
            Outgoing(
                ticket.customer_id,
                N_(
                    "🔧 {number} needs a spare part ({part}); we are getting it. The visit waits for it; the technician will set a new visit time with you as soon as it arrives."
                ),
                shown,
                ticket_id=ticket.id,
                dedup_key=f"part-wait:{ticket.id}:{now.isoformat()}",
                not_before=policy.quiet_until(now),
            ),
            at=now,
        )
        buttons = (
            (
                Button(N_("📦 The part has arrived"), data=PART_ARRIVED.data(ticket.id)),
                Button(N_("📁 Open"), data=CASE_OPEN.data(ticket.id)),
            ),
        )
        for manager in await uow.users.with_role(Role.MANAGER):
            await uow.outbox.add(
                Outgoing(
                    manager.id,
                    N_(
                        "📦 {number} waits for a spare part: {part} ×{quantity} for {technician}. Please get it to them by {due}; the on-site clock is paused until then."
                    ),
                    shown,
                    buttons=buttons,
                    ticket_id=ticket.id,
                    dedup_key=f"part-wait:{ticket.id}:{now.isoformat()}:{manager.id}",
                ),
                at=now,
            )
        await announce(
            uow,
            policy,
            "desk:dispatch",
            N_("📦 {number} waits for a spare part: {part} ×{quantity} for {technician}."),
            shown,
            now,
            dedup_key=f"part-wait:{ticket.id}:{now.isoformat()}",
        )
        await uow.commit()
        return ticket, wait


async def part_arrived(
    uow: UnitOfWork, clock: Clock, policy: DeskPolicy, *, ticket_id: int, actor_id: int
) -> Ticket:
    """The part is with the technician: the job is theirs again, its on-site clock running.
    The assigned technician or a manager may say so; NotAllowed for anyone else,
    IllegalTransition when the job no longer waits (a second press)."""
    async with uow:
        now = clock.now()
        ticket = await uow.tickets.get(ticket_id)
        if ticket is None:
            raise NotFound(f"ticket {ticket_id}")
        actor = await uow.users.get(actor_id)
        if ticket.assigned_technician_id != actor_id and (
            actor is None or actor.role is not Role.MANAGER
        ):
            raise NotAllowed("only the technician or a manager")
        if ticket.status != Status.WAITING_PART or ticket.assigned_technician_id is None:
            raise IllegalTransition(ticket.kind.value, ticket.status, Status.ASSIGNED)
        wait = dict(ticket.details.pop(_WAIT, None) or {})
        await move(
            uow, policy, ticket, Status.ASSIGNED, at=now, actor_id=actor_id, details={"part": "in"}
        )
        await _restart_on_site_clock(uow, policy, ticket, wait, now)
        visit = await uow.visits.for_ticket(ticket.id)
        if visit is not None:  # a new visit: its time is agreed again
            visit.planned_at = visit.arrival_claimed_at = None
            await uow.visits.save(visit)
        technician = await uow.technicians.get(ticket.assigned_technician_id)
        params: dict[str, Param] = {
            "number": ticket.number,
            "technician": technician.name if technician else "-",
        }
        await uow.outbox.add_many(
            [
                Outgoing(
                    ticket.assigned_technician_id,
                    N_(
                        "📦 The part for {number} has arrived. Please agree a visit time with the customer: /jobs"
                    ),
                    params,
                    ticket_id=ticket.id,
                    dedup_key=f"part-in:{ticket.id}:{now.isoformat()}",
                ),
                Outgoing(
                    ticket.customer_id,
                    N_(
                        "📦 The spare part for {number} has arrived. {technician} will confirm the visit time with you."
                    ),
                    params,
                    ticket_id=ticket.id,
                    dedup_key=f"part-in:{ticket.id}:{now.isoformat()}:customer",
                    not_before=policy.quiet_until(now),
                ),
            ],
            at=now,
        )
        await uow.commit()
        return ticket


async def _restart_on_site_clock(
    uow: UnitOfWork, policy: DeskPolicy, ticket: Ticket, wait: dict[str, object], now: datetime
) -> None:
    """The on-site clock after the pause: the time it had left, or the full limit for a
    return visit. A limit already passed before the pause stays reported, not re-armed."""
    step = wait.get("arrive_step")
    if not isinstance(step, str):
        return
    if wait.get("from") == Status.ON_SITE:
        await arm(uow, policy, ticket, step, now)
        return
    left = wait.get("arrive_left_s")
    if not isinstance(left, int | float) or left <= 0:
        return
    due = now + timedelta(seconds=left)
    ticket.deadlines["arrive_due_at"] = due
    await uow.tickets.arm(
        ticket.id, "arrive", step, due, now + timedelta(seconds=left * policy.warn_fraction)
    )


async def open_requests(
    uow: UnitOfWork, parts: Sequence[PartKind], *, technician_id: int | None
) -> Msg | None:
    """The jobs waiting for a part (all, or one technician's), oldest first, for /parts;
    None when there are none."""
    async with uow:
        waiting = [
            ticket
            for ticket in await uow.tickets.in_status(Status.WAITING_PART)
            if technician_id in (None, ticket.assigned_technician_id)
        ]
        names = await uow.technicians.names(
            sorted({job.assigned_technician_id for job in waiting if job.assigned_technician_id})
        )
    if not waiting:
        return None
    lines: list[Param] = []
    for ticket in sorted(waiting, key=lambda job: _wait_of(job, parts).since):
        wait = _wait_of(ticket, parts)
        lines.append(
            Msg(
                N_("{number} · {part} ×{quantity} · {technician} · since {since}"),
                {
                    "number": ticket.number,
                    "part": wait.name,
                    "quantity": wait.quantity,
                    "technician": names.get(ticket.assigned_technician_id or 0, "-"),
                    "since": At(wait.since),
                },
            )
        )
    return Msg(N_("⏸ Jobs waiting for a part:\n{lines}"), {"lines": Lines(tuple(lines))})
