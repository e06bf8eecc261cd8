"""Running the bot until it is told to stop (SIGINT, SIGTERM), in polling or webhook mode,
as the active process or as a standby (storage.sole).

PTB's ``run_polling`` and ``run_webhook`` do this for one mode and one path each; here the
same start and stop serve both, with the web side (bot.web) beside them.

- A standby serves ``/healthz`` (status ``standby``) and ``/metrics``, refuses webhook
  calls with 503 (a reverse proxy then tries the active process), and asks for the
  desk's lock every second. It has not read the conversations yet: the active process
  is changing them.
- The active process (the one holding the lock): the Application and ``post_init`` (what
  the last run left is taken up again), then updates are taken. It checks its lock every
  few seconds and stops (exit code 1) if it can no longer reach it, since a standby may
  then have taken over.
- Stop, in the reverse order: no new updates, the web side closed, the Application
  stopped (updates in hand finished), ``post_stop`` (the outbox delivers what is due,
  then its sender stops), the conversation persistence flushed and the database closed
  (``shutdown``, ``post_shutdown``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.app import SOLE, services_of
from bot.config import Settings
from bot.health import HealthCheck
from bot.inbox import DeskApplication
from bot.web import Webhook, WebServer
from storage.sole import SoleProcess

__all__ = ["LOCK_CHECK_SECONDS", "serve"]

log = logging.getLogger(__name__)

LOCK_CHECK_SECONDS = 5.0


async def serve(application: Application[Any, Any, Any, Any, Any, Any], settings: Settings) -> int:
    """Run ``application`` until SIGINT or SIGTERM (0), or until its lock is lost (1);
    raises OSError if an address is taken."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for each in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(each, stopping.set)
    services = services_of(application)
    health = HealthCheck(
        services.uow, services.clock, application.bot, services.metrics, settings.health
    )
    hook = settings.telegram.webhook
    webhook_mode = settings.telegram.mode == "webhook"
    server: WebServer | None = None
    if webhook_mode:
        assert isinstance(application, DeskApplication)
        server = WebServer(
            health,
            Webhook(hook.url_path, hook.secret_token, application.bot, application.inbox_queue),
        )
    elif settings.health.port:
        server = WebServer(health)
    sole = SoleProcess(services.engine)
    try:
        if server is not None:
            await server.start(*_address(settings))
        if not await sole.claim():
            log.info("standing by: another process runs the desk; taking over when it stops")
            if not await sole.wait_to_claim(stopping):
                return 0
            log.info("taking over the desk: the active process stopped")
        application.bot_data[SOLE] = sole
        return await _run_active(application, settings, server, sole, stopping)
    finally:
        if server is not None:
            await server.stop()
        if SOLE not in application.bot_data:  # post_shutdown releases it otherwise
            await sole.release()


async def _run_active(
    application: Application[Any, Any, Any, Any, Any, Any],
    settings: Settings,
    server: WebServer | None,
    sole: SoleProcess,
    stopping: asyncio.Event,
) -> int:
    services = services_of(application)
    hook = settings.telegram.webhook
    lost = asyncio.Event()
    await application.initialize()
    try:
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        if server is not None:
            server.standing_by = False
        if settings.telegram.mode == "webhook":
            await application.bot.set_webhook(
                hook.url, secret_token=hook.secret_token or None, allowed_updates=Update.ALL_TYPES
            )
        else:
            assert application.updater is not None
            await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
        services.metrics.active.set(1)
        watch = asyncio.create_task(_watch_lock(sole, lost, stopping))
        await stopping.wait()
        watch.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watch
        log.info("AfterCare is stopping")
    finally:
        services.metrics.active.set(0)
        if server is not None:
            server.standing_by = True  # no more updates taken from here on
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
            if application.post_stop is not None:
                await application.post_stop(application)
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)
    return 1 if lost.is_set() else 0


async def _watch_lock(sole: SoleProcess, lost: asyncio.Event, stopping: asyncio.Event) -> None:
    while not stopping.is_set():
        await asyncio.sleep(LOCK_CHECK_SECONDS)
        if not await sole.still_held():
            log.error(
                "lost the desk's lock (its session was ended, or the database does not "
                "answer); stopping, so that only one process takes updates"
            )
            lost.set()
            stopping.set()


def _address(settings: Settings) -> tuple[str, int]:
    if settings.telegram.mode == "webhook":
        return settings.telegram.webhook.listen, settings.telegram.webhook.port
    return settings.health.listen, settings.health.port
