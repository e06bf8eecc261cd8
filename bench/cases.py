"""Benchmark: a burst of customers writing to their open cases while the desk has a staff
group, through the real bot on SQLite and the in-process fake Bot API with Telegram's
flood limits on, on a simulated clock.

Setup (not measured): N customers (default 200) each ask a question; every question gets
its topic in the staff group with its card. Then each customer writes one more message
about their question, all of them within one minute. Each message is handled as polling
hands it over (inbox, then the handler), and its copy is queued for the case's topic.

    python bench/cases.py --json [--customers N]

Prints one JSON object:
- ``relay_p99_ms``: bot time from a customer's message to its copy queued (the update's
  whole handling), 99th percentile (target <= 50);
- ``group_sends_per_min``: the most messages sent to the group in any minute (<= 20);
- ``drain_min``: minutes from the first message until every copy reached its topic
  (<= 11: within 10 % of what 20 a minute allows for 200);
- ``rejected_429``: the group's sends Telegram refused for flooding (0);
- ``lost``: messages whose copy never reached their topic (0);
- ``urgent_s``: simulated seconds, mid-drain, from a serious complaint to its ping in a
  manager's private chat (urgent news does not queue behind the group).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select
from telegram import Update

from bot.inbox import chat_of
from dispatch.clock import ManualClock
from sandbox.botapi import BotApiCore
from storage.models import StaffPostRow
from tests.databases import sqlite_database
from tests.harness import Desk, make_settings

START = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # a Monday, 09:00 in Shanghai
GROUP = -1_001_000_000_001
MANAGER = 900_001
SENDS = frozenset({"sendMessage", "copyMessage", "copyMessages", "createForumTopic"})


class GroupLog:
    """Every call that put a message into the group, with its time on the wire."""

    def __init__(self, api: BotApiCore, desk: Desk) -> None:
        self.times: list[float] = []
        handle = api.handle

        def logged(method: str, params: dict[str, Any], files: dict[str, bytes]) -> Any:
            result = handle(method, params, files)
            if method in SENDS and int(params.get("chat_id", 0)) == GROUP:
                self.times.append(desk.wire())
            return result

        api.handle = logged  # type: ignore[method-assign]

    def most_in_a_minute(self, since: float) -> int:
        times = [t for t in self.times if t >= since]
        best, start = 0, 0
        for end, moment in enumerate(times):
            while moment - times[start] >= 60:
                start += 1
            best = max(best, end - start + 1)
        return best


async def _pending(desk: Desk) -> int:
    async with desk.db() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(StaffPostRow)
            .where(StaffPostRow.sent_at.is_(None), StaffPostRow.dead_at.is_(None))
        )
    return int(count or 0)


async def _tick(desk: Desk, seconds: float) -> None:
    desk.clock.advance(timedelta(seconds=seconds))
    await desk.deliver()


async def _handle(desk: Desk, data: dict[str, Any]) -> float:
    """One update handled as polling hands it over; the bot's time for it, in ms."""
    began = time.perf_counter()
    update = Update.de_json(data, desk.app.bot)
    if await desk.app.inbox.store(
        update.update_id, chat_of(update), update.to_dict(), desk.clock.now()
    ):
        await desk.app.process_update(update)
    return (time.perf_counter() - began) * 1000


def _text(desk: Desk, chat: int, text: str) -> dict[str, Any]:
    message = {
        "message_id": desk.api.next_message_id(chat),
        "date": int(desk.clock.now().timestamp()),
        "chat": {"id": chat, "type": "private"},
        "from": {"id": chat, "is_bot": False, "first_name": f"C{chat}", "language_code": "en"},
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    desk.api.remember(chat, message)
    return {"update_id": desk.api.next_update_id(), "message": message}


async def run(customers: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as directory:
        url = await sqlite_database(Path(directory))
        settings = make_settings(
            url,
            managers=(MANAGER,),
            replace={"operators = []": f"operators = []\nstaff_group = {GROUP}"},
        )
        clock = ManualClock(START)
        desk = await Desk.open(settings, clock, human=True)
        log = GroupLog(desk.api, desk)
        await _handle(desk, _text(desk, MANAGER, "/start"))
        chats = [100_000 + i for i in range(customers)]
        for chat in chats:  # setup: every customer has an open question with its topic
            await _handle(desk, _text(desk, chat, "/ask"))
            await _handle(desk, _text(desk, chat, f"Question from {chat}: is the remote covered?"))
            await _tick(desk, 1)
        while await _pending(desk):
            await _tick(desk, 3)
        await _tick(desk, 600)  # the managers' private pings catch up too

        # The burst: every customer writes once within a minute.
        first = desk.wire()
        refused_before = desk.api.flood_refusals
        relay = []
        spacing = 60 / customers
        urgent_s: float | None = None
        for chat in chats:
            relay.append(await _handle(desk, _text(desk, chat, f"Follow-up from {chat}")))
            await _tick(desk, spacing)
        # Mid-drain, a serious complaint: a manager hears of it in private at once.
        complainer = desk.person(200_000, "Urgent")
        await complainer.command("complain")
        await complainer.press("The product")
        await complainer.press("None of these")
        await complainer.send("The heater leaked and flooded the kitchen floor.")
        await complainer.press("No photos, continue")
        await complainer.send("Pay for the damage")
        await complainer.press("Yes")
        await complainer.send("13800138000")
        sent_at = desk.wire()
        await complainer.press("✅ Confirm and send")
        boss = desk.person(MANAGER, "Boss")
        for _ in range(600):
            if any(t.startswith("⚠️ Serious complaint") for t in boss.texts):
                urgent_s = round(desk.wire() - sent_at, 1)
                break
            await _tick(desk, 1)
            desk.wire.human_seconds += 1
        while await _pending(desk):
            await _tick(desk, 1)
        drained = desk.wire()
        topics = {t.thread_id: t for t in desk.api.forums[GROUP].topics.values() if not t.deleted}
        copied = {
            m.text
            for m in desk.api.messages[GROUP]
            if m.extra.get("message_thread_id") in topics and m.text.startswith("Follow-up")
        }
        lost = sum(1 for chat in chats if f"Follow-up from {chat}" not in copied)
        await desk.close()
    relay.sort()
    return {
        "customers": customers,
        "relay_p50_ms": round(statistics.median(relay), 2),
        "relay_p99_ms": round(relay[max(0, int(len(relay) * 0.99) - 1)], 2),
        "group_sends_per_min": log.most_in_a_minute(first),
        "drain_min": round((drained - first) / 60, 2),
        "rejected_429": desk.api.flood_refusals - refused_before,
        "lost": lost,
        "urgent_s": urgent_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(run(args.customers))
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
