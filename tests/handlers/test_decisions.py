"""Returns and exchanges decided by a manager from the ping: approved, or refused with a reason."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage.models import TicketRow
from tests.conftest import MANAGER_ID
from tests.harness import Desk, Person


async def _return(customer: Person) -> None:
    await customer.command("return")
    await customer.send("A12345")
    await customer.press("Refrigerator")
    await customer.press("1")
    await customer.send("2026-11-20")
    await customer.press("A quality fault")
    await customer.press("Done")
    await customer.press("No photos, continue")
    await customer.send("13800138000")
    await customer.press("✅ Confirm and send")


async def test_a_return_approved_and_one_refused_with_a_reason(desk: Desk) -> None:
    manager = desk.person(MANAGER_ID, "Boss")
    await manager.command("start")
    amy = desk.person(701, "Amy")
    await _return(amy)
    ping = manager.last
    # Nothing ticked (unused, packaging, receipt): the manager sees it needs a closer look.
    assert ping.text == (
        "📦 Return / exchange X-20261122-0001 from Amy, to review within 1 working day:\n"
        "order A12345, Refrigerator × 1, reason: A quality fault; "
        "it does not meet the usual conditions: a manual review."
    )
    await manager.press("✅ Approve")
    assert amy.last.text == (
        "✅ Your return / exchange request X-20261122-0001 is approved. Please send the goods "
        "back with the receipt or invoice; once we have them, the refund or exchange is done "
        "within 3 working days."
    )
    assert manager.last.text == (
        "Approved: X-20261122-0001. The customer has been told how to send the goods back."
    )
    await manager.press_data(ping, "rd:no:1")  # too late: it was approved
    assert manager.alerts()[-1] == "This request was decided already."

    bo = desk.person(702, "Bo")
    await _return(bo)
    await manager.press("✖ Refuse")
    assert manager.last.text == (
        "Why is X-20261122-0002 refused? The customer reads your reason as you write it.\n"
        "Send /cancel to stop."
    )
    await manager.send("The fridge was bought 40 days ago; returns are possible within 7 days.")
    assert bo.last.text == (
        "Your return / exchange request X-20261122-0002 could not be approved: The fridge was "
        "bought 40 days ago; returns are possible within 7 days.\n"
        "If you disagree, send /complain and we will look at it again."
    )
    # Both decisions stopped the one-working-day review limit.
    manager.new_texts()
    await desk.advance(timedelta(days=3))
    await desk.sweep()
    assert not any("reviewing a return" in text for text in manager.new_texts())
    async with desk.db() as session:
        statuses = sorted(
            await session.scalars(select(TicketRow.status).where(TicketRow.kind == "return"))
        )
    assert statuses == ["approved", "closed"]  # the refused one is closed: nothing more to do


async def test_an_approved_return_is_received_then_refunded_each_step_with_its_clock(
    desk: Desk,
) -> None:
    manager = desk.person(MANAGER_ID, "Boss")
    await manager.command("start")
    amy = desk.person(703, "Amy", language_code="zh-tw")
    await _return_zh(amy)
    await manager.press("✅ Approve")
    async with desk.db() as session:
        ticket = await session.scalar(select(TicketRow))
    assert ticket is not None
    await manager.command("case", ticket.number)
    assert [b["text"] for b in manager.last.inline_buttons] == [
        "📦 Goods received",
        "🙋 Take it",
        "💬 Write to the customer",
    ]
    await desk.advance(timedelta(days=2))
    await manager.press("📦 Goods received")
    assert amy.last.text == (
        f"📦 我們已收到您退換貨申請 {ticket.number} 的商品，將在 3 個工作天內完成退款或換貨。"
    )
    async with desk.db() as session:
        received = await session.scalar(select(TicketRow))
    assert received is not None and received.status == "received"
    # The refund limit runs from the receipt, not from the request.
    assert received.sla_step == "return_refund"
    assert received.sla_due_at == desk.services.policy.due(desk.clock.now(), "return_refund")
    await manager.command("case", ticket.number)
    await manager.press("✅ Refund or exchange done")
    assert amy.last.text.startswith(f"✅ {ticket.number} 的退款或換貨已完成。")
    assert manager.last.text == (
        f"Refund or exchange done: {ticket.number} is closed and the customer has been told."
    )
    async with desk.db() as session:
        closed = await session.scalar(select(TicketRow))
    assert closed is not None and closed.status == "closed" and closed.survey_due_at is not None


async def _return_zh(customer: Person) -> None:
    await customer.command("return")
    await customer.send("A12345")
    await customer.press("冰箱")
    await customer.press("1")
    await customer.send("2026-11-20")
    await customer.press("品質問題")
    await customer.press("完成")
    await customer.press("沒有照片，繼續")
    await customer.send("0912345678")
    await customer.press("✅ 確認送出")
