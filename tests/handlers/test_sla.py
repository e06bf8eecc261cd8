"""Time limits through the real bot: warnings, breaches, escalations, each once, to the right people."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from dispatch.model import Language
from storage.models import EventRow, OutboxRow, TicketRow
from tests.conftest import MANAGER_ID
from tests.handlers.test_dispatch import technician
from tests.handlers.test_intake import repair_until_review
from tests.harness import Desk, Person, day_label, moment_label

DIRECTOR_ID = MANAGER_ID + 1


async def _desk(desk_factory: object) -> tuple[Desk, Person, Person]:
    desk: Desk = await desk_factory(  # type: ignore[operator]
        managers=(MANAGER_ID, DIRECTOR_ID),
        replace={"directors = []": f"directors = [{DIRECTOR_ID}]"},
    )
    manager = desk.person(MANAGER_ID, "Boss")
    director = desk.person(DIRECTOR_ID, "Chief", language_code="zh-hans")
    for person in (manager, director):
        await person.command("start")
        person.new_texts()
    return desk, manager, director


async def test_the_dispatch_limit_warns_then_alerts_then_escalates_each_once(
    desk_factory: object,
) -> None:
    desk, manager, director = await _desk(desk_factory)
    customer = desk.person(701, "Amy")
    await repair_until_review(customer)
    await customer.press("✅ Confirm and send")  # 10:00, nobody on duty
    number = customer.last.text.split()[3]
    manager.new_texts(), director.new_texts()

    await desk.advance(timedelta(minutes=47))
    assert await desk.sweep() == 0
    await desk.advance(timedelta(minutes=1))  # 80 % of 1 hour
    await desk.sweep()
    assert manager.new_texts() == [
        f"⏳ {number}: dispatch to a technician is due at {moment_label(Language.EN, '2026-11-22 11:00')}."
    ]
    assert director.new_texts() == [
        f"⏳ {number}：派单给技师的时限为 {moment_label(Language.ZH_HANS, '2026-11-22 11:00')}。"
    ]
    assert await desk.sweep() == 0

    await desk.advance(timedelta(minutes=12))  # 11:00: the limit
    await desk.sweep()
    assert manager.new_texts() == [
        f"🚨 {number}: dispatch to a technician was due at {moment_label(Language.EN, '2026-11-22 11:00')} and is overdue."
    ]
    assert [b["text"] for b in manager.last.inline_buttons] == ["👷 Assign a technician", "📁 Open"]
    assert len(director.new_texts()) == 1
    await desk.advance(timedelta(hours=1))
    assert await desk.sweep() == 0

    await desk.advance(timedelta(hours=1))  # two hours after the limit: the directors
    await desk.sweep()
    assert manager.new_texts() == []
    assert director.new_texts() == [
        f"🚨🚨 {number}：派单给技师自 {moment_label(Language.ZH_HANS, '2026-11-22 11:00')} 起已超时，请立即介入。"
    ]
    await desk.advance(timedelta(hours=1))
    await desk.sweep()
    assert manager.new_texts() == [] and director.new_texts() == []
    assert customer.texts[-1].startswith("Your repair request")  # time-limit alerts are for staff


async def test_the_on_site_warning_goes_to_the_technician_and_acceptance_stops_the_dispatch_clock(
    desk_factory: object,
) -> None:
    desk, manager, _director = await _desk(desk_factory)
    tech = await technician(desk, 711, "Tom Li", 0.004)
    customer = desk.person(702, "Bea")
    await repair_until_review(customer, until_time=True)
    # Tonight ends at 21:00, within the 12-hour limit (22:00): the limit is the deadline.
    await customer.press(day_label(Language.EN, "2026-11-22"))
    await customer.press("Evening (18:00-21:00)")
    await customer.press("✅ Confirm and send")
    await tech.press("✅ Accept")
    number = customer.texts[-2].split()[3]
    manager.new_texts(), tech.new_texts()
    await desk.advance(timedelta(hours=9, minutes=36))  # 80 % of the 12-hour priority-area limit
    await desk.sweep()
    assert tech.new_texts() == [
        f"⏳ {number}: the technician on site (priority area) is due at {moment_label(Language.EN, '2026-11-22 22:00')}."
    ]
    assert manager.new_texts() == []  # and nothing about dispatch: it was met
    await desk.advance(timedelta(hours=2, minutes=24))
    await desk.sweep()
    assert manager.new_texts() == [
        f"🚨 {number}: the technician on site (priority area) was due at {moment_label(Language.EN, '2026-11-22 22:00')} and is overdue."
    ]


async def test_a_visit_booked_for_a_later_day_is_due_when_that_part_of_day_ends(
    desk_factory: object,
) -> None:
    desk, manager, _director = await _desk(desk_factory)
    customer = desk.person(704, "Dee")
    await repair_until_review(customer, until_time=True)
    await customer.press(day_label(Language.EN, "2026-11-25"))
    await customer.press("Afternoon (12:00-18:00)")
    await customer.press("✅ Confirm and send")
    assert "they will come on " + day_label(Language.EN, "2026-11-25") in customer.last.text
    manager.new_texts()
    await desk.advance(timedelta(days=2))  # long past the 12-hour limit, before the booking
    await desk.sweep()
    assert not any("technician on site" in text for text in manager.new_texts())
    async with desk.db() as session:
        due = await session.scalar(select(TicketRow.arrive_due_at))
    assert due == datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # 18:00 in Shanghai


async def test_arrival_stops_the_on_site_clock(desk_factory: object) -> None:
    desk, manager, _director = await _desk(desk_factory)
    tech = await technician(desk, 712, "Wu", 0.001)
    customer = desk.person(703, "Cai")
    await repair_until_review(customer)
    await customer.press("✅ Confirm and send")
    await tech.press("✅ Accept")
    await tech.command("jobs")
    await tech.press("📍 Check in")
    manager.new_texts(), tech.new_texts()
    await desk.advance(timedelta(days=2))
    await desk.sweep()
    assert manager.new_texts() == [] and tech.new_texts() == []


async def test_a_complaint_counts_working_days_and_sends_progress_outside_quiet_hours(
    desk_factory: object,
) -> None:
    desk, manager, _director = await _desk(desk_factory)
    desk.clock.set(datetime(2026, 11, 22, 14, 0, tzinfo=UTC))  # Sunday 22:00 in Shanghai
    customer = desk.person(704, "Dan")
    await customer.command("complain")
    await customer.press("Staff attitude")
    await customer.press("None of these")
    await customer.send("The hotline operator hung up on me twice.")
    await customer.press("No photos, continue")
    await customer.send("An apology")
    await customer.press("No")
    await customer.send("13800138000")
    await customer.press("✅ Confirm and send")
    number = customer.last.text.split()[2]
    manager.new_texts()

    # Progress is due every 24 hours: the handler is reminded at 80 % ...
    await desk.advance(timedelta(hours=19, minutes=12))  # Monday 17:12
    await desk.sweep()
    assert sorted(manager.new_texts()) == sorted(
        [
            f"📝 Complaint {number}: the customer expects news by {moment_label(Language.EN, '2026-11-23 22:00')}. Record what was done, so that the update can say it.",
            # passing it on is due at the close of the next working day; 80 % of that came first
            f"⏳ {number}: passing a complaint to the department responsible is due at {moment_label(Language.EN, '2026-11-23 17:30')}.",
        ]
    )
    await desk.advance(timedelta(minutes=18))  # Monday 17:30
    await desk.sweep()
    assert manager.new_texts() == [
        f"🚨 {number}: passing a complaint to the department responsible was due at {moment_label(Language.EN, '2026-11-23 17:30')} and is overdue."
    ]
    before = len(customer.texts)
    await desk.advance(timedelta(hours=4, minutes=30))  # Monday 22:00: quiet hours
    await desk.sweep()
    assert len(customer.texts) == before  # held back until the morning
    await desk.advance(timedelta(hours=11))  # Tuesday 09:00
    assert customer.texts[before:] == [
        f"📣 Your complaint {number} is still being handled; it has not been forgotten. We will write again within 24 hours, or as soon as there is news."
    ]
    # The manager acknowledges the reminder: no more of it for them; the customer's news
    # keeps coming every 24 hours.
    await manager.press("👌 Acknowledge")
    assert manager.alerts()[-1].startswith(f"Acknowledged: no more reminders about {number}")
    manager.new_texts()
    await desk.advance(timedelta(hours=21))  # Wednesday 06:00, past the next 80 %
    await desk.sweep()
    assert not any(text.startswith("📝") for text in manager.new_texts())
    await desk.advance(timedelta(hours=4))  # Wednesday 10:00
    await desk.sweep()
    assert customer.texts[-1].startswith(f"📣 Your complaint {number} is still being handled")


async def test_a_restart_after_downtime_catches_up_once_in_one_digest(desk_factory: object) -> None:
    desk, manager, director = await _desk(desk_factory)
    for n in range(5):
        customer = desk.person(720 + n, f"C{n}")
        await repair_until_review(customer)
        await customer.press("✅ Confirm and send")
    manager.new_texts(), director.new_texts()
    await desk.close()  # the bot is down ...
    desk.clock.advance(timedelta(hours=5))  # ... past every dispatch limit and escalation
    desk = (
        await desk.restart()
        if False
        else await type(desk).open(desk.settings, desk.clock, desk.api)
    )
    await desk.sweep()
    [digest] = manager.new_texts()
    assert digest.startswith(
        f"🚨 5 time limits need your attention:\n• R-20261122-0001: dispatch to a technician, overdue (due {moment_label(Language.EN, '2026-11-22 11:00')})"
    )
    [director_digest] = director.new_texts()
    assert director_digest.startswith(
        "🚨 有 10 项时限需要您处理："
    )  # the breach and the escalation of each
    await desk.sweep()
    assert manager.new_texts() == [] and director.new_texts() == []
    await desk.close()


async def test_two_sweepers_at_once_send_each_alert_once(desk_factory: object) -> None:
    desk, _manager, _director = await _desk(desk_factory)
    for n in range(3):
        customer = desk.person(730 + n, f"D{n}")
        await repair_until_review(customer)
        await customer.press("✅ Confirm and send")
    desk.clock.advance(timedelta(minutes=61))
    from dispatch.sweep import sweep

    results = await asyncio.gather(
        *(sweep(desk.services.uow, desk.clock, desk.services.policy) for _ in range(3))
    )
    assert sum(results) == 3 * 2  # three breaches, each to two managers, sent by whoever won
    async with desk.db() as session:
        alerts = await session.scalar(
            select(func.count())
            .select_from(OutboxRow)
            .where(OutboxRow.template.like("🚨 {number}%"))
        )
    assert alerts == 6


async def test_a_company_day_off_moves_working_day_limits(desk_factory: object) -> None:
    desk, manager, _director = await _desk(desk_factory)
    await manager.command("calendar", "2026-11-23", "off", "Company", "anniversary")
    assert manager.last.text == (
        "2026-11-23 is now a day off. Deadlines set from now on count it; those already running keep their date."
    )
    await manager.command("calendar")
    assert manager.last.text.startswith(
        "Company and local days:\n2026-11-23: off Company anniversary"
    )
    customer = desk.person(705, "Eve")
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
    async with desk.services.uow() as uow:
        [ticket] = await uow.tickets.of_customer((await uow.users.by_telegram_id(705)).id)  # type: ignore[union-attr]
    # 1 working day from Sunday: Monday is off now, so the close of Tuesday.
    assert ticket.deadlines["sla_due_at"] == datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    await manager.command("calendar", "2026-11-23", "clear")
    assert manager.last.text.startswith("2026-11-23 follows the public calendar again.")
    async with desk.db() as session:
        changes = (
            await session.scalars(
                select(EventRow.details)
                .where(EventRow.kind == "calendar.day")
                .order_by(EventRow.id)
            )
        ).all()
    assert changes == [
        {"day": "2026-11-23", "working": False, "note": "Company anniversary"},
        {"day": "2026-11-23", "working": None},
    ]
    await customer.command("calendar", "2026-11-25", "off")
    assert customer.last.text == "This command is for managers. Send /help to see what you can do."
    await manager.command("calendar", "soon", "off")
    assert (
        manager.last.text
        == "Please write it like /calendar 2026-12-31 off Year-end party (on, off or clear)."
    )


async def test_news_the_customer_did_not_ask_for_waits_out_quiet_hours(
    desk_factory: object,
) -> None:
    desk, _manager, _director = await _desk(desk_factory)
    desk.clock.set(datetime(2026, 11, 22, 14, 0, tzinfo=UTC))  # Sunday 22:00 in Shanghai
    tech = await technician(desk, 713, "Tom Li", 0.004)
    customer = desk.person(706, "Fay")
    await repair_until_review(customer)  # the visit is wanted on Monday morning
    await customer.press("✅ Confirm and send")
    assert customer.last.text.startswith("Your repair request")  # an answer to them: at once
    await tech.press("✅ Accept")
    assert tech.texts[-2].startswith("Job ")  # the technician works late: at once
    before = len(customer.texts)
    await tech.command("jobs")
    await tech.press("🕒 Confirm the visit time")
    await tech.send("2026-11-23 09:30")
    assert len(customer.texts) == before  # both wait for the end of quiet hours
    await desk.advance(timedelta(hours=10, minutes=59))  # Monday 08:59
    assert len(customer.texts) == before
    await desk.advance(timedelta(minutes=1))  # 09:00
    assert [t.split(" ")[0] for t in customer.texts[before:]] == ["👷", "🗓"]
    assert (
        customer.texts[-1]
        == f"🗓 Your visit for R-20261122-0001 is set: Tom Li will come on {moment_label(Language.EN, '2026-11-23 09:30')}."
    )
