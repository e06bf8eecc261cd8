"""Maintenance contracts through the real bot: loaded from a manager's file, each planned
visit proposed to the customer a week ahead, booked, dispatched, recorded, signed and
surveyed like a repair; renewals, and the managers' warning 30 days before the end."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from dispatch.model import Language
from storage.field_models import ContractRow
from storage.models import EventRow, OfferRow, TicketRow
from tests.handlers.test_dispatch import CUSTOMER, crew, request_installation  # noqa: F401
from tests.harness import Desk, Person, date_label, day_label

CSV = "text/csv"
HEADER = "Contract,Customer phone,Site,Address,Products,Start,End,Cadence,Services,Fee,Latitude,Longitude\n"


async def _customer_with_phone(desk: Desk) -> Person:
    """A customer known by the phone they gave with an earlier request (13800138000)."""
    customer = desk.person(510, "Kai")
    await request_installation(customer, "Air conditioner", "KFR-35GW", "A split unit.")
    customer.new_texts()
    return customer


async def _proposed(desk: Desk, manager: Person, number: str, start: str, end: str) -> Person:
    """A monthly contract at the customer's place loaded from a file, and the sweep that
    proposes its first visit; the customer (known by their phone) is returned."""
    customer = await _customer_with_phone(desk)
    lat, lon = CUSTOMER
    row = f"{number},13800138000,Office,Road 1,aircon,{start},{end},monthly,,,{lat},{lon}\n"
    await manager.send_document("c.csv", CSV, (HEADER + row).encode())
    await desk.sweep()
    return customer


async def test_a_contract_from_a_file_brings_its_monthly_visit_to_the_signed_survey(
    desk: Desk,
    crew: tuple[Person, Person, Person],  # noqa: F811 (the fixture imported above)
) -> None:
    manager, tom, wu = crew
    customer = await _customer_with_phone(desk)
    lat, lon = CUSTOMER
    table = (
        HEADER
        + f'WB-001,138 0013 8000,Minhang office,"Building 3, room 1201",Air conditioner,2026-11-25,2027-11-24,monthly,Filter cleaning,"12,000",{lat},{lon}\n'
        + "WB-002,13911112222,Depot,Road 1,aircon,2026-12-01,2027-11-30,monthly,,,,\n"
        + "WB-003,13800138000,Depot,Road 1,Toaster,2026-12-01,2027-11-30,monthly,,,,\n"
        + "WB-004,13800138000,Depot,Road 1,aircon,2026-12-01,2026-11-01,monthly,,,,\n"
        + "WB-005,13800138000,Depot,Road 1,aircon,2026-12-01,2027-11-30,sometimes,,,,\n"
    )
    await manager.send_document("contracts.csv", CSV, table.encode())
    assert manager.last.text == (
        "📄 Contracts loaded: 1 new, 0 renewed.\n"
        "These lines were left out; correct them and send the file again:\n"
        "line 3: no customer has given the bot the phone 13911112222 yet (they give it with "
        "their first request); check the number, or load the contract after their first "
        "request\n"
        "line 4: no product called Toaster\n"
        "line 5: the contract ends before it starts\n"
        "line 6: sometimes is not a cadence: write monthly, quarterly or every 2 months"
    )

    # A week ahead of 25 November (today is the 22nd): the visit is planned now.
    await desk.sweep()
    async with desk.db() as session:
        visit = await session.scalar(select(TicketRow).where(TicketRow.kind == "maintenance"))
        contract = await session.scalar(select(ContractRow))
    assert visit is not None and contract is not None
    assert (visit.status, visit.preferred_date) == ("proposed", date(2026, 11, 25))
    assert (contract.next_visit_on, contract.plan_on) == (date(2026, 12, 25), date(2026, 12, 18))
    assert customer.new_texts() == [
        f"🗓 Planned maintenance {visit.number} under your contract WB-001 (Minhang office): "
        f"we propose a visit on {day_label(Language.EN, '2026-11-25')}, Morning (9:00-12:00). "
        "Does that day suit you?"
    ]
    await desk.sweep()  # a second pass plans nothing twice
    assert customer.new_texts() == []
    await customer.command("mytickets")
    assert customer.last.text.startswith(
        "📄 Maintenance contracts:\nWB-001 · Minhang office · Kai · monthly · next visit "
        f"{day_label(Language.EN, '2026-12-25')} · ends {date_label(Language.EN, '2027-11-24')}"
        "\n\nYour requests, newest first."
    )

    # The customer prefers the next day.
    await customer.press("📅 Another day")
    await customer.press(day_label(Language.EN, "2026-11-26"))
    assert customer.last.text == (
        f"✅ Booked: planned maintenance {visit.number} on "
        f"{day_label(Language.EN, '2026-11-26')}, Morning (9:00-12:00). The technician will "
        "call you before coming."
    )
    # The proposal's buttons went with "Another day"; an old press of one is refused.
    [proposal] = [m for m in customer.messages if "we propose" in (m.text or "")]
    assert proposal.inline_buttons == []
    await customer.press_data(proposal, f"pv:ok:{visit.id}")
    assert customer.alerts()[-1] == "This visit is already booked."
    async with desk.db() as session:
        offers = list(await session.scalars(select(OfferRow).where(OfferRow.ticket_id == visit.id)))
    assert len(offers) == 1
    technician = tom if offers[0].technician_id == (await _user_id(desk, tom)) else wu
    assert any(text.startswith(f"🔧 New job {visit.number}") for text in technician.new_texts())

    # Dispatched, recorded, signed and surveyed like a repair.
    await technician.press("✅ Accept")
    await technician.share_location(lat + 0.001, lon, accuracy=10)
    await technician.command("jobs")
    await technician.press("📍 Check in")
    await technician.press("🧾 Fill in the service record")
    await technician.press("Out of warranty")
    await technician.send("Dusty filters, a worn capacitor.")
    await technician.send("Cleaned the filters, replaced the capacitor.")
    await technician.send("capacitor - worn")
    await technician.press("Call-out fee · CN¥50.00")
    await technician.press("Done")
    await technician.press("Done")
    await technician.press("✅ Send to the customer")
    # Priced by the contract: no call-out or labour; the part at the parts list's price.
    assert customer.last.text.split("\n")[4:7] == [
        "Parts replaced: capacitor (worn)",
        "Fees: Compressor capacitor × 1 = CN¥45.00 (labour covered by maintenance contract WB-001)",
        "Total: CN¥45.00",
    ]
    await customer.press("✍️ Correct: sign it")
    async with desk.db() as session:
        signed = await session.get(TicketRow, visit.id)
    assert signed is not None and signed.status == "signed"
    await desk.advance(timedelta(days=1))
    await desk.sweep()
    assert customer.last.text.endswith(
        "How satisfied are you with how quickly we came? (1 = very unhappy, 5 = very happy)"
    )

    # November's report, on 5 December, counts the planned visit reached in time.
    desk.clock.set(datetime(2026, 12, 5, 1, 0, tzinfo=UTC))  # 09:00 in Shanghai
    assert await desk.monthly()
    [report] = [t for t in manager.texts if t.startswith("📊 Complaint report for November")]
    assert "\nPlanned maintenance visits on time: 1 of 1\n" in report


async def _user_id(desk: Desk, person: Person) -> int:
    async with desk.services.uow() as uow:
        user = await uow.users.by_telegram_id(person.id)
    assert user is not None
    return user.id


async def test_a_renewal_moves_the_end_and_the_end_warning_comes_once_30_days_before(
    desk: Desk,
    crew: tuple[Person, Person, Person],  # noqa: F811 (the fixture imported above)
) -> None:
    manager, _tom, _wu = crew
    await _customer_with_phone(desk)
    row = "WB-009,+86 138 0013 8000,Depot,Road 1,aircon,2026-01-10,{end},quarterly,,,,\n"
    await manager.send_document("c.csv", CSV, (HEADER + row.format(end="2026-12-15")).encode())
    assert manager.last.text == "📄 Contracts loaded: 1 new, 0 renewed."
    manager.new_texts()
    await desk.sweep()  # 23 days before the end
    warning = (
        "📄 Maintenance contract WB-009 (Depot, Kai) ends on {day}. Renew it by loading the "
        "contract again with its new end date."
    )
    assert manager.new_texts() == [warning.format(day=date_label(Language.EN, "2026-12-15"))]
    await desk.sweep()
    assert manager.new_texts() == []

    # Renewed for a year: the next warning comes 30 days before the new end.
    await manager.send_document("c.csv", CSV, (HEADER + row.format(end="2027-12-15")).encode())
    assert manager.last.text == "📄 Contracts loaded: 0 new, 1 renewed."
    await desk.sweep()
    manager.new_texts()
    async with desk.db() as session:
        contract = await session.scalar(select(ContractRow))
    assert contract is not None
    # Quarterly from 10 January: the next visit is 10 January 2027, planned a week before.
    assert (contract.ends_on, contract.end_warned_on, contract.next_visit_on) == (
        date(2027, 12, 15),
        None,
        date(2027, 1, 10),
    )


async def test_a_manager_adds_renews_and_ends_a_contract_in_chat(
    desk: Desk,
    crew: tuple[Person, Person, Person],  # noqa: F811 (the fixture imported above)
) -> None:
    manager, _tom, _wu = crew
    await _customer_with_phone(desk)
    await manager.command("contracts")
    assert manager.last.text.startswith("No maintenance contracts yet.\n\nTo add or renew one")
    await manager.send(
        "/contracts add WB-100; 13800138000; Depot; Road 1; 空调; 2026-12-10; 2027-12-09; 季度巡检"
    )
    assert manager.last.text == "📄 Contract WB-100 saved."
    await manager.send("/contracts add WB-101; 13800138000; Depot")
    assert manager.last.text == (
        "That contract could not be saved: some of its parts are missing. Please send it "
        "again as /contracts add number; customer phone; site; address; products; start; "
        "end; cadence."
    )
    await manager.send(
        "/contracts add WB-101; 13800138000; Depot; Road 1; aircon; 2026-12-10; 2027-12-09; often"
    )
    assert manager.last.text.startswith(
        "That contract could not be saved: often is not a cadence: write monthly, quarterly"
    )
    await manager.send(
        "/contracts add WB-100; 13800138000; Depot; Road 1; aircon; 2026-12-10; 2028-12-09; quarterly"
    )
    assert manager.last.text == "📄 Contract WB-100 renewed."
    await manager.command("contracts")
    assert manager.last.text.startswith(
        "📄 Maintenance contracts:\nWB-100 · Depot · Kai · every 3 months · next visit "
        f"{day_label(Language.EN, '2026-12-10')} · ends {date_label(Language.EN, '2028-12-09')}"
    )
    await manager.send("/contracts end WB-100")
    assert manager.last.text == (
        "⏹ Contract WB-100 has ended: no more visits are planned for it. Visits already "
        "booked stay; cancel them from their case if needed."
    )
    await manager.send("/contracts end WB-100")
    assert manager.last.text == "Contract WB-100 has ended already."
    await manager.send("/contracts end WB-999")
    assert manager.last.text == "There is no contract WB-999."
    async with desk.db() as session:
        contract = await session.scalar(select(ContractRow))
        kinds = list(
            await session.scalars(
                select(EventRow.kind).where(EventRow.kind.like("contract.%")).order_by(EventRow.id)
            )
        )
    assert contract is not None
    assert (contract.ended_on, contract.plan_on) == (date(2026, 11, 22), None)
    assert kinds == ["contract.loaded", "contract.loaded", "contract.ended"]
    await desk.advance(timedelta(days=20))
    await desk.sweep()  # an ended contract plans nothing
    async with desk.db() as session:
        visits = list(
            await session.scalars(select(TicketRow.id).where(TicketRow.kind == "maintenance"))
        )
    assert visits == []


async def test_a_proposal_left_unanswered_is_kept_two_days_before_its_day(
    desk: Desk,
    crew: tuple[Person, Person, Person],  # noqa: F811 (the fixture imported above)
) -> None:
    manager, _tom, _wu = crew
    customer = await _proposed(desk, manager, "WB-7", "2026-11-26", "2027-11-25")
    [proposal] = customer.new_texts()
    assert proposal.startswith("🗓 Planned maintenance M-")
    await desk.advance(timedelta(days=1))  # the 23rd: three days before, still waiting
    await desk.sweep()
    assert customer.new_texts() == []
    await desk.advance(timedelta(days=1))  # the 24th: two days before
    await desk.sweep()
    async with desk.db() as session:
        visit = await session.scalar(select(TicketRow).where(TicketRow.kind == "maintenance"))
        offers = list(await session.scalars(select(OfferRow)))
    assert visit is not None and visit.status in ("offered", "new")
    assert customer.new_texts() == [
        f"🗓 Planned maintenance {visit.number} is booked for "
        f"{day_label(Language.EN, '2026-11-26')}, Morning (9:00-12:00). The technician will "
        "call you before coming; to change the day, open it in /mytickets and tell us which "
        "day suits you."
    ]
    assert any(offer.ticket_id == visit.id for offer in offers)


async def test_the_customer_takes_the_proposed_day_and_a_technician_is_offered_it(
    desk: Desk,
    crew: tuple[Person, Person, Person],  # noqa: F811 (the fixture imported above)
) -> None:
    manager, tom, wu = crew
    customer = await _proposed(desk, manager, "WB-8", "2026-11-27", "2027-11-26")
    await customer.press("✅ That day suits me")
    async with desk.db() as session:
        visit = await session.scalar(select(TicketRow).where(TicketRow.kind == "maintenance"))
    assert visit is not None and visit.preferred_date == date(2026, 11, 27)
    assert customer.last.text == (
        f"✅ Booked: planned maintenance {visit.number} on "
        f"{day_label(Language.EN, '2026-11-27')}, Morning (9:00-12:00). The technician will "
        "call you before coming."
    )
    # Tom holds the installation's offer: Wu, free, is offered the visit.
    assert any(t.startswith(f"🔧 New job {visit.number}") for t in wu.new_texts())
    assert not any(visit.number in t for t in tom.new_texts())
    # The proposal's buttons are gone once it is booked.
    assert all(not m.inline_buttons for m in customer.messages if "we propose" in (m.text or ""))


async def test_a_visit_planned_the_day_before_is_booked_at_once(
    desk: Desk,
    crew: tuple[Person, Person, Person],  # noqa: F811 (the fixture imported above)
) -> None:
    manager, _tom, _wu = crew
    customer = await _customer_with_phone(desk)
    lat, lon = CUSTOMER
    row = f"WB-6,13800138000,Office,Road 1,aircon,2026-11-24,2027-11-23,monthly,,,{lat},{lon}\n"
    await manager.send_document("c.csv", CSV, (HEADER + row).encode())
    await desk.sweep()  # the 22nd: two days ahead, just proposed: the customer may answer
    assert [" we propose a visit on " in t for t in customer.new_texts()] == [True]
    await desk.advance(timedelta(hours=12))  # the 22nd, 22:00: tomorrow is the day before
    await desk.sweep()
    assert customer.new_texts() == []
    await desk.advance(timedelta(hours=4))  # the 23rd, 02:00 in Shanghai: booked...
    await desk.sweep()
    async with desk.db() as session:
        visit = await session.scalar(select(TicketRow).where(TicketRow.kind == "maintenance"))
    assert visit is not None and visit.status != "proposed"
    assert customer.new_texts() == []  # ...and told at 9:00, after the quiet hours
    await desk.advance(timedelta(hours=7))
    [booked] = customer.new_texts()
    assert booked.startswith("🗓 Planned maintenance M-") and " is booked for " in booked
