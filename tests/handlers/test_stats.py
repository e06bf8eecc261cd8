"""/stats: the KPIs of a seeded month, worked out by hand below, against their targets and
beside the month before; the time to each step, the worst cases and the technicians."""

from __future__ import annotations

import asyncio
import codecs
import csv
import io
import warnings
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from PIL import Image
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.charts import chart_font, render_charts
from bot.cli import main
from bot.insight import PeriodFiles
from bot.report import FONT_CANDIDATES
from dispatch.kpis import period_named
from dispatch.messages import Month
from dispatch.model import Language
from dispatch.stats import period_stats
from sandbox.botapi import SentMessage
from storage.db import make_engine, make_sessionmaker
from storage.facts import Facts, backfill_statements
from storage.models import EventRow, SurveyRow, TechnicianRow, TicketRow, UserRow, VisitRow
from tests.conftest import MANAGER_ID
from tests.harness import Desk


@pytest.fixture
async def desk(desk_factory: Callable[..., Awaitable[Desk]]) -> Desk:
    return await desk_factory(managers=(MANAGER_ID,))


def _at(month: int, day: int, hour: int = 4) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)  # 4:00 UTC: noon in Shanghai


async def seed_month(session: AsyncSession) -> dict[str, int]:
    """November 2026 (the tests' clock is on Nov 22), and one case closed in October.

    Closed in November: A, B, C. B missed its dispatch limit (an sla.level2) and was put
    right later: it still fails. C had only a warning. On time: 2 of 3 = 66.7 %.
    Field jobs completed in November: A, B, E = 3. Complaints attributable to the
    service: C (the technician, about job A); F's cause is the product: 1 of 3 = 33.3 %.
    Surveys sent in November: 3; answered: 2 (5/5/4, and 5/3/5 with one low rating);
    satisfied: 1 of 2 = 50 %; response rate 2 of 3 = 66.7 %.
    Time to each step: dispatch A 2 h, B 4 h (3 h over 2); on site A 5 h, B 6 h (5.5 h).
    Technician Li did A and B: on site by the limit for A only (B was due by 9:00 UTC
    and came at 10:00: 50 %); B's customer
    asked for a repair again (G, nine days after) so one first-time fix (50 %); ratings
    4.67 and 4.33 average 4.5; one complaint (C, about A).
    The worst case is B, the only one with a limit passed.
    First response by a person, in office hours (9:00-17:30 Shanghai, working days):
    A accepted by Li at 14:00 on Monday the 9th, registered at noon: 2 h; B at 16:00: 4 h;
    C, registered at noon on Saturday the 14th, answered by the manager at 10:00 on
    Monday: 1 h (46 h on the clock). 7 / 3 = 2.3 h over 3.
    Resolution, waiting for the customer left out: A 72 h to close less 2 h waiting for
    the signature = 70 h; B 96 h less 48 h waiting (completed, never signed) = 48 h; C
    144 h; (70 + 48 + 144) / 3 = 87.3 h.
    October: D closed with no breach: 100 %; no survey and no job, so no data. D, a
    return registered at noon on Tuesday Oct 20, approved by the manager at noon the
    next day: 8.5 office hours; the goods came back two days later: 240 h less 48 h
    waiting = 192 h.
    """
    kim = UserRow(telegram_id=555, role="customer", display_name="Kim", created_at=_at(9, 1))
    lee = UserRow(telegram_id=556, role="customer", display_name="Lee", created_at=_at(9, 1))
    li = UserRow(telegram_id=557, role="technician", display_name="Li", created_at=_at(9, 1))
    boss = UserRow(telegram_id=558, role="manager", display_name="Boss", created_at=_at(9, 1))
    session.add_all([kim, lee, li, boss])
    await session.flush()
    session.add(
        TechnicianRow(
            user_id=li.id,
            name="Li Wei",
            phone="+8613800138001",
            skills=["repair"],
            base_latitude=31.2,
            base_longitude=121.4,
            service_radius_km=20,
            capacity=3,
        )
    )
    tickets: dict[str, TicketRow] = {}
    for name, kind, created, customer, details in (
        ("A", "repair", _at(11, 9), kim, {}),
        ("B", "repair", _at(11, 9), lee, {}),
        ("C", "complaint", _at(11, 14), kim, {"cause": "technician"}),
        ("D", "return", _at(10, 20), kim, {}),
        ("E", "installation", _at(11, 14), kim, {}),
        ("F", "complaint", _at(11, 16), kim, {"cause": "product"}),
        ("G", "repair", _at(11, 20), lee, {}),
    ):
        row = TicketRow(
            number=f"R-2026110{len(tickets) + 1}-000{len(tickets) + 1}",
            kind=kind,
            status="closed" if name in "ABCD" else "new",
            priority="normal",
            version=1,
            customer_id=customer.id,
            created_at=created,
            updated_at=created,
            details=details,
            assigned_technician_id=li.id if name in "AB" else None,
            arrive_due_at={"A": _at(11, 9, 10), "B": _at(11, 9, 9)}.get(name),
        )
        session.add(row)
        tickets[name] = row
    await session.flush()
    tickets["C"].related_ticket_id = tickets["A"].id

    def status(name: str, to: str, at: datetime, by: UserRow | None = None) -> EventRow:
        return EventRow(
            ticket_id=tickets[name].id,
            kind="status",
            to_status=to,
            created_at=at,
            details={},
            actor_id=by.id if by else None,
        )

    def alert(name: str, level: int, step: str, at: datetime) -> EventRow:
        return EventRow(
            ticket_id=tickets[name].id,
            kind=f"sla.level{level}",
            created_at=at,
            details={"step": step},
        )

    session.add_all(
        [
            status("A", "assigned", _at(11, 9, 6), li),
            status("A", "on_site", _at(11, 9, 9), li),
            status("A", "completed", _at(11, 10), li),
            status("A", "signed", _at(11, 10, 6), kim),
            status("A", "closed", _at(11, 12)),
            alert("B", 2, "repair_dispatch", _at(11, 9, 5)),
            alert("B", 2, "repair_on_site", _at(11, 9, 9)),
            status("B", "assigned", _at(11, 9, 8), li),
            status("B", "on_site", _at(11, 9, 10), li),
            status("B", "completed", _at(11, 11), li),
            status("B", "closed", _at(11, 13)),
            alert("C", 1, "complaint_verify", _at(11, 15)),
            EventRow(
                ticket_id=tickets["C"].id,
                kind="staff.reply",
                actor_id=boss.id,
                created_at=_at(11, 16, 2),
                details={"text": "We are looking into it."},
            ),
            status("C", "closed", _at(11, 20), boss),
            status("D", "approved", _at(10, 21), boss),
            status("D", "received", _at(10, 23), boss),
            status("D", "closed", _at(10, 30), boss),
            status("E", "completed", _at(11, 15)),
            VisitRow(ticket_id=tickets["A"].id, technician_id=li.id, arrived_at=_at(11, 9, 9)),
            VisitRow(ticket_id=tickets["B"].id, technician_id=li.id, arrived_at=_at(11, 9, 11)),
            SurveyRow(
                ticket_id=tickets["A"].id,
                sent_at=_at(11, 12),
                answered_at=_at(11, 12),
                timeliness=5,
                attitude=5,
                result=4,
            ),
            SurveyRow(
                ticket_id=tickets["B"].id,
                sent_at=_at(11, 13),
                answered_at=_at(11, 14),
                timeliness=5,
                attitude=3,
                result=5,
            ),
            SurveyRow(ticket_id=tickets["C"].id, sent_at=_at(11, 20)),
        ]
    )
    await session.commit()
    for statement in backfill_statements():  # rows written by hand: figures from the log
        await session.execute(statement)
    await session.commit()
    return {name: row.id for name, row in tickets.items()}


async def _seeded(desk: Desk) -> dict[str, int]:
    async with desk.db() as session:
        return await seed_month(session)


async def test_the_months_figures_against_their_targets_and_the_month_before(
    desk: Desk,
) -> None:
    ids = await _seeded(desk)
    boss = desk.person(MANAGER_ID, "Boss")
    await boss.command("start")
    await boss.command("stats")
    assert boss.last.text == (
        "📊 November 2026\n"
        "Cases closed: 3\n"
        "On-time rate: 66.7 % (target 90 %) ❌\n"
        "   the period before: 100 %\n"
        "Satisfaction: 50 % (target 85 %) ❌\n"
        "   the period before: no data\n"
        "   surveys answered: 2 of 3 sent (66.7 %)\n"
        "Complaint rate attributable to service: 33.3 % (target 3 %) ❌\n"
        "   the period before: no data\n"
        "   complaints about the service: 1; field jobs completed: 3\n"
        "\n"
        "⏱ Average time from registration:\n"
        "• First response by a person: 2.3 office hours over 3 (the period before: 8.5)\n"
        "• Dispatch: 3 h over 2 (limit 1 hour)\n"
        "• On site: 5.5 h over 2 (limit 24 hours)\n"
        "• Repair signed: 26 h over 1 (no limit)\n"
        "• Resolved: 87.3 h over 3, time waiting for the customer left out "
        "(the period before: 192)"
    )
    async with desk.db() as session:
        worst = await session.get(TicketRow, ids["B"])
    assert worst is not None
    assert [b["text"] for b in boss.last.inline_buttons] == [
        f"🔴 {worst.number} · Repair · Closed · limits passed: 2",
        "👷 Technicians",
        "📈 Charts",
        "📄 Files",
        "This week",
        "Last month",
    ]
    await boss.press("👷 Technicians")
    assert boss.last.text == (
        "👷 Technicians, November 2026:\n"
        "• Li Wei: jobs 2 · on time 50 % · fixed first time 50 % · rating 4.5 · complaints 1"
    )
    await boss.press(f"🔴 {worst.number} · Repair · Closed · limits passed: 2")
    assert boss.last.text.startswith(f"📁 {worst.number} · Repair · Closed")

    await boss.press("Last month")
    october = boss.last.text
    assert october.startswith("📊 October 2026\nCases closed: 1\n")
    assert "On-time rate: 100 % (target 90 %) ✅" in october

    # This week (Mon Nov 16 to Sun Nov 22): C closed on time; the week before holds A, B.
    await boss.press("This week")
    week = boss.last.text
    assert week.startswith("📊 the week from Mon, Nov 16\nCases closed: 1\n")
    assert "On-time rate: 100 % (target 90 %) ✅\n   the period before: 50 %" in week


async def test_a_range_of_days_and_a_technician_by_name(desk: Desk) -> None:
    await _seeded(desk)
    boss = desk.person(MANAGER_ID, "Boss")
    await boss.command("start")
    await boss.command("stats", "11-09", "11月12日")  # as people type days
    assert boss.last.text.startswith(
        "📊 Mon, Nov 9 to Thu, Nov 12\nCases closed: 1\nOn-time rate: 100 % (target 90 %) ✅\n"
    )
    await boss.press("👷 Technicians")
    assert boss.last.text.startswith("👷 Technicians, Mon, Nov 9 to Thu, Nov 12:\n• Li Wei: jobs 2")
    await boss.command("stats", "2026-11-12", "2026-11-09")
    assert boss.last.text == "The second day is before the first. Please give them in order."
    await boss.command("stats", "yesterday-ish")
    assert boss.last.text.startswith("Send /stats alone for this month")
    await boss.command("stats", "technician", "wei")
    assert boss.last.text.startswith("👷 Technicians, November 2026:\n• Li Wei: jobs 2")
    await boss.command("stats", "technician", "Zhang")
    assert boss.last.text.endswith("No field job was completed in this period.")


async def test_the_figures_are_for_managers_in_their_language(desk: Desk) -> None:
    await _seeded(desk)
    customer = desk.person(777, "Amy")
    await customer.command("start")
    await customer.command("stats")
    assert customer.last.text == "This command is for managers. Send /help to see what you can do."
    boss = desk.person(MANAGER_ID, "老板", language_code="zh-hans")
    await boss.command("start")
    await boss.command("stats")
    assert boss.last.text.startswith(
        "📊 2026年11月\n结案数：3\n服务及时率：66.7%（目标 90%）❌\n   上一期：100%\n"
    )


def _file(desk: Desk, message: SentMessage) -> bytes:
    return desk.api.files[message.media[0]["file_id"]]


async def test_the_charts_arrive_as_photos_and_show_the_figures(desk: Desk) -> None:
    await _seeded(desk)
    boss = desk.person(MANAGER_ID, "Boss")
    await boss.command("start")
    await boss.command("stats")
    await boss.press("📈 Charts")
    await desk.deliver()
    photos = [m for m in boss.messages if m.kind == "photo"]
    assert len(photos) == 5
    assert photos[0].text == "📈 Charts for November 2026"
    for photo in photos:
        with Image.open(io.BytesIO(_file(desk, photo))) as image:
            assert image.format == "PNG" and image.size == (1280, 720)


async def test_each_chart_shows_the_periods_figures(desk: Desk) -> None:
    await _seeded(desk)
    stats = await period_stats(
        desk.services.uow(),
        desk.services.policy,
        name="month",
        period=period_named("month", desk.clock.now(), desk.services.policy.zone),
    )
    files = PeriodFiles(desk.services.uow, desk.services.translator, desk.settings)
    chart_font(desk.settings.reports.font or None, FONT_CANDIDATES)  # as the bot does
    text_of, _show = files.reader(Language.ZH_HANS)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph: the Chinese would not show
        made = render_charts(stats, text_of, Month(2026, 11), desk.services.policy)
    charts = {chart.name: chart for chart in made}
    assert charts["per_day"].data == {"repair": 3, "complaint": 2, "installation": 1}
    assert charts["kpis"].data == {
        "服务及时率": 66.7,
        "用户满意度": 50.0,
        "用户抱怨率（服务原因）": 33.3,
    }
    assert charts["causes"].data == {"technician": 1, "product": 1}
    assert charts["steps"].data == {"dispatch": 3.0, "arrival": 5.5, "repair": 26.0}
    assert charts["technicians"].data == {"Li Wei": 2}


async def test_the_files_hold_the_periods_rows_in_xlsx_and_csv(desk: Desk) -> None:
    await _seeded(desk)
    boss = desk.person(MANAGER_ID, "Boss")
    await boss.command("start")
    await boss.command("stats")
    await boss.press("📄 Files")
    await desk.deliver()
    documents = {m.media[0]["file_name"]: m for m in boss.messages if m.kind == "document"}
    assert sorted(documents) == [
        "aftercare-2026-11-steps.csv",
        "aftercare-2026-11-surveys.csv",
        "aftercare-2026-11-tickets.csv",
        "aftercare-2026-11.xlsx",
    ]
    book = openpyxl.load_workbook(io.BytesIO(_file(desk, documents["aftercare-2026-11.xlsx"])))
    assert book.sheetnames == ["Tickets", "Steps", "Surveys"]
    tickets = list(book["Tickets"].iter_rows(values_only=True))
    assert book["Tickets"].freeze_panes == "A2"
    assert tickets[0] == (
        "Request number",
        "Kind",
        "Status",
        "Registered",
        "Product",
        "Model",
        "Technician",
        "Limits passed",
    )
    async with desk.db() as session:
        rows = (
            await session.execute(
                select(TicketRow.number, TicketRow.created_at)
                .where(
                    TicketRow.created_at >= _at(10, 31, 16), TicketRow.created_at < _at(11, 30, 16)
                )
                .order_by(TicketRow.created_at, TicketRow.id)
            )
        ).all()
    assert [r[0] for r in tickets[1:]] == [number for number, _ in rows]  # row for row
    first = tickets[1]
    assert first[1:4] == ("Repair", "Closed", datetime(2026, 11, 9, 12, 0))  # a typed time
    assert first[6:] == ("Li Wei", 0)
    assert tickets[2][7] == 2  # B passed its dispatch and arrival limits: a number
    surveys = list(book["Surveys"].iter_rows(values_only=True))
    assert [s[3:6] for s in surveys[1:]] == [(5, 5, 4), (5, 3, 5), (None, None, None)]
    steps = list(book["Steps"].iter_rows(values_only=True))
    assert len(steps) == 1 + 11  # the status moves made in November (A 5, B 4, C, E)

    for sheet in ("Tickets", "Steps", "Surveys"):  # each CSV holds what its sheet holds
        raw = _file(desk, documents[f"aftercare-2026-11-{sheet.lower()}.csv"])
        assert raw.startswith(codecs.BOM_UTF8)
        table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        cells = book[sheet].iter_rows(values_only=True)
        assert table == [[_as_csv(cell) for cell in row] for row in cells]
    assert table[1][1] == "2026-11-12 12:00"  # a survey sent: the desk's time, as Excel reads it


def _as_csv(cell: object) -> str:
    if isinstance(cell, datetime):
        return cell.strftime("%Y-%m-%d %H:%M")
    if isinstance(cell, float) and cell.is_integer():  # Excel keeps every number as a float
        return str(int(cell))
    return "" if cell is None else str(cell)


def test_the_report_command_prints_the_figures_and_writes_the_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/desk.db"
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\nurl = "{url}"\n')
    assert main(["db", "upgrade", "--config", str(config)]) == 0

    async def seed() -> None:
        engine = make_engine(url)
        async with make_sessionmaker(engine)() as session:
            await seed_month(session)
        await engine.dispose()

    asyncio.run(seed())
    capsys.readouterr()
    out = tmp_path / "out"
    command = ["report", "monthly", "--month", "2026-11", "--language", "en"]
    assert main([*command, "--out", str(out), "--config", str(config)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("📊 Complaint report for November 2026\nComplaints: 2\n")
    assert "On-time rate: 66.7 % (target 90 %) ❌\n" in printed
    assert sorted(path.name for path in out.iterdir()) == [
        "aftercare-2026-11-causes.png",
        "aftercare-2026-11-kpis.png",
        "aftercare-2026-11-per_day.png",
        "aftercare-2026-11-steps.csv",
        "aftercare-2026-11-steps.png",
        "aftercare-2026-11-surveys.csv",
        "aftercare-2026-11-technicians.png",
        "aftercare-2026-11-tickets.csv",
        "aftercare-2026-11.xlsx",
    ]
    command = ["report", "stats", "--from", "2026-11-09", "--to", "2026-11-12"]
    assert main([*command, "--language", "zh_Hant", "--config", str(config)]) == 0
    assert capsys.readouterr().out.startswith("📊 11月9日週一至11月12日週四\n結案數：1\n")
    quiet = tmp_path / "quiet"  # days with nothing in them: the files hold their headers
    command = ["report", "stats", "--from", "2026-12-01", "--to", "2026-12-02"]
    assert main([*command, "--out", str(quiet), "--config", str(config)]) == 0
    steps = (quiet / "aftercare-2026-12-01-2026-12-02-steps.csv").read_bytes()
    assert steps == codecs.BOM_UTF8 + b"Request number,Kind,From,To,At,By\r\n"
    assert main(["report", "monthly", "--month", "2026-13", "--config", str(config)]) == 2
    assert capsys.readouterr().err.startswith("report: month must be in 1..12")


async def test_the_figures_kept_as_cases_move_are_those_the_log_gives(desk: Desk) -> None:
    """A job worked through the bot, its survey with a low score (which opens a complaint
    about it) and a question whose first-reply limit passes: the figures written as each step happened are the ones
    derived afterwards from the event log."""
    from tests.handlers.test_survey import signed_job

    boss = desk.person(MANAGER_ID, "Boss")
    await boss.command("start")
    customer = desk.person(803, "Cai")
    await signed_job(desk, customer)
    desk.clock.set(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    await desk.sweep()
    for score in ("4", "2", "4"):
        await customer.press(score)
    asker = desk.person(804, "Dan")
    await asker.command("ask")
    await asker.send("Does the warranty cover the remote control?")
    await desk.advance(timedelta(hours=2))  # nobody answers within the hour
    await desk.sweep()
    async with desk.db() as session:
        asked = await session.scalar(select(TicketRow).where(TicketRow.kind == "consultation"))
    assert asked is not None
    await boss.press_data(boss.last, f"qa:ans:{asked.id}")
    await boss.send("Yes, for two years.")
    await boss.press("✅ Send: this answers the question")
    await desk.advance(timedelta(hours=3))  # waiting for the customer: the clock stops
    await asker.send("And the batteries?")  # asked again: the question reopens
    async with desk.db() as session:
        kept = {
            row.ticket_id: row._tuple()
            for row in await session.execute(select(Facts).order_by(Facts.c.ticket_id))
        }
        await session.execute(delete(Facts))
        for statement in backfill_statements():
            await session.execute(statement)
        await session.commit()
        derived = {
            row.ticket_id: row._tuple()
            for row in await session.execute(select(Facts).order_by(Facts.c.ticket_id))
        }
    assert len(kept) == 3  # the job, the complaint about it, the question
    job, question = (
        next(t for t, row in kept.items() if row[1] == k) for k in ("repair", "consultation")
    )
    assert kept[job][Facts.c.keys().index("complaints")] == 1
    assert kept[job][Facts.c.keys().index("rating")] == pytest.approx(10 / 3)
    assert kept[question][Facts.c.keys().index("breaches")] == 1
    column = Facts.c.keys().index
    assert kept[question][column("first_response_at")] == asked.created_at + timedelta(hours=2)
    assert kept[question][column("waiting_h")] == pytest.approx(3.0)
    assert kept[question][column("waiting_since")] is None  # the desk's turn again
    assert kept == derived
    await boss.command("stats", "technician", "Tom")
    assert boss.last.text.endswith(
        "• Tom Li: jobs 1 · on time 100 % · fixed first time 100 % · rating 3.3 · complaints 1"
    )
