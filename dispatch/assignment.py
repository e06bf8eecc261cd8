"""The assignment engine: which technician is offered which job.

Hard filters first: on duty, has the skill the product needs, holds the certificates
the job needs valid on the visit day, under capacity, the job inside the technician's
service radius (measured from their base), no open offer, and not already tried for
this job. Then one cost (``cost`` below,
its weights in the config): travel from where the technician is now, plus
workload, minus the job's waiting age, so that a far job is not starved.

- When idle technicians outnumber waiting jobs, a new job is offered at once to
  its cheapest candidate (:meth:`Fleet.best`).
- With a backlog, waiting jobs x idle technicians are solved together, optimally
  (:func:`assign_backlog`, scipy's ``linear_sum_assignment``), at an interval.
  The oldest job never simply grabs whichever technician frees up first: under
  load that multiplied response times eightfold (DESIGN.md).

Distances: numpy haversine over the whole fleet up to ``EXACT_UP_TO`` technicians;
beyond, a ``scipy.spatial.cKDTree`` of 3-D unit vectors finds the nearest first.
Never a Python loop over technicians.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment
from scipy.spatial import cKDTree

from dispatch.geo import EARTH_RADIUS_KM

__all__ = [
    "EXACT_UP_TO",
    "Choice",
    "Fleet",
    "Job",
    "Member",
    "Weights",
    "assign_backlog",
    "cost",
    "holds",
    "should_batch",
]

EXACT_UP_TO = 20_000
UNFIT = 1e12  # cost of a pair the hard filters rule out

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Weights:
    per_km: float = 1.0
    per_open_job: float = 5.0
    per_waiting_minute: float = 0.5


@dataclass(frozen=True)
class Member:
    """One on-duty technician as the engine sees them."""

    user_id: int
    latitude: float  # where they are now (live location if fresh, else base)
    longitude: float
    base_latitude: float
    base_longitude: float
    radius_km: float
    skills: frozenset[str]
    open_jobs: int
    capacity: int
    has_open_offer: bool = False
    # Certificate code -> last valid day (dispatch.certificates).
    certificates: tuple[tuple[str, date], ...] = ()


@dataclass(frozen=True)
class Job:
    ticket_id: int
    latitude: float
    longitude: float
    skill: str | None  # None: any technician will do (product "something else")
    waiting_minutes: float = 0.0
    excluded: frozenset[int] = field(default_factory=frozenset)  # already declined or let expire
    certificates: frozenset[str] = frozenset()  # needed, each valid on ``day``
    day: date | None = None  # the visit day (the certificates' day)


@dataclass(frozen=True)
class Choice:
    ticket_id: int
    user_id: int
    distance_km: float
    cost: float


def _unit(lat: FloatArray, lon: FloatArray) -> FloatArray:
    phi, lam = np.radians(lat), np.radians(lon)
    return np.column_stack((np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)))


def _haversine(lat: float, lon: float, lats: FloatArray, lons: FloatArray) -> FloatArray:
    p1, p2 = np.radians(lat), np.radians(lats)
    dp, dl = p2 - p1, np.radians(lons - lon)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(
        2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a))), dtype=np.float64
    )


def cost(
    distance_km: FloatArray | float,
    open_jobs: FloatArray | float,
    waiting_minutes: float,
    weights: Weights,
) -> FloatArray | float:
    """The one assignment cost: travel + workload - waiting age."""
    return (
        weights.per_km * distance_km
        + weights.per_open_job * open_jobs
        - weights.per_waiting_minute * waiting_minutes
    )


class Fleet:
    """The on-duty technicians as arrays, built once per search round (cheap: numpy)."""

    def __init__(self, members: Sequence[Member]) -> None:
        self.members = list(members)
        n = len(self.members)
        self.ids = np.fromiter((m.user_id for m in self.members), dtype=np.int64, count=n)
        self.lat = np.fromiter((m.latitude for m in self.members), dtype=np.float64, count=n)
        self.lon = np.fromiter((m.longitude for m in self.members), dtype=np.float64, count=n)
        self.base_lat = np.fromiter(
            (m.base_latitude for m in self.members), dtype=np.float64, count=n
        )
        self.base_lon = np.fromiter(
            (m.base_longitude for m in self.members), dtype=np.float64, count=n
        )
        self.radius = np.fromiter((m.radius_km for m in self.members), dtype=np.float64, count=n)
        self.open_jobs = np.fromiter((m.open_jobs for m in self.members), dtype=np.float64, count=n)
        self.free = np.fromiter(
            (m.open_jobs < m.capacity and not m.has_open_offer for m in self.members),
            dtype=bool,
            count=n,
        )
        self._skill_masks: dict[str, NDArray[np.bool_]] = {}
        self._certified_masks: dict[tuple[frozenset[str], date], NDArray[np.bool_]] = {}
        self._tree: cKDTree | None = None
        self._position = {m.user_id: i for i, m in enumerate(self.members)}

    def __len__(self) -> int:
        return len(self.members)

    def mark_busy(self, user_id: int) -> None:
        """This technician just got an offer (or turned out unavailable): skip them."""
        i = self._position.get(user_id)
        if i is not None:
            self.free[i] = False

    @property
    def idle(self) -> int:
        return int(self.free.sum())

    def _skilled(self, skill: str | None) -> NDArray[np.bool_]:
        if skill is None:
            return np.ones(len(self), dtype=bool)
        if skill not in self._skill_masks:
            self._skill_masks[skill] = np.fromiter(
                (skill in m.skills for m in self.members), dtype=bool, count=len(self)
            )
        return self._skill_masks[skill]

    def _certified(self, job: Job) -> NDArray[np.bool_] | None:
        """Who holds every certificate the job needs, valid on its day (None: none needed)."""
        if not job.certificates:
            return None
        day = job.day or date.min
        key = (job.certificates, day)
        if key not in self._certified_masks:
            self._certified_masks[key] = np.fromiter(
                (holds(m, job.certificates, day) for m in self.members),
                dtype=bool,
                count=len(self),
            )
        return self._certified_masks[key]

    def _tree_index(self) -> cKDTree:
        if self._tree is None:
            self._tree = cKDTree(_unit(self.lat, self.lon))
        return self._tree

    def _eligible(self, job: Job, idx: NDArray[np.intp]) -> NDArray[np.bool_]:
        ok = self.free[idx] & self._skilled(job.skill)[idx]
        certified = self._certified(job)
        if certified is not None:
            ok &= certified[idx]
        in_radius = (
            _haversine(job.latitude, job.longitude, self.base_lat[idx], self.base_lon[idx])
            <= self.radius[idx]
        )
        ok &= in_radius
        if job.excluded:
            ok &= ~np.isin(self.ids[idx], np.fromiter(job.excluded, dtype=np.int64))
        return ok

    def _nearest(self, job: Job, k: int) -> tuple[NDArray[np.intp], FloatArray]:
        """Fleet positions and distances (km) of the ``k`` nearest eligible, nearest first."""
        n = len(self)
        if n == 0:
            return np.empty(0, dtype=np.intp), np.empty(0)
        if n <= EXACT_UP_TO:
            idx = np.flatnonzero(self._eligible(job, np.arange(n)))
            distances = _haversine(job.latitude, job.longitude, self.lat[idx], self.lon[idx])
            order = np.argsort(distances)[:k]
            return idx[order], distances[order]
        target = _unit(np.array([job.latitude]), np.array([job.longitude]))[0]
        want = max(4 * k, 32)
        while True:
            chord, found = self._tree_index().query(target, k=min(want, n))
            found, chord = np.atleast_1d(found), np.atleast_1d(chord)
            ok = self._eligible(job, found)
            if ok.sum() >= k or want >= n:
                km = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, chord[ok] / 2))
                return found[ok][:k], km[:k]
            want *= 4

    def nearest(self, job: Job, k: int = 5) -> list[tuple[int, float]]:
        """The ``k`` nearest eligible technicians as (user id, km), nearest first."""
        idx, km = self._nearest(job, k)
        return [(int(u), float(d)) for u, d in zip(self.ids[idx], km, strict=True)]

    def best(self, job: Job, weights: Weights, *, among: int = 32) -> Choice | None:
        """The cheapest eligible technician for one job, or None when nobody qualifies."""
        idx, km = self._nearest(job, among)
        if not len(idx):
            return None
        costs = np.asarray(cost(km, self.open_jobs[idx], job.waiting_minutes, weights))
        i = int(np.argmin(costs))
        return Choice(job.ticket_id, int(self.ids[idx[i]]), float(km[i]), float(costs[i]))


def holds(member: Member, needed: frozenset[str], day: date) -> bool:
    """Whether ``member`` holds every certificate in ``needed``, each valid on ``day``."""
    valid = dict(member.certificates)
    return all(code in valid and valid[code] >= day for code in needed)


class FleetCache:
    """The on-duty fleet as last read, for fast searches between reads.

    Searching needs only a recent picture; correctness comes from the database,
    which re-checks the chosen technician inside the offer's transaction. Offers
    made by this process mark their technician busy at once; everything else
    (other processes, duty and capacity changes) shows at the next read. The bot
    re-reads it in the background (bot.app, every ``max_age / 2``), so a request
    reads it itself only when that has fallen behind.
    """

    def __init__(self, max_age: timedelta = timedelta(seconds=10)) -> None:
        self.max_age = max_age
        self._fleet: Fleet | None = None
        self._read_at: datetime | None = None

    def current(self, now: datetime) -> Fleet | None:
        if self._fleet is None or self._read_at is None or now - self._read_at > self.max_age:
            return None
        return self._fleet

    def store(self, fleet: Fleet, now: datetime) -> Fleet:
        self._fleet, self._read_at = fleet, now
        return fleet

    def invalidate(self) -> None:
        self._fleet = None


def should_batch(idle_technicians: int, waiting_jobs: int) -> bool:
    """Offer at once while idle technicians outnumber waiting jobs; otherwise solve in batches.

    A single waiting job is always offered at once: for one job, greedy is optimal.
    """
    return waiting_jobs > 1 and waiting_jobs >= idle_technicians


def assign_backlog(
    jobs: Sequence[Job], fleet: Fleet, weights: Weights, *, among: int = 64
) -> list[Choice]:
    """Waiting jobs x idle technicians, solved together for the least total cost.

    Each job considers its ``among`` nearest eligible technicians (all of them in a
    small fleet), so the matrix stays small whatever the fleet size.
    """
    if not jobs or not len(fleet):
        return []
    found = [fleet._nearest(job, among) for job in jobs]
    members = (
        np.unique(np.concatenate([idx for idx, _ in found]))
        if found
        else np.empty(0, dtype=np.intp)
    )
    if not len(members):
        return []
    column_of = {int(m): c for c, m in enumerate(members)}
    matrix = np.full((len(jobs), len(members)), UNFIT)
    distance = np.zeros_like(matrix)
    for row, (job, (idx, km)) in enumerate(zip(jobs, found, strict=True)):
        columns = np.fromiter((column_of[int(i)] for i in idx), dtype=np.intp, count=len(idx))
        matrix[row, columns] = cost(km, fleet.open_jobs[idx], job.waiting_minutes, weights)
        distance[row, columns] = km
    rows, cols = linear_sum_assignment(matrix)
    return [
        Choice(
            jobs[r].ticket_id,
            int(fleet.ids[members[c]]),
            float(distance[r, c]),
            float(matrix[r, c]),
        )
        for r, c in zip(rows, cols, strict=True)
        if matrix[r, c] < UNFIT
    ]
