"""The dispatch round over the backlog, and a manager's hand assignment.

The round expires overdue offers, then offers every waiting job: greedily while idle
technicians outnumber waiting jobs, solved at once for the least total cost with a
backlog. A manager's choice withdraws any open offer or assignment and offers the job
to the chosen technician, who answers it as usual.
"""

from __future__ import annotations

from dataclasses import dataclass

from dispatch.assignment import Choice, Fleet, FleetCache, Job, assign_backlog, should_batch
from dispatch.clock import Clock
from dispatch.errors import ConcurrentUpdate, NotAllowed, NotFound
from dispatch.geo import distance_km
from dispatch.messages import N_, Outgoing
from dispatch.model import Event, EventKind, Offer
from dispatch.offers import as_job, make_offer, offer_next, release_offer
from dispatch.policy import DeskPolicy
from dispatch.ports import UnitOfWork, UnitOfWorkFactory
from dispatch.users import as_manager

__all__ = ["HandAssignment", "assign_by_manager", "dispatch_round"]


@dataclass(frozen=True)
class HandAssignment:
    """A manager's hand assignment: the offer made, and the names to confirm it with."""

    offer: Offer
    ticket_number: str
    technician_name: str


async def dispatch_round(uow_factory: UnitOfWorkFactory, clock: Clock, policy: DeskPolicy) -> int:
    """The periodic round: expire overdue offers, then offer every waiting job.

    While idle technicians outnumber waiting jobs, each is offered greedily; with a
    backlog, waiting x idle is solved at once for the least total cost. Returns the
    number of offers made. Safe to run in several processes at once.
    """
    made = 0
    uow = uow_factory()
    async with uow:
        now = clock.now()
        for offer in await uow.offers.due(now):
            ticket = await release_offer(
                uow, offer, to="expired", at=now, actor_id=None, reason=None
            )
            if ticket is not None:
                await uow.outbox.add(
                    Outgoing(
                        user_id=offer.technician_id,
                        text=N_(
                            "⌛ The offer of {number} expired, so it went to another technician."
                        ),
                        params={"number": ticket.number},
                        ticket_id=ticket.id,
                        dedup_key=f"expired:{offer.id}",
                    ),
                    at=now,
                )
        await uow.commit()
    uow = uow_factory()
    async with uow:
        now = clock.now()
        waiting = await uow.tickets.waiting_for_dispatch()
        if not waiting:
            return 0
        cache = FleetCache()
        fleet = cache.store(
            Fleet(await uow.technicians.fleet(now, fresh=policy.dispatch.fresh_location)), now
        )
        batch = should_batch(fleet.idle, len(waiting))
        jobs: list[Job] = []
        for ticket in waiting:
            job = as_job(ticket, await uow.offers.tried(ticket.id), now, policy)
            if job is not None:
                jobs.append(job)
    if batch:
        by_id = {waiting_ticket.id: waiting_ticket for waiting_ticket in waiting}
        choices = assign_backlog(jobs, fleet, policy.dispatch.weights)
        for choice in choices:
            uow = uow_factory()
            async with uow:
                ticket = await uow.tickets.get(choice.ticket_id)
                if ticket is None or ticket.status != "new":
                    continue
                try:
                    await make_offer(uow, policy, ticket, choice, clock.now(), None)
                    await uow.commit()
                    made += 1
                except ConcurrentUpdate:
                    continue  # another process offered it first
            del by_id[choice.ticket_id]
        leftovers = [
            left.id for left in by_id.values() if left.id not in {c.ticket_id for c in choices}
        ]
    else:
        leftovers = [waiting_ticket.id for waiting_ticket in waiting]
    for ticket_id in leftovers:
        outcome = await offer_next(
            uow_factory(), clock, policy, ticket_id=ticket_id, batch_aware=False, fleet_cache=cache
        )
        made += outcome.result == "offered"
    return made


async def assign_by_manager(
    uow: UnitOfWork,
    clock: Clock,
    policy: DeskPolicy,
    *,
    ticket_id: int,
    technician_id: int,
    manager_id: int,
) -> HandAssignment:
    """A manager's choice: withdraw any open offer or assignment, then offer it to them."""
    async with uow:
        now = clock.now()
        await as_manager(uow, manager_id, to="assign by hand")
        ticket = await uow.tickets.get(ticket_id)
        technician = await uow.technicians.get(technician_id)
        if ticket is None or technician is None:
            raise NotFound("ticket or technician")
        pending = await uow.offers.pending_for(ticket.id)
        if pending is not None:
            await release_offer(
                uow, pending, to="withdrawn", at=now, actor_id=manager_id, reason="manager"
            )
            ticket = await uow.tickets.get(ticket_id)
            assert ticket is not None
        previous = ticket.assigned_technician_id
        if (
            previous is not None
            and previous != technician_id
            and ticket.status in ("assigned", "en_route")
        ):
            await uow.outbox.add(
                Outgoing(
                    user_id=previous,
                    text=N_(
                        "A manager gave job {number} to another technician. It is off your list."
                    ),
                    params={"number": ticket.number},
                    ticket_id=ticket.id,
                    dedup_key=f"withdrawn:{ticket.id}:{previous}:{now.isoformat()}",
                ),
                at=now,
            )
            ticket.assigned_technician_id = None
            await uow.offers.withdraw_accepted(ticket.id, now)
        if ticket.status not in ("new", "assigned", "en_route"):
            raise NotAllowed(f"a ticket in {ticket.status} cannot be assigned")
        distance = None
        last = await uow.technicians.last_location(technician_id)
        if ticket.latitude is not None and ticket.longitude is not None:
            lat, lon = (
                (last[0], last[1])
                if last
                else (technician.base_latitude, technician.base_longitude)
            )
            distance = distance_km(lat, lon, ticket.latitude, ticket.longitude)
        offer = await make_offer(
            uow,
            policy,
            ticket,
            Choice(ticket.id, technician_id, distance or 0.0, 0.0),
            now,
            manager_id,
        )
        await uow.events.add(
            Event(
                kind=EventKind.ASSIGNED_BY_MANAGER,
                created_at=now,
                ticket_id=ticket.id,
                actor_id=manager_id,
                details={"technician_id": technician_id},
            )
        )
        await uow.commit()
        return HandAssignment(offer, ticket.number, technician.name)
