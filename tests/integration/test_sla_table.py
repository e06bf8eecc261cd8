"""Every row of the SLA table: started the way the product starts it, then warned, alerted
and escalated exactly once each as the clock moves (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from dispatch.clock import ManualClock
from dispatch.customer import (
    QuestionRequest,
    submit_complaint,
    submit_question,
    submit_repair,
    submit_return,
)
from dispatch.geo import Place
from dispatch.lifecycle import change_status
from dispatch.policy import DeskPolicy
from dispatch.sla import STEPS
from dispatch.sweep import sweep
from dispatch.users import register_user
from storage.models import TicketRow
from storage.uow import UnitOfWorkFactory
from tests.integration.requests import complaint_request, repair_request, return_request

HERE = (31.2304, 121.4737)
POLICY = DeskPolicy(
    zone=ZoneInfo("Asia/Shanghai"),
    service_points=(Place("Minhang", 31.1129, 121.3817),),
    priority_areas=(Place("Inner ring", 31.2304, 121.4737, 12),),
)
NEAR_NOT_PRIORITY = (31.1129, 121.3817)  # at the service point, outside the priority area
FAR = (39.9042, 116.4074)  # Beijing


async def _repair(
    uow: UnitOfWorkFactory, clock: ManualClock, customer: int, where: tuple[float, float], key: str
) -> int:
    request = repair_request(POLICY, where)
    return (
        await submit_repair(
            uow, clock, POLICY, customer_id=customer, intake_key=key, request=request
        )
    ).ticket.id


async def _start(step: str, uow: UnitOfWorkFactory, clock: ManualClock, customer: int) -> int:
    """A ticket on which ``step`` is running, started the way the product starts it."""

    async def move(ticket_id: int, *statuses: str) -> int:
        return await _moves(uow, clock, ticket_id, statuses)

    if step in ("repair_dispatch", "repair_on_site_priority"):
        return await _repair(uow, clock, customer, HERE, step)
    if step == "repair_on_site":
        return await _repair(uow, clock, customer, NEAR_NOT_PRIORITY, step)
    if step == "repair_remote_answer":
        return await _repair(uow, clock, customer, FAR, step)
    if step == "part_request":  # the job waits for a spare part
        return await move(
            await _repair(uow, clock, customer, HERE, step), "assigned", "waiting_part"
        )
    if step.startswith("consultation"):
        ticket = (
            await submit_question(
                uow,
                clock,
                POLICY,
                customer_id=customer,
                intake_key=step,
                request=QuestionRequest("Why?"),
            )
        ).ticket.id
        return await move(ticket, "responded") if step == "consultation_answer" else ticket
    if step.startswith("complaint"):
        complaint = complaint_request()
        ticket = (
            await submit_complaint(
                uow,
                clock,
                POLICY,
                customer_id=customer,
                customer_name="C",
                intake_key=step,
                request=complaint,
            )
        ).ticket.id
        path = {
            "complaint_forward": (),
            "complaint_verify": ("forwarded",),
            "complaint_plan": ("verified",),
            "complaint_reply": ("verified", "planned", "resolved"),
        }
        return await move(ticket, *path[step])
    request = return_request()
    ticket = (
        await submit_return(
            uow, clock, POLICY, customer_id=customer, intake_key=step, request=request
        )
    ).ticket.id
    return await move(ticket, "approved", "received") if step == "return_refund" else ticket


async def _moves(
    uow: UnitOfWorkFactory, clock: ManualClock, ticket_id: int, statuses: tuple[str, ...]
) -> int:
    for status in statuses:
        await change_status(
            uow(), clock, ticket_id=ticket_id, to=status, actor_id=None, policy=POLICY
        )
    return ticket_id


LIMITS = sorted(name for name, step in STEPS.items() if not step.repeats)


@pytest.mark.parametrize("step", LIMITS)
async def test_each_limit_warns_alerts_and_escalates_exactly_once(
    step: str, engine: AsyncEngine, uow: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await register_user(
        uow(),
        clock,
        telegram_id=1,
        display_name="M",
        username=None,
        telegram_language="en",
        manager_ids=(1,),
    )
    customer = (
        await register_user(
            uow(),
            clock,
            telegram_id=2,
            display_name="C",
            username=None,
            telegram_language="en",
            manager_ids=(),
        )
    ).user.id
    ticket_id = await _start(step, uow, clock, customer)
    column = STEPS[step].column
    async with engine.connect() as conn:
        row = (await conn.execute(select(TicketRow).where(TicketRow.id == ticket_id))).one()
    assert getattr(row, f"{column}_step") == step
    due, warn = getattr(row, f"{column}_due_at"), getattr(row, f"{column}_next_at")
    assert due is not None and warn is not None and warn < due

    async def levels() -> list[int]:
        async with uow() as u:
            events = await u.events.for_ticket(ticket_id)
        return [
            int(e.kind[-1])
            for e in events
            if e.kind.startswith("sla.level") and e.details.get("step") == step
        ]

    clock.set(warn - timedelta(seconds=1))
    await sweep(uow, clock, POLICY)
    assert await levels() == []
    for moment, expected in ((warn, [1]), (due, [1, 2]), (due + POLICY.escalate_after, [1, 2, 3])):
        clock.set(moment)
        await sweep(uow, clock, POLICY)
        await sweep(uow, clock, POLICY)  # a second sweep at the same moment adds nothing
        assert await levels() == expected
    clock.advance(timedelta(days=10))
    await sweep(uow, clock, POLICY)
    assert await levels() == [1, 2, 3]
