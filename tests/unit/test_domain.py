"""The domain on its own: state tables, limits, languages, phone numbers, imports."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.i18n import language_for
from dispatch.contact import normalize_phone
from dispatch.errors import IllegalTransition
from dispatch.messages import Button
from dispatch.model import Language, Status, Ticket, TicketKind
from dispatch.sla import SLA_DEFAULTS, Limit, Unit, parse_limit
from dispatch.states import INITIAL_STATUS, TERMINAL, TRANSITIONS, allowed, transition

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


def _ticket(kind: TicketKind, status: str = "new") -> Ticket:
    status = Status(status)
    return Ticket(
        id=1, number="R-1", kind=kind, status=status, customer_id=1, created_at=NOW, updated_at=NOW
    )


@pytest.mark.parametrize("kind", list(TicketKind))
def test_every_state_table_is_closed_and_reaches_an_end(kind: TicketKind) -> None:
    table = TRANSITIONS[kind]
    assert INITIAL_STATUS in table
    for targets in table.values():
        assert targets <= table.keys()  # no move to an unknown status
    for end in TERMINAL:
        assert table[end] == frozenset()
    # every status can reach a terminal one
    for start in table:
        seen, todo = set(), [start]
        while todo:
            status = todo.pop()
            seen.add(status)
            todo.extend(table[status] - seen)
        assert seen & TERMINAL, f"{kind}: {start} never ends"


@given(st.sampled_from(list(TicketKind)), st.data())
def test_a_transition_either_happens_with_one_event_or_changes_nothing(
    kind: TicketKind, data: st.DataObject
) -> None:
    statuses = sorted(TRANSITIONS[kind])
    current = data.draw(st.sampled_from(statuses))
    wanted = data.draw(st.sampled_from([*statuses, "bogus"]))
    ticket = _ticket(kind, current)
    if allowed(kind, current, wanted):
        event = transition(ticket, wanted, at=NOW, actor_id=7)
        assert (event.from_status, event.to_status, event.actor_id) == (current, wanted, 7)
        assert ticket.status == wanted
    else:
        with pytest.raises(IllegalTransition):
            transition(ticket, wanted, at=NOW, actor_id=7)
        assert ticket.status == current


def test_signing_before_completion_is_illegal() -> None:
    for status in ("new", "offered", "assigned", "en_route", "on_site"):
        assert not allowed(TicketKind.REPAIR, status, "signed")
    assert allowed(TicketKind.REPAIR, "completed", "signed")


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        ("1h", Limit(1, Unit.HOURS)),
        ("30min", Limit(30, Unit.MINUTES)),
        ("2wd", Limit(2, Unit.WORKING_DAYS)),
        (" 1.5h ", Limit(1.5, Unit.HOURS)),
    ],
)
def test_limits_parse(text: str, limit: Limit) -> None:
    assert parse_limit(text) == limit


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("-1h", "negative"),
        ("0h", "positive"),
        ("1 day", "not a time limit"),
        ("", "not a time limit"),
    ],
)
def test_bad_limits_say_why(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_limit(text)


def test_the_sla_table_has_the_service_rules_numbers() -> None:
    assert str(SLA_DEFAULTS["repair_dispatch"]) == "1h"
    assert str(SLA_DEFAULTS["repair_on_site"]) == "24h"
    assert str(SLA_DEFAULTS["repair_on_site_priority"]) == "12h"
    assert str(SLA_DEFAULTS["complaint_verify"]) == "2wd"
    assert str(SLA_DEFAULTS["complaint_plan"]) == "3wd"
    assert str(SLA_DEFAULTS["return_review"]) == "1wd"
    assert str(SLA_DEFAULTS["consultation_first_response"]) == "1h"


@pytest.mark.parametrize(
    ("code", "chosen", "expected"),
    [
        ("zh-hant", None, Language.ZH_HANT),
        ("zh-Hant-TW", None, Language.ZH_HANT),
        ("zh-tw", None, Language.ZH_HANT),
        ("zh-hk", None, Language.ZH_HANT),
        ("zh-mo", None, Language.ZH_HANT),
        ("zh-hans", None, Language.ZH_HANS),
        ("zh-cn", None, Language.ZH_HANS),
        ("zh-sg", None, Language.ZH_HANS),
        ("zh", None, Language.ZH_HANS),
        ("en-GB", None, Language.EN),
        ("ms", None, Language.ZH_HANS),
        (None, None, Language.ZH_HANS),
        ("en", Language.ZH_HANT, Language.ZH_HANT),
    ],
)
def test_telegram_language_codes_map_to_our_languages(
    code: str | None, chosen: Language | None, expected: Language
) -> None:
    assert language_for(code, chosen, default=Language.ZH_HANS) is expected


@pytest.mark.parametrize(
    ("typed", "region", "expected"),
    [
        ("13800138000", "CN", "+8613800138000"),
        ("+86 138-0013-8000", "CN", "+8613800138000"),
        ("9123 4567", "HK", "+85291234567"),
        ("0912 345 678", "TW", "+886912345678"),
        ("12345", "CN", None),
        ("call me", "CN", None),
        ("1" * 40, "CN", None),
    ],
)
def test_phone_numbers_are_checked_and_normalised(
    typed: str, region: str, expected: str | None
) -> None:
    assert normalize_phone(typed, region) == expected


def test_callback_data_must_fit_telegram() -> None:
    Button("x", data="job:acc:42")
    with pytest.raises(ValueError):
        Button("x", data="x" * 65)
    with pytest.raises(ValueError):
        Button("x", data="接单")


def test_every_status_event_kind_and_time_limit_has_one_name() -> None:
    """The enums are the vocabulary: the state machines, the SLA table and the steps use
    nothing else, and a stored value reads back as the same member."""
    from dispatch.model import EventKind
    from dispatch.sla import SLA_DEFAULTS, STARTS, STEPS, SlaStep
    from dispatch.states import TRANSITIONS

    for machine in TRANSITIONS.values():
        for at, moves in machine.items():
            assert isinstance(at, Status) and all(isinstance(m, Status) for m in moves)
    assert all(isinstance(step, SlaStep) for step in [*SLA_DEFAULTS, *STEPS])
    assert all(isinstance(step, SlaStep) for step, _ in STARTS.values())
    assert EventKind("sla.level2") is EventKind.SLA_LEVEL2
    assert Status("on_site") is Status.ON_SITE
