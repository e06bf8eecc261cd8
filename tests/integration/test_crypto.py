"""Encrypted columns on each database: what SQL reads is not what was written, what the
desk reads is; a phone is found by its HMAC; plain values from before are read as they
are; without the key, the error says what to set."""

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
