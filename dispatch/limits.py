"""Per-customer limits against floods: at most ``requests_per_hour`` new requests (counted
from the audit log, so every process and every restart agrees) and ``messages_per_minute``
updates (counted in memory by the process taking them; a flood is a matter of seconds).
Each time a limit stops someone, the audit log records it (``user.limited``)."""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta
from enum import Enum

from dispatch.errors import InvalidInput
from dispatch.messages import N_, At
from dispatch.model import Event, EventKind
from dispatch.ports import UnitOfWork

__all__ = [
    "REQUESTS_WINDOW",
    "Admission",
    "MessageGate",
    "TooManyRequests",
    "check_new_request",
    "note_limited",
]

REQUESTS_WINDOW = timedelta(hours=1)
MESSAGES_WINDOW_SECONDS = 60.0
PRUNE_ABOVE = 10_000  # users with a window kept before the idle ones are dropped

REQUESTS_LIMITED = N_(
    "You have sent {count} requests in the last hour, the most we take in one hour. "
    "Your request is kept: tap ✅ Confirm and send again after {time}."
)


class TooManyRequests(InvalidInput):
    def __init__(self, count: int, until: datetime) -> None:
        super().__init__(REQUESTS_LIMITED, count=count, time=At(until))
        self.count = count
        self.until = until


async def check_new_request(uow: UnitOfWork, customer_id: int, now: datetime, limit: int) -> None:
    """Raises TooManyRequests when the customer opened ``limit`` requests in the last hour;
    it says when the oldest of them leaves the hour."""
    made = sorted(await uow.events.made_by(customer_id, EventKind.CREATED, now - REQUESTS_WINDOW))
    if len(made) >= limit:
        raise TooManyRequests(limit, made[-limit] + REQUESTS_WINDOW)


async def note_limited(uow: UnitOfWork, user_id: int, limit: str, at: datetime) -> None:
    """The audit log's line for a limit that stopped ``user_id``."""
    async with uow:
        await uow.events.add(
            Event(
                kind=EventKind.USER_LIMITED,
                created_at=at,
                actor_id=user_id,
                details={"limit": limit},
            )
        )
        await uow.commit()


class Admission(Enum):
    ADMIT = "admit"
    TELL = "tell"  # the first update over the limit: say so once
    DROP = "drop"  # later ones in the same minute: nothing more is said


class MessageGate:
    """A sliding minute per user: updates past ``per_minute`` are not read."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._seen: dict[int, deque[float]] = {}
        self._told: dict[int, float] = {}

    def __len__(self) -> int:
        """How many users' windows are kept."""
        return len(self._seen)

    def admit(self, user_id: int, now: float) -> Admission:
        if len(self._seen) > PRUNE_ABOVE:
            self._forget_idle(now)
        seen = self._seen.setdefault(user_id, deque())
        while seen and seen[0] <= now - MESSAGES_WINDOW_SECONDS:
            seen.popleft()
        if len(seen) < self.per_minute:
            seen.append(now)
            self._told.pop(user_id, None)
            return Admission.ADMIT
        if now - self._told.get(user_id, -MESSAGES_WINDOW_SECONDS) >= MESSAGES_WINDOW_SECONDS:
            self._told[user_id] = now
            return Admission.TELL
        return Admission.DROP

    def _forget_idle(self, now: float) -> None:
        """Users silent for a whole minute need no window: kept memory stays bounded."""
        idle = [
            u
            for u, seen in self._seen.items()
            if not seen or seen[-1] <= now - MESSAGES_WINDOW_SECONDS
        ]
        for user_id in idle:
            del self._seen[user_id]
            self._told.pop(user_id, None)
