"""Pacing what the bot sends: a token bucket per chat (Telegram allows about one message a
second to a private chat, 20 a minute to a group), shared by everything that sends to
that chat, and how long a ``RetryAfter`` asks to wait."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from datetime import timedelta

from telegram.error import RetryAfter

__all__ = ["ChatPacer", "retry_after_seconds"]


class ChatPacer:
    """A token bucket per chat: ``burst`` at once, then ``per_second``."""

    def __init__(
        self,
        *,
        burst: float = 1,
        per_second: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.burst = burst
        self.per_second = per_second
        self.monotonic = monotonic
        self._buckets: dict[int, tuple[float, float]] = {}
        self._paused_until: dict[int, float] = {}

    def take(self, chat_id: int) -> bool:
        now = self.monotonic()
        if self._paused_until.get(chat_id, 0.0) > now:
            return False
        tokens, last = self._buckets.get(chat_id, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.per_second)
        if tokens < 1:
            self._buckets[chat_id] = (tokens, now)
            return False
        self._buckets[chat_id] = (tokens - 1, now)
        return True

    def wait_time(self, chat_id: int) -> float:
        """Seconds until this chat may be sent to again (0 when it may now)."""
        now = self.monotonic()
        paused = self._paused_until.get(chat_id, 0.0) - now
        tokens, last = self._buckets.get(chat_id, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.per_second)
        refill = 0.0 if tokens >= 1 else (1 - tokens) / self.per_second
        return max(paused, refill, 0.0)

    def pause(self, chat_id: int, seconds: float) -> None:
        self._paused_until[chat_id] = self.monotonic() + seconds


def retry_after_seconds(error: RetryAfter) -> float:
    """How long Telegram asks to wait, in seconds."""
    with warnings.catch_warnings():  # PTB 22 warns that this becomes a timedelta
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
