"""The bot's log: quiet by default, as text or as one JSON object a line.

A handled update writes nothing; a line means something an operator may act on (start,
errors, Telegram refusing a call). ``[logging] format = "json"`` writes each line as a
JSON object (time, level, logger, message, and any extra fields) for a log collector,
through python-json-logger. Lines name users and chats by their ids; an error's
traceback is the one place that may hold what the failing code was handling.
"""

from __future__ import annotations

import logging
from typing import Literal

from pythonjsonlogger.json import JsonFormatter

from bot.lists_settings import Section

__all__ = ["LoggingSettings", "configure", "unconfigure"]

TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Libraries that say too much at INFO: the HTTP client logs every call to Telegram, and
# APScheduler two lines per job run (the fleet job runs every 5 s: some 35,000 lines a
# day that say nothing). Their warnings and errors still show.
CHATTY = ("httpx", "alembic", "apscheduler")


class LoggingSettings(Section):
    format: Literal["text", "json"] = "text"
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


def configure(settings: LoggingSettings | None = None, *, force: bool = False) -> None:
    """Our handler on stderr in the chosen format, and the chatty libraries at WARNING.
    Like logging.basicConfig, it leaves alone a process whose logging someone else set up
    (a test runner, an embedding program), unless ``force``."""
    global _ours
    settings = settings or LoggingSettings()
    root = logging.getLogger()
    others = [h for h in root.handlers if h is not _ours]
    if others and not force:
        return
    handler = logging.StreamHandler()
    if settings.format == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT))
    if _ours is not None:
        root.removeHandler(_ours)
    root.addHandler(handler)
    _ours = handler
    root.setLevel(settings.level)
    for name in CHATTY:
        logging.getLogger(name).setLevel(logging.WARNING)
    # A missing font weight is told once per chart: the charts still draw.
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    # PTB's limiter writes a traceback for every 429 it passes on; bot.replies and the
    # outbox wait and retry (at INFO), so it is no error of ours.
    logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)


def unconfigure() -> None:
    """Our handler removed (tests)."""
    global _ours
    if _ours is not None:
        logging.getLogger().removeHandler(_ours)
        _ours = None


_ours: logging.Handler | None = None
