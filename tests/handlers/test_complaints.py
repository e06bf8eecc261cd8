"""The complaint procedure worked by managers from Telegram, each step with its clock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import select

from storage.models import EventRow, TicketRow
from tests.conftest import MANAGER_ID
from tests.harness import Desk, Person

DEPUTY_ID = MANAGER_ID + 1


@pytest.fixture
async def desk(desk_factory: Callable[..., Awaitable[Desk]]) -> Desk:
    """A desk with two managers: a plan with compensation needs the second one."""
    return await desk_factory(managers=(MANAGER_ID, DEPUTY_ID))


async def _complaint(desk: Desk, customer: Person) -> TicketRow:
    await customer.command("complain")
    await customer.press("A technician visit")
    await customer.press("None of these")
    await customer.send("The technician scratched the floor and left without cleaning up.")
    await customer.press("No photos, continue")
    await customer.send("Pay for the floor repair")
    await customer.press("No")
    await customer.send("13800138000")
    await customer.press("✅ Confirm and send")
    return await _ticket(desk)


async def _ticket(desk: Desk) -> TicketRow:
    async with desk.db() as session:
        ticket = await session.scalar(select(TicketRow).where(TicketRow.kind == "complaint"))
    assert ticket is not None
    return ticket


async def _moves(desk: Desk, ticket_id: int) -> list[str | None]:
    async with desk.db() as session:
        return list(
            await session.scalars(
                select(EventRow.to_status)
                .where(EventRow.ticket_id == ticket_id, EventRow.kind == "status")
                .order_by(EventRow.id)
            )
        )


async def _managers(desk: Desk) -> tuple[Person, Person]:
    boss = desk.person(MANAGER_ID, "Boss")
    deputy = desk.person(DEPUTY_ID, "Deputy", language_code="zh-hans")
    await boss.command("start")
    await deputy.command("start")
    return boss, deputy


async def test_the_whole_procedure_with_compensation_approved_by_a_second_manager(
    desk: Desk,
) -> None:
    boss, deputy = await _managers(desk)
    customer = desk.person(701, "Kim")
    ticket = await _complaint(desk, customer)
    ping = boss.last
    assert ping.text == (
        f"📣 New complaint {ticket.number} (a technician visit) from Kim:\n"
        "The technician scratched the floor and left without cleaning up.\n"
        "Accept it and pass it on within 1 working day."
    )
    assert [b["text"] for b in ping.inline_buttons] == [
        "📥 Accept and classify",
        "🙋 Take it",
        "📁 Open",
    ]
    assert deputy.last.text.startswith(f"📣 新投诉 {ticket.number}（技师上门服务）")

    # Both take it: the first wins, the second is told who holds it.
    await boss.press("🙋 Take it")
    assert boss.last.text.startswith(f"{ticket.number} is yours now.\n\n📁 {ticket.number}")
    assert "Held by: Boss" in boss.last.text
    assert "\nCustomer: Kim, +8613800138000\n" in boss.last.text  # the case is his to work
    await deputy.press("🙋 我来负责")
    assert deputy.alerts()[-1] == f"Boss 已认领 {ticket.number}。"
    await deputy.command("case", ticket.number)  # not hers: no phone on her card
    assert "\n客户：Kim（电话仅向处理此案件的经理显示）\n" in deputy.last.text
    assert "13800138000" not in deputy.last.text

    # Accept and classify: forwarded to the department the cause names.
    await boss.press("📥 Accept and classify")
    assert boss.last.text == "How serious is it?"
    await boss.press("General")
    assert boss.last.text == "What caused it?"
    assert [b["text"] for b in boss.last.inline_buttons] == [
        "Product quality",
        "The technician",
        "Our service process",
        "Use by the customer",
        "Unfounded",
    ]
    await boss.press("The technician")
    assert boss.last.text.startswith(
        f"{ticket.number} is accepted and passed to the service department. "
        "The customer has been told.\n\n📁"
    )
    assert customer.last.text == (
        f"Your complaint {ticket.number} has been accepted and passed to the service department. "
        "We will verify the facts within 2 working days of receiving it."
    )
    forwarded = await _ticket(desk)
    assert forwarded.status == "forwarded" and forwarded.details["cause"] == "technician"
    # The forwarding limit stopped; verification runs from registration.
    assert forwarded.sla_step == "complaint_verify"

    await boss.press("🔎 Record the verification")
    assert boss.last.text == (
        "What did the verification find? These notes stay with staff.\nSend /cancel to stop."
    )
    await boss.send("Photos from the technician confirm a 5 cm scratch near the door.")
    assert boss.last.text.startswith("Verification recorded; the plan is due next.\n\n📁")
    verified = await _ticket(desk)
    assert verified.status == "verified" and verified.sla_step == "complaint_plan"

    # The plan, piece by piece, with bad answers on the way.
    await boss.press("📋 Propose a plan")
    await boss.send("We repair the floor and refund the visit fee.")
    assert boss.last.text == "Who owns the plan?"
    assert [b["text"] for b in boss.last.inline_buttons] == ["Boss", "Deputy"]
    await boss.press("Boss")
    await boss.send("next blue moon")
    assert boss.last.text.startswith("Please write the date as year-month-day")
    await boss.send("2020-01-01")
    assert boss.last.text == "That date has passed. Please type a day from today on."
    await boss.send("12/1")
    assert boss.last.text == (
        "12/1 could be Tue, Dec 1 or Tue, Jan 12. Please write the year first, for example 2026-11-22."
    )
    await boss.send("12-01")
    assert boss.last.text.startswith("Does the plan compensate the customer?")
    await boss.send("-50")
    assert boss.last.text == "Please type the amount as a number, for example 200 or 199.50."
    await boss.send("¥200")
    assert boss.last.text == (
        f"Plan for {ticket.number}: We repair the floor and refund the visit fee.\n"
        "Due Tue, Dec 1. Compensation: CN¥200.00; a second manager must approve it."
    )
    await boss.press("✅ Submit the plan")
    assert boss.last.text.startswith("The plan is sent to the other managers for approval.")
    assert deputy.last.text == (
        f"💰 Boss 提议就投诉 {ticket.number} 赔偿 ¥200.00。\n"
        "方案：We repair the floor and refund the visit fee.\n"
        "负责人：Boss，期限：12月1日周二。须由另一位经理审批。"
    )
    # Its author cannot approve it, even with the button's data.
    await boss.press_data(boss.last, f"ck:ok:{ticket.id}")
    assert boss.alerts()[-1] == "A plan needs another manager's approval."
    assert (await _ticket(desk)).status == "verified"

    await deputy.press("✅ 批准方案")
    assert deputy.last.text == f"已批准：{ticket.number} 的方案生效，已通知客户。"
    assert boss.last.text == f"✅ Deputy approved your plan for complaint {ticket.number}."
    assert customer.last.text == (
        f"Our proposal for your complaint {ticket.number}: "
        "We repair the floor and refund the visit fee.\n"
        "It includes compensation of CN¥200.00. We will carry it out by Tue, Dec 1."
    )
    planned = await _ticket(desk)
    assert planned.status == "planned" and "pending_plan" not in planned.details

    await boss.command("case", ticket.number)
    await boss.press("🛠 Mark it resolved")
    await boss.send("Floor repaired on 30 Nov; refund paid.")
    resolved = await _ticket(desk)
    assert resolved.status == "resolved" and resolved.sla_step == "complaint_reply"
    assert resolved.sla_due_at == desk.services.policy.due(desk.clock.now(), "complaint_reply")

    await boss.press("✅ Reply with the outcome and close")
    await boss.send("The floor is repaired and CN¥200 was refunded to your card.")
    assert boss.last.text == (
        "The customer will read:\n\nThe floor is repaired and CN¥200 was refunded to your card."
    )
    await boss.press("📨 Send it")
    assert customer.last.text == (
        f"✅ Your complaint {ticket.number} is resolved:\n"
        "The floor is repaired and CN¥200 was refunded to your card.\n"
        "Thank you for your patience. We will ask you shortly how we handled it."
    )
    closed = await _ticket(desk)
    assert closed.status == "closed" and closed.survey_due_at is not None
    assert await _moves(desk, ticket.id) == [
        "forwarded",
        "verified",
        "planned",
        "resolved",
        "closed",
    ]
    # The customer's timeline quotes what they were told, not the staff notes.
    await customer.command("mytickets")
    await customer.press(f"{ticket.number} · Complaint · Closed")
    assert "Solution approved: We repair the floor" in customer.last.text
    assert "5 cm scratch" not in customer.last.text


async def test_a_refused_plan_goes_back_to_its_author_with_the_reason(desk: Desk) -> None:
    boss, deputy = await _managers(desk)
    customer = desk.person(702, "Lu")
    ticket = await _complaint(desk, customer)
    await boss.press("📥 Accept and classify")
    await boss.press("General")
    await boss.press("Our service process")
    await boss.press("🔎 Record the verification")
    await boss.send("The visit was booked twice by mistake.")
    await boss.press("📋 Propose a plan")
    await boss.send("Refund the double charge.")
    await boss.press("Deputy")
    await boss.send("tomorrow")
    await boss.send("80")
    await boss.press("✅ Submit the plan")
    await deputy.press("✖ 驳回方案")
    assert deputy.last.text.startswith(f"为什么驳回 {ticket.number} 的方案？")
    await deputy.send("先核对银行流水再定金额。")
    assert boss.last.text == (
        f"✖ Deputy refused your plan for complaint {ticket.number}: 先核对银行流水再定金额。\n"
        f"Propose another with /case {ticket.number}."
    )
    refused = await _ticket(desk)
    assert refused.status == "verified" and "pending_plan" not in refused.details
    assert refused.sla_step == "complaint_plan"  # its clock still runs
    # A plan without compensation stands at once.
    await boss.command("case", ticket.number)
    await boss.press("📋 Propose a plan")
    await boss.send("Refund the double charge after checking the bank records.")
    await boss.press("Boss")
    await boss.send("12-03")
    await boss.press("No compensation")
    await boss.press("✅ Submit the plan")
    assert boss.last.text.startswith("The plan stands and the customer has been told.")
    assert (await _ticket(desk)).status == "planned"


async def test_an_unfounded_complaint_is_answered_with_the_reason_and_closed(desk: Desk) -> None:
    boss, _deputy = await _managers(desk)
    customer = desk.person(703, "王先生", language_code="zh-hans")
    await customer.command("complain")
    await customer.press("技师上门服务")
    await customer.press("都不是")
    await customer.send("技师没有按约定时间上门，也没有提前打电话。")
    await customer.press("没有照片，继续")
    await customer.send("道歉")
    await customer.press("否")
    await customer.send("13800138000")
    await customer.press("✅ 确认并提交")
    ticket = await _ticket(desk)
    await boss.press("📥 Accept and classify")
    await boss.press("General")
    await boss.press("Unfounded")
    assert boss.last.text.startswith(f"Why is {ticket.number} unfounded?")
    await boss.send("技")  # too short: asked again, nothing lost
    assert (await _ticket(desk)).status == "new"
    await boss.send("记录显示技师 9:40 到达，在您预约的 9:00-12:00 时段内。")
    await boss.press("📨 Send it")
    assert customer.last.text == (
        f"感谢您就 {ticket.number} 向我们反映情况。我们已认真核实，未发现我方存在过错：\n"
        "记录显示技师 9:40 到达，在您预约的 9:00-12:00 时段内。\n"
        "如您有不同看法或补充材料，请发送 /complain，我们会再次核查。"
    )
    assert await _moves(desk, ticket.id) == ["rejected", "closed"]
    closed = await _ticket(desk)
    assert closed.details["cause"] == "unfounded" and closed.survey_due_at is not None


async def test_two_managers_classifying_at_once_one_wins_the_other_is_told(desk: Desk) -> None:
    boss, deputy = await _managers(desk)
    customer = desk.person(704, "Mo")
    ticket = await _complaint(desk, customer)
    await boss.press("📥 Accept and classify")
    await deputy.press("📥 受理并分类")
    await boss.press("Serious")
    await deputy.press("一般投诉")
    await boss.press("Product quality")
    await deputy.press("技师")
    assert deputy.alerts()[-1] == "有人刚刚同时处理了这条投诉，以下是最新情况。"
    assert deputy.last.text.startswith(f"📁 {ticket.number} · 投诉 · 已转交责任部门")
    accepted = await _ticket(desk)
    assert accepted.details["cause"] == "product" and accepted.details["severity"] == "serious"
    assert accepted.priority == "urgent"
    # Raised to serious: every manager hears of it at once.
    assert any(t.startswith(f"⚠️ 投诉 {ticket.number} 被定为严重投诉") for t in deputy.texts)
    assert await _moves(desk, ticket.id) == ["forwarded"]
    # Whoever accepts it holds it, unless someone took it before.
    await deputy.command("case", ticket.number)
    assert "负责人：Boss" in deputy.last.text


async def test_people_without_the_role_cannot_work_a_complaint(desk: Desk) -> None:
    _boss, _deputy = await _managers(desk)
    customer = desk.person(705, "Ann")
    ticket = await _complaint(desk, customer)
    for data in (f"ck:acc:{ticket.id}", f"ck:cause:{ticket.id}:general:unfounded"):
        await customer.press_data(customer.last, data)
    await customer.command("queue")
    await customer.command("case", ticket.number)
    assert (await _ticket(desk)).status == "new"
    assert customer.alerts()[-2:] == ["This is not available to you."] * 2
    assert (
        customer.texts[-2:]
        == ["This command is for managers. Send /help to see what you can do."] * 2
    )


async def test_the_queue_puts_breached_cases_first_and_case_finds_by_phone(desk: Desk) -> None:
    boss, _deputy = await _managers(desk)
    first = await _complaint(desk, desk.person(706, "Ida"))
    await boss.command("queue")
    assert boss.last.text.startswith("1 open request\n")
    assert [b["text"] for b in boss.last.inline_buttons] == [
        f"🟢 {first.number} · Complaint · Received"
    ]
    await boss.command("queue", "everything")
    assert boss.last.text.startswith("Send /queue alone, or with mine")
    await boss.command("case", "0013800")
    assert boss.last.text.startswith(f"📁 {first.number} · Complaint · Received\nCustomer: Ida")
    assert "Time limits:\n• news to the customer about a complaint:" in boss.last.text
    assert (
        "• passing a complaint to the department responsible: Mon, Nov 23, 2026 17:30 (in 32 hours)"
        in boss.last.text
    )
    await boss.command("case", "nobody-like-this")
    assert boss.last.text == "No request matches nobody-like-this."


async def test_a_manager_writes_to_the_customer_from_the_case_card(desk: Desk) -> None:
    boss, _deputy = await _managers(desk)
    customer = desk.person(707, "Eve", language_code="zh-hk")
    await customer.command("complain")
    await customer.press("技師到府服務")
    await customer.press("都不是")
    await customer.send("技師遲到兩個小時，也沒有先打電話通知。")
    await customer.press("沒有照片，繼續")
    await customer.send("道歉")
    await customer.press("否")
    await customer.send("91234567")
    await customer.press("✅ 確認送出")
    ticket = await _ticket(desk)
    await boss.command("case", ticket.number)
    await boss.press("💬 Write to the customer")
    await boss.send("ok")  # too short: asked again, nothing sent
    assert (await _moves(desk, ticket.id)) == []
    await boss.send("We are checking with the technician and will call you today.")
    await boss.press("✏️ Write it again")
    assert boss.last.text == "Type the message again."
    await boss.send("We are checking with the technician and will call you before 6 pm.")
    assert boss.last.text == (
        "The customer will read:\n\n"
        "We are checking with the technician and will call you before 6 pm."
    )
    await boss.press("📨 Send it")
    assert customer.last.text == (
        f"💬 關於您的投訴 {ticket.number}：\n"
        "We are checking with the technician and will call you before 6 pm."
    )
    assert boss.last.text == f"Sent to the customer of {ticket.number}."
    await boss.command("case", ticket.number)
    assert "Message to the customer (Boss)" in boss.last.text
