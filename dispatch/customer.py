"""What a customer can submit: a repair or installation, a complaint, a return, a question.

A submission is one transaction: the ticket, its ``created`` event, its photos,
its first deadlines, the confirmation to the customer and any manager ping.
Each draft has an intake key; submitting the same draft again returns the
ticket already made, so a double tap on Confirm never makes two tickets.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from dispatch.assignment import FleetCache
from dispatch.clock import Clock
from dispatch.complaints import ping_complaint
from dispatch.decisions import ping_return
from dispatch.errors import ConcurrentUpdate, NotAllowed, NotFound
from dispatch.intake import (
    ComplaintTopic,
    Eligibility,
    RepairPromise,
    ReturnReason,
    Slot,
    limit_text,
    visit_end,
)
from dispatch.labels import SLOT_LABELS
from dispatch.limits import TooManyRequests, check_new_request, note_limited
from dispatch.messages import N_, Day, Msg, Number, Outgoing, Param
from dispatch.model import Attachment, Deadline, Priority, Ticket, TicketKind
from dispatch.offers import offer_in
from dispatch.policy import DeskPolicy
from dispatch.ports import UnitOfWork, UnitOfWorkFactory
from dispatch.questions import ping_managers
from dispatch.sla import STEPS, SlaStep
from dispatch.tickets import arm, created_event, new_ticket

__all__ = [
    "ComplaintRequest",
    "Photo",
    "QuestionRequest",
    "RepairRequest",
    "ReturnRequest",
    "Submitted",
    "attach_photos",
    "submit_complaint",
    "submit_question",
    "submit_repair",
    "submit_return",
]


@dataclass(frozen=True)
class Photo:
    file_id: str
    file_unique_id: str
    media_type: str = "photo"


@dataclass(frozen=True)
class RepairRequest:
    kind: TicketKind
    product_category: str | None
    product_model: str | None
    purchase_date: date | None
    warranty: str
    description: str
    photos: tuple[Photo, ...]
    address: str | None
    latitude: float | None
    longitude: float | None
    phone: str
    preferred_date: date
    preferred_slot: Slot
    promise: RepairPromise


@dataclass(frozen=True)
class ComplaintRequest:
    topic: ComplaintTopic
    related_ticket_id: int | None
    description: str
    photos: tuple[Photo, ...]
    outcome: str
    serious: bool
    phone: str


@dataclass(frozen=True)
class ReturnRequest:
    order_number: str
    product_category: str | None
    quantity: int
    purchase_date: date
    reason: ReturnReason
    unused: bool
    original_packaging: bool
    proof_of_purchase: bool
    custom_made: bool
    eligibility: Eligibility
    photos: tuple[Photo, ...]
    phone: str


@dataclass(frozen=True)
class QuestionRequest:
    question: str


@dataclass(frozen=True)
class Submitted:
    ticket: Ticket
    created: bool  # False when this draft had been submitted before


async def attach_photos(
    uow: UnitOfWork,
    ticket_id: int,
    uploaded_by: int,
    photos: tuple[Photo, ...],
    purpose: str,
    at: datetime,
) -> None:
    for photo in photos:
        await uow.attachments.add(
            Attachment(
                ticket_id=ticket_id,
                uploaded_by=uploaded_by,
                purpose=purpose,
                media_type=photo.media_type,
                file_id=photo.file_id,
                file_unique_id=photo.file_unique_id,
                created_at=at,
            )
        )


async def _submit(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    policy: DeskPolicy,
    *,
    customer_id: int,
    intake_key: str,
    kind: TicketKind,
    fields: Mapping[str, Any],
    photos: tuple[Photo, ...],
    photo_purpose: str,
    confirmation: tuple[str, Mapping[str, Param]],
    clocks: tuple[str, ...],
    visit_by: datetime | None = None,
    then: Callable[[UnitOfWork, Ticket, datetime], Awaitable[object]] | None = None,
) -> Submitted:
    uow = uow_factory()
    async with uow:
        existing = await uow.tickets.by_intake_key(intake_key)
        if existing is not None:
            return Submitted(existing, created=False)
        customer = await uow.users.get(customer_id)
        if customer is None:
            raise NotFound(f"user {customer_id}")
        now = clock.now()
        try:
            await check_new_request(uow, customer_id, now, policy.requests_per_hour)
        except TooManyRequests:
            await uow.rollback()
            await note_limited(uow_factory(), customer_id, "requests_per_hour", now)
            raise
        ticket = await new_ticket(
            uow,
            now=now,
            zone=policy.zone,
            customer_id=customer_id,
            kind=kind,
            intake_key=intake_key,
        )
        for name, value in fields.items():
            setattr(ticket, name, value)
        try:
            ticket = await uow.tickets.add(ticket)
        except ConcurrentUpdate:
            await uow.rollback()
            again = await uow.tickets.by_intake_key(intake_key)
            assert again is not None
            return Submitted(again, created=False)
        await uow.events.add(created_event(ticket, actor_id=customer_id, at=now))
        await attach_photos(uow, ticket.id, customer_id, photos, photo_purpose, now)
        for step in clocks:  # the time limits that start now (dispatch.sla.STEPS)
            arrival = STEPS[step].column is Deadline.ARRIVE
            await arm(uow, policy, ticket, step, now, not_before=visit_by if arrival else None)
        if ticket.contact_phone and customer.phone != ticket.contact_phone:
            customer.phone = ticket.contact_phone
            await uow.users.save(customer)
        text, params = confirmation
        await uow.outbox.add(
            Outgoing(
                user_id=customer_id,
                text=text,
                params={"number": ticket.number, **params},
                ticket_id=ticket.id,
                dedup_key=f"created:{ticket.id}",
            ),
            at=now,
        )
        if then is not None:  # e.g. dispatch the new job, in this same transaction
            await then(uow, ticket, now)
        await uow.commit()
        return Submitted(ticket, created=True)


async def submit_repair(
    uow: UnitOfWorkFactory,
    clock: Clock,
    policy: DeskPolicy,
    *,
    customer_id: int,
    intake_key: str,
    request: RepairRequest,
    fleet_cache: FleetCache | None = None,
) -> Submitted:
    """Record a repair or installation and offer it to a technician in the same transaction.

    When no technician is free the job waits for the periodic dispatch round.
    """
    promise = request.promise
    installation = request.kind is TicketKind.INSTALLATION
    if promise.far:
        assert promise.answer is not None
        text = (
            N_(
                "Your installation request {number} is registered.\nYou are more than {far_km} km from "
                "our nearest service point, so we will tell you within {answer} how and when we can help. "
                "Follow it with /mytickets."
            )
            if installation
            else N_(
                "Your repair request {number} is registered.\nYou are more than {far_km} km from our "
                "nearest service point, so we will tell you within {answer} how and when we can help. "
                "Follow it with /mytickets."
            )
        )
        params: dict[str, Param] = {
            "far_km": Number(policy.far_distance_km),
            "answer": limit_text(promise.answer),
        }
        clocks: tuple[str, ...] = (SlaStep.REPAIR_REMOTE_ANSWER,)
        visit_by = None
    else:
        assert promise.on_site is not None
        # The visit is promised as booked; the on-site limit still holds for a booking
        # sooner than it (the arrival clock runs to whichever is later).
        text = (
            N_(
                "Your installation request {number} is registered.\nA technician will be assigned within "
                "{dispatch} and will call you first; they will come on {day}, {slot}, as you booked. "
                "Follow it with /mytickets."
            )
            if installation
            else N_(
                "Your repair request {number} is registered.\nA technician will be assigned within "
                "{dispatch} and will call you first; they will come on {day}, {slot}, as you booked. "
                "Follow it with /mytickets."
            )
        )
        params = {
            "dispatch": limit_text(promise.dispatch),
            "day": Day(request.preferred_date),
            "slot": Msg(SLOT_LABELS[request.preferred_slot]),
        }
        visit_by = visit_end(request.preferred_date, request.preferred_slot, policy.zone)
        clocks = (
            SlaStep.REPAIR_DISPATCH,
            SlaStep.REPAIR_ON_SITE_PRIORITY if promise.priority_area else SlaStep.REPAIR_ON_SITE,
        )
    fields = {
        "product_category": request.product_category,
        "product_model": request.product_model,
        "purchase_date": request.purchase_date,
        "description": request.description,
        "address": request.address,
        "latitude": request.latitude,
        "longitude": request.longitude,
        "contact_phone": request.phone,
        "preferred_date": request.preferred_date,
        "preferred_slot": request.preferred_slot.value,
        "priority_area": promise.priority_area,
        "details": {"warranty": request.warranty, "far": promise.far},
    }
    return await _submit(
        uow,
        clock,
        policy,
        customer_id=customer_id,
        intake_key=intake_key,
        kind=request.kind,
        fields=fields,
        photos=request.photos,
        photo_purpose="problem",
        confirmation=(text, params),
        clocks=clocks,
        visit_by=visit_by,
        then=lambda uow, ticket, at: offer_in(uow, policy, ticket, at, fleet_cache=fleet_cache),
    )


async def submit_complaint(
    uow: UnitOfWorkFactory,
    clock: Clock,
    policy: DeskPolicy,
    *,
    customer_id: int,
    customer_name: str,
    intake_key: str,
    request: ComplaintRequest,
) -> Submitted:
    sla = policy.sla
    if request.related_ticket_id is not None:
        async with uow() as check:
            related = await check.tickets.get(request.related_ticket_id)
        if related is None or related.customer_id != customer_id:
            raise NotAllowed("a complaint can only refer to the customer's own tickets")
    text = (
        N_(
            "Your complaint {number} is registered. Because you reported property loss or injury, "
            "a manager has been told at once.\nWhat happens next: we verify the facts within {verify} "
            "and propose a solution within {plan}. Until it is closed you will hear from us at least "
            "every {progress}, whether or not it is solved yet. Follow it with /mytickets."
        )
        if request.serious
        else N_(
            "Your complaint {number} is registered.\nWhat happens next: we pass it to the department "
            "responsible within {forward}, verify the facts within {verify} and propose a solution "
            "within {plan}. Until it is closed you will hear from us at least every {progress}, "
            "whether or not it is solved yet. Follow it with /mytickets."
        )
    )
    params: dict[str, Param] = {
        "forward": limit_text(sla[SlaStep.COMPLAINT_FORWARD]),
        "verify": limit_text(sla[SlaStep.COMPLAINT_VERIFY]),
        "plan": limit_text(sla[SlaStep.COMPLAINT_PLAN]),
        "progress": limit_text(sla[SlaStep.COMPLAINT_PROGRESS]),
    }
    fields = {
        "description": request.description,
        "contact_phone": request.phone,
        "related_ticket_id": request.related_ticket_id,
        "priority": Priority.URGENT if request.serious else Priority.NORMAL,
        "details": {
            "topic": request.topic.value,
            "outcome": request.outcome,
            "severity": "serious" if request.serious else "general",
        },
    }
    return await _submit(
        uow,
        clock,
        policy,
        customer_id=customer_id,
        intake_key=intake_key,
        kind=TicketKind.COMPLAINT,
        fields=fields,
        photos=request.photos,
        photo_purpose="evidence",
        confirmation=(text, params),
        clocks=(SlaStep.COMPLAINT_FORWARD, SlaStep.COMPLAINT_PROGRESS),
        then=lambda uow, ticket, at: ping_complaint(uow, policy, ticket, at, customer_name),
    )


async def submit_return(
    uow: UnitOfWorkFactory,
    clock: Clock,
    policy: DeskPolicy,
    *,
    customer_id: int,
    intake_key: str,
    request: ReturnRequest,
) -> Submitted:
    sla = policy.sla
    if request.eligibility.eligible:
        text = N_(
            "Your return / exchange request {number} is registered. We will review it within {review}; "
            "once we have the goods back, the refund or exchange is done within {refund}. "
            "Follow it with /mytickets."
        )
    else:
        text = N_(
            "Your return / exchange request {number} is registered for a manual review, as it does not "
            "meet the usual conditions. We will reply within {review}. Follow it with /mytickets."
        )
    params: dict[str, Param] = {
        "review": limit_text(sla[SlaStep.RETURN_REVIEW]),
        "refund": limit_text(sla[SlaStep.RETURN_REFUND]),
    }
    fields = {
        "product_category": request.product_category,
        "purchase_date": request.purchase_date,
        "contact_phone": request.phone,
        "description": "",
        "details": {
            "order_number": request.order_number,
            "quantity": request.quantity,
            "reason": request.reason.value,
            "unused": request.unused,
            "original_packaging": request.original_packaging,
            "proof_of_purchase": request.proof_of_purchase,
            "custom_made": request.custom_made,
            "eligible": request.eligibility.eligible,
            "refusals": list(request.eligibility.reasons),
        },
    }
    return await _submit(
        uow,
        clock,
        policy,
        customer_id=customer_id,
        intake_key=intake_key,
        kind=TicketKind.RETURN,
        fields=fields,
        photos=request.photos,
        photo_purpose="return",
        confirmation=(text, params),
        clocks=(SlaStep.RETURN_REVIEW,),
        then=lambda uow, ticket, at: ping_return(uow, policy, ticket, at),
    )


async def submit_question(
    uow: UnitOfWorkFactory,
    clock: Clock,
    policy: DeskPolicy,
    *,
    customer_id: int,
    intake_key: str,
    request: QuestionRequest,
) -> Submitted:
    sla = policy.sla
    text = N_(
        "Your question {number} is registered. Our staff will reply in this chat within {first}, "
        "with a full answer within {answer}."
    )
    params: dict[str, Param] = {
        "first": limit_text(sla[SlaStep.CONSULTATION_FIRST_RESPONSE]),
        "answer": limit_text(sla[SlaStep.CONSULTATION_ANSWER]),
    }
    return await _submit(
        uow,
        clock,
        policy,
        customer_id=customer_id,
        intake_key=intake_key,
        kind=TicketKind.CONSULTATION,
        fields={"description": request.question},
        photos=(),
        photo_purpose="question",
        confirmation=(text, params),
        clocks=(SlaStep.CONSULTATION_FIRST_RESPONSE,),
        then=lambda uow, ticket, at: ping_managers(uow, policy, ticket, at),
    )
