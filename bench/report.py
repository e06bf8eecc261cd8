"""Benchmark: a month's figures, charts and files on SQLite with 1,000,000 tickets.

Setup (not measured): ten months of 100,000 tickets each (repairs, installations,
questions, complaints, returns), with their status moves (about three and a half per
ticket), some limits passed, and a follow-up survey for two in five, written straight
into a migrated SQLite file (then each ticket's figures derived from that log, as
``aftercare db upgrade`` does); and a second file holding only the reported month, the
tenth, made from the same random seed.

    python bench/report.py --json [--per-month N] [--months N]

Prints one JSON object (each time the median of three runs):
- ``stats_s_1m``: every KPI, the period before, step times, tickets per day, complaint
  causes, the technicians' table and the worst cases of the month (target <= 1);
- ``charts_s``: rendering every chart of the month (<= 1.5);
- ``xlsx_s``: the month's export: its rows read, the workbook and the CSV files (<= 15);
- ``stats_ratio``: ``stats_s_1m`` over the same figures on the file that holds only the
  month (<= 1.5: the cost follows the month, not the table).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.charts import chart_font, render_charts
from bot.i18n import Translator
from bot.insight import PeriodFiles
from bot.report import FONT_CANDIDATES
from dispatch.kpis import Period
from dispatch.model import Language
from dispatch.stats import (
    DeskStats,
    period_stats,
    period_title,
    settle_first_responses,
)
from storage.db import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.uow import UnitOfWorkFactory
from tests.harness import make_settings

FIRST = datetime(2026, 1, 31, 16, 0, tzinfo=UTC)  # 1 February in Shanghai
MONTH = timedelta(days=30)
KINDS = (
    ("repair", 0.60),
    ("installation", 0.15),
    ("consultation", 0.12),
    ("return", 0.08),
    ("complaint", 0.05),
)
MOVES = {
    "repair": (
        ("assigned", 1.5),
        ("on_site", 20),
        ("completed", 24),
        ("signed", 25),
        ("closed", 48),
    ),
    "installation": (
        ("assigned", 2),
        ("on_site", 30),
        ("completed", 34),
        ("signed", 35),
        ("closed", 60),
    ),
    "consultation": (("responded", 0.8), ("answered", 8)),
    "return": (("approved", 20), ("received", 70), ("completed", 100), ("closed", 101)),
    "complaint": (
        ("forwarded", 10),
        ("verified", 30),
        ("planned", 60),
        ("resolved", 90),
        ("closed", 100),
    ),
}
CAUSES = ("technician", "process", "product", "customer", "unfounded")
STAMP = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy keeps a time in SQLite (naive UTC)
TECHNICIANS = 40
CUSTOMERS = 50_000
MANAGER = CUSTOMERS + TECHNICIANS + 1


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).strftime(STAMP)


def _month_rows(month: int, per_month: int) -> Iterator[tuple[Any, ...]]:
    """One month's tickets, each with its moves, limit passed and survey, always the
    same for the same month (its own random seed)."""
    rng = random.Random(month)
    start = FIRST + month * MONTH
    kinds = [kind for kind, _ in KINDS]
    weights = [weight for _, weight in KINDS]
    for index in range(per_month):
        kind = rng.choices(kinds, weights)[0]
        created = start + timedelta(seconds=rng.uniform(0, MONTH.total_seconds() - 1))
        yield month, index, kind, created, rng.random(), rng.random(), rng.random()


def _fill(path: Path, months: list[int], per_month: int) -> None:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=OFF")
    connection.execute("PRAGMA synchronous=OFF")
    now = _stamp(FIRST)
    connection.executemany(
        "INSERT INTO users (id, telegram_id, role, display_name, created_at) VALUES (?,?,?,?,?)",
        [(i, 10_000 + i, "customer", f"C{i}", now) for i in range(1, CUSTOMERS + 1)]
        + [
            (CUSTOMERS + i, 90_000 + i, "technician", f"T{i}", now)
            for i in range(1, TECHNICIANS + 1)
        ]
        + [(MANAGER, 99_999, "manager", "Boss", now)],
    )
    connection.executemany(
        "INSERT INTO technicians (user_id, name, phone, skills, base_latitude, base_longitude, "
        "service_radius_km, capacity, on_duty) VALUES (?,?,?,?,?,?,?,?,?)",
        [
            (CUSTOMERS + i, f"技师{i:02d}", "+8613800000000", '["repair"]', 31.2, 121.4, 20, 3, 1)
            for i in range(1, TECHNICIANS + 1)
        ],
    )
    tickets: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    surveys: list[tuple[Any, ...]] = []

    def flush() -> None:
        connection.executemany(
            "INSERT INTO tickets (id, number, kind, status, priority, version, customer_id, "
            "created_at, updated_at, description, priority_area, details, "
            "assigned_technician_id, arrive_due_at, related_ticket_id) "
            "VALUES (?,?,?,?,'normal',1,?,?,?,'',0,?,?,?,?)",
            tickets,
        )
        connection.executemany(
            "INSERT INTO events (ticket_id, kind, to_status, details, created_at, actor_id) "
            "VALUES (?,?,?,?,?,?)",
            events,
        )
        connection.executemany(
            "INSERT INTO surveys (ticket_id, sent_at, answered_at, timeliness, attitude, result) "
            "VALUES (?,?,?,?,?,?)",
            surveys,
        )
        tickets.clear()
        events.clear()
        surveys.clear()

    for month in months:
        for month_no, index, kind, created, a, b, c in _month_rows(month, per_month):
            ticket_id = month_no * per_month + index + 1
            field = kind in ("repair", "installation")
            technician = CUSTOMERS + 1 + int(b * TECHNICIANS) if field else None
            moves = MOVES[kind]
            done = a < 0.9  # one in ten is still open
            reached = moves if done else moves[: max(1, len(moves) // 2)]
            details = (
                json.dumps({"cause": CAUSES[int(b * len(CAUSES))]}) if kind == "complaint" else "{}"
            )
            tickets.append(
                (
                    ticket_id,
                    f"R-{month_no:02d}-{index:07d}",
                    kind,
                    reached[-1][0],
                    1 + int(c * CUSTOMERS) % CUSTOMERS,
                    _stamp(created),
                    _stamp(created),
                    details,
                    technician,
                    _stamp(created + timedelta(hours=24)) if field else None,
                    ticket_id - 1 if kind == "complaint" and ticket_id > 1 else None,
                )
            )
            for status, hours in reached:  # moved by the technician, or by a manager
                events.append(
                    (
                        ticket_id,
                        "status",
                        status,
                        "{}",
                        _stamp(created + timedelta(hours=hours * (0.5 + c))),
                        technician or MANAGER,
                    )
                )
            if b < 0.05:  # a limit passed
                events.append(
                    (
                        ticket_id,
                        "sla.level2",
                        None,
                        '{"step": "repair_dispatch"}',
                        _stamp(created + timedelta(hours=2)),
                        None,
                    )
                )
            if done and a < 0.36:  # two in five closed cases get a survey; most answer it
                sent = created + timedelta(days=3)
                answered = _stamp(sent + timedelta(hours=5)) if b < 0.7 else None
                scores = (5, 4 if c < 0.8 else 2, 5) if answered else (None, None, None)
                surveys.append((ticket_id, _stamp(sent), answered, *scores))
            if len(tickets) >= 50_000:
                flush()
    flush()
    connection.commit()
    connection.execute("ANALYZE")
    connection.close()


async def _build(path: Path, months: list[int], per_month: int) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    await upgrade(engine)
    await engine.dispose()  # the file is filled by another connection
    await asyncio.to_thread(_fill, path, months, per_month)
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    await upgrade(engine)  # the rows written straight in get their figures from the log
    # and their first responses' office hours, as `aftercare db upgrade` counts them
    settings = make_settings("sqlite+aiosqlite:///unused.db")
    uow = UnitOfWorkFactory(make_sessionmaker(engine))
    await settle_first_responses(uow(), settings.policy.work_calendar)
    await engine.dispose()


async def _median(run: Callable[[], Awaitable[Any]], times: int = 3) -> tuple[float, Any]:
    spent, result = [], None
    for _ in range(times):
        began = time.perf_counter()
        result = await run()
        spent.append(time.perf_counter() - began)
    return statistics.median(spent), result


async def _measure(path: Path, period: Period, settings: Any, whole: bool) -> dict[str, Any]:
    """The figures' time on one file; on the whole one, the charts' and the export's too."""
    policy = settings.policy
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    uow = UnitOfWorkFactory(make_sessionmaker(engine))
    translator = Translator(region=settings.desk.wording_region)
    zone = settings.zone

    def text_of(msgid: str, /, **params: Any) -> str:
        return translator.render(Language.ZH_HANS, msgid, params, zone=zone)

    async def figures() -> DeskStats:
        return await period_stats(uow(), policy, name="range", period=period)

    async def export() -> list[tuple[str, bytes]]:  # as the bot makes a manager's files
        made = await PeriodFiles(uow, translator, settings).export(
            Language.ZH_HANS, "range", period
        )
        return made.files

    found: dict[str, Any] = {}
    try:
        found["stats"], stats = await _median(figures)
        found["closed"] = stats.counts.closed
        if whole:
            chart_font(None, FONT_CANDIDATES)
            title = period_title(stats)

            async def charts() -> Any:
                return render_charts(stats, text_of, title, policy)

            found["charts"], _ = await _median(charts)
            found["xlsx"], made = await _median(export, times=1)
            found["export_bytes"] = sum(len(content) for _, content in made)
    finally:
        await engine.dispose()
    return found


async def run(per_month: int, months: int, keep: Path | None) -> dict[str, Any]:
    settings = make_settings("sqlite+aiosqlite:///unused.db")
    reported = months - 1
    start = (FIRST + reported * MONTH).astimezone(settings.policy.zone)
    period = Period(start, start + MONTH)
    with tempfile.TemporaryDirectory() as directory:
        folder = keep or Path(directory)
        whole, alone = folder / "whole.db", folder / "month.db"
        for path, months_in in ((whole, list(range(months))), (alone, [reported])):
            if not path.exists():
                await _build(path, months_in, per_month)
            else:  # kept from an earlier run with --keep: brought up to date
                engine = make_engine(f"sqlite+aiosqlite:///{path}")
                await upgrade(engine)
                await engine.dispose()
        big = await _measure(whole, period, settings, whole=True)
        small = await _measure(alone, period, settings, whole=False)
    return {
        "tickets": per_month * months,
        "month_tickets": per_month,
        "month_closed": big["closed"],
        "stats_s_1m": round(big["stats"], 3),
        "stats_s_month_only": round(small["stats"], 3),
        "stats_ratio": round(big["stats"] / small["stats"], 2),
        "charts_s": round(big["charts"], 3),
        "xlsx_s": round(big["xlsx"], 2),
        "export_mb": round(big["export_bytes"] / 1e6, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--per-month", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=10)
    parser.add_argument(
        "--keep", type=Path, help="keep the two database files in this folder, and reuse them"
    )
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    figures = asyncio.run(run(args.per_month, args.months, args.keep))
    print(json.dumps(figures) if args.json else "\n".join(f"{k}: {v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
