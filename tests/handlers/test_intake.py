"""Customer intake through the real bot: every flow, every check, edits, resume, cancel."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from dispatch.lifecycle import change_status
from dispatch.model import Language, TicketKind
from storage.models import AttachmentRow, EventRow, OutboxRow, TicketRow
from tests.conftest import MANAGER_ID
from tests.harness import Desk, Person, date_label, day_label, moment_label


async def _tickets(desk: Desk) -> list[TicketRow]:
    async with desk.db() as session:
        return list(await session.scalars(select(TicketRow).order_by(TicketRow.id)))


async def _count(desk: Desk, model: type, *where: Any) -> int:
    async with desk.db() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def repair_until_review(
    customer: Person, *, location: bool = True, until_time: bool = False
) -> None:
    """The English repair flow, up to the review screen (2026-11-22 is a Sunday)."""
    await customer.command("repair")
    await customer.press("Air conditioner")
    await customer.send("KFR-35GW/BP3")
    await customer.send("2026-03-01")
    await customer.send("It blows warm air and shows E4 since yesterday.")
    await customer.send_album(2)
    await customer.press("Done")
    if location:
        await customer.share_location(31.2304, 121.4737)
        await customer.send("Building 3, room 1201")
    else:
        await customer.send("88 Century Avenue, Pudong, room 1201")
        await customer.press("Skip")
    await customer.send("138 0013 8000")
    if until_time:
        return
    await customer.press(day_label(Language.EN, "2026-11-23"))
    await customer.press("Morning (9:00-12:00)")


async def test_a_repair_in_english_from_start_to_ticket(desk: Desk) -> None:
    customer = desk.person(401, "Amy")
    await repair_until_review(customer)
    review = customer.last.text  # the review and its question: one message
    assert review == (
        "Please check your repair request:\n"
        "Product: Air conditioner\n"
        "Model: KFR-35GW/BP3\n"
        "Purchase date: Mar 1, 2026 (in warranty)\n"
        "Problem: It blows warm air and shows E4 since yesterday.\n"
        "Photos: 2\n"
        "Address: Building 3, room 1201 (location shared)\n"
        "Phone: +8613800138000\n"
        f"Preferred time: {day_label(Language.EN, '2026-11-23')}, Morning (9:00-12:00)\n\n"
        "Is everything right? Tap a button to change it, or confirm."
    )
    assert await _tickets(desk) == []  # nothing exists before confirming
    await customer.press("✅ Confirm and send")
    [ticket] = await _tickets(desk)
    assert customer.last.text == (
        f"Your repair request {ticket.number} is registered.\n"
        "A technician will be assigned within 1 hour and will call you first; they will come on "
        f"{day_label(Language.EN, '2026-11-23')}, Morning (9:00-12:00), as you booked. "
        "Follow it with /mytickets."
    )
    assert ticket.number == "R-20261122-0001"
    assert (ticket.kind, ticket.status, ticket.product_category, ticket.product_model) == (
        "repair",
        "new",
        "aircon",
        "KFR-35GW/BP3",
    )
    assert (ticket.latitude, ticket.longitude, ticket.address) == (
        31.2304,
        121.4737,
        "Building 3, room 1201",
    )
    assert (ticket.contact_phone, str(ticket.preferred_date), ticket.preferred_slot) == (
        "+8613800138000",
        "2026-11-23",
        "morning",
    )
    assert ticket.details == {"warranty": "in", "far": False} and ticket.priority_area
    now = desk.clock.now()
    assert ticket.dispatch_due_at == now + timedelta(hours=1)
    # Inside the priority area the limit is 12 hours, but the customer booked Monday
    # morning: the technician is late only once that morning is over.
    assert ticket.arrive_due_at == datetime(2026, 11, 23, 4, 0, tzinfo=UTC)  # 12:00 local
    assert await _count(desk, AttachmentRow, AttachmentRow.ticket_id == ticket.id) == 2


async def test_a_repair_in_simplified_chinese_with_a_typed_address(desk: Desk) -> None:
    customer = desk.person(402, "王芳", language_code="zh-hans")
    await customer.command("repair")
    assert customer.last.text == "新的报修。请问哪种产品需要维修？"
    await customer.press("洗衣机")
    await customer.press("不清楚")
    await customer.press("记不清了")
    await customer.send("洗衣机脱水时响声很大，还漏水。")
    await customer.press("没有照片，继续")
    await customer.send("上海市闵行区莘庄镇某某路 100 号 5 栋 302 室")
    assert (
        customer.last.text
        == "谢谢。能否同时发送位置？这样我们可以派最近的技师。请用按钮发送，或跳过。\n\n不方便发送位置？"
    )
    await customer.press("跳过")
    await customer.share_contact("+8613912345678")
    await customer.press(day_label(Language.ZH_HANS, date(2026, 11, 24)))
    await customer.press("晚上（18:00-21:00）")
    assert customer.last.text == (
        "请核对您的报修信息：\n产品：洗衣机\n型号：不清楚\n购买日期：不清楚（保修情况不明）\n"
        "故障描述：洗衣机脱水时响声很大，还漏水。\n照片：0 张\n地址：上海市闵行区莘庄镇某某路 100 号 5 栋 302 室\n"
        f"电话：+8613912345678\n预约时间：{day_label(Language.ZH_HANS, date(2026, 11, 24))}，晚上（18:00-21:00）\n\n"
        "信息都正确吗？点按钮可修改，确认无误请提交。"
    )
    await customer.press("✅ 确认并提交")
    [ticket] = await _tickets(desk)
    assert customer.last.text == (
        f"您的报修 {ticket.number} 已登记。\n我们将在 1 小时内为您安排技师，技师会先致电与您确认，"
        f"并按您预约的{day_label(Language.ZH_HANS, date(2026, 11, 24))}晚上（18:00-21:00）上门。"
        "发送 /mytickets 可随时查看进度。"
    )
    assert ticket.arrive_due_at == datetime(2026, 11, 24, 13, 0, tzinfo=UTC)  # 21:00 local
    assert ticket.latitude is None and ticket.details["warranty"] == "unknown"


async def test_an_installation_far_from_every_service_point_promises_an_answer(desk: Desk) -> None:
    customer = desk.person(403, "陳先生", language_code="zh-tw")
    await customer.command("install")
    assert customer.last.text == "新的安裝申請。請問是哪種產品？"
    await customer.press("熱水器")
    await customer.send("JSQ25-13")
    await customer.send("2026/11/20")
    await customer.send("新買的熱水器需要安裝在浴室牆上。")
    await customer.press("沒有照片，繼續")
    await customer.share_location(25.0330, 121.5654)  # Taipei: far from Shanghai
    await customer.press("跳過")
    await customer.send("0912-345-678")  # a Taiwanese mobile as written there, on a CN desk
    assert customer.last.text.startswith("電話號碼已儲存：+886912345678")
    await customer.press(day_label(Language.ZH_HANT, date(2026, 11, 25)))
    await customer.press("上午（9:00-12:00）")
    # An installation is reviewed as one: what to install, not a fault.
    review = customer.last
    assert "安裝需求：新買的熱水器需要安裝在浴室牆上。" in review.text
    assert "故障" not in review.text
    assert "安裝需求" in [b["text"] for b in customer.last.inline_buttons]
    await customer.press("✅ 確認送出")
    [ticket] = await _tickets(desk)
    assert ticket.kind == "installation" and ticket.number.startswith("I-20261122-")
    assert customer.last.text == (
        f"您的安裝申請 {ticket.number} 已登記。\n您距離最近的服務據點超過 100 公里，"
        "我們會在 12 小時內答覆您服務方式和時間。傳送 /mytickets 可隨時查看進度。"
    )
    assert ticket.dispatch_due_at is None and ticket.arrive_due_at is None
    assert ticket.sla_due_at == desk.clock.now() + timedelta(hours=12)


async def test_every_bad_answer_is_explained_and_nothing_entered_is_lost(desk: Desk) -> None:
    customer = desk.person(404, "Bo")
    await customer.command("repair")
    await customer.send("aircon")  # text where a product button is expected
    assert customer.last.text == (
        "Sorry, I cannot use that here.\n\nNew repair request. Which product needs repair?"
    )
    await customer.press("Air conditioner")
    await customer.send("X" * 65)
    assert customer.last.text == "That is too long (65 characters). Please keep it under 64."
    await customer.send_sticker()
    assert customer.last.text.startswith("Sorry, I cannot use that here.\n\nWhat is the model?")
    await customer.send("KF-26")
    await customer.send("last spring")
    assert customer.last.text == "Please write the date as year-month-day, for example 2026-11-22."
    await customer.send("2026年2月30日")
    assert customer.last.text == (
        "There is no such day: 2026-2-30. Please check the day and the month."
    )
    await customer.send("03/04/2026")
    assert customer.last.text == (
        f"03/04/2026 could be {day_label(Language.EN, '2026-04-03')} or "
        f"{day_label(Language.EN, '2026-03-04')}. Please write the year first, for example 2026-11-22."
    )
    await customer.send("2027-01-01")
    assert customer.last.text == "That date is in the future. Please check it."
    await customer.send("1970-01-01")
    assert customer.last.text == "That date is too long ago. Please check it."
    await customer.send("2024年5月20日")
    await customer.send("bad")
    assert customer.last.text == "That is a little short. Please write at least 5 characters."
    await customer.send_long("The noise starts at night. " * 185)  # 4995 characters: 2 messages
    assert customer.last.text == (
        "That is too long (4096 characters). Please keep it under 1000."
    )  # one answer for both parts; the tail is not taken as the problem
    assert customer.texts.count(customer.last.text) == 1
    await customer.send_voice()
    assert customer.last.text.startswith("Sorry, I cannot use that here.\n\nWhat is wrong?")
    await customer.send("It makes a loud noise at night.")
    # Typing all this took a person minutes (30 messages a minute is the flood limit).
    await desk.advance(timedelta(minutes=1))
    await customer.send_album(4)
    await customer.send_album(3)
    assert "You can send at most 5 photos; the first 5 are kept." in customer.texts
    await customer.press("Done")
    await customer.send("Pu")
    assert customer.last.text == "That is a little short. Please write at least 5 characters."
    await customer.send("1 Main Street, Minhang")
    await customer.press("Skip")
    await customer.send("555")
    assert customer.last.text.startswith("That does not look like a phone number.")
    await customer.command("help")  # a command mid-flow is answered ...
    assert customer.last.text.startswith("Here is what you can do:")
    await customer.send("+86 139 1234 5678")  # ... and the flow goes on where it was
    await customer.press_data(customer.last, "rp:day:20261231")  # a forged, out-of-range day
    assert customer.alerts()[-1] == "That day is no longer available; please pick another."
    await customer.press(day_label(Language.EN, "2026-11-24"))
    await customer.press("Afternoon (12:00-18:00)")
    review = customer.last.text
    assert "Model: KF-26" in review and "Purchase date: May 20, 2024 (in warranty)" in review
    assert "Photos: 5" in review and "Phone: +8613912345678" in review
    assert "Problem: It makes a loud noise at night." in review


async def test_the_review_screen_edits_any_field_and_comes_back(desk: Desk) -> None:
    customer = desk.person(405, "Cy")
    await repair_until_review(customer)
    await customer.press("Model")
    assert customer.last.text.startswith("What is the model?")
    await customer.send("KFR-50LW")
    assert "Model: KFR-50LW" in customer.last.text
    await customer.press("Preferred time")
    await customer.press(day_label(Language.EN, "2026-11-25"))
    await customer.press("Evening (18:00-21:00)")
    assert (
        f"Preferred time: {day_label(Language.EN, '2026-11-25')}, Evening (18:00-21:00)"
        in customer.last.text
    )
    await customer.press("Address")
    assert customer.last.text.startswith("Type a new address, or share a new location")
    await customer.send("99 Huaihai Road, room 8")  # the location shared before is kept
    assert "Address: 99 Huaihai Road, room 8 (location shared)\n" in customer.last.text
    await customer.press("Address")
    await customer.share_location(31.2405, 121.4901)  # a new pin; the address is kept
    assert "Address: 99 Huaihai Road, room 8 (location shared)\n" in customer.last.text
    await customer.press("Photos")
    await customer.send_photo()
    await customer.press("Done")
    assert "Photos: 3" in customer.last.text
    await customer.press("✅ Confirm and send")
    [ticket] = await _tickets(desk)
    assert (ticket.product_model, ticket.preferred_slot, ticket.latitude, ticket.address) == (
        "KFR-50LW",
        "evening",
        31.2405,
        "99 Huaihai Road, room 8",
    )


async def test_pressing_confirm_twice_makes_one_ticket(desk: Desk) -> None:
    customer = desk.person(406, "Di")
    await repair_until_review(customer)
    review_buttons = customer.messages[-1]
    await customer.press("✅ Confirm and send")
    await customer.press_data(review_buttons, "rp:confirm")  # the same button, tapped again
    assert len(await _tickets(desk)) == 1
    assert sum("is registered" in t for t in customer.texts) == 1
    assert customer.alerts()[-1] == "This button is no longer active. Send /start to begin again."


async def test_a_draft_survives_a_restart_and_resumes(desk: Desk) -> None:
    customer = desk.person(407, "Ed", language_code="zh-hans")
    await customer.command("repair")
    await customer.press("冰箱")
    await customer.send("BCD-215")
    desk = await desk.restart()
    await customer.send("2025-12-12")  # the next answer, on a new Application
    assert customer.last.text.startswith("出了什么问题？")
    # Days later, /repair offers to continue.
    await desk.advance(timedelta(days=2))
    await customer.command("repair")
    assert customer.last.text.startswith(
        f"您有 {moment_label(Language.ZH_HANS, '2026-11-22 10:00')} 开始填写、尚未完成的报修。"
    )
    await customer.press("▶️ 继续填写")
    assert customer.last.text.startswith("出了什么问题？")
    await customer.send("冷藏室不制冷，冷冻室正常。")
    await customer.press("没有照片，继续")
    await customer.share_location(31.1, 121.3)
    await customer.press("跳过")
    await customer.send("13800138000")
    await customer.press(day_label(Language.ZH_HANS, date(2026, 11, 25)))
    await customer.press("上午（9:00-12:00）")
    assert (
        "型号：BCD-215" in customer.last.text
        and f"购买日期：{date_label(Language.ZH_HANS, '2025-12-12')}（在保修期内）"
        in customer.last.text
    )


async def test_start_over_discards_the_old_answers(desk: Desk) -> None:
    customer = desk.person(408, "Fu")
    await customer.command("repair")
    await customer.press("Refrigerator")
    await customer.command("repair")
    await customer.press("🔄 Start over")
    assert customer.last.text == "New repair request. Which product needs repair?"


async def test_an_untouched_draft_expires_with_a_notice(desk: Desk) -> None:
    customer = desk.person(409, "Gao")
    await customer.command("repair")
    await customer.press("Refrigerator")
    await desk.advance(timedelta(hours=73))
    await customer.send("BCD-215")
    assert customer.last.text == (
        f"Your unfinished repair request from {moment_label(Language.EN, '2026-11-22 10:00')} was not touched for 72 hours, "
        "so it was discarded. Send /start to begin a new one."
    )
    await customer.command("repair")
    assert customer.last.text == "New repair request. Which product needs repair?"


async def test_cancel_keeps_the_draft_and_discard_drops_it(desk: Desk) -> None:
    customer = desk.person(410, "Hu")
    await customer.command("repair")
    await customer.press("Water heater")
    await customer.command("cancel")
    assert customer.last.text.startswith("Stopped. What you entered is kept")
    await customer.command("repair")
    await customer.press("▶️ Continue")
    assert customer.last.text.startswith("What is the model?")
    await customer.press("I don't know")
    await customer.press("I don't remember")
    await customer.send("No hot water at all.")
    await customer.press("No photos, continue")
    await customer.send("12 Xujiahui Road")
    await customer.press("Skip")
    await customer.send("13800138000")
    await customer.press(day_label(Language.EN, "2026-11-23"))
    await customer.press("Morning (9:00-12:00)")
    await customer.press("🗑 Discard")
    assert (
        customer.last.text == "Discarded. Nothing was sent. Send /help to see what else I can do."
    )
    assert await _tickets(desk) == []


async def test_switching_flows_keeps_each_draft(desk: Desk) -> None:
    customer = desk.person(411, "Ivy")
    await customer.command("repair")
    await customer.press("Washing machine")
    await customer.command("ask")
    await customer.send("Do you service dishwashers too?")
    [question] = await _tickets(desk)
    assert question.kind == "consultation"
    assert customer.last.text == (
        f"Your question {question.number} is registered. Our staff will reply in this chat within 1 hour, "
        "with a full answer within 24 hours."
    )
    assert question.sla_due_at == desk.clock.now() + timedelta(hours=1)
    await customer.command("repair")
    assert customer.last.text.startswith("You have an unfinished repair request")


async def _complaint(customer: Person, *, serious: bool, related: str | None = None) -> None:
    await customer.command("complain")
    await customer.press("A technician visit")
    await customer.press(related or "None of these")
    await customer.send("The technician scratched the floor and left without cleaning up.")
    await customer.send_photo()
    await customer.press("Done")
    await customer.send("Pay for the floor repair")
    await customer.press("Yes" if serious else "No")
    await customer.send("13800138000")
    await customer.press("✅ Confirm and send")


async def test_a_serious_complaint_pings_each_manager_exactly_once(desk: Desk) -> None:
    boss = desk.person(MANAGER_ID, "Boss", language_code="zh-hans")
    await boss.command("start")
    deputy = desk.person(MANAGER_ID + 1, "Deputy", language_code="en")
    await deputy.command("start")
    async with desk.services.uow() as uow:  # promote the deputy as an invite would
        user = await uow.users.by_telegram_id(deputy.id)
        assert user is not None
        from dispatch.model import Role

        user.role = Role.MANAGER
        await uow.users.save(user)
        await uow.commit()
    boss.new_texts(), deputy.new_texts()
    customer = desk.person(412, "Jun")
    await _complaint(customer, serious=True)
    [ticket] = await _tickets(desk)
    assert (ticket.kind, ticket.priority, ticket.details["severity"]) == (
        "complaint",
        "urgent",
        "serious",
    )
    assert customer.last.text.startswith(
        f"Your complaint {ticket.number} is registered. Because you reported property loss or injury"
    )
    assert (
        "verify the facts within 2 working days and propose a solution within 3 working days"
        in customer.last.text
    )
    assert "at least every 24 hours" in customer.last.text
    assert boss.new_texts() == [
        f"⚠️ 严重投诉 {ticket.number}（技师上门服务）：客户反映有财产损失或人身伤害。\n"
        "The technician scratched the floor and left without cleaning up.\n"
        "客户：Jun。请在 2 个工作日内核实。"
    ]
    assert len(deputy.new_texts()) == 1
    await desk.deliver()
    await desk.advance(timedelta(hours=1))
    assert boss.new_texts() == [] and deputy.new_texts() == []
    assert (
        await _count(desk, OutboxRow, OutboxRow.ticket_id == ticket.id) == 3
    )  # customer + 2 managers


async def test_a_general_complaint_about_an_own_ticket_reaches_the_managers_to_accept(
    desk: Desk,
) -> None:
    boss = desk.person(MANAGER_ID, "Boss")
    await boss.command("start")
    customer = desk.person(413, "Kai")
    await repair_until_review(customer)
    await customer.press("✅ Confirm and send")
    [repair] = await _tickets(desk)
    before = len(boss.texts)  # the repair found no technician on duty: that ping is not counted
    await _complaint(customer, serious=False, related=f"{repair.number} · Repair · Received")
    complaint = (await _tickets(desk))[1]
    assert complaint.related_ticket_id == repair.id and complaint.details["severity"] == "general"
    assert complaint.progress_due_at == desk.clock.now() + timedelta(hours=24)
    assert customer.last.text.startswith(
        f"Your complaint {complaint.number} is registered.\nWhat happens next: we pass it to the department responsible within 1 working day"
    )
    # Not urgent, but someone must accept it within a working day.
    [ping] = boss.texts[before:]
    assert ping.startswith(f"📣 New complaint {complaint.number} (a technician visit) from Kai")


async def test_a_complaint_cannot_point_at_someone_elses_ticket(desk: Desk) -> None:
    other = desk.person(414, "Lin")
    await repair_until_review(other)
    await other.press("✅ Confirm and send")
    [theirs] = await _tickets(desk)
    customer = desk.person(415, "Mia")
    await customer.command("complain")
    await customer.press("Fees")
    await customer.press_data(customer.last, f"cp:related:{theirs.id}")
    assert customer.last.text == "Is it about one of your requests?"  # asked again, not accepted


async def test_an_eligible_return_in_traditional_chinese(desk: Desk) -> None:
    customer = desk.person(416, "黃小姐", language_code="zh-hk")
    await customer.command("return")
    await customer.send("#88")
    assert (
        customer.last.text == "訂單編號由 4 到 32 位字母、數字或短橫線組成，以購買證明上印的為準。"
    )
    await customer.send("so-2026 1188")  # spaces are dropped, letters made capitals
    await customer.press("冰箱")
    await customer.send("0")
    assert customer.last.text == "數量須在 1 到 99 之間。"
    await customer.send("兩台")
    assert customer.last.text == "請輸入整數數量，例如 1 或 2。"
    await customer.send("2")
    await customer.send("2026-11-20")
    await customer.press("品質問題")
    for condition in ("◻️ 未使用", "◻️ 原包裝完好", "◻️ 有購買證明（發票或收據）"):
        await customer.press(condition)
    await customer.press("完成")
    await customer.send_photo()
    await customer.press("完成")
    await customer.send("+852 9123 4567")
    assert "不符合" not in customer.texts[-2]
    await customer.press("✅ 確認送出")
    [ticket] = await _tickets(desk)
    assert ticket.kind == "return" and ticket.details["eligible"] is True
    assert ticket.details["quantity"] == 2 and ticket.details["order_number"] == "SO-20261188"
    assert customer.last.text == (
        f"您的退換貨申請 {ticket.number} 已登記。我們會在 1 個工作天內審核；收到退回商品後，"
        "3 個工作天內完成退款或換貨。傳送 /mytickets 可隨時查看進度。"
    )


async def test_an_ineligible_return_is_explained_and_can_go_to_manual_review(desk: Desk) -> None:
    customer = desk.person(417, "Ned")
    await customer.command("return")
    await customer.send("A12345")
    await customer.press("Air conditioner")
    await customer.press("1")
    await customer.send("2026-11-01")
    await customer.press("I changed my mind")
    await customer.press("◻️ It was custom-made for me")
    await customer.press("Done")
    await customer.press("No photos, continue")
    await customer.send("13800138000")
    assert (
        "This request does not meet the usual return conditions:\n"
        "• More than 7 days have passed since the purchase or delivery.\n"
        "• The product has been used.\n"
        "• The original packaging is missing.\n"
        "• There is no proof of purchase.\n"
        "• Custom-made products cannot be returned.\n"
        "You can still send it: our staff will review it by hand.\n\n"
        "Is everything right? Tap a button to change it, or confirm."
    ) in customer.last.text
    await customer.press("✅ Confirm and send")
    [ticket] = await _tickets(desk)
    assert ticket.details["eligible"] is False and len(ticket.details["refusals"]) == 5
    assert "registered for a manual review" in customer.last.text


async def test_a_question_in_simplified_chinese(desk: Desk) -> None:
    customer = desk.person(418, "欧阳", language_code="zh-cn")
    await customer.command("ask")
    await customer.send("多久")
    assert customer.last.text == "内容有点短，请至少写 5 个字。"
    await customer.send("空调滤网多久需要清洗一次？")
    [ticket] = await _tickets(desk)
    assert ticket.description == "空调滤网多久需要清洗一次？"
    assert (
        customer.last.text
        == f"您的咨询 {ticket.number} 已登记。工作人员会在 1 小时内在此回复，并在 24 小时内给出完整答复。"
    )


async def test_mytickets_shows_the_timeline_and_adds_photos_later(desk: Desk) -> None:
    customer = desk.person(419, "Ola")
    await customer.command("mytickets")
    assert (
        customer.last.text
        == "You have no requests yet. Send /repair, /install, /complain, /return or /ask to make one."
    )
    await repair_until_review(customer)
    await customer.press("✅ Confirm and send")
    [ticket] = await _tickets(desk)
    await desk.advance(timedelta(minutes=30))
    await customer.command("mytickets")
    await customer.press(f"{ticket.number} · Repair · Received")
    assert customer.last.text == (
        f"{ticket.number} · Repair · Received\nIt blows warm air and shows E4 since yesterday.\n\n"
        f"Progress:\n{moment_label(Language.EN, '2026-11-22 10:00')} — Request received"
    )
    await customer.press("➕ Add information or photos")
    await customer.send("The outdoor unit also leaks water.")
    await customer.send_album(2)
    await customer.press("Done")
    assert customer.last.text == f"Added to {ticket.number}. Thank you."
    assert await _count(desk, AttachmentRow, AttachmentRow.ticket_id == ticket.id) == 4
    await customer.command("mytickets")
    await customer.press(f"{ticket.number} · Repair · Received")
    assert customer.last.text.endswith(
        f"{moment_label(Language.EN, '2026-11-22 10:30')} — You added information: The outdoor unit also leaks water. (+2 photos)"
    )


async def test_a_request_is_cancelled_with_a_reason_before_work_starts(desk: Desk) -> None:
    customer = desk.person(420, "Pei", language_code="zh-hans")
    await customer.command("ask")
    await customer.send("你们周末上门维修吗？")
    [ticket] = await _tickets(desk)
    await customer.command("mytickets")
    await customer.press(f"{ticket.number} · 咨询 · 已受理")
    await customer.press("✖ 取消此申请")
    await customer.send("好")
    assert customer.last.text == "内容有点短，请至少写 2 个字。" or customer.last.text.startswith(
        "内容有点短"
    )
    await customer.send("已经在网上找到答案了")
    assert customer.last.text == f"{ticket.number} 已取消。"
    [stored] = await _tickets(desk)
    assert stored.status == "cancelled" and stored.sla_due_at is None
    async with desk.services.uow() as uow:  # as the desk reads its log
        [event] = [e for e in await uow.events.for_ticket(stored.id) if e.to_status == "cancelled"]
    assert event.details == {"reason": "已经在网上找到答案了", "by": "customer"}
    async with desk.db() as session:  # the reason itself kept beside the log, erasable
        row = await session.scalar(select(EventRow).where(EventRow.to_status == "cancelled"))
    assert row is not None and set(row.details) == {"reason_id", "reason_sha256", "by"}


async def test_a_request_in_progress_cannot_be_cancelled(desk: Desk) -> None:
    customer = desk.person(421, "Qin")
    await repair_until_review(customer)
    await customer.press("✅ Confirm and send")
    [ticket] = await _tickets(desk)
    await customer.command("mytickets")
    await customer.press(f"{ticket.number} · Repair · Received")
    old_view = customer.last
    for status in ("offered", "assigned", "en_route"):
        await change_status(
            desk.services.uow(),
            desk.clock,
            ticket_id=ticket.id,
            to=status,
            actor_id=None,
            policy=desk.services.policy,
        )
    await customer.press_data(old_view, f"mt:open:{ticket.id}")
    assert [b["text"] for b in customer.last.inline_buttons] == [
        "➕ Add information or photos",
        "« All my requests",
    ]
    await customer.press_data(old_view, f"mt:cancel:{ticket.id}")  # the stale cancel button
    await customer.send("Changed my mind")
    assert customer.last.text.startswith(
        "This request can no longer be cancelled, because the work has started."
    )
    [stored] = await _tickets(desk)
    assert stored.status == "en_route"


async def test_nobody_sees_or_touches_another_customers_ticket(desk: Desk) -> None:
    owner = desk.person(422, "Ren")
    await repair_until_review(owner)
    await owner.press("✅ Confirm and send")
    [ticket] = await _tickets(desk)
    snoop = desk.person(423, "Sam")
    await snoop.command("start")
    await snoop.press_data(snoop.last, f"mt:open:{ticket.id}")
    assert snoop.last.text == "That request was not found."
    await snoop.press_data(snoop.last, f"mt:cancel:{ticket.id}")
    await snoop.send("Because I can")
    assert snoop.last.text == "That request was not found."
    [stored] = await _tickets(desk)
    assert stored.status == "new"


@pytest.mark.parametrize("kind", [TicketKind.REPAIR])
async def test_each_ticket_has_exactly_one_confirmation(desk: Desk, kind: TicketKind) -> None:
    """A ticket exists if and only if its customer was told its number."""
    people = [desk.person(430 + i, f"P{i}") for i in range(3)]
    for person in people:
        await repair_until_review(person, location=False)
        await person.press("✅ Confirm and send")
    tickets = await _tickets(desk)
    assert len(tickets) == 3
    for person, ticket in zip(people, tickets, strict=True):
        assert [t for t in person.texts if ticket.number in t] == [person.last.text]
        assert ticket.kind == kind


async def test_start_reminds_of_an_unfinished_request(desk: Desk) -> None:
    customer = desk.person(440, "Tao", language_code="zh-tw")
    await customer.command("complain")
    await customer.press("收費問題")
    await customer.command("start")
    assert customer.last.text.endswith("\n\n您有尚未完成的投訴。傳送 /complain 繼續填寫。")


async def test_only_slots_still_ahead_are_offered(desk: Desk) -> None:
    desk.clock.set(datetime(2026, 11, 22, 4, 55, tzinfo=UTC))  # 12:55 on Sunday in Shanghai
    customer = desk.person(441, "Lu")
    await repair_until_review(customer, until_time=True)
    days = [b["text"] for b in customer.last.inline_buttons]
    assert days[0] == day_label(Language.EN, "2026-11-22")  # the afternoon is still open
    await customer.press(day_label(Language.EN, "2026-11-22"))
    assert [b["text"] for b in customer.last.inline_buttons] == [
        "Afternoon (12:00-18:00)",
        "Evening (18:00-21:00)",
    ]
    await customer.press_data(customer.last, "rp:slot:morning")  # forged or stale: refused
    assert customer.alerts()[-1] == "That time has passed; please pick another."
    assert customer.last.text == "Which day suits you best for the visit?"  # asked again
    desk.clock.set(datetime(2026, 11, 22, 10, 45, tzinfo=UTC))  # 18:45: nothing left today
    await customer.press(day_label(Language.EN, "2026-11-22"))  # on the list shown at 12:55
    assert customer.alerts()[-1] == "That day is no longer available; please pick another."
    assert customer.last.inline_buttons[0]["text"] == day_label(Language.EN, "2026-11-23")
    assert len(customer.last.inline_buttons) == 13  # up to 13 days ahead, as before


async def test_a_hong_kong_desk_speaks_hong_kong_chinese(desk_factory: Callable[..., Desk]) -> None:
    """The same flow as in Taiwan, with the Hong Kong words where they differ."""
    desk: Desk = await desk_factory(replace={'# region = "HK"': 'region = "HK"'})  # type: ignore[misc]
    customer = desk.person(450, "李先生", language_code="zh-hk")
    await customer.command("repair")
    await customer.press("冷氣")
    await customer.press("不清楚")
    await customer.press("記不清了")
    await customer.send("冷氣開著但不涼，還有異味。")
    await customer.press("沒有照片，繼續")
    assert customer.last.text == (
        "技師應上門到哪裡？請用按鈕傳送位置，或輸入地址（如有屋苑或大廈名稱也請寫上）。"
    )
    await customer.share_location(22.2819, 114.1589)
    await customer.send("中環皇后大道中 1 號 10 樓")
    await customer.send("9123 4567")  # a local Hong Kong number, kept with its code
    assert customer.last.text == "電話號碼已儲存：+85291234567\n\n您希望哪天上門服務？"
