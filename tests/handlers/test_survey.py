"""The follow-up visit (回访): sent the next day at 10:00, one reminder, low scores escalate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from storage.models import EventRow, SurveyRow, TicketRow
from tests.conftest import MANAGER_ID
from tests.handlers.test_dispatch import technician
from tests.handlers.test_intake import repair_until_review
from tests.harness import Desk, Person


async def signed_job(desk: Desk, customer: Person) -> str:
    tech = await technician(desk, 811, "Tom Li", 0.001)
    await repair_until_review(customer)
    await customer.press("✅ Confirm and send")
    await tech.press("✅ Accept")
    await tech.command("jobs")
    await tech.press("📍 Check in")
    await tech.press("🧾 Fill in the service record")
    await tech.press("In warranty")
    await tech.send("Loose connector.")
    await tech.send("Reseated the connector.")
    await tech.press("None")
    await tech.press("Done")
    await tech.press("✅ Send to the customer")
    await customer.press("✍️ Correct: sign it")
    async with desk.db() as session:
        ticket = await session.scalar(select(TicketRow).where(TicketRow.kind == "repair"))
    assert ticket is not None and ticket.status == "signed"
    return ticket.number


async def test_the_survey_comes_the_next_morning_and_records_the_answers(desk: Desk) -> None:
    manager = desk.person(MANAGER_ID, "Boss")
    await manager.command("start")
    customer = desk.person(801, "Amy")
    number = await signed_job(desk, customer)  # signed on Sunday at 10:00 Shanghai time
    before = len(customer.texts)
    desk.clock.set(datetime(2026, 11, 23, 1, 59, tzinfo=UTC))  # Monday 09:59
    await desk.sweep()
    assert len(customer.texts) == before
    desk.clock.set(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))  # Monday 10:00
    await desk.sweep()
    assert customer.last.text == (
        f"👋 Thank you for choosing us. How did the service for {number} go? Three quick taps help us improve.\n\n"
        "How satisfied are you with how quickly we came? (1 = very unhappy, 5 = very happy)"
    )
    assert [b["text"] for b in customer.last.inline_buttons] == ["1", "2", "3", "4", "5"]
    await customer.press("5")
    assert customer.last.text == "And with the technician's attitude?"  # the same message, edited
    await customer.press("4")
    await customer.press("5")
    assert (
        customer.last.text
        == "Thank you! Anything else you would like to tell us? Write it here, or tap Skip."
    )
    await customer.send("Very friendly, thank you.")
    assert customer.last.text == "Thank you, your comment has been passed on."
    async with desk.db() as session:
        survey = await session.scalar(select(SurveyRow))
    assert survey is not None and (survey.timeliness, survey.attitude, survey.result) == (5, 4, 5)
    assert survey.comment == "Very friendly, thank you." and survey.answered_at is not None
    await desk.advance(timedelta(days=2))
    await desk.sweep()
    assert (
        customer.last.text == "Thank you, your comment has been passed on."
    )  # no reminder after an answer


async def test_an_unanswered_survey_gets_one_reminder(desk: Desk) -> None:
    customer = desk.person(802, "Bea")
    await desk.person(MANAGER_ID, "Boss").command("start")
    number = await signed_job(desk, customer)
    await customer.command("language")
    await customer.press("简体中文")  # the survey follows the customer's own choice
    desk.clock.set(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    await desk.sweep()
    await desk.advance(timedelta(hours=24))
    await desk.sweep()
    assert customer.last.text.startswith(
        f"🔔 温馨提醒：我们仍希望了解 {number} 的服务情况，只需点三下。"
    )
    count = len(customer.texts)
    await desk.advance(timedelta(days=3))
    await desk.sweep()
    assert len(customer.texts) == count


async def test_a_low_score_opens_a_complaint_and_tells_the_managers(desk: Desk) -> None:
    manager = desk.person(MANAGER_ID, "Boss")
    await manager.command("start")
    customer = desk.person(803, "Cai")
    number = await signed_job(desk, customer)
    desk.clock.set(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    await desk.sweep()
    await customer.press("4")
    await customer.press("2")
    await customer.press("4")
    async with desk.db() as session:
        complaint = await session.scalar(select(TicketRow).where(TicketRow.kind == "complaint"))
    assert complaint is not None and complaint.details["source"] == "survey"
    assert customer.last.text.startswith(
        f"We are sorry it was not good enough. A manager will contact you about it (complaint {complaint.number}).\n\n"
    )
    assert manager.last.text == (
        f"⚠️ Low follow-up scores for {number} (timeliness 4, attitude 2, result 4). Complaint {complaint.number} is open."
    )
    await customer.press("Skip")
    assert customer.last.text == "Thank you for your time."
    await customer.command("mytickets")
    await customer.press_data(customer.last, f"mt:open:{complaint.id}")
    assert customer.last.text.splitlines()[1] == (
        f"Low scores in the follow-up survey of {number}: timeliness 4/5, attitude 2/5, result 4/5."
    )
    await customer.press_data(customer.messages[-3], f"sv:{complaint.related_ticket_id}:r:5")
    assert customer.alerts()[-1] == "Thank you, we have your answers already."
    # It runs on a complaint's clocks like one the customer filed: nobody accepts it, and
    # its limit passes (it used to have none).
    await desk.advance(timedelta(days=3))
    await desk.sweep()
    async with desk.db() as session:
        passed = await session.scalar(
            select(EventRow.details).where(
                EventRow.ticket_id == complaint.id, EventRow.kind == "sla.level2"
            )
        )
    assert passed is not None and passed["step"] == "complaint_forward"


async def test_a_closed_complaint_gets_a_follow_up_survey_too(desk: Desk) -> None:
    from dispatch.lifecycle import change_status

    await desk.person(MANAGER_ID, "Boss").command("start")
    customer = desk.person(804, "Dan")
    await customer.command("ask")
    await customer.send("Can I move the unit myself?")  # a question is not surveyed
    await customer.command("complain")
    await customer.press("Fees")
    await customer.press("None of these")
    await customer.send("I was charged a call-out fee in warranty.")
    await customer.press("No photos, continue")
    await customer.send("A refund")
    await customer.press("No")
    await customer.send("13800138000")
    await customer.press("✅ Confirm and send")
    async with desk.db() as session:
        complaint = await session.scalar(select(TicketRow).where(TicketRow.kind == "complaint"))
    assert complaint is not None
    for status in ("verified", "planned", "resolved", "closed"):
        await change_status(
            desk.services.uow(),
            desk.clock,
            ticket_id=complaint.id,
            to=status,
            actor_id=None,
            policy=desk.services.policy,
        )
    desk.clock.set(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))  # the next day, 10:00
    await desk.sweep()
    assert customer.last.text == (
        f"👋 Thank you for choosing us. How did the service for {complaint.number} go? "
        "Three quick taps help us improve.\n\n"
        "How satisfied are you with how quickly we handled your complaint? "
        "(1 = very unhappy, 5 = very happy)"
    )  # nobody came to the customer: the questions fit a complaint
    await customer.press("5")
    assert customer.last.text == "And with our staff's attitude?"
    await customer.press("5")
    assert customer.last.text == "And with the solution?"
