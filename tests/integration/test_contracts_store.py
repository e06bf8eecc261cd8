"""Maintenance contracts on both databases: a file's contracts stored, and planners in two
processes at once creating each due visit exactly once."""

from __future__ import annotations

import asyncio
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from dispatch.clock import ManualClock
from dispatch.contract_table import import_contracts
from dispatch.contracts import plan_visits
from dispatch.model import Role
from dispatch.policy import DeskPolicy
from dispatch.users import register_user
from storage.field_models import ContractRow
from storage.models import EventRow, OutboxRow, TicketRow
from storage.uow import UnitOfWorkFactory

POLICY = DeskPolicy(zone=ZoneInfo("Asia/Shanghai"))
HEADER = ["contract", "customer phone", "site", "address", "products", "start", "end", "cadence"]


async def test_two_planners_at_once_create_each_due_visit_once(
    uow: UnitOfWorkFactory, clock: ManualClock
) -> None:
    for n in range(3):
        registered = await register_user(
            uow(),
            clock,
            telegram_id=100 + n,
            display_name=f"C{n}",
            username=None,
            telegram_language="zh-hans",
            manager_ids=(),
        )
        user = registered.user
        async with uow() as unit:
            user.phone = f"+861380013800{n}"
            await unit.users.save(user)
            await unit.commit()
        assert user.role is Role.CUSTOMER
    rows = [HEADER] + [
        # Start on the 24th, 25th, 26th: all three within the week ahead; the 4th in 2027.
        [
            f"WB-{n}",
            f"1380013800{n}",
            f"Site {n}",
            "Road 1",
            "",
            f"2026-11-2{4 + n}",
            "2027-11-01",
            "monthly",
        ]
        for n in range(3)
    ]
    rows.append(
        ["WB-9", "13800138000", "Later", "Road 9", "", "2027-01-04", "2027-12-01", "季度巡检"]
    )
    report = await import_contracts(uow(), clock, POLICY, rows, region="CN", lead_days=7)
    assert (report.added, report.renewed, report.problems) == (4, 0, [])

    made = await asyncio.gather(*(plan_visits(uow, clock, POLICY, lead_days=7) for _ in range(2)))
    assert sum(made) == 3  # on PostgreSQL they may split the three between them
    async with uow() as unit:
        session = unit.session
        visits = list(
            await session.scalars(
                select(TicketRow.number)
                .where(TicketRow.kind == "maintenance")
                .order_by(TicketRow.id)
            )
        )
        proposals = await session.scalar(
            select(func.count()).select_from(OutboxRow).where(OutboxRow.dedup_key.like("planned:%"))
        )
        created = await session.scalar(
            select(func.count()).select_from(EventRow).where(EventRow.kind == "created")
        )
        planned = {
            number: (next_on, plan_on)
            for number, next_on, plan_on in await session.execute(
                select(ContractRow.number, ContractRow.next_visit_on, ContractRow.plan_on)
            )
        }
    assert len(visits) == len(set(visits)) == 3
    assert (proposals, created) == (3, 3)
    assert str(planned["WB-0"][0]) == "2026-12-24" and str(planned["WB-0"][1]) == "2026-12-17"
    assert str(planned["WB-9"][0]) == "2027-01-04" and str(planned["WB-9"][1]) == "2026-12-28"
    assert await plan_visits(uow, clock, POLICY, lead_days=7) == 0
