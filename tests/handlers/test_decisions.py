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
        "Why is X-20261122-0002 refused? The customer reads your reason as you write it."
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
    assert statuses == ["approved", "rejected"]
