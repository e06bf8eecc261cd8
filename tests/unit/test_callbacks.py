"""The callback-data protocol: what a service writes is what a handler reads, in range."""

from __future__ import annotations

import re

import pytest

from dispatch import callbacks
from dispatch.callbacks import (
    ASSIGN_TO,
    DECLINE_REASON,
    LARGEST_ID,
    OFFER_ACCEPT,
    SURVEY_RATING,
    SURVEY_SKIP,
    Route,
)
from handlers.technician.offers import DECLINE_REASONS

ROUTES = {name: value for name, value in vars(callbacks).items() if isinstance(value, Route)}
assert len(ROUTES) == len(callbacks.ROUTES)


def test_every_route_reads_back_what_it_writes() -> None:
    assert OFFER_ACCEPT.data(42) == "of:acc:42"
    assert OFFER_ACCEPT.id("of:acc:42") == 42
    assert list(ASSIGN_TO.parse(ASSIGN_TO.data(7, LARGEST_ID))) == [7, LARGEST_ID]
    assert list(SURVEY_RATING.parse(SURVEY_RATING.data(3, "a", 5))) == [3, "a", "5"]
    assert SURVEY_SKIP.data(3) == "sv:3:skip"
    assert re.match(SURVEY_SKIP.pattern, "sv:3:skip")
    assert not re.match(SURVEY_RATING.pattern, "sv:3:skip")


@pytest.mark.parametrize(
    ("route", "data"),
    [
        (OFFER_ACCEPT, "of:acc:0"),
        (OFFER_ACCEPT, f"of:acc:{LARGEST_ID + 1}"),
        (OFFER_ACCEPT, "of:acc:99999999999999999999999"),
        (OFFER_ACCEPT, "of:dec:4"),
        (OFFER_ACCEPT, "of:acc:4:5"),
        (SURVEY_RATING, "sv:3:x:5"),
        (SURVEY_RATING, "sv:3:a:6"),
        (DECLINE_REASON, "of:why:3:bored"),
        (OFFER_ACCEPT, None),
    ],
)
def test_a_forged_or_stale_press_is_refused(route: Route, data: str | None) -> None:
    with pytest.raises(ValueError):
        route.parse(data)


def test_a_button_cannot_be_written_out_of_range_or_over_telegrams_limit() -> None:
    with pytest.raises(ValueError):
        OFFER_ACCEPT.data(0)
    with pytest.raises(ValueError):
        SURVEY_RATING.data(1, "z", 3)
    with pytest.raises(ValueError):
        Route("x" * 60, (callbacks.Id(),)).data(123456789)


def test_routes_do_not_overlap() -> None:
    """Each press reaches one handler: no route's data matches another route's pattern."""
    samples = {
        name: route.data(*[1 if isinstance(f, callbacks.Id) else f.values[0] for f in route.fields])
        for name, route in ROUTES.items()
    }
    for name, data in samples.items():
        matching = [other for other, route in ROUTES.items() if re.match(route.pattern, data)]
        assert matching == [name]


def test_the_decline_reasons_shown_are_the_ones_the_protocol_reads() -> None:
    [_, reasons] = DECLINE_REASON.fields
    assert isinstance(reasons, callbacks.Choice)
    assert set(DECLINE_REASONS) == set(reasons.values)


def test_the_guard_knows_a_forged_press_from_a_conversations_own_button() -> None:
    assert callbacks.readable("of:acc:42")
    assert not callbacks.readable("of:acc:0")
    assert not callbacks.readable("sv:3:q:9")
    assert callbacks.readable("rp:product:aircon")  # a form's own step button
