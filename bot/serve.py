"""Running the bot until it is told to stop (SIGINT, SIGTERM), in polling or webhook mode.

PTB's ``run_polling`` and ``run_webhook`` do this for one mode and one path each; here the
same start and stop serve both, with the web side (bot.web) beside them. Start: the
Application and ``post_init`` (what the last run left is taken up again), then updates
are taken. Stop, in the reverse order: no new updates, the web side closed, the
Application stopped (updates in hand finished), ``post_stop`` (the outbox sender), the
conversation persistence flushed and the database closed (``shutdown``, ``post_shutdown``).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.app import services_of
from bot.config import Settings
from bot.health import HealthCheck
from bot.web import Webhook, WebServer

__all__ = ["serve"]

log = logging.getLogger(__name__)


async def serve(application: Application[Any, Any, Any, Any, Any, Any], settings: Settings) -> None:
    """Run ``application`` until SIGINT or SIGTERM; raises OSError if an address is taken."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for each in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(each, stopping.set)
    services = services_of(application)
    health = HealthCheck(
        services.uow, services.clock, application.bot, services.metrics, settings.health
    )
    server: WebServer | None = None
    await application.initialize()
    try:
        if application.post_init is not None:
            await application.post_init(application)
        hook = settings.telegram.webhook
        if settings.telegram.mode == "webhook":
            server = WebServer(
                health,
                Webhook(
                    hook.url_path, hook.secret_token, application.bot, application.update_queue
                ),
            )
            await application.start()
            await server.start(hook.listen, hook.port)
            await application.bot.set_webhook(
                hook.url, secret_token=hook.secret_token or None, allowed_updates=Update.ALL_TYPES
            )
        else:
            await application.start()
            if settings.health.port:
                server = WebServer(health)
                await server.start(settings.health.listen, settings.health.port)
            assert application.updater is not None
            await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
        services.metrics.active.set(1)
        await stopping.wait()
        log.info("AfterCare is stopping")
    finally:
        services.metrics.active.set(0)
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if server is not None:
            await server.stop()
        if application.running:
            await application.stop()
            if application.post_stop is not None:
                await application.post_stop(application)
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)
