"""The service record: filled in on site, signed by the customer, or disputed and corrected.

The customer signs the service record only after the work is completed, never
before. Signing stores the exact canonical text signed and its SHA-256; from then
on the record is frozen, and a correction is a new event, not an edit.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from dispatch.callbacks import RECORD_DISPUTE, RECORD_SIGN
from dispatch.clock import Clock
from dispatch.errors import DomainError, IllegalTransition, NotAllowed, NotFound
from dispatch.geo import distance_km
from dispatch.messages import N_, Button, Money, Msg, Outgoing, Param, listed
from dispatch.model import (
    Attachment,
    Event,
    EventKind,
    Role,
    ServiceRecord,
    Ticket,
    TicketKind,
    Visit,
)
from dispatch.parts import part_fees, use_parts
from dispatch.policy import DeskPolicy
from dispatch.ports import UnitOfWork
from dispatch.states import allowed, transition
from dispatch.surveys import schedule as schedule_survey
from dispatch.tickets import customers_ticket, open_linked_complaint
from dispatch.visits import technicians_job, tell

__all__ = [
    "WARRANTY_LABELS",
    "RecordDraft",
    "RecordInput",
    "RecordSigned",
    "canonical_record",
    "correct_record",
    "disputable_record",
    "dispute_record",
    "show_record",
    "sign_record",
    "submit_record",
]

WARRANTY_LABELS = {
    "in": N_("In warranty"),
    "out": N_("Out of warranty"),
    "customer": N_("Customer-caused damage"),
}


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


@dataclass
class RecordDraft:
    """The record as the technician fills it in, kept between steps as JSON in user_data."""

    warranty: str | None = None
    fault: str = ""
    work: str = ""
    parts: list[dict[str, str]] = field(default_factory=list)  # {"name", "reason"}
    fees: dict[str, int] = field(default_factory=dict)  # price-list code -> quantity
    photos: list[dict[str, str]] = field(default_factory=list)  # purpose, media, file, unique

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RecordDraft:
        photos = [
            # Drafts saved before photos were named kept them as positional lists.
            p if isinstance(p, dict) else dict(zip(_PHOTO_FIELDS, p, strict=True))
            for p in data.get("photos", [])
        ]
        return cls(
            warranty=data.get("warranty"),
            fault=data.get("fault", ""),
            work=data.get("work", ""),
            parts=list(data.get("parts", [])),
            fees=dict(data.get("fees", {})),
            photos=photos,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "warranty": self.warranty,
            "fault": self.fault,
            "work": self.work,
            "parts": self.parts,
            "fees": self.fees,
            "photos": self.photos,
        }

    def add_photo(self, purpose: str, media_type: str, file_id: str, unique_id: str) -> None:
        self.photos.append(
            dict(zip(_PHOTO_FIELDS, (purpose, media_type, file_id, unique_id), strict=True))
        )

    def to_input(self) -> RecordInput:
        if self.warranty is None:
            raise DomainError("the warranty check is not answered yet")
        return RecordInput(
            warranty=self.warranty,
            fault=self.fault,
            work=self.work,
            parts=tuple(self.parts),
            fees=tuple({"code": c, "quantity": n} for c, n in self.fees.items()),
            photos=tuple(tuple(p[k] for k in _PHOTO_FIELDS) for p in self.photos),  # type: ignore[misc]
        )


_PHOTO_FIELDS = ("purpose", "media_type", "file_id", "unique_id")


def _part_lines(parts: list[dict[str, Any]]) -> Param:
    """One line per part replaced, with why where the technician said."""
    items: list[Param] = [
        Msg(N_("{part} ({reason})"), {"part": p["name"], "reason": p["reason"]})
        if p.get("reason")
        else str(p["name"])
        for p in parts
    ]
    return listed(items)


def _fee_lines(policy: DeskPolicy, fees: list[dict[str, Any]]) -> Param:
    """One line per fee item, written out in the recipient's language by the sender."""
    names = policy.fee_names()
    return listed(
        [
            Msg(
                N_("{item} × {quantity} = {amount}"),
                {
                    "item": names[f["code"]],
                    "quantity": f["quantity"],
                    "amount": Money(f["price"] * f["quantity"], policy.currency),
                },
            )
            for f in fees
            if f["code"] in names
        ]
    )


def _nearest_points(policy: DeskPolicy, ticket: Ticket) -> list[str]:
    """The service points by distance from the job (as configured where it has no
    location): the stock a technician lacked is drawn from the nearest holding it."""
    points = list(policy.service_points)
    if ticket.latitude is not None and ticket.longitude is not None:
        lat, lon = ticket.latitude, ticket.longitude
        points.sort(key=lambda p: distance_km(lat, lon, p.latitude, p.longitude))
    return [point.name for point in points]


def _contract_of(ticket: Ticket) -> str | None:
    """The maintenance contract a planned visit is made under (dispatch.contracts)."""
    contract = ticket.details.get("contract") if ticket.kind is TicketKind.MAINTENANCE else None
    return str(contract) if contract else None


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
        ticket, visit = await technicians_job(uow, ticket_id, technician_id)
        prices = {p.code: p for p in policy.prices}
        fees: list[dict[str, Any]] = []
        # In-warranty quality faults are free. A planned visit under a maintenance contract
        # is priced by the contract: its labour and call-out are covered, the parts used
        # are charged at the parts list's price.
        covered = _contract_of(ticket) is not None
        if record.warranty != "in" and not covered:
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
        if record.warranty != "in":
            fees += part_fees(policy.parts, record.parts)
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
        await use_parts(
            uow,
            policy.parts,
            technician_id,
            record.parts,
            now,
            points=_nearest_points(policy, ticket),
        )
        for purpose, media_type, file_id, unique in record.photos:
            await uow.attachments.add(
                Attachment(ticket.id, technician_id, purpose, media_type, file_id, unique, now)
            )
        await uow.outbox.add(
            _record_message(policy, ticket, stored, key=f"record:{ticket.id}"), at=now
        )
        await uow.commit()
        return stored


def _record_message(
    policy: DeskPolicy, ticket: Ticket, record: ServiceRecord, *, key: str
) -> Outgoing:
    """The record as the customer reads it before signing, with the buttons that sign it
    (and say so) or dispute it."""
    fee_text: Param = _fee_lines(policy, record.fees) if record.fees else Msg(N_("none"))
    contract = _contract_of(ticket)
    if contract is not None:
        fee_text = Msg(
            N_("{fees} (labour covered by maintenance contract {contract})"),
            {"fees": fee_text, "contract": contract},
        )
    return Outgoing(
        user_id=ticket.customer_id,
        # An installation's record says what was installed, not what was broken.
        text=N_(
            "🧾 Installation record for {number}\nWarranty: {warranty}\nNotes before installing: {fault}\n"
            "Installed and tested: {work}\nParts used: {parts}\nFees: {fees}\nTotal: {total}\n\n"
            "Please check it. Sign it if it is right; once signed it cannot be changed."
        )
        if ticket.kind is TicketKind.INSTALLATION
        else N_(
            "🧾 Service record for {number}\nWarranty: {warranty}\nFault found: {fault}\nWork done: {work}\n"
            "Parts replaced: {parts}\nFees: {fees}\nTotal: {total}\n\nPlease check it. Sign it if it is right; "
            "once signed it cannot be changed."
        ),
        params={
            "number": ticket.number,
            "warranty": Msg(WARRANTY_LABELS.get(record.warranty, WARRANTY_LABELS["out"])),
            "fault": record.fault,
            "work": record.work,
            "parts": _part_lines(record.parts),
            "fees": fee_text,
            "total": Money(record.total, policy.currency),
        },
        buttons=(
            (Button(N_("✍️ Correct: sign it"), data=RECORD_SIGN.data(ticket.id)),),
            (Button(N_("⚠️ Something is wrong"), data=RECORD_DISPUTE.data(ticket.id)),),
        ),
        ticket_id=ticket.id,
        dedup_key=key,
    )


async def show_record(
    uow: UnitOfWork, clock: Clock, policy: DeskPolicy, *, ticket_id: int, customer_id: int
) -> Ticket:
    """The record again, for a customer who began a dispute and went back to it: signing
    happens only on the record's own message, where its text stands above the button."""
    now = clock.now()
    async with uow:
        ticket = await customers_ticket(uow, ticket_id=ticket_id, customer_id=customer_id)
        record = await uow.records.for_ticket(ticket_id)
        if record is None or not allowed(ticket.kind, ticket.status, "signed"):
            raise NotAllowed("no record to sign")
        key = f"record-again:{ticket.id}:{now.isoformat()}"
        await uow.outbox.add(_record_message(policy, ticket, record, key=key), at=now)
        await uow.commit()
    return ticket


async def sign_record(
    uow: UnitOfWork,
    clock: Clock,
    *,
    ticket_id: int,
    customer_id: int,
    policy: DeskPolicy,
) -> ServiceRecord:
    """The customer's signature: only after completion; freezes the record with its hash."""
    async with uow:
        now = clock.now()
        ticket = await customers_ticket(uow, ticket_id=ticket_id, customer_id=customer_id)
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
            await tell(
                uow,
                ticket.assigned_technician_id,
                N_("✍️ The customer signed the service record of {number}."),
                {"number": ticket.number},
                ticket,
                now,
                "signed-tech",
            )
        record.signed_at, record.signed_hash, record.signed_payload = now, digest, payload
        await schedule_survey(uow, policy, ticket, now)  # the follow-up visit (回访)
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
        ticket = await customers_ticket(uow, ticket_id=ticket_id, customer_id=customer_id)
        event = transition(
            ticket, "disputed", at=now, actor_id=customer_id, details={"reason": reason}
        )
        await uow.tickets.save(ticket)
        await uow.events.add(event)
        complaint = await open_linked_complaint(
            uow,
            now=now,
            policy=policy,
            customer_id=customer_id,
            related=ticket,
            description=reason,
            details={"source": "record_dispute"},
        )
        await tell(
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
            await tell(
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
            kind=EventKind.RECORD_CORRECTION,
            created_at=clock.now(),
            ticket_id=ticket.id,
            actor_id=actor_id,
            details={"note": note},
        )
        await uow.events.add(event)
        await uow.commit()
        return event


async def disputable_record(uow: UnitOfWork, *, ticket_id: int, customer_id: int) -> Ticket:
    """The customer's ticket whose record they may still dispute (completed, not signed);
    NotAllowed otherwise, so a stale button says it no longer works."""
    async with uow:
        ticket = await uow.tickets.get(ticket_id)
    if (
        ticket is None
        or ticket.customer_id != customer_id
        or not allowed(ticket.kind, ticket.status, "disputed")
    ):
        raise NotAllowed("no record to dispute")
    return ticket
