"""Messages the domain wants sent, kept language-neutral until they leave.

The domain names a text by its English source (a gettext msgid, marked with
:func:`N_` so that Babel extracts it) plus parameters; the outbox stores that,
and the sender renders it in the recipient's language at delivery time, so a
user who switches language meanwhile still reads their own.

A parameter is a plain value, a :class:`Msg` (another msgid, translated too), an
:class:`At` (a moment, shown in the configured time zone), or another value the reader's
language writes its own way (:class:`Day`, :class:`Month`, :class:`Money`, :class:`Number`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from dispatch.model import Localized

__all__ = [
    "N_",
    "At",
    "Button",
    "Day",
    "Delta",
    "Money",
    "Month",
    "Msg",
    "Number",
    "Outgoing",
    "Param",
    "listed",
    "params_from_json",
    "params_to_json",
]


def N_(msgid: str) -> str:
    """Mark ``msgid`` for extraction without translating it here."""
    return msgid


@dataclass(frozen=True)
class Msg:
    """A text inside a text: translated too, with its own parameters (any Param)."""

    msgid: str
    params: Mapping[str, Param] = field(default_factory=dict)


@dataclass(frozen=True)
class At:
    moment: datetime


@dataclass(frozen=True)
class Money:
    """An amount in a currency (ISO 4217), written as the reader's language writes money
    (``CN¥50.00`` / ``¥50.00`` / ``HK$50.00``)."""

    amount: float
    currency: str


@dataclass(frozen=True)
class Day:
    """A calendar day, shown without a time (``Mon, Nov 23`` / ``11月23日周一``); with
    ``year``, a date that may lie in another year (``Nov 28, 2027`` / ``2027年11月28日``)."""

    day: date
    year: bool = False


@dataclass(frozen=True)
class Delta:
    """Time from now, as the reader's language says it: ``in 3 hours`` / ``3小时后``, or
    ``2 hours ago`` / ``2小时前`` when negative (how much of a limit is left)."""

    seconds: float


@dataclass(frozen=True)
class Month:
    """A month of a year, as the reader's language names it (``November 2026`` /
    ``2026年11月``): the period of a report."""

    year: int
    month: int


@dataclass(frozen=True)
class Number:
    """A measure (kilometres, metres, hours, a percentage) with ``digits`` decimals at most,
    written with the reader's separators by Babel, never by Python's format spec."""

    value: float
    digits: int = 1


@dataclass(frozen=True)
class Lines:
    """Several texts, one per line (a digest)."""

    items: tuple[Param, ...]


Param = str | int | float | Msg | At | Day | Delta | Money | Month | Number | Localized | Lines


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


def listed(items: Sequence[Param]) -> Param:
    """Several things after a label: none, one on the label's line, or several on lines
    of their own (the service record's parts and fees, on both sides)."""
    if not items:
        return Msg(N_("none"))
    if len(items) == 1:
        return items[0]
    return Lines(("", *(Msg(N_("• {item}"), {"item": item}) for item in items)))


def _to_json(value: Param) -> Any:
    if isinstance(value, Msg):
        return {"msg": value.msgid, "params": params_to_json(value.params)}
    if isinstance(value, At):
        return {"at": value.moment.isoformat()}
    if isinstance(value, Day):
        return {"day": value.day.isoformat(), **({"year": True} if value.year else {})}
    if isinstance(value, Money):
        return {"money": value.amount, "currency": value.currency}
    if isinstance(value, Delta):
        return {"delta": value.seconds}
    if isinstance(value, Month):
        return {"month": [value.year, value.month]}
    if isinstance(value, Number):
        return {"number": value.value, "digits": value.digits}
    if isinstance(value, Localized):
        return {"named": {"en": value.en, "zh_Hans": value.zh_Hans, "zh_Hant": value.zh_Hant}}
    if isinstance(value, Lines):
        return {"lines": [_to_json(item) for item in value.items]}
    return value


def params_to_json(params: Mapping[str, Param]) -> dict[str, Any]:
    return {key: _to_json(value) for key, value in params.items()}


def _from_json(value: Any) -> Param:
    if isinstance(value, dict):
        if "msg" in value:
            return Msg(str(value["msg"]), params_from_json(value.get("params") or {}))
        if "at" in value:
            return At(datetime.fromisoformat(str(value["at"])))
        if "day" in value:
            return Day(date.fromisoformat(str(value["day"])), bool(value.get("year")))
        if "money" in value:
            return Money(float(value["money"]), str(value["currency"]))
        if "delta" in value:
            return Delta(float(value["delta"]))
        if "month" in value:
            return Month(*(int(part) for part in value["month"]))
        if "number" in value:
            return Number(float(value["number"]), int(value["digits"]))
        if "named" in value:
            return Localized(**value["named"])
        if "lines" in value:
            return Lines(tuple(_from_json(item) for item in value["lines"]))
    return value  # type: ignore[no-any-return]


def params_from_json(data: Mapping[str, Any]) -> dict[str, Param]:
    return {key: _from_json(value) for key, value in data.items()}
