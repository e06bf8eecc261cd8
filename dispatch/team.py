"""Managers manage the technicians: who is on duty, how busy, seen where and when; pause
and bring back; edit skills, service radius and capacity. Each change is an event.

Pausing a technician takes them off duty and hands any offer they were still answering
to the next candidate at once, so no job waits on someone who will not answer; jobs they
already hold stay theirs until a manager reassigns them (/assign), and the manager is
told how many.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from dispatch.clock import Clock
from dispatch.errors import InvalidInput, NotFound
from dispatch.messages import N_
from dispatch.model import Event, EventKind, Technician
from dispatch.offers import offer_in, release_offer
from dispatch.policy import DeskPolicy
from dispatch.ports import UnitOfWork
from dispatch.users import as_manager

__all__ = [
    "MAX_CAPACITY",
    "MAX_RADIUS_KM",
    "Paused",
    "check_capacity",
    "check_radius",
    "edit_technician",
    "set_active",
    "team",
    "team_member",
]

MAX_RADIUS_KM = 300.0
MAX_CAPACITY = 20


@dataclass(frozen=True)
class Paused:
    technician: Technician
    open_jobs: int  # jobs they still hold: to reassign by hand
    reoffered: int  # offers they had, handed to the next candidate


async def team(uow: UnitOfWork, *, manager_id: int) -> list[tuple[Technician, int]]:
    """Every technician, by name, with the field jobs each holds."""
    async with uow:
        await as_manager(uow, manager_id, to="manage technicians")
        return await uow.technicians.team()


async def team_member(
    uow: UnitOfWork, *, manager_id: int, technician_id: int
) -> tuple[Technician, int]:
    async with uow:
        await as_manager(uow, manager_id, to="manage technicians")
        return await _member(uow, technician_id)


async def set_active(
    uow: UnitOfWork,
    clock: Clock,
    policy: DeskPolicy,
    *,
    manager_id: int,
    technician_id: int,
    active: bool,
) -> Paused:
    """Pause (off duty, offers handed on) or bring back a technician."""
    now = clock.now()
    async with uow:
        await as_manager(uow, manager_id, to="manage technicians")
        technician, jobs = await _member(uow, technician_id)
        reoffered = 0
        if technician.active != active:
            technician = replace(technician, active=active, on_duty=technician.on_duty and active)
            await uow.technicians.save(technician)
            await _event(uow, now, manager_id, technician_id, {"active": active})
            if not active:
                reoffered = await _hand_on_offers(uow, policy, technician_id, manager_id, now)
        await uow.commit()
        return Paused(technician, jobs, reoffered)


async def _hand_on_offers(
    uow: UnitOfWork, policy: DeskPolicy, technician_id: int, manager_id: int, now: datetime
) -> int:
    count = 0
    for offer in await uow.offers.pending_of(technician_id):
        ticket = await release_offer(
            uow, offer, to="withdrawn", at=now, actor_id=manager_id, reason="paused"
        )
        if ticket is not None:
            await offer_in(uow, policy, ticket, now, batch_aware=False)
            count += 1
    return count


def check_radius(text: str) -> float:
    """A service radius in kilometres, as typed (``30``, ``25.5``, ``30 km``, ``30公里``)."""
    digits = text.strip().lower().removesuffix("km").removesuffix("公里").strip()
    try:
        value = float(digits.replace(",", "."))
    except ValueError:
        raise InvalidInput(N_("Please type the radius in kilometres, for example 30.")) from None
    if not 1 <= value <= MAX_RADIUS_KM:
        raise InvalidInput(N_("Please type a radius from 1 to {most} km."), most=int(MAX_RADIUS_KM))
    return value


def check_capacity(text: str) -> int:
    """How many jobs a technician may hold at once (1 to MAX_CAPACITY)."""
    try:
        value = int(text.strip())
    except ValueError:
        raise InvalidInput(N_("Please type a whole number of jobs, for example 3.")) from None
    if not 1 <= value <= MAX_CAPACITY:
        raise InvalidInput(N_("Please type a number from 1 to {most}."), most=MAX_CAPACITY)
    return value


async def edit_technician(
    uow: UnitOfWork,
    clock: Clock,
    *,
    manager_id: int,
    technician_id: int,
    skills: list[str] | None = None,
    radius_km: float | None = None,
    capacity: int | None = None,
) -> Technician:
    """Change what a technician does (skills), how far they go and how many jobs they hold."""
    now = clock.now()
    async with uow:
        await as_manager(uow, manager_id, to="manage technicians")
        technician, _jobs = await _member(uow, technician_id)
        changes: dict[str, object] = {}
        if skills is not None:
            changes["skills"] = sorted(skills)
        if radius_km is not None:
            changes["service_radius_km"] = radius_km
        if capacity is not None:
            changes["capacity"] = capacity
        technician = replace(technician, **changes)  # type: ignore[arg-type]
        await uow.technicians.save(technician)
        await _event(uow, now, manager_id, technician_id, changes)
        await uow.commit()
        return technician


async def _member(uow: UnitOfWork, technician_id: int) -> tuple[Technician, int]:
    for technician, jobs in await uow.technicians.team():
        if technician.user_id == technician_id:
            return technician, jobs
    raise NotFound(f"technician {technician_id}")


async def _event(
    uow: UnitOfWork, now: datetime, manager_id: int, technician_id: int, details: dict[str, object]
) -> None:
    await uow.events.add(
        Event(
            kind=EventKind.TECHNICIAN_PROFILE,
            created_at=now,
            actor_id=manager_id,
            details={"technician": technician_id, **details},
        )
    )
