"""Whatever a person or a forger sends, in any state: no error, every press answered."""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dispatch.clock import ManualClock
from dispatch.model import Language
from tests.conftest import MANAGER_ID
from tests.databases import sqlite_database
from tests.handlers.test_dispatch import technician
from tests.handlers.test_onboarding import _invite_link
from tests.harness import Desk, Person, day_label, make_settings

PREFIXES = ["rp:product:", "rp:day:", "rp:slot:", "rp:edit:", "rp:where:", "rp:photos:",
            "rp:phone:", "rp:model:", "rp:purchase:", "rp:confirm", "rp:resume:", "of:acc:",
            "of:dec:", "of:why:", "jb:time:", "jb:way:", "jb:in:", "jb:rec:", "jb:manual:",
            "jb:asked:", "sr:sign:", "sr:dispute:", "sv:", "mt:open:", "mt:add:", "mt:cancel:",
            "as:to:", "lang:", "inv:", "cal:", "qa:ans:", "qa:send:", "qa:edit:", "sr:show:", "rd:ok:", "rd:no:",
            "x"]  # fmt: skip

STAFF_FORGERIES = ["of:acc:0", "of:dec:-3", "of:why:1:bogus", "jb:time:7", "jb:way:1", "jb:in:1",
                   "jb:rec:1", "jb:manual:1", "jb:asked:1", "as:to:1:2", "as:to:x", "sv:1:t:0",
                   "sr:sign:1", "mt:cancel:1", "du:on", "du:maybe", "inv:tech", "cal:1",
                   "rc:w:nope", "rc:fee:zzz", "qa:ans:1", "qa:ans:0", "qa:send:full:1",
                   "qa:send:maybe:1", "qa:edit:1", "sr:show:1", "rd:ok:1", "rd:no:0"]  # fmt: skip

forged_data = st.builds(
    lambda prefix, tail: prefix + tail,
    st.sampled_from(PREFIXES),
    st.one_of(
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.text(max_size=70),
        st.builds(lambda a, b: f"{a}:{b}", st.integers(0, 2**66), st.integers(-5, 2**66)),
    ),
)
nasty_text = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=60),
    st.text(alphabet="\x00\x01\x02\x1b\u202e\u202d\u200b\u2066\ufeff a中", max_size=40),
    st.integers(4000, 9000).map(lambda n: "长" * n),
    st.sampled_from(["/start", "/cancel", "/repair", "/help", "2026年2月30日", "03/04/2026"]),
)
bad_input = st.one_of(
    st.tuples(st.just("press"), forged_data),
    st.tuples(st.just("text"), nasty_text),
    st.tuples(st.just("edit"), nasty_text),
    st.tuples(st.just("long"), st.integers(4097, 9000).map(lambda n: "x" * n)),
)

Step = Callable[[Desk, Person], Awaitable[object]]


async def _invited(desk: Desk, person: Person) -> None:
    token = await _invite_link(desk.person(MANAGER_ID, "Boss"), "A technician")
    await person.command("start", token)


# Each flow as its person would go through it; a state is how many steps were taken.
FLOWS: dict[str, tuple[str, list[Step]]] = {
    "repair": (
        "en",
        [
            lambda d, c: c.command("repair"),
            lambda d, c: c.press("Air conditioner"),
            lambda d, c: c.send("KFR-35GW/BP3"),
            lambda d, c: c.send("2026-03-01"),
            lambda d, c: c.send("It blows warm air and shows E4."),
            lambda d, c: c.press("No photos, continue"),
            lambda d, c: c.share_location(31.2304, 121.4737),
            lambda d, c: c.send("Building 3, room 1201"),
            lambda d, c: c.send("138 0013 8000"),
            lambda d, c: c.press(day_label(Language.EN, "2026-11-23")),
            lambda d, c: c.press("Morning (9:00-12:00)"),
        ],
    ),
    "complaint": (
        "en",
        [
            lambda d, c: c.command("complain"),
            lambda d, c: c.press("A technician visit"),
            lambda d, c: c.press("None of these"),
            lambda d, c: c.send("The technician scratched the floor and left."),
            lambda d, c: c.press("No photos, continue"),
            lambda d, c: c.send("Pay for the floor repair"),
            lambda d, c: c.press("Yes"),
            lambda d, c: c.send("13800138000"),
        ],
    ),
    "return": (
        "zh-hk",
        [
            lambda d, c: c.command("return"),
            lambda d, c: c.send("SO-20261188"),
            lambda d, c: c.press("冰箱"),
            lambda d, c: c.send("2"),
            lambda d, c: c.send("2026-11-20"),
            lambda d, c: c.press("品質問題"),
            lambda d, c: c.press("◻️ 未使用"),
            lambda d, c: c.press("完成"),
            lambda d, c: c.press("沒有照片，繼續"),
            lambda d, c: c.send("9123 4567"),
        ],
    ),
    "question": ("zh-cn", [lambda d, c: c.command("ask")]),
    "onboarding": (
        "zh-hans",
        [
            _invited,
            lambda d, c: c.send("张 伟"),
            lambda d, c: c.send("13800138000"),
            lambda d, c: c.press("空调"),
            lambda d, c: c.press("完成"),
        ],
    ),
}
STEPS = FLOWS["repair"][1]


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def _play(
    state: int, inputs: list[tuple[str, object]], actor: str = "customer", flow: str = "repair"
) -> None:
    """``flow`` to step ``state`` (for the repair, a whole job when it is complete), then
    ``inputs`` from its person, the technician on the job or a manager."""
    clock = ManualClock(datetime(2026, 11, 22, 2, 0, tzinfo=UTC))
    url = await sqlite_database(Path(tempfile.mkdtemp()))
    desk = await Desk.open(make_settings(url, managers=(MANAGER_ID,)), clock)
    errors = _Errors()
    logging.getLogger().addHandler(errors)
    try:
        language, steps = FLOWS[flow]
        customer = desk.person(401, "Amy", language_code=language)
        for step in steps[:state]:
            await step(desk, customer)
        person = customer
        if actor == "manager":
            person = desk.person(MANAGER_ID, "Boss")
            await person.command("start")
        elif actor == "technician":
            person = await technician(desk, 611, "Tom Li", 0.002)
            if flow == "repair" and state == len(STEPS):
                await customer.press("✅ Confirm and send")
                await person.press("✅ Accept")
                await person.command("jobs")
        customer = person
        for kind, value in inputs:
            if kind == "press":
                assert isinstance(value, str)
                message = customer.messages[-1] if customer.messages else None
                if message is not None:
                    await customer.press_data(message, value)
            elif kind == "edit":
                assert isinstance(value, str)
                await customer.edit_last_text(value)
            elif kind == "long":
                assert isinstance(value, str)
                await customer.send_long(value)
            else:
                assert isinstance(value, str)
                await customer.send(value or " ")
        assert [r.getMessage() for r in errors.records] == []
        answered = {a["callback_query_id"] for a in desk.api.callback_answers}
        assert customer.pressed <= answered, "a press got no answer: its spinner keeps turning"
    finally:
        logging.getLogger().removeHandler(errors)
        await desk.close()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    flow_state=st.sampled_from(sorted(FLOWS)).flatmap(
        lambda flow: st.tuples(st.just(flow), st.integers(0, len(FLOWS[flow][1])))
    ),
    inputs=st.lists(bad_input, min_size=1, max_size=6),
    actor=st.sampled_from(["person", "person", "person", "technician", "manager"]),
)
def test_bad_input_in_any_state_never_errs_and_every_press_is_answered(
    flow_state: tuple[str, int], inputs: list[tuple[str, object]], actor: str
) -> None:
    flow, state = flow_state
    asyncio.run(_play(state, inputs, actor if actor != "person" else "customer", flow))


@pytest.mark.parametrize(
    ("state", "data"),
    [
        (len(STEPS), "of:acc:99999999999999999999999"),
        (len(STEPS), "sv:1:t:9"),
        (1, "rp:product:nothing"),
        (5, "rp:photos:maybe"),
        (9, "rp:day:99999999"),
        (9, "rp:day:2026"),
        (9, "rp:day:"),
        (10, "rp:slot:never"),
        (len(STEPS), "rp:edit:everything"),
        (0, "mt:open:12345678901234567890"),
        (0, "jb:rec:-1"),
    ],
)
def test_known_forgeries_get_a_polite_answer(state: int, data: str) -> None:
    asyncio.run(_play(state, [("press", data)]))


@pytest.mark.parametrize("actor", ["technician", "manager"])
@pytest.mark.parametrize(
    "data",
    STAFF_FORGERIES,
)
def test_staff_forgeries_get_a_polite_answer(actor: str, data: str) -> None:
    asyncio.run(_play(len(STEPS), [("press", data)], actor))


def test_a_live_location_moving_during_a_typed_step_is_not_read_as_the_answer() -> None:
    """Found by Hypothesis: a technician in a customer's step (a forged press) whose live
    location moves; the edit must reach the location handlers only, never the step."""
    asyncio.run(_play(0, [("press", "mt:add:0"), ("edit", "0")], "technician", "complaint"))
