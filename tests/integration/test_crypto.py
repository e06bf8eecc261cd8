"""Encrypted columns on each database: what SQL reads is not what was written, what the
desk reads is; a phone is found by its HMAC; plain values from before are read as they
are; without the key, the error says what to set. And closed tickets' personal data
removed after the retention period."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from dispatch.clock import ManualClock
from dispatch.users import register_user
from storage.crypto import KeyRing, MissingKeys, configure
from storage.uow import UnitOfWorkFactory

LOOKUP = "a-lookup-key-of-at-least-32-characters"


async def _customer(uow: UnitOfWorkFactory, telegram_id: int, name: str, phone: str) -> int:
    clock = ManualClock(datetime(2026, 11, 22, 2, 0, tzinfo=UTC))
    registered = await register_user(
        uow(),
        clock,
        telegram_id=telegram_id,
        display_name=name,
        username=None,
        telegram_language="zh-hans",
        manager_ids=(),
    )
    async with uow() as work:
        user = await work.users.get(registered.user.id)
        assert user is not None
        user.phone = phone
        await work.users.save(user)
        await work.commit()
    return registered.user.id


async def test_encrypted_on_disk_read_as_written_and_found_by_phone(
    engine: AsyncEngine, uow: UnitOfWorkFactory
) -> None:
    plain = await _customer(uow, 7001, "王芳", "+8613800001111")  # before any key was set
    configure(KeyRing([Fernet.generate_key().decode()], LOOKUP))
    hidden = await _customer(uow, 7002, "李雷", "+8613800002222")
    async with engine.connect() as conn:
        rows = await conn.execute(text("SELECT id, display_name || phone FROM users"))
        stored: dict[int, str] = {int(row[0]): str(row[1]) for row in rows}
    assert stored[plain] == "王芳+8613800001111"
    assert "李雷" not in stored[hidden] and "2222" not in stored[hidden]
    async with uow() as work:
        found = await work.users.by_phone("+8613800002222")
        old = await work.users.get(plain)
    assert found is not None and (found.id, found.display_name) == (hidden, "李雷")
    assert old is not None and old.display_name == "王芳"  # plain, as it was written
    configure(None)
    with pytest.raises(MissingKeys, match=r"set \[privacy\] keys and lookup_key"):
        async with uow() as work:
            await work.users.get(hidden)


async def test_closed_tickets_lose_personal_data_after_the_retention_period(
    engine: AsyncEngine, uow: UnitOfWorkFactory
) -> None:
    """Closed three years ago: description, address, phone and location go, the figures
    stay; a ticket closed later, or still open, keeps them; each is done once."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from dispatch.model import TicketKind
    from dispatch.privacy import anonymise_closed
    from dispatch.tickets import create_ticket

    clock = ManualClock(datetime(2023, 1, 10, 2, 0, tzinfo=UTC))
    customer = await _customer(uow, 7003, "陳美玲", "+85291234567")
    fields = {"description": "漏水", "address": "九龍 1 號", "contact_phone": "+85291234567"}
    made = [
        await create_ticket(
            uow(),
            clock,
            ZoneInfo("Asia/Hong_Kong"),
            customer_id=customer,
            kind=TicketKind.REPAIR,
            fields=fields,
        )
        for _ in range(3)
    ]
    async with engine.begin() as conn:  # the first two closed then; the third still open
        await conn.execute(
            text("UPDATE tickets SET status = 'closed' WHERE id IN (:a, :b)"),
            {"a": made[0].id, "b": made[1].id},
        )
    clock.set(datetime(2026, 1, 11, 2, 0, tzinfo=UTC))
    assert await anonymise_closed(uow(), clock, timedelta(days=1095)) == 2
    assert await anonymise_closed(uow(), clock, timedelta(days=1095)) == 0
    async with uow() as work:
        after = [await work.tickets.get(t.id) for t in made]
    assert [(t.description, t.address, t.contact_phone) for t in after if t] == [
        ("", None, None),
        ("", None, None),
        ("漏水", "九龍 1 號", "+85291234567"),
    ]
    assert [t.kind for t in after if t] == [TicketKind.REPAIR] * 3


async def test_encrypted_json_columns_on_each_database(
    engine: AsyncEngine, uow: UnitOfWorkFactory
) -> None:
    """The outbox's parameters (JSONB on PostgreSQL) hold a token, and read back whole."""
    from dispatch.messages import Outgoing, Param

    configure(KeyRing([Fernet.generate_key().decode()], LOOKUP))
    customer = await _customer(uow, 7004, "李雷", "+8613800004444")
    params: dict[str, Param] = {"address": "人民大道 200 号", "phone": "+8613800004444", "n": 3}
    async with uow() as work:
        await work.outbox.add(
            Outgoing(user_id=customer, text="Address: {address}", params=params),
            at=datetime(2026, 11, 22, 2, 0, tzinfo=UTC),
        )
        await work.commit()
    async with engine.connect() as conn:
        raw = str((await conn.execute(text("SELECT params FROM outbox"))).scalar_one())
    assert "_enc1" in raw and "4444" not in raw and "人民" not in raw
    async with uow() as work:
        [message] = await work.delivery.due(datetime(2026, 11, 22, 3, 0, tzinfo=UTC))
    assert message.params == params


async def test_keys_rotate_on_each_database(engine: AsyncEngine, uow: UnitOfWorkFactory) -> None:
    """Plain values from before the keys and values under the old key are all written
    with the new one; the old key can then go."""
    from dispatch.messages import Outgoing
    from storage.rotation import rotate_keys

    plain = await _customer(uow, 7005, "王芳", "+8613800005555")
    old = Fernet.generate_key().decode()
    configure(KeyRing([old], LOOKUP))
    hidden = await _customer(uow, 7006, "李雷", "+8613800006666")
    async with uow() as work:
        await work.outbox.add(
            Outgoing(user_id=hidden, text="{x}", params={"x": "人民大道"}),
            at=datetime(2026, 11, 22, 2, 0, tzinfo=UTC),
        )
        await work.commit()
    new = Fernet.generate_key().decode()
    configure(KeyRing([new, old], LOOKUP))
    written = await rotate_keys(engine)
    assert written["users"] == 2 and written["outbox"] == 1
    configure(KeyRing([new], LOOKUP))  # the old key dropped
    async with uow() as work:
        first, second = await work.users.get(plain), await work.users.get(hidden)
        found = await work.users.by_phone("+8613800005555")  # its lookup written too
        [message] = await work.delivery.due(datetime(2026, 11, 22, 3, 0, tzinfo=UTC))
    assert first is not None and second is not None and found is not None
    assert (first.display_name, second.display_name, found.id) == ("王芳", "李雷", plain)
    assert message.params == {"x": "人民大道"}
    async with engine.connect() as conn:
        rows = await conn.execute(text("SELECT display_name FROM users"))
        assert all(str(name).startswith("enc1:") for (name,) in rows)
