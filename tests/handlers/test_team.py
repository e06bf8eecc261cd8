"""Managers manage technicians from Telegram: the team at a glance, pause and bring back,
skills, service radius and capacity."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import OfferRow, TechnicianRow
from tests.conftest import MANAGER_ID
from tests.handlers.test_dispatch import technician
from tests.handlers.test_intake import repair_until_review
from tests.harness import Desk


async def _row(desk: Desk, name: str) -> TechnicianRow:
    async with desk.db() as session:
        row = await session.scalar(select(TechnicianRow).where(TechnicianRow.name == name))
    assert row is not None
    return row


async def test_a_paused_technician_gets_no_offers_and_their_offer_moves_on(desk: Desk) -> None:
    boss = desk.person(MANAGER_ID, "Boss")
    await boss.command("start")
    near = await technician(desk, 611, "Tom Li", 0.004)
    far = await technician(desk, 612, "Wu Gang", 0.03)
    customer = desk.person(811, "Amy")
    await repair_until_review(customer)
    await customer.press("✅ Confirm and send")
    assert near.last.text.startswith("🔧 New job")  # the nearest has the offer

    await boss.command("technicians")
    assert boss.last.text == "2 technicians. Tap one to manage:"
    assert [b["text"] for b in boss.last.inline_buttons] == [
        "Tom Li · 🟢 on duty · 0/3",
        "Wu Gang · 🟢 on duty · 0/3",
    ]
    await boss.press("Tom Li · 🟢 on duty · 0/3")
    assert boss.last.text == (
        "👷 Tom Li, +8613900000611\nStatus: 🟢 on duty\n"
        "Skills: Air conditioner and Washing machine\n"
        "Service radius: 50 km · Capacity: 3 jobs at once\nOpen jobs: 0\n"
        "Last location: 1 second ago"
    )
    await boss.press("⏸ Pause")
    assert boss.last.text == "Tom Li is paused: no jobs are offered to them."
    # The offer Tom was answering goes to the next candidate at once.
    assert far.last.text.startswith("🔧 New job")
    async with desk.db() as session:
        offers = list(await session.scalars(select(OfferRow).order_by(OfferRow.id)))
    assert [(o.status, o.decline_reason) for o in offers] == [
        ("withdrawn", "paused"),
        ("pending", None),
    ]
    paused = await _row(desk, "Tom Li")
    assert (paused.active, paused.on_duty) == (False, False)
    await near.command("duty")
    assert near.last.text == (
        "A manager has paused your account, so no jobs are offered to you. "
        "Ask them to bring you back."
    )
    await near.press_data(near.last, "du:on")  # an old button
    assert near.alerts()[-1].startswith("A manager has paused your account")
    assert not (await _row(desk, "Tom Li")).on_duty

    await boss.command("technicians")
    await boss.press("Tom Li · ⏸ paused · 0/3")
    await boss.press("▶️ Bring back")
    assert boss.last.text == "Tom Li is back: they can go on duty with /duty."
    await near.command("duty")
    assert near.last.text == "You are off duty: no jobs are offered to you."


async def test_a_manager_edits_skills_radius_and_capacity_with_bad_input_explained(
    desk: Desk,
) -> None:
    boss = desk.person(MANAGER_ID, "Boss", language_code="zh-hans")
    await boss.command("start")
    await technician(desk, 613, "李师傅", 0.004)
    await boss.command("technicians")
    await boss.press("李师傅 · 🟢 值班中 · 0/3")
    await boss.press("🛠 技能")
    await boss.press("✅ 洗衣机")  # drop the washer
    await boss.press("热水器")  # add the water heater
    await boss.press("完成")
    assert boss.last.text.startswith("已为 李师傅 保存。\n\n👷 李师傅")
    assert sorted((await _row(desk, "李师傅")).skills) == ["aircon", "heater"]

    await boss.press("📏 服务半径")
    await boss.send("很远")
    assert boss.last.text == "请以公里为单位输入半径，例如 30。"
    await boss.send("500")
    assert boss.last.text == "请输入 1 到 300 公里之间的半径。"
    await boss.send("25.5公里")
    await boss.press("🔢 接单上限")
    await boss.send("0")
    assert boss.last.text == "请输入 1 到 20 之间的数字。"
    await boss.send("5")
    row = await _row(desk, "李师傅")
    assert (row.service_radius_km, row.capacity) == (25.5, 5)
    assert "服务半径：25.5 公里 · 接单上限：同时 5 单" in boss.last.text

    technician_person = desk.person(613, "李师傅")
    await technician_person.command("technicians")
    assert (
        technician_person.last.text
        == "This command is for managers. Send /help to see what you can do."
    )
