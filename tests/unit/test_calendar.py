"""Working days of the operator's calendar: China's 2026 Spring Festival and National Day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from dispatch.calendar import WorkCalendar
from dispatch.policy import DeskPolicy
from dispatch.sla import Limit, Unit

SHANGHAI = ZoneInfo("Asia/Shanghai")
CN = WorkCalendar("CN", SHANGHAI, office_close=time(17, 30))


def local(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def test_spring_festival_2026() -> None:
    assert CN.is_working_day(date(2026, 2, 14))  # a Saturday worked in exchange
    for day in range(15, 24):
        assert not CN.is_working_day(date(2026, 2, day)), day
    assert CN.is_working_day(date(2026, 2, 24))


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (local(2026, 2, 13), 1, local(2026, 2, 14, 17, 30)),  # Friday -> the make-up Saturday
        (local(2026, 2, 13), 2, local(2026, 2, 24, 17, 30)),  # ... then over the whole holiday
        (local(2026, 2, 16), 1, local(2026, 2, 24, 17, 30)),  # reported during the holiday
        (local(2026, 2, 16), 3, local(2026, 2, 26, 17, 30)),
        (local(2026, 9, 30), 1, local(2026, 10, 8, 17, 30)),  # National Day week
        (local(2026, 9, 19), 1, local(2026, 9, 20, 17, 30)),  # Sunday 20 Sept is worked
        (local(2026, 10, 9), 1, local(2026, 10, 10, 17, 30)),  # and Saturday 10 Oct too
        (local(2026, 11, 22), 2, local(2026, 11, 24, 17, 30)),  # an ordinary Sunday
    ],
)
def test_working_day_deadlines(start: datetime, days: int, due: datetime) -> None:
    assert CN.due(start.astimezone(UTC), Limit(days, Unit.WORKING_DAYS)) == due.astimezone(UTC)


def test_hour_limits_run_round_the_clock_through_holidays() -> None:
    start = local(2026, 2, 16).astimezone(UTC)
    assert CN.due(start, Limit(24, Unit.HOURS)) == start + timedelta(hours=24)


def test_company_days_override_the_public_calendar() -> None:
    calendar = WorkCalendar(
        "CN", SHANGHAI, overrides={date(2026, 11, 23): False, date(2026, 11, 29): True}
    )
    assert calendar.due(local(2026, 11, 22).astimezone(UTC), Limit(1, Unit.WORKING_DAYS)) == local(
        2026, 11, 24, 17, 30
    ).astimezone(UTC)
    assert calendar.is_working_day(date(2026, 11, 29))  # a Sunday the company works


def test_unpublished_years_are_known() -> None:
    assert CN.published(2026) and not CN.published(2027)
    assert WorkCalendar("HK", ZoneInfo("Asia/Hong_Kong")).published(2030)


@pytest.mark.parametrize(
    ("moment", "until"),
    [
        (local(2026, 11, 22, 22), local(2026, 11, 23, 9)),
        (local(2026, 11, 23, 8, 59), local(2026, 11, 23, 9)),
        (local(2026, 11, 23, 9), None),
        (local(2026, 11, 23, 20, 59), None),
    ],
)
def test_quiet_hours(moment: datetime, until: datetime | None) -> None:
    policy = DeskPolicy(zone=SHANGHAI)
    expected = until.astimezone(UTC) if until else None
    assert policy.quiet_until(moment.astimezone(UTC)) == expected


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        (local(2026, 11, 23, 10), local(2026, 11, 23, 12, 30), 2.5),  # within one morning
        (local(2026, 11, 23, 16), local(2026, 11, 24, 10), 2.5),  # 1.5 h, the night, 1 h
        (local(2026, 11, 21, 12), local(2026, 11, 23, 10), 1.0),  # Saturday noon to Monday
        (local(2026, 11, 23, 7), local(2026, 11, 23, 8, 30), 0.0),  # before the office opens
        (local(2026, 11, 23, 18), local(2026, 11, 23, 20), 0.0),  # after it closes
        (local(2026, 2, 13, 17), local(2026, 2, 24, 9, 30), 9.5),  # 0.5 + Sat 14: 8.5 + 0.5
        (local(2026, 11, 23, 12), local(2026, 11, 23, 11), 0.0),  # the wrong way round
    ],
)
def test_office_hours_between_two_moments(start: datetime, end: datetime, hours: float) -> None:
    assert CN.working_hours(start, end) == pytest.approx(hours)
    # The same moments in UTC: the office's hours are the desk's local ones.
    assert CN.working_hours(start.astimezone(UTC), end.astimezone(UTC)) == pytest.approx(hours)
