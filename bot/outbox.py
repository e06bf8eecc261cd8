"""The outbox sender: delivers what transactions wrote to the outbox, each row once.

- Renders each row in the recipient's language at delivery time.
- Paces each private chat itself (one message a second, Telegram's limit):
  PTB's AIORateLimiter paces groups and the global rate but not private chats.
- ``RetryAfter`` pauses that chat for the time Telegram asks; it is not a failure.
- Network errors are retried with exponential backoff, up to ``max_attempts``.
- ``Forbidden`` (the user blocked the bot) marks the user unreachable and stops
  every further attempt for them.
- Any other Telegram error (a malformed message) gives the row up and logs it.

A timed-out request may have reached Telegram; resending it is the one case
where a user could see a message twice. Telegram offers no idempotency key, so
this is the least-bad choice: a lost notification is worse than a repeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import warnings
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputMediaPhoto,
    Message,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBUserWarning

from bot.config import Settings
from bot.i18n import Translator, language_for
from bot.pacing import ChatPacer, retry_after_seconds
from dispatch.clock import Clock
from dispatch.messages import params_from_json
from dispatch.model import Language
from dispatch.ports import DeliveryRepository, PendingMessage, UnitOfWorkFactory

__all__ = [
    "OUTBOX_DELIVERY",
    "SENDING_METHODS",
    "FileMaker",
    "MadeFiles",
    "OutboxSender",
]

log = logging.getLogger(__name__)

# Calls that put a new message into a chat: those count against Telegram's per-chat limit.
SENDING_METHODS = frozenset(
    {
        "sendMessage",
        "sendLocation",
        "sendPhoto",
        "sendDocument",
        "sendMediaGroup",
        "sendContact",
        "copyMessage",
        "forwardMessage",
    }
)

# True while the sender makes its own calls: it paces and retries through the database,
# so the reply gate (bot.replies) lets them straight through.
OUTBOX_DELIVERY: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "aftercare_outbox_delivery", default=False
)

# Makes the PDF of a "service_report" row: (file name, bytes, caption).
ReportBuilder = Callable[[PendingMessage], Awaitable[tuple[str, bytes, str]]]


@dataclass(frozen=True)
class MadeFiles:
    """Files made when their row is sent (a period's charts, its export): pictures go as
    an album of photos, anything else as documents; the caption goes with the first."""

    photos: bool
    files: list[tuple[str, bytes]]
    caption: str = ""


# Makes the files of a row of its kind (bot.insight: "charts", "export").
FileMaker = Callable[[PendingMessage], Awaitable[MadeFiles]]


def _chat_of(message: PendingMessage) -> int:
    """Where a row goes: a held call names its chat (its params are the call's, or in a
    row read back from the database, under "api")."""
    if message.kind == "call":
        params = message.params.get("api", message.params)
        try:
            return int(params["chat_id"])
        except (KeyError, TypeError, ValueError):
            pass
    return message.chat_id


class _NotYetSent(Exception):
    """The message this call edits was held too and is not sent yet."""


class _Expired(Exception):
    """Telegram no longer takes this answer (a button press answered too late)."""


_T = TypeVar("_T")


class DeliverySteps:
    """Each step of a delivery in its own transaction through the unit of work: a claim,
    a send's outcome and a retry are each kept before the next step starts."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self.uow = uow

    async def _run(self, work: Callable[[DeliveryRepository], Awaitable[_T]]) -> _T:
        async with self.uow() as uow:
            result = await work(uow.delivery)
            await uow.commit()
            return result

    async def due(self, now: datetime, limit: int = 50) -> list[PendingMessage]:
        return await self._run(lambda d: d.due(now, limit))

    async def claim(self, message_id: int, now: datetime, lease: timedelta) -> bool:
        return await self._run(lambda d: d.claim(message_id, now, lease))

    async def release_all_claims(self) -> int:
        return await self._run(lambda d: d.release_all_claims())

    async def release(self, message_ids: list[int]) -> None:
        await self._run(lambda d: d.release(message_ids))

    async def anything_due(self, now: datetime) -> bool:
        return bool(await self._run(lambda d: d.due(now, 1)))

    async def sent_many(self, sent: list[tuple[int, int | None]], now: datetime) -> None:
        await self._run(lambda d: d.sent_many(sent, now))

    async def message_id_for(self, stand_in: int) -> int | None:
        return await self._run(lambda d: d.message_id_for(stand_in))

    async def sent(self, message_id: int, now: datetime, telegram_message_id: int | None) -> None:
        await self._run(lambda d: d.sent(message_id, now, telegram_message_id))

    async def retry_at(self, message_id: int, at: datetime, error: str) -> None:
        await self._run(lambda d: d.retry_at(message_id, at, error))

    async def keep_document(
        self, message: PendingMessage, file_id: str, unique_id: str, now: datetime
    ) -> None:
        await self._run(lambda d: d.keep_document(message, file_id, unique_id, now))

    async def dead(self, message_id: int, now: datetime, error: str) -> None:
        await self._run(lambda d: d.dead(message_id, now, error))

    async def recipient_unreachable(self, user_id: int, now: datetime, error: str) -> None:
        await self._run(lambda d: d.recipient_unreachable(user_id, now, error))


class OutboxSender:
    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        bot: Bot,
        translator: Translator,
        settings: Settings,
        clock: Clock,
        pacer: ChatPacer | None = None,
        group_pacers: Mapping[int, ChatPacer] | None = None,
        max_attempts: int = 12,
        also: Callable[[], Awaitable[int]] | None = None,
        lease: timedelta = timedelta(minutes=2),
        reports: ReportBuilder | None = None,
        makers: Mapping[str, FileMaker] | None = None,
    ) -> None:
        self.store = DeliverySteps(uow)
        self.bot = bot
        self.translator = translator
        self.settings = settings
        self.clock = clock
        self.private_pacer = pacer or ChatPacer()
        # A group's own pacer, shared with whoever else posts there (the staff room's
        # sender): Telegram counts a group's messages together, whoever queued them.
        self.group_pacers = dict(group_pacers or {})
        self.max_attempts = max_attempts
        # Another queue drained with this one (the staff room's, bot.staffroom).
        self.also = also
        self.lease = lease
        self.reports = reports
        self.makers = dict(makers or {})
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        """``run`` returns after the delivery in hand."""
        self._stopping = True
        self._wake.set()

    def _take(self, message: PendingMessage) -> bool:
        """The turn of the chat the message goes to: its recipient's private chat, or for
        a reply held in the staff group, the group (a row belongs to the acting user)."""
        chat = _chat_of(message)
        return self.group_pacers.get(chat, self.private_pacer).take(chat)

    def _pause(self, message: PendingMessage, seconds: float) -> None:
        chat = _chat_of(message)
        self.group_pacers.get(chat, self.private_pacer).pause(chat, seconds)

    async def drain_if_woken(self, limit: int = 50) -> int:
        """Deliver what is due, if anything was written for the sender since it last looked
        (what ``run`` does on each wake-up, for a caller that runs no sender loop)."""
        if not self._wake.is_set():
            return 0
        self._wake.clear()
        total = 0
        while (sent := await self.drain(limit)) > 0:
            total += sent
        return total

    def _render(self, message: PendingMessage) -> tuple[str, InlineKeyboardMarkup | None]:
        language = language_for(
            message.telegram_language,
            Language(message.language) if message.language else None,
            self.settings.desk.default_language,
        )
        text = self.translator.render(
            language, message.template, params_from_json(message.params), zone=self.settings.zone
        )
        if not message.buttons:
            return text, None
        rows = [
            [
                InlineKeyboardButton(
                    self.translator.gettext(language, b["label"]),
                    callback_data=b.get("data"),
                    url=b.get("url"),
                )
                for b in row
            ]
            for row in message.buttons
        ]
        return text, InlineKeyboardMarkup(rows)

    async def _call(self, message: PendingMessage, known: dict[int, int]) -> int | None:
        """A reply a handler made, held until its update was done: sent as it was asked."""
        params = dict(message.params["api"])
        target = params.get("message_id")
        if isinstance(target, int) and target < 0:  # a message that was itself held: find it
            real = known.get(target) or await self.store.message_id_for(target)
            if real is None:
                raise _NotYetSent(target)
            params["message_id"] = real
        try:
            with warnings.catch_warnings():  # PTB suggests its named methods; these are replayed
                warnings.filterwarnings("ignore", message="Please use", category=PTBUserWarning)
                result = await self.bot.do_api_request(message.template, api_kwargs=params)
        except BadRequest as exc:
            text = str(exc).lower()
            if "not modified" in text:
                return None  # the message already shows this: nothing to do
            if message.template == "answerCallbackQuery" and (
                "too old" in text or "invalid" in text
            ):
                raise _Expired(str(exc)) from exc
            raise
        if isinstance(result, dict):
            return int(result["message_id"]) if "message_id" in result else None
        if isinstance(result, list) and result:
            return int(result[0]["message_id"])
        return None

    async def _send(self, message: PendingMessage, known: dict[int, int]) -> Message | int | None:
        """One row, by its kind; the message id Telegram gave is kept on the row."""
        if message.kind == "call":
            return await self._call(message, known)
        if message.kind == "location":
            latitude, longitude = message.params["_location"]
            return await self.bot.send_location(
                message.chat_id, latitude=latitude, longitude=longitude
            )
        if message.kind == "photos":
            media = [InputMediaPhoto(file_id) for file_id in message.params["_media"]]
            if len(media) == 1:
                return await self.bot.send_photo(message.chat_id, media[0].media)
            sent = await self.bot.send_media_group(message.chat_id, media[:10])
            return sent[0]
        if message.kind == "service_report":
            if self.reports is None:
                raise ValueError("no service report builder configured")
            name, content, caption = await self.reports(message)
            return await self.bot.send_document(
                message.chat_id, content, filename=name, caption=caption
            )
        if message.kind in self.makers:
            return await self._send_files(message.chat_id, await self.makers[message.kind](message))
        text, markup = self._render(message)
        return await self.bot.send_message(message.chat_id, text, reply_markup=markup)

    async def _send_files(self, chat_id: int, made: MadeFiles) -> Message | None:
        """One file alone, several as albums of ten at most."""
        if not made.files:
            return None
        if len(made.files) == 1:
            [(name, content)] = made.files
            if made.photos:
                return await self.bot.send_photo(chat_id, content, caption=made.caption)
            return await self.bot.send_document(
                chat_id, content, filename=name, caption=made.caption
            )
        first: Message | None = None
        for start in range(0, len(made.files), 10):
            media: list[InputMediaPhoto | InputMediaDocument] = [
                (InputMediaPhoto if made.photos else InputMediaDocument)(
                    content,
                    filename=name,
                    caption=made.caption if start == index == 0 else None,
                )
                for index, (name, content) in enumerate(made.files[start : start + 10])
            ]
            sent = await self.bot.send_media_group(chat_id, media)
            first = first or sent[0]
        return first

    async def drain(self, limit: int = 50) -> int:
        """Deliver what is due now, once; return how many messages were sent."""
        sent = 0
        for message in await self.store.due(self.clock.now(), limit):
            if message.unreachable:
                await self.store.dead(message.id, self.clock.now(), "recipient unreachable")
                continue
            paced = message.kind != "call" or message.template in SENDING_METHODS
            if paced and not self._take(message):
                continue
            if not await self.store.claim(message.id, self.clock.now(), self.lease):
                continue  # another sender has it
            sent += await self._deliver(message)
        if self.also is not None:
            sent += await self.also()
        return sent

    async def deliver_claimed(self, messages: list[PendingMessage]) -> None:
        """Send rows this process claimed when it wrote them (an update's own replies), in
        order, and mark what went out in one statement. What cannot go now (its chat's turn
        has not come, or a call failed) is left to the sender loop, in order."""
        sent: list[tuple[int, int | None]] = []
        refs: dict[int, int] = {}
        for index, message in enumerate(messages):
            paced = message.template in SENDING_METHODS
            if paced and not self._take(message):
                await self.store.release([m.id for m in messages[index:]])
                self.wake()
                break
            if not await self._deliver(message, sent=sent, sent_refs=refs):
                await self.store.release([m.id for m in messages[index + 1 :]])
                self.wake()
                break
        await self.store.sent_many(sent, self.clock.now())

    async def _deliver(
        self,
        message: PendingMessage,
        *,
        sent: list[tuple[int, int | None]] | None = None,
        sent_refs: dict[int, int] | None = None,
    ) -> int:
        """Send one claimed row and record the outcome; with ``sent``, a success is added
        there for the caller to mark with others, instead of being marked at once."""
        attempt = message.attempts + 1
        token = OUTBOX_DELIVERY.set(True)
        # Rows sent in this batch but not marked yet: stand-in id -> real message id.
        known = sent_refs if sent_refs is not None else {}
        try:
            result = await self._send(message, known)
        except _NotYetSent:
            await self.store.retry_at(
                message.id, self.clock.now() + timedelta(seconds=1), "waits for its message"
            )
            return 0
        except _Expired as exc:
            log.info("outbox %s: the button press is too old to answer: %s", message.id, exc)
            await self.store.dead(message.id, self.clock.now(), f"expired: {exc}")
            return 0
        except RetryAfter as exc:
            wait = retry_after_seconds(exc)
            self._pause(message, wait)
            await self.store.retry_at(
                message.id, self.clock.now() + timedelta(seconds=wait), f"retry after {wait:g}s"
            )
            return 0
        except Forbidden as exc:
            log.info("user %s blocked the bot: %s", message.user_id, exc)
            await self.store.recipient_unreachable(message.user_id, self.clock.now(), str(exc))
            return 0
        except BadRequest as exc:  # a subclass of NetworkError in PTB, but retrying cannot help
            log.error("outbox %s refused by Telegram: %s", message.id, exc)
            await self.store.dead(message.id, self.clock.now(), f"BadRequest: {exc}")
            return 0
        except NetworkError as exc:  # includes TimedOut
            if attempt >= self.max_attempts:
                log.error("outbox %s: giving up after %s attempts: %s", message.id, attempt, exc)
                await self.store.dead(message.id, self.clock.now(), f"network: {exc}")
                return 0
            backoff = timedelta(seconds=min(2**attempt, 600))
            await self.store.retry_at(message.id, self.clock.now() + backoff, f"network: {exc}")
            return 0
        except (TelegramError, KeyError, ValueError) as exc:
            log.error("outbox %s cannot be sent: %s", message.id, exc)
            await self.store.dead(message.id, self.clock.now(), f"{type(exc).__name__}: {exc}")
            return 0
        finally:
            OUTBOX_DELIVERY.reset(token)
        if not isinstance(result, Message):
            if sent is not None:
                sent.append((message.id, result))
                if sent_refs is not None and message.ref is not None and result is not None:
                    sent_refs[message.ref] = result  # for an edit later in the batch

            else:
                await self.store.sent(message.id, self.clock.now(), result)
            return 1
        await self.store.sent(message.id, self.clock.now(), result.message_id)
        if result.document is not None:
            await self.store.keep_document(
                message, result.document.file_id, result.document.file_unique_id, self.clock.now()
            )
        return 1

    async def flush(self, pause: float = 0.2) -> None:
        """Deliver until nothing is due (a graceful stop; the caller bounds the time). A
        message waiting for its chat's turn is waited for; one failing keeps its retry time
        and waits for the next start."""
        while True:
            await self.drain()
            if not await self.store.anything_due(self.clock.now()):
                return
            await asyncio.sleep(pause)

    async def run(self, *, idle_seconds: float = 1.0) -> None:
        """Deliver until stopped: drain, then wait for a wake-up or ``idle_seconds``."""
        while not self._stopping:
            try:
                delivered = await self.drain()
            except Exception:  # a database hiccup must not kill the sender
                log.exception("outbox sender failed; retrying")
                delivered = 0
            if delivered:
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), idle_seconds)
