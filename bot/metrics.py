"""The desk's Prometheus metrics (prometheus-client), served at ``/metrics`` (bot.web).

Counted where they happen: updates handled and their handling time (bot.inbox), Telegram's
429 answers (bot.replies, which every Bot API call passes). Read from the database at each
scrape (storage.readings), so the same in every process: the outbox's and the inbox's
backlog, pending offers, and the time-limit warnings and breaches by step (counted from
the sweep's events, from the first one the desk recorded).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from telegram import Update

from storage.readings import Backlog
from storage.uow import UnitOfWorkFactory

__all__ = ["CONTENT_TYPE", "DeskMetrics", "update_kind", "waited"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def update_kind(update: Update) -> str:
    """What an update carries: message, edited_message, callback_query, my_chat_member..."""
    for kind in Update.ALL_TYPES:
        if getattr(update, kind, None) is not None:
            return kind
    return "other"


class DeskMetrics:
    """One registry per Application (tests run several in one process)."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.monotonic = monotonic
        self.registry = registry = CollectorRegistry()
        self.updates = Counter(
            "aftercare_updates_handled",
            "Updates handled to the end, by what they carry",
            ["kind"],
            registry=registry,
        )
        self.handling = Histogram(
            "aftercare_update_handling_seconds",
            "Time from the start of an update's handling to its effects committed",
            ["kind"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=registry,
        )
        self.throttled = Counter(
            "aftercare_telegram_429",
            "Telegram's 429 Too Many Requests answers, by chat type (private, group, none)",
            ["chat_type"],
            registry=registry,
        )
        self.outbox_due = Gauge(
            "aftercare_outbox_due", "Messages due and not yet delivered", registry=registry
        )
        self.outbox_oldest = Gauge(
            "aftercare_outbox_oldest_seconds",
            "How long the longest-waiting due message has waited",
            registry=registry,
        )
        self.inbox_unfinished = Gauge(
            "aftercare_inbox_unfinished", "Updates received and not yet done", registry=registry
        )
        self.inbox_oldest = Gauge(
            "aftercare_inbox_oldest_seconds",
            "How long the oldest unfinished update has waited",
            registry=registry,
        )
        self.offers_pending = Gauge(
            "aftercare_offers_pending", "Job offers waiting for a technician", registry=registry
        )
        self.sla_warnings = Counter(
            "aftercare_sla_warnings",
            "Warnings before a time limit, by step",
            ["step"],
            registry=registry,
        )
        self.sla_breaches = Counter(
            "aftercare_sla_breaches", "Time limits missed, by step", ["step"], registry=registry
        )
        self.active = Gauge(
            "aftercare_active",
            "1 while this process takes the updates, 0 while it stands by",
            registry=registry,
        )
        self._last_alert_id = 0
        # When Telegram last answered a call (any answer but a network error or a 5xx).
        self.telegram_answered_at: float | None = None

    # Counted where they happen.

    def handled(self, kind: str, seconds: float) -> None:
        self.updates.labels(kind).inc()
        self.handling.labels(kind).observe(seconds)

    def telegram_answered(self) -> None:
        self.telegram_answered_at = self.monotonic()

    def telegram_throttled(self, chat_id: object) -> None:
        self.telegram_answered()
        self.throttled.labels(_chat_type(chat_id)).inc()

    # Read at each scrape.

    async def refresh(self, uow: UnitOfWorkFactory, now: datetime) -> Backlog:
        """Set the gauges and add the new warnings and breaches; returns the backlog."""
        async with uow() as work:
            backlog = await work.readings.backlog(now)
            alerts = await work.readings.sla_alerts_after(self._last_alert_id)
        self.outbox_due.set(backlog.outbox_due)
        self.outbox_oldest.set(waited(now, backlog.outbox_oldest_due_at))
        self.inbox_unfinished.set(backlog.inbox_unfinished)
        self.inbox_oldest.set(waited(now, backlog.inbox_oldest_received_at))
        self.offers_pending.set(backlog.offers_pending)
        for alert in alerts:
            (self.sla_breaches if alert.breach else self.sla_warnings).labels(alert.step).inc()
            self._last_alert_id = alert.event_id
        return backlog

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def waited(now: datetime, since: datetime | None) -> float:
    """Seconds from ``since`` to ``now`` (0 when nothing waits)."""
    return 0.0 if since is None else max(0.0, (now - since).total_seconds())


def _chat_type(chat_id: object) -> str:
    """Private chats have positive ids, groups negative ones (and ``@name`` for channels)."""
    if chat_id is None:
        return "none"
    try:
        return "private" if int(str(chat_id)) > 0 else "group"
    except ValueError:
        return "group"
