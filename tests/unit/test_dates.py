"""Dates as people type them: read, or refused with the reason."""

from __future__ import annotations

from datetime import date

import pytest

from dispatch.dates import read_date
from dispatch.errors import InvalidInput
from dispatch.messages import Day

TODAY = date(2026, 11, 27)


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("2026-11-20", date(2026, 11, 20)),
        ("2026/11/20", date(2026, 11, 20)),
        ("2026.11.3", date(2026, 11, 3)),
        ("20261120", date(2026, 11, 20)),
        ("2026年11月20日", date(2026, 11, 20)),
        ("２０２６年１１月２０日", date(2026, 11, 20)),  # full-width digits from a Chinese keyboard
        ("2026 年 2 月 3 号", date(2026, 2, 3)),
        ("11月20日", date(2026, 11, 20)),
        ("12月20日", date(2025, 12, 20)),  # a purchase: the last 20 December, not the next
        ("20/11/2026", date(2026, 11, 20)),  # only day-first makes a day
        ("11/20/2026", date(2026, 11, 20)),  # only month-first makes a day
        ("5/5/2026", date(2026, 5, 5)),
        ("昨天", date(2026, 11, 26)),
        ("Yesterday", date(2026, 11, 26)),
        ("前天", date(2026, 11, 25)),
        ("today", TODAY),
    ],
)
def test_the_forms_people_type_are_read(typed: str, day: date) -> None:
    assert read_date(typed, TODAY, past=True) == day


def test_a_day_without_a_year_looks_ahead_for_a_visit_and_back_for_a_purchase() -> None:
    assert read_date("1月5日", TODAY, past=False) == date(2027, 1, 5)
    assert read_date("1月5日", TODAY, past=True) == date(2026, 1, 5)
    assert read_date("2月29日", TODAY, past=True) == date(2024, 2, 29)


@pytest.mark.parametrize("typed", ["2026年2月30日", "2026-13-01", "31/4/2026", "2月30日"])
def test_a_day_that_does_not_exist_is_named_as_such(typed: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        read_date(typed, TODAY, past=True)
    assert refused.value.message.startswith("There is no such day:")


def test_a_date_that_reads_both_ways_is_refused_with_both_readings() -> None:
    with pytest.raises(InvalidInput) as refused:
        read_date("03/04/2026", TODAY, past=True)
    assert refused.value.params["first"] == Day(date(2026, 4, 3))
    assert refused.value.params["second"] == Day(date(2026, 3, 4))


@pytest.mark.parametrize("typed", ["last spring", "2026", "11/2026", ""])
def test_what_is_no_date_gets_the_format(typed: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        read_date(typed, TODAY, past=True)
    assert refused.value.message.startswith("Please write the date as year-month-day")


@pytest.mark.parametrize(
    ("text", "ahead", "before"),
    [
        ("12-01", date(2026, 12, 1), date(2025, 12, 1)),  # month first, as China writes it
        ("12.1", date(2026, 12, 1), date(2025, 12, 1)),
        ("20/11", date(2027, 11, 20), date(2026, 11, 20)),  # only one reading is a day
    ],
)
def test_a_day_without_its_year_is_the_nearest_one(text: str, ahead: date, before: date) -> None:
    today = date(2026, 11, 22)
    assert read_date(text, today, past=False) == ahead
    assert read_date(text, today, past=True) == before


def test_a_slash_day_that_reads_both_ways_is_asked_about() -> None:
    with pytest.raises(InvalidInput) as refused:
        read_date("12/1", date(2026, 11, 22), past=False)
    assert refused.value.params["first"] == Day(date(2026, 12, 1))
    assert refused.value.params["second"] == Day(date(2027, 1, 12))
