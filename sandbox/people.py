"""The people on the other side of the fake Bot API: what Telegram sends the bot when
one of them types, shares, uploads or presses a button.

The same updates feed the in-process tests (tests/harness.py) and the sandbox's web page
(sandbox/server.py); each carries the fields a real one does (``date`` in seconds,
``chat_instance``, ``entities`` of a command, ``live_period`` and ``horizontal_accuracy``
of a location, the topic's first message under a message written in a topic).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox.botapi import BotApiCore, SentMessage

__all__ = [
    "Someone",
    "callback_query",
    "command_entities",
    "contact",
    "location",
    "photo",
    "private_message",
    "topic_message",
]


@dataclass
class Someone:
    """A Telegram user as the bot sees them."""

    id: int
    first_name: str
    language_code: str | None = None
    last_name: str | None = None
    username: str | None = None

    def user_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data


def command_entities(text: str) -> dict[str, Any]:
    """A text's content, a leading /command marked as Telegram marks it."""
    content: dict[str, Any] = {"text": text}
    if text.startswith("/"):
        length = len(text.split()[0])
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return content


def contact(person: Someone, phone: str, *, own: bool = True) -> dict[str, Any]:
    """A shared phone number: one's own carries one's user id, someone else's another."""
    return {
        "contact": {
            "phone_number": phone,
            "first_name": person.first_name,
            "user_id": person.id if own else person.id + 999_999,
        }
    }


def location(
    latitude: float,
    longitude: float,
    *,
    accuracy: float | None = None,
    live_period: int | None = None,
) -> dict[str, Any]:
    """A shared location; with ``live_period``, a live one (its moves arrive as edits)."""
    place: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
    if accuracy is not None:
        place["horizontal_accuracy"] = accuracy
    if live_period is not None:
        place["live_period"] = live_period
    return {"location": place}


def photo(file_id: str, unique: str) -> dict[str, Any]:
    """A photo as Telegram sends it: a small size and the full one."""
    return {
        "photo": [
            {"file_id": file_id + "-s", "file_unique_id": unique + "s", "width": 90, "height": 60},
            {"file_id": file_id, "file_unique_id": unique, "width": 1280, "height": 960},
        ]
    }


def private_message(api: BotApiCore, person: Someone, now: int, **content: Any) -> dict[str, Any]:
    """A message in the person's private chat with the bot, kept as Telegram keeps it
    (the bot may copy it)."""
    message = {
        "message_id": api.next_message_id(person.id),
        "date": now,
        "chat": {"id": person.id, "type": "private", "first_name": person.first_name},
        "from": person.user_json(),
        **content,
    }
    api.remember(person.id, message)
    return message


def topic_message(
    api: BotApiCore, person: Someone, group: int, thread: int, now: int, **content: Any
) -> dict[str, Any]:
    """A message written in a topic, as Telegram delivers it: it answers the topic's
    first (service) message."""
    [opening] = [m for m in api.messages[group] if m.message_id == thread]
    message = {
        "message_id": api.next_message_id(group),
        "date": now,
        "chat": api.chat_json(group),
        "from": person.user_json(),
        "message_thread_id": thread,
        "is_topic_message": True,
        "reply_to_message": api.message_json(opening),
        **content,
    }
    api.remember(group, message)
    return message


def callback_query(
    api: BotApiCore, person: Someone, message: SentMessage, data: str, query_id: str
) -> dict[str, Any]:
    """A press of the button carrying ``data`` under ``message``."""
    return {
        "id": query_id,
        "from": person.user_json(),
        "chat_instance": f"ci-{message.chat_id}",
        "data": data,
        "message": api.message_json(message),
    }
