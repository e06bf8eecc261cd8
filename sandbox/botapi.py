"""The fake Bot API's core: what Telegram would store and answer, kept in memory.

It checks what Telegram checks (text length, callback data size, message ids)
so that a bug that Telegram would reject fails here too, and it can be told to
fail the next calls (429 with retry_after, a network error, 403 blocked).

With ``flood_limits`` it also refuses, as Telegram does, a message to a private chat
sooner than a second after the previous one, more than 20 a minute to a group, and
more than 30 a second in all: ``429 Too Many Requests: retry after N``
(:class:`FloodLimits`; ``flood_refusals`` counts them).
"""

from __future__ import annotations

import itertools
import math
import random
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.forums import ForumMethods

__all__ = ["ApiError", "BotApiCore", "Faults", "FloodLimits", "NetworkFailure", "SentMessage"]

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64


class ApiError(Exception):
    """An error answer: HTTP status, description and optional parameters."""

    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


class NetworkFailure(Exception):
    """The request never got an answer (the transport raises it as a network error)."""


@dataclass
class SentMessage:
    """A message the bot sent, as the receiving user sees it now (edits applied)."""

    chat_id: int
    message_id: int
    date: int
    kind: str  # text, photo, document, location, media
    text: str = ""
    reply_markup: dict[str, Any] | None = None
    media: list[dict[str, Any]] = field(default_factory=list)
    edits: int = 0
    deleted: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def inline_buttons(self) -> list[dict[str, Any]]:
        if not self.reply_markup or "inline_keyboard" not in self.reply_markup:
            return []
        return [button for row in self.reply_markup["inline_keyboard"] for button in row]

    @property
    def reply_buttons(self) -> list[dict[str, Any]]:
        if not self.reply_markup or "keyboard" not in self.reply_markup:
            return []
        return [
            button if isinstance(button, dict) else {"text": button}
            for row in self.reply_markup["keyboard"]
            for button in row
        ]


# Calls that put a new message into a chat: what Telegram's flood limits count.
SENDING = frozenset(
    {
        "sendMessage",
        "sendLocation",
        "sendPhoto",
        "sendDocument",
        "sendMediaGroup",
        "sendContact",
        "copyMessage",
        "copyMessages",
        "forwardMessage",
        "createForumTopic",  # it posts the topic's service message into the group
    }
)


class FloodLimits:
    """Telegram's sending limits: per private chat, per group, and for the whole bot."""

    def __init__(
        self,
        now: Callable[[], float],
        *,
        private_interval: float = 1.0,
        group_per_minute: int = 20,
        global_per_second: int = 30,
    ) -> None:
        self.now = now
        self.private_interval = private_interval
        self.group_per_minute = group_per_minute
        self.global_per_second = global_per_second
        self._last_private: dict[int, float] = {}
        self._group_sends: dict[int, deque[float]] = defaultdict(deque)
        self._all_sends: deque[float] = deque()

    def check(self, chat_id: int) -> None:
        """Record one message to ``chat_id``, or raise the 429 Telegram would answer."""
        now = self.now()
        while self._all_sends and self._all_sends[0] <= now - 1:
            self._all_sends.popleft()
        if len(self._all_sends) >= self.global_per_second:
            raise BotApiCore.too_many_requests(1)
        if chat_id > 0:
            last = self._last_private.get(chat_id)
            if last is not None and now - last < self.private_interval:
                raise BotApiCore.too_many_requests(
                    max(1, math.ceil(self.private_interval - (now - last)))
                )
            self._last_private[chat_id] = now
        else:
            sends = self._group_sends[chat_id]
            while sends and sends[0] <= now - 60:
                sends.popleft()
            if len(sends) >= self.group_per_minute:
                raise BotApiCore.too_many_requests(max(1, math.ceil(sends[0] + 60 - now)))
            sends.append(now)
        self._all_sends.append(now)


class Faults:
    """Makes a share of calls fail as Telegram and networks do: 429 with retry_after, a
    500, a connection reset before the call, or one after it took effect."""

    KINDS = ("429", "500", "before", "after")

    def __init__(self, rate: float, seed: int, methods: frozenset[str] | None = None) -> None:
        self.rate = rate
        self.random = random.Random(seed)
        self.methods = methods
        self.drawn: dict[str, int] = defaultdict(int)

    def draw(self, method: str) -> str | None:
        if method in ("getMe", "getUpdates", "getFile") or (
            self.methods is not None and method not in self.methods
        ):
            return None
        if self.random.random() >= self.rate:
            return None
        kind = self.random.choice(self.KINDS)
        self.drawn[kind] += 1
        return kind

    def error(self, kind: str) -> Exception:
        if kind == "429":
            return BotApiCore.too_many_requests(self.random.randint(1, 3))
        if kind == "500":
            return ApiError(500, "Internal Server Error")
        return NetworkFailure("connection reset before the call")


class BotApiCore(ForumMethods):
    def __init__(
        self,
        *,
        bot_id: int = 7_000_000_001,
        username: str = "aftercare_test_bot",
        now: Callable[[], float] = time.time,
        flood_limits: bool = False,
        flood_clock: Callable[[], float] | None = None,
    ) -> None:
        """``flood_clock`` times the flood limits (default ``now``): a test can let the
        seconds a person takes to read and answer pass there without moving the desk's clock.
        """
        self.flood = FloodLimits(flood_clock or now) if flood_limits else None
        self.faults: Faults | None = None
        # Per chat: sends Telegram carried out whose answer was lost (the bot cannot know).
        self.lost_answers: dict[int, int] = defaultdict(int)
        self.flood_refusals = 0
        self.bot_id = bot_id
        self.username = username
        self.now = now
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.messages: dict[int, list[SentMessage]] = defaultdict(list)
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.callback_answers: list[dict[str, Any]] = []
        self.blocked: set[int] = set()
        self._pending_updates: list[dict[str, Any]] = []
        self.webhook: dict[str, Any] | None = None
        # The webhook's last failed delivery, as getWebhookInfo reports it.
        self.webhook_error: dict[str, Any] = {}
        # Called with each update id Telegram forgets because the bot confirmed it.
        self.on_confirm: Callable[[int], None] = lambda update_id: None
        # Called when an update arrives (the HTTP front door wakes its long polls).
        self.on_update: Callable[[], None] = lambda: None
        # The custom keyboard each chat shows: set by a message that brings one, gone with
        # a message that removes it; edits never touch it, as in Telegram.
        self.keyboards: dict[int, dict[str, Any]] = {}
        self.files: dict[str, bytes] = {}
        self.forums = {}
        self.member_messages = {}
        self._message_ids: dict[int, itertools.count[int]] = defaultdict(lambda: itertools.count(1))
        self._failures: dict[str, deque[Exception]] = defaultdict(deque)
        self._file_ids = itertools.count(1)
        self._update_ids = itertools.count(1)

    # -- what a test sets up ---------------------------------------------------------------
    def fail_next(self, method: str, *failures: Exception) -> None:
        """Make the next calls of ``method`` fail, in order, with these errors."""
        self._failures[method].extend(failures)

    @staticmethod
    def too_many_requests(retry_after: int) -> ApiError:
        return ApiError(
            429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
        )

    def next_update_id(self) -> int:
        return next(self._update_ids)

    def next_message_id(self, chat_id: int) -> int:
        """Ids of user messages and bot messages share one sequence per chat, as in Telegram."""
        return next(self._message_ids[chat_id])

    # -- the API ---------------------------------------------------------------------------
    def bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "AfterCare",
            "username": self.username,
        }

    def handle(self, method: str, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        """Answer one call: the ``result`` on success, or raise ApiError / NetworkFailure."""
        self.calls.append((method, params))
        if self._failures[method]:
            raise self._failures[method].popleft()
        fault = self.faults.draw(method) if self.faults is not None else None
        if fault == "after":  # Telegram did it, but the answer never reaches the bot
            self._answer(method, params, files)
            if method in SENDING:
                self.lost_answers[int(params.get("chat_id", 0))] += 1
            raise NetworkFailure("connection reset after the call took effect")
        if fault is not None:
            raise self.faults.error(fault)  # type: ignore[union-attr]
        return self._answer(method, params, files)

    def _answer(self, method: str, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        if self.flood is not None and method in SENDING and "chat_id" in params:
            try:
                self.flood.check(int(params["chat_id"]))
            except ApiError:
                self.flood_refusals += 1
                raise
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            raise ApiError(404, f"Not Found: method {method} is not in the fake Bot API")
        return handler(params, files)

    def _chat(self, params: dict[str, Any]) -> int:
        try:
            chat_id = int(params["chat_id"])
        except (KeyError, ValueError):
            raise ApiError(400, "Bad Request: chat_id is empty") from None
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat_id

    def _check_markup(self, markup: Any) -> dict[str, Any] | None:
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and len(str(data).encode()) > MAX_CALLBACK_DATA:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if not button.get("text"):
                    raise ApiError(
                        400, "Bad Request: text buttons are unallowed in the inline keyboard"
                    )
        return markup

    def _store(self, chat_id: int, kind: str, **fields: Any) -> SentMessage:
        message = SentMessage(
            chat_id=chat_id,
            message_id=self.next_message_id(chat_id),
            date=int(self.now()),
            kind=kind,
            **fields,
        )
        self.messages[chat_id].append(message)
        markup = fields.get("reply_markup") or {}
        if "keyboard" in markup:
            self.keyboards[chat_id] = markup
        elif markup.get("remove_keyboard"):
            self.keyboards.pop(chat_id, None)
        return message

    def message_json(self, message: SentMessage) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": message.message_id,
            "date": message.date,
            "chat": self.chat_json(message.chat_id),
            "from": self.bot_user(),
        }
        thread = message.extra.get("message_thread_id") if message.kind != "location" else None
        if thread is not None:
            data["message_thread_id"] = thread
            data["is_topic_message"] = True
        if message.kind == "service":
            data["forum_topic_created"] = {"name": message.text, "icon_color": 0x6FB9F0}
        if message.kind == "text":
            data["text"] = message.text
        elif message.kind == "photo":
            data["photo"] = [
                {
                    "file_id": m["file_id"],
                    "file_unique_id": m["file_id"][-12:],
                    "width": 800,
                    "height": 600,
                }
                for m in message.media
            ]
        elif message.kind == "document":
            media = message.media[0]
            data["document"] = {
                "file_id": media["file_id"],
                "file_unique_id": media["file_id"][-12:],
                "file_name": media.get("file_name", "file"),
            }
        elif message.kind == "location":
            data["location"] = message.extra
        if message.kind not in ("text", "service") and message.text:
            data["caption"] = message.text
        if message.edits:
            data["edit_date"] = int(self.now())
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            data["reply_markup"] = message.reply_markup
        return data

    def _text(self, params: dict[str, Any], key: str = "text", limit: int = MAX_TEXT) -> str:
        text = str(params.get(key) or "")
        if key == "text" and not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text) > limit:
            raise ApiError(
                400, f"Bad Request: {'message' if key == 'text' else 'caption'} is too long"
            )
        return text

    def _m_getMe(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return {
            **self.bot_user(),
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _m_sendMessage(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        chat_id = self._chat(params)
        thread = self.thread_for(params, chat_id)
        text = self._text(params)
        markup = self._check_markup(params.get("reply_markup"))
        extra = {"message_thread_id": thread} if thread is not None else {}
        return self.message_json(
            self._store(chat_id, "text", text=text, reply_markup=markup, extra=extra)
        )

    def _find(self, params: dict[str, Any]) -> SentMessage:
        chat_id = self._chat(params)
        wanted = int(params.get("message_id", 0))
        for message in self.messages[chat_id]:
            if message.message_id == wanted and not message.deleted:
                return message
        raise ApiError(400, "Bad Request: message to edit not found")

    def _m_editMessageText(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        message = self._find(params)
        text = self._text(params)
        markup = self._check_markup(params.get("reply_markup"))
        if text == message.text and markup == message.reply_markup:
            raise ApiError(400, "Bad Request: message is not modified")
        message.text, message.reply_markup = text, markup
        message.edits += 1
        return self.message_json(message)

    def _m_editMessageReplyMarkup(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        message = self._find(params)
        markup = self._check_markup(params.get("reply_markup"))
        if markup == message.reply_markup:
            raise ApiError(400, "Bad Request: message is not modified")
        message.reply_markup = markup
        message.edits += 1
        return self.message_json(message)

    def _m_deleteMessage(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        self._find(params).deleted = True
        return True

    def _m_answerCallbackQuery(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        self.callback_answers.append(params)
        return True

    def _new_file_id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._file_ids):08d}-fakefileid"

    def _media(self, params: dict[str, Any], files: dict[str, bytes], key: str) -> dict[str, Any]:
        value = params.get(key)
        if isinstance(value, str) and value.startswith("attach://"):
            name = value.removeprefix("attach://")
            file_id = self._new_file_id(key)
            self.files[file_id] = files.get(name, b"")
            return {"file_id": file_id, "file_name": params.get("_file_name", name)}
        if isinstance(value, str) and value:
            return {"file_id": value}
        raise ApiError(400, f"Bad Request: there is no {key} in the request")

    def _m_sendPhoto(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        chat_id = self._chat(params)
        caption = self._text(params, "caption", MAX_CAPTION)
        media = self._media(params, files, "photo")
        markup = self._check_markup(params.get("reply_markup"))
        return self.message_json(
            self._store(chat_id, "photo", text=caption, media=[media], reply_markup=markup)
        )

    def _m_sendDocument(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        chat_id = self._chat(params)
        caption = self._text(params, "caption", MAX_CAPTION)
        media = self._media(params, files, "document")
        markup = self._check_markup(params.get("reply_markup"))
        return self.message_json(
            self._store(chat_id, "document", text=caption, media=[media], reply_markup=markup)
        )

    def _m_sendMediaGroup(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        chat_id = self._chat(params)
        items = params.get("media") or []
        if not 2 <= len(items) <= 10:
            raise ApiError(400, "Bad Request: wrong number of media in the album")
        kinds = {item.get("type", "photo") for item in items}
        if len(kinds) > 1 and "document" in kinds:
            raise ApiError(400, "Bad Request: documents can't be mixed with other media types")
        sent = []
        names = params.get("_file_names") or {}
        for item in items:
            attached = str(item.get("media", "")).removeprefix("attach://")
            if attached in names:
                item = {**item, "_file_name": names[attached]}
            media = self._media(item, files, "media")
            kind = "document" if item.get("type") == "document" else "photo"
            sent.append(
                self.message_json(
                    self._store(chat_id, kind, text=item.get("caption"), media=[media])
                )
            )
        return sent

    def _m_sendLocation(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        chat_id = self._chat(params)
        location = {"latitude": float(params["latitude"]), "longitude": float(params["longitude"])}
        return self.message_json(self._store(chat_id, "location", extra=location))

    def _m_sendChatAction(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        self._chat(params)
        return True

    @staticmethod
    def _scope_key(params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        key = scope["type"] + (f":{scope['chat_id']}" if "chat_id" in scope else "")
        return key, str(params.get("language_code") or "")

    def _m_setMyCommands(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        commands = params.get("commands") or []
        if len(commands) > 100:
            raise ApiError(400, "Bad Request: too many commands")
        for command in commands:
            if (
                not 1 <= len(command["command"]) <= 32
                or not 1 <= len(command["description"]) <= 256
            ):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        self.commands[self._scope_key(params)] = list(commands)
        return True

    def _m_getMyCommands(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return self.commands.get(self._scope_key(params), [])

    def _m_deleteMyCommands(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        self.commands.pop(self._scope_key(params), None)
        return True

    def _m_setChatMenuButton(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return True

    def _m_setWebhook(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        url = str(params.get("url") or "")
        if not url:
            return self._m_deleteWebhook(params, files)
        if not url.startswith(("https://", "http://")):
            raise ApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        secret = params.get("secret_token")
        if secret is not None and not (1 <= len(str(secret)) <= 256):
            raise ApiError(400, "Bad Request: bad webhook: secret token is invalid")
        if _true(params.get("drop_pending_updates")):
            self._pending_updates.clear()
        self.webhook = dict(params)
        return True

    def _m_deleteWebhook(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        if _true(params.get("drop_pending_updates")):
            self._pending_updates.clear()
        self.webhook = None
        return True

    def _m_getWebhookInfo(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        info: dict[str, Any] = {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending_updates),
        }
        if self.webhook:
            info["max_connections"] = int(self.webhook.get("max_connections") or 40)
            info.update(self.webhook_error)
        return info

    def push_update(self, update: dict[str, Any]) -> None:
        """An update for the bot: fetched with getUpdates, or delivered to its webhook."""
        self._pending_updates.append(update)
        self.on_update()

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        return list(self._pending_updates)

    def delivered(self, update_id: int) -> None:
        """The bot's webhook took this update: Telegram forgets it."""
        self._pending_updates = [u for u in self._pending_updates if u["update_id"] != update_id]
        self.on_confirm(update_id)

    def _m_getUpdates(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        """As Telegram: asking from ``offset`` confirms every update before it for good."""
        if self.webhook:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        if offset:
            confirmed = [u["update_id"] for u in self._pending_updates if u["update_id"] < offset]
            self._pending_updates = [u for u in self._pending_updates if u["update_id"] >= offset]
            for update_id in confirmed:
                self.on_confirm(update_id)
        return self._pending_updates[: int(params.get("limit") or 100)]

    def _m_getFile(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        file_id = str(params.get("file_id"))
        content = self.file_bytes(file_id)
        return {
            "file_id": file_id,
            "file_unique_id": file_id[-12:],
            "file_size": len(content),
            "file_path": f"files/{file_id}",
        }

    def file_bytes(self, file_id: str) -> bytes:
        """What Telegram would serve for a file id; a photo a user sent gets a small picture."""
        if file_id not in self.files:
            self.files[file_id] = _placeholder_png(file_id)
        return self.files[file_id]


def _true(value: Any) -> bool:
    """A boolean parameter as it arrives: JSON true, or a form's "true"."""
    return value is True or str(value).lower() in ("true", "1")


def _placeholder_png(seed: str) -> bytes:
    """A small solid-colour PNG standing in for a user's photo (its colour follows the id)."""
    import io
    import zlib

    from PIL import Image

    colour = tuple(int(c, 16) * 16 for c in f"{zlib.crc32(seed.encode()) % 4096:03x}")
    buffer = io.BytesIO()
    Image.new("RGB", (160, 120), colour).save(buffer, format="PNG")
    return buffer.getvalue()
