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
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import text

from dispatch.model import Role
from sandbox.botapi import BotApiCore, SentMessage
from sandbox.demo import STAFF_GROUP, demo_people, free_port, seed_demo, write_config
from sandbox.people import (
    Someone,
    callback_query,
    command_entities,
    contact,
    location,
    photo,
    private_message,
    topic_message,
)
from sandbox.server import BotApiServer
from storage.db import make_engine
from tests.databases import POSTGRES_URL, require_postgres

TOKEN = "7000000001:sandbox-token-for-end-to-end-tests"
WEBHOOK_SECRET = "s3cret-e2e"
ROOT = Path(__file__).resolve().parents[2]
# Seconds without a call to the API after which the bot has answered: longer than the
# second Telegram wants between two messages to one chat, which the bot keeps.
QUIET = 1.2
PATIENCE = 45.0  # seconds a person waits for an answer before the test fails (a loaded machine)


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
async def telegram(core: BotApiCore | None = None) -> AsyncIterator[Telegram]:
    core = core or BotApiCore(flood_limits=True)
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


@contextlib.asynccontextmanager
async def fresh_database(kind: str, folder: Path) -> AsyncIterator[str]:
    """The URL of an empty database: a SQLite file in ``folder``, or a PostgreSQL
    database of its own (dropped at the end; the test is skipped where PostgreSQL is
    not reachable, and fails in CI)."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{folder / 'desk.db'}"
        return
    await require_postgres()
    name = f"e2e_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL)
    async with admin.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        async with admin.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        await admin.dispose()


async def read_rows(url: str, query: str, **params: Any) -> list[tuple[Any, ...]]:
    """What ``query`` finds in the desk's database, read straight from it."""
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return [tuple(row) for row in await conn.execute(text(query), params)]
    finally:
        await engine.dispose()


@dataclass
class BotProcess:
    """``aftercare run`` as a child process."""

    config: Path
    log: Path
    process: asyncio.subprocess.Process | None = None
    env: dict[str, str] = field(default_factory=dict)
    # Where its /healthz and /metrics are served (the webhook's port in webhook mode).
    web: str = ""

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


@contextlib.asynccontextmanager
async def running_desk(
    folder: Path, tg: Telegram, *, mode: str, database_url: str | None = None
) -> AsyncIterator[BotProcess]:
    """The demo desk (sandbox/demo.py: its managers, technicians on duty and staff group)
    run by ``aftercare run`` against ``tg``, in polling or webhook mode (with a secret);
    customers are told at any hour and surveyed right after signing. Stopped at the end,
    which must go cleanly."""
    people = demo_people()
    managers = tuple(m.someone.id for m in people if m.role is Role.MANAGER)
    tg.core.add_forum(STAFF_GROUP, "AfterCare staff")
    port = free_port()
    config, env = write_config(
        folder,
        tg.base_url,
        tg.base_file_url,
        managers=managers,
        staff_group=STAFF_GROUP,
        token=TOKEN,
        quiet_hours=False,
        health_port=port,
    )
    text = config.read_text(encoding="utf-8").replace(
        "sweep_interval_seconds = 30", "sweep_interval_seconds = 15"
    )
    if mode == "webhook":
        text = text.replace('mode = "polling"', 'mode = "webhook"')
        text = text.replace("port = 8443", f"port = {port}")
        text = text.replace('url = ""', f'url = "http://127.0.0.1:{port}/telegram"', 1)
        text = text.replace('secret_token = ""', f'secret_token = "{WEBHOOK_SECRET}"')
    config.write_text(text, encoding="utf-8")
    if database_url is not None:
        env["AFTERCARE_DATABASE_URL"] = database_url
    await upgrade(config, env)
    await seed_demo(config, env, people)
    bot = BotProcess(config, folder / "bot.log", env=env, web=f"http://127.0.0.1:{port}")
    await bot.start()
    try:
        yield bot
    finally:
        assert await bot.stop() == 0, (folder / "bot.log").read_text()


async def second_process(bot: BotProcess, name: str) -> BotProcess:
    """Another ``aftercare run`` on ``bot``'s desk, with its own config and log beside
    ``bot``'s: the same settings, its web side on a port of its own (in webhook mode its
    webhook too, so Telegram is pointed at it when it takes over, as a proxy would)."""
    port = free_port()
    old = bot.web.rsplit(":", 1)[1]
    text = bot.config.read_text(encoding="utf-8").replace(f"port = {old}", f"port = {port}")
    text = text.replace(f"127.0.0.1:{old}/", f"127.0.0.1:{port}/")
    config = bot.config.with_name(f"{name}.toml")
    config.write_text(text, encoding="utf-8")
    second = BotProcess(
        config, bot.log.with_name(f"{name}.log"), env=bot.env, web=f"http://127.0.0.1:{port}"
    )
    await second.start()
    return second


async def web_status(bot: BotProcess) -> tuple[int, dict[str, Any]]:
    """What ``bot``'s /healthz answers (599 while it does not listen)."""
    try:
        async with (
            aiohttp.ClientSession() as client,
            client.get(f"{bot.web}/healthz") as answer,
        ):
            return answer.status, await answer.json()
    except aiohttp.ClientConnectionError:
        return 599, {}


async def web_says(bot: BotProcess, status: str) -> bool:
    """Whether ``bot``'s /healthz answers 200 with this status (ok, standby)."""
    code, body = await web_status(bot)
    return code == 200 and body.get("status") == status


async def until(check: Callable[[], Awaitable[bool]], seconds: float = 60.0) -> None:
    """Until ``check()`` is true, asked every 0.1 s; AssertionError after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s")
        await asyncio.sleep(0.1)


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
    patience: float = PATIENCE
    _queries: int = 0

    def _now(self) -> int:
        return int(time.time())

    async def _push(self, update: dict[str, Any], chat: int | None = None) -> None:
        """Hand Telegram one update, then wait until the bot has answered in ``chat``
        (by default this person's own)."""
        before = len(self.tg._answers())
        self.tg.core.push_update({"update_id": self.tg.core.next_update_id(), **update})
        await self.tg.quiet(before, self.someone.id if chat is None else chat)

    async def post(self, text: str) -> None:
        """Type ``text`` and hand it to Telegram, without waiting for the bot."""
        message = private_message(self.tg.core, self.someone, self._now(), **command_entities(text))
        self.tg.core.push_update({"update_id": self.tg.core.next_update_id(), "message": message})

    async def answered_after(
        self, seen: int, seconds: float, *, holding: str = "", besides: Collection[str] = ()
    ) -> SentMessage:
        """The first message after the ``seen`` first ones (holding ``holding``, and none of
        the texts ``besides``: a late second copy of an earlier answer is not this one)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for message in self.messages[seen:]:
                if holding in message.text and message.text not in besides:
                    return message
            await asyncio.sleep(0.1)
        raise AssertionError(f"{self.someone.first_name} got no answer: {self.texts[-3:]}")

    async def send(self, text: str) -> None:
        await self._message(**command_entities(text))

    async def command(self, name: str, *args: str) -> None:
        await self.send(" ".join([f"/{name}", *args]))

    async def _message(self, **content: Any) -> dict[str, Any]:
        message = private_message(self.tg.core, self.someone, self._now(), **content)
        await self._push({"message": message})
        return message

    async def share_contact(self, phone: str) -> None:
        await self._message(**contact(self.someone, phone))

    async def share_location(
        self, latitude: float, longitude: float, *, live_period: int | None = None
    ) -> dict[str, Any]:
        place = location(latitude, longitude, accuracy=15, live_period=live_period)
        return await self._message(**place)

    async def send_photo(self, content: bytes) -> None:
        """A photo whose bytes the bot downloads (getFile, then the file URL)."""
        number = self.tg.core.next_update_id()
        file_id = f"photo-{self.someone.id}-{number}-e2e"
        self.tg.core.files[file_id] = content
        await self._message(**photo(file_id, f"e{number}"))

    async def write_in_topic(self, group: int, thread: int, text: str) -> None:
        message = topic_message(
            self.tg.core, self.someone, group, thread, self._now(), **command_entities(text)
        )
        await self._push({"message": message}, group)

    async def _press_in(self, chat: int, label: str) -> bool:
        """Press the newest button with this label in ``chat``, once it is there (a
        group's messages go out at Telegram's 20 a minute); False if it never came."""
        deadline = time.monotonic() + self.patience
        while time.monotonic() < deadline:
            for message in reversed(self.tg.core.messages[chat]):
                if message.deleted:
                    continue
                for button in message.inline_buttons:
                    if button["text"] == label and "callback_data" in button:
                        self._queries += 1
                        query_id = f"q{self.someone.id}-{self._queries}"
                        data = str(button["callback_data"])
                        query = callback_query(self.tg.core, self.someone, message, data, query_id)
                        await self._push({"callback_query": query}, chat)
                        return True
            await asyncio.sleep(0.2)
        return False

    async def press_in_group(self, group: int, label: str) -> None:
        if not await self._press_in(group, label):
            raise AssertionError(f"no button {label!r} in the group")

    async def press(self, label: str) -> None:
        if not await self._press_in(self.someone.id, label):
            shown = [b["text"] for m in self.messages[-3:] for b in m.inline_buttons]
            raise AssertionError(f"no button {label!r}; recent: {shown}")

    async def wait_for(self, text: str, seconds: float = PATIENCE) -> SentMessage:
        """The first message holding ``text`` that arrives (or has arrived) here."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for message in self.messages:
                if text in message.text:
                    return message
            await asyncio.sleep(0.2)
        raise AssertionError(f"{self.someone.first_name} never got {text!r}: {self.texts[-3:]}")

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
