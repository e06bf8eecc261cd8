"""The outbox: written in the transaction, delivered once, through failures."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.outbox import DeliverySteps
from bot.pacing import ChatPacer
from dispatch.clock import ManualClock
from dispatch.messages import N_, At, Button, Msg, Outgoing
from dispatch.model import Language
from sandbox.botapi import BotApiCore, NetworkFailure
from storage.db import make_sessionmaker
from storage.models import OutboxRow, UserRow
from storage.uow import UnitOfWorkFactory
from tests.conftest import MANAGER_ID
from tests.harness import Desk, Person, moment_label

HELLO = N_(
    "Welcome back, {name}. You are registered as a technician. Send /help to see what you can do."
)


async def _queue(desk: Desk, person: Person, *messages: Outgoing) -> None:
    async with desk.services.uow() as uow:
        for message in messages:
            await uow.outbox.add(message, at=desk.clock.now())
        await uow.commit()


async def _user_id(desk: Desk, person: Person) -> int:
    async with desk.services.uow() as uow:
        user = await uow.users.by_telegram_id(person.id)
    assert user is not None
    return user.id


async def _rows(desk: Desk) -> list[OutboxRow]:
    """The notifications a test queued (not the replies the bot made to /start)."""
    async with desk.db() as session:
        return list(
            await session.scalars(
                select(OutboxRow).where(OutboxRow.kind != "call").order_by(OutboxRow.id)
            )
        )


def _sends(api: BotApiCore, chat_id: int) -> int:
    return sum(
        1
        for method, params in api.calls
        if method == "sendMessage" and params["chat_id"] == chat_id
    )


async def test_a_row_is_delivered_exactly_once_after_retry_after_then_a_network_error(
    desk: Desk,
) -> None:
    manager = desk.person(MANAGER_ID, "Boss", language_code="zh-tw")
    await manager.command("start")
    before = len(manager.texts)
    desk.api.fail_next(
        "sendMessage", BotApiCore.too_many_requests(3), NetworkFailure("connection reset")
    )
    await _queue(
        desk,
        manager,
        Outgoing(user_id=await _user_id(desk, manager), text=HELLO, params={"name": "Boss"}),
    )

    assert await desk.deliver() == 0  # 429: the chat pauses for 3 s
    await desk.advance(timedelta(seconds=2))
    assert len(manager.texts) == before
    await desk.advance(timedelta(seconds=1))  # retried: the network fails; backoff 4 s
    assert len(manager.texts) == before
    await desk.advance(timedelta(seconds=3))
    assert len(manager.texts) == before
    await desk.advance(timedelta(seconds=1))  # third attempt goes through
    await desk.advance(timedelta(minutes=10))
    assert manager.texts[before:] == ["歡迎回來，Boss。您已登記為技師。傳送 /help 查看可用功能。"]
    [row] = await _rows(desk)
    assert row.sent_at is not None and row.attempts == 3 and row.dead_at is None
    assert row.telegram_message_id == manager.last.message_id


async def test_a_blocked_user_is_marked_unreachable_and_not_tried_again(desk: Desk) -> None:
    customer = desk.person(301, "Lan")
    await customer.command("start")
    user_id = await _user_id(desk, customer)
    desk.api.blocked.add(customer.id)
    await _queue(
        desk,
        customer,
        Outgoing(user_id=user_id, text=HELLO, params={"name": "Lan"}),
        Outgoing(user_id=user_id, text=HELLO, params={"name": "Lan"}),
    )
    calls = _sends(desk.api, customer.id)
    await desk.deliver()
    assert _sends(desk.api, customer.id) == calls + 1  # one 403, then no more attempts
    await _queue(desk, customer, Outgoing(user_id=user_id, text=HELLO, params={"name": "Lan"}))
    await desk.advance(timedelta(hours=1))
    assert _sends(desk.api, customer.id) == calls + 1
    rows = await _rows(desk)
    assert all(r.dead_at is not None and r.sent_at is None for r in rows)
    async with desk.db() as session:
        user = await session.get(UserRow, user_id)
        assert user is not None and user.unreachable_at is not None

    # Coming back (unblocking and writing) makes them reachable again, and tells them
    # how much they missed and where their requests stand.
    desk.api.blocked.discard(customer.id)
    await customer.command("start")
    assert customer.last.text == (
        "Welcome back. Messages that could not reach you while the bot was blocked: 3. "
        "Where your requests stand now:\nNo request of yours is open.\n"
        "Send /mytickets for the details."
    )
    await customer.command("start")  # told once
    assert not customer.last.text.startswith("Welcome back.")
    async with desk.db() as session:
        user = await session.get(UserRow, user_id)
        assert user is not None and user.unreachable_at is None


async def test_messages_to_one_user_keep_their_order_through_a_failure(desk: Desk) -> None:
    customer = desk.person(302, "Min")
    await customer.command("start")
    before = len(customer.texts)
    user_id = await _user_id(desk, customer)
    desk.api.fail_next("sendMessage", NetworkFailure("timeout"))
    await _queue(
        desk,
        customer,
        Outgoing(user_id=user_id, text=HELLO, params={"name": "first"}),
        Outgoing(user_id=user_id, text=HELLO, params={"name": "second"}),
    )
    await desk.deliver()
    assert len(customer.texts) == before  # the second waits behind the first
    await desk.advance(timedelta(seconds=2))
    assert [t.split(",")[0] for t in customer.texts[before:]] == [
        "Welcome back",
        "Welcome back",
    ]
    assert ["first" in customer.texts[before], "second" in customer.texts[before + 1]] == [
        True,
        True,
    ]


async def test_rendering_uses_the_recipients_language_times_and_buttons(desk: Desk) -> None:
    customer = desk.person(303, "Ning", language_code="zh-hans")
    await customer.command("start")
    user_id = await _user_id(desk, customer)
    due = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    await _queue(
        desk,
        customer,
        Outgoing(
            user_id=user_id,
            text=N_(
                "Invite link for a technician. It works once and expires on {expires}. Forward it to the person you are inviting:\n{link}"
            ),
            params={"expires": At(due), "link": Msg("Done")},
            buttons=((Button(N_("Done"), data="x:1"),),),
        ),
    )
    await desk.deliver()
    assert (
        customer.last.text
        == f"技师邀请链接，仅可使用一次，有效期至 {moment_label(Language.ZH_HANS, '2026-11-23 10:00')}。请转发给受邀人：\n完成"
    )
    assert customer.last.inline_buttons == [{"text": "完成", "callback_data": "x:1"}]


async def test_the_same_dedup_key_is_queued_once(desk: Desk) -> None:
    customer = desk.person(304, "Ou")
    await customer.command("start")
    user_id = await _user_id(desk, customer)
    message = Outgoing(user_id=user_id, text=HELLO, params={"name": "Ou"}, dedup_key="ping:1")
    await _queue(desk, customer, message)
    await _queue(desk, customer, message)
    assert len(await _rows(desk)) == 1


async def test_two_senders_never_send_the_same_row(
    engine: AsyncEngine, uow: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """On both databases: concurrent claims of one row, exactly one wins."""
    from dispatch.users import register_user

    reg = await register_user(
        uow(),
        clock,
        telegram_id=55,
        display_name="P",
        username=None,
        telegram_language="en",
        manager_ids=(),
    )
    async with uow() as u:
        await u.outbox.add(
            Outgoing(user_id=reg.user.id, text=HELLO, params={"name": "P"}), at=clock.now()
        )
        await u.commit()
    store = DeliverySteps(uow)
    [pending] = await store.due(clock.now())
    results = await asyncio.gather(
        *(store.claim(pending.id, clock.now(), timedelta(minutes=2)) for _ in range(8))
    )
    assert sorted(results) == [False] * 7 + [True]
    assert await store.due(clock.now()) == []  # claimed rows are not due
    async with make_sessionmaker(engine)() as session:
        attempts = await session.scalar(select(func.sum(OutboxRow.attempts)))
    assert attempts == 1


def test_the_chat_pacer_allows_a_burst_then_one_a_second() -> None:
    now = [0.0]
    pacer = ChatPacer(burst=3, per_second=1.0, monotonic=lambda: now[0])
    assert [pacer.take(1) for _ in range(4)] == [True, True, True, False]
    assert pacer.take(2)  # other chats are not held back
    now[0] += 1.0
    assert pacer.take(1) and not pacer.take(1)
    pacer.pause(1, 5)
    now[0] += 4.9
    assert not pacer.take(1)
    now[0] += 0.2
    assert pacer.take(1)


async def test_a_message_telegram_refuses_is_given_up_not_retried(desk: Desk) -> None:
    """PTB's BadRequest is a NetworkError subclass; it must not be retried like one."""
    from sandbox.botapi import ApiError

    customer = desk.person(305, "Pu")
    await customer.command("start")
    desk.api.fail_next("sendMessage", ApiError(400, "Bad Request: can't parse entities"))
    await _queue(
        desk,
        customer,
        Outgoing(user_id=await _user_id(desk, customer), text=HELLO, params={"name": "Pu"}),
    )
    calls = _sends(desk.api, customer.id)
    await desk.advance(timedelta(hours=1))
    assert _sends(desk.api, customer.id) == calls + 1  # tried once, then given up
    [row] = await _rows(desk)
    assert (
        row.dead_at is not None
        and row.attempts == 1
        and "can't parse entities" in (row.last_error or "").lower()  # PTB changes the case
    )
