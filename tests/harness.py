"""The conversation harness: the real PTB Application over the fake Bot API.

``Desk`` is the whole bot in-process with a manual clock; ``Person`` acts as one
Telegram user (text, commands, contact, location and live location, photos,
albums, documents, stickers, voice, button presses) and reads what that user
received. After every action the outbox is delivered, as the sender would.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot.app import AnyApplication, build_application, sender_of, services_of
from bot.config import Settings, load_settings
from bot.context import Services
from bot.i18n import Translator
from bot.inbox import DeskApplication, chat_of, recover
from bot.pacing import ChatPacer
from dispatch.clock import ManualClock
from dispatch.model import Language
from dispatch.staffroom import ensure_desk_topics
from sandbox.botapi import BotApiCore, SentMessage
from sandbox.people import (
    Someone,
    callback_query,
    command_entities,
    contact,
    location,
    photo,
    private_message,
    topic_message,
)
from sandbox.transport import InProcessRequest
from storage.db import make_sessionmaker

__all__ = ["Desk", "Person", "make_settings"]

TOKEN = "123456789:TEST-token-for-the-harness"


# Dates and times as the bot writes them. Tests build expected labels with the bot's own
# formatter, never by hand: CLDR's spacing changes between Babel releases.
_LABELS = Translator()
_ZONE = ZoneInfo("Asia/Shanghai")


def day_label(language: Language, day: date | str) -> str:
    """A day as on the date buttons (``"2026-11-23"`` or a date)."""
    return _LABELS.format_day(language, date.fromisoformat(day) if isinstance(day, str) else day)


def date_label(language: Language, day: str) -> str:
    """A date with its year, as in summaries (``"2025-12-12"``)."""
    return _LABELS.format_date(language, date.fromisoformat(day))


def moment_label(language: Language, local: str) -> str:
    """A moment given in the desk's time zone (``"2026-11-22 11:00"``), as messages show it."""
    moment = datetime.fromisoformat(local).replace(tzinfo=_ZONE)
    return _LABELS.format_moment(language, moment, _ZONE)


def doubles_of(got: list[str], expected: list[str]) -> int | None:
    """How many messages of ``got`` repeat the one before and are not in ``expected``; None
    when ``got`` is not ``expected`` with such repeats (something lost, changed or moved)."""
    doubles = j = 0
    for i, text in enumerate(got):
        if j < len(expected) and text == expected[j]:
            j += 1
        elif i > 0 and text == got[i - 1]:
            doubles += 1
        else:
            return None
    return doubles if j == len(expected) else None


def make_settings(
    database_url: str,
    *,
    managers: Iterable[int] = (),
    config: str = "",
    replace: dict[str, str] | None = None,
) -> Settings:
    """Settings as the example config gives them, plus the harness's database and managers.

    ``replace`` swaps whole lines of the example (``{"directors = []": "directors = [7]"}``).
    """
    path = Path(__file__).parent.parent / "config.example.toml"
    text = path.read_text(encoding="utf-8")
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    text += "\n" + config
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False, encoding="utf-8") as f:
        f.write(text)
    env = {
        "AFTERCARE_TELEGRAM_TOKEN": TOKEN,
        "AFTERCARE_DATABASE_URL": database_url,
        "AFTERCARE_MANAGER_IDS": ",".join(str(m) for m in managers),
    }
    if not list(managers):
        env.pop("AFTERCARE_MANAGER_IDS")
    return load_settings(Path(f.name), env=env, require_token=True)


@dataclass
class Wire:
    """Time as Telegram's flood limits and the bot's pacer see it: the desk's clock plus
    the seconds people spend reading and answering, which do not move the desk's clock
    (so a test at a human pace asserts the same deadlines as an instant one)."""

    clock: ManualClock
    human_seconds: float = 0.0

    def __call__(self) -> float:
        return self.clock.now().timestamp() + self.human_seconds


class Desk:
    def __init__(self, settings: Settings, clock: ManualClock, api: BotApiCore, wire: Wire) -> None:
        self.settings = settings
        self.clock = clock
        self.api = api
        self.wire = wire
        # At a human pace Telegram's limits are on and the bot paces as in production;
        # otherwise everything is delivered at once.
        self.human = api.flood is not None
        pacer = (
            ChatPacer(monotonic=wire)
            if self.human
            else ChatPacer(burst=1000, per_second=1000, monotonic=wire)
        )
        group_pacer = (
            ChatPacer(burst=1, per_second=1 / 3, monotonic=wire)
            if self.human
            else ChatPacer(burst=1000, per_second=1000, monotonic=wire)
        )
        group = settings.desk.staff_group
        if group is not None and group not in api.forums:
            api.add_forum(group, "Service desk staff")
        app: AnyApplication = build_application(
            settings,
            clock=clock,
            request=InProcessRequest(api),
            pacer=pacer,
            group_pacer=group_pacer,
            rate_limited=False,
            sleep=self._wait,
        )
        assert isinstance(app, DeskApplication)
        self.app = app
        self.people: dict[int, Person] = {}
        self.successor: Desk | None = None
        # Set to cut the next update's handling at its n-th database statement or commit.
        self.cut_after: int | None = None
        self.was_cut = False

    async def _wait(self, seconds: float) -> None:
        """What the bot waits for (Telegram's retry_after, a backoff) passes on the wire."""
        self.wire.human_seconds += seconds
        await asyncio.sleep(0)

    @classmethod
    async def open(
        cls,
        settings: Settings,
        clock: ManualClock,
        api: BotApiCore | None = None,
        *,
        wire: Wire | None = None,
        human: bool = False,
    ) -> Desk:
        """``human``: people answer a second after the bot's last message, with Telegram's
        flood limits on (one message a second to a private chat, 30 a second in all)."""
        wire = wire or Wire(clock)
        api = api or BotApiCore(
            now=lambda: clock.now().timestamp(), flood_limits=human, flood_clock=wire
        )
        desk = cls(settings, clock, api, wire)
        await desk.app.initialize()
        # As post_init does before polling starts.
        await ensure_desk_topics(desk.services.uow(), desk.services.policy, clock.now())
        await recover(desk.app, only_process=True)
        await desk.deliver()
        return desk

    @property
    def services(self) -> Services:
        return services_of(self.app)

    def db(self) -> AsyncSession:
        """A session on the desk's database, for a test to read what it holds (the bot's
        own code reaches the database through the unit of work only)."""
        return make_sessionmaker(self.services.engine)()

    async def close(self) -> None:
        """Stop as a clean shutdown would: persistence flushed, engine disposed."""
        await self.app.update_persistence()
        await self.app.shutdown()
        # PTB runs post_shutdown (which disposes the engine) only from run_polling/run_webhook.
        await self.services.engine.dispose()

    async def restart(self) -> Desk:
        """A new Application on the same database and the same Telegram: the bot restarted."""
        await self.close()
        return await self._successor()

    async def _successor(self) -> Desk:
        desk = await Desk.open(self.settings, self.clock, self.api, wire=self.wire)
        self.successor = desk  # the fixture closes the whole chain
        for person in self.people.values():
            desk.people[person.id] = person
            person.desk = desk
        return desk

    def person(
        self,
        telegram_id: int,
        first_name: str,
        *,
        language_code: str | None = "en",
        last_name: str | None = None,
        username: str | None = None,
    ) -> Person:
        person = Person(self, telegram_id, first_name, language_code, last_name, username)
        self.people[telegram_id] = person
        return person

    def next_update_id(self) -> int:
        return self.api.next_update_id()

    async def feed(self, data: dict[str, Any]) -> None:
        """Hand one update to the Application as polling does (inbox first), then deliver."""
        update = Update.de_json(data, self.app.bot)
        if await self.app.inbox.store(
            update.update_id, chat_of(update), update.to_dict(), self.clock.now()
        ):
            if self.cut_after is None:
                await self.app.process_update(update)
            else:
                await self._handle_and_cut(update, self.cut_after)
                self.cut_after = None
                if self.was_cut:
                    return  # the process is gone: nothing more happens until a restart
        await self.deliver()
        if self.human:
            await self._read_at_human_pace(chat_of(update))

    async def _read_at_human_pace(self, chat_id: int | None = None) -> None:
        """People answer a second later, or wait, a second at a time, for what the bot
        still owes them (Telegram takes one message a second per chat). The seconds the
        acting person waits beyond the first are counted on them (``Person.waited``)."""
        self.wire.human_seconds += 1.0
        await self.deliver()
        person = self.people.get(chat_id) if chat_id is not None else None
        for _ in range(120):
            owed = {m.chat_id for m in await sender_of(self.app).store.due(self.clock.now(), 500)}
            if not owed:
                return
            if person is not None and chat_id in owed:
                person.waited += 1
            self.wire.human_seconds += 1.0
            await self.deliver()
        raise AssertionError(f"the bot still owes {owed} messages after two minutes")

    async def _handle_and_cut(self, update: Update, point: int) -> None:
        """Handle ``update``, killing the handling at its ``point``-th statement or commit.

        The task is cancelled as the statement is sent: the database may or may not have
        done it, as when a process is killed at that moment.
        """
        engine = self.services.engine.sync_engine
        task = asyncio.create_task(self.app.process_update(update))
        seen = 0

        def count(*_: Any) -> None:
            nonlocal seen
            seen += 1
            if seen == point:
                task.cancel()

        event.listen(engine, "before_cursor_execute", count)
        event.listen(engine, "commit", count)
        try:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        finally:
            event.remove(engine, "before_cursor_execute", count)
            event.remove(engine, "commit", count)
        self.was_cut = task.cancelled()

    async def crash_restart(self) -> Desk:
        """As after kill -9: no shutdown, what lived only in memory is gone; a new start."""
        await self.services.engine.dispose()
        return await self._successor()

    async def deliver(self) -> int:
        total = 0
        sender = sender_of(self.app)
        while (sent := await sender.drain()) > 0:
            total += sent
        return total

    async def customers(self) -> set[str]:
        """The first names of the people who are customers (not technicians or managers)."""
        from sqlalchemy import select

        from storage.models import UserRow

        async with self.db() as session:
            ids = set(
                await session.scalars(select(UserRow.telegram_id).where(UserRow.role == "customer"))
            )
        return {p.first_name for p in self.people.values() if p.id in ids}

    async def catch_up(self, *, within: timedelta = timedelta(hours=2)) -> None:
        """Let the desk's clock run until the outbox has delivered or given up everything
        (retries after faults wait for their time), as a running bot would."""
        from sqlalchemy import func, select

        from storage.models import OutboxRow

        end = self.clock.now() + within
        while True:
            await self.deliver()
            async with self.db() as session:
                due: datetime | None = await session.scalar(
                    select(func.min(OutboxRow.next_attempt_at)).where(
                        OutboxRow.sent_at.is_(None), OutboxRow.dead_at.is_(None)
                    )
                )
            if due is None:
                return
            assert self.clock.now() < end, "the outbox did not empty in time"
            self.clock.set(max(due, self.clock.now() + timedelta(seconds=1)))

    async def settle(self) -> None:
        """Deliver what is due; at a human pace, give Telegram's limits the seconds they need."""
        await self.deliver()
        if self.human:
            await self._read_at_human_pace()

    async def advance(self, delta: timedelta) -> None:
        self.clock.advance(delta)
        await self.settle()

    async def sweep(self) -> int:
        """One run of the SLA sweep and the field-service duties (the sweep job's first
        half), then deliver; returns what the SLA sweep wrote."""
        from bot.app import field_service_duties
        from dispatch.sweep import sweep

        sent = await sweep(self.services.uow, self.clock, self.services.policy)
        await field_service_duties(self.services)
        await self.settle()
        return sent

    async def monthly(self) -> bool:
        """The sweep job's second half: the monthly report, when it is due."""
        from bot.app import send_due_monthly_report

        sent = await send_due_monthly_report(self.services)
        await self.settle()
        return sent


@dataclass
class Person:
    desk: Desk
    id: int
    first_name: str
    language_code: str | None
    last_name: str | None = None
    username: str | None = None
    _seen: int = field(default=0)
    _queries: set[str] = field(default_factory=set)
    _sent: list[dict[str, Any]] = field(default_factory=list)
    # At a human pace: seconds this person waited beyond the one they take to answer.
    waited: int = 0

    # -- building updates -----------------------------------------------------------------
    @property
    def someone(self) -> Someone:
        return Someone(self.id, self.first_name, self.language_code, self.last_name, self.username)

    def _now(self) -> int:
        return int(self.desk.clock.now().timestamp())

    @property
    def pressed(self) -> set[str]:
        """The ids of this person's button presses, to check each was answered."""
        return set(self._queries)

    async def edit_last_text(self, text: str) -> None:
        """Edit the last message this person sent (Telegram sends the edit as an update)."""
        if not self._sent:
            await self.send(text)
            return
        edited = dict(self._sent[-1], text=text, edit_date=int(self.desk.clock.now().timestamp()))
        await self.desk.feed({"update_id": self.desk.next_update_id(), "edited_message": edited})

    async def _send(self, **content: Any) -> dict[str, Any]:
        message = private_message(self.desk.api, self.someone, self._now(), **content)
        self._sent.append(message)
        await self.desk.feed({"update_id": self.desk.next_update_id(), "message": message})
        return message

    # -- acting ---------------------------------------------------------------------------
    async def send(self, text: str) -> None:
        """Type ``text``; a leading /command is marked as Telegram marks it."""
        await self._send(**command_entities(text))

    async def send_long(self, text: str) -> None:
        """Type a text longer than Telegram takes: the app sends it as several messages."""
        for start in range(0, len(text), 4096):
            await self.send(text[start : start + 4096])

    async def command(self, name: str, *args: str) -> None:
        await self.send(" ".join([f"/{name}", *args]))

    async def share_contact(self, phone: str, *, own: bool = True) -> None:
        await self._send(**contact(self.someone, phone, own=own))

    async def share_location(
        self,
        latitude: float,
        longitude: float,
        *,
        accuracy: float | None = None,
        live_period: int | None = None,
    ) -> dict[str, Any]:
        place = location(latitude, longitude, accuracy=accuracy, live_period=live_period)
        return await self._send(**place)

    async def move_live_location(
        self,
        message: dict[str, Any],
        latitude: float,
        longitude: float,
        *,
        accuracy: float | None = None,
    ) -> None:
        """Telegram sends each move of a live location as an edit of the first message."""
        location = dict(message["location"], latitude=latitude, longitude=longitude)
        if accuracy is not None:
            location["horizontal_accuracy"] = accuracy
        edited = dict(message, location=location, edit_date=int(self.desk.clock.now().timestamp()))
        await self.desk.feed({"update_id": self.desk.next_update_id(), "edited_message": edited})

    async def send_photo(
        self, *, caption: str | None = None, media_group_id: str | None = None
    ) -> str:
        n = self.desk.api.next_message_id(self.id)
        file_id = f"photo-{self.id}-{n}"
        content = photo(file_id, f"u{n}")
        if caption:
            content["caption"] = caption
        if media_group_id:
            content["media_group_id"] = media_group_id
        await self._send(**content)
        return file_id

    async def send_album(self, count: int) -> list[str]:
        group = f"album-{self.id}-{self.desk.api.next_message_id(self.id)}"
        return [await self.send_photo(media_group_id=group) for _ in range(count)]

    async def send_document(
        self,
        file_name: str = "report.pdf",
        mime_type: str = "application/pdf",
        content: bytes | None = None,
    ) -> None:
        """A file sent in the chat; ``content`` is what the bot downloads (else a stand-in)."""
        n = self.desk.api.next_message_id(self.id)
        if content is not None:
            self.desk.api.files[f"doc-{self.id}-{n}"] = content
        await self._send(
            document={
                "file_id": f"doc-{self.id}-{n}",
                "file_unique_id": f"d{n}",
                "file_name": file_name,
                "mime_type": mime_type,
            }
        )

    async def send_sticker(self) -> None:
        await self._send(
            sticker={
                "file_id": "sticker-1",
                "file_unique_id": "st1",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            }
        )

    async def send_voice(self) -> None:
        await self._send(voice={"file_id": "voice-1", "file_unique_id": "v1", "duration": 3})

    def _find_button(self, label: str) -> tuple[SentMessage, dict[str, Any]]:
        for message in reversed(self.messages):
            for button in message.inline_buttons:
                if button["text"] == label or button["text"].removeprefix("✅ ") == label:
                    return message, button
        shown = [b["text"] for m in self.messages[-3:] for b in m.inline_buttons]
        raise AssertionError(f"no button {label!r} in {self.first_name}'s chat; recent: {shown}")

    # -- in the staff group (a forum supergroup of the fake Bot API) -------------------------
    async def write_in_topic(self, group: int, thread: int, text: str) -> None:
        """Write in a topic, as Telegram delivers it: the message answers the topic's first
        (service) message unless it answers another one."""
        message = topic_message(
            self.desk.api, self.someone, group, thread, self._now(), **command_entities(text)
        )
        await self.desk.feed({"update_id": self.desk.next_update_id(), "message": message})

    async def press_in_group(self, group: int, label: str) -> None:
        """Press the newest button with this label in the group."""
        for message in reversed(self.desk.api.messages[group]):
            for button in message.inline_buttons:
                if button["text"] == label and "callback_data" in button:
                    await self.press_data(message, str(button["callback_data"]))
                    return
        raise AssertionError(f"no button {label!r} in the group")

    async def press(self, label: str) -> None:
        """Press the newest inline button with this label."""
        message, button = self._find_button(label)
        await self.press_data(message, str(button["callback_data"]))

    async def press_data(self, message: SentMessage, data: str) -> None:
        """Press a button by its callback data (for old or forged buttons)."""
        query_id = f"q{self.id}-{self.desk.next_update_id()}"
        self._queries.add(query_id)
        query = callback_query(self.desk.api, self.someone, message, data, query_id)
        await self.desk.feed({"update_id": self.desk.next_update_id(), "callback_query": query})

    # -- reading --------------------------------------------------------------------------
    @property
    def messages(self) -> list[SentMessage]:
        return [m for m in self.desk.api.messages[self.id] if not m.deleted]

    @property
    def last(self) -> SentMessage:
        assert self.messages, f"{self.first_name} received nothing"
        return self.messages[-1]

    @property
    def texts(self) -> list[str]:
        return [m.text or "" for m in self.messages]

    def new_texts(self) -> list[str]:
        """Texts received since the previous call."""
        texts = self.texts
        fresh, self._seen = texts[self._seen :], len(texts)
        return fresh

    def reply_keyboard(self) -> list[dict[str, Any]]:
        """The keyboard this person's chat shows in place of the letters, if any."""
        markup = self.desk.api.keyboards.get(self.id)
        if markup is None:
            return []
        return [
            button if isinstance(button, dict) else {"text": button}
            for row in markup["keyboard"]
            for button in row
        ]

    def menu(self) -> list[tuple[str, str]]:
        """The command menu Telegram shows in this chat."""
        commands = self.desk.api.commands.get((f"chat:{self.id}", ""), [])
        return [(c["command"], c["description"]) for c in commands]

    def alerts(self) -> list[str]:
        """The pop-up answers to this person's button presses, oldest first."""
        return [
            a.get("text", "")
            for a in self.desk.api.callback_answers
            if a.get("text") and a.get("callback_query_id") in self._queries
        ]
