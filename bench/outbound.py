"""Benchmark: a burst of 1,000 notifications to 1,000 different chats, through the
outbox sender of the real bot process, to the sandbox's Bot API server held to
Telegram's 30 messages a second.

Setup (not measured): a migrated SQLite desk with 1,000 customers and one outbox row
each, written before ``aftercare run`` starts against the local server.

    python bench/outbound.py --json [--count N]

Prints one JSON object: ``achieved_per_s`` (messages Telegram accepted a second, from
the first to the last), ``limit_per_s`` (30), ``ratio`` (target at least 0.9: as fast
as Telegram allows) and ``rejected_429`` (target 0: never faster), with ``delivered``
and ``seconds``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dispatch.clock import SystemClock
from dispatch.messages import N_, Outgoing
from dispatch.users import register_user
from sandbox.botapi import BotApiCore
from sandbox.demo import write_config
from storage.db import make_engine, make_sessionmaker
from storage.uow import UnitOfWorkFactory
from tests.e2e.remote import TOKEN, BotProcess, telegram, upgrade

LIMIT = 30  # messages a second, Telegram's allowance for one bot
FIRST_CHAT = 500_000
TEXT = N_("Thank you, your comment has been passed on.")


class TimedCore(BotApiCore):
    """The core, noting when each message it accepted arrived."""

    def __init__(self, count: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.accepted: list[float] = []
        self.count = count
        self.all_in = asyncio.Event()

    def _answer(self, method: str, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        result = super()._answer(method, params, files)  # a refusal raises: not counted
        if method == "sendMessage":
            self.accepted.append(time.monotonic())
            if len(self.accepted) >= self.count:
                self.all_in.set()
        return result


async def _seed(url: str, count: int) -> None:
    engine = make_engine(url)
    uow = UnitOfWorkFactory(make_sessionmaker(engine))
    clock = SystemClock()
    try:
        ids = []
        for n in range(count):
            registration = await register_user(
                uow(),
                clock,
                telegram_id=FIRST_CHAT + n,
                display_name=f"Customer {n}",
                username=None,
                telegram_language="en",
                manager_ids=(),
            )
            ids.append(registration.user.id)
        async with uow() as unit:
            now = clock.now()
            for user_id in ids:
                await unit.outbox.add(
                    Outgoing(user_id=user_id, text=TEXT, dedup_key=f"bench:{user_id}"), at=now
                )
            await unit.commit()
    finally:
        await engine.dispose()


async def run(count: int) -> dict[str, Any]:
    core = TimedCore(count, flood_limits=True)
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        async with telegram(core) as tg:
            config, env = write_config(
                folder, tg.base_url, tg.base_file_url, managers=(), token=TOKEN, quiet_hours=False
            )
            await upgrade(config, env)
            await _seed(env["AFTERCARE_DATABASE_URL"], count)
            bot = BotProcess(config, folder / "bot.log", env=env)
            await bot.start()
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(core.all_in.wait(), count / LIMIT * 3 + 60)
            finally:
                await bot.stop()
    delivered = len(core.accepted)
    seconds = core.accepted[-1] - core.accepted[0] if delivered > 1 else 0.0
    achieved = (delivered - 1) / seconds if seconds else 0.0
    return {
        "count": count,
        "delivered": delivered,
        "seconds": round(seconds, 2),
        "achieved_per_s": round(achieved, 2),
        "limit_per_s": LIMIT,
        "ratio": round(achieved / LIMIT, 3),
        "rejected_429": core.flood_refusals,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()
    figures = asyncio.run(run(args.count))
    print(json.dumps(figures) if args.json else "\n".join(f"{k}: {v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
