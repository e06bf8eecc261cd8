"""Personal data encrypted at rest: with keys set, the database file holds no customer's
phone number, address or name after real intakes (a finished one and a draft), while
the desk reads them as before; keys rotate without losing a value."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from cryptography.fernet import Fernet

from bot.config import Settings
from dispatch.clock import ManualClock
from sandbox.botapi import BotApiCore
from storage.crypto import configure
from storage.db import make_engine
from storage.rotation import rotate_keys
from tests.conftest import MANAGER_ID
from tests.databases import sqlite_database
from tests.handlers.test_dispatch import technician
from tests.handlers.test_intake import repair_until_review
from tests.harness import Desk, make_settings

LOOKUP = "a-lookup-key-of-at-least-32-characters"
# What the two customers below type or are called.
SECRETS = (
    "13800138000",
    "13912345678",
    "Building 3",
    "Century Avenue",
    "Zhang",
    "Qiao",
    "shows E4",  # what they describe
)


def _keyed(url: str, *keys: str) -> Settings:
    listed = ", ".join(f'"{key}"' for key in keys)
    replace = {"keys = []": f"keys = [{listed}]", 'lookup_key = ""': f'lookup_key = "{LOOKUP}"'}
    return make_settings(url, managers=(MANAGER_ID,), replace=replace if keys else None)


def _raw_bytes(url: str) -> bytes:
    """The database file as a thief would copy it (with its write-ahead log, if any)."""
    database = Path(url.split("///", 1)[1])
    return b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))


def _telegram() -> tuple[ManualClock, BotApiCore]:
    clock = ManualClock(datetime(2026, 11, 22, 2, 0, tzinfo=UTC))
    return clock, BotApiCore(now=lambda: clock.now().timestamp())


async def _two_customers(settings: Settings, clock: ManualClock, api: BotApiCore) -> None:
    """A repair sent (offered to a technician), another left as a draft after the phone."""
    desk = await Desk.open(settings, clock, api)
    try:
        await desk.person(MANAGER_ID, "Boss").command("start")
        tech = await technician(desk, 811, "Tom Li", 0.001)
        amy = desk.person(401, "Amy", last_name="Zhang", username="amyzhang")
        await repair_until_review(amy)
        await amy.press("✅ Confirm and send")
        assert "Building 3, room 1201" in tech.last.text  # the desk reads what it keeps
        qiao = desk.person(402, "Qiao", last_name="Lin")
        await qiao.command("repair")
        await qiao.press("Air conditioner")
        await qiao.send("KFR-35GW/BP3")
        await qiao.send("2026-03-01")
        await qiao.send("It blows warm air and shows E4.")
        await qiao.press("No photos, continue")
        await qiao.share_location(31.2304, 121.4737)
        await qiao.send("88 Century Avenue, room 1201")
        await qiao.send("139 1234 5678")  # and stops here: a draft in the persistence
        async with desk.services.uow() as uow:
            found = await uow.users.by_phone("+8613800138000")
        assert found is not None and found.display_name == "Amy Zhang"
    finally:
        await desk.close()


async def test_without_keys_the_file_holds_what_customers_typed(tmp_path: Path) -> None:
    """The control: what the test below looks for is there when nothing is encrypted."""
    url = await sqlite_database(tmp_path)
    await _two_customers(_keyed(url), *_telegram())
    raw = _raw_bytes(url)
    assert [s for s in SECRETS if s.encode() in raw] == list(SECRETS)


async def test_with_keys_the_file_holds_no_phone_address_or_name(tmp_path: Path) -> None:
    url = await sqlite_database(tmp_path)
    first = Fernet.generate_key().decode()
    clock, api = _telegram()
    await _two_customers(_keyed(url, first), clock, api)
    raw = _raw_bytes(url)
    assert [s for s in SECRETS if s.encode() in raw] == []

    # A new key first, the old one kept to read: rotate, and the old key can go.
    second = Fernet.generate_key().decode()
    configure(_keyed(url, second, first).privacy.key_ring())
    engine = make_engine(url)
    try:
        written = await rotate_keys(engine)
    finally:
        await engine.dispose()
    assert written["users"] == 4 and written["tickets"] == 1 and written["inbox"] > 20
    desk = await Desk.open(_keyed(url, second), clock, api)  # restarted with the new key
    try:
        amy = desk.person(401, "Amy", last_name="Zhang", username="amyzhang")
        await amy.command("mytickets")
        await amy.press("R-20261122-0001 · Repair · Finding a technician")
        assert amy.last.text.startswith("R-20261122-0001 · Repair · Finding a technician")
        qiao = desk.person(402, "Qiao", last_name="Lin")
        await qiao.command("repair")  # her draft, read with the new key alone
        assert "▶️ Continue" in [b["text"] for b in qiao.last.inline_buttons]
        await qiao.press("▶️ Continue")
        assert qiao.last.text == "Which day suits you best for the visit?"  # where she was
        await qiao.press(qiao.last.inline_buttons[0]["text"])
        await qiao.press("Evening (18:00-21:00)")
        review = qiao.last.text
        assert "88 Century Avenue, room 1201" in review and "Phone: +8613912345678" in review
        async with desk.services.uow() as uow:
            amy_user = await uow.users.by_phone("+8613800138000")
            ticket = await uow.tickets.get(1)
        assert amy_user is not None and amy_user.display_name == "Amy Zhang"
        assert ticket is not None and ticket.address == "Building 3, room 1201"
        assert ticket.contact_phone == "+8613800138000"
    finally:
        await desk.close()
    raw = _raw_bytes(url)
    assert [s for s in SECRETS if s.encode() in raw] == []
