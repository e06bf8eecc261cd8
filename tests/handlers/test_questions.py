"""A customer's question answered by a manager in the chat, with both time limits kept."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage.models import EventRow, TicketRow
from tests.conftest import MANAGER_ID
from tests.harness import Desk


async def _question(desk: Desk) -> TicketRow:
    async with desk.db() as session:
        ticket = await session.scalar(select(TicketRow).where(TicketRow.kind == "consultation"))
    assert ticket is not None
    return ticket


async def test_a_manager_answers_a_question_first_in_part_then_in_full(desk: Desk) -> None:
    manager = desk.person(MANAGER_ID, "Boss")
    await manager.command("start")
    customer = desk.person(601, "Amy", language_code="zh-hans")
    await customer.command("ask")
    await customer.send("空调滤网多久需要清洗一次？")
    ticket = await _question(desk)
    assert manager.last.text == (
        f"❓ Question {ticket.number} from Amy, to answer within 1 hour:\n"
        "空调滤网多久需要清洗一次？"
    )
    ping = manager.last
    await manager.press("✍️ Answer")
    assert manager.last.text == (
        f"Type your answer to {ticket.number}. The customer reads it as you write it."
    )
    await manager.send("一般每两周清洗一次。")
    assert manager.last.text == "The customer will read:\n\n一般每两周清洗一次。"
    await manager.press("📨 Send: more to follow")
    assert customer.last.text == (
        f"💬 关于您的咨询 {ticket.number}：\n一般每两周清洗一次。\n\n完整答复稍后发给您。"
    )
    assert manager.last.text == (
        f"Sent to the customer of {ticket.number}. Answer in full within the time limit."
    )
    responded = await _question(desk)
    # The first human answer stops the 1-hour limit; the 24-hour one runs from the question.
    assert responded.status == "responded"
    assert responded.sla_step == "consultation_answer"
    assert responded.sla_due_at == ticket.created_at + timedelta(hours=24)

    # The customer writes more: it joins the question, and the managers see it.
    await customer.send("滤网可以直接用水冲洗吗？")
    assert customer.last.text == f"谢谢，已将您的补充与咨询 {ticket.number} 一并转给工作人员。"
    assert (
        manager.last.text == f"💬 Amy adds to question {ticket.number}:\n滤网可以直接用水冲洗吗？"
    )
    assert [b["text"] for b in manager.last.inline_buttons] == ["✍️ Answer"]

    await manager.press_data(ping, f"qa:ans:{ticket.id}")  # the same ping, again
    await manager.send("灰尘多的环境建议每周清洗。")
    await manager.press("✏️ Write it again")
    await manager.send("灰尘多的环境建议每周清洗一次，清洗后晾干再装回。")
    await manager.press("✅ Send: this answers the question")
    assert customer.last.text == (
        f"💬 关于您的咨询 {ticket.number}：\n灰尘多的环境建议每周清洗一次，清洗后晾干再装回。"
    )
    answered = await _question(desk)
    assert answered.status == "answered"
    async with desk.db() as session:
        moves = list(
            await session.scalars(
                select(EventRow.to_status)
                .where(EventRow.ticket_id == ticket.id, EventRow.kind == "status")
                .order_by(EventRow.id)
            )
        )
    assert moves == ["responded", "answered"]
    # The customer's own timeline holds the whole exchange.
    await customer.command("mytickets")
    await customer.press_data(customer.last, f"mt:open:{ticket.id}")
    timeline = customer.last.text
    assert "已初步答复：一般每两周清洗一次。" in timeline
    assert "您的补充：滤网可以直接用水冲洗吗？" in timeline
    assert "已答复：灰尘多的环境建议每周清洗一次，清洗后晾干再装回。" in timeline
    # Neither limit breaches once the question is answered.
    manager.new_texts()
    await desk.advance(timedelta(hours=30))
    await desk.sweep()
    assert not any(ticket.number in text for text in manager.new_texts())


async def test_only_managers_answer_and_a_stopped_answer_sends_nothing(desk: Desk) -> None:
    manager = desk.person(MANAGER_ID, "Boss")
    await manager.command("start")
    customer = desk.person(602, "Bo")
    await customer.command("ask")
    await customer.send("Do you service dishwashers too?")
    ticket = await _question(desk)
    await customer.press_data(manager.last, f"qa:ans:{ticket.id}")  # a forged press
    assert customer.alerts()[-1] == "This is not available to you."
    await manager.press("✍️ Answer")
    await manager.command("cancel")
    assert manager.last.text == "Stopped. Nothing was sent to the customer."
    assert customer.last.text.startswith(f"Your question {ticket.number} is registered.")
    assert (await _question(desk)).status == "new"


async def test_a_saved_reply_reaches_the_customer_in_their_own_language(desk: Desk) -> None:
    manager = desk.person(MANAGER_ID, "Boss")
    await manager.command("start")
    customer = desk.person(603, "陳小姐", language_code="zh-tw")
    await customer.command("ask")
    await customer.send("冷氣濾網要多久清一次？")
    ticket = await _question(desk)
    await manager.press("✍️ Answer")
    await manager.press("📚 Saved replies")
    assert manager.last.text == "Pick a saved reply:"
    assert [b["text"] for b in manager.last.inline_buttons] == [
        "Cleaning the filter",
        "What the warranty covers",
    ]
    await manager.press("Cleaning the filter")
    filter_text = (
        "建議每兩週清洗一次濾網：取出濾網，用溫水沖洗，陰乾後裝回。濾網堵塞是冷氣變弱最常見的原因。"
    )
    assert manager.last.text == "The customer will read:\n\n" + filter_text
    await manager.press("✅ Send: this answers the question")
    assert customer.last.text == f"💬 關於您的諮詢 {ticket.number}：\n{filter_text}"
    assert (await _question(desk)).status == "answered"

    await manager.command("snippets")
    assert manager.last.text.startswith("Cleaning the filter:\nPlease clean the air filter")
