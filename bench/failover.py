"""Benchmark: the active process killed during traffic, the standby takes over.

Two ``aftercare run`` processes on one PostgreSQL database (a fresh one of their own),
in polling mode, against the sandbox's Bot API server held to Telegram's limits: the
first is active, the second stands by. Customers ask questions without pause (``/ask``,
then the question, each waiting for the bot's answer) and the active process is killed
with SIGKILL once traffic runs; the customers go on until each has asked ``--rounds``.

    python bench/failover.py --json [--customers 20] [--rounds 4] [--runs 3]

Prints one JSON object: ``failover_s`` (median over the runs, and each run's: from the
kill to the first answer the standby gives a customer; target at most 10), ``lost``
(questions never registered or never confirmed; target 0) and ``doubled`` (tickets
registered twice, or a confirmation a customer got twice; target 0), summed over runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sandbox.botapi import BotApiCore
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
)

PATIENCE = 120.0
KILL_AFTER_S = 4.0  # of traffic


class TimedCore(BotApiCore):
    """The core, noting when each message to a customer was accepted."""

    def __init__(self, customers: set[int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.customers = customers
        self.to_customers: list[float] = []

    def _answer(self, method: str, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        result = super()._answer(method, params, files)  # a refusal raises: not counted
        if method == "sendMessage" and int(params.get("chat_id", 0)) in self.customers:
            self.to_customers.append(time.time())
        return result


async def one_run(customers: int, rounds: int) -> dict[str, Any]:
    ids = [5000 + n for n in range(customers)]
    core = TimedCore(set(ids), flood_limits=True)
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        async with fresh_database("postgres", folder) as url, telegram(core) as tg:
            async with running_desk(folder, tg, mode="polling", database_url=url) as active:
                await until(lambda: web_says(active, "ok"))
                standby = await second_process(active, "standby")
                await until(lambda: web_says(standby, "standby"))
                people = [Remote(tg, Someone(i, f"F{i}", "en"), patience=PATIENCE) for i in ids]
                confirmed: Counter[str] = Counter()
                unanswered = 0

                async def customer(person: Remote) -> None:
                    nonlocal unanswered
                    for k in range(rounds):
                        before = len(person.messages)
                        await person.post("/ask")
                        try:
                            await person.answered_after(before, PATIENCE)
                            before = len(person.messages)
                            await person.post(f"Question {k} from {person.someone.id}")
                            await person.answered_after(before, PATIENCE, holding="is registered")
                        except AssertionError:
                            unanswered += 1

                traffic = asyncio.gather(*(customer(p) for p in people))
                await asyncio.sleep(KILL_AFTER_S)
                killed_at = time.time()
                await active.stop(signal.SIGKILL)
                await traffic
                await asyncio.sleep(3)  # a late second copy, if any, arrives now
                for person in people:
                    confirmed.update(m.text for m in person.messages if "is registered" in m.text)
                active.process, active.log = standby.process, standby.log
            rows = await read_rows(
                url, "SELECT description FROM tickets WHERE kind = 'consultation'"
            )
    after = [t for t in core.to_customers if t > killed_at]
    registered = Counter(d for (d,) in rows)
    asked = customers * rounds
    return {
        "failover_s": round(after[0] - killed_at, 2) if after else None,
        "lost": asked - len(registered) + unanswered,
        "doubled": sum(n - 1 for n in registered.values()) + sum(n - 1 for n in confirmed.values()),
        "questions": asked,
    }


async def run(customers: int, rounds: int, runs: int) -> dict[str, Any]:
    results = [await one_run(customers, rounds) for _ in range(runs)]
    times = [r["failover_s"] for r in results if r["failover_s"] is not None]
    return {
        "failover_s": statistics.median(times) if len(times) == runs else None,
        "failover_s_runs": [r["failover_s"] for r in results],
        "lost": sum(r["lost"] for r in results),
        "doubled": sum(r["doubled"] for r in results),
        "questions": sum(r["questions"] for r in results),
        "runs": runs,
        "target_failover_s": 10,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--customers", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    figures = asyncio.run(run(args.customers, args.rounds, args.runs))
    print(json.dumps(figures) if args.json else "\n".join(f"{k}: {v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
