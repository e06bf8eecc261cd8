"""The real bot process over HTTP against the sandbox's Bot API server: polling and
webhook mode, with Telegram's flood limits on."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from sandbox.demo import write_config
from sandbox.people import Someone
from tests.e2e.remote import (
    TOKEN,
    BotProcess,
    Remote,
    free_port,
    telegram,
    upgrade,
)

MANAGER = 9001


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_a_question_asked_and_answered_over_http(tmp_path: Path, mode: str) -> None:
    async with telegram() as tg:
        hook_port = free_port()
        config, env = write_config(
            tmp_path, tg.base_url, tg.base_file_url, managers=(MANAGER,), token=TOKEN
        )
        if mode == "webhook":
            text = config.read_text(encoding="utf-8")
            text = text.replace('mode = "polling"', 'mode = "webhook"')
            text = text.replace("port = 8443", f"port = {hook_port}")
            text = text.replace('url = ""', f'url = "http://127.0.0.1:{hook_port}/telegram"', 1)
            text = text.replace('secret_token = ""', 'secret_token = "s3cret-e2e"')
            config.write_text(text, encoding="utf-8")
        await upgrade(config, env)
        bot = BotProcess(config, tmp_path / "bot.log", env=env)
        await bot.start()
        try:
            boss = Remote(tg, Someone(MANAGER, "Boss", "en"))
            await boss.command("start")
            amy = Remote(tg, Someone(601, "Amy", "zh-hans"))
            await amy.command("ask")
            await amy.send("空调滤网多久需要清洗一次？")
            assert boss.last.text.startswith("❓ Question ")
            number = boss.last.text.split()[2]
            await boss.press("✍️ Answer")
            await boss.send("一般每两周清洗一次。")
            await boss.press("✅ Send: this answers the question")
            assert amy.last.text == f"💬 关于您的咨询 {number}：\n一般每两周清洗一次。"
            assert tg.core.flood_refusals == 0
            if mode == "webhook":
                assert tg.core.webhook is not None
                assert tg.core.webhook["url"].endswith("/telegram")
                # A caller without the secret is refused.
                async with aiohttp.ClientSession() as client:
                    url = f"http://127.0.0.1:{hook_port}/telegram"
                    forged = {"update_id": 999_999, "message": {"text": "/start"}}
                    async with client.post(url, json=forged) as answer:
                        assert answer.status == 403
                    headers = {"X-Telegram-Bot-Api-Secret-Token": "wrong"}
                    async with client.post(url, json=forged, headers=headers) as answer:
                        assert answer.status == 403
        finally:
            assert await bot.stop() == 0, (tmp_path / "bot.log").read_text()
        await asyncio.sleep(0)
