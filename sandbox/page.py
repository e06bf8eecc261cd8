"""The sandbox's web chat: several people side by side, each with their chat with the
bot and (staff) the staff group's topics, served by the same process as the Bot API.

The page (``sandbox/static/chat.html``) asks ``/sandbox/state`` for everything it shows,
waiting until something changed, and sends what a person does to ``/sandbox/act``; each
action becomes the update Telegram would send (sandbox/people.py) and goes to the bot
through the core, by getUpdates or the webhook, like any other.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from dispatch.model import Role
from sandbox.botapi import BotApiCore, SentMessage
from sandbox.demo import CITY, Member
from sandbox.people import (
    Someone,
    callback_query,
    command_entities,
    contact,
    location,
    private_message,
    topic_message,
)

__all__ = ["World"]

PAGE = Path(__file__).with_name("static") / "chat.html"
LONGEST_WAIT = 25.0  # seconds a state request waits for a change
LANGUAGES = ("en", "zh-hans", "zh-hant")


@dataclass
class World:
    """The people of the sandbox and what changed, for the page."""

    core: BotApiCore
    members: dict[int, Member]
    staff_group: int | None
    version: int = 0
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _queries: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(3100))
    _live: dict[int, dict[str, Any]] = field(default_factory=dict)  # person -> live message

    def touch(self) -> None:
        self.version += 1
        self._changed.set()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/", self._page)
        app.router.add_get("/sandbox/state", self._state)
        app.router.add_post("/sandbox/act", self._act)
        app.router.add_post("/sandbox/people", self._add_person)
        app.router.add_get("/sandbox/file/{file_id}", self._file)

    # -- reading -----------------------------------------------------------------------------
    async def _page(self, _request: web.Request) -> web.StreamResponse:
        return web.FileResponse(PAGE)

    async def _state(self, request: web.Request) -> web.StreamResponse:
        seen = int(request.query.get("version", "-1"))
        deadline = time.monotonic() + LONGEST_WAIT
        while self.version == seen and time.monotonic() < deadline:
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), deadline - time.monotonic())
        return web.json_response(self.snapshot())

    def snapshot(self) -> dict[str, Any]:
        people = [
            {
                "id": m.someone.id,
                "name": m.someone.first_name,
                "language": m.someone.language_code or "en",
                "role": m.role.value,
                "chat": self._chat(m.someone.id),
                "keyboard": self.core.keyboards.get(m.someone.id, {}).get("keyboard", []),
                "live": m.someone.id in self._live,
                "alerts": [
                    a.get("text", "")
                    for a in self.core.callback_answers
                    if a.get("text")
                    and str(a.get("callback_query_id", "")).startswith(f"q{m.someone.id}-")
                ][-1:],
            }
            for m in self.members.values()
        ]
        return {
            "version": self.version,
            "people": people,
            "group": self._group(),
            "city": CITY,
            "bases": [
                {"name": m.someone.first_name, "lat": m.base[0], "lon": m.base[1]}
                for m in self.members.values()
                if m.role is Role.TECHNICIAN
            ],
        }

    def _chat(self, chat_id: int, thread: int | None = None) -> list[dict[str, Any]]:
        """The chat's messages in order, the bot's and the people's."""
        lines: list[tuple[int, dict[str, Any]]] = []
        for message in self.core.messages.get(chat_id, []):
            if message.deleted or message.kind == "service":
                continue
            if thread is not None and message.extra.get("message_thread_id") != thread:
                continue
            lines.append((message.message_id, _bot_line(message)))
        for (chat, message_id), sent in self.core.member_messages.items():
            if chat != chat_id or (thread is not None and sent.get("message_thread_id") != thread):
                continue
            lines.append((message_id, _member_line(sent)))
        return [line for _, line in sorted(lines, key=lambda pair: pair[0])]

    def _group(self) -> dict[str, Any] | None:
        forum = self.core.forums.get(self.staff_group or 0)
        if forum is None:
            return None
        topics = [
            {
                "thread": topic.thread_id,
                "name": topic.name,
                "closed": topic.closed,
                "messages": self._chat(forum.chat_id, topic.thread_id),
            }
            for topic in forum.topics.values()
            if not topic.deleted
        ]
        return {"id": forum.chat_id, "title": forum.title, "topics": topics}

    async def _file(self, request: web.Request) -> web.StreamResponse:
        file_id = request.match_info["file_id"]
        if file_id not in self.core.files and not file_id.startswith("photo-"):
            raise web.HTTPNotFound()
        return web.Response(body=self.core.file_bytes(file_id), content_type=_type(file_id))

    # -- acting ------------------------------------------------------------------------------
    async def _add_person(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        name = str(body.get("name") or "").strip()[:32]
        language = str(body.get("language") or "en")
        if not name or language not in LANGUAGES:
            raise web.HTTPBadRequest(text="a name and one of en, zh-hans, zh-hant")
        person = Someone(next(self._ids), name, language)
        self.members[person.id] = Member(person, Role.CUSTOMER)
        self.touch()
        return web.json_response({"id": person.id})

    async def _act(self, request: web.Request) -> web.StreamResponse:
        if request.content_type == "multipart/form-data":
            form = await request.post()
            body: dict[str, Any] = dict(form)
        else:
            body = await request.json()
        member = self.members.get(int(body.get("person", 0)))
        if member is None:
            raise web.HTTPNotFound(text="no such person")
        person = member.someone
        if "language" in body and body["language"] in LANGUAGES:
            person.language_code = str(body["language"])
        update = self._update(person, body)
        if update is not None:
            self.core.push_update({"update_id": self.core.next_update_id(), **update})
        self.touch()
        return web.json_response({"ok": True})

    def _update(self, person: Someone, body: dict[str, Any]) -> dict[str, Any] | None:
        now = int(time.time())
        action = body.get("action")
        if action == "none":  # only the person's language changed
            return None
        thread = int(body["thread"]) if body.get("thread") else None
        if action == "text":
            content = command_entities(str(body.get("text") or "")[:4096])
            if thread is not None and self.staff_group is not None:
                message = topic_message(self.core, person, self.staff_group, thread, now, **content)
            else:
                message = private_message(self.core, person, now, **content)
            return {"message": message}
        if action == "press":
            chat = int(body.get("chat") or person.id)
            found = _find(self.core, chat, int(body["message_id"]))
            query_id = f"q{person.id}-{next(self._queries)}"
            return {
                "callback_query": callback_query(
                    self.core, person, found, str(body["data"]), query_id
                )
            }
        if action == "contact":
            shared = contact(person, str(body.get("phone") or ""))
            return {"message": private_message(self.core, person, now, **shared)}
        if action == "location":
            return self._location(person, body, now)
        if action in ("photo", "document"):
            return self._upload(person, body, now, action)
        raise web.HTTPBadRequest(text=f"unknown action {action!r}")

    def _location(self, person: Someone, body: dict[str, Any], now: int) -> dict[str, Any]:
        place = location(
            float(body["latitude"]),
            float(body["longitude"]),
            accuracy=15.0,
            live_period=3600 if body.get("live") else None,
        )["location"]
        live = self._live.get(person.id)
        if body.get("move") and live is not None:  # a live location moves: an edit
            place.pop("live_period", None)
            moved = dict(live, location={**live["location"], **place}, edit_date=now)
            self._live[person.id] = moved
            return {"edited_message": moved}
        message = private_message(self.core, person, now, location=place)
        if body.get("live"):
            self._live[person.id] = message
        return {"message": message}

    def _upload(self, person: Someone, body: dict[str, Any], now: int, kind: str) -> dict[str, Any]:
        upload = body.get("file")
        content = upload.file.read() if isinstance(upload, web.FileField) else b""
        name = upload.filename if isinstance(upload, web.FileField) else "file"
        number = self.core.next_update_id()
        file_id = f"{kind}-{person.id}-{number}-upload"
        self.core.files[file_id] = content
        if kind == "photo":
            sizes = [
                {"file_id": file_id, "file_unique_id": f"u{number}", "width": 1280, "height": 960}
            ]
            return {"message": private_message(self.core, person, now, photo=sizes)}
        document = {
            "file_id": file_id,
            "file_unique_id": f"d{number}",
            "file_name": name,
            "mime_type": upload.content_type if isinstance(upload, web.FileField) else "",
        }
        return {"message": private_message(self.core, person, now, document=document)}


def _find(core: BotApiCore, chat: int, message_id: int) -> SentMessage:
    for message in core.messages.get(chat, []):
        if message.message_id == message_id:
            return message
    raise web.HTTPNotFound(text="no such message")


def _bot_line(message: SentMessage) -> dict[str, Any]:
    return {
        "id": message.message_id,
        "chat": message.chat_id,
        "from": "bot",
        "kind": message.kind,
        "text": message.text,
        "buttons": (message.reply_markup or {}).get("inline_keyboard", []),
        "media": message.media,
        "location": message.extra if message.kind == "location" else None,
        "edited": message.edits > 0,
    }


def _member_line(sent: dict[str, Any]) -> dict[str, Any]:
    kind = next((k for k in ("photo", "document", "location", "contact") if k in sent), "text")
    line: dict[str, Any] = {
        "id": sent["message_id"],
        "from": "person",
        "by": sent.get("from", {}).get("id"),
        "name": sent.get("from", {}).get("first_name", ""),
        "kind": kind,
        "text": sent.get("text") or sent.get("caption") or "",
    }
    if kind == "photo":
        line["media"] = [{"file_id": sent["photo"][-1]["file_id"]}]
    elif kind == "document":
        line["media"] = [sent["document"]]
    elif kind == "location":
        line["location"] = sent["location"]
    elif kind == "contact":
        line["text"] = sent["contact"]["phone_number"]
    return line


def _type(file_id: str) -> str:
    return "image/png" if file_id.startswith(("photo", "chart")) else "application/octet-stream"
