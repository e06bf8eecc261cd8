"""The working-day calendar: weekends, public holidays and make-up working days (调休).

Built on the ``holidays`` package for the configured country, with ``is_working_day``
(never ``day in holidays``: a make-up Saturday is a holiday-calendar day that is
worked). Company or local days are overrides that win over the package.

A limit in working days ends at the close of office hours on the Nth working day
after the day it starts (that day itself does not count). For a year whose
arrangement the government has not published yet, the package estimates; such a
deadline is flagged (``published``) so that managers can be warned.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from dispatch.sla import Limit

__all__ = ["WorkCalendar"]

# Countries whose working days move every year by decree (调休), published late in
# the year before: without that decree the package's answer is only an estimate.
DECREED = {"CN", "TW"}


@lru_cache(maxsize=8)
def _country(code: str) -> holidays.HolidayBase:
    return holidays.country_holidays(code)


class WorkCalendar:
    def __init__(
        self,
        country: str,
        zone: ZoneInfo,
        *,
        office_open: time = time(9, 0),
        office_close: time = time(17, 30),
        overrides: Mapping[date, bool] | None = None,
    ) -> None:
        self.country = country
        self.zone = zone
        self.office_open = office_open
        self.office_close = office_close
        self.overrides: dict[date, bool] = dict(overrides or {})

    def is_working_day(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        return bool(_country(self.country).is_working_day(day))

    def published(self, year: int) -> bool:
        """Whether the official arrangement of ``year`` is known (always, outside CN / TW)."""
        if self.country not in DECREED:
            return True
        # The package's table of decreed days, by year. (Never call its _populate: filling
        # a year twice adds phantom "observed" holidays.)
        return year in _country(self.country).special_public_holidays

    def add_working_days(self, start: datetime, days: float) -> datetime:
        """The close of office hours on the ``days``-th working day after ``start``'s day."""
        day = start.astimezone(self.zone).date()
        remaining = max(1, int(-(-days // 1)))  # whole working days, rounded up
        while remaining:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return datetime.combine(day, self.office_close, tzinfo=self.zone).astimezone(start.tzinfo)

    def working_hours(self, start: datetime, end: datetime) -> float:
        """Office hours on working days from ``start`` to ``end``: the clock of a first
        response, which stops at night, at weekends and on holidays."""
        first, last = start.astimezone(self.zone), end.astimezone(self.zone)
        seconds = 0.0
        day = first.date()
        while day <= last.date():
            if self.is_working_day(day):
                opens = datetime.combine(day, self.office_open, tzinfo=self.zone)
                closes = datetime.combine(day, self.office_close, tzinfo=self.zone)
                seconds += max(0.0, (min(closes, last) - max(opens, first)).total_seconds())
            day += timedelta(days=1)
        return seconds / 3600

    def due(self, start: datetime, limit: Limit) -> datetime:
        span = limit.round_the_clock
        return start + span if span is not None else self.add_working_days(start, limit.amount)
