"""/privacy shows a customer what the desk keeps; /forget erases it after a confirmation,
keeps the anonymous figures and the signed record's hash, and tells the managers of a
case still open. Walked in English and Chinese."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.verify import seal_events, verify_desk
from storage.models import EventRow, EventTextRow, InboxRow, ServiceRecordRow, TicketRow, UserRow
from tests.conftest import MANAGER_ID
from tests.handlers.test_intake import repair_until_review
from tests.handlers.test_survey import signed_job
from tests.harness import Desk


async def test_privacy_shows_what_is_kept_and_forget_erases_it(desk: Desk) -> None:
    boss = desk.person(MANAGER_ID, "Boss")
    await boss.command("start")
    amy = desk.person(801, "Amy", last_name="Zhang", username="amyzhang")
    signed = await signed_job(desk, amy)  # a signed repair: its record's hash must stay
    await desk.advance(timedelta(minutes=5))  # (people type at most 30 messages a minute)
    await repair_until_review(amy)  # and a second repair, still open
    await amy.press("✅ Confirm and send")
    await desk.advance(timedelta(minutes=5))
    await amy.command("ask")  # a question, answered: the answer is written on her case
    await amy.send("Does the warranty cover the filter?")
    await boss.press("✍️ Answer")
    await boss.send("Yes, the filter is covered for two years.")
    await boss.press("✅ Send: this answers the question")
    assert "Yes, the filter is covered for two years." in amy.last.text
    async with desk.db() as session:
        written = list(await session.scalars(select(EventTextRow.text)))
    assert written == ["Yes, the filter is covered for two years."]
    await desk.advance(timedelta(minutes=5))
    await amy.command("privacy")
    shown = amy.last.text.splitlines()
    assert shown[:4] == [
        "🔒 What we keep about you:",
        "Name: Amy Zhang",
        "Telegram username: amyzhang",
        "Phone: +8613800138000",
    ]
    assert "Addresses you gave:" in shown and "Building 3, room 1201" in shown
    assert "Your requests (3):" in shown
    assert f"{signed} · Repair · Signed by you" in shown
    assert shown[-1].endswith("Send /forget to have your personal data erased.")

    await amy.command("forget")
    assert "You still have open requests:" in amy.last.text
    still_open = [line for line in amy.last.text.splitlines() if line.startswith("R-")]
    assert still_open == [signed, "R-20261122-0002"]  # signed, its survey still to come;
    # the question, answered, is at rest
    await amy.press("Keep my data")
    assert amy.last.text == "Nothing was erased."
    await amy.command("forget")
    await amy.press("🗑 Erase my data")
    assert amy.last.text.startswith("🔒 Your personal data is erased.")
    told = [m for m in boss.texts if m.startswith("🔒 ")]
    assert [m.split(":")[0] for m in told] == [f"🔒 {number}" for number in still_open]
    assert told[0].endswith(
        "the customer asked us to erase their personal data. The case stays "
        "open, without their name, phone, address or description: write to them from the case."
    )

    erased_at_update = desk.next_update_id()
    await amy.command("privacy")  # (Telegram sends her name with it: kept 30 days at most)
    shown = amy.last.text.splitlines()
    assert shown[2:4] == ["Telegram username: not given", "Phone: not given"]
    assert "Addresses you gave:" not in shown and "Your requests (3):" in shown
    async with desk.db() as session:
        user = await session.scalar(select(UserRow).where(UserRow.telegram_id == 801))
        tickets = list(await session.scalars(select(TicketRow).order_by(TicketRow.id)))
        record = await session.scalar(select(ServiceRecordRow))
        before = select(InboxRow.payload).where(
            InboxRow.update_id < erased_at_update, InboxRow.chat_id == 801
        )  # her own chat (staff chats' raw updates go with the 30 days' pruning)
        payloads = [p for p in await session.scalars(before) if "Zhang" in str(p)]
        forgotten = await session.scalar(select(EventRow).where(EventRow.kind == "user.forgotten"))
        written = list(await session.scalars(select(EventTextRow.text)))
    assert user is not None and user.forgotten_at is not None
    assert (user.display_name, user.phone, user.username) == (f"#{user.id}", None, None)
    assert all(
        t.address is None and t.contact_phone is None and t.description == "" for t in tickets
    )
    assert [t.kind for t in tickets] == ["repair", "repair", "consultation"]  # figures stay
    assert record is not None and record.signed_payload is None and record.signed_hash
    assert payloads == [] and forgotten is not None
    assert written == [None]  # the answer on her case, erased; the event and its hash stay
    await seal_events(desk.services.uow)
    assert (await verify_desk(desk.services.uow, desk.clock.now())).findings == []


async def test_privacy_in_chinese(desk: Desk) -> None:
    li = desk.person(802, "李雷", language_code="zh-hans")
    await li.command("privacy")
    assert li.last.text.splitlines()[:4] == [
        "🔒 我们保存的您的信息：",
        "姓名：李雷",
        "Telegram 用户名：未提供",
        "电话：未提供",
    ]
    await li.command("forget")
    assert li.last.text.startswith("要删除您的个人信息吗？")
    await li.press("🗑 删除我的信息")
    assert li.last.text.startswith("🔒 您的个人信息已删除。")
