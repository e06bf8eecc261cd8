"""The sandbox's HTTP front door: Telegram's Bot API served on a local port, answered by
the in-memory core (sandbox/botapi.py), so that the real bot process runs without a
token or the internet.

- ``/bot<token>/<method>``: every method the core knows, with its checks and limits,
  answered as Telegram answers (``{"ok": true, "result": ...}``, or ``ok: false`` with
  ``error_code``, ``description`` and ``parameters.retry_after``). Parameters come as a
  JSON body, a form, or multipart with files, as python-telegram-bot and others send them.
- ``getUpdates`` long-polls: it waits up to ``timeout`` seconds for an update.
- ``setWebhook``: updates are then POSTed to the bot's URL with the
  ``X-Telegram-Bot-Api-Secret-Token`` header, in order, each retried until the bot
  answers 2xx (1, 2, 4 ... up to 30 s apart); ``getWebhookInfo`` tells the last error.
- ``/file/bot<token>/<file_path>``: file downloads, as ``getFile`` points to them.
- A share of calls fail when the core's ``faults`` say so; a connection reset closes the
  connection without an answer (before the call, or after it took effect).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web

from sandbox.botapi import ApiError, BotApiCore, NetworkFailure

__all__ = ["BotApiServer"]

log = logging.getLogger(__name__)

# Parameters that travel as JSON inside a form field (python-telegram-bot sends every
# non-string parameter JSON-encoded); the core reads the others from their text.
JSON_PARAMETERS = frozenset(
    {
        "reply_markup",
        "media",
        "scope",
        "commands",
        "message_ids",
        "entities",
        "caption_entities",
        "link_preview_options",
        "reply_parameters",
        "allowed_updates",
    }
)
LONGEST_POLL = 50.0  # seconds, as Telegram caps getUpdates' timeout
WEBHOOK_TIMEOUT = 10.0
RETRY_CAP = 30.0


class BotApiServer:
    """Serves one core; ``token`` set: calls with another token are refused (401)."""

    def __init__(self, core: BotApiCore, *, token: str | None = None) -> None:
        self.core = core
        self.token = token
        self._arrived = asyncio.Event()
        core.on_update = self._arrived.set
        # Set by setWebhook / deleteWebhook: a delivery waiting out its backoff tries at once
        # (a bot that registers its webhook again has just started and is listening).
        self._webhook_changed = asyncio.Event()
        self._delivery: asyncio.Task[None] | None = None
        self._client: aiohttp.ClientSession | None = None
        # Called after every call but getUpdates (the web chat redraws).
        self.on_change: Callable[[], None] = lambda: None

    def add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        app.on_cleanup.append(self._close)

    # -- the API ---------------------------------------------------------------------------
    async def _api(self, request: web.Request) -> web.StreamResponse:
        if self.token is not None and request.match_info["token"] != self.token:
            return _error(ApiError(401, "Unauthorized"))
        method = request.match_info["method"]
        params, files = await _read(request)
        try:
            if method == "getUpdates":
                result = await self._get_updates(params)
            else:
                result = self.core.handle(method, params, files)
        except ApiError as exc:
            return _error(exc)
        except NetworkFailure:
            # No answer at all: the client sees the connection drop.
            if request.transport is not None:
                request.transport.close()
            raise web.HTTPInternalServerError() from None
        finally:
            if method != "getUpdates":
                self.on_change()
        if method in ("setWebhook", "deleteWebhook"):
            self._follow_webhook()
        return web.json_response({"ok": True, "result": result})

    async def _get_updates(self, params: dict[str, Any]) -> Any:
        timeout = min(float(params.get("timeout") or 0), LONGEST_POLL)
        deadline = time.monotonic() + timeout
        while True:
            self._arrived.clear()
            result = self.core.handle("getUpdates", params, {})
            left = deadline - time.monotonic()
            if result or left <= 0:
                return result
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), left)

    async def _file(self, request: web.Request) -> web.StreamResponse:
        if self.token is not None and request.match_info["token"] != self.token:
            raise web.HTTPUnauthorized()
        file_id = request.match_info["path"].rsplit("/", 1)[-1]
        if file_id not in self.core.files:
            raise web.HTTPNotFound()
        return web.Response(body=self.core.files[file_id])

    # -- the webhook -----------------------------------------------------------------------
    def _follow_webhook(self) -> None:
        self._webhook_changed.set()
        if self.core.webhook and (self._delivery is None or self._delivery.done()):
            self._delivery = asyncio.create_task(self._deliver())
        self._arrived.set()  # a delivery loop waiting for updates looks at the webhook again

    async def _deliver(self) -> None:
        """Each pending update to the webhook in turn, until the webhook is removed."""
        self._client = self._client or aiohttp.ClientSession()
        pause = 1.0
        while self.core.webhook:
            pending = self.core.pending_updates
            if not pending:
                self._arrived.clear()
                await self._arrived.wait()
                continue
            update, hook = pending[0], dict(self.core.webhook)
            headers = {"Content-Type": "application/json"}
            if hook.get("secret_token"):
                headers["X-Telegram-Bot-Api-Secret-Token"] = str(hook["secret_token"])
            try:
                async with self._client.post(
                    str(hook["url"]),
                    data=json.dumps(update),
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=WEBHOOK_TIMEOUT),
                ) as answer:
                    if 200 <= answer.status < 300:
                        self.core.delivered(int(update["update_id"]))
                        self.core.webhook_error = {}
                        pause = 1.0
                        continue
                    reason = f"Wrong response from the webhook: {answer.status} {answer.reason}"
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                reason = f"Connection failed: {type(exc).__name__}"
            self.core.webhook_error = {
                "last_error_date": int(time.time()),
                "last_error_message": reason,
            }
            log.info("webhook delivery failed (%s); retrying in %.0f s", reason, pause)
            self._webhook_changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._webhook_changed.wait(), pause)
            pause = 1.0 if self._webhook_changed.is_set() else min(pause * 2, RETRY_CAP)

    async def _close(self, _app: web.Application) -> None:
        if self._delivery is not None:
            self._delivery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._delivery
        if self._client is not None:
            await self._client.close()


async def _read(request: web.Request) -> tuple[dict[str, Any], dict[str, bytes]]:
    """A call's parameters and uploaded files, whichever way they were sent."""
    params: dict[str, Any] = {}
    files: dict[str, bytes] = {}
    if request.content_type == "application/json":
        body = await request.read()
        return (json.loads(body) if body else {}), files
    if request.content_type == "multipart/form-data":
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
                continue
            if part.filename:
                files[part.name] = bytes(await part.read())
                params.setdefault("_file_name", part.filename)
                params.setdefault("_file_names", {})[part.name] = part.filename
                if part.name not in params:
                    params[part.name] = f"attach://{part.name}"
            else:
                params[part.name] = await part.text()
    else:
        params.update(await request.post())
        params.update(request.query)
    for name in JSON_PARAMETERS & params.keys():
        if isinstance(params[name], str):
            with contextlib.suppress(ValueError):
                params[name] = json.loads(params[name])
    return params, files


def _error(exc: ApiError) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": exc.status, "description": exc.description}
    if exc.parameters:
        body["parameters"] = exc.parameters
    return web.json_response(body, status=exc.status)
