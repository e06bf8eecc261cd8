"""Benchmark: one planning pass of maintenance contracts, where only a few visits are due.

    python bench/planned.py --json

plan_ms: one pass over 100,000 contracts on SQLite of which 300 have a visit coming due,
creating the 300 visits with their events and the customers' proposals, as the sweep
runs it; plan_ratio: plan_ms over the same pass on 1,000 contracts with the same 300 due.
Targets: plan_ms at most 500 and plan_ratio at most 2 (the cost follows the visits due,
not the contracts held).
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
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dispatch.clock import ManualClock
from dispatch.contracts import plan_visits
from dispatch.policy import DeskPolicy
from storage.db import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.uow import UnitOfWorkFactory

NOW = datetime(2026, 11, 22, 2, tzinfo=UTC)  # 10:00 in Shanghai
TODAY = date(2026, 11, 22)
DUE = 300
CUSTOMERS = 1_000
LEAD = 7


def _iso(moment: datetime) -> str:
    return moment.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


async def _database(path: Path, total: int) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    await upgrade(engine)
    await engine.dispose()
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous=OFF")  # seeding only; the pass runs with the product's settings
    db.executemany(
        "INSERT INTO users (id, telegram_id, role, display_name, phone, created_at) VALUES (?, ?, 'customer', ?, ?, ?)",
        (
            (i + 1, 10_000 + i, f"Customer {i}", f"+86138{i:08d}", _iso(NOW))
            for i in range(CUSTOMERS)
        ),
    )

    def rows() -> Any:
        for i in range(total):
            # None is due yet: each round makes the next DUE of them due (see _time).
            visit = TODAY + timedelta(days=8 + i % 20)
            yield (
                f"WB-{i:07d}",
                i % CUSTOMERS + 1,
                f"Site {i}",
                f"Road {i}",
                '["aircon"]',
                "2026-01-01",
                "2027-12-31",
                1,
                "Filter cleaning",
                1200.0,
                0.0,
                visit.isoformat(),
                (visit - timedelta(days=LEAD)).isoformat(),
            )

    db.executemany(
        "INSERT INTO contracts (number, customer_id, site, address, products, starts_on, ends_on, every_months, services, fee, deposit, next_visit_on, plan_on) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows(),
    )
    db.commit()
    db.close()


async def _time(path: Path, rounds: int = 5) -> float:
    """Median of several passes on one engine, as in a running bot; before each, the same
    DUE contracts reach their planning day again (the pass moved them a month on)."""
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    uow = UnitOfWorkFactory(make_sessionmaker(engine))
    policy = DeskPolicy(zone=ZoneInfo("Asia/Shanghai"))
    clock = ManualClock(NOW)
    times = []
    for _ in range(rounds):
        async with engine.begin() as conn:
            await conn.exec_driver_sql(
                "UPDATE contracts SET next_visit_on = ?, plan_on = ? WHERE id IN "
                "(SELECT id FROM contracts ORDER BY id LIMIT ? OFFSET ?)",
                ((TODAY + timedelta(days=LEAD)).isoformat(), TODAY.isoformat(), DUE, 0),
            )
        t0 = time.perf_counter()
        created = await plan_visits(uow, clock, policy, lead_days=LEAD)
        times.append((time.perf_counter() - t0) * 1000)
        assert created == DUE, created
    await engine.dispose()
    return statistics.median(times)


def measure(total: int, directory: Path) -> float:
    path = directory / f"planned-{total}.db"
    asyncio.run(_database(path, total))
    elapsed = asyncio.run(_time(path))
    path.unlink()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small = measure(1_000, Path(tmp))
        large = measure(100_000, Path(tmp))
    result = {
        "plan_ms": round(large, 1),
        "plan_ms_1k": round(small, 1),
        "plan_ratio": round(large / small, 3),
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>12}: {value}")


if __name__ == "__main__":
    main()
