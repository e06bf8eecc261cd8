"""The sandbox's web chat in a real browser (Playwright driving Debian's chromium): one
person does a whole repair as the customer and as the technician, in Chinese and in
English, by typing, tapping buttons, picking the place on the drawn map, sharing a phone
number and uploading a photo. Screenshots are kept in ``artifacts/screenshots`` (or
``$AFTERCARE_ARTIFACTS/screenshots``)."""

from __future__ import annotations

import asyncio
import io
import os
import shutil
from pathlib import Path

import pytest
from PIL import Image

from bot.i18n import Translator
from dispatch.model import Language
from sandbox.run import run_sandbox
from tests.e2e.remote import ROOT, free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None and not os.environ.get("CI"):
    pytest.skip("no chromium here (Debian: apt-get install chromium)", allow_module_level=True)

from playwright.async_api import Locator, Page, async_playwright, expect  # noqa: E402

ARTIFACTS = Path(os.environ.get("AFTERCARE_ARTIFACTS", ROOT / "artifacts")) / "screenshots"
WAIT = 45_000  # milliseconds a person waits for the bot (a loaded machine)

# Who plays it in each language: the customer, the technician nearest to where the
# customer is, that technician's base, the product's name, the page's language.
CASTS = {
    "zh": (3002, 2001, (31.2455, 121.4551), "空调", Language.ZH_HANS),
    "en": (3001, 2002, (31.2108, 121.4900), "Air conditioner", Language.EN),
}


def _column(page: Page, person: int) -> Locator:
    return page.locator(f'section[data-person="{person}"]')


async def _say(column: Locator, text: str) -> None:
    box = column.locator("textarea")
    await box.fill(text)
    await box.press("Enter")
    await expect(column.locator(".bubble.mine").last).to_contain_text(text[:20], timeout=WAIT)


async def _tap(column: Locator, label: str) -> None:
    button = column.locator(".bubble button", has_text=label).last
    await expect(button).to_be_visible(timeout=WAIT)
    await button.click()


async def _sees(column: Locator, text: str) -> None:
    await expect(column.locator(".bubble", has_text=text).last).to_be_visible(timeout=WAIT)


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_a_repair_done_in_the_web_chat(tmp_path: Path, language: str) -> None:
    customer, technician, base, product, speaks = CASTS[language]
    words = Translator()

    def t(msgid: str) -> str:
        return words.gettext(speaks, msgid)

    port, ready, stop = free_port(), asyncio.Event(), asyncio.Event()
    running = asyncio.create_task(
        run_sandbox(
            host="127.0.0.1", port=port, folder=tmp_path / "desk", say=False, ready=ready, stop=stop
        )
    )
    await asyncio.wait_for(ready.wait(), 60)
    photo = tmp_path / "before.png"
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 80, 40)).save(buffer, format="PNG")
    photo.write_bytes(buffer.getvalue())
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
            )
            page = await browser.new_page(
                viewport={"width": 1200, "height": 900},
                locale="zh-CN" if language == "zh" else "en-US",
            )
            await page.goto(f"http://127.0.0.1:{port}/")
            # Only the two people of this story, side by side.
            for box in await page.locator("#people input[type=checkbox]").all():
                await box.uncheck()
            for person in (customer, technician):
                await page.locator("#people label").nth(_index(person)).locator("input").check()
            me, tech = _column(page, customer), _column(page, technician)

            await _say(me, "/repair")
            await _tap(me, product)
            await _say(me, "KFR-35GW")
            await _say(me, "2026-05-10")
            await _say(me, "制冷时滴水。" if language == "zh" else "It drips water.")
            await _tap(me, t("No photos, continue"))
            # The place: the keyboard's location button opens the drawn map; a click on
            # the technician's part of town, then the exact spot typed.
            await me.locator(".keyboard button", has_text=t("📍 Share my location")).click()
            await me.locator(".map svg").click(position={"x": 150, "y": 60})
            inputs = me.locator(".map input")
            await inputs.nth(0).fill(str(base[0] + 0.0005))
            await inputs.nth(1).fill(str(base[1]))
            await me.locator(".map button").first.click()
            await _sees(me, "📍")
            await _say(me, "Room 5")
            await me.locator(".keyboard button", has_text=t("📱 Share my phone number")).click()
            await _sees(me, "+86138")
            days = me.locator(".bubble").last.locator("button")
            await expect(days.nth(1)).to_be_visible(timeout=WAIT)
            await days.nth(1).click()
            await _tap(me, t("Afternoon (12:00-18:00)"))
            await _sees(me, t("Please check your repair request:"))
            await page.screenshot(path=ARTIFACTS / f"repair-{language}-1-review.png")
            await _tap(me, t("✅ Confirm and send"))

            await _tap(tech, t("✅ Accept"))
            await _tap(tech, t("🚗 On my way"))
            await _tap(tech, t("📍 Check in"))
            await tech.locator('button[title="location"]').click()
            inputs = tech.locator(".map input")
            await inputs.nth(0).fill(str(base[0] + 0.0006))
            await inputs.nth(1).fill("")
            # A message arriving redraws the page while the technician types: what was
            # typed stays, and so does the caret.
            await page.evaluate("render()")
            await page.keyboard.type(str(base[1]))
            await expect(inputs.nth(0)).to_have_value(str(base[0] + 0.0006))
            await expect(inputs.nth(1)).to_have_value(str(base[1]))
            await tech.locator(".map button").nth(1).click()  # a live location
            await _tap(tech, t("🧾 Fill in the service record"))
            await _tap(tech, t("In warranty"))
            await _say(tech, "排水管堵塞。" if language == "zh" else "Blocked drain pipe.")
            await _say(tech, "疏通排水管。" if language == "zh" else "Cleared the drain pipe.")
            await _tap(tech, t("None"))
            await tech.locator("input[type=file]").set_input_files(photo)
            await expect(tech.locator(".bubble.mine img").last).to_be_visible(timeout=WAIT)
            await _tap(tech, t("Done"))
            await _tap(tech, t("✅ Send to the customer"))

            await _tap(me, t("✍️ Correct: sign it"))
            await _sees(me, ".pdf")
            await page.screenshot(path=ARTIFACTS / f"repair-{language}-2-signed.png")
            await browser.close()
    finally:
        stop.set()
        assert await asyncio.wait_for(running, 60) == 0
    assert (ARTIFACTS / f"repair-{language}-2-signed.png").stat().st_size > 10_000


def _index(person: int) -> int:
    """Where the person stands in the page's list (the demo's order)."""
    return [1001, 1002, 2001, 2002, 2003, 3001, 3002, 3003].index(person)
