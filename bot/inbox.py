"""Every update handled to the end: stored before handling, done with its effects, replayed.

- :class:`InboxQueue` is PTB's update queue. Polling puts a fetched batch into it and
  then asks Telegram for the next batch, which confirms this one: the batch is kept in one
  transaction just before that call goes out (:class:`KeepBeforeAsking`, the getUpdates
  request), and only then handled. The webhook keeps each update before its 200
  (:meth:`InboxQueue.keep`). Either way an update is kept before Telegram forgets it.
- :class:`DeskApplication` handles an update with its replies held (:mod:`bot.replies`),
  then writes, in one transaction, the conversation's new state, the update's done mark
  and the held replies (to the outbox). A crash before that commit leaves the update
  unfinished: it is handled again as if it came for the first time, and what the user
  sees is answered once. Services called while handling are safe to call again (a
  repeated confirmation finds the ticket it already made).
- :func:`replay_unfinished` handles again what is stored but not done: at start-up before
  polling begins, and from the sweep for updates stuck longer than a minute; an update
  tried ``max_attempts`` times or older than ``max_age`` is given up with a log line.
- :class:`ChatOrderedProcessor` handles updates of different chats at the same time and
  those of one chat one after another, in order: a reply that waits for its chat's turn
  at Telegram holds up no one else.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any

from telegram import Update
from telegram._utils.types import ODVInput
from telegram.ext import Application, BaseUpdateProcessor
from telegram.request import BaseRequest, RequestData

from bot.metrics import DeskMetrics, update_kind
from bot.outbox import OutboxSender
from bot.replies import CURRENT_UPDATE, HeldCall, UpdateWork, fold_replies
from dispatch.clock import Clock
from dispatch.ports import PendingMessage, StoredUpdate
from storage.persistence import SqlPersistence
from storage.uow import UnitOfWorkFactory
from storage.updates import HANDLING_UPDATE, Handling

__all__ = [
    "ChatOrderedProcessor",
    "DeskApplication",
    "InboxQueue",
    "KeepBeforeAsking",
    "chat_of",
    "prune_handled",
    "recover",
    "replay_unfinished",
]

log = logging.getLogger(__name__)


def chat_of(update: Update) -> int | None:
    """The chat an update belongs to (in a private chat, the user's id)."""
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None


class InboxSteps:
    """The inbox's steps outside an update's own finish, each in its own transaction."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self.uow = uow
        # Ids kept by this process and not yet handled: duplicates stopped at the door.
        self.fresh: set[int] = set()

    async def store(
        self, update_id: int, chat_id: int | None, payload: dict[str, Any], now: datetime
    ) -> bool:
        return bool(await self.store_many([(update_id, chat_id, payload)], now))

    async def store_many(
        self, updates: list[tuple[int, int | None, dict[str, Any]]], now: datetime
    ) -> set[int]:
        """Keep ``(update_id, chat_id, payload)`` triples in one transaction; return the
        ids kept now (an id stored before is a duplicate)."""
        async with self.uow() as uow:
            kept = await uow.inbox.store_many(updates, now)
            await uow.commit()
        self.fresh |= kept
        return kept

    async def unfinished(self, *, received_before: datetime) -> list[StoredUpdate]:
        async with self.uow() as uow:
            return await uow.inbox.unfinished(received_before=received_before)

    async def attempt(self, update_id: int) -> None:
        async with self.uow() as uow:
            await uow.inbox.attempt(update_id)
            await uow.commit()

    async def give_up(self, update_id: int, now: datetime, reason: str) -> None:
        async with self.uow() as uow:
            await uow.inbox.give_up(update_id, now, reason)
            await uow.commit()

    async def prune(self, before: datetime) -> int:
        async with self.uow() as uow:
            pruned = await uow.inbox.prune(before)
            await uow.commit()
            return pruned


class InboxQueue(asyncio.Queue[object]):
    """PTB's update queue: an update is queued for handling once kept; duplicates stop here.

    What is kept is the update as Telegram sent it (the webhook's body, getUpdates' answer
    read by :class:`KeepBeforeAsking`): PTB's ``to_dict`` takes 0.2 ms an update here.
    """

    def __init__(self, inbox: InboxSteps, clock: Clock) -> None:
        super().__init__()
        self.inbox = inbox
        self.clock = clock
        self._fetched: list[Update] = []  # polling's latest batch, not kept yet
        self._sent: dict[int, dict[str, Any]] = {}  # that batch as Telegram sent it, by id
        self._keeping = asyncio.Lock()

    def as_sent(self, updates: list[dict[str, Any]]) -> None:
        """getUpdates' answer, as Telegram sent it: what :meth:`keep_fetched` will keep."""
        for update in updates:
            if isinstance(update, dict) and isinstance(update.get("update_id"), int):
                self._sent[update["update_id"]] = update

    async def put(self, item: object) -> None:
        """Polling's updates wait with the rest of their batch for :meth:`keep_fetched`
        (called before the next getUpdates); anything else (PTB's stop signal) is queued
        after them."""
        if isinstance(item, Update):
            self._fetched.append(item)
            return
        await self.keep_fetched()
        await super().put(item)

    async def keep(self, update: Update, sent: dict[str, Any] | None = None) -> None:
        """The webhook's update (``sent``: the body Telegram posted): kept at once (before
        the 200), then queued."""
        await self.keep_fetched()
        await self._keep([update], {update.update_id: sent} if sent else {})

    async def keep_fetched(self) -> None:
        """Keep polling's batch in one transaction and queue it; on failure the batch
        waits for the next try (Telegram is not told either: the call that tells it waits)."""
        async with self._keeping:
            batch, self._fetched = self._fetched, []
            try:
                await self._keep(batch, self._sent)
            except BaseException:
                self._fetched[:0] = batch
                raise
            self._sent.clear()

    async def _keep(self, updates: list[Update], sent: dict[int, dict[str, Any]]) -> None:
        if not updates:
            return
        kept = await self.inbox.store_many(
            [(u.update_id, chat_of(u), sent.get(u.update_id) or u.to_dict()) for u in updates],
            self.clock.now(),
        )
        for update in updates:
            if update.update_id in kept:
                await super().put(update)
            else:
                log.info("update %s came again; it is (being) handled already", update.update_id)


class KeepBeforeAsking(BaseRequest):
    """The getUpdates request. Asking for the next batch tells Telegram it may forget the
    last one, so the last one is kept (:meth:`InboxQueue.keep_fetched`) just before: one
    commit a batch instead of one an update, and nothing forgotten that was not kept."""

    def __init__(self, inner: BaseRequest, queue: InboxQueue) -> None:
        self.inner = inner
        self.queue = queue

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        await self.queue.keep_fetched()
        code, payload = await self.inner.do_request(
            url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
        )
        if code == HTTPStatus.OK:
            with contextlib.suppress(ValueError, TypeError, AttributeError):
                self.queue.as_sent(json.loads(payload).get("result") or [])
        return code, payload


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Concurrent across chats, in order within a chat (PTB's ConversationHandler needs that)."""

    def __init__(self, max_concurrent_updates: int = 64) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: Counter[int] = Counter()

    @contextlib.asynccontextmanager
    async def chat(self, chat_id: int) -> AsyncIterator[None]:
        """Hold this chat's turn (asyncio locks are fair: first come, first served)."""
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        self._users[chat_id] += 1
        try:
            async with lock:
                yield
        finally:
            self._users[chat_id] -= 1
            if not self._users[chat_id]:
                del self._users[chat_id]
                self._locks.pop(chat_id, None)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat_id = chat_of(update) if isinstance(update, Update) else None
        if chat_id is None:
            await coroutine
            return
        async with self.chat(chat_id):
            await coroutine

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


class DeskApplication(Application):  # type: ignore[type-arg]
    """PTB's Application, finishing each update in one transaction (see the module doc)."""

    inbox: InboxSteps
    clock: Clock
    in_flight: set[int]
    metrics: DeskMetrics
    pruned_at: datetime | None = None

    def wire(
        self, inbox: InboxSteps, clock: Clock, sender: OutboxSender, metrics: DeskMetrics
    ) -> None:
        self.inbox = inbox
        self.clock = clock
        self.in_flight = set()
        self._sender = sender
        self.metrics = metrics

    @property
    def inbox_queue(self) -> InboxQueue:
        """PTB's update queue, as built (bot.app): the webhook keeps updates through it."""
        queue = self.update_queue
        assert isinstance(queue, InboxQueue)
        return queue

    async def process_update(self, update: object) -> None:
        if not isinstance(update, Update) or CURRENT_UPDATE.get() is not None:
            await super().process_update(update)
            return
        await self.handle(update, again=False)

    async def handle(self, update: Update, *, again: bool) -> None:
        """Handle ``update`` and finish it; ``again`` when an earlier try was cut short.

        An earlier try may have left outbox rows waiting for this update even where this
        try writes none (a service that finds its work already done), so they are looked for.
        """
        started = time.perf_counter()
        work = UpdateWork(update.update_id, chat_of(update))
        if update.update_id in self.inbox.fresh:
            # Fresh once only: after a replay (of an update stuck in a long queue), its
            # turn in the queue looks for the earlier handling and finds it done.
            self.inbox.fresh.discard(update.update_id)
            work.fresh = not again
        self.in_flight.add(update.update_id)
        token = CURRENT_UPDATE.set(work)
        handling = Handling(update.update_id, wrote_outbox=again)
        holding = HANDLING_UPDATE.set(handling)
        try:
            await super().process_update(update)
        finally:
            HANDLING_UPDATE.reset(holding)
            CURRENT_UPDATE.reset(token)
            self.in_flight.discard(update.update_id)
        if work.duplicate:
            return
        query = update.callback_query
        if query is not None and not any(c.method == "answerCallbackQuery" for c in work.held):
            # Every press is answered, or the button's spinner turns on: whatever the
            # handler did (or failed to do), a plain answer goes with the update's replies.
            work.held.append(HeldCall("answerCallbackQuery", {"callback_query_id": query.id}))
        await self._finish(update, work, handling)
        self.metrics.handled(update_kind(update), time.perf_counter() - started)

    async def _finish(self, update: Update, work: UpdateWork, handling: Handling) -> None:
        """The update's effects that are ours to keep, and its done mark, in one commit."""
        await self.update_persistence()  # hands PTB's changes over; nothing is written yet
        persistence = self.persistence
        assert isinstance(persistence, SqlPersistence)
        now = self.clock.now()
        settle = None
        direct: list[PendingMessage] = []
        async with self.inbox.uow() as uow:
            try:
                if work.chat_id is not None:
                    member = update.effective_user
                    settle = await persistence.write_chat(
                        uow.session, work.chat_id, member.id if member else None
                    )
                await uow.inbox.mark_done(
                    update.update_id, now, lambda: (work.chat_id, update.to_dict())
                )
                replies: list[dict[str, Any]] = []
                user_id = work.user_id
                if work.held:
                    if user_id is None and work.chat_id is not None:
                        user_id = await uow.inbox.user_of_chat(work.chat_id)
                    if user_id is None:
                        raise RuntimeError(f"update {update.update_id}: replies for no known user")
                    # The replies go straight out after the commit, claimed by this process,
                    # unless an earlier message to the user still waits (order comes first).
                    claim = await uow.inbox.nothing_waits_for(user_id)
                    replies = [
                        _reply_row(user_id, call, now, now + self._sender.lease if claim else None)
                        for call in fold_replies(work.held)
                    ]
                ids = await uow.inbox.release_outbox(
                    handling.update_id, wrote_outbox=handling.wrote_outbox, replies=replies
                )
                await uow.commit()
                if replies and replies[0]["claimed_until"] is not None:
                    assert user_id is not None and work.chat_id is not None
                    direct = [
                        _pending(row_id, user_id, work.chat_id, row)
                        for row_id, row in zip(ids, replies, strict=True)
                    ]
            except BaseException:
                if settle is not None:
                    settle(False)
                raise
        if settle is not None:
            settle(True)
        if direct:
            await self._sender.deliver_claimed(direct)
        if handling.wrote_outbox or (work.held and not direct):
            self._sender.wake()


def _reply_row(
    user_id: int, call: HeldCall, now: datetime, claimed_until: datetime | None
) -> dict[str, Any]:
    """An outbox row (kind "call") for one held reply, claimed when it goes straight out."""
    return {
        "user_id": user_id,
        "kind": "call",
        "template": call.method,
        "params": {"api": call.params},
        "buttons": [],
        "created_at": now,
        "next_attempt_at": now,
        "attempts": 0 if claimed_until is None else 1,
        "claimed_until": claimed_until,
        "ref": call.stand_in,
    }


def _pending(row_id: int, user_id: int, chat_id: int, row: dict[str, Any]) -> PendingMessage:
    return PendingMessage(
        id=row_id,
        user_id=user_id,
        ticket_id=None,
        chat_id=chat_id,
        language=None,
        telegram_language=None,
        unreachable=False,
        kind="call",
        template=row["template"],
        params=row["params"],
        buttons=[],
        attempts=0,
        ref=row["ref"],
    )


async def recover(application: DeskApplication, *, only_process: bool) -> int:
    """At start-up, before polling: what the last run left is taken up again.

    The only process (SQLite) first takes back every claim on the outbox, so the replies a
    killed run had claimed go out now rather than when their lease ends; with several
    processes (PostgreSQL) a claim may be another live process's and is left to its lease.
    """
    if only_process:
        await application._sender.store.release_all_claims()
    return await replay_unfinished(application)


async def prune_handled(
    application: DeskApplication,
    *,
    keep: timedelta = timedelta(days=30),
    every: timedelta = timedelta(hours=1),
) -> int:
    """Forget updates handled more than ``keep`` ago; at most once ``every`` (from the sweep)."""
    now = application.clock.now()
    last = application.pruned_at
    if last is not None and now - last < every:
        return 0
    application.pruned_at = now
    return await application.inbox.prune(now - keep)


async def replay_unfinished(
    application: DeskApplication,
    *,
    older_than: timedelta = timedelta(0),
    max_attempts: int = 5,
    max_age: timedelta = timedelta(days=1),
) -> int:
    """Handle again, in order, the updates stored but not done; return how many were."""
    now: datetime = application.clock.now()
    replayed = 0
    processor = application.update_processor
    for stored in await application.inbox.unfinished(received_before=now - older_than):
        if stored.update_id in application.in_flight:
            continue
        if stored.attempts >= max_attempts or now - stored.received_at > max_age:
            reason = (
                f"tried {stored.attempts} times"
                if stored.attempts >= max_attempts
                else f"received {stored.received_at.isoformat()}, older than {max_age}"
            )
            log.error(
                "inbox: giving up update %s from chat %s (%s); the user gets no answer to it",
                stored.update_id,
                stored.chat_id,
                reason,
            )
            await application.inbox.give_up(stored.update_id, now, reason)
            continue
        await application.inbox.attempt(stored.update_id)
        update = Update.de_json(stored.payload, application.bot)
        log.info("inbox: handling update %s from chat %s again", stored.update_id, stored.chat_id)
        in_turn = (
            processor.chat(stored.chat_id)
            if isinstance(processor, ChatOrderedProcessor) and stored.chat_id is not None
            else contextlib.nullcontext()
        )
        async with in_turn:
            await application.handle(update, again=True)
        replayed += 1
    return replayed
