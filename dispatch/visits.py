"""After acceptance, until the technician is on site: visit time, on the way, arrival.

Arrival is proven by location: the technician's live location must be within
``arrival_radius_m`` of the customer's shared location, with a reported accuracy
within that radius too (both WGS-84, as Telegram gives them). Otherwise, or when
the customer shared no location, the technician checks in by hand and the
customer confirms it.
"""

from __future__ import annotations

from datetime import datetime

from dispatch.callbacks import ARRIVAL_ANSWER
from dispatch.clock import Clock
from dispatch.errors import DomainError, IllegalTransition
from dispatch.geo import distance_km
from dispatch.messages import N_, At, Button, Outgoing, Param
from dispatch.model import Event, EventKind, Ticket, Visit
from dispatch.policy import DeskPolicy
from dispatch.ports import UnitOfWork
from dispatch.states import transition
from dispatch.technicians import assigned_job
from dispatch.tickets import customers_ticket

__all__ = [
    "ArrivalRefused",
    "check_in",
    "claim_arrival",
    "confirm_arrival",
    "confirm_visit_time",
    "on_my_way",
    "technicians_job",
    "tell",
]


class ArrivalRefused(DomainError):
    """``reason``: no_location (the customer shared none), too_far, inaccurate."""

    def __init__(
        self, reason: str, *, distance_m: float | None = None, accuracy_m: float | None = None
    ) -> None:
        super().__init__(f"arrival refused: {reason}")
        self.reason = reason
        self.distance_m = distance_m
        self.accuracy_m = accuracy_m


async def technicians_job(
    uow: UnitOfWork, ticket_id: int, technician_id: int
) -> tuple[Ticket, Visit]:
    ticket = await assigned_job(uow, ticket_id, technician_id)
    visit = await uow.visits.for_ticket(ticket_id)
    if visit is None or visit.technician_id != technician_id:
        visit = Visit(id=0, ticket_id=ticket_id, technician_id=technician_id)
    return ticket, visit


async def tell(
    uow: UnitOfWork,
    user_id: int,
    text: str,
    params: dict[str, Param],
    ticket: Ticket,
    now: datetime,
    key: str,
    buttons: tuple[tuple[Button, ...], ...] = (),
    not_before: datetime | None = None,
) -> None:
    await uow.outbox.add(
        Outgoing(
            user_id=user_id,
            text=text,
            params=params,
            buttons=buttons,
            ticket_id=ticket.id,
            dedup_key=f"{key}:{ticket.id}",
            not_before=not_before,
        ),
        at=now,
    )


async def confirm_visit_time(
    uow: UnitOfWork,
    clock: Clock,
    *,
    ticket_id: int,
    technician_id: int,
    planned_at: datetime,
    policy: DeskPolicy,
) -> Visit:
    async with uow:
        now = clock.now()
        ticket, visit = await technicians_job(uow, ticket_id, technician_id)
        if ticket.status not in ("assigned", "en_route"):
            raise IllegalTransition(ticket.kind.value, ticket.status, ticket.status)
        if planned_at < now:
            raise DomainError("the visit time is in the past")
        visit.planned_at = planned_at
        visit = await uow.visits.save(visit)
        await uow.events.add(
            Event(
                kind=EventKind.VISIT_PLANNED,
                created_at=now,
                ticket_id=ticket.id,
                actor_id=technician_id,
                details={"at": planned_at.isoformat()},
            )
        )
        technician = await uow.technicians.get(technician_id)
        await tell(
            uow,
            ticket.customer_id,
            N_("🗓 Your visit for {number} is set: {technician} will come on {when}."),
            {
                "number": ticket.number,
                "technician": technician.name if technician else "-",
                "when": At(planned_at),
            },
            ticket,
            now,
            f"visit-time:{planned_at.isoformat()}",
            # a visit on another day is news that can wait out the customer's quiet hours
            not_before=policy.customer_quiet(now, planned_at.astimezone(policy.zone).date()),
        )
        await uow.commit()
        return visit


async def on_my_way(uow: UnitOfWork, clock: Clock, *, ticket_id: int, technician_id: int) -> Ticket:
    async with uow:
        now = clock.now()
        ticket, visit = await technicians_job(uow, ticket_id, technician_id)
        event = transition(ticket, "en_route", at=now, actor_id=technician_id)
        await uow.tickets.save(ticket)
        await uow.events.add(event)
        visit.en_route_at = now
        await uow.visits.save(visit)
        technician = await uow.technicians.get(technician_id)
        await tell(
            uow,
            ticket.customer_id,
            N_("🚗 {technician} is on the way to you for {number}."),
            {"technician": technician.name if technician else "-", "number": ticket.number},
            ticket,
            now,
            "en-route",
        )
        await uow.commit()
        return ticket


async def _arrived(
    uow: UnitOfWork,
    ticket: Ticket,
    visit: Visit,
    *,
    at: datetime,
    now: datetime,
    method: str,
    actor_id: int,
) -> None:
    event = transition(
        ticket,
        "on_site",
        at=now,
        actor_id=actor_id,
        details={"method": method, "arrived_at": at.isoformat()},
    )
    ticket.deadlines["arrive_due_at"] = None
    await uow.tickets.save(ticket)
    await uow.events.add(event)
    visit.arrived_at = at
    visit.arrival_method = method
    await uow.visits.save(visit)


async def check_in(
    uow: UnitOfWork,
    clock: Clock,
    policy: DeskPolicy,
    *,
    ticket_id: int,
    technician_id: int,
    latitude: float,
    longitude: float,
    accuracy_m: float | None,
) -> Ticket:
    """Arrival by location; ArrivalRefused says why when it does not count."""
    async with uow:
        now = clock.now()
        ticket, visit = await technicians_job(uow, ticket_id, technician_id)
        if ticket.status not in ("assigned", "en_route"):
            raise IllegalTransition(ticket.kind.value, ticket.status, "on_site")
        if ticket.latitude is None or ticket.longitude is None:
            raise ArrivalRefused("no_location")
        radius = policy.dispatch.arrival_radius_m
        meters = distance_km(latitude, longitude, ticket.latitude, ticket.longitude) * 1000
        if meters > radius:
            raise ArrivalRefused("too_far", distance_m=meters, accuracy_m=accuracy_m)
        if accuracy_m is None or accuracy_m > radius:
            raise ArrivalRefused("inaccurate", distance_m=meters, accuracy_m=accuracy_m)
        visit.arrival_latitude, visit.arrival_longitude, visit.arrival_accuracy_m = (
            latitude,
            longitude,
            accuracy_m,
        )
        await _arrived(
            uow, ticket, visit, at=now, now=now, method="location", actor_id=technician_id
        )
        technician = await uow.technicians.get(technician_id)
        await tell(
            uow,
            ticket.customer_id,
            N_("📍 {technician} has arrived for {number} ({when})."),
            {
                "technician": technician.name if technician else "-",
                "number": ticket.number,
                "when": At(now),
            },
            ticket,
            now,
            "arrived",
        )
        await uow.commit()
        return ticket


async def claim_arrival(
    uow: UnitOfWork, clock: Clock, *, ticket_id: int, technician_id: int
) -> Visit:
    """A manual check-in: the customer is asked to confirm that the technician is there."""
    async with uow:
        now = clock.now()
        ticket, visit = await technicians_job(uow, ticket_id, technician_id)
        if ticket.status not in ("assigned", "en_route"):
            raise IllegalTransition(ticket.kind.value, ticket.status, "on_site")
        visit.arrival_claimed_at = now
        visit = await uow.visits.save(visit)
        await uow.events.add(
            Event(
                kind=EventKind.ARRIVAL_CLAIMED,
                created_at=now,
                ticket_id=ticket.id,
                actor_id=technician_id,
            )
        )
        technician = await uow.technicians.get(technician_id)
        await tell(
            uow,
            ticket.customer_id,
            N_("🔔 {technician} says they arrived for {number} at {when}. Is that right?"),
            {
                "technician": technician.name if technician else "-",
                "number": ticket.number,
                "when": At(now),
            },
            ticket,
            now,
            f"arrival-claim:{now.isoformat()}",
            buttons=(
                (
                    Button(N_("✅ Yes, they are here"), data=ARRIVAL_ANSWER.data("ok", ticket.id)),
                    Button(N_("✖ Not yet"), data=ARRIVAL_ANSWER.data("no", ticket.id)),
                ),
            ),
        )
        await uow.commit()
        return visit


async def confirm_arrival(
    uow: UnitOfWork, clock: Clock, *, ticket_id: int, customer_id: int, confirmed: bool
) -> Ticket:
    async with uow:
        now = clock.now()
        ticket = await customers_ticket(uow, ticket_id=ticket_id, customer_id=customer_id)
        visit = await uow.visits.for_ticket(ticket_id)
        if (
            visit is None
            or visit.arrival_claimed_at is None
            or ticket.status not in ("assigned", "en_route")
        ):
            raise IllegalTransition(ticket.kind.value, ticket.status, "on_site")
        assert ticket.assigned_technician_id is not None
        if confirmed:
            await _arrived(
                uow,
                ticket,
                visit,
                at=visit.arrival_claimed_at,
                now=now,
                method="manual",
                actor_id=customer_id,
            )
            text = N_(
                "✅ The customer confirmed your arrival for {number}. You can start; fill in the service record when done."
            )
        else:
            visit.arrival_claimed_at = None
            await uow.visits.save(visit)
            await uow.events.add(
                Event(
                    kind=EventKind.ARRIVAL_DENIED,
                    created_at=now,
                    ticket_id=ticket.id,
                    actor_id=customer_id,
                )
            )
            text = N_(
                "✖ The customer says you have not arrived yet for {number}. Check the address, or call them."
            )
        await tell(
            uow,
            ticket.assigned_technician_id,
            text,
            {"number": ticket.number},
            ticket,
            now,
            f"arrival-answer:{now.isoformat()}",
        )
        await uow.commit()
        return ticket
