"""Benchmark: one SLA sweep over a large table where only a few deadlines are due.

    python bench/sweep.py --json

sweep_ms_1m: one sweep over 1,000,000 tickets of which 100,000 open and 100 due,
on SQLite; sweep_ms_10k: the same over 10,000 tickets (1,000 open, 100 due); and
ratio, the first over the second. Targets: sweep_ms_1m at most 20, ratio at most 2:
the cost follows the due rows, not the size of the table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dispatch.clock import ManualClock
from dispatch.policy import DeskPolicy
from dispatch.sweep import sweep
from storage.db import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.uow import UnitOfWorkFactory

NOW = datetime(2026, 11, 22, 2, tzinfo=UTC)


def _iso(moment: datetime) -> str:
    """As SQLAlchemy stores datetimes in SQLite (the sweep compares them exactly)."""
    return moment.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


async def _database(path: Path, total: int, open_: int, due: int) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    await upgrade(engine)
    await engine.dispose()
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous=OFF")  # seeding only; the sweep runs with the product's settings
    db.execute(
        "INSERT INTO users (telegram_id, role, display_name, created_at) VALUES (1, 'manager', 'M', ?), (2, 'customer', 'C', ?)",
        (_iso(NOW), _iso(NOW)),
    )
    future, past = NOW + timedelta(hours=5), NOW - timedelta(minutes=1)

    def rows() -> Any:
        for i in range(total):
            is_open = i < open_
            is_due = i < due
            next_at = _iso(past if is_due else future) if is_open else None
            yield (
                f"Q-{i:08d}",
                "consultation",
                "new" if is_open else "closed",
                "normal",
                1,
                2,
                _iso(NOW),
                _iso(NOW),
                "x",
                _iso(NOW + timedelta(hours=1)) if is_open else None,
                next_at,
                "consultation_first_response" if is_open else None,
            )

    db.executemany(
        "INSERT INTO tickets (number, kind, status, priority, version, customer_id, created_at, updated_at, description, "
        "priority_area, details, sla_due_at, sla_next_at, sla_step, dispatch_level, arrive_level, sla_level, progress_level, survey_level) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, '{}', ?, ?, ?, 0, 0, 0, 0, 0)",
        rows(),
    )
    db.commit()
    db.close()


async def _time(path: Path, due: int, rounds: int = 7) -> float:
    """Median of several sweeps on one engine, as in a running bot (statements compiled
    once, pages cached); before each, ``due`` open tickets become due again."""
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    uow = UnitOfWorkFactory(make_sessionmaker(engine))
    policy = DeskPolicy(zone=ZoneInfo("Asia/Shanghai"))
    times = []
    for n in range(rounds):
        clock = ManualClock(NOW + timedelta(minutes=n))
        async with engine.begin() as conn:  # the next ``due`` open tickets reach their warning time
            await conn.exec_driver_sql(
                "UPDATE tickets SET sla_next_at = ?, sla_level = 0 WHERE id IN "
                "(SELECT id FROM tickets WHERE status = 'new' ORDER BY id LIMIT ? OFFSET ?)",
                (_iso(clock.now() - timedelta(seconds=1)), due, n * due),
            )
        t0 = time.perf_counter()
        sent = await sweep(uow, clock, policy)
        times.append((time.perf_counter() - t0) * 1000)
        assert sent >= 1
    await engine.dispose()
    return statistics.median(times)


def measure(total: int, open_: int, due: int, directory: Path) -> float:
    path = directory / f"sweep-{total}.db"
    asyncio.run(_database(path, total, open_, 0))
    elapsed = asyncio.run(_time(path, due))
    path.unlink()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small = measure(10_000, 1_000, 100, Path(tmp))
        large = measure(1_000_000, 100_000, 100, Path(tmp))
    result = {
        "sweep_ms_1m": round(large, 2),
        "sweep_ms_10k": round(small, 2),
        "ratio": round(large / small, 3),
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>14}: {value}")


if __name__ == "__main__":
    main()
