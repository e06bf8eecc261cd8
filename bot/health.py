"""``/healthz``: is this desk answering its customers? (served by bot.web)

Unhealthy (HTTP 503, with the reasons) when the database does not answer, Telegram does
not answer, a due message has waited longer than ``[health] outbox_max_wait_seconds``, or
a received update has waited longer than ``inbox_max_wait_seconds`` to be handled. The
figures read for it are the ones ``/metrics`` shows.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from telegram import Bot

from bot.metrics import DeskMetrics, waited
from bot.sections import HealthSettings
from dispatch.clock import Clock
from storage.uow import UnitOfWorkFactory

__all__ = ["Health", "HealthCheck"]

log = logging.getLogger(__name__)

# Telegram counts as reachable when it answered a call this recently; otherwise it is asked.
TELEGRAM_FRESH_SECONDS = 60.0
CHECK_TIMEOUT_SECONDS = 5.0


@dataclass
class Health:
    reasons: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.reasons

    def as_json(self) -> dict[str, Any]:
        return {"status": "ok" if self.ok else "unhealthy", "reasons": self.reasons, **self.figures}


@dataclass
class HealthCheck:
    uow: UnitOfWorkFactory
    clock: Clock
    bot: Bot
    metrics: DeskMetrics
    limits: HealthSettings

    async def check(self, *, ask_telegram: bool = True) -> Health:
        health = Health()
        await self._database(health)
        if ask_telegram:
            await self._telegram(health)
        return health

    async def _database(self, health: Health) -> None:
        now = self.clock.now()
        try:
            backlog = await asyncio.wait_for(
                self.metrics.refresh(self.uow, now), CHECK_TIMEOUT_SECONDS
            )
        except Exception as exc:  # any driver error or the time-out: that is the finding
            health.figures["database"] = "unreachable"
            health.reasons.append(f"database: {_first_line(exc)}")
            return
        health.figures["database"] = "ok"
        outbox_wait = waited(now, backlog.outbox_oldest_due_at)
        inbox_wait = waited(now, backlog.inbox_oldest_received_at)
        health.figures.update(
            outbox_due=backlog.outbox_due,
            outbox_oldest_seconds=round(outbox_wait, 1),
            inbox_unfinished=backlog.inbox_unfinished,
            inbox_oldest_seconds=round(inbox_wait, 1),
            offers_pending=backlog.offers_pending,
        )
        if outbox_wait > self.limits.outbox_max_wait_seconds:
            health.reasons.append(
                f"outbox: a due message has waited {outbox_wait:.0f} s "
                f"(limit {self.limits.outbox_max_wait_seconds} s)"
            )
        if inbox_wait > self.limits.inbox_max_wait_seconds:
            health.reasons.append(
                f"inbox: an update has waited {inbox_wait:.0f} s to be handled "
                f"(limit {self.limits.inbox_max_wait_seconds} s)"
            )

    async def _telegram(self, health: Health) -> None:
        answered = self.metrics.telegram_answered_at
        if answered is None or self.metrics.monotonic() - answered > TELEGRAM_FRESH_SECONDS:
            try:
                await asyncio.wait_for(self.bot.get_me(), CHECK_TIMEOUT_SECONDS)
            except Exception as exc:  # a network error, a refusal or the time-out
                health.figures["telegram"] = "unreachable"
                health.reasons.append(f"telegram: {_first_line(exc)}")
                return
        health.figures["telegram"] = "ok"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
