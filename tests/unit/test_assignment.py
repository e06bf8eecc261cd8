"""The assignment engine: hard filters, the cost, greedy versus the backlog solver."""

from __future__ import annotations

import random
from datetime import date

import pytest

import dispatch.assignment as engine
from dispatch.assignment import Fleet, Job, Member, Weights, assign_backlog, should_batch

# Around People's Square, Shanghai; 0.01 degree of latitude is about 1.1 km.
LAT, LON = 31.2304, 121.4737


def tech(user_id: int, dlat: float = 0.0, **overrides: object) -> Member:
    values: dict[str, object] = {
        "user_id": user_id,
        "latitude": LAT + dlat,
        "longitude": LON,
        "base_latitude": LAT + dlat,
        "base_longitude": LON,
        "radius_km": 50.0,
        "skills": frozenset({"aircon", "washer"}),
        "open_jobs": 0,
        "capacity": 3,
    }
    values.update(overrides)
    return Member(**values)  # type: ignore[arg-type]


def job(
    ticket_id: int = 1, dlat: float = 0.0, skill: str | None = "aircon", **overrides: object
) -> Job:
    return Job(ticket_id=ticket_id, latitude=LAT + dlat, longitude=LON, skill=skill, **overrides)  # type: ignore[arg-type]


def test_the_nearest_qualified_technician_is_chosen() -> None:
    fleet = Fleet([tech(1, 0.10), tech(2, 0.02), tech(3, 0.05)])
    choice = fleet.best(job(), Weights())
    assert choice is not None and choice.user_id == 2
    assert choice.distance_km == pytest.approx(2.22, abs=0.01)


@pytest.mark.parametrize(
    ("near", "reason"),
    [
        (tech(9, 0.01, skills=frozenset({"fridge"})), "lacks the skill"),
        (tech(9, 0.01, open_jobs=3, capacity=3), "is at capacity"),
        (tech(9, 0.01, has_open_offer=True), "holds an open offer"),
        (tech(9, 0.01, base_latitude=LAT + 1.0, radius_km=20), "serves another area"),
    ],
)
def test_hard_filters_rule_out_a_nearer_technician(near: Member, reason: str) -> None:
    fleet = Fleet([near, tech(2, 0.08)])
    choice = fleet.best(job(), Weights())
    assert choice is not None and choice.user_id == 2, reason


def test_someone_who_declined_is_not_asked_again() -> None:
    fleet = Fleet([tech(1, 0.01), tech(2, 0.05)])
    choice = fleet.best(job(excluded=frozenset({1})), Weights())
    assert choice is not None and choice.user_id == 2


def test_nobody_qualifies_gives_none() -> None:
    assert Fleet([tech(1, skills=frozenset({"fridge"}))]).best(job(), Weights()) is None
    assert Fleet([]).best(job(), Weights()) is None


def test_workload_can_outweigh_a_short_distance() -> None:
    busy_near = tech(1, 0.01, open_jobs=2)  # 1.1 km + 2 jobs x 5
    idle_far = tech(2, 0.05)  # 5.6 km
    choice = Fleet([busy_near, idle_far]).best(job(), Weights(per_km=1, per_open_job=5))
    assert choice is not None and choice.user_id == 2


def test_a_job_with_any_skill_takes_any_technician() -> None:
    choice = Fleet([tech(1, 0.03, skills=frozenset({"fridge"}))]).best(job(skill=None), Weights())
    assert choice is not None and choice.user_id == 1


def test_the_backlog_solver_beats_nearest_first_and_never_doubles_up() -> None:
    # Two technicians on a line, two jobs: greedy gives the old job the technician
    # nearest to it and sends the other far; the solver minimises the total.
    fleet = Fleet([tech(1, 0.00), tech(2, 0.10)])
    jobs = [job(1, 0.04, waiting_minutes=30), job(2, -0.02)]
    choices = assign_backlog(jobs, fleet, Weights())
    assert sorted((c.ticket_id, c.user_id) for c in choices) == [(1, 2), (2, 1)]
    total = sum(c.distance_km for c in choices)
    greedy = 0.04 * 111.2 + 0.12 * 111.2  # job 1 takes tech 1, job 2 must take tech 2
    assert total < greedy * 0.7
    assert len({c.user_id for c in choices}) == len(choices)


def test_the_backlog_leaves_unmatchable_jobs_waiting() -> None:
    fleet = Fleet([tech(1)])
    choices = assign_backlog([job(1), job(2, skill="fridge"), job(3)], fleet, Weights())
    assert len(choices) == 1 and choices[0].user_id == 1


def test_batch_mode_starts_when_jobs_catch_up_with_idle_technicians() -> None:
    assert not should_batch(idle_technicians=5, waiting_jobs=2)
    assert should_batch(idle_technicians=3, waiting_jobs=3)
    assert not should_batch(idle_technicians=1, waiting_jobs=1)  # one job: greedy is optimal


def test_the_kd_tree_agrees_with_the_exact_search(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(7)
    members = [
        tech(
            i,
            rng.uniform(-0.3, 0.3),
            longitude=LON + rng.uniform(-0.3, 0.3),
            open_jobs=rng.randint(0, 3),
        )
        for i in range(3000)
    ]
    fleet = Fleet(members)
    probe = job(1, 0.05)
    exact = fleet.nearest(probe, 5)
    monkeypatch.setattr(engine, "EXACT_UP_TO", 100)
    tree_fleet = Fleet(members)
    assert [u for u, _ in tree_fleet.nearest(probe, 5)] == [u for u, _ in exact]
    assert [d for _, d in tree_fleet.nearest(probe, 5)] == pytest.approx(
        [d for _, d in exact], rel=1e-6
    )


@pytest.mark.parametrize("exact_up_to", [20_000, 0])  # numpy over all, then the k-d tree
def test_a_job_needing_a_certificate_goes_to_a_holder_valid_on_its_day(
    monkeypatch: pytest.MonkeyPatch, exact_up_to: int
) -> None:
    monkeypatch.setattr(engine, "EXACT_UP_TO", exact_up_to)
    day = date(2026, 11, 23)
    fleet = Fleet(
        [
            tech(1, 0.01),  # nearest, no certificate
            tech(2, 0.02, certificates=(("heater_install", date(2026, 11, 22)),)),  # ends before
            tech(3, 0.03, certificates=(("heater_install", day), ("work_permit", day))),
            tech(4, 0.04, certificates=(("heater_install", date(2027, 1, 1)),)),
        ]
    )
    licence = frozenset({"heater_install"})
    assert [u for u, _ in fleet.nearest(job(certificates=licence, day=day), k=5)] == [3, 4]
    both = frozenset({"heater_install", "work_permit"})
    assert [u for u, _ in fleet.nearest(job(certificates=both, day=day), k=5)] == [3]
    later = job(certificates=licence, day=date(2026, 12, 1))
    assert [u for u, _ in fleet.nearest(later, k=5)] == [4]
    assert [u for u, _ in fleet.nearest(job(), k=5)] == [1, 2, 3, 4]  # none needed
