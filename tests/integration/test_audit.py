"""The audit log's hash chain on each database: sealed in order, checked whole, and any
event changed, deleted or slipped in behind the bot's back is reported."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.verify import seal_events, verify_desk
from dispatch.model import Event, EventKind
from storage.uow import UnitOfWorkFactory

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


async def _record(uow: UnitOfWorkFactory, count: int, start: int = 0) -> None:
    async with uow() as work:
        for n in range(start, start + count):
            await work.events.add(
                Event(
                    kind=EventKind.CONTRACT_LOADED,
                    created_at=T0 + timedelta(minutes=n),
                    details={"number": f"WB-{n:03}", "fee": 1200.5, "名": "維修"},
                )
            )
        await work.commit()


async def _allow_changes(engine: AsyncEngine) -> None:
    """What someone with the database's password could do: lift the append-only guard."""
    async with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            await conn.execute(text("DROP TRIGGER events_no_update"))
            await conn.execute(text("DROP TRIGGER events_no_delete"))
        else:
            await conn.execute(text("ALTER TABLE events DISABLE TRIGGER events_append_only"))


async def test_a_sealed_log_verifies_and_each_tampering_is_named(
    engine: AsyncEngine, uow: UnitOfWorkFactory
) -> None:
    await _record(uow, 5)
    assert await seal_events(uow) == 5
    await _record(uow, 3, start=5)
    assert await seal_events(uow) == 3
    assert await seal_events(uow) == 0
    now = T0 + timedelta(days=1)
    clean = await verify_desk(uow, now)
    assert (clean.events, clean.findings) == (8, [])
    assert clean.report().endswith("everything is as it was recorded.")

    await _allow_changes(engine)
    async with engine.begin() as conn:
        ids = [row[0] for row in await conn.execute(text("SELECT id FROM events ORDER BY id"))]
        await conn.execute(
            text("UPDATE events SET details = :d WHERE id = :id"),
            {"d": '{"number": "WB-999", "fee": 1200.5, "名": "維修"}', "id": ids[2]},
        )
        await conn.execute(text("DELETE FROM events WHERE id = :id"), {"id": ids[6]})
        # An event slipped in, dated as if recorded earlier, with no seal.
        await conn.execute(
            text(
                "INSERT INTO events (kind, details, created_at) "
                "VALUES ('contract.ended', '{}', :at)"
            ),
            {"at": T0 if engine.dialect.name != "sqlite" else "2026-11-23 02:00:00.000000"},
        )
    found = [str(f) for f in (await verify_desk(uow, now)).findings]
    assert found == [
        f"event {ids[2]}: changed after it was recorded (or its seal was)",
        f"event {ids[6]}: deleted after it was recorded",
        "1 events: not in the chain: written behind the bot's back, or the bot was stopped "
        "before it sealed them (start it for a minute, then verify again)",
    ]


async def test_two_sealers_at_once_never_fork_the_chain(
    engine: AsyncEngine, uow: UnitOfWorkFactory
) -> None:
    """On PostgreSQL the second reads the chain before the first commits, numbers its seals
    the same, and its insert fails (seal_events leaves the sealing to the other); SQLite
    takes the write lock at BEGIN, so the second waits and finds nothing left to seal."""
    await _record(uow, 4)
    first, second = uow(), uow()
    async with first, second:
        assert await first.audit.seal_pending() == 4  # not committed yet
        racing = asyncio.create_task(second.audit.seal_pending())
        await asyncio.sleep(0.3)
        await first.commit()
        if engine.dialect.name == "sqlite":
            assert await racing == 0
        else:
            with pytest.raises(IntegrityError):
                await racing
    assert await seal_events(uow) == 0
    result = await verify_desk(uow, T0 + timedelta(days=1))
    assert (result.events, result.findings) == (4, [])


async def test_the_sweeps_light_look_seals_what_came_since(uow: UnitOfWorkFactory) -> None:
    """The sweep looks above the last sealed event only (less a margin for late commits)
    and seals the same as the full look would."""
    assert await seal_events(uow, recent_only=True) == 0  # an empty log
    await _record(uow, 3)
    assert await seal_events(uow, recent_only=True) == 3  # nothing sealed yet: everything
    await _record(uow, 2, start=3)
    assert await seal_events(uow, recent_only=True) == 2
    result = await verify_desk(uow, T0 + timedelta(days=1))
    assert (result.events, result.findings) == (5, [])
