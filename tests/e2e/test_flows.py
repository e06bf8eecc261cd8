"""Whole cases through the real ``aftercare run`` process over HTTP, on the demo desk:
a repair from the report to the signed record and the survey, and a serious complaint
worked by a manager in the staff group; each in polling and in webhook mode (with its
secret), once on SQLite and once on PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image

from sandbox.demo import STAFF_GROUP
from sandbox.people import Someone
from tests.e2e.remote import (
    Remote,
    Telegram,
    fresh_database,
    read_rows,
    running_desk,
    telegram,
)

TOM_BASE = (31.2108, 121.4900)  # the demo's technician closest to this customer


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 80, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def _runs(*pairs: tuple[str, str]) -> pytest.MarkDecorator:
    """Each (mode, database) pair as a run; PostgreSQL's are marked as such."""
    marks = {"postgres": [pytest.mark.postgres], "sqlite": []}
    return pytest.mark.parametrize(
        ("mode", "kind"), [pytest.param(m, k, marks=marks[k], id=f"{m}-{k}") for m, k in pairs]
    )


@contextlib.asynccontextmanager
async def _desk(folder: Path, mode: str, kind: str) -> AsyncIterator[tuple[Telegram, str]]:
    """The demo desk in ``mode`` on a fresh database of ``kind``: Telegram and its URL."""
    async with (
        fresh_database(kind, folder) as url,
        telegram() as tg,
        running_desk(folder, tg, mode=mode, database_url=url),
    ):
        yield tg, url


@_runs(("polling", "sqlite"), ("webhook", "postgres"))
async def test_a_repair_from_report_to_signed_record_and_survey(
    tmp_path: Path, mode: str, kind: str
) -> None:
    async with _desk(tmp_path, mode, kind) as (tg, url):
        amy = Remote(tg, Someone(3001, "Amy", "en"))
        tom = Remote(tg, Someone(2002, "Tom", "en"))
        await amy.command("repair")
        await amy.press("Air conditioner")
        await amy.send("KFR-35GW")
        await amy.send("2026-05-10")
        await amy.send("It blows warm air and drips water onto the floor.")
        await amy.press("No photos, continue")
        await amy.share_location(TOM_BASE[0] + 0.0005, TOM_BASE[1])
        await amy.send("Room 5, 1 Xizang Road")
        await amy.share_contact("+8613800003001")
        days = await amy.wait_for("Which day suits you best")
        tomorrow = days.inline_buttons[1]["text"]
        await amy.press(tomorrow)
        await amy.press("Afternoon (12:00-18:00)")
        await amy.wait_for("Please check your repair request:")
        await amy.press("✅ Confirm and send")
        registered = await amy.wait_for("is registered")
        number = registered.text.split()[3]

        offer = await tom.wait_for(f"New job {number}")
        assert "Air conditioner" in offer.text
        await tom.press("✅ Accept")
        await amy.wait_for("Tom will take care of")
        await tom.press("🚗 On my way")
        await tom.press("📍 Check in")
        await tom.share_location(TOM_BASE[0] + 0.0006, TOM_BASE[1], live_period=3600)
        await tom.wait_for("Arrival recorded")
        await tom.press("🧾 Fill in the service record")
        await tom.press("In warranty")
        await tom.send("Blocked drain pipe.")
        await tom.send("Cleared the drain pipe.")
        await tom.press("None")
        await tom.send_photo(_png())
        await tom.press("Done")
        await tom.press("✅ Send to the customer")

        record = await amy.wait_for(f"Service record for {number}")
        assert "Fault found: Blocked drain pipe." in record.text
        await amy.press("✍️ Correct: sign it")
        report = await amy.wait_for(f"Service report {number}")
        assert tg.core.files[report.media[0]["file_id"]].startswith(b"%PDF")

        # The follow-up survey: the demo sends it at the sweep after the signature.
        await amy.wait_for("How did the service", seconds=60)
        for score in ("5", "4", "5"):
            await amy.press(score)
        await amy.send("Quick and tidy.")
        await amy.wait_for("Thank you, your comment has been passed on.")
        assert tg.core.flood_refusals == 0
        [(status, ratings)] = await read_rows(
            url,
            "SELECT t.status, s.timeliness || '' || s.attitude || s.result || ' ' || s.comment "
            "FROM tickets t JOIN surveys s ON s.ticket_id = t.id WHERE t.number = :number",
            number=number,
        )
        assert (status, ratings) == ("signed", "545 Quick and tidy.")


@_runs(("webhook", "sqlite"), ("polling", "postgres"))
async def test_a_serious_complaint_worked_in_the_staff_group(
    tmp_path: Path, mode: str, kind: str
) -> None:
    async with _desk(tmp_path, mode, kind) as (tg, _url):
        mia = Remote(tg, Someone(1002, "Mia", "en"))
        kim = Remote(tg, Someone(3001, "Amy", "en"))
        await kim.command("complain")
        await kim.press("A technician visit")
        await kim.press("None of these")
        await kim.send("The technician scratched the floor and left without cleaning up.")
        await kim.press("No photos, continue")
        await kim.send("Pay for the floor repair")
        await kim.press("Yes")  # property loss: serious
        await kim.send("13800138000")
        await kim.press("✅ Confirm and send")
        registered = await kim.wait_for("is registered")
        number = next(word for word in registered.text.split() if word.startswith("C-"))
        # Every manager is told at once, and the case has its topic in the staff group.
        await mia.wait_for(number)
        await mia.press_in_group(STAFF_GROUP, "🙋 Take it")
        forum = tg.core.forums[STAFF_GROUP]
        [topic] = [t for t in forum.topics.values() if number in t.name]
        await mia.press_in_group(STAFF_GROUP, "📥 Accept and classify")
        await mia.press_in_group(STAFF_GROUP, "Serious")
        await mia.press_in_group(STAFF_GROUP, "The technician")
        await mia.press_in_group(STAFF_GROUP, "🚫 Unfounded")
        await mia.write_in_topic(
            STAFF_GROUP, topic.thread_id, "The visit record shows the floor was covered."
        )
        await mia.press_in_group(STAFF_GROUP, "📨 Send it")
        answer = await kim.wait_for("The visit record shows the floor was covered.")
        assert number in answer.text
        for _ in range(150):  # the topic closes when the group's pace allows
            if forum.topics[topic.thread_id].closed:
                break
            await asyncio.sleep(0.2)
        assert forum.topics[topic.thread_id].name == f"✅ {number} · Complaint · Amy"
        assert (tg.core.webhook is not None) == (mode == "webhook")
        assert tg.core.flood_refusals == 0
