"""Every Bot API call the bot makes passes here (PTB's rate-limiter hook).

Two jobs, so that no reply is lost to Telegram's limits or faults:

- **Replies of an update are held** until the update is done. While a handler runs,
  what it sends to its own chat (messages, edits, answers to button presses) is kept
  with the update (:class:`UpdateWork`) and the handler gets a stand-in result. When the
  update is finished, the held calls are written to the outbox in the transaction that
  marks the update done, and the outbox sender delivers them, paced per chat and retried.
  A crash before that transaction leaves the update unfinished and nothing sent, so
  handling it again answers once; a crash after it leaves the replies in the outbox.
- **Other calls are paced and retried**: a call that must happen now (a file download,
  the command menu, any call outside an update) waits for its chat's turn with the
  outbox's pacer, and is retried after ``RetryAfter`` (for the time Telegram asks),
  after 5xx and network errors (bounded exponential backoff), without holding up other
  chats (updates of different chats are handled concurrently; see :mod:`bot.inbox`).

PTB's own ``AIORateLimiter`` still paces the global and per-group rates when enabled.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import random
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter, BaseRateLimiter
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter  # no public import exists

from bot.metrics import DeskMetrics
from bot.outbox import OUTBOX_DELIVERY, SENDING_METHODS
from bot.pacing import ChatPacer, retry_after_seconds

__all__ = ["CURRENT_UPDATE", "HELD_METHODS", "HeldCall", "ReplyGate", "UpdateWork"]

log = logging.getLogger(__name__)

# Calls that answer the user of an update and whose result a handler does not need:
# held until the update is done, then sent from the outbox.
HELD_METHODS = frozenset(
    {
        "sendMessage",
        "sendLocation",
        "editMessageText",
        "editMessageReplyMarkup",
        "answerCallbackQuery",
        "deleteMessage",
    }
)


@dataclass(frozen=True)
class HeldCall:
    method: str
    params: dict[str, Any]
    # The stand-in id the handler was given for the message this call sends, if any.
    stand_in: int | None = None


@dataclass
class UpdateWork:
    """What one update's handling has held back so far."""

    update_id: int
    chat_id: int | None
    user_id: int | None = None  # the acting user's id in our database, set by the guard
    duplicate: bool = False  # handled to the end before: nothing to finish
    # Kept in the inbox by this process and not handled yet: it cannot have been handled
    # to the end before, so the guard need not look (bot.inbox.InboxSteps.fresh).
    fresh: bool = False
    held: list[HeldCall] = field(default_factory=list)


# What PTB hands the rate limiter: the call to make, and what it returns.
ApiResult = bool | dict[str, Any] | list[dict[str, Any]]
ApiCall = Callable[..., Coroutine[Any, Any, ApiResult]]

CURRENT_UPDATE: contextvars.ContextVar[UpdateWork | None] = contextvars.ContextVar(
    "aftercare_update", default=None
)


def _json_params(data: dict[str, Any]) -> dict[str, Any]:
    return RequestData(
        parameters=[RequestParameter.from_input(key, value) for key, value in data.items()]
    ).parameters


def _stand_in_message(stand_in: int, params: dict[str, Any]) -> dict[str, Any]:
    chat_id = int(params["chat_id"])
    message: dict[str, Any] = {
        "message_id": stand_in,
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": "private"},
    }
    if "text" in params:
        message["text"] = params["text"]
    if "latitude" in params:
        message["location"] = {"latitude": params["latitude"], "longitude": params["longitude"]}
    return message


# Telegram's allowance for one bot, less one: it counts its 30 a second over any second,
# as the calls arrive, so a sender exactly at 30 would see an unlucky network delay
# bunch two calls into one second's count.
MESSAGES_PER_SECOND = 29.0


class EvenPace:
    """Calls spaced evenly, at most ``rate`` a second. Written here because the usual
    limiters (aiolimiter's leaky bucket, under PTB's AIORateLimiter) let a full bucket go
    at once and then refill: up to twice the rate within one second, which Telegram
    answers with 429s (measured: 60 of a burst of 1,000, bench/outbound.py)."""

    def __init__(
        self,
        rate: float = MESSAGES_PER_SECOND,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Coroutine[Any, Any, None]] = asyncio.sleep,
    ) -> None:
        self.interval = 1.0 / rate
        self.monotonic = monotonic
        self.sleep = sleep
        self._next = 0.0

    async def turn(self) -> None:
        """Wait for the next free slot (taken at once, so callers queue in order)."""
        now = self.monotonic()
        slot = max(now, self._next)
        self._next = slot + self.interval
        if slot > now:
            await self.sleep(slot - now)


class ReplyGate(BaseRateLimiter[None]):
    def __init__(
        self,
        *,
        pacer: ChatPacer,
        global_limits: bool = True,
        max_attempts: int = 6,
        max_backoff: float = 30.0,
        sleep: Callable[[float], Coroutine[Any, Any, None]] = asyncio.sleep,
        metrics: DeskMetrics | None = None,
    ) -> None:
        self.pacer = pacer
        self.metrics = metrics or DeskMetrics()
        # PTB's limiter keeps its 20 a minute per group; the overall rate is EvenPace's.
        self.inner = AIORateLimiter(max_retries=0, overall_max_rate=0) if global_limits else None
        self.overall = EvenPace(sleep=sleep) if global_limits else None
        self.max_attempts = max_attempts
        self.max_backoff = max_backoff
        self.sleep = sleep

    async def initialize(self) -> None:
        if self.inner is not None:
            await self.inner.initialize()

    async def shutdown(self) -> None:
        if self.inner is not None:
            await self.inner.shutdown()

    async def process_request(
        self,
        callback: ApiCall,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> ApiResult:
        work = CURRENT_UPDATE.get()
        if work is not None and self._holds(work, endpoint, data):
            return self._hold(work, endpoint, data)

        async def call() -> ApiResult:
            if self.overall is not None and endpoint in SENDING_METHODS:
                await self.overall.turn()
            try:
                if self.inner is None:
                    result = await callback(*args, **kwargs)
                else:
                    result = await self.inner.process_request(
                        callback, args, kwargs, endpoint, data, None
                    )
            except RetryAfter:
                self.metrics.telegram_throttled(data.get("chat_id"))
                raise
            except (BadRequest, Forbidden):
                self.metrics.telegram_answered()  # an answer, if not the one hoped for
                raise
            except NetworkError:
                raise  # 5xx, resets, time-outs: Telegram did not answer
            except TelegramError:
                self.metrics.telegram_answered()
                raise
            self.metrics.telegram_answered()
            return result

        if OUTBOX_DELIVERY.get():
            return await call()  # the outbox sender paces and retries through the database
        return await self._until_done(call, endpoint, data)

    @staticmethod
    def _holds(work: UpdateWork, endpoint: str, data: dict[str, Any]) -> bool:
        if endpoint not in HELD_METHODS:
            return False
        if endpoint == "answerCallbackQuery":
            return True
        chat = data.get("chat_id")
        return chat is not None and work.chat_id is not None and str(chat) == str(work.chat_id)

    @staticmethod
    def _hold(work: UpdateWork, endpoint: str, data: dict[str, Any]) -> ApiResult:
        params = _json_params(data)
        if endpoint in ("sendMessage", "sendLocation"):
            # Negative, so never taken for a real id; unique, as update ids are.
            stand_in = -(work.update_id * 1000 + len(work.held) + 1)
            work.held.append(HeldCall(endpoint, params, stand_in))
            return _stand_in_message(stand_in, params)
        work.held.append(HeldCall(endpoint, params))
        return True

    async def _until_done(
        self,
        call: Callable[[], Coroutine[Any, Any, ApiResult]],
        endpoint: str,
        data: dict[str, Any],
    ) -> ApiResult:
        """Wait for the chat's turn; retry after RetryAfter, 5xx and network errors."""
        chat_id = _private_chat(data) if endpoint in SENDING_METHODS else None
        attempt = 0
        while True:
            attempt += 1
            if chat_id is not None:
                while not self.pacer.take(chat_id):
                    await self.sleep(self.pacer.wait_time(chat_id))
            try:
                return await call()
            except RetryAfter as error:
                wait = retry_after_seconds(error)
                if chat_id is not None:
                    self.pacer.pause(chat_id, wait)
                if attempt >= self.max_attempts:
                    raise
                log.info("%s: Telegram asks to wait %gs; waiting", endpoint, wait)
                await self.sleep(wait)
            except (BadRequest, Forbidden):
                raise  # BadRequest subclasses NetworkError in PTB, but retrying cannot help
            except NetworkError as error:  # 5xx, resets, time-outs
                if attempt >= self.max_attempts:
                    raise
                backoff = min(self.max_backoff, 0.5 * 2 ** (attempt - 1))
                backoff *= 0.5 + random.random() / 2
                log.info("%s failed (%s); retrying in %.1fs", endpoint, error, backoff)
                await self.sleep(backoff)


def _private_chat(data: dict[str, Any]) -> int | None:
    try:
        chat_id = int(data.get("chat_id"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return chat_id if chat_id > 0 else None


@dataclass
class _Message:
    """One message being folded together from several sendMessage calls."""

    params: dict[str, Any]
    stand_in: int | None
    remove_keyboard: bool
    markup: dict[str, Any] | None  # an inline or reply keyboard


MAX_TEXT = 4096


def _markup_of(params: dict[str, Any]) -> tuple[bool, dict[str, Any] | None]:
    markup = params.get("reply_markup")
    if not markup:
        return False, None
    if markup.get("remove_keyboard"):
        return True, None
    return False, markup


def fold_replies(held: list[HeldCall]) -> list[HeldCall]:
    """One message per step: the messages an update sends its chat become one where they can.

    A handler confirms an answer and asks the next question in two sends; Telegram takes
    one message a second per chat, so two messages a step fall behind a person who answers
    every second. Consecutive texts are joined; a keyboard removal and the next question's
    buttons travel as the message and an edit of its buttons (an edit is not a new
    message). Texts are not joined where the result would need two keyboards (a reply
    keyboard and buttons under the text), where buttons would end up above later text,
    or past Telegram's 4096 characters.
    """
    folded: list[_Message | HeldCall] = []
    aliases: dict[int, int] = {}
    for call in held:
        call = _renamed(call, aliases)
        if call.method != "sendMessage" or "text" not in call.params:
            folded.append(call)
            continue
        remove, markup = _markup_of(call.params)
        last = _open_message(folded)
        if last is not None and _joins(last, remove, markup, call.params["text"]):
            last.params["text"] = f"{last.params['text']}\n\n{call.params['text']}"
            if remove:
                last.remove_keyboard, last.markup = True, None
            elif markup is not None:
                if "keyboard" in markup:
                    last.remove_keyboard = False  # a new keyboard replaces the old one
                last.markup = markup
                if "inline_keyboard" in markup and call.stand_in is not None:
                    if last.stand_in is not None:
                        aliases[last.stand_in] = call.stand_in
                    last.stand_in = call.stand_in  # later edits aim at the buttons' message
            elif call.stand_in is not None and last.stand_in is not None:
                aliases[call.stand_in] = last.stand_in
            continue
        params = {k: v for k, v in call.params.items() if k != "reply_markup"}
        folded.append(_Message(params, call.stand_in, remove, markup))
    return [c for item in folded for c in _calls(item, aliases)]


def _renamed(call: HeldCall, aliases: dict[int, int]) -> HeldCall:
    target = call.params.get("message_id")
    if isinstance(target, int) and target in aliases:
        return HeldCall(call.method, call.params | {"message_id": aliases[target]}, call.stand_in)
    return call


def _open_message(folded: list[_Message | HeldCall]) -> _Message | None:
    """The last message, if what came after it neither sends nor touches it."""
    messages = [i for i, item in enumerate(folded) if isinstance(item, _Message)]
    if not messages:
        return None
    last = folded[messages[-1]]
    assert isinstance(last, _Message)
    for item in folded[messages[-1] + 1 :]:
        assert isinstance(item, HeldCall)
        touched = item.params.get("message_id")
        if item.method in SENDING_METHODS or (touched is not None and touched == last.stand_in):
            return None
    return last


def _joins(last: _Message, remove: bool, markup: dict[str, Any] | None, text: str) -> bool:
    if last.markup is not None and "inline_keyboard" in last.markup:
        return False  # its buttons would stand above the later text
    if last.markup is not None and markup is not None and "inline_keyboard" in markup:
        return False  # a reply keyboard and buttons under the text: two messages
    return len(last.params["text"]) + 2 + len(text) <= MAX_TEXT


def _calls(item: _Message | HeldCall, aliases: dict[int, int]) -> list[HeldCall]:
    if isinstance(item, HeldCall):
        return [item]
    params = dict(item.params)
    inline = item.markup is not None and "inline_keyboard" in item.markup
    if item.remove_keyboard:
        params["reply_markup"] = {"remove_keyboard": True}
    elif item.markup is not None:
        params["reply_markup"] = item.markup
    calls = [HeldCall("sendMessage", params, item.stand_in)]
    if item.remove_keyboard and inline and item.stand_in is not None:
        calls.append(
            HeldCall(
                "editMessageReplyMarkup",
                {
                    "chat_id": params["chat_id"],
                    "message_id": item.stand_in,
                    "reply_markup": item.markup,
                },
            )
        )
    return calls
