"""Technicians' certificates through the real bot: loaded from a manager's CSV or Excel
file, required by dispatch on the visit day, and warned about 30 days before they end."""

from __future__ import annotations

import io
from datetime import date, timedelta

from openpyxl import Workbook
from sqlalchemy import select

from dispatch.model import Language
from storage.field_models import TechnicianCertificateRow
from storage.models import OfferRow, TicketRow, UserRow
from tests.conftest import MANAGER_ID
from tests.handlers.test_dispatch import request_installation, technician
from tests.harness import Desk, date_label, day_label

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def test_a_heater_installation_goes_only_to_a_technician_certified_on_the_visit_day(
    desk: Desk,
) -> None:
    manager = desk.person(MANAGER_ID, "Boss")
    await manager.command("start")
    near = await technician(desk, 601, "Tom Li", 0.004, skills=("heater",))
    far = await technician(desk, 602, "Wu Gang", 0.03, skills=("heater",))
    table = (
        "Technician,Certificate,Number,Valid until\n"
        "Tom Li,heater_install,HX-001,2026-11-22\n"  # ends the day before the visit
        "13900000602,电热水器安装资格证,HX-002,2027/6/30\n"  # by phone, by its Chinese name
        "Zed,heater_install,HX-003,2027-01-01\n"
        "Wu Gang,work_permit,WP-1,2027-01-01\n"
        "Wu Gang,heater_install,,2027-01-01\n"
        "Tom Li,heater_install,HX-001,soon\n"
    )
    await manager.send_document("certificates.csv", CSV, table.encode())
    assert manager.last.text == (
        "📜 Certificates loaded: 2 new, 0 renewed.\n"
        "These lines were left out; correct them and send the file again:\n"
        "line 4: no technician called Zed\n"
        "line 5: no certificate called work_permit\n"
        "line 6: the certificate number is missing\n"
        "line 7: soon is not a date"
    )
    await manager.command("certificates")
    assert manager.last.text == (
        "📜 Certificates:\n"
        "Tom Li · Electric water heater installation licence No. HX-001 · "
        f"⚠️ valid until {date_label(Language.EN, '2026-11-22')}\n"
        "Wu Gang · Electric water heater installation licence No. HX-002 · "
        f"valid until {date_label(Language.EN, '2027-06-30')}"
    )
    near.new_texts()
    far.new_texts()

    customer = desk.person(510, "Kai")
    await request_installation(
        customer, "Water heater", "JSQ25-13", "A 60-litre electric water heater for the bathroom."
    )
    async with desk.db() as session:
        ticket = await session.scalar(select(TicketRow))
        assert ticket is not None
        offers = list(await session.scalars(select(OfferRow)))
        wu_gang = await session.scalar(select(UserRow.id).where(UserRow.telegram_id == far.id))
    # Tom is nearer, but his licence ends before the visit day: Wu Gang gets the offer.
    assert [o.technician_id for o in offers] == [wu_gang]
    got = far.new_texts()
    assert any(text.startswith(f"🔧 New job {ticket.number}") for text in got), got
    assert not any("New job" in text for text in near.new_texts())


async def test_managers_hear_that_a_certificate_is_what_keeps_a_job_from_everyone(
    desk: Desk,
) -> None:
    manager = desk.person(MANAGER_ID, "Boss")
    await manager.command("start")
    await technician(desk, 601, "Tom Li", 0.004, skills=("heater",))  # holds no licence
    manager.new_texts()
    await request_installation(
        desk.person(510, "Kai"), "Water heater", "JSQ25-13", "A water heater for the kitchen."
    )
    number = await _number(desk)
    assert manager.new_texts() == [
        f"⚠️ Nobody can take {number} (Water heater, Building 3, room 1201): technicians are "
        "within reach, but none holds the Electric water heater installation licence valid "
        f"on {day_label(Language.EN, '2026-11-23')}. Please assign it by hand."
    ]


async def _number(desk: Desk) -> str:
    async with desk.db() as session:
        ticket = await session.scalar(select(TicketRow))
    assert ticket is not None
    return ticket.number


async def test_an_ending_certificate_is_told_once_and_a_renewal_starts_again(desk: Desk) -> None:
    manager = desk.person(MANAGER_ID, "Boss")
    await manager.command("start")
    tom = await technician(desk, 601, "Tom Li", 0.004, skills=("heater",))
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["技师", "证书", "证书编号", "有效期至"])
    sheet.append(["Tom Li", "电热水器安装资格证", "HX-001", date(2026, 12, 10)])
    data = io.BytesIO()
    book.save(data)
    await manager.send_document("证书.xlsx", XLSX, data.getvalue())
    assert manager.last.text == "📜 Certificates loaded: 1 new, 0 renewed."
    manager.new_texts()
    tom.new_texts()

    await desk.sweep()  # 18 days before the end
    until = date_label(Language.EN, "2026-12-10")
    assert tom.new_texts() == [
        f"📜 Your Electric water heater installation licence (No. HX-001) is valid until "
        f"{until}. Jobs that need it are offered to you only while it is valid: please renew "
        "it and send the new one to a manager."
    ]
    assert manager.new_texts() == [
        f"📜 Tom Li's Electric water heater installation licence (No. HX-001) is valid until "
        f"{until}; after that, jobs that need it are not offered to them."
    ]
    await desk.advance(timedelta(days=1))
    await desk.sweep()
    assert tom.new_texts() == [] and manager.new_texts() == []

    # Renewed to the end of the next month: no warning until 30 days before that.
    renewal = "technician,certificate,number,valid until\nTom Li,heater_install,HX-009,2026-12-30\n"
    await manager.send_document("renewal.csv", CSV, renewal.encode())
    assert manager.last.text == "📜 Certificates loaded: 0 new, 1 renewed."
    await desk.sweep()
    assert tom.new_texts() == []
    await desk.advance(timedelta(days=8))  # 2026-12-01: 29 days before
    await desk.sweep()
    assert [text.split(" is valid")[0] for text in tom.new_texts()] == [
        "📜 Your Electric water heater installation licence (No. HX-009)"
    ]
    await tom.command("certificates")
    assert tom.last.text == (
        "📜 Certificates:\nTom Li · Electric water heater installation licence No. HX-009 · "
        f"⚠️ valid until {date_label(Language.EN, '2026-12-30')}"
    )
    async with desk.db() as session:
        [row] = list(await session.scalars(select(TechnicianCertificateRow)))
    assert (row.number, row.valid_until, row.warned_on) == (
        "HX-009",
        date(2026, 12, 30),
        date(2026, 12, 1),
    )


async def test_a_file_that_is_not_a_certificates_table_gets_a_way_forward(desk: Desk) -> None:
    manager = desk.person(MANAGER_ID, "Boss")
    await manager.command("start")
    await manager.send_document("list.csv", CSV, b"name,phone\nAmy,123\n")
    assert manager.last.text.startswith("I can load four kinds of table; the first row names")
    await manager.send_document("broken.xlsx", XLSX, b"not a workbook")
    assert manager.last.text.startswith("I could not read this file.")
    customer = desk.person(510, "Kai")
    await customer.command("start")
    await customer.send_document("certificates.csv", CSV, b"technician,certificate\n")
    assert customer.last.text == "This command is for managers. Send /help to see what you can do."
    await customer.command("certificates")
    assert customer.last.text == "This command is for staff. Send /help to see what you can do."


async def test_a_certificate_ends_at_the_desks_midnight_not_at_utcs(desk: Desk) -> None:
    manager = desk.person(MANAGER_ID, "Boss")
    await manager.command("start")
    await technician(desk, 601, "Tom Li", 0.004, skills=("heater",))
    table = "technician,certificate,number,valid until\nTom Li,heater_install,HX-1,2026-11-22\n"
    await manager.send_document("certificates.csv", CSV, table.encode())
    await desk.advance(timedelta(hours=15))  # 17:00 UTC: already 1 am on the 23rd in Shanghai
    await manager.command("certificates")
    assert manager.last.text == (
        "📜 Certificates:\nTom Li · Electric water heater installation licence No. HX-1 · "
        f"⛔ expired {date_label(Language.EN, '2026-11-22')}"
    )
