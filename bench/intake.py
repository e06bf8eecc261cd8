"""Benchmark: customers completing a full repair intake through the real bot.

N customers (default 1,000) each go through /repair to Confirm (14 updates each),
interleaved as real traffic is, through the real Application on SQLite and the
in-process fake Bot API. Updates come in batches of 100, as getUpdates gives them, each
batch kept in the inbox in one transaction first (bot.inbox.KeepBeforeAsking); an
update's time counts its batch's keeping and its own handling, replies sent.

    python bench/intake.py --json [--customers N]

Prints one JSON object. The targets: ratio_vs_durable_echo >= 0.5 and p99_ms <= 20.
durable_echo_updates_per_s is the least a bot that loses nothing can do, through the same
harness and engine: a handler that records the update with one durable commit and
replies once. Also, to read the figures by: bare_updates_per_s (a handler that does
nothing) and ratio, echo_updates_per_s (one reply, nothing recorded) and ratio_vs_echo,
and sqlite_commit_ms (one durable commit through the engine).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telegram import Update
from telegram.ext import ApplicationBuilder, TypeHandler

from bot.app import SENDER, build_application, sender_of
from bot.inbox import DeskApplication, chat_of
from bot.pacing import ChatPacer
from dispatch.clock import ManualClock
from sandbox.botapi import BotApiCore
from sandbox.transport import InProcessRequest
from storage.db import make_engine
from storage.migrate import upgrade
from tests.harness import TOKEN, make_settings

START = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
BATCH = 100  # getUpdates gives at most 100 updates a call


class Script:
    """Builds the updates of one customer's repair intake, step by step."""

    def __init__(self, api: BotApiCore, user_id: int) -> None:
        self.api = api
        self.chat = user_id
        self.user: dict[str, Any] = {
            "id": user_id,
            "is_bot": False,
            "first_name": f"C{user_id}",
            "language_code": "en",
        }

    def _message(self, **content: Any) -> dict[str, Any]:
        chat = self.chat
        return {
            "update_id": self.api.next_update_id(),
            "message": {
                "message_id": self.api.next_message_id(chat),
                "date": int(START.timestamp()),
                "chat": {"id": chat, "type": "private"},
                "from": self.user,
                **content,
            },
        }

    def text(self, text: str) -> dict[str, Any]:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
        return self._message(**content)

    def press(self, data: str) -> dict[str, Any]:
        chat = self.chat
        shown = [
            m
            for m in self.api.messages[chat]
            if any(b.get("callback_data") == data for b in m.inline_buttons)
        ]
        message = shown[-1] if shown else None
        shown_json = (
            self.api.message_json(message)
            if message
            else {
                "message_id": 1,
                "date": int(START.timestamp()),
                "chat": {"id": chat, "type": "private"},
                "text": "-",
            }
        )
        return {
            "update_id": self.api.next_update_id(),
            "callback_query": {
                "id": str(self.api.next_update_id()),
                "from": self.user,
                "chat_instance": "bench",
                "data": data,
                "message": shown_json,
            },
        }

    def photo(self, n: int) -> dict[str, Any]:
        uid = self.chat
        return self._message(
            photo=[
                {
                    "file_id": f"p{uid}-{n}",
                    "file_unique_id": f"u{uid}-{n}",
                    "width": 800,
                    "height": 600,
                }
            ]
        )

    def steps(self) -> list[Callable[[], dict[str, Any]]]:
        return [
            lambda: self.text("/repair"),
            lambda: self.press("rp:product:aircon"),
            lambda: self.text("KFR-35GW"),
            lambda: self.text("2026-03-01"),
            lambda: self.text("It blows warm air and shows E4."),
            lambda: self.photo(1),
            lambda: self.photo(2),
            lambda: self.press("rp:photos:done"),
            lambda: self._message(location={"latitude": 31.2304, "longitude": 121.4737}),
            lambda: self.text("Building 3, room 1201"),
            lambda: self.text("+8613800138000"),
            lambda: self.press("rp:day:20261123"),
            lambda: self.press("rp:slot:morning"),
            lambda: self.press("rp:confirm"),
        ]


async def _drive(
    app: Any, api: BotApiCore, customers: int, first_id: int
) -> tuple[list[float], float]:
    scripts = [Script(api, first_id + i) for i in range(customers)]
    plans = [s.steps() for s in scripts]
    latencies: list[float] = []
    sender = app.bot_data.get(SENDER)  # the bare baselines have none: they reply directly
    started = time.perf_counter()
    for step in range(len(plans[0])):
        sent = [plan[step]() for plan in plans]  # as Telegram sends them
        updates = [Update.de_json(data, app.bot) for data in sent]
        for first in range(0, len(updates), BATCH):
            batch = updates[first : first + BATCH]
            keeping = 0.0
            if isinstance(app, DeskApplication):
                # Kept first, a polling batch in one transaction, as the update queue does
                # (bot.inbox.KeepBeforeAsking); each update's time counts the whole keeping.
                t0 = time.perf_counter()
                await app.inbox.store_many(
                    [
                        (u.update_id, chat_of(u), data)
                        for u, data in zip(batch, sent[first : first + BATCH], strict=True)
                    ],
                    START,
                )
                keeping = time.perf_counter() - t0
            for update in batch:
                t0 = time.perf_counter()
                # Answered when this returns: the update is done and its replies have gone out.
                await app.process_update(update)
                latencies.append(keeping + time.perf_counter() - t0)
                # Notifications to other people (the technician's offer, the managers' pings)
                # are the sender's work, which runs beside the updates in a running bot: it
                # counts in the throughput, not in this update's time.
                if sender is not None:
                    await sender.drain_if_woken(limit=500)
    return latencies, time.perf_counter() - started


async def full_bot(customers: int, directory: Path) -> dict[str, Any]:
    url = f"sqlite+aiosqlite:///{directory / 'bench.db'}"
    engine = make_engine(url)
    await upgrade(engine)
    await engine.dispose()
    clock = ManualClock(START)
    api = BotApiCore(now=lambda: clock.now().timestamp())
    app = build_application(
        make_settings(url),
        clock=clock,
        request=InProcessRequest(api),
        pacer=ChatPacer(burst=10**6, per_second=10**6),
        rate_limited=False,
    )
    await app.initialize()
    await app.start()  # the persistence flush and job queue run, as in production
    latencies, elapsed = await _drive(app, api, customers, 10_000)
    sender = sender_of(app)
    t0 = time.perf_counter()
    delivered = 0
    while (n := await sender.drain(limit=500)) > 0:
        delivered += n
    outbox_s = time.perf_counter() - t0
    await app.stop()
    await app.shutdown()
    confirmations = sum(
        1
        for chat in api.messages.values()
        for m in chat
        if m.text.startswith("Your repair request R-")
    )
    return {
        "latencies": latencies,
        "elapsed": elapsed,
        "tickets_confirmed": confirmations,
        "outbox_delivered": delivered,
        "outbox_ms_per_message": round(outbox_s * 1000 / max(delivered, 1), 3),
    }


async def bare(customers: int, *, echo: bool = False) -> dict[str, Any]:
    """The harness alone: a handler that does nothing (or, with ``echo``, only replies once)."""
    api = BotApiCore()
    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .request(InProcessRequest(api))
        .get_updates_request(InProcessRequest(api))
        .updater(None)
        .build()
    )

    async def nothing(update: Update, context: Any) -> None:
        if echo and update.effective_chat:
            await context.bot.send_message(update.effective_chat.id, "ok")

    app.add_handler(TypeHandler(Update, nothing))
    await app.initialize()
    latencies, elapsed = await _drive(app, api, customers, 10_000)
    await app.shutdown()
    return {"latencies": latencies, "elapsed": elapsed}


async def durable_echo(customers: int, directory: Path) -> dict[str, Any]:
    """The least a bot that loses nothing does: the same harness and the same SQLite engine
    settings, a handler that records the update with one durable commit and replies once."""
    engine = make_engine(f"sqlite+aiosqlite:///{directory / 'echo.db'}")
    async with engine.begin() as conn:
        await conn.exec_driver_sql(
            "CREATE TABLE IF NOT EXISTS seen (update_id INTEGER PRIMARY KEY, payload TEXT)"
        )
    api = BotApiCore()
    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .request(InProcessRequest(api))
        .get_updates_request(InProcessRequest(api))
        .updater(None)
        .build()
    )

    async def record_and_reply(update: Update, context: Any) -> None:
        async with engine.begin() as conn:
            await conn.exec_driver_sql(
                "INSERT INTO seen VALUES (?, ?)", (update.update_id, update.to_json())
            )
        if update.effective_chat:
            await context.bot.send_message(update.effective_chat.id, "ok")

    app.add_handler(TypeHandler(Update, record_and_reply))
    await app.initialize()
    latencies, elapsed = await _drive(app, api, customers, 10_000)
    await app.shutdown()
    await engine.dispose()
    return {"latencies": latencies, "elapsed": elapsed}


async def empty_commit_ms(directory: Path, rounds: int = 500) -> float:
    """The floor of any SQLite transaction through aiosqlite here: BEGIN IMMEDIATE; COMMIT."""
    engine = make_engine(f"sqlite+aiosqlite:///{directory / 'floor.db'}")
    async with engine.begin() as conn:
        await conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS t (x INTEGER)")
    started = time.perf_counter()
    for n in range(rounds):
        async with engine.begin() as conn:
            await conn.exec_driver_sql("INSERT INTO t VALUES (?)", (n,))
    elapsed = time.perf_counter() - started
    await engine.dispose()
    return elapsed * 1000 / rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        full = asyncio.run(full_bot(args.customers, Path(tmp)))
        floor = asyncio.run(empty_commit_ms(Path(tmp)))
        durable = asyncio.run(durable_echo(args.customers, Path(tmp)))
    baseline = asyncio.run(bare(args.customers))
    echo = asyncio.run(bare(args.customers, echo=True))
    updates = len(full["latencies"])
    ordered = sorted(full["latencies"])
    result = {
        "customers": args.customers,
        "updates": updates,
        "updates_per_s": round(updates / full["elapsed"], 1),
        "bare_updates_per_s": round(len(baseline["latencies"]) / baseline["elapsed"], 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 3),
        "tickets_confirmed": full["tickets_confirmed"],
        "outbox_delivered": full["outbox_delivered"],
        "outbox_ms_per_message": full["outbox_ms_per_message"],
        # For reading the ratio: a handler that only replies, and one durable SQLite commit.
        "echo_updates_per_s": round(len(echo["latencies"]) / echo["elapsed"], 1),
        "sqlite_commit_ms": round(floor, 3),
        # The target's baseline: one durable commit and one reply per update.
        "durable_echo_updates_per_s": round(len(durable["latencies"]) / durable["elapsed"], 1),
    }
    result["ratio"] = round(result["updates_per_s"] / result["bare_updates_per_s"], 3)
    result["ratio_vs_echo"] = round(result["updates_per_s"] / result["echo_updates_per_s"], 3)
    result["ratio_vs_durable_echo"] = round(
        result["updates_per_s"] / result["durable_echo_updates_per_s"], 3
    )
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>24}: {value}")


if __name__ == "__main__":
    main()
