"""The real bot process over HTTP against the sandbox's Bot API server, in polling and
webhook mode, with Telegram's flood limits on: a question asked and answered; in webhook
mode, a call that does not carry the webhook's secret is refused."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from sandbox.people import Someone
from tests.e2e.remote import WEBHOOK_SECRET, Remote, running_desk, telegram


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_a_question_asked_and_answered_over_http(tmp_path: Path, mode: str) -> None:
    async with telegram() as tg, running_desk(tmp_path, tg, mode=mode) as bot:
        mia = Remote(tg, Someone(1002, "Mia", "en"))
        await mia.command("start")
        amy = Remote(tg, Someone(3002, "李雷", "zh-hans"))
        await amy.command("ask")
        await amy.send("空调滤网多久需要清洗一次？")
        ping = await mia.wait_for("❓ Question ")
        number = ping.text.split()[2]
        await mia.press("✍️ Answer")
        await mia.send("一般每两周清洗一次。")
        await mia.press("✅ Send: this answers the question")
        reply = await amy.wait_for(f"💬 关于您的咨询 {number}")
        assert reply.text == f"💬 关于您的咨询 {number}：\n一般每两周清洗一次。"
        assert tg.core.flood_refusals == 0
        # The log says what happened, not that the scheduler ticked (every 5 s).
        log = (tmp_path / "bot.log").read_text(encoding="utf-8")
        assert "AfterCare is starting" in log and " INFO apscheduler" not in log
        # The operator's view: healthy, and the updates counted by what they carried.
        async with aiohttp.ClientSession() as client:
            async with client.get(f"{bot.web}/healthz") as answer:
                health = await answer.json()
                assert (answer.status, health["status"]) == (200, "ok"), health
                assert health["database"] == health["telegram"] == "ok"
                assert health["inbox_unfinished"] == 0
            async with client.get(f"{bot.web}/metrics") as answer:
                metrics = _samples(await answer.text())
        assert metrics['aftercare_updates_handled_total{kind="message"}'] >= 4
        assert metrics['aftercare_updates_handled_total{kind="callback_query"}'] >= 2
        assert metrics['aftercare_update_handling_seconds_count{kind="message"}'] >= 4
        assert metrics["aftercare_active"] == 1
        assert metrics["aftercare_outbox_due"] == 0
        if mode == "webhook":
            assert tg.core.webhook is not None
            url = str(tg.core.webhook["url"])
            assert tg.core.webhook["secret_token"] == WEBHOOK_SECRET
            forged = {"update_id": 999_999, "message": {"text": "/start"}}
            async with aiohttp.ClientSession() as client:
                async with client.post(url, json=forged) as answer:
                    assert answer.status == 403
                headers = {"X-Telegram-Bot-Api-Secret-Token": "wrong"}
                async with client.post(url, json=forged, headers=headers) as answer:
                    assert answer.status == 403


def _samples(exposition: str) -> dict[str, float]:
    """Prometheus' text format: each sample's name with its labels, and its value."""
    samples = {}
    for line in exposition.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples
