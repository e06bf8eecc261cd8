"""Offering jobs to technicians: offer, accept, decline, expire, fall back to managers.

A repair or installation waiting in ``new`` is offered to the engine's best
candidate (dispatch.assignment). The offer expires after ``offer_timeout``; a
decline or an expiry sends it to the next candidate, never to one already
asked. When nobody is left, or the dispatch limit would pass before an answer,
every manager is pinged with a button to assign by hand. A manager's choice gets
the offer as usual.

Two technicians can never hold one job: the ticket moves offered -> assigned by
compare-and-set on its version, and the database allows one pending and one
accepted offer per ticket.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from dispatch.assignment import Choice, Fleet, FleetCache, Job, should_batch
from dispatch.callbacks import ASSIGN_LIST, JOB_ON_MY_WAY, JOB_TIME, OFFER_ACCEPT, OFFER_DECLINE
from dispatch.certificates import needed_for, visit_day
from dispatch.clock import Clock
from dispatch.errors import ConcurrentUpdate, NotAllowed, NotFound, OfferClosed
from dispatch.intake import Slot
from dispatch.labels import SLOT_LABELS
from dispatch.messages import N_, At, Button, Day, Msg, Number, Outgoing, Param, listed
from dispatch.model import Offer, OfferStatus, Role, Ticket, Visit
from dispatch.policy import DeskPolicy
from dispatch.ports import UnitOfWork, UnitOfWorkFactory
from dispatch.staffroom import announce, open_room
from dispatch.states import FIELD_KINDS, transition

__all__ = [
    "OfferClosed",
    "Outcome",
    "accept_offer",
    "as_job",
    "decline_offer",
    "make_offer",
    "offer_in",
    "offer_next",
    "release_offer",
]


@dataclass(frozen=True)
class Outcome:
    """What :func:`offer_next` did: ``offered`` (to ``technician_id``), ``waiting`` (for the
    batch round), ``managers`` (nobody could take it; managers were asked), or ``skipped``."""

    result: str
    technician_id: int | None = None


NO_CANDIDATE = N_("no qualified technician on duty within reach")
NO_LOCATION = N_("the customer shared no location")
ALL_TRIED = N_("every qualified technician declined or let the offer expire")
NO_CERTIFIED = N_("technicians are within reach, but none holds the {certificates} valid on {day}")


def _product(policy: DeskPolicy, ticket: Ticket) -> Param:
    product = policy.product(ticket.product_category)
    return product.name if product else Msg(N_("Something else"))


def _where(ticket: Ticket) -> Param:
    if ticket.address:
        return ticket.address
    return Msg(
        N_("{latitude}, {longitude}"),
        {
            "latitude": Number(ticket.latitude or 0, 5),
            "longitude": Number(ticket.longitude or 0, 5),
        },
    )


def _when(ticket: Ticket) -> tuple[Param, Param]:
    day: Param = Day(ticket.preferred_date) if ticket.preferred_date else "-"
    slot: Param = Msg(SLOT_LABELS[Slot(ticket.preferred_slot)]) if ticket.preferred_slot else "-"
    return day, slot


async def _offer_messages(
    uow: UnitOfWork, policy: DeskPolicy, ticket: Ticket, offer: Offer, now: datetime
) -> None:
    photos = [
        a.file_id for a in await uow.attachments.for_ticket(ticket.id) if a.media_type == "photo"
    ]
    if photos:
        await uow.outbox.add(
            Outgoing(
                user_id=offer.technician_id,
                text="",
                kind="photos",
                media=tuple(photos[:10]),
                ticket_id=ticket.id,
            ),
            at=now,
        )
    day, slot = _when(ticket)
    minutes = max(1, round((offer.expires_at - now).total_seconds() / 60))
    await uow.outbox.add(
        Outgoing(
            user_id=offer.technician_id,
            text=N_(
                "🔧 New job {number}: {product}\n{problem}\nDistance: {distance} km\nAddress: {address}\n"
                "Preferred time: {day}, {slot}\nPlease answer within {minutes} minutes."
            ),
            params={
                "number": ticket.number,
                "product": _product(policy, ticket),
                "problem": ticket.description,
                "distance": Number(offer.distance_km) if offer.distance_km is not None else "?",
                "address": _where(ticket),
                "day": day,
                "slot": slot,
                "minutes": minutes,
            },
            buttons=(
                (
                    Button(N_("✅ Accept"), data=OFFER_ACCEPT.data(offer.id)),
                    Button(N_("✖ Decline"), data=OFFER_DECLINE.data(offer.id)),
                ),
            ),
            ticket_id=ticket.id,
            dedup_key=f"offer:{offer.id}",
        ),
        at=now,
    )


def _why_nobody(policy: DeskPolicy, fleet: Fleet, job: Job, tried: set[int]) -> Msg:
    """Why no technician could be offered ``job``: the managers read it to act on it."""
    if tried:
        return Msg(ALL_TRIED)
    if job.certificates and fleet.nearest(replace(job, certificates=frozenset()), k=1):
        assert job.day is not None  # as_job gives every job its visit day
        names = {kind.code: kind.name for kind in policy.certificates}
        return Msg(
            NO_CERTIFIED,
            {
                "certificates": listed([names[code] for code in sorted(job.certificates)]),
                "day": Day(job.day),
            },
        )
    return Msg(NO_CANDIDATE)


async def _ping_managers(
    uow: UnitOfWork, ticket: Ticket, why: str | Msg, now: datetime, policy: DeskPolicy
) -> None:
    # The job needs people: it gets a topic in the staff group, and a line in Dispatch.
    why = why if isinstance(why, Msg) else Msg(why)
    await open_room(uow, policy, ticket, now)
    await announce(
        uow,
        policy,
        "desk:dispatch",
        N_("🛠 Nobody can take {number} ({product}): {why}."),
        {"number": ticket.number, "product": _product(policy, ticket), "why": why},
        now,
        dedup_key=f"unassigned:{ticket.id}:{why.msgid[:20]}",
    )
    for manager in await uow.users.with_role(Role.MANAGER):
        await uow.outbox.add(
            Outgoing(
                user_id=manager.id,
                text=N_(
                    "⚠️ Nobody can take {number} ({product}, {address}): {why}. Please assign it by hand."
                ),
                params={
                    "number": ticket.number,
                    "product": _product(policy, ticket),
                    "address": ticket.address or "-",
                    "why": why,
                },
                buttons=(
                    (Button(N_("👷 Assign a technician"), data=ASSIGN_LIST.data(ticket.id)),),
                ),
                ticket_id=ticket.id,
                dedup_key=f"unassigned:{ticket.id}:{why.msgid[:20]}:{manager.id}",
            ),
            at=now,
        )


async def make_offer(
    uow: UnitOfWork,
    policy: DeskPolicy,
    ticket: Ticket,
    choice: Choice,
    now: datetime,
    actor_id: int | None,
) -> Offer:
    offer = await uow.offers.add(
        Offer(
            id=0,
            ticket_id=ticket.id,
            technician_id=choice.user_id,
            status=OfferStatus.PENDING,
            offered_at=now,
            expires_at=now + policy.dispatch.offer_timeout,
            distance_km=choice.distance_km,
        )
    )
    event = transition(
        ticket,
        "offered",
        at=now,
        actor_id=actor_id,
        details={"offer_id": offer.id, "technician_id": choice.user_id},
    )
    await uow.tickets.save(ticket)
    await uow.events.add(event)
    await _offer_messages(uow, policy, ticket, offer, now)
    due = ticket.deadlines.get("dispatch_due_at")
    if due is not None and offer.expires_at > due:
        for manager in await uow.users.with_role(Role.MANAGER):
            await uow.outbox.add(
                Outgoing(
                    user_id=manager.id,
                    text=N_(
                        "⏰ {number} is not accepted yet, and its dispatch limit ends at {due}."
                    ),
                    params={"number": ticket.number, "due": At(due)},
                    buttons=(
                        (Button(N_("👷 Assign a technician"), data=ASSIGN_LIST.data(ticket.id)),),
                    ),
                    ticket_id=ticket.id,
                    dedup_key=f"dispatch-risk:{ticket.id}:{manager.id}",
                ),
                at=now,
            )
    return offer


def as_job(ticket: Ticket, excluded: set[int], now: datetime, policy: DeskPolicy) -> Job | None:
    """The job as the engine sees it, with the certificates it needs on its visit day."""
    if ticket.latitude is None or ticket.longitude is None:
        return None
    return Job(
        ticket_id=ticket.id,
        latitude=ticket.latitude,
        longitude=ticket.longitude,
        skill=ticket.product_category,
        waiting_minutes=(now - ticket.created_at).total_seconds() / 60,
        excluded=frozenset(excluded),
        certificates=needed_for(policy.certificates, ticket),
        day=visit_day(ticket, now.astimezone(policy.zone).date()),
    )


async def _fleet(
    uow: UnitOfWork, policy: DeskPolicy, now: datetime, cache: FleetCache | None
) -> Fleet:
    fleet = cache.current(now) if cache else None
    if fleet is None:
        fleet = Fleet(await uow.technicians.fleet(now, fresh=policy.dispatch.fresh_location))
        if cache:
            cache.store(fleet, now)
    return fleet


async def offer_in(
    uow: UnitOfWork,
    policy: DeskPolicy,
    ticket: Ticket,
    now: datetime,
    *,
    batch_aware: bool = True,
    fleet_cache: FleetCache | None = None,
) -> Outcome:
    """The offer decision inside an open unit of work; the caller commits."""
    if ticket.kind not in FIELD_KINDS or ticket.status != "new":
        return Outcome("skipped")
    tried = await uow.offers.tried(ticket.id) if ticket.version > 1 else set()
    job = as_job(ticket, tried, now, policy)
    if job is None:
        await _ping_managers(uow, ticket, NO_LOCATION, now, policy)
        return Outcome("managers")
    fleet = await _fleet(uow, policy, now, fleet_cache)
    if batch_aware and fleet.idle > 0:  # nobody free: no batch to wait for
        waiting = await uow.tickets.count_waiting()
        if should_batch(fleet.idle, waiting):
            return Outcome("waiting")
    choice = fleet.best(job, policy.dispatch.weights)
    # The picture may be a few seconds old: the database has the last word.
    while choice is not None and not await uow.technicians.available(choice.user_id):
        fleet.mark_busy(choice.user_id)
        choice = fleet.best(job, policy.dispatch.weights)
    if choice is None:
        await _ping_managers(uow, ticket, _why_nobody(policy, fleet, job, tried), now, policy)
        return Outcome("managers")
    await make_offer(uow, policy, ticket, choice, now, None)
    fleet.mark_busy(choice.user_id)
    return Outcome("offered", choice.user_id)


async def offer_next(
    uow: UnitOfWork,
    clock: Clock,
    policy: DeskPolicy,
    *,
    ticket_id: int,
    batch_aware: bool = True,
    fleet_cache: FleetCache | None = None,
) -> Outcome:
    """Offer a waiting job to its best candidate now, or leave it for the batch round."""
    async with uow:
        ticket = await uow.tickets.get(ticket_id)
        if ticket is None:
            return Outcome("skipped")
        outcome = await offer_in(
            uow, policy, ticket, clock.now(), batch_aware=batch_aware, fleet_cache=fleet_cache
        )
        await uow.commit()
        return outcome


async def accept_offer(
    uow: UnitOfWork, clock: Clock, policy: DeskPolicy, *, offer_id: int, technician_id: int
) -> Ticket:
    """The technician takes the job; the customer and the technician get each other's details."""
    async with uow:
        now = clock.now()
        offer = await uow.offers.get(offer_id)
        if offer is None:
            raise NotFound(f"offer {offer_id}")
        if offer.technician_id != technician_id:
            raise NotAllowed("this offer was made to someone else")
        if offer.status != "pending":
            raise OfferClosed("yours" if offer.status == "accepted" else offer.status)
        if offer.expires_at <= now:
            raise OfferClosed("expired")
        ticket = await uow.tickets.get(offer.ticket_id)
        assert ticket is not None
        try:
            if not await uow.offers.close(offer.id, to="accepted", at=now):
                raise OfferClosed("taken")
        except ConcurrentUpdate:
            raise OfferClosed("taken") from None
        event = transition(
            ticket, "assigned", at=now, actor_id=technician_id, details={"offer_id": offer.id}
        )
        ticket.assigned_technician_id = technician_id
        ticket.deadlines["dispatch_due_at"] = None
        try:
            await uow.tickets.save(ticket)
        except ConcurrentUpdate:
            raise OfferClosed("taken") from None
        await uow.events.add(event)
        await uow.visits.save(Visit(id=0, ticket_id=ticket.id, technician_id=technician_id))
        technician = await uow.technicians.get(technician_id)
        customer = await uow.users.get(ticket.customer_id)
        assert technician is not None and customer is not None
        await uow.outbox.add(
            Outgoing(
                user_id=customer.id,
                text=N_(
                    "👷 {technician} will take care of {number}. Phone: {phone}. They will call you to agree the visit time."
                ),
                params={
                    "technician": technician.name,
                    "number": ticket.number,
                    "phone": technician.phone,
                },
                ticket_id=ticket.id,
                dedup_key=f"assigned:{ticket.id}:{offer.id}",
                not_before=policy.customer_quiet(now, ticket.preferred_date),
            ),
            at=now,
        )
        day, slot = _when(ticket)
        await uow.outbox.add(
            Outgoing(
                user_id=technician_id,
                text=N_(
                    "Job {number} is yours.\nCustomer: {customer}, {phone}\nAddress: {address}\nPreferred time: {day}, {slot}\n"
                    "Call the customer to agree the time, then confirm it here."
                ),
                params={
                    "number": ticket.number,
                    "customer": customer.display_name,
                    "phone": ticket.contact_phone or customer.phone or "-",
                    "address": _where(ticket),
                    "day": day,
                    "slot": slot,
                },
                buttons=(
                    (Button(N_("🕒 Confirm the visit time"), data=JOB_TIME.data(ticket.id)),),
                    (Button(N_("🚗 On my way"), data=JOB_ON_MY_WAY.data(ticket.id)),),
                ),
                ticket_id=ticket.id,
                dedup_key=f"job:{ticket.id}:{offer.id}",
            ),
            at=now,
        )
        if ticket.latitude is not None and ticket.longitude is not None:
            await uow.outbox.add(
                Outgoing(
                    user_id=technician_id,
                    text="",
                    kind="location",
                    location=(ticket.latitude, ticket.longitude),
                    ticket_id=ticket.id,
                    dedup_key=f"job-location:{ticket.id}:{offer.id}",
                ),
                at=now,
            )
        await uow.commit()
        return ticket


async def release_offer(
    uow: UnitOfWork,
    offer: Offer,
    *,
    to: str,
    at: datetime,
    actor_id: int | None,
    reason: str | None,
) -> Ticket | None:
    """Close a pending offer and put its ticket back to waiting; None if it was not pending."""
    if not await uow.offers.close(offer.id, to=to, at=at, reason=reason):
        return None
    ticket = await uow.tickets.get(offer.ticket_id)
    assert ticket is not None
    if ticket.status == "offered":
        event = transition(
            ticket,
            "new",
            at=at,
            actor_id=actor_id,
            details={"offer_id": offer.id, "offer": to, "reason": reason},
        )
        await uow.tickets.save(ticket)
        await uow.events.add(event)
    return ticket


async def decline_offer(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    policy: DeskPolicy,
    *,
    offer_id: int,
    technician_id: int,
    reason: str,
) -> Outcome:
    """Record the decline and its reason, then offer the job to the next candidate."""
    uow = uow_factory()
    async with uow:
        offer = await uow.offers.get(offer_id)
        if offer is None:
            raise NotFound(f"offer {offer_id}")
        if offer.technician_id != technician_id:
            raise NotAllowed("this offer was made to someone else")
        if offer.status != "pending":
            raise OfferClosed("taken" if offer.status == "accepted" else offer.status)
        ticket = await release_offer(
            uow, offer, to="declined", at=clock.now(), actor_id=technician_id, reason=reason
        )
        if ticket is None:
            raise OfferClosed("taken")
        await uow.commit()
    return await offer_next(
        uow_factory(), clock, policy, ticket_id=offer.ticket_id, batch_aware=False
    )
