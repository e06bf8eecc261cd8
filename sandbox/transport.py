"""The in-process front door: python-telegram-bot's HTTP layer, answered by the core."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.request import BaseRequest, RequestData

from sandbox.botapi import ApiError, BotApiCore, NetworkFailure

__all__ = ["InProcessRequest"]


class InProcessRequest(BaseRequest):
    """A ``BaseRequest`` that never touches the network (PTB's own tests work this way)."""

    def __init__(self, core: BotApiCore, *, token: str | None = None) -> None:
        """With ``token`` set, calls made with any other token are refused as Telegram does."""
        self.core = core
        self.token = token

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if "/files/" in url:  # a file download from base_file_url
            return 200, self.core.file_bytes(url.rsplit("/", 1)[-1])
        api_method = url.rsplit("/", 1)[-1]
        if self.token is not None and f"/bot{self.token}/" not in url:
            refusal = {"ok": False, "error_code": 401, "description": "Unauthorized"}
            return 401, json.dumps(refusal).encode()
        params: dict[str, Any] = dict(request_data.parameters) if request_data else {}
        files: dict[str, bytes] = {}
        if request_data and request_data.contains_files:
            for name, part in request_data.multipart_data.items():
                content = part[1] if isinstance(part, tuple) else part
                files[name] = content if isinstance(content, bytes) else content.read()
                if isinstance(part, tuple) and part[0]:
                    params.setdefault("_file_name", part[0])
                    params.setdefault("_file_names", {})[name] = part[0]
                # A file uploaded directly travels as the multipart field of its parameter.
                if name not in params and not any(
                    isinstance(v, str) and v == f"attach://{name}" for v in params.values()
                ):
                    params[name] = f"attach://{name}"
        try:
            result = self.core.handle(api_method, params, files)
            if api_method == "getUpdates" and not result:
                await asyncio.sleep(0.01)  # a long poll that found nothing, kept short
        except NetworkFailure as exc:
            raise OSError(f"fake network failure: {exc}") from exc
        except ApiError as exc:
            body: dict[str, Any] = {
                "ok": False,
                "error_code": exc.status,
                "description": exc.description,
            }
            if exc.parameters:
                body["parameters"] = exc.parameters
            return exc.status, json.dumps(body).encode()
        return 200, json.dumps({"ok": True, "result": result}).encode()
