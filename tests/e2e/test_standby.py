"""Two ``aftercare run`` processes on one PostgreSQL database: the first is active, the
second stands by (its /healthz says so) and takes over when the first is killed with
SIGKILL in the middle of customers' requests. Every request is registered once and
every customer told once; the standby's /healthz then says ok."""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from sandbox.people import Someone
from tests.e2e.remote import (
    Remote,
    fresh_database,
    read_rows,
    running_desk,
    second_process,
    telegram,
    until,
    web_says,
    web_status,
)

CUSTOMERS = 12
WINDOW = 6  # seconds before a kill in which a reply Telegram took may be sent again
PATIENCE = 90.0


@pytest.mark.postgres
async def test_the_standby_takes_over_when_the_active_process_is_killed(tmp_path: Path) -> None:
    async with fresh_database("postgres", tmp_path) as url, telegram() as tg:
        async with running_desk(tmp_path, tg, mode="polling", database_url=url) as active:
            await until(lambda: web_says(active, "ok"))
            standby = await second_process(active, "standby")
            await until(lambda: web_says(standby, "standby"))
            people = [
                Remote(tg, Someone(4100 + n, f"S{n}", "en"), patience=PATIENCE)
                for n in range(CUSTOMERS)
            ]
            for person in people:
                await person.post("/ask")
            for person in people:
                await person.answered_after(0, PATIENCE)
            killed_at = 0.0

            async def kill_midway() -> None:
                nonlocal killed_at
                await asyncio.sleep(0.8)  # some questions are registered, some are not yet
                killed_at = time.time()
                await active.stop(signal.SIGKILL)

            killing = asyncio.create_task(kill_midway())
            for n, person in enumerate(people):
                await person.post(f"Question {n}: is the compressor covered?")
                await asyncio.sleep(0.15)
            await killing
            for person in people:
                await person.wait_for("is registered", PATIENCE)
            status, health = await web_status(standby)
            assert (status, health["status"]) == (200, "ok"), health
            log = standby.log.read_text(encoding="utf-8")
            assert "standing by" in log and "taking over the desk" in log
            active.process = standby.process  # the desk's process now: stopped cleanly
            active.log = standby.log
        rows = await read_rows(
            url, "SELECT description, created_at FROM tickets WHERE kind = 'consultation'"
        )
    # Some were registered by the active process, the others by the standby after it.
    before = [d for d, created in rows if created.timestamp() < killed_at]
    assert 0 < len(before) < CUSTOMERS, (before, killed_at)
    assert sorted(d for d, _ in rows) == sorted(
        f"Question {n}: is the compressor covered?" for n in range(CUSTOMERS)
    )
    for person in people:
        confirmations = [m for m in person.messages if "is registered" in m.text]
        texts = Counter(m.text for m in confirmations)
        assert len(texts) == 1, texts
        if len(confirmations) > 1:  # Telegram took it as the active one died: sent again
            assert len(confirmations) == 2
            assert 0 <= killed_at - confirmations[0].date <= WINDOW


@pytest.mark.postgres
async def test_a_frozen_active_process_is_replaced_and_stops_when_it_wakes(tmp_path: Path) -> None:
    """SIGSTOP: the process keeps its connections open but says nothing (a hung machine).
    The standby ends its session after SILENT_AFTER and takes over; woken, the old one
    finds its lock gone and stops with exit code 1 instead of taking updates too."""
    async with fresh_database("postgres", tmp_path) as url, telegram() as tg:
        async with running_desk(tmp_path, tg, mode="polling", database_url=url) as active:
            await until(lambda: web_says(active, "ok"))
            standby = await second_process(active, "standby")
            await until(lambda: web_says(standby, "standby"))
            assert active.process is not None
            active.process.send_signal(signal.SIGSTOP)
            amy = Remote(tg, Someone(4200, "Amy", "en"), patience=PATIENCE)
            await amy.post("/ask")
            await amy.answered_after(0, PATIENCE)  # answered by the standby, taken over
            await amy.post("Is the filter covered?")
            await amy.wait_for("is registered", PATIENCE)
            active.process.send_signal(signal.SIGCONT)
            assert await asyncio.wait_for(active.process.wait(), 60) == 1
            assert "lost the desk's lock" in active.log.read_text(encoding="utf-8")
            log = standby.log.read_text(encoding="utf-8")
            assert "has been silent for 20s: ending it" in log and "taking over the desk" in log
            active.process, active.log = standby.process, standby.log
        rows = await read_rows(url, "SELECT description FROM tickets WHERE kind = 'consultation'")
    assert rows == [("Is the filter covered?",)]
