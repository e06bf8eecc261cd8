"""The inbox table on SQLite and PostgreSQL: duplicates, done marks, replay order, pruning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.inbox import InboxSteps
from dispatch.model import Role
from storage.db import make_sessionmaker
from storage.models import InboxRow, OutboxRow
from storage.uow import UnitOfWorkFactory

T0 = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


async def test_an_update_is_stored_once_replayed_in_order_and_pruned_when_old(
    engine: AsyncEngine,
) -> None:
    sessions = make_sessionmaker(engine)
    uow = UnitOfWorkFactory(sessions)
    inbox = InboxSteps(uow)
    assert await inbox.store(7, 401, {"update_id": 7}, T0)
    assert not await inbox.store(7, 401, {"update_id": 7}, T0)  # Telegram sent it twice
    assert await inbox.store(5, 402, {"update_id": 5}, T0)
    assert await inbox.store(9, 401, {"update_id": 9}, T0 + timedelta(days=40))
    assert [u.update_id for u in await inbox.unfinished(received_before=T0)] == [5, 7]

    async with uow() as u:
        await u.inbox.mark_done(7, T0, lambda: (401, {}))
        await u.inbox.mark_done(8, T0, lambda: (403, {"update_id": 8}))  # never stored
        await u.commit()
    await inbox.attempt(5)
    await inbox.give_up(5, T0, "tried 5 times")
    later = T0 + timedelta(days=40)
    assert [u.update_id for u in await inbox.unfinished(received_before=later)] == [9]

    assert await inbox.prune(T0 + timedelta(days=30)) == 3  # 7 and 8 done, 5 given up
    async with sessions() as session:
        left = [(r.update_id, r.done_at) for r in await session.scalars(select(InboxRow))]
    assert left == [(9, None)]  # unfinished updates are never pruned


async def test_a_polling_batch_is_kept_in_one_statement_and_its_duplicates_told_apart(
    engine: AsyncEngine,
) -> None:
    inbox = InboxSteps(UnitOfWorkFactory(make_sessionmaker(engine)))
    assert await inbox.store_many([(11, 401, {"update_id": 11})], T0) == {11}
    batch = [(10, 402, {"update_id": 10}), (11, 401, {"update_id": 11}), (12, None, {})]
    assert await inbox.store_many(batch, T0) == {10, 12}  # 11 was kept before
    assert await inbox.store_many([], T0) == set()
    stored = await inbox.unfinished(received_before=T0)
    assert [(u.update_id, u.chat_id, u.payload) for u in stored] == [
        (10, 402, {"update_id": 10}),
        (11, 401, {"update_id": 11}),
        (12, None, {}),
    ]


async def test_an_updates_replies_are_written_in_one_go_and_their_ids_follow_their_order(
    engine: AsyncEngine,
) -> None:
    uow = UnitOfWorkFactory(make_sessionmaker(engine))
    async with uow() as u:
        user = await u.users.add(
            telegram_id=88,
            role=Role.CUSTOMER,
            display_name="Amy",
            username=None,
            telegram_language="en",
            at=T0,
        )
        await u.commit()
    methods = ["answerCallbackQuery", "editMessageReplyMarkup", "sendMessage", "sendLocation"]
    replies: list[dict[str, Any]] = [
        {
            "user_id": user.id,
            "kind": "call",
            "template": method,
            "params": {"api": {"n": n}},
            "buttons": [],
            "created_at": T0,
            "next_attempt_at": T0,
            "attempts": 1,
            "claimed_until": T0,
            "ref": None,
        }
        for n, method in enumerate(methods)
    ]
    async with uow() as u:
        ids = await u.inbox.release_outbox(1, wrote_outbox=False, replies=replies)
        await u.commit()
    assert ids == sorted(ids) and len(set(ids)) == 4
    async with make_sessionmaker(engine)() as session:
        rows = {r.id: r for r in await session.scalars(select(OutboxRow))}
    assert [(rows[i].template, rows[i].params) for i in ids] == [
        (method, {"api": {"n": n}}) for n, method in enumerate(methods)
    ]
