"""``aftercare sandbox``: the whole desk offline, in a browser.

One process serves the fake Bot API and the web chat on a local port; the bot is the
real ``aftercare run``, a child process whose config points at that port, on a fresh
SQLite file with the demo desk (sandbox/demo.py) written in before it starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import signal
import sys
import time
from pathlib import Path

from aiohttp import web

from dispatch.model import Role
from sandbox.botapi import BotApiCore, Faults
from sandbox.demo import STAFF_GROUP, TOKEN, demo_people, free_port, seed_demo, write_config
from sandbox.page import World
from sandbox.server import BotApiServer

__all__ = ["run_sandbox"]


def _fresh(folder: Path) -> None:
    """A fresh desk every time: what the last run left is removed."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)


async def run_sandbox(
    *,
    host: str,
    port: int,
    folder: Path,
    say: bool = True,
    ready: asyncio.Event | None = None,
    stop: asyncio.Event | None = None,
    faults: float = 0.0,
) -> int:
    """Until ``stop`` is set (by default: Ctrl-C or SIGTERM) or the bot stops; returns
    the bot's exit code (0 when stopped)."""
    if stop is None:  # Ctrl-C from the start: even during start-up it stops cleanly
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)  # a line per call: noise
    core = BotApiCore(flood_limits=True, username="aftercare_sandbox_bot")
    core.add_forum(STAFF_GROUP, "AfterCare staff")
    if faults:
        core.faults = Faults(faults, seed=int(time.time()))
    people = demo_people()
    world = World(core, {m.someone.id: m for m in people}, STAFF_GROUP)
    server = BotApiServer(core, token=TOKEN)
    server.on_change = world.touch
    app = web.Application(client_max_size=20 * 1024 * 1024)
    server.add_routes(app)
    world.add_routes(app)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    local = f"http://127.0.0.1:{port}"

    await asyncio.to_thread(_fresh, folder)
    managers = tuple(m.someone.id for m in people if m.role is Role.MANAGER)
    config, env = write_config(
        folder,
        f"{local}/bot",
        f"{local}/file/bot",
        managers=managers,
        staff_group=STAFF_GROUP,
        quiet_hours=False,
        health_port=(health_port := free_port()),
    )
    upgrade = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "db", "upgrade", "--config", str(config), env=env
    )
    if await upgrade.wait() != 0:
        await runner.cleanup()
        return 1
    await seed_demo(config, env, people, field_service=True)
    log = (folder / "bot.log").open("ab")
    bot = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--config", str(config), env=env, stdout=log, stderr=log
    )
    if say:
        print(
            f"\nAfterCare's sandbox is running: open http://{host}:{port}/ in a browser.\n"
            "Everyone in it is made up; nothing leaves this machine. Ctrl-C stops it.\n"
            f"The bot's log: {folder / 'bot.log'}; its health and metrics: "
            f"http://127.0.0.1:{health_port}/healthz and /metrics\n"
            "To run on Telegram instead: get a token from @BotFather, then\n"
            "  export AFTERCARE_TELEGRAM_TOKEN=<the token> and run the same command again.\n",
            flush=True,
        )
    if ready is not None:
        ready.set()
    waiting = asyncio.create_task(bot.wait())
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({waiting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if bot.returncode is None:
        bot.send_signal(signal.SIGTERM)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(bot.wait(), 30)
        if bot.returncode is None:
            bot.kill()
    stopping.cancel()
    log.close()
    await runner.cleanup()
    return 0 if stop.is_set() else (bot.returncode or 0)
