"""The real ``aftercare run`` process against the sandbox's Bot API server over HTTP, and
people who write to it: what the end-to-end tests drive.

The server runs in the test's event loop; the bot is a child process with its own
config, SQLite file and clock (the system's). A person acts by handing the server an
update, as Telegram would, and reads what the bot sent back once the bot has been
quiet for a moment (every step the bot takes ends with a message)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from sandbox.botapi import BotApiCore, SentMessage
from sandbox.people import Someone, callback_query, command_entities, private_message
from sandbox.server import BotApiServer

TOKEN = "7000000001:sandbox-token-for-end-to-end-tests"
ROOT = Path(__file__).resolve().parents[2]
# Seconds without a call to the API after which the bot has answered: longer than the
# second Telegram wants between two messages to one chat, which the bot keeps.
QUIET = 1.2
PATIENCE = 20.0  # seconds a person waits for an answer before the test fails


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Telegram:
    """The sandbox server on a local port, with Telegram's flood limits on."""

    core: BotApiCore
    port: int
    runner: web.AppRunner

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    async def quiet(self, since: int, chat_id: int) -> None:
        """Until the bot, after ``since`` calls, wrote to ``chat_id`` (or answered its
        button press) and then made no call for QUIET seconds."""
        deadline = time.monotonic() + PATIENCE
        while not any(
            str(params.get("chat_id")) == str(chat_id) or method == "answerCallbackQuery"
            for method, params in self._answers()[since:]
        ):
            if time.monotonic() > deadline:
                raise AssertionError(f"the bot did not answer {chat_id}")
            await asyncio.sleep(0.05)
        seen = -1
        while seen != len(self._answers()):
            seen = len(self._answers())
            await asyncio.sleep(QUIET)

    def _answers(self) -> list[Any]:
        return [c for c in self.core.calls if c[0] != "getUpdates"]


@contextlib.asynccontextmanager
async def telegram() -> AsyncIterator[Telegram]:
    core = BotApiCore(flood_limits=True)
    server = BotApiServer(core, token=TOKEN)
    app = web.Application()
    server.add_routes(app)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield Telegram(core, port, runner)
    finally:
        await runner.cleanup()


@dataclass
class BotProcess:
    """``aftercare run`` as a child process."""

    config: Path
    log: Path
    process: asyncio.subprocess.Process | None = None
    env: dict[str, str] = field(default_factory=dict)

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            "--config",
            str(self.config),
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=asyncio.subprocess.STDOUT,
        )

    async def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(sig)
        try:
            return await asyncio.wait_for(self.process.wait(), 30)
        except TimeoutError:
            self.process.kill()
            return await self.process.wait()


async def upgrade(config: Path, env: dict[str, str]) -> None:
    done = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "db", "upgrade", "--config", str(config), cwd=ROOT, env=env
    )
    assert await done.wait() == 0


@dataclass
class Remote:
    """One person writing to the bot through the server."""

    tg: Telegram
    someone: Someone
    _queries: int = 0

    def _now(self) -> int:
        return int(time.time())

    async def _push(self, update: dict[str, Any]) -> None:
        before = len(self.tg._answers())
        self.tg.core.push_update({"update_id": self.tg.core.next_update_id(), **update})
        await self.tg.quiet(before, self.someone.id)

    async def send(self, text: str) -> None:
        message = private_message(self.tg.core, self.someone, self._now(), **command_entities(text))
        await self._push({"message": message})

    async def command(self, name: str, *args: str) -> None:
        await self.send(" ".join([f"/{name}", *args]))

    async def press(self, label: str) -> None:
        for message in reversed(self.messages):
            for button in message.inline_buttons:
                if button["text"] == label:
                    self._queries += 1
                    query_id = f"q{self.someone.id}-{self._queries}"
                    data = str(button["callback_data"])
                    query = callback_query(self.tg.core, self.someone, message, data, query_id)
                    await self._push({"callback_query": query})
                    return
        shown = [b["text"] for m in self.messages[-3:] for b in m.inline_buttons]
        raise AssertionError(f"no button {label!r}; recent: {shown}")

    @property
    def messages(self) -> list[SentMessage]:
        return [m for m in self.tg.core.messages[self.someone.id] if not m.deleted]

    @property
    def last(self) -> SentMessage:
        assert self.messages, f"{self.someone.first_name} received nothing"
        return self.messages[-1]

    @property
    def texts(self) -> list[str]:
        return [m.text for m in self.messages]
