"""The staff group: the desk's own topics, a topic per case with its card pinned and edited
in place, the topic named after the case and closed with it, recreated when deleted, and
the group's limit kept."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from sandbox.botapi import SentMessage
from storage.models import StaffPostRow, TicketRow
from tests.conftest import MANAGER_ID
from tests.handlers.test_complaints import DEPUTY_ID, _complaint
from tests.harness import Desk, Person

GROUP = -1_001_234_567_890


@pytest.fixture
async def desk(desk_factory: Callable[..., Awaitable[Desk]]) -> Desk:
    return await desk_factory(
        managers=(MANAGER_ID,),
        replace={"operators = []": f"operators = []\nstaff_group = {GROUP}"},
    )


async def _drain(desk: Desk) -> None:
    """Let the group's queue empty, as a running desk would (at 20 a minute)."""
    for _ in range(400):
        await desk.deliver()
        async with desk.db() as session:
            left = await session.scalar(
                select(func.count())
                .select_from(StaffPostRow)
                .where(StaffPostRow.sent_at.is_(None), StaffPostRow.dead_at.is_(None))
            )
        if not left:
            return
        desk.wire.human_seconds += 3
        desk.clock.advance(timedelta(seconds=3))
    raise AssertionError("the staff room's queue did not empty")


def _topic_names(desk: Desk) -> list[str]:
    return [t.name for t in desk.api.forums[GROUP].topics.values() if not t.deleted]


def _card(desk: Desk, thread: int) -> SentMessage:
    [card] = [
        m
        for m in desk.api.messages[GROUP]
        if m.extra.get("message_thread_id") == thread and m.extra.get("pinned")
    ]
    return card


async def _ticket(desk: Desk) -> TicketRow:
    async with desk.db() as session:
        ticket = await session.scalar(select(TicketRow))
    assert ticket is not None
    return ticket


async def test_a_complaint_gets_a_topic_whose_card_follows_the_case(desk: Desk) -> None:
    boss = desk.person(MANAGER_ID, "Boss")
    await boss.command("start")
    await _drain(desk)
    assert _topic_names(desk) == ["📥 New cases", "🚨 Escalations", "🛠 Dispatch", "📊 Reports"]

    ticket = await _complaint(desk, desk.person(901, "Kim Lee"))
    await _drain(desk)
    forum = desk.api.forums[GROUP]
    [(thread, topic)] = [(k, t) for k, t in forum.topics.items() if "C-" in t.name]
    assert topic.name == f"🟢 {ticket.number} · Complaint · Kim · 11-23 10:00"  # the 24-hour news
    card = _card(desk, thread)
    assert card.text.startswith(f"📁 {ticket.number} · Complaint · Received\nCustomer: Kim Lee")
    assert card.inline_buttons == [
        {"text": "🙋 Take it", "callback_data": f"cs:take:{ticket.id}"},
        {"text": "📥 Accept and classify", "callback_data": f"ck:acc:{ticket.id}"},
        {"text": "🚫 Unfounded", "callback_data": f"ck:step:{ticket.id}:dismiss"},
        {
            "text": "📁 Open in my chat with the bot",
            "url": f"https://t.me/aftercare_test_bot?start=case_{ticket.id}",
        },
    ]
    # Taken from the group: only a manager may, and the card then says who holds it.
    visitor = desk.person(903, "Visitor")
    await visitor.press_in_group(GROUP, "🙋 Take it")
    assert visitor.alerts()[-1] == "This is not available to you."
    await boss.press_in_group(GROUP, "🙋 Take it")
    assert boss.alerts()[-1] == f"{ticket.number} is yours now."
    await _drain(desk)
    card = _card(desk, thread)
    assert "Held by: Boss" in card.text
    assert [b["text"] for b in card.inline_buttons] == [
        "📥 Accept and classify",
        "🚫 Unfounded",
        "📁 Open in my chat with the bot",
    ]

    # Worked from the card in the group (the steps that need no typing), answered in the
    # topic; the same card is edited, and the name shows the next deadline.
    await boss.press_in_group(GROUP, "📥 Accept and classify")
    assert _in_topic(desk, thread)[-1] == "How serious is it?"
    await boss.press_in_group(GROUP, "General")
    await boss.press_in_group(GROUP, "The technician")
    await _drain(desk)
    card = _card(desk, thread)
    assert card.edits == 2  # taken, then classified: edited in place each time
    assert card.text.startswith(
        f"📁 {ticket.number} · Complaint · Passed to the department responsible"
    )
    assert forum.topics[thread].name.startswith(f"🟢 {ticket.number} · Complaint · Kim · ")

    # Unfounded after all, from the card: the reason is the manager's next message in the
    # topic, previewed; the case closes, and so does its topic.
    await boss.press_in_group(GROUP, "🚫 Unfounded")
    assert _in_topic(desk, thread)[-1] == (
        f"For Boss:\nWhy is {ticket.number} unfounded? The customer will read your reason, so "
        "please write it kindly.\nYour next message in this topic is the answer.\n"
        "Send /cancel to stop."
    )
    await boss.write_in_topic(GROUP, thread, "The visit was on time according to the record.")
    assert _in_topic(desk, thread)[-1] == (
        "The customer will read:\n\nThe visit was on time according to the record."
    )
    await boss.press_in_group(GROUP, "📨 Send it")
    await _drain(desk)
    assert "The visit was on time according to the record." in desk.person(901, "Kim").last.text
    assert forum.topics[thread].closed
    assert forum.topics[thread].name == f"✅ {ticket.number} · Complaint · Kim"
    # The card's link opens the case in a manager's own chat.
    await boss.command("start", f"case_{ticket.id}")
    assert boss.last.text.startswith(f"📁 {ticket.number} · Complaint · Closed")


async def test_a_deleted_topic_is_created_again_with_its_card(desk: Desk) -> None:
    boss = desk.person(MANAGER_ID, "Boss")
    await boss.command("start")
    ticket = await _complaint(desk, desk.person(902, "王芳"))
    await _drain(desk)
    forum = desk.api.forums[GROUP]
    [first] = [k for k, t in forum.topics.items() if ticket.number in t.name]
    assert forum.topics[first].name.startswith(f"🟢 {ticket.number} · Complaint · 王 · ")
    desk.api.delete_topic(GROUP, first)
    await boss.press("📥 Accept and classify")
    await boss.press("Serious")
    await boss.press("Product quality")
    await _drain(desk)
    [again] = [k for k, t in forum.topics.items() if ticket.number in t.name and not t.deleted]
    assert again != first
    assert _card(desk, again).text.startswith(
        f"📁 {ticket.number} · Complaint · Passed to the department responsible"
    )


async def test_a_burst_of_cases_keeps_to_the_groups_limit_and_loses_nothing(desk: Desk) -> None:
    boss = desk.person(MANAGER_ID, "Boss")
    await boss.command("start")
    for i in range(12):
        customer = desk.person(910 + i, f"C{i}")
        await customer.command("ask")
        await customer.send(f"Question number {i}: is the remote covered by the warranty?")
    await _drain(desk)
    forum = desk.api.forums[GROUP]
    assert (
        len([t for t in forum.topics.values() if t.name.startswith("🟠 Q-")]) == 12
    )  # 1 hour to go
    assert len(forum.pinned) == 12
    assert desk.api.flood_refusals == 0  # paced, never refused
    # New cases are listed in the desk's own topic, a burst folded into few messages.
    [new_cases] = [k for k, t in forum.topics.items() if t.name == "📥 New cases"]
    lines = [
        m.text
        for m in desk.api.messages[GROUP]
        if m.extra.get("message_thread_id") == new_cases and m.kind == "text"
    ]
    listed = "\n\n".join(lines)
    assert all(f"Q-20261122-{i:04d} · Question from C{i - 1}:" in listed for i in range(1, 13))
    if desk.human:  # lines that had to wait for the group's pace went out together
        assert len(lines) < 12

    await boss.command("start", "case_999999")
    assert boss.last.text == "That request was not found."
    stranger = desk.person(930, "Stranger")
    await stranger.command("start", "case_1")
    assert stranger.last.text == "This command is for managers. Send /help to see what you can do."


async def test_what_the_customer_writes_is_copied_into_the_cases_topic(desk: Desk) -> None:
    boss = desk.person(MANAGER_ID, "Boss")
    await boss.command("start")
    customer = desk.person(940, "Amy")
    await customer.command("ask")
    await customer.send("Does the warranty cover the remote control?")
    await customer.send("It stopped working after a week.")  # joins the question
    await customer.command("mytickets")
    ticket = await _ticket(desk)
    await customer.press(f"{ticket.number} · Question · Received")
    await customer.press("➕ Add information or photos")
    await customer.send("Here is the receipt.")
    await customer.send_album(2)
    await customer.press("Done")
    await _drain(desk)
    forum = desk.api.forums[GROUP]
    [thread] = [k for k, t in forum.topics.items() if ticket.number in t.name]
    in_topic = [
        (m.kind, m.text)
        for m in desk.api.messages[GROUP]
        if m.extra.get("message_thread_id") == thread
        and not m.extra.get("pinned")
        and m.kind != "service"
    ]
    # Once they are all there, the card no longer announces any on their way.
    assert "on their way" not in _card(desk, thread).text
    # The team reads it there; the managers' private chats stay for what is urgent.
    assert not any("adds to question" in text for text in boss.texts)
    assert in_topic == [
        ("text", "It stopped working after a week."),
        ("text", "Here is the receipt."),
        ("photo", ""),
        ("photo", ""),
    ]


def _thread_of(desk: Desk, number: str) -> int:
    [thread] = [
        k for k, t in desk.api.forums[GROUP].topics.items() if number in t.name and not t.deleted
    ]
    return thread


def _in_topic(desk: Desk, thread: int) -> list[str]:
    return [
        m.text
        for m in desk.api.messages[GROUP]
        if m.extra.get("message_thread_id") == thread and m.kind == "text" and not m.deleted
    ]


async def test_in_a_topic_managers_write_notes_and_reply_to_the_customer_with_r(
    desk: Desk,
) -> None:
    boss = desk.person(MANAGER_ID, "Boss")
    await boss.command("start")
    customer = desk.person(950, "Amy")
    ticket = await _complaint(desk, customer)
    await _drain(desk)
    thread = _thread_of(desk, ticket.number)

    # A manager's message in the topic is a note: kept for staff, never sent on.
    await boss.write_in_topic(GROUP, thread, "Called the technician: he admits the scratch.")
    await _drain(desk)
    assert not any("admits" in text for text in customer.texts)
    assert "Internal note (Boss)" in _card(desk, thread).text

    # /r shows what the customer will read; only its author may send it.
    await boss.write_in_topic(GROUP, thread, "/r 我们已联系技师，今天下午会给您回电。")
    assert _in_topic(desk, thread)[-1] == (
        f"The customer of {ticket.number} will read:\n\n我们已联系技师，今天下午会给您回电。"
    )
    other = desk.person(951, "Visitor")
    await other.press_in_group(GROUP, "📨 Send it")
    assert other.alerts()[-1] == "This is not available to you."
    assert not any("回电" in text for text in customer.texts)
    await boss.press_in_group(GROUP, "📨 Send it")
    assert customer.last.text == (
        f"💬 About your complaint {ticket.number}:\n我们已联系技师，今天下午会给您回电。"
    )
    assert _in_topic(desk, thread)[-1] == f"Sent to the customer of {ticket.number}."

    # A member without a role is told politely; nothing is kept with the case.
    await other.write_in_topic(GROUP, thread, "Can I help?")
    assert _in_topic(desk, thread)[-1].startswith("Cases are worked by the desk's managers.")
    # Private-chat features never answer in the group.
    await boss.write_in_topic(GROUP, thread, "/help")
    assert not any(t.startswith("Here is what you can do") for t in _in_topic(desk, thread))


async def test_a_question_is_answered_from_its_topic_and_its_clocks_stop(desk: Desk) -> None:
    boss = desk.person(MANAGER_ID, "Boss")
    await boss.command("start")
    customer = desk.person(960, "Amy")
    await customer.command("ask")
    await customer.send("Can the filter be washed with water?")
    ticket = await _ticket(desk)
    await _drain(desk)
    thread = _thread_of(desk, ticket.number)
    await boss.write_in_topic(GROUP, thread, "/r Yes, with lukewarm water.")
    await boss.press_in_group(GROUP, "📨 Send: more to follow")
    assert customer.last.text.startswith(f"💬 About your question {ticket.number}:")
    responded = await _ticket(desk)
    assert responded.status == "responded" and responded.sla_step == "consultation_answer"
    await boss.write_in_topic(GROUP, thread, "/r Let it dry in the shade before putting it back.")
    await boss.press_in_group(GROUP, "✅ Send: this answers the question")
    assert (await _ticket(desk)).status == "answered"
    await _drain(desk)
    assert _card(desk, thread).text.startswith(f"📁 {ticket.number} · Question · Answered")
    # Answered, nobody has anything to do: the topic closes until the customer writes again.
    topic = desk.api.forums[GROUP].topics[thread]
    assert topic.closed and topic.name.startswith(f"✅ {ticket.number}")
    await boss.command("queue")
    assert ticket.number not in boss.last.text + str(boss.last.inline_buttons)

    await desk.advance(timedelta(hours=3))
    await customer.send("And the outer grille, can that be washed too?")
    reopened = await _ticket(desk)
    assert reopened.status == "reopened" and reopened.sla_step == "consultation_answer"
    assert reopened.sla_due_at == desk.clock.now() + timedelta(hours=24)  # a new answer clock
    await _drain(desk)
    assert not topic.closed and topic.name.startswith(f"🟢 {ticket.number}")
    assert _card(desk, thread).text.startswith(f"📁 {ticket.number} · Question · Asked again")
    await boss.command("queue")
    assert [b["text"] for b in boss.last.inline_buttons] == [
        f"🟢 {ticket.number} · Question · Asked again"
    ]
    copied = [m for m in desk.api.messages[GROUP] if m.extra.get("message_thread_id") == thread]
    assert copied[-1].text == "And the outer grille, can that be washed too?"
    await boss.write_in_topic(GROUP, thread, "/r Yes, the grille too, with a soft brush.")
    await boss.press_in_group(GROUP, "✅ Send: this answers the question")
    assert customer.last.text.endswith("Yes, the grille too, with a soft brush.")
    assert (await _ticket(desk)).status == "answered"
    await _drain(desk)
    assert topic.closed


async def test_a_repair_nobody_can_take_gets_a_topic_and_a_line_in_dispatch(desk: Desk) -> None:
    from tests.handlers.test_intake import repair_until_review

    boss = desk.person(MANAGER_ID, "Boss")
    await boss.command("start")
    customer = desk.person(970, "Amy")
    await repair_until_review(customer)
    await customer.press("✅ Confirm and send")  # no technician is on duty
    ticket = await _ticket(desk)
    await _drain(desk)
    forum = desk.api.forums[GROUP]
    assert _card(desk, _thread_of(desk, ticket.number)).text.startswith(
        f"📁 {ticket.number} · Repair · Received"
    )
    [dispatch] = [k for k, t in forum.topics.items() if t.name == "🛠 Dispatch"]
    assert any(
        m.text.startswith(f"🛠 Nobody can take {ticket.number} (Air conditioner):")
        for m in desk.api.messages[GROUP]
        if m.extra.get("message_thread_id") == dispatch
    )
    # Its dispatch limit passes: the breach is listed in Escalations too.
    await desk.advance(timedelta(hours=2))
    await desk.sweep()
    await _drain(desk)
    [escalations] = [k for k, t in forum.topics.items() if t.name == "🚨 Escalations"]
    assert any(
        m.text.startswith(f"🚨 {ticket.number}: dispatch to a technician, overdue")
        for m in desk.api.messages[GROUP]
        if m.extra.get("message_thread_id") == escalations
    )


async def test_a_return_is_approved_and_followed_from_its_card_in_the_group(desk: Desk) -> None:
    from tests.handlers.test_decisions import _return

    boss = desk.person(MANAGER_ID, "Boss")
    await boss.command("start")
    await _return(desk.person(980, "Amy"))
    ticket = await _ticket(desk)
    await _drain(desk)
    thread = _thread_of(desk, ticket.number)
    assert [b["text"] for b in _card(desk, thread).inline_buttons] == [
        "🙋 Take it",
        "✅ Approve",
        "✖ Refuse",
        "📁 Open in my chat with the bot",
    ]
    await boss.press_in_group(GROUP, "✅ Approve")
    await _drain(desk)
    assert (await _ticket(desk)).status == "approved"
    assert "📦 Goods received" in [b["text"] for b in _card(desk, thread).inline_buttons]
    await boss.press_in_group(GROUP, "📦 Goods received")
    await _drain(desk)
    assert (await _ticket(desk)).status == "received"

    # Another return refused from its card: the reason is the manager's next message in its
    # topic; what anyone else writes there meanwhile stays a note.
    bob = desk.person(981, "Bob")
    await _return(bob)
    await _drain(desk)
    async with desk.db() as session:
        second = await session.scalar(select(TicketRow).where(TicketRow.id != ticket.id))
    assert second is not None
    other = _thread_of(desk, second.number)
    card = _card(desk, other)
    [refuse] = [b for b in card.inline_buttons if b["text"] == "✖ Refuse"]
    await boss.press_data(card, str(refuse["callback_data"]))
    assert _in_topic(desk, other)[-1].startswith(f"For Boss:\nWhy is {second.number} refused?")
    await boss.write_in_topic(GROUP, thread, "Courier booked for Amy's fridge.")  # elsewhere
    await boss.write_in_topic(
        GROUP, other, "The seal is broken and the fridge was used for three weeks."
    )
    await _drain(desk)
    assert "Internal note (Boss)" in _card(desk, thread).text  # a note where it was written
    assert "Courier" not in bob.last.text
    assert "The seal is broken" in bob.last.text
    async with desk.db() as session:
        refused = await session.get(TicketRow, second.id)
    assert refused is not None and refused.status == "closed"
    assert f"Refused: {second.number}. The customer has been told why." in _in_topic(desk, other)
    assert desk.api.forums[GROUP].topics[other].closed


@pytest.fixture
async def team_desk(desk_factory: Callable[..., Awaitable[Desk]]) -> Desk:
    return await desk_factory(
        managers=(MANAGER_ID, DEPUTY_ID),
        replace={"operators = []": f"operators = []\nstaff_group = {GROUP}"},
    )


async def test_the_whole_complaint_procedure_is_worked_in_its_topic(team_desk: Desk) -> None:
    desk = team_desk
    boss = desk.person(MANAGER_ID, "Boss")
    deputy = desk.person(DEPUTY_ID, "Deputy", language_code="zh-hans")
    await boss.command("start")
    await deputy.command("start")
    customer = desk.person(990, "Kim")
    ticket = await _complaint(desk, customer)
    await _drain(desk)
    thread = _thread_of(desk, ticket.number)

    async def card_press(person: Person, label: str) -> None:
        await _drain(desk)
        card = _card(desk, thread)
        [button] = [b for b in card.inline_buttons if b["text"] == label]
        await person.press_data(card, str(button["callback_data"]))

    await card_press(boss, "📥 Accept and classify")
    await boss.press_in_group(GROUP, "Serious")
    await boss.press_in_group(GROUP, "The technician")
    await card_press(boss, "🔎 Record the verification")
    # The deputy's message meanwhile is a note; the boss's next message is the step.
    await deputy.write_in_topic(GROUP, thread, "这位客户上个月也报修过。")
    await boss.write_in_topic(GROUP, thread, "The technician's photos show a 5 cm scratch.")
    assert _in_topic(desk, thread)[-1] == "Verification recorded; the plan is due next."
    assert (await _ticket(desk)).status == "verified"

    # The plan, piece by piece in the topic; the owner buttons answer only their author.
    await card_press(boss, "📋 Propose a plan")
    await boss.write_in_topic(GROUP, thread, "We repair the floor.")
    assert _in_topic(desk, thread)[-1] == "Who owns the plan?"
    await deputy.press_in_group(GROUP, "Deputy")
    assert _in_topic(desk, thread)[-1] == "Who owns the plan?"  # not the deputy's plan
    await boss.press_in_group(GROUP, "Boss")
    await boss.write_in_topic(GROUP, thread, "12-01")
    await boss.write_in_topic(GROUP, thread, "200")
    await boss.press_in_group(GROUP, "✅ Submit the plan")
    # Its author cannot approve it; the second manager refuses it with a reason, typed.
    await card_press(boss, "✅ Approve the plan")
    assert boss.alerts()[-1] == "A plan needs another manager's approval."
    await card_press(deputy, "✖ Refuse the plan")
    assert _in_topic(desk, thread)[-1].startswith("Deputy，请填写：\n为什么驳回")  # her language
    await deputy.write_in_topic(GROUP, thread, "赔偿金额请先和财务确认。")
    assert (await _ticket(desk)).details.get("pending_plan") is None
    assert "赔偿金额请先和财务确认。" in boss.last.text  # the author is told why
    # Proposed again, and approved by the deputy.
    await card_press(boss, "📋 Propose a plan")
    await boss.write_in_topic(GROUP, thread, "We repair the floor and pay CN¥150.")
    await boss.press_in_group(GROUP, "Boss")
    await boss.write_in_topic(GROUP, thread, "12-01")
    await boss.write_in_topic(GROUP, thread, "150")
    await boss.press_in_group(GROUP, "✅ Submit the plan")
    await card_press(deputy, "✅ Approve the plan")
    assert (await _ticket(desk)).status == "planned"
    assert "We repair the floor and pay CN¥150." in customer.last.text

    await card_press(boss, "🛠 Mark it resolved")
    await boss.write_in_topic(GROUP, thread, "Floor repaired on 30 Nov; CN¥150 paid.")
    await card_press(boss, "✅ Reply with the outcome and close")
    await boss.write_in_topic(GROUP, thread, "The floor is repaired and CN¥150 is paid.")
    assert _in_topic(desk, thread)[-1] == (
        "The customer will read:\n\nThe floor is repaired and CN¥150 is paid."
    )
    await boss.press_in_group(GROUP, "📨 Send it")
    closed = await _ticket(desk)
    assert closed.status == "closed"
    assert "The floor is repaired and CN¥150 is paid." in customer.last.text
    await _drain(desk)
    assert desk.api.forums[GROUP].topics[thread].closed
    # Nothing the staff wrote as notes reached the customer.
    assert not any("上个月" in text or "5 cm" in text for text in customer.texts)
