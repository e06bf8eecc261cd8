"""Dates as people type them, read into a day or refused with the reason.

``2026-11-20``, ``2026/11/20``, ``2026.11.20``, ``20261120``, ``2026年11月20日``,
``11月20日``, ``11-20`` and ``11.20`` (month first, as Chinese dates are written: the
nearest such day), ``20/11`` where only one reading makes a day, ``20/11/2026`` and ``11/20/2026`` where only one
reading makes a day, and ``today`` / ``yesterday`` / ``今天`` / ``昨天`` / ``前天``.
A day that does not exist, or a slash date that reads both ways, is refused with a
message that says so, rather than by repeating the expected format.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

from dispatch.errors import InvalidInput
from dispatch.messages import N_, Day

__all__ = ["read_date"]

_RELATIVE = {
    "today": 0,
    "今天": 0,
    "今日": 0,
    "yesterday": -1,
    "昨天": -1,
    "昨日": -1,
    "the day before yesterday": -2,
    "前天": -2,
    "tomorrow": 1,
    "明天": 1,
    "明日": 1,
}
_SEP = r"\s*[-/.年]\s*"
_YEAR_FIRST = re.compile(
    rf"^(\d{{4}}){_SEP}(\d{{1,2}}){_SEP.replace('年', '月')}(\d{{1,2}})\s*[日号號]?$"
)
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_NO_YEAR = re.compile(r"^(\d{1,2})\s*(?:月|[-.])\s*(\d{1,2})\s*[日号號]?$")
_NO_YEAR_SLASH = re.compile(r"^(\d{1,2})\s*/\s*(\d{1,2})$")
_YEAR_LAST = re.compile(r"^(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{4})$")


def _day(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise InvalidInput(
            N_("There is no such day: {year}-{month}-{day}. Please check the day and the month."),
            year=year,
            month=month,
            day=day,
        ) from None


def _exists(month: int, day: int) -> bool:
    try:
        date(2024, month, day)  # a day of no year at all (2024 has a 29 February)
    except ValueError:
        return False
    return True


def _nearest(month: int, day: int, today: date, past: bool) -> date:
    """The nearest such day in the past (``past``) or from today on."""
    _day(2024, month, day)
    step = -1 if past else 1
    for offset in range(9):  # a 29 February can be up to 8 years away
        try:
            candidate = date(today.year + step * offset, month, day)
        except ValueError:
            continue
        if (candidate <= today) if past else (candidate >= today):
            return candidate
    raise AssertionError("a day of the year recurs within 9 years")


def read_date(text: str, today: date, *, past: bool) -> date:
    """The day ``text`` means; a year left out is the nearest such day in the past
    (``past``) or from today on."""
    cleaned = unicodedata.normalize("NFKC", text).strip().lower()  # full-width digits too
    if cleaned in _RELATIVE:
        return today + timedelta(days=_RELATIVE[cleaned])
    if match := _YEAR_FIRST.match(cleaned) or _COMPACT.match(cleaned):
        return _day(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    if match := _NO_YEAR.match(cleaned):
        return _nearest(int(match.group(1)), int(match.group(2)), today, past)
    if match := _NO_YEAR_SLASH.match(cleaned):
        first, second = int(match.group(1)), int(match.group(2))
        month_days = list(
            dict.fromkeys((m, d) for m, d in ((first, second), (second, first)) if _exists(m, d))
        )
        if len(month_days) == 1:
            return _nearest(*month_days[0], today, past)
        if len(month_days) == 2:
            raise InvalidInput(
                N_(
                    "{text} could be {first} or {second}. Please write the year first, for example {example}."
                ),
                text=text.strip(),
                first=Day(_nearest(*month_days[0], today, past)),
                second=Day(_nearest(*month_days[1], today, past)),
                example=today.isoformat(),
            )
        _day(2024, first, second)  # neither reading exists: say so
    if match := _YEAR_LAST.match(cleaned):
        first, second, year = (int(g) for g in match.groups())
        readings = []
        for month, day in ((second, first), (first, second)):  # day first, then month first
            try:
                readings.append(date(year, month, day))
            except ValueError:
                continue
        readings = list(dict.fromkeys(readings))
        if len(readings) == 1:
            return readings[0]
        if len(readings) == 2:
            raise InvalidInput(
                N_(
                    "{text} could be {first} or {second}. Please write the year first, for example {example}."
                ),
                text=text.strip(),
                first=Day(readings[0]),
                second=Day(readings[1]),
                example=today.isoformat(),
            )
        return _day(year, second, first)  # neither reading exists: say so
    raise InvalidInput(
        N_("Please write the date as year-month-day, for example {example}."),
        example=today.isoformat(),
    )
