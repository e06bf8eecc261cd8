"""Messages the domain wants sent, kept language-neutral until they leave.

The domain names a text by its English source (a gettext msgid, marked with
:func:`N_` so that Babel extracts it) plus parameters; the outbox stores that,
and the sender renders it in the recipient's language at delivery time, so a
user who switches language meanwhile still reads their own.

A parameter is a plain value, a :class:`Msg` (another msgid, translated too) or
an :class:`At` (a moment, shown in the configured time zone).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from dispatch.catalogue import Localized

__all__ = [
    "N_",
    "At",
    "Button",
    "Day",
    "Msg",
    "Outgoing",
    "Param",
    "params_from_json",
    "params_to_json",
]


def N_(msgid: str) -> str:
    """Mark ``msgid`` for extraction without translating it here."""
    return msgid


@dataclass(frozen=True)
class Msg:
    """A text inside a text: translated too, with its own (plain) parameters."""

    msgid: str
    params: Mapping[str, str | int | float] = field(default_factory=dict)


@dataclass(frozen=True)
class At:
    moment: datetime


@dataclass(frozen=True)
class Day:
    """A calendar day, shown without a time (``Mon, Nov 23`` / ``11月23日周一``)."""

    day: date


Param = str | int | float | Msg | At | Day | Localized


@dataclass(frozen=True)
class Button:
    """An inline button: ``label`` is a msgid, ``data`` the callback (≤ 64 bytes, ASCII)."""

    label: str
    data: str | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        if (self.data is None) == (self.url is None):
            raise ValueError("a button has either callback data or a url")
        if self.data is not None and (len(self.data.encode()) > 64 or not self.data.isascii()):
            raise ValueError(f"callback data must be ASCII and at most 64 bytes: {self.data!r}")


@dataclass(frozen=True)
class Outgoing:
    """One message to one user, written to the outbox in the transaction that caused it."""

    user_id: int
    text: str
    params: Mapping[str, Param] = field(default_factory=dict)
    buttons: tuple[tuple[Button, ...], ...] = ()
    ticket_id: int | None = None
    dedup_key: str | None = None
    not_before: datetime | None = None
    # Other kinds than a text: "location" (``location``), "photos" (``media``: Telegram
    # file ids), "service_report" (the PDF of ``ticket_id``, made when it is sent).
    kind: str = "text"
    location: tuple[float, float] | None = None
    media: tuple[str, ...] = ()


def params_to_json(params: Mapping[str, Param]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, Msg):
            out[key] = {"msg": value.msgid, "params": dict(value.params)}
        elif isinstance(value, At):
            out[key] = {"at": value.moment.isoformat()}
        elif isinstance(value, Day):
            out[key] = {"day": value.day.isoformat()}
        elif isinstance(value, Localized):
            out[key] = {
                "named": {"en": value.en, "zh_Hans": value.zh_Hans, "zh_Hant": value.zh_Hant}
            }
        else:
            out[key] = value
    return out


def params_from_json(data: Mapping[str, Any]) -> dict[str, Param]:
    out: dict[str, Param] = {}
    for key, value in data.items():
        if isinstance(value, dict) and "msg" in value:
            out[key] = Msg(str(value["msg"]), dict(value.get("params") or {}))
        elif isinstance(value, dict) and "at" in value:
            out[key] = At(datetime.fromisoformat(str(value["at"])))
        elif isinstance(value, dict) and "day" in value:
            out[key] = Day(date.fromisoformat(str(value["day"])))
        elif isinstance(value, dict) and "named" in value:
            out[key] = Localized(**value["named"])
        else:
            out[key] = value
    return out
