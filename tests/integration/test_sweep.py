"""The SLA sweep on both databases: concurrent sweepers send every alert exactly once."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from dispatch.clock import ManualClock
from dispatch.customer import QuestionRequest, submit_question
from dispatch.model import Role
from dispatch.policy import DeskPolicy
from dispatch.sweep import sweep
from dispatch.users import register_user
from storage.models import EventRow, OutboxRow
from storage.uow import UnitOfWorkFactory

# One customer opens twenty requests at once here: past the flood limit of ten an hour.
POLICY = DeskPolicy(zone=ZoneInfo("Asia/Shanghai"), requests_per_hour=100)


async def test_concurrent_sweepers_send_each_alert_exactly_once(
    engine: AsyncEngine, uow: UnitOfWorkFactory, clock: ManualClock
) -> None:
    for telegram_id in (1, 2):
        await register_user(
            uow(),
            clock,
            telegram_id=telegram_id,
            display_name="M",
            username=None,
            telegram_language="en",
            manager_ids=(1, 2),
        )
    customer = await register_user(
        uow(),
        clock,
        telegram_id=3,
        display_name="C",
        username=None,
        telegram_language="en",
        manager_ids=(),
    )
    assert customer.user.role is Role.CUSTOMER
    for n in range(20):  # first reply to a question: due in 1 hour
        await submit_question(
            uow,
            clock,
            POLICY,
            customer_id=customer.user.id,
            intake_key=f"q{n}",
            request=QuestionRequest("Why?"),
        )
    clock.advance(timedelta(minutes=61))
    await asyncio.gather(*(sweep(uow, clock, POLICY) for _ in range(4)))
    async with engine.connect() as conn:
        breaches = await conn.scalar(
            select(func.count()).select_from(EventRow).where(EventRow.kind == "sla.level2")
        )
        rows = (
            await conn.execute(select(OutboxRow.user_id, OutboxRow.template, OutboxRow.params))
        ).all()
    assert breaches == 20
    heard: dict[int, int] = {}
    for user_id, template, params in rows:
        if template.startswith("🚨 {count}"):  # a digest: one line per alert
            heard[user_id] = heard.get(user_id, 0) + int(params["count"])
        elif template.startswith("🚨 {number}"):
            heard[user_id] = heard.get(user_id, 0) + 1
    assert sorted(heard.values()) == [20, 20]  # each manager hears of each breach exactly once
    assert await sweep(uow, clock, POLICY) == 0
