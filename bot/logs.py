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

__all__ = ["LoggingSettings", "configure"]

TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Libraries that say too much at INFO: the HTTP client logs every call to Telegram, and
# APScheduler two lines per job run (the fleet job runs every 5 s: some 35,000 lines a
# day that say nothing). Their warnings and errors still show.
CHATTY = ("httpx", "alembic", "apscheduler")


class LoggingSettings(Section):
    format: Literal["text", "json"] = "text"
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


def configure(settings: LoggingSettings | None = None) -> None:
    """One handler on stderr in the chosen format; the chatty libraries at WARNING."""
    settings = settings or LoggingSettings()
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
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.level)
    for name in CHATTY:
        logging.getLogger(name).setLevel(logging.WARNING)
