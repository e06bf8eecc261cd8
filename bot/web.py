"""The bot's HTTP side (aiohttp): Telegram's webhook, ``/healthz`` and ``/metrics``.

In webhook mode all three are served on the webhook's address (a reverse proxy passes
only the webhook's path to the internet); in polling mode ``/healthz`` and ``/metrics``
on ``[health] listen:port``. This replaces PTB's own webhook server, which serves one
path only: the webhook receiver does what PTB's does (the secret token checked, the
update put on the Application's queue, which stores it in the inbox, before the 200).
"""

from __future__ import annotations

import hmac
import json
import logging
import posixpath
from dataclasses import dataclass

from aiohttp import web
from telegram import Bot, Update

from bot.health import HealthCheck
from bot.inbox import InboxQueue
from bot.metrics import CONTENT_TYPE

__all__ = ["WebServer", "Webhook"]

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass(frozen=True)
class Webhook:
    """Where Telegram posts updates, and what it must carry."""

    path: str
    secret_token: str
    bot: Bot
    queue: InboxQueue  # the Application's


class WebServer:
    def __init__(self, health: HealthCheck, webhook: Webhook | None = None) -> None:
        self.health = health
        self.webhook = webhook
        # A standby (bot.serve) takes no updates and does not ask Telegram how it is.
        self.standing_by = True
        self._runner: web.AppRunner | None = None

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        if self.webhook is not None:
            app.router.add_post(posixpath.join("/", self.webhook.path), self._update)
        return app

    async def start(self, host: str, port: int) -> None:
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        log.info("serving /healthz and /metrics on %s:%s", host, port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, request: web.Request) -> web.Response:
        health = await self.health.check(ask_telegram=not self.standing_by)
        body = health.as_json()
        if health.ok and self.standing_by:
            body["status"] = "standby"
        return web.json_response(body, status=200 if health.ok else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        metrics = self.health.metrics
        try:
            await metrics.refresh(self.health.uow, self.health.clock.now())
        except Exception:  # the counters kept in memory are still worth a scrape
            log.warning("metrics: the database's figures could not be read", exc_info=True)
        return web.Response(body=metrics.exposition(), headers={"Content-Type": CONTENT_TYPE})

    async def _update(self, request: web.Request) -> web.Response:
        hook = self.webhook
        assert hook is not None
        if self.standing_by:  # the reverse proxy tries the active process instead
            return web.Response(status=503, text="standing by")
        if hook.secret_token:
            given = request.headers.get(SECRET_HEADER, "")
            if not hmac.compare_digest(given.encode(), hook.secret_token.encode()):
                log.warning("webhook: a call without the right secret token was refused")
                return web.Response(status=403)
        try:
            data = json.loads(await request.read())
            update = Update.de_json(data, hook.bot)
        except (ValueError, TypeError, KeyError):
            return web.Response(status=400, text="not an update")
        await hook.queue.keep(update, data)
        return web.Response()
