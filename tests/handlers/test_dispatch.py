"""Dispatch and field work through the real bot: a customer, two technicians, a manager."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.report import FONT_CANDIDATES
from dispatch.errors import ConcurrentUpdate, IllegalTransition
from dispatch.model import Language, OfferStatus, Role
from dispatch.offers import OfferClosed, accept_offer
from dispatch.records import RecordInput, RecordSigned, sign_record, submit_record
from dispatch.rounds import dispatch_round
from dispatch.technicians import save_technician_profile
from storage.models import EventRow, OfferRow, ServiceRecordRow, TicketRow, UserRow, VisitRow
from tests.conftest import MANAGER_ID
from tests.handlers.test_intake import repair_until_review
from tests.harness import Desk, Person, day_label, moment_label

CUSTOMER = (31.2304, 121.4737)  # where repair_until_review shares the customer's location


async def technician(
    desk: Desk,
    telegram_id: int,
    name: str,
    dlat: float,
    *,
    language: str = "en",
    skills: tuple[str, ...] = ("aircon", "washer"),
) -> Person:
    """A technician with a profile, on duty, sharing a live location ``dlat`` degrees north."""
    person = desk.person(telegram_id, name, language_code=language)
    await person.command("start")
    async with desk.services.uow() as uow:
        user = await uow.users.by_telegram_id(telegram_id)
        assert user is not None
        user.role = Role.TECHNICIAN
        await uow.users.save(user)
        await uow.commit()
    await save_technician_profile(
        desk.services.uow(),
        desk.clock,
        user_id=user.id,
        name=name,
        phone=f"+86139000{telegram_id % 100000:05d}",
        skills=skills,
        latitude=CUSTOMER[0] + dlat,
        longitude=CUSTOMER[1],
        service_radius_km=50,
        capacity=3,
    )
    await person.command("duty")
    await person.press_data(person.last, "du:on")
    await person.share_location(CUSTOMER[0] + dlat, CUSTOMER[1], accuracy=15, live_period=3600)
    person.new_texts()
    return person


async def request_installation(customer: Person, product: str, model: str, job: str) -> None:
    """An installation at CUSTOMER, booked for the morning of 2026-11-23 (in English)."""
    await customer.command("install")
    await customer.press(product)
    await customer.send(model)
    await customer.send("2026-11-20")
    await customer.send(job)
    await customer.press("No photos, continue")
    await customer.share_location(*CUSTOMER)
    await customer.send("Building 3, room 1201")
    await customer.send("13800138000")
    await customer.press(day_label(Language.EN, "2026-11-23"))
    await customer.press("Morning (9:00-12:00)")
    await customer.press("✅ Confirm and send")


async def _ticket(desk: Desk) -> TicketRow:
    async with desk.db() as session:
        rows = list(await session.scalars(select(TicketRow).order_by(TicketRow.id)))
    return rows[-1]


async def _offers(desk: Desk) -> list[OfferRow]:
    async with desk.db() as session:
        return list(await session.scalars(select(OfferRow).order_by(OfferRow.id)))


async def _round(desk: Desk) -> None:
    await dispatch_round(desk.services.uow, desk.clock, desk.services.policy)
    await desk.settle()


@pytest.fixture
async def crew(desk: Desk) -> tuple[Person, Person, Person]:
    manager = desk.person(MANAGER_ID, "Boss")
    await manager.command("start")
    near = await technician(desk, 601, "Tom Li", 0.004)  # about 0.45 km north
    far = await technician(desk, 602, "Wu Gang", 0.03)  # about 3.3 km north
    manager.new_texts()
    return manager, near, far


async def test_the_whole_repair_from_offer_to_signed_report(
    desk: Desk, crew: tuple[Person, Person, Person], tmp_path: Path
) -> None:
    manager, near, far = crew
    customer = desk.person(501, "Amy")
    await repair_until_review(customer)
    await customer.press("✅ Confirm and send")
    ticket = await _ticket(desk)

    # The nearest qualified technician gets the offer, with the customer's photos first.
    assert [m.kind for m in near.messages[-2:]] == ["photo", "text"]
    offer_text = near.last.text
    assert offer_text.startswith(f"🔧 New job {ticket.number}: Air conditioner\nIt blows warm air")
    assert (
        "Distance: 0.4 km" in offer_text
        and f"Preferred time: {day_label(Language.EN, '2026-11-23')}, Morning (9:00-12:00)"
        in offer_text
    )
    assert far.new_texts() == []

    # A decline asks why, and the job moves on to the next candidate.
    await near.press("✖ Decline")
    await near.press("No time now")
    assert near.last.text == "Declined. Thank you for telling us why."
    assert (
        far.last.text.startswith(f"🔧 New job {ticket.number}")
        and "Distance: 3.3 km" in far.last.text
    )

    # The second lets it expire: nobody is left, so every manager is asked.
    await desk.advance(timedelta(minutes=10, seconds=1))
    await _round(desk)
    assert (
        far.last.text
        == f"⌛ The offer of {ticket.number} expired, so it went to another technician."
    )
    assert manager.last.text == (
        f"⚠️ Nobody can take {ticket.number} (Air conditioner, Building 3, room 1201): every qualified technician "
        "declined or let the offer expire. Please assign it by hand."
    )
    stale_offer = far.messages[-2]
    await far.press_data(stale_offer, f"of:acc:{(await _offers(desk))[1].id}")
    assert far.alerts()[-1] == "This offer has expired."

    # The manager assigns by hand: the chosen technician gets the offer as usual.
    await manager.press("👷 Assign a technician")
    assert [b["text"] for b in manager.last.inline_buttons] == [
        "Tom Li · 0.4 km",
        "Wu Gang · 3.3 km",
    ]
    await manager.press("Tom Li · 0.4 km")
    assert manager.last.text == f"Offered {ticket.number} to Tom Li."
    await near.press("✅ Accept")
    assert near.texts[-3:-1] == [
        f"✅ You accepted {ticket.number}.",
        f"Job {ticket.number} is yours.\nCustomer: Amy, +8613800138000\nAddress: Building 3, room 1201\n"
        f"Preferred time: {day_label(Language.EN, '2026-11-23')}, Morning (9:00-12:00)\nCall the customer to agree the time, then confirm it here.",
    ]
    assert near.last.kind == "location" and near.last.extra == {
        "latitude": CUSTOMER[0],
        "longitude": CUSTOMER[1],
    }
    assert customer.last.text == (
        f"👷 Tom Li will take care of {ticket.number}. Phone: +8613900000601. They will call you to agree the visit time."
    )
    await near.press_data(
        near.messages[-4], f"of:acc:{(await _offers(desk))[-1].id}"
    )  # Accept, again
    assert near.alerts()[-1] == "You have already accepted this job: see /jobs."

    # Visit time, on the way, check-in by location.
    await near.command("jobs")
    await near.press("🕒 Confirm the visit time")
    await near.press(f"As the customer asked: {moment_label(Language.EN, '2026-11-23 09:00')}")
    assert (
        customer.last.text
        == f"🗓 Your visit for {ticket.number} is set: Tom Li will come on {moment_label(Language.EN, '2026-11-23 09:00')}."
    )
    await near.command("jobs")
    await near.press("🚗 On my way")
    assert customer.last.text == f"🚗 Tom Li is on the way to you for {ticket.number}."
    await desk.advance(timedelta(hours=20))
    await near.press("📍 Check in")
    assert near.last.text.startswith("Share your live location")
    await near.share_location(CUSTOMER[0] + 0.01, CUSTOMER[1], accuracy=20)
    assert (
        near.texts[-1]
        == "Location updated. Thank you.\n\nYou are 1,112 m from the customer; check-in works within 300 m. Keep sharing your live location, or check in by hand."
    )
    live = await near.share_location(CUSTOMER[0] + 0.005, CUSTOMER[1], accuracy=20, live_period=900)
    await near.move_live_location(live, CUSTOMER[0] + 0.001, CUSTOMER[1], accuracy=12)
    assert near.texts[-1] == (
        f"📍 Arrival recorded for {ticket.number} at {moment_label(Language.EN, '2026-11-23 06:10')}."
        "\n\nWhen the work is done, fill in the service record."
    )
    assert (
        customer.last.text
        == f"📍 Tom Li has arrived for {ticket.number} ({moment_label(Language.EN, '2026-11-23 06:10')})."
    )
    async with desk.db() as session:
        visit = await session.scalar(select(VisitRow))
    assert (
        visit is not None and visit.arrival_method == "location" and visit.arrival_accuracy_m == 12
    )

    # No signature before the work is completed.
    await customer.press_data(customer.last, f"sr:sign:{ticket.id}")
    assert customer.alerts()[-1] == "There is nothing to sign yet: you sign after the work is done."

    # The service record, with fees from the price list and the photos.
    await near.press("🧾 Fill in the service record")
    await near.press("Out of warranty")
    await near.send("Start capacitor of the compressor is bulging.")
    await near.send("Replaced the capacitor, topped up refrigerant, tested 30 minutes.")
    await near.send("capacitor - bulging\nrefrigerant - low pressure")
    await near.press("Call-out fee · CN¥50.00")
    await near.press("Labour, per hour · CN¥80.00")
    await near.press("Labour, per hour · CN¥80.00 × 1")
    await near.press("Done")
    await near.send_photo()
    await near.send_photo()
    await near.send_document("signed-report.pdf")
    await near.press("Done")
    assert near.last.text == (
        "Please check the service record:\nWarranty: Out of warranty\nFault found: Start capacitor of the compressor is bulging.\n"
        "Work done: Replaced the capacitor, topped up refrigerant, tested 30 minutes.\n"
        "Parts replaced: \n• capacitor (bulging)\n• refrigerant (low pressure)\n"
        # The capacitor is on the parts list: charged at its price, out of warranty.
        "Fees: \n• Call-out fee × 1\n• Labour, per hour × 2\n• Compressor capacitor × 1\nPhotos: 3"
    )
    await near.press("✅ Send to the customer")
    assert customer.last.text == (
        f"🧾 Service record for {ticket.number}\nWarranty: Out of warranty\nFault found: Start capacitor of the compressor is bulging.\n"
        "Work done: Replaced the capacitor, topped up refrigerant, tested 30 minutes.\n"
        "Parts replaced: \n• capacitor (bulging)\n• refrigerant (low pressure)\n"
        "Fees: \n• Call-out fee × 1 = CN¥50.00\n• Labour, per hour × 2 = CN¥160.00\n"
        "• Compressor capacitor × 1 = CN¥45.00\nTotal: CN¥255.00\n\n"
        "Please check it. Sign it if it is right; once signed it cannot be changed."
    )

    # The customer signs: the record is frozen with its hash, and the PDF arrives.
    await customer.press("✍️ Correct: sign it")
    assert (
        customer.texts[-2]
        == f"✍️ Thank you. You signed the service record of {ticket.number}. Here is the report."
    )
    report = customer.last
    assert report.kind == "document" and report.text == f"Service report {ticket.number}"
    assert near.last.text == f"✍️ The customer signed the service record of {ticket.number}."
    async with desk.db() as session:
        record = await session.scalar(select(ServiceRecordRow))
        stored = await session.get(TicketRow, ticket.id)
    assert record is not None and stored is not None and stored.status == "signed"
    assert record.signed_hash == hashlib.sha256((record.signed_payload or "").encode()).hexdigest()
    await customer.press_data(customer.messages[-3], f"sr:sign:{ticket.id}")
    assert customer.alerts()[-1] == "You have signed this record already."

    # A signed record cannot be changed.
    with pytest.raises((IllegalTransition, ConcurrentUpdate)):
        await submit_record(
            desk.services.uow(),
            desk.clock,
            desk.services.policy,
            ticket_id=ticket.id,
            technician_id=stored.assigned_technician_id or 0,
            record=RecordInput("in", "x", "y", (), (), ()),
        )
    with pytest.raises(RecordSigned):
        await sign_record(
            desk.services.uow(),
            desk.clock,
            ticket_id=ticket.id,
            customer_id=stored.customer_id,
            policy=desk.services.policy,
        )

    async with desk.services.uow() as uow:
        kept = [
            a for a in await uow.attachments.for_ticket(ticket.id) if a.purpose == "service_report"
        ]
    assert [a.file_id for a in kept] == [
        report.media[0]["file_id"]
    ]  # the report stays on the ticket
    text = _pdf_text(desk, report.media[0]["file_id"], tmp_path)
    assert f"Service report {ticket.number}" in text
    assert (
        "Tom Li" in text
        and "Out of warranty" in text
        and "255.00" in text
        and "Compressor capacitor" in text
    )
    assert record.signed_hash in text.replace("\n", "")


def _pdf_text(desk: Desk, file_id: str, tmp_path: Path) -> str:
    """Renders the PDF to a picture and reads its text back, as a viewer would."""
    missing = [tool for tool in ("pdftotext", "pdftoppm", "pdffonts") if shutil.which(tool) is None]
    if missing or not any(Path(p).is_file() for p in FONT_CANDIDATES):
        reason = f"needs poppler-utils and a CJK TrueType font (missing: {missing or 'font'})"
        if os.environ.get("CI"):
            pytest.fail(reason + "; CI must check the report", pytrace=False)
        pytest.skip(reason)
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(desk.api.files[file_id])
    assert pdf.read_bytes().startswith(b"%PDF")
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    assert list(tmp_path.glob("page*.png"))
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout


async def test_the_report_is_in_simplified_chinese_for_a_chinese_customer(
    desk: Desk, tmp_path: Path
) -> None:
    await desk.person(MANAGER_ID, "Boss").command("start")
    tech = await technician(desk, 611, "李师傅", 0.002, language="zh-hans")
    customer = desk.person(511, "王芳", language_code="zh-hans")
    await customer.command("repair")
    await customer.press("空调")
    await customer.send("KFR-35GW")
    await customer.send("2026-11-01")
    await customer.send("空调不制冷，室外机不转。")
    await customer.press("没有照片，继续")
    await customer.share_location(*CUSTOMER)
    await customer.send("3 号楼 1201 室")
    await customer.send("13800138000")
    await customer.press(day_label(Language.ZH_HANS, date(2026, 11, 23)))
    await customer.press("上午（9:00-12:00）")
    await customer.press("✅ 确认并提交")
    await tech.press("✅ 接单")
    await tech.command("jobs")
    await tech.press("📍 签到")  # the live location shared a moment ago counts
    assert tech.last.text.startswith("📍 已记录工单")
    await tech.press("🧾 填写服务记录")
    await tech.press("在保修期内")
    await tech.send("室外风机电容损坏。")
    await tech.send("更换风机电容，试机正常。")
    await tech.press("无")
    assert tech.last.text.startswith("在保修期内：不收取任何费用。\n\n请发送照片")
    await tech.press("完成")
    await tech.press("✅ 发给客户")
    assert "收费项目：无\n合计：¥0.00" in customer.last.text
    await customer.press("✍️ 记录无误，确认签字")
    ticket = await _ticket(desk)
    assert customer.last.text == f"服务报告 {ticket.number}"
    text = _pdf_text(desk, customer.last.media[0]["file_id"], tmp_path)
    for expected in (
        f"服务报告 {ticket.number}",
        "客户",
        "王芳",
        "李师傅",
        "在保修期内",
        "室外风机电容损坏",
        "签字记录的 SHA-256",
    ):
        assert expected in text.replace(" ", "") or expected in text, expected


async def test_manual_check_in_is_confirmed_by_the_customer(
    desk: Desk, crew: tuple[Person, Person, Person]
) -> None:
    manager, near, _far = crew
    customer = desk.person(502, "Bea")
    await repair_until_review(customer, location=False)  # a typed address only
    await customer.press("✅ Confirm and send")
    ticket = await _ticket(desk)
    assert manager.last.text.endswith("the customer shared no location. Please assign it by hand.")
    await manager.press("👷 Assign a technician")
    await manager.press(manager.last.inline_buttons[0]["text"])
    await near.press("✅ Accept")
    await near.command("jobs")
    await near.press("📍 Check in")
    assert (
        near.last.text
        == "The customer shared no location, so please check in by hand: the customer will be asked to confirm."
    )
    await near.press("✋ Check in by hand")
    assert (
        customer.last.text
        == f"🔔 Tom Li says they arrived for {ticket.number} at {moment_label(Language.EN, '2026-11-22 10:00')}. Is that right?"
    )
    await customer.press("✖ Not yet")
    assert near.last.text.startswith(
        f"✖ The customer says you have not arrived yet for {ticket.number}."
    )
    await desk.advance(timedelta(minutes=20))
    await near.command("jobs")
    await near.press("📍 Check in")
    await near.press("✋ Check in by hand")
    await customer.press("✅ Yes, they are here")
    assert near.last.text.startswith(f"✅ The customer confirmed your arrival for {ticket.number}.")
    async with desk.db() as session:
        visit = await session.scalar(select(VisitRow))
        stored = await session.get(TicketRow, ticket.id)
    assert (
        visit is not None
        and visit.arrival_method == "manual"
        and stored is not None
        and stored.status == "on_site"
    )
    assert visit.arrived_at == desk.clock.now()


async def test_a_disputed_record_opens_a_linked_complaint(
    desk: Desk, crew: tuple[Person, Person, Person]
) -> None:
    manager, near, _far = crew
    customer = desk.person(503, "Cai")
    await repair_until_review(customer)
    await customer.press("✅ Confirm and send")
    ticket = await _ticket(desk)
    await near.press("✅ Accept")
    await near.share_location(CUSTOMER[0] + 0.001, CUSTOMER[1], accuracy=10)  # at the door
    await near.command("jobs")
    await near.press("📍 Check in")
    await near.press("🧾 Fill in the service record")
    await near.press("Customer-caused damage")
    await near.send("Cable bitten through by a pet.")
    await near.send("Replaced the power cable.")
    await near.press("None")
    await near.press("Done")
    await near.press("Done")
    await near.press("✅ Send to the customer")
    await customer.press("⚠️ Something is wrong")
    await customer.send("The cable was fine, the board was the problem.")
    complaint = await _ticket(desk)
    assert complaint.kind == "complaint" and complaint.related_ticket_id == ticket.id
    assert customer.last.text.startswith(
        f"We are sorry. Your objection to the record of {ticket.number} is registered as complaint {complaint.number}"
    )
    assert manager.last.text == (
        f"⚠️ The customer disputes the service record of {ticket.number}: The cable was fine, the board was the problem.\n"
        f"Complaint {complaint.number} is open."
    )


async def test_going_back_from_a_dispute_shows_the_record_and_signs_nothing(
    desk: Desk, crew: tuple[Person, Person, Person]
) -> None:
    _manager, near, _far = crew
    customer = desk.person(509, "Jin")
    await repair_until_review(customer)
    await customer.press("✅ Confirm and send")
    ticket = await _ticket(desk)
    await near.press("✅ Accept")
    await near.share_location(CUSTOMER[0] + 0.001, CUSTOMER[1], accuracy=10)
    await near.command("jobs")
    await near.press("📍 Check in")
    await near.press("🧾 Fill in the service record")
    await near.press("In warranty")
    await near.send("Capacitor bulging.")
    await near.send("Replaced the capacitor.")
    await near.press("None")
    await near.press("Done")
    await near.press("✅ Send to the customer")
    record = customer.last
    assert record.text.startswith(f"🧾 Service record for {ticket.number}")
    assert [b["text"] for b in record.inline_buttons] == [
        "✍️ Correct: sign it",
        "⚠️ Something is wrong",
    ]
    await customer.press("⚠️ Something is wrong")
    assert [b["text"] for b in customer.last.inline_buttons] == ["↩ Back to the record"]
    await customer.press("↩ Back to the record")
    again = customer.last
    assert again.text == record.text  # the record itself, above the button that signs it
    assert again.inline_buttons == record.inline_buttons
    async with desk.db() as session:
        signed = await session.scalar(
            select(ServiceRecordRow.signed_at).where(ServiceRecordRow.ticket_id == ticket.id)
        )
        kinds = list(await session.scalars(select(TicketRow.kind).where(TicketRow.id > ticket.id)))
    assert signed is None and kinds == []  # neither signed nor disputed by going back
    await customer.press("✍️ Correct: sign it")
    async with desk.db() as session:
        signed = await session.scalar(
            select(ServiceRecordRow.signed_at).where(ServiceRecordRow.ticket_id == ticket.id)
        )
    assert signed is not None
    # The button says that it signs, in every language.
    translator = desk.services.translator
    assert translator.gettext(Language.ZH_HANS, "✍️ Correct: sign it") == "✍️ 记录无误，确认签字"
    assert translator.gettext(Language.ZH_HANT, "✍️ Correct: sign it") == "✍️ 紀錄無誤，確認簽名"


async def test_two_accepts_of_one_offer_at_once_assign_it_once(
    desk: Desk, crew: tuple[Person, Person, Person]
) -> None:
    customer = desk.person(504, "Dan")
    await repair_until_review(customer)
    await customer.press("✅ Confirm and send")
    [offer] = await _offers(desk)
    results = await asyncio.gather(
        *(
            accept_offer(
                desk.services.uow(),
                desk.clock,
                desk.services.policy,
                offer_id=offer.id,
                technician_id=offer.technician_id,
            )
            for _ in range(5)
        ),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert all(isinstance(r, OfferClosed) for r in results if isinstance(r, BaseException))
    async with desk.db() as session:
        assigned = list(
            await session.scalars(select(EventRow).where(EventRow.to_status == "assigned"))
        )
    assert len(assigned) == 1


async def test_a_ticket_can_never_have_two_pending_offers(
    desk: Desk, crew: tuple[Person, Person, Person]
) -> None:
    customer = desk.person(505, "Eve")
    await repair_until_review(customer)
    await customer.press("✅ Confirm and send")
    [offer] = await _offers(desk)
    from dispatch.model import Offer

    async with desk.services.uow() as uow:
        with pytest.raises(ConcurrentUpdate):
            await uow.offers.add(
                Offer(
                    id=0,
                    ticket_id=offer.ticket_id,
                    technician_id=offer.technician_id + 1,
                    status=OfferStatus.PENDING,
                    offered_at=desk.clock.now(),
                    expires_at=desk.clock.now(),
                )
            )


async def test_a_backlog_is_solved_together_not_first_come_first_served(desk: Desk) -> None:
    await desk.person(MANAGER_ID, "Boss").command("start")
    west = await technician(desk, 621, "West", 0.0)
    east = await technician(desk, 622, "East", 0.0)
    # Move "East" 8 km east; two customers: one near West, one near East.
    async with desk.services.uow() as uow:
        user = await uow.users.by_telegram_id(east.id)
        assert user is not None
        await uow.technicians.set_location(
            user.id, CUSTOMER[0], CUSTOMER[1] + 0.08, 10, desk.clock.now(), None
        )
        await uow.commit()
    for tid, name, dlon in (
        (521, "Near East", 0.075),
        (522, "Near West", 0.005),
        (523, "Third", 0.04),
    ):
        person = desk.person(tid, name)
        await person.command("repair")
        await person.press("Air conditioner")
        await person.press("I don't know")
        await person.press("I don't remember")
        await person.send("Not cooling at all.")
        await person.press("No photos, continue")
        await person.share_location(CUSTOMER[0], CUSTOMER[1] + dlon)
        await person.press("Skip")
        await person.send("13800138000")
        await person.press(day_label(Language.EN, "2026-11-23"))
        await person.press("Morning (9:00-12:00)")
        await person.press("✅ Confirm and send")
    # Waiting jobs (3) outnumber idle technicians (2): nothing was offered greedily
    # after the first one; the round matches the rest for the least total travel.
    await _round(desk)
    async with desk.db() as session:
        offers = {
            o.ticket_id: o
            for o in await session.scalars(select(OfferRow).where(OfferRow.status == "pending"))
        }
        tickets = {t.id: t for t in await session.scalars(select(TicketRow))}
    by_customer = {}
    for ticket in tickets.values():
        offer = offers.get(ticket.id)
        assert ticket.longitude is not None
        by_customer[round(ticket.longitude - CUSTOMER[1], 3)] = (
            offer.technician_id if offer else None
        )
    async with desk.services.uow() as uow:
        west_id = (await uow.users.by_telegram_id(west.id)).id  # type: ignore[union-attr]
        east_id = (await uow.users.by_telegram_id(east.id)).id  # type: ignore[union-attr]
    assert by_customer[0.075] == east_id and by_customer[0.005] == west_id
    assert by_customer[0.04] is None  # waits for the next free technician


async def test_a_manager_reassigns_a_held_job_and_the_first_technician_is_told(
    desk: Desk, crew: tuple[Person, Person, Person]
) -> None:
    manager, near, far = crew
    customer = desk.person(506, "Fei")
    await repair_until_review(customer)
    await customer.press("✅ Confirm and send")
    ticket = await _ticket(desk)
    await near.press("✅ Accept")
    await manager.command("assign", ticket.number)
    assert (
        manager.last.text
        == f"Who should take {ticket.number}? The chosen technician gets the offer as usual."
    )
    # Tom holds it but has room for more (capacity 3): both are listed, nearest first.
    assert [b["text"] for b in manager.last.inline_buttons] == [
        "Tom Li · 0.4 km",
        "Wu Gang · 3.3 km",
    ]
    await manager.press("Wu Gang · 3.3 km")
    assert (
        near.last.text
        == f"A manager gave job {ticket.number} to another technician. It is off your list."
    )
    await near.command("jobs")
    assert near.last.text == "You have no open jobs. Send /duty to go on duty."
    await far.press("✅ Accept")
    assert customer.last.text.startswith(f"👷 Wu Gang will take care of {ticket.number}.")
    async with desk.db() as session:
        stored = await session.get(TicketRow, ticket.id)
        events = list(
            await session.scalars(select(EventRow.kind).where(EventRow.ticket_id == ticket.id))
        )
    assert stored is not None and stored.status == "assigned"
    assert "assigned.by_manager" in events
    await manager.command("assign", "R-19990101-0001")
    assert manager.last.text == "That request was not found."


async def test_going_off_and_on_duty_is_recorded_and_off_duty_gets_no_offer(
    desk: Desk, crew: tuple[Person, Person, Person]
) -> None:
    _manager, near, far = crew
    await near.command("duty")
    assert near.last.text == "You are on duty: jobs near you are offered here."
    await near.press("⏸ Go off duty")
    assert near.last.text == "You are off duty. Jobs you already accepted stay on /jobs."
    await near.command("duty")
    assert near.last.text == "You are off duty: no jobs are offered to you."
    customer = desk.person(507, "Gao")
    await repair_until_review(customer)
    await customer.press("✅ Confirm and send")
    ticket = await _ticket(desk)
    assert not any(ticket.number in m.text for m in near.messages)  # Wu Gang got it instead
    assert far.last.text.startswith(f"🔧 New job {ticket.number}")
    await near.press("▶️ Go on duty")
    assert near.last.text.startswith("You are on duty. Share your live location")
    async with desk.db() as session:
        tom = await session.scalar(select(UserRow.id).where(UserRow.telegram_id == 601))
        switches = (
            await session.scalars(
                select(EventRow.details)
                .where(EventRow.kind == "technician.duty", EventRow.actor_id == tom)
                .order_by(EventRow.id)
            )
        ).all()
    # On at set-up, off, on again: each switch once.
    assert switches == [{"on_duty": True}, {"on_duty": False}, {"on_duty": True}]


async def test_each_role_is_kept_to_its_own_commands(
    desk: Desk, crew: tuple[Person, Person, Person]
) -> None:
    manager, near, _far = crew
    await near.command("repair")
    assert near.last.text == "Requests are made by customers. Send /help to see what you can do."
    customer = desk.person(508, "Hu")
    await customer.command("jobs")
    assert (
        customer.last.text == "This command is for technicians. Send /help to see what you can do."
    )
    await customer.command("assign", "R-20261122-0001")
    assert customer.last.text == "This command is for managers. Send /help to see what you can do."
    await manager.command("duty")
    assert (
        manager.last.text == "This command is for technicians. Send /help to see what you can do."
    )


async def test_managers_are_warned_when_an_offer_would_outlast_the_dispatch_limit(
    desk: Desk,
) -> None:
    manager = desk.person(MANAGER_ID, "Boss")
    await manager.command("start")
    customer = desk.person(507, "Gu")
    await repair_until_review(customer)
    await customer.press("✅ Confirm and send")  # nobody on duty yet
    ticket = await _ticket(desk)
    assert manager.last.text.endswith(
        "no qualified technician on duty within reach. Please assign it by hand."
    )
    await desk.advance(timedelta(minutes=55))
    late = await technician(desk, 631, "Late", 0.004)
    await _round(desk)  # offered at +55 min, expiring at +65: after the 1-hour limit
    assert late.last.text.startswith(f"🔧 New job {ticket.number}")
    assert manager.last.text == (
        f"⏰ {ticket.number} is not accepted yet, and its dispatch limit ends at {moment_label(Language.EN, '2026-11-22 11:00')}."
    )
    assert [b["text"] for b in manager.last.inline_buttons] == ["👷 Assign a technician"]


async def test_a_customer_back_from_blocking_the_bot_hears_where_the_request_stands(
    desk: Desk,
) -> None:
    tech = await technician(desk, 641, "Tom Li", 0.002)
    customer = desk.person(541, "Amy")
    await repair_until_review(customer)
    await customer.press("✅ Confirm and send")
    ticket = await _ticket(desk)
    desk.api.blocked.add(customer.id)  # the customer blocks the bot
    await tech.press("✅ Accept")  # "Tom Li will take care of ..." cannot reach them
    desk.api.blocked.discard(customer.id)
    await customer.command("mytickets")
    assert customer.last.text == (
        "Welcome back. Messages that could not reach you while the bot was blocked: 1. "
        f"Where your requests stand now:\n{ticket.number}: Technician assigned\n"
        "Send /mytickets for the details."
    )


async def test_an_installation_is_recorded_as_an_installation(
    desk: Desk, crew: tuple[Person, Person, Person], tmp_path: Path
) -> None:
    _manager, near, _far = crew
    customer = desk.person(510, "Kai")
    await request_installation(
        customer, "Air conditioner", "KFR-35GW", "A new split unit for the bedroom, concrete wall."
    )
    ticket = await _ticket(desk)
    assert ticket.kind == "installation"
    await near.press("✅ Accept")
    await near.share_location(CUSTOMER[0] + 0.001, CUSTOMER[1], accuracy=10)
    await near.command("jobs")
    await near.press("📍 Check in")
    await near.press("🧾 Fill in the service record")
    await near.press("In warranty")
    assert near.last.text == "Anything to note about the site or the product before you install?"
    await near.send("Wall is solid concrete; power socket 1 m away.")
    assert near.last.text == "What did you install, and how did you test it?"
    await near.send("Mounted indoor and outdoor units, vacuumed, ran 30 minutes.")
    await near.press("None")
    await near.press("Done")
    assert "Notes before installing: Wall is solid concrete" in near.last.text
    await near.press("✅ Send to the customer")
    assert customer.last.text.startswith(
        f"🧾 Installation record for {ticket.number}\nWarranty: In warranty\n"
        "Notes before installing: Wall is solid concrete; power socket 1 m away.\n"
        "Installed and tested: Mounted indoor and outdoor units, vacuumed, ran 30 minutes.\n"
        "Parts used: none\n"
    )
    await customer.press("✍️ Correct: sign it")
    report = customer.last
    assert report.kind == "document" and report.text == f"Installation report {ticket.number}"
    text = _pdf_text(desk, report.media[0]["file_id"], tmp_path)
    assert f"Installation report {ticket.number}" in text
    assert "Before installing" in text and "Installed and tested" in text
    assert "Fault found" not in text and "Work done" not in text
