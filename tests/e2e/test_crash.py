"""The real bot process killed with SIGKILL at random moments while customers register
100 questions over HTTP, and started again each time, on SQLite in polling mode and on
PostgreSQL in webhook mode, with a share of Telegram's calls failing: no ticket a customer was shown is lost, none is
doubled, every input gets its answer, and every outbox row goes out once (a second copy
only where Telegram carried out a call whose answer was lost on the way back)."""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from sandbox.botapi import BotApiCore, Faults
from sandbox.people import Someone
from tests.e2e.remote import Remote, fresh_database, read_rows, running_desk, telegram

CUSTOMERS = 50
QUESTIONS_EACH = 2  # 100 intakes, fifty at a time
ANSWER_WAIT = 120.0
WINDOW = 6  # seconds from a send to a kill that may leave it unnoted (dates are whole seconds)  # seconds: a kill and a restart may come between an input and its answer


async def _ask(person: Remote, number: int, shown: list[str]) -> None:
    """One intake: /ask, then the question; each input waits for its own answer, and
    the second's is the confirmation with the ticket's number."""
    before = len(person.messages)
    await person.post("/ask")
    await person.answered_after(before, ANSWER_WAIT)
    before = len(person.messages)
    await person.post(f"Question {number} from {person.someone.first_name}: is it covered?")
    confirmation = await person.answered_after(
        before, ANSWER_WAIT, holding="is registered", besides=shown
    )
    shown.append(confirmation.text)


# Each database and each mode once (about 100 s each): the other two pairings run
# uninterrupted in tests/e2e/test_flows.py, and the suite stays well under ten minutes.
@pytest.mark.parametrize(
    ("kind", "mode"),
    [("sqlite", "polling"), pytest.param("postgres", "webhook", marks=pytest.mark.postgres)],
)
async def test_killed_at_random_during_100_intakes_nothing_is_lost_or_doubled(
    tmp_path: Path, kind: str, mode: str
) -> None:
    core = BotApiCore(flood_limits=True)
    core.faults = Faults(0.05, seed=7, methods=frozenset({"sendMessage"}))
    chaos = random.Random(11)
    kills = 0
    kill_times: list[float] = []  # the wall clock at each kill, as Telegram dates messages
    last_start = 0  # how many calls Telegram had had when the desk was last started
    async with fresh_database(kind, tmp_path) as url, telegram(core) as tg:
        async with running_desk(tmp_path, tg, mode=mode, database_url=url) as bot:
            people = [
                Remote(tg, Someone(4000 + n, f"C{n}", "en"), patience=ANSWER_WAIT)
                for n in range(CUSTOMERS)
            ]
            shown: list[str] = []

            async def customer(person: Remote) -> None:
                for k in range(QUESTIONS_EACH):
                    await _ask(person, k, shown)

            done = asyncio.Event()

            serving = "getUpdates" if mode == "polling" else "setWebhook"

            async def until_serving(since: int, *, unless: asyncio.Event | None = None) -> None:
                """Until the desk started after call ``since`` asks for updates (polling)
                or has set its webhook (or ``unless`` is set)."""
                while not any(method == serving for method, _ in core.calls[since:]):
                    if unless is not None and unless.is_set():
                        return
                    await asyncio.sleep(0.05)

            async def killer() -> None:
                # A kill comes at a random moment of the serving that follows each start (or,
                # one time in five, while the desk is still starting): the pace of kills
                # follows the machine's start-up time, so a slow machine still makes progress.
                nonlocal kills, last_start
                while not done.is_set():
                    if chaos.random() >= 0.2:
                        await until_serving(last_start, unless=done)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(done.wait(), chaos.uniform(0.5, 3.0))
                        break
                    kill_times.append(time.time())
                    await bot.stop(signal.SIGKILL)  # no goodbye: what was running is cut
                    kills += 1
                    last_start = len(core.calls)
                    await bot.start()

            chaos_task = asyncio.create_task(killer())
            try:
                await asyncio.gather(*(customer(p) for p in people))
            finally:
                done.set()
                await chaos_task
            # The last restart is serving (it asked for updates, or set its webhook) before
            # the desk is stopped: a stop that came while it was still starting would not be
            # the clean one tested.
            await asyncio.wait_for(until_serving(last_start), 30)
            # Late copies to customers, if any, arrive now (the managers' hundred pings
            # each drain at a message a second meanwhile: not waited for).
            for _ in range(20):
                seen = sum(len(p.messages) for p in people)
                await asyncio.sleep(3)
                if sum(len(p.messages) for p in people) == seen:
                    break
        numbers = [line.split()[2] for line in shown]
        rows = await read_rows(
            url, "SELECT number, description FROM tickets WHERE kind = 'consultation'"
        )
    assert kills >= 4
    assert len(numbers) == CUSTOMERS * QUESTIONS_EACH
    # No ticket a customer was shown is lost, and none is doubled.
    assert sorted(numbers) == sorted(number for number, _ in rows)
    assert max(Counter(description for _, description in rows).values()) == 1
    # Every input got its answers once: a prompt and a confirmation per intake. A second
    # copy repeats a message the person already had, and only where Telegram carried out
    # a call whose answer never came back: the fault option's lost answers in that chat,
    # or a kill in the moment between Telegram's doing and the bot's noting it (every
    # reply in flight then, in any chat, may come twice).
    unexplained: list[str] = []
    doubles = 0
    for person in people:
        assert len(person.messages) >= 2 * QUESTIONS_EACH
        lost_here = core.lost_answers[person.someone.id]
        earlier: dict[str, int] = {}  # text -> date of its latest copy
        expected = Counter({person.messages[0].text: QUESTIONS_EACH})  # the /ask prompt
        for message in person.messages:
            if message.text in earlier and expected[message.text] <= 0:
                doubles += 1
                sent = earlier[message.text]
                if lost_here > 0:
                    lost_here -= 1
                elif not any(0 <= killed - sent <= WINDOW for killed in kill_times):
                    unexplained.append(f"{person.someone.id}: {message.text[:40]}")
            expected[message.text] -= 1
            earlier[message.text] = message.date
    assert not unexplained, (unexplained, kill_times)
    lost = sum(core.lost_answers[p.someone.id] for p in people)
    print(f"{kind}, {mode}: {kills} kills, {lost} answers lost, {doubles} second copies")
