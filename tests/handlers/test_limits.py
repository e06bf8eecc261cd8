"""Flood limits: a customer's 11th request within an hour waits (the draft kept, the
time it may go said), and messages past 30 a minute are not read (said once); staff are
not limited, and each stop is in the audit log."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from dispatch.model import Language
from storage.models import EventRow, TicketRow
from tests.conftest import MANAGER_ID
from tests.handlers.test_intake import repair_until_review
from tests.harness import Desk, moment_label

FLOODED = (
    "You are sending messages faster than we can read them. Please wait a minute before "
    "you write again: what you sent before this message is kept."
)


async def _limited(desk: Desk, limit: str) -> int:
    async with desk.db() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(EventRow)
                .where(
                    EventRow.kind == "user.limited", EventRow.details["limit"].as_string() == limit
                )
            )
            or 0
        )


async def _tickets(desk: Desk) -> int:
    async with desk.db() as session:
        return int(await session.scalar(select(func.count()).select_from(TicketRow)) or 0)


async def test_the_eleventh_request_in_an_hour_waits_and_keeps_the_draft(desk: Desk) -> None:
    await desk.person(MANAGER_ID, "Boss").command("start")
    amy = desk.person(401, "Amy")
    first_at = desk.clock.now()  # 10:00 on Sunday in Shanghai
    for n in range(10):
        await amy.command("ask")
        await amy.send(f"Question {n}: how often is the filter cleaned?")
        assert "is registered" in amy.last.text
        await desk.advance(timedelta(minutes=1))
    await amy.command("ask")
    await amy.send("Question 10: and the outdoor unit?")
    until = moment_label(Language.EN, "2026-11-22 11:00")
    assert amy.last.text == (
        "You have sent 10 requests in the last hour, the most we take in one hour. "
        f"Please send your question again after {until}."
    )
    assert await _tickets(desk) == 10

    await desk.advance(timedelta(minutes=2))
    await repair_until_review(amy)
    await amy.press("✅ Confirm and send")
    said, review = amy.last.text.split("\n\n", 1)  # one message: the notice, the review
    assert said == (
        "You have sent 10 requests in the last hour, the most we take in one hour. "
        f"Your request is kept: tap ✅ Confirm and send again after {until}."
    )
    assert review.startswith("Please check your repair request:")
    assert "✅ Confirm and send" in [b["text"] for b in amy.last.inline_buttons]
    assert await _tickets(desk) == 10
    assert await _limited(desk, "requests_per_hour") == 2

    desk.clock.set(first_at + timedelta(hours=1))  # the first question leaves the hour
    await amy.press("✅ Confirm and send")
    assert "Your repair request R-" in amy.last.text
    assert await _tickets(desk) == 11


async def test_messages_past_thirty_a_minute_are_not_read_and_said_once(desk: Desk) -> None:
    amy = desk.person(401, "Amy")
    for _ in range(30):
        await amy.command("help")
    assert amy.last.text.startswith("Here is what you can do")
    answered = len(amy.texts)
    for _ in range(5):
        await amy.command("help")
    assert amy.texts[answered:] == [FLOODED]
    assert await _limited(desk, "messages_per_minute") == 1

    await desk.advance(timedelta(minutes=1))
    await amy.command("help")
    assert amy.last.text.startswith("Here is what you can do")

    boss = desk.person(MANAGER_ID, "Boss")  # staff write as much as their work needs
    for _ in range(35):
        await boss.command("help")
    assert FLOODED not in boss.texts and len(boss.texts) == 35
