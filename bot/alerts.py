"""Errors reach a person: a short notice to the operators' chats, not only the log.

A notice names the update, the place in our code where the error came from and the
kind of error; never what the user wrote, their name or their number (operators may
sit in a group chat). Notices are rate-limited, so a fault that repeats on every update
sends one notice per place and kind every ``quiet_for``, and never more than
``per_hour`` in all.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections import deque
from collections.abc import Callable
from pathlib import Path

from telegram import Bot
from telegram.error import TelegramError

from bot.i18n import Translator
from dispatch.messages import N_
from dispatch.model import Language

__all__ = ["OperatorAlerts", "where_it_failed"]

log = logging.getLogger(__name__)

_OURS = ("bot", "handlers", "dispatch", "storage")
_ROOT = Path(__file__).resolve().parent.parent


def where_it_failed(error: BaseException) -> str:
    """The innermost frame of our own code in the traceback: ``handlers/repair.py:120 (ask)``;
    without one, the innermost frame of all."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return "?"
    place = f"{Path(frames[-1].filename).name}:{frames[-1].lineno} ({frames[-1].name})"
    for frame in frames:
        try:
            relative = Path(frame.filename).resolve().relative_to(_ROOT)
        except ValueError:
            continue
        if relative.parts and relative.parts[0] in _OURS:
            place = f"{relative.as_posix()}:{frame.lineno} ({frame.name})"
    return place


class OperatorAlerts:
    def __init__(
        self,
        *,
        chats: tuple[int, ...],
        translator: Translator,
        language: Language,
        quiet_for: float = 600.0,
        per_hour: int = 20,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.chats = chats
        self.translator = translator
        self.language = language
        self.quiet_for = quiet_for
        self.per_hour = per_hour
        self.monotonic = monotonic
        self._last: dict[tuple[str, str], float] = {}
        self._sent: deque[float] = deque()

    def _allowed(self, key: tuple[str, str]) -> bool:
        now = self.monotonic()
        while self._sent and self._sent[0] <= now - 3600:
            self._sent.popleft()
        last = self._last.get(key)
        if (last is not None and now - last < self.quiet_for) or len(self._sent) >= self.per_hour:
            return False
        self._last[key] = now
        self._sent.append(now)
        return True

    async def tell(self, bot: Bot, update_id: int | None, error: BaseException) -> bool:
        """Send the notice to every operator chat, unless one like it went out just now."""
        place, kind = where_it_failed(error), type(error).__name__
        if not self.chats or not self._allowed((place, kind)):
            return False
        text = self.translator.gettext(
            self.language, N_("⚠️ Error while handling update {update}: {error} in {place}.")
        ).format(update=update_id if update_id is not None else "-", error=kind, place=place)
        for chat in self.chats:
            try:
                await bot.send_message(chat, text)
            except TelegramError:
                log.warning("could not tell operator chat %s of an error", chat, exc_info=True)
        return True
