"""Offers and records on both databases: one assignment under racing accepts, frozen records."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from dispatch.clock import ManualClock
from dispatch.lifecycle import change_status
from dispatch.model import Role, TicketKind
from dispatch.offers import OfferClosed, accept_offer, offer_next
from dispatch.policy import DeskPolicy
from dispatch.records import RecordInput, correct_record, submit_record
from dispatch.technicians import save_technician_profile
from dispatch.tickets import create_ticket
from dispatch.users import register_user
from storage.models import EventRow, ServiceRecordRow
from storage.uow import UnitOfWorkFactory

POLICY = DeskPolicy(zone=ZoneInfo("Asia/Shanghai"))
HERE = (31.2304, 121.4737)


async def _technician(uow: UnitOfWorkFactory, clock: ManualClock, telegram_id: int) -> int:
    reg = await register_user(
        uow(),
        clock,
        telegram_id=telegram_id,
        display_name="T",
        username=None,
        telegram_language="en",
        manager_ids=(),
    )
    async with uow() as u:
        user = await u.users.get(reg.user.id)
        assert user is not None
        user.role = Role.TECHNICIAN
        await u.users.save(user)
        await u.commit()
    await save_technician_profile(
        uow(),
        clock,
        user_id=reg.user.id,
        name="T",
        phone="+8613900000000",
        skills=("aircon",),
        latitude=HERE[0],
        longitude=HERE[1],
        service_radius_km=50,
        capacity=3,
    )
    async with uow() as u:
        await u.technicians.set_duty(reg.user.id, True)
        await u.commit()
    return reg.user.id


async def _offered_ticket(uow: UnitOfWorkFactory, clock: ManualClock) -> tuple[int, int, int]:
    customer = await register_user(
        uow(),
        clock,
        telegram_id=1,
        display_name="C",
        username=None,
        telegram_language="en",
        manager_ids=(),
    )
    technician = await _technician(uow, clock, 2)
    ticket = await create_ticket(
        uow(),
        clock,
        POLICY.zone,
        customer_id=customer.user.id,
        kind=TicketKind.REPAIR,
        fields={
            "latitude": HERE[0],
            "longitude": HERE[1],
            "product_category": "aircon",
            "description": "x",
        },
    )
    outcome = await offer_next(uow(), clock, POLICY, ticket_id=ticket.id)
    assert outcome.result == "offered" and outcome.technician_id == technician
    async with uow() as u:
        offer = await u.offers.pending_for(ticket.id)
    assert offer is not None
    return ticket.id, offer.id, technician


async def test_racing_accepts_assign_the_job_once(
    engine: AsyncEngine, uow: UnitOfWorkFactory, clock: ManualClock
) -> None:
    _ticket_id, offer_id, technician = await _offered_ticket(uow, clock)
    results = await asyncio.gather(
        *(
            accept_offer(uow(), clock, POLICY, offer_id=offer_id, technician_id=technician)
            for _ in range(6)
        ),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert all(isinstance(r, OfferClosed) for r in results if isinstance(r, BaseException))
    async with engine.connect() as conn:
        accepted = await conn.scalar(
            select(func.count()).select_from(EventRow).where(EventRow.to_status == "assigned")
        )
    assert accepted == 1


async def test_an_accept_after_expiry_changes_nothing(
    uow: UnitOfWorkFactory, clock: ManualClock
) -> None:
    ticket_id, offer_id, technician = await _offered_ticket(uow, clock)
    clock.advance(timedelta(minutes=11))
    with pytest.raises(OfferClosed) as closed:
        await accept_offer(uow(), clock, POLICY, offer_id=offer_id, technician_id=technician)
    assert closed.value.reason == "expired"
    async with uow() as u:
        ticket = await u.tickets.get(ticket_id)
    assert (
        ticket is not None and ticket.status == "offered" and ticket.assigned_technician_id is None
    )


async def test_a_signed_record_is_corrected_by_an_event_not_an_edit(
    engine: AsyncEngine, uow: UnitOfWorkFactory, clock: ManualClock
) -> None:
    ticket_id, offer_id, technician = await _offered_ticket(uow, clock)
    await accept_offer(uow(), clock, POLICY, offer_id=offer_id, technician_id=technician)
    await change_status(
        uow(), clock, ticket_id=ticket_id, to="on_site", actor_id=technician, policy=POLICY
    )
    await submit_record(
        uow(),
        clock,
        POLICY,
        ticket_id=ticket_id,
        technician_id=technician,
        record=RecordInput("in", "fault", "work", (), (), ()),
    )
    async with engine.connect() as conn:
        before = (await conn.execute(select(ServiceRecordRow.fault, ServiceRecordRow.work))).one()
    event = await correct_record(
        uow(),
        clock,
        ticket_id=ticket_id,
        actor_id=technician,
        note="The fault was the fan motor, not the capacitor.",
    )
    async with engine.connect() as conn:
        after = (await conn.execute(select(ServiceRecordRow.fault, ServiceRecordRow.work))).one()
        kinds = list(
            await conn.scalars(
                select(EventRow.kind)
                .where(EventRow.ticket_id == ticket_id)
                .order_by(EventRow.id)  # the log's order (an index may return another)
            )
        )
    assert before == after
    assert kinds[-1] == "record.correction" and event.details["note"].startswith("The fault was")
