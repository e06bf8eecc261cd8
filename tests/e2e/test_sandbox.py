"""``aftercare sandbox``: the demo desk comes up, and what a person does in the web chat
reaches the real bot and comes back; the README's first command starts it without a
token."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.cli import main
from sandbox.demo import free_port
from sandbox.run import run_sandbox
from tests.e2e.remote import ROOT


async def _state(client: aiohttp.ClientSession, base: str) -> dict[str, Any]:
    async with client.get(f"{base}/sandbox/state") as answer:
        result: dict[str, Any] = await answer.json()
        return result


async def _chat_until(
    client: aiohttp.ClientSession, base: str, person: int, wanted: str
) -> list[dict[str, Any]]:
    for _ in range(300):
        state = await _state(client, base)
        [found] = [p for p in state["people"] if p["id"] == person]
        if any(wanted in line["text"] for line in found["chat"] if line["from"] == "bot"):
            return list(found["chat"])
        await asyncio.sleep(0.2)
    raise AssertionError(f"no {wanted!r} in {found['chat']}")


async def test_the_demo_desk_answers_people_in_the_web_chat(tmp_path: Path) -> None:
    port, ready, stop = free_port(), asyncio.Event(), asyncio.Event()
    running = asyncio.create_task(
        run_sandbox(  # a tenth of the bot's calls fail, as Telegram's sometimes do
            host="127.0.0.1",
            port=port,
            folder=tmp_path / "desk",
            say=False,
            ready=ready,
            stop=stop,
            faults=0.1,
        )
    )
    await asyncio.wait_for(ready.wait(), 60)
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as client:
            async with client.get(base + "/") as page:
                assert "AfterCare sandbox" in await page.text()
            state = await _state(client, base)
            names = {p["name"]: p["role"] for p in state["people"]}
            assert names["王芳"] == "manager" and names["李伟"] == "technician"
            act = {"person": 3002, "action": "text", "text": "/start"}
            async with client.post(base + "/sandbox/act", json=act) as answer:
                assert answer.status == 200
            chat = await _chat_until(client, base, 3002, "欢迎")
            assert chat[0] == {**chat[0], "from": "person", "text": "/start"}
            # Someone new joins, in Traditional Chinese, and asks a question.
            async with client.post(
                base + "/sandbox/people", json={"name": "阿明", "language": "zh-hant"}
            ) as answer:
                newcomer = (await answer.json())["id"]
            for text in ("/ask", "熱水器可以自己除垢嗎？"):
                act = {"person": newcomer, "action": "text", "text": text}
                async with client.post(base + "/sandbox/act", json=act):
                    pass
                await asyncio.sleep(1.5)
            await _chat_until(client, base, newcomer, "已登記")
            await _chat_until(client, base, 1001, "阿明")  # the manager's ping
            # The desk's own topics were opened in the staff group when the bot started,
            # and the question has one of its own.
            for _ in range(100):
                topics = [t["name"] for t in (await _state(client, base))["group"]["topics"]]
                if any("· Question · 阿 ·" in name for name in topics):
                    break
                await asyncio.sleep(0.3)
            assert any("· Question · 阿 ·" in name for name in topics), topics
    finally:
        stop.set()
        assert await asyncio.wait_for(running, 60) == 0


async def test_the_first_command_of_the_readme_starts_the_sandbox_without_a_token(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFTERCARE_")}
    start = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "start",
        "--config",
        str(ROOT / "config.example.toml"),
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert start.stdout is not None
    said: list[str] = []
    try:
        while not any("export AFTERCARE_TELEGRAM_TOKEN=" in line for line in said):
            line = await asyncio.wait_for(start.stdout.readline(), 120)
            assert line, "".join(said)
            said.append(line.decode())
    finally:
        start.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(start.wait(), 60) == 0
    text = "".join(said)
    assert "No bot token is set" in text
    assert "open http://127.0.0.1:8080/ in a browser" in text
    assert (tmp_path / "sandbox-desk" / "desk.db").exists()


def test_the_sandbox_refuses_a_share_of_failures_that_is_not_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["sandbox", "--faults", "1.5"]) == 2
    assert capsys.readouterr().err.startswith("sandbox: --faults is a share of calls")
