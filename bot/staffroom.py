"""The staff room's sender: carries out, in order, what dispatch.staffroom queued for the
staff group, paced to the group's limit (Telegram takes about 20 messages a minute in a
group, in all its topics together, topic creation included).

- ``topic``: creates the topic (createForumTopic) and keeps its id.
- ``card``: shows the case as it is now: the first time a message in the topic, pinned;
  later an edit of that message (edits do not count against the limit), and a rename of
  the topic when its name changed (the next deadline, the state mark).
- ``state``: closes or reopens the topic to match the case.
- ``text``: lines for the desk's own topics (new cases, escalations, dispatch, reports);
  lines waiting together go as one message, so a burst becomes a digest.
- ``copy``: the customer's own messages, copied into the topic (copyMessages keeps an
  album together).

A topic a member deleted ("message thread not found") is created anew with a fresh card.
``RetryAfter`` pauses the group only; network errors are retried with backoff; any other
refusal gives the post up and logs it, so one bad post never blocks the queue.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from babel.dates import format_datetime
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError

from bot.cards import render_card
from bot.config import Settings
from bot.i18n import Translator
from bot.outbox import OUTBOX_DELIVERY
from bot.pacing import ChatPacer, retry_after_seconds
from dispatch.callbacks import CASE_TAKE
from dispatch.cases import (
    URGENCY_MARKS,
    Action,
    CaseView,
    group_actions,
    running_limits,
    staff_view,
    urgency,
)
from dispatch.clock import Clock
from dispatch.labels import kind_label
from dispatch.messages import N_, Msg, Param, params_from_json
from dispatch.model import StaffPost, StaffTopic, Ticket
from dispatch.ports import UnitOfWork, UnitOfWorkFactory
from dispatch.staffroom import DESK_TOPICS, topic_closes
from dispatch.states import is_open

__all__ = ["StaffRoomSender", "topic_name"]

log = logging.getLogger(__name__)

MAX_TEXT = 4096
COUNTED = frozenset({"topic", "card", "copy", "text"})  # may post a message (a card the first time)
# PTB hands Telegram's "Bad Request: ..." on as "Capitalized ..." (the rest lower-cased).
THREAD_GONE = "message thread not found"
CARD_GONE = "message to edit not found"
UNCHANGED = ("message is not modified", "topic_not_modified")


def _says(error: BadRequest, *texts: str) -> bool:
    return any(text in error.message.lower() for text in texts)


def _short_name(name: str) -> str:
    """The customer as a topic's title names them: a Chinese family name, a first name."""
    name = name.strip()
    if re.match(r"[\u3400-\u9fff]", name):
        return name[0]
    return name.split()[0] if name.split() else "?"


def topic_name(
    translator: Translator, settings: Settings, ticket: Ticket, customer: str, now: datetime
) -> str:
    """``🟢 C-20261127-0003 · 投诉 · 王 · 11-29 17:30``: state, number, kind, customer and
    the next deadline (none once closed), within Telegram's 128 characters."""
    language = settings.desk.staff_language or settings.desk.default_language
    mark = "✅" if topic_closes(ticket) else URGENCY_MARKS[urgency(ticket, now)]
    params: dict[str, Param] = {
        "mark": mark,
        "number": ticket.number,
        "kind": Msg(kind_label(ticket.kind)),
        "customer": _short_name(customer),
    }
    limits = running_limits(ticket) if is_open(ticket.status) else []
    if limits:  # a short, fixed form: the title has little room
        params["due"] = format_datetime(limits[0].due, "MM-dd HH:mm", tzinfo=settings.zone)
    text = (
        N_("{mark} {number} · {kind} · {customer} · {due}")
        if limits
        else N_("{mark} {number} · {kind} · {customer}")
    )
    return translator.render(language, text, params, zone=settings.zone)[:128]


class StaffRoomSender:
    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        bot: Bot,
        translator: Translator,
        settings: Settings,
        clock: Clock,
        pacer: ChatPacer,
        max_attempts: int = 12,
    ) -> None:
        self.uow = uow
        self.bot = bot
        self.translator = translator
        self.settings = settings
        self.clock = clock
        self.pacer = pacer
        self.max_attempts = max_attempts
        self.group = settings.desk.staff_group
        self.language = settings.desk.staff_language or settings.desk.default_language

    async def drain(self, limit: int = 50) -> int:
        """Carry out what is due now, in order, as far as the group's pace allows; return
        how many posts were done."""
        if self.group is None:
            return 0
        async with self.uow() as uow:
            posts = await uow.staffroom.due(self.group, self.clock.now(), limit)
            await uow.commit()  # the claim
        done = 0
        taken: set[int] = set()
        try:
            done = await self._through(posts, taken)
        finally:  # what was claimed and not reached is due again at once
            left = [post.id for post in posts if post.id not in taken]
            if left:
                async with self.uow() as uow:
                    await uow.staffroom.release(left, self.clock.now())
                    await uow.commit()
        return done

    async def _through(self, posts: list[StaffPost], taken: set[int]) -> int:
        assert self.group is not None
        done = 0
        for post in posts:
            if post.id in taken:
                continue
            # Every line waiting for the same desk topic goes in one message (a digest).
            run = (
                [p for p in posts if p.kind == "text" and p.topic_id == post.topic_id]
                if post.kind == "text"
                else [post]
            )
            if post.kind in COUNTED and self.pacer.wait_time(self.group) > 0:
                break  # keep the order: later posts wait for this one
            taken.update(p.id for p in run)
            outcome = await self._carry_out(run)
            if outcome == "paused":
                break
            done += len(run) if outcome == "done" else 0
        return done

    async def _carry_out(self, run: list[StaffPost]) -> str:
        token = OUTBOX_DELIVERY.set(True)
        try:
            async with self.uow() as uow:
                topic = await uow.staffroom.topic_by_id(run[0].topic_id)
                assert topic is not None
                outcome = await self._act(uow, run, topic)
                await uow.commit()
                return outcome
        finally:
            OUTBOX_DELIVERY.reset(token)

    async def _act(self, uow: UnitOfWork, run: list[StaffPost], topic: StaffTopic) -> str:
        assert self.group is not None
        now = self.clock.now()
        post = run[0]
        if post.kind != "topic" and topic.thread_id is None:
            for waiting in run:
                await uow.staffroom.retry(
                    waiting.id, now + timedelta(seconds=5), "topic not created yet"
                )
            return "waiting"
        try:
            if post.kind == "topic":
                await self._create(uow, topic)
            elif post.kind == "card":
                await self._card(uow, topic)
            elif post.kind == "state":
                await self._state(uow, topic)
            elif post.kind == "text":
                await self._lines(topic, run)
            elif post.kind == "copy":
                self.pacer.take(self.group)
                await self.bot.copy_messages(
                    self.group,
                    int(post.payload["from_chat_id"]),
                    [int(i) for i in post.payload["message_ids"]],
                    message_thread_id=topic.thread_id,
                )
            else:
                log.error("staff room: unknown post kind %s", post.kind)
                await uow.staffroom.dead(post.id, now, f"unknown kind {post.kind}")
                return "dead"
        except RetryAfter as exc:
            wait = retry_after_seconds(exc)
            self.pacer.pause(self.group, wait)
            for each in run:
                await uow.staffroom.retry(
                    each.id, now + timedelta(seconds=wait), f"retry after {wait:g}s"
                )
            return "paused"
        except BadRequest as exc:
            if _says(exc, THREAD_GONE):
                await self._recreate(uow, topic, now)
                if post.kind in ("copy", "text"):  # what the topic lost goes to the new one
                    for each in run:
                        await uow.staffroom.retry(each.id, now, "topic deleted; created again")
                    return "waiting"
                await uow.staffroom.done(post.id, now)
                return "done"
            if _says(exc, *UNCHANGED):
                await uow.staffroom.done(post.id, now)
                return "done"
            log.error("staff room: post %s refused: %s", post.id, exc.message)
            for each in run:
                await uow.staffroom.dead(each.id, now, f"BadRequest: {exc.message}")
            return "dead"
        except NetworkError as exc:
            for each in run:
                if each.attempts + 1 >= self.max_attempts:
                    await uow.staffroom.dead(each.id, now, f"network: {exc}")
                else:
                    backoff = timedelta(seconds=min(2 ** (each.attempts + 1), 600))
                    await uow.staffroom.retry(each.id, now + backoff, f"network: {exc}")
            return "waiting"
        except TelegramError as exc:
            log.error("staff room: post %s failed: %s", post.id, exc)
            for each in run:
                await uow.staffroom.dead(each.id, now, f"{type(exc).__name__}: {exc}")
            return "dead"
        for each in run:
            await uow.staffroom.done(each.id, now)
        if (
            post.kind == "copy"
            and not await uow.staffroom.pending_in(topic.id, "copy")
            and not await uow.staffroom.waiting(topic.id, "card")
        ):  # the card no longer has messages on their way to announce
            await uow.staffroom.post(topic.id, "card", {}, now)
        return "done"

    async def _lines(self, topic: StaffTopic, run: list[StaffPost]) -> None:
        """Lines for a desk topic, as few messages as Telegram's 4,096 characters allow."""
        assert self.group is not None
        texts = [
            self.translator.render(
                self.language,
                str(post.payload["text"]),
                params_from_json(post.payload.get("params") or {}),
                zone=self.settings.zone,
            )
            for post in run
        ]
        chunks: list[str] = []
        for text in texts:
            if chunks and len(chunks[-1]) + 2 + len(text) <= MAX_TEXT:
                chunks[-1] += "\n\n" + text
            else:
                chunks.append(text[:MAX_TEXT])
        for chunk in chunks:
            self.pacer.take(self.group)
            await self.bot.send_message(self.group, chunk, message_thread_id=topic.thread_id)

    async def _recreate(self, uow: UnitOfWork, topic: StaffTopic, now: datetime) -> None:
        """A member deleted the topic: it is created anew, with the card and its state."""
        log.warning("staff room: topic %s was deleted; creating it again", topic.key)
        generation = now.isoformat()
        topic.thread_id = None
        topic.card_message_id = None
        topic.closed = False
        await uow.staffroom.save_topic(topic)
        await uow.staffroom.post(
            topic.id, "topic", {}, now, dedup_key=f"topic:{topic.id}:{generation}"
        )
        if topic.ticket_id is not None:
            await uow.staffroom.post(topic.id, "card", {}, now)
            await uow.staffroom.post(topic.id, "state", {}, now)

    async def _name(self, uow: UnitOfWork, topic: StaffTopic, view: CaseView | None = None) -> str:
        """The topic's name now (``view``: the case, when the card has read it already)."""
        if topic.ticket_id is None:
            return self.translator.gettext(self.language, DESK_TOPICS.get(topic.key, topic.key))
        if view is not None:
            ticket, customer = view.ticket, view.customer
        else:
            found = await uow.tickets.get(topic.ticket_id)
            assert found is not None
            ticket, customer = found, await uow.users.get(found.customer_id)
        return topic_name(
            self.translator,
            self.settings,
            ticket,
            customer.display_name if customer else "?",
            self.clock.now(),
        )

    async def _create(self, uow: UnitOfWork, topic: StaffTopic) -> None:
        assert self.group is not None
        if topic.thread_id is not None:
            return  # created already (a repeat of this post)
        name = await self._name(uow, topic)
        self.pacer.take(self.group)
        created = await self.bot.create_forum_topic(self.group, name)
        topic.thread_id = created.message_thread_id
        topic.name = name
        await uow.staffroom.save_topic(topic)

    async def _card(self, uow: UnitOfWork, topic: StaffTopic) -> None:
        assert self.group is not None and topic.ticket_id is not None
        view = await staff_view(uow, ticket_id=topic.ticket_id)
        text = render_card(
            self.translator, self.language, self.settings.zone, self.clock.now(), view
        )
        waiting = await uow.staffroom.pending_in(topic.id, "copy")
        if waiting:
            text += "\n" + self.translator.render(
                self.language,
                N_("📨 Messages from the customer on their way to this topic: {count}"),
                {"count": waiting},
                zone=self.settings.zone,
            )
        markup = self._markup(
            topic.ticket_id, group_actions(view.ticket), taken=view.owner is not None
        )
        if topic.card_message_id is not None:
            try:
                await self.bot.edit_message_text(
                    text, chat_id=self.group, message_id=topic.card_message_id, reply_markup=markup
                )
            except BadRequest as exc:
                if _says(exc, CARD_GONE):  # deleted, alone or with its topic: post it again
                    topic.card_message_id = None
                elif not _says(exc, *UNCHANGED):
                    raise
        if topic.card_message_id is None:
            self.pacer.take(self.group)
            sent = await self.bot.send_message(
                self.group, text, message_thread_id=topic.thread_id, reply_markup=markup
            )
            topic.card_message_id = sent.message_id
            await uow.staffroom.save_topic(topic)
            await self.bot.pin_chat_message(self.group, sent.message_id, disable_notification=True)
        name = await self._name(uow, topic, view)
        assert topic.thread_id is not None
        if name != topic.name:
            try:
                await self.bot.edit_forum_topic(self.group, topic.thread_id, name=name)
            except BadRequest as exc:
                if not _says(exc, *UNCHANGED):
                    raise
            topic.name = name
            await uow.staffroom.save_topic(topic)

    def _markup(
        self, ticket_id: int, actions: list[Action], *, taken: bool
    ) -> InlineKeyboardMarkup:
        """The card's buttons: take the case (while nobody holds it), the steps that need
        no typing (every press is checked for a manager's role), and the case in each
        member's private chat, where every step is at hand (typed steps stay there, so the
        topic stays readable)."""
        label = self.translator.gettext(self.language, N_("📁 Open in my chat with the bot"))
        url = f"https://t.me/{self.bot.username}?start=case_{ticket_id}"
        rows = [
            [
                InlineKeyboardButton(
                    self.translator.gettext(self.language, a.label), callback_data=a.data
                )
            ]
            for a in actions
        ]
        rows.append([InlineKeyboardButton(label, url=url)])
        if not taken:
            take = self.translator.gettext(self.language, N_("🙋 Take it"))
            rows.insert(0, [InlineKeyboardButton(take, callback_data=CASE_TAKE.data(ticket_id))])
        return InlineKeyboardMarkup(rows)

    async def _state(self, uow: UnitOfWork, topic: StaffTopic) -> None:
        assert self.group is not None and topic.ticket_id is not None
        ticket = await uow.tickets.get(topic.ticket_id)
        assert ticket is not None
        closed = topic_closes(ticket)
        if closed == topic.closed:
            return
        assert topic.thread_id is not None
        try:
            if closed:
                await self.bot.close_forum_topic(self.group, topic.thread_id)
            else:
                await self.bot.reopen_forum_topic(self.group, topic.thread_id)
        except BadRequest as exc:
            if not _says(exc, *UNCHANGED):
                raise
        topic.closed = closed
        await uow.staffroom.save_topic(topic)
