"""The technician's own side: profile, duty, location, open jobs and what each job allows next.

Every function here is one action or one question of a technician (or of a manager about
technicians): it opens the unit of work, applies the rule and, for a change, writes its event.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from dispatch.assignment import Fleet, FleetCache, holds
from dispatch.certificates import needed_for, visit_day
from dispatch.clock import Clock
from dispatch.errors import NotAllowed, NotFound, OfferClosed
from dispatch.model import Event, EventKind, Offer, Role, Technician, Ticket
from dispatch.offers import as_job
from dispatch.policy import DeskPolicy
from dispatch.ports import UnitOfWork
from dispatch.states import allowed

__all__ = [
    "Candidate",
    "JobAction",
    "Position",
    "assigned_job",
    "assignment_candidates",
    "fresh_position",
    "job_actions",
    "job_of",
    "open_jobs",
    "pending_offer",
    "record_location",
    "refresh_fleet",
    "save_technician_profile",
    "set_duty",
    "technician_profile",
]

# A check-in reads the technician's last shared location only this long: older than that,
# they may have moved on, and a new share is asked for.
CHECK_IN_LOCATION_AGE = timedelta(minutes=2)
# The manager's hand assignment shows this many technicians to choose from.
CANDIDATES_SHOWN = 8


class JobAction(StrEnum):
    """What a technician can do next on an open job (a button on /jobs)."""

    CONFIRM_TIME = "time"
    ON_MY_WAY = "way"
    CHECK_IN = "in"
    RECORD = "rec"
    WAIT_FOR_PART = "part"
    PART_ARRIVED = "arrived"


@dataclass(frozen=True)
class Position:
    latitude: float
    longitude: float
    accuracy_m: float | None
    at: datetime


@dataclass(frozen=True)
class Candidate:
    """A technician a manager may hand a job to, with what makes them a fit."""

    user_id: int
    name: str
    distance_km: float | None  # None where the customer shared no location
    open_jobs: int
    capacity: int


def job_actions(ticket: Ticket) -> list[JobAction]:
    """The next steps of a job, read off the state machine: on the way and check-in where
    those transitions are allowed, the visit time until the technician is on site, the
    service record once there. On the way comes first until the technician left. Until
    the work is done the job can wait for a spare part, and then the part's arrival."""
    actions: list[JobAction] = []
    if allowed(ticket.kind, ticket.status, "en_route"):
        actions += [JobAction.CONFIRM_TIME, JobAction.ON_MY_WAY, JobAction.CHECK_IN]
    elif allowed(ticket.kind, ticket.status, "on_site"):
        actions += [JobAction.CHECK_IN, JobAction.CONFIRM_TIME]
    elif ticket.status == "on_site":
        actions.append(JobAction.RECORD)
    if allowed(ticket.kind, ticket.status, "waiting_part"):
        actions.append(JobAction.WAIT_FOR_PART)
    elif ticket.status == "waiting_part":
        actions.append(JobAction.PART_ARRIVED)
    return actions


async def technician_profile(uow: UnitOfWork, *, user_id: int) -> Technician | None:
    """The technician's profile, or None while onboarding has not finished it."""
    async with uow:
        return await uow.technicians.get(user_id)


async def save_technician_profile(
    uow: UnitOfWork,
    clock: Clock,
    *,
    user_id: int,
    name: str,
    phone: str,
    skills: Collection[str],
    latitude: float,
    longitude: float,
    service_radius_km: float,
    capacity: int,
) -> Technician:
    """Onboarding's last step; a profile saved again keeps its radius, capacity and duty."""
    async with uow:
        user = await uow.users.get(user_id)
        if user is None or user.role is not Role.TECHNICIAN:
            raise NotAllowed("only technicians have a technician profile")
        existing = await uow.technicians.get(user_id)
        technician = Technician(
            user_id=user_id,
            name=name,
            phone=phone,
            skills=sorted(set(skills)),
            base_latitude=latitude,
            base_longitude=longitude,
            service_radius_km=existing.service_radius_km if existing else service_radius_km,
            capacity=existing.capacity if existing else capacity,
            on_duty=existing.on_duty if existing else False,
        )
        await uow.technicians.save(technician)
        user.phone = phone
        await uow.users.save(user)
        await uow.events.add(
            Event(
                kind=EventKind.TECHNICIAN_PROFILE,
                created_at=clock.now(),
                actor_id=user_id,
                details={"skills": technician.skills, "new": existing is None},
            )
        )
        await uow.commit()
        return technician


async def set_duty(uow: UnitOfWork, clock: Clock, *, technician_id: int, on: bool) -> None:
    """On duty, jobs are offered; off duty, none. A switch is an event (who was on when)."""
    async with uow:
        technician = await uow.technicians.get(technician_id)
        if technician is None:
            raise NotFound("technician profile")
        if on and not technician.active:
            raise NotAllowed("a paused technician cannot go on duty")
        if technician.on_duty == on:
            return
        await uow.technicians.set_duty(technician_id, on)
        await uow.events.add(
            Event(
                kind=EventKind.TECHNICIAN_DUTY,
                created_at=clock.now(),
                actor_id=technician_id,
                details={"on_duty": on},
            )
        )
        await uow.commit()


async def record_location(
    uow: UnitOfWork,
    clock: Clock,
    *,
    technician_id: int,
    latitude: float,
    longitude: float,
    accuracy_m: float | None,
    live_for: timedelta | None,
) -> bool:
    """Keep a technician's position fresh; False for someone with no technician profile.

    A live location moves every few seconds, so a position is state, not an event: only
    the latest is kept."""
    now = clock.now()
    async with uow:
        if await uow.technicians.get(technician_id) is None:
            return False
        await uow.technicians.set_location(
            technician_id,
            latitude,
            longitude,
            accuracy_m,
            now,
            now + live_for if live_for else None,
        )
        await uow.commit()
        return True


async def fresh_position(uow: UnitOfWork, clock: Clock, *, technician_id: int) -> Position | None:
    """The technician's last shared position if it is fresh enough to check in with."""
    async with uow:
        last = await uow.technicians.last_location(technician_id)
    if last is None or clock.now() - last[3] > CHECK_IN_LOCATION_AGE:
        return None
    return Position(*last)


async def open_jobs(uow: UnitOfWork, *, technician_id: int) -> list[Ticket]:
    async with uow:
        return await uow.technicians.open_jobs(technician_id)


async def job_of(uow: UnitOfWork, *, ticket_id: int, technician_id: int) -> Ticket:
    """The job, if it is still this technician's; NotAllowed otherwise."""
    async with uow:
        return await assigned_job(uow, ticket_id, technician_id)


async def assigned_job(uow: UnitOfWork, ticket_id: int, technician_id: int) -> Ticket:
    """Inside an open unit of work: the ticket, if it is assigned to this technician."""
    ticket = await uow.tickets.get(ticket_id)
    if ticket is None:
        raise NotFound(f"ticket {ticket_id}")
    if ticket.assigned_technician_id != technician_id:
        raise NotAllowed("this job is not yours")
    return ticket


async def pending_offer(uow: UnitOfWork, *, offer_id: int, technician_id: int) -> Offer:
    """The offer if it still waits for this technician's answer.

    Raises OfferClosed with why not: the offer's own status where it was theirs
    (expired, declined...), "taken" where it was never theirs or is gone."""
    async with uow:
        offer = await uow.offers.get(offer_id)
    if offer is None or offer.technician_id != technician_id:
        raise OfferClosed("taken")
    if offer.status != "pending":
        raise OfferClosed(offer.status)
    return offer


async def assignment_candidates(
    uow: UnitOfWork, clock: Clock, policy: DeskPolicy, *, ticket_id: int
) -> tuple[Ticket, list[Candidate]]:
    """Technicians a manager may hand the job to: qualified ones nearest first, or, where
    the customer shared no location, the skilled ones with their load."""
    async with uow:
        ticket = await uow.tickets.get(ticket_id)
        if ticket is None:
            raise NotFound("ticket")
        members = await uow.technicians.fleet(clock.now(), fresh=policy.dispatch.fresh_location)
        names = await uow.technicians.names([m.user_id for m in members])
    by_id = {m.user_id: m for m in members}
    if ticket.latitude is not None and ticket.longitude is not None:
        job = as_job(ticket, set(), clock.now(), policy)
        assert job is not None
        nearest = Fleet(members).nearest(job, CANDIDATES_SHOWN)
        return ticket, [
            Candidate(uid, names[uid], km, by_id[uid].open_jobs, by_id[uid].capacity)
            for uid, km in nearest
        ]
    needed = needed_for(policy.certificates, ticket)
    day = visit_day(ticket, clock.now().astimezone(policy.zone).date())
    skilled = [
        m
        for m in members
        if (ticket.product_category is None or ticket.product_category in m.skills)
        and holds(m, needed, day)
    ]
    return ticket, [
        Candidate(m.user_id, names[m.user_id], None, m.open_jobs, m.capacity)
        for m in skilled[:CANDIDATES_SHOWN]
    ]


async def ticket_by_number(uow: UnitOfWork, *, number: str) -> Ticket:
    """A ticket as people type its number (any case, stray spaces)."""
    async with uow:
        ticket = await uow.tickets.by_number(number.strip().upper())
    if ticket is None:
        raise NotFound("ticket")
    return ticket


async def refresh_fleet(
    uow: UnitOfWork, clock: Clock, policy: DeskPolicy, cache: FleetCache
) -> None:
    """Re-read the on-duty fleet off the request path, so offers search a fresh picture."""
    now = clock.now()
    async with uow:
        members = await uow.technicians.fleet(now, fresh=policy.dispatch.fresh_location)
    cache.store(Fleet(members), now)
