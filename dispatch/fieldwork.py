"""After acceptance: visit time, on the way, arrival, the service record and its signature.

Arrival is proven by location: the technician's live location must be within
``arrival_radius_m`` of the customer's shared location, with a reported accuracy
within that radius too (both WGS-84, as Telegram gives them). Otherwise, or when
the customer shared no location, the technician checks in by hand and the
customer confirms it.

The customer signs the service record only after the work is completed, never
before. Signing stores the exact canonical text signed and its SHA-256; from then
on the record is frozen, and a correction is a new event, not an edit.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dispatch.catalogue import Localized
from dispatch.clock import Clock
from dispatch.errors import DomainError, IllegalTransition, NotAllowed, NotFound
from dispatch.geo import distance_km
from dispatch.messages import N_, At, Button, Msg, Outgoing, Param
from dispatch.model import (
    Attachment,
    Event,
    Role,
    ServiceRecord,
    Ticket,
    Visit,
)
from dispatch.policy import DeskPolicy
from dispatch.ports import UnitOfWork
from dispatch.services import open_linked_complaint
from dispatch.states import transition
from dispatch.surveys import schedule as schedule_survey

__all__ = [
    "ArrivalRefused",
    "RecordInput",
    "RecordSigned",
    "canonical_record",
    "check_in",
    "claim_arrival",
    "confirm_arrival",
    "confirm_visit_time",
    "correct_record",
    "dispute_record",
    "on_my_way",
    "sign_record",
    "submit_record",
]

WARRANTY_LABELS = {
    "in": N_("In warranty"),
    "out": N_("Out of warranty"),
    "customer": N_("Customer-caused damage"),
}


class ArrivalRefused(DomainError):
    """``reason``: no_location (the customer shared none), too_far, inaccurate."""

    def __init__(
        self, reason: str, *, distance_m: float | None = None, accuracy_m: float | None = None
    ) -> None:
        super().__init__(f"arrival refused: {reason}")
        self.reason = reason
        self.distance_m = distance_m
        self.accuracy_m = accuracy_m


class RecordSigned(DomainError):
    """The service record is signed and frozen; corrections are new events."""


@dataclass(frozen=True)
class RecordInput:
    warranty: str
    fault: str
    work: str
    parts: tuple[dict[str, str], ...]
    fees: tuple[dict[str, Any], ...]  # {"code", "quantity"}; prices come from the price list
    photos: tuple[tuple[str, str, str, str], ...]  # (purpose, media type, file id, unique id)


async def _job(uow: UnitOfWork, ticket_id: int, technician_id: int) -> tuple[Ticket, Visit]:
    ticket = await uow.tickets.get(ticket_id)
    if ticket is None:
        raise NotFound(f"ticket {ticket_id}")
    if ticket.assigned_technician_id != technician_id:
        raise NotAllowed("this job is not yours")
    visit = await uow.visits.for_ticket(ticket_id)
    if visit is None or visit.technician_id != technician_id:
        visit = Visit(id=0, ticket_id=ticket_id, technician_id=technician_id)
    return ticket, visit


async def _tell(
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
    policy: DeskPolicy | None = None,
) -> Visit:
    async with uow:
        now = clock.now()
        ticket, visit = await _job(uow, ticket_id, technician_id)
        if ticket.status not in ("assigned", "en_route"):
            raise IllegalTransition(ticket.kind.value, ticket.status, ticket.status)
        if planned_at < now:
            raise DomainError("the visit time is in the past")
        visit.planned_at = planned_at
        visit = await uow.visits.save(visit)
        await uow.events.add(
            Event(
                kind="visit.planned",
                created_at=now,
                ticket_id=ticket.id,
                actor_id=technician_id,
                details={"at": planned_at.isoformat()},
            )
        )
        technician = await uow.technicians.get(technician_id)
        await _tell(
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
            not_before=policy.customer_quiet(now, planned_at.astimezone(policy.zone).date())
            if policy
            else None,
        )
        await uow.commit()
        return visit


async def on_my_way(uow: UnitOfWork, clock: Clock, *, ticket_id: int, technician_id: int) -> Ticket:
    async with uow:
        now = clock.now()
        ticket, visit = await _job(uow, ticket_id, technician_id)
        event = transition(ticket, "en_route", at=now, actor_id=technician_id)
        await uow.tickets.save(ticket)
        await uow.events.add(event)
        visit.en_route_at = now
        await uow.visits.save(visit)
        technician = await uow.technicians.get(technician_id)
        await _tell(
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
        ticket, visit = await _job(uow, ticket_id, technician_id)
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
        await _tell(
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
        ticket, visit = await _job(uow, ticket_id, technician_id)
        if ticket.status not in ("assigned", "en_route"):
            raise IllegalTransition(ticket.kind.value, ticket.status, "on_site")
        visit.arrival_claimed_at = now
        visit = await uow.visits.save(visit)
        await uow.events.add(
            Event(
                kind="arrival.claimed", created_at=now, ticket_id=ticket.id, actor_id=technician_id
            )
        )
        technician = await uow.technicians.get(technician_id)
        await _tell(
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
                    Button(N_("✅ Yes, they are here"), data=f"va:ok:{ticket.id}"),
                    Button(N_("✖ Not yet"), data=f"va:no:{ticket.id}"),
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
        ticket = await uow.tickets.get(ticket_id)
        if ticket is None or ticket.customer_id != customer_id:
            raise NotFound(f"ticket {ticket_id}")
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
                    kind="arrival.denied", created_at=now, ticket_id=ticket.id, actor_id=customer_id
                )
            )
            text = N_(
                "✖ The customer says you have not arrived yet for {number}. Check the address, or call them."
            )
        await _tell(
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


def _fee_lines(policy: DeskPolicy, fees: list[dict[str, Any]]) -> Localized:
    """The fee items in each language at once; the sender shows the recipient's."""
    names = {p.code: p.name for p in policy.prices}

    def lines(language: str, separator: str) -> str:
        return separator.join(
            f"{getattr(names[f['code']], language)} x{f['quantity']} = {f['price'] * f['quantity']:.2f}"
            for f in fees
        )

    return Localized(
        en=lines("en", "; "), zh_Hans=lines("zh_Hans", "；"), zh_Hant=lines("zh_Hant", "；")
    )


def canonical_record(ticket: Ticket, record: ServiceRecord, visit: Visit | None) -> str:
    """The exact text a signature covers: sorted keys, no spaces, UTC times."""
    body = {
        "ticket": ticket.number,
        "warranty": record.warranty,
        "fault": record.fault,
        "work": record.work,
        "parts": record.parts,
        "fees": record.fees,
        "total": record.total,
        "arrived_at": visit.arrived_at.isoformat() if visit and visit.arrived_at else None,
        "completed_at": visit.completed_at.isoformat() if visit and visit.completed_at else None,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


async def submit_record(
    uow: UnitOfWork,
    clock: Clock,
    policy: DeskPolicy,
    *,
    ticket_id: int,
    technician_id: int,
    record: RecordInput,
) -> ServiceRecord:
    """The work is done: the record is stored and the customer asked to confirm and sign it."""
    async with uow:
        now = clock.now()
        ticket, visit = await _job(uow, ticket_id, technician_id)
        prices = {p.code: p for p in policy.prices}
        fees: list[dict[str, Any]] = []
        if record.warranty != "in":  # in-warranty quality faults are free
            for fee in record.fees:
                item = prices.get(str(fee["code"]))
                if item is None:
                    raise NotFound(f"price list item {fee['code']}")
                fees.append(
                    {
                        "code": item.code,
                        "quantity": int(fee.get("quantity", 1)),
                        "price": item.price,
                    }
                )
        event = transition(ticket, "completed", at=now, actor_id=technician_id)
        stored = await uow.records.add(
            ServiceRecord(
                ticket_id=ticket.id,
                visit_id=visit.id or None,
                warranty=record.warranty,
                fault=record.fault,
                work=record.work,
                parts=list(record.parts),
                fees=fees,
                created_at=now,
            )
        )
        await uow.tickets.save(ticket)
        await uow.events.add(event)
        visit.completed_at = now
        await uow.visits.save(visit)
        for purpose, media_type, file_id, unique in record.photos:
            await uow.attachments.add(
                Attachment(ticket.id, technician_id, purpose, media_type, file_id, unique, now)
            )
        fee_text: Param = _fee_lines(policy, fees) if fees else Msg(N_("none"))
        await uow.outbox.add(
            Outgoing(
                user_id=ticket.customer_id,
                text=N_(
                    "🧾 Service record for {number}\nWarranty: {warranty}\nFault found: {fault}\nWork done: {work}\n"
                    "Parts replaced: {parts}\nFees: {fees}\nTotal: {total} yuan\n\nPlease check it. Sign it if it is right; "
                    "once signed it cannot be changed."
                ),
                params={
                    "number": ticket.number,
                    "warranty": Msg(WARRANTY_LABELS.get(record.warranty, WARRANTY_LABELS["out"])),
                    "fault": record.fault,
                    "work": record.work,
                    "parts": "; ".join(f"{p['name']} ({p['reason']})" for p in record.parts) or "-",
                    "fees": fee_text,
                    "total": f"{stored.total:.2f}",
                },
                buttons=(
                    (Button(N_("✍️ Confirm and sign"), data=f"sr:sign:{ticket.id}"),),
                    (Button(N_("⚠️ Something is wrong"), data=f"sr:dis:{ticket.id}"),),
                ),
                ticket_id=ticket.id,
                dedup_key=f"record:{ticket.id}",
            ),
            at=now,
        )
        await uow.commit()
        return stored


async def sign_record(
    uow: UnitOfWork,
    clock: Clock,
    *,
    ticket_id: int,
    customer_id: int,
    policy: DeskPolicy | None = None,
) -> ServiceRecord:
    """The customer's signature: only after completion; freezes the record with its hash."""
    async with uow:
        now = clock.now()
        ticket = await uow.tickets.get(ticket_id)
        if ticket is None or ticket.customer_id != customer_id:
            raise NotFound(f"ticket {ticket_id}")
        record = await uow.records.for_ticket(ticket_id)
        if record is not None and record.signed_at is not None:
            raise RecordSigned(f"{ticket.number} is signed already")
        if ticket.status not in ("completed", "disputed") or record is None:
            raise IllegalTransition(ticket.kind.value, ticket.status, "signed")
        visit = await uow.visits.for_ticket(ticket_id)
        payload = canonical_record(ticket, record, visit)
        digest = hashlib.sha256(payload.encode()).hexdigest()
        if not await uow.records.sign(record.id, at=now, payload=payload, digest=digest):
            raise RecordSigned(f"{ticket.number} is signed already")
        event = transition(
            ticket, "signed", at=now, actor_id=customer_id, details={"sha256": digest}
        )
        await uow.tickets.save(ticket)
        await uow.events.add(event)
        await uow.outbox.add(
            Outgoing(
                user_id=customer_id,
                text=N_(
                    "✍️ Thank you. You signed the service record of {number}. Here is the report."
                ),
                params={"number": ticket.number},
                ticket_id=ticket.id,
                dedup_key=f"signed:{ticket.id}",
            ),
            at=now,
        )
        await uow.outbox.add(
            Outgoing(
                user_id=customer_id,
                text="",
                kind="service_report",
                ticket_id=ticket.id,
                dedup_key=f"report:{ticket.id}",
            ),
            at=now,
        )
        if ticket.assigned_technician_id is not None:
            await _tell(
                uow,
                ticket.assigned_technician_id,
                N_("✍️ The customer signed the service record of {number}."),
                {"number": ticket.number},
                ticket,
                now,
                "signed-tech",
            )
        record.signed_at, record.signed_hash, record.signed_payload = now, digest, payload
        if policy is not None:  # the follow-up visit (回访), the next day
            await schedule_survey(uow, policy, ticket, now)
        await uow.commit()
        return record


async def dispute_record(
    uow: UnitOfWork,
    clock: Clock,
    policy: DeskPolicy,
    *,
    ticket_id: int,
    customer_id: int,
    reason: str,
) -> Ticket:
    """The customer disagrees: the record stays unsigned and a complaint opens, linked to it."""
    async with uow:
        now = clock.now()
        ticket = await uow.tickets.get(ticket_id)
        if ticket is None or ticket.customer_id != customer_id:
            raise NotFound(f"ticket {ticket_id}")
        event = transition(
            ticket, "disputed", at=now, actor_id=customer_id, details={"reason": reason}
        )
        await uow.tickets.save(ticket)
        await uow.events.add(event)
        complaint = await open_linked_complaint(
            uow,
            now=now,
            zone=policy.zone,
            customer_id=customer_id,
            related=ticket,
            description=reason,
            details={"source": "record_dispute"},
        )
        await _tell(
            uow,
            customer_id,
            N_(
                "We are sorry. Your objection to the record of {number} is registered as complaint {complaint}; a manager will contact you. Follow it with /mytickets."
            ),
            {"number": ticket.number, "complaint": complaint.number},
            ticket,
            now,
            "disputed",
        )
        for manager in await uow.users.with_role(Role.MANAGER):
            await _tell(
                uow,
                manager.id,
                N_(
                    "⚠️ The customer disputes the service record of {number}: {reason}\nComplaint {complaint} is open."
                ),
                {"number": ticket.number, "reason": reason, "complaint": complaint.number},
                ticket,
                now,
                f"disputed-manager:{manager.id}",
            )
        await uow.commit()
        return complaint


async def correct_record(
    uow: UnitOfWork, clock: Clock, *, ticket_id: int, actor_id: int, note: str
) -> Event:
    """After signing nothing is edited: a correction is recorded as an event of its own."""
    async with uow:
        ticket = await uow.tickets.get(ticket_id)
        if ticket is None:
            raise NotFound(f"ticket {ticket_id}")
        event = Event(
            kind="record.correction",
            created_at=clock.now(),
            ticket_id=ticket.id,
            actor_id=actor_id,
            details={"note": note},
        )
        await uow.events.add(event)
        await uow.commit()
        return event
