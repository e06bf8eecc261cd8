"""A day of traffic with a fifth of all Bot API calls failing: nothing is lost.

The faults are Telegram's and the network's: 429 with retry_after, a 500, a connection
reset before the call, and one after the call took effect, whose answer is lost. The
last kind is the one the bot cannot tell from the others, so the message is sent again:
those doubles, and only those, are allowed (see docs/operations.md).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from dispatch.clock import ManualClock
from dispatch.model import Language
from sandbox.botapi import BotApiCore, Faults
from storage.models import InboxRow, OutboxRow, TicketRow
from tests.conftest import MANAGER_ID
from tests.databases import sqlite_database
from tests.handlers.test_dispatch import technician
from tests.harness import Desk, Person, day_label, doubles_of, make_settings

CUSTOMERS = 8


async def _day(directory: Path, faults: Faults | None) -> tuple[Desk, dict[int, list[str]]]:
    directory.mkdir()
    url = await sqlite_database(directory)
    clock = ManualClock(datetime(2026, 11, 23, 0, 30, tzinfo=UTC))  # Monday 08:30 in Shanghai
    api = BotApiCore(now=lambda: clock.now().timestamp())
    desk = await Desk.open(make_settings(url, managers=(MANAGER_ID,)), clock, api)
    manager = desk.person(MANAGER_ID, "Boss")
    await manager.command("start")
    techs = [await technician(desk, 651 + n, f"Tech {n}", 0.002 * (n + 1)) for n in range(3)]
    api.faults = faults  # the day begins
    schedule = random.Random(7)
    customers = [desk.person(560 + n, f"C{n}") for n in range(CUSTOMERS)]

    async def step(person: Person, action: str, *args: object, **kwargs: object) -> None:
        await desk.catch_up()  # a person acts on what reached them
        await getattr(person, action)(*args, **kwargs)

    for customer in customers:
        await desk.catch_up()
        desk.clock.advance(timedelta(minutes=schedule.randint(20, 70)))
        await step(customer, "command", "repair")
        await step(customer, "press", "Air conditioner")
        await step(customer, "send", "KFR-35GW/BP3")
        await step(customer, "send", "2026-03-01")
        await step(customer, "send", "It blows warm air and shows E4.")
        await step(customer, "press", "No photos, continue")
        await step(customer, "share_location", 31.2304, 121.4737)
        await step(customer, "send", "Building 3, room 1201")
        await step(customer, "send", "138 0013 8000")
        await step(customer, "press", day_label(Language.EN, "2026-11-24"))
        await step(customer, "press", "Morning (9:00-12:00)")
        for tech in techs:  # on duty all day: the live location is shared afresh
            await step(tech, "share_location", 31.23, 121.47, accuracy=15, live_period=3600)
        await step(customer, "press", "✅ Confirm and send")
        await desk.catch_up()
        [offered] = [
            t for t in techs if any(b["text"] == "✅ Accept" for b in t.last.inline_buttons)
        ]
        await step(offered, "press", "✅ Accept")
        await step(customer, "command", "mytickets")
    await desk.catch_up()
    transcripts = {p.id: [m.text or m.kind for m in p.messages] for p in desk.people.values()}
    return desk, transcripts


async def test_a_day_with_a_fifth_of_all_calls_failing_loses_nothing(tmp_path: Path) -> None:
    calm, expected = await _day(tmp_path / "calm", None)
    await calm.close()
    faults = Faults(rate=0.2, seed=11)
    stormy, got = await _day(tmp_path / "stormy", faults)
    try:
        assert min(faults.drawn[kind] for kind in Faults.KINDS) >= 5, faults.drawn
        for person_id, texts in expected.items():
            doubles = doubles_of(got[person_id], texts)
            assert doubles is not None, person_id  # every reply and notification, in order
            # A message twice only where Telegram carried out a call whose answer was lost.
            assert doubles <= stormy.api.lost_answers[person_id], person_id
        async with stormy.db() as session:
            for model, where in (
                (OutboxRow, OutboxRow.sent_at.is_(None)),
                (InboxRow, InboxRow.done_at.is_(None)),
            ):
                assert (
                    await session.scalar(select(func.count()).select_from(model).where(where)) == 0
                )
            assert await session.scalar(select(func.count()).select_from(TicketRow)) == CUSTOMERS
    finally:
        await stormy.close()
