"""Forum supergroups in the fake Bot API, as Telegram runs them: topics created, renamed,
closed, reopened and deleted; messages sent into a topic with ``message_thread_id``;
messages copied (copyMessage) and pinned; the errors Telegram answers for a topic that
was deleted or closed, and for a bot that is not allowed to manage topics.

A topic's id is the id of the service message that opened it, as in Telegram; a message
a member writes in a topic carries ``message_thread_id`` and ``is_topic_message`` and,
when it answers nothing in particular, a ``reply_to_message`` that is that service
message (the detail every bot that reads forum topics has to step around).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.botapi import BotApiCore

__all__ = ["Forum", "ForumMethods", "Topic"]

TOPIC_ICON_COLOURS = (0x6FB9F0, 0xFFD67E, 0xCB86DB, 0x8EEE98, 0xFF93B2, 0xFB6F5F)


@dataclass
class Topic:
    thread_id: int
    name: str
    icon_color: int
    icon_custom_emoji_id: str | None = None
    closed: bool = False
    deleted: bool = False


@dataclass
class Forum:
    chat_id: int
    title: str
    bot_can_manage_topics: bool = True
    topics: dict[int, Topic] = field(default_factory=dict)
    pinned: set[int] = field(default_factory=set)  # message ids


class ForumMethods:
    """Mixed into BotApiCore: the forum state and the methods that act on it."""

    forums: dict[int, Forum]
    # A member's own messages by (chat, message id): what copyMessage can copy.
    member_messages: dict[tuple[int, int], dict[str, Any]]

    # -- what a test sets up -----------------------------------------------------------------
    def add_forum(self, chat_id: int, title: str, *, bot_can_manage_topics: bool = True) -> Forum:
        """A supergroup with topics where the bot is an admin (that may manage topics)."""
        if chat_id >= 0:
            raise ValueError("a supergroup's id is negative")
        forum = Forum(chat_id, title, bot_can_manage_topics)
        self.forums[chat_id] = forum
        return forum

    def delete_topic(self, chat_id: int, thread_id: int) -> None:
        """A member deletes a topic with everything in it (the bot gets no update for it)."""
        topic = self._topic(chat_id, thread_id)
        topic.deleted = True
        core: BotApiCore = self  # type: ignore[assignment]
        for message in core.messages[chat_id]:
            if message.extra.get("message_thread_id") == thread_id:
                message.deleted = True

    def remember(self, chat_id: int, message: dict[str, Any]) -> None:
        """A message a member sent, kept so that the bot can copy it."""
        self.member_messages[(chat_id, int(message["message_id"]))] = message

    # -- state -------------------------------------------------------------------------------
    def chat_json(self, chat_id: int) -> dict[str, Any]:
        forum = self.forums.get(chat_id)
        if forum is None:
            return {"id": chat_id, "type": "private"}
        return {"id": chat_id, "type": "supergroup", "title": forum.title, "is_forum": True}

    def _forum(self, params: dict[str, Any]) -> Forum:
        core: BotApiCore = self  # type: ignore[assignment]
        chat_id = core._chat(params)
        forum = self.forums.get(chat_id)
        if forum is None:
            from sandbox.botapi import ApiError

            raise ApiError(400, "Bad Request: the chat is not a forum")
        return forum

    def _topic(self, chat_id: int, thread_id: int) -> Topic:
        from sandbox.botapi import ApiError

        forum = self.forums.get(chat_id)
        topic = forum.topics.get(thread_id) if forum else None
        if topic is None or topic.deleted:
            raise ApiError(400, "Bad Request: message thread not found")
        return topic

    def _manage(self, forum: Forum) -> None:
        from sandbox.botapi import ApiError

        if not forum.bot_can_manage_topics:
            raise ApiError(400, "Bad Request: not enough rights to manage topics")

    def thread_for(self, params: dict[str, Any], chat_id: int) -> int | None:
        """The topic a send goes to, checked as Telegram checks it."""
        from sandbox.botapi import ApiError

        raw = params.get("message_thread_id")
        if raw is None or chat_id not in self.forums:
            return None
        topic = self._topic(chat_id, int(raw))
        if topic.closed and not self.forums[chat_id].bot_can_manage_topics:
            raise ApiError(400, "Bad Request: TOPIC_CLOSED")
        return topic.thread_id

    # -- the methods -------------------------------------------------------------------------
    def _m_createForumTopic(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        from sandbox.botapi import ApiError

        forum = self._forum(params)
        self._manage(forum)
        name = str(params.get("name") or "")
        if not 1 <= len(name) <= 128:
            raise ApiError(
                400,
                "Bad Request: TOPIC_TITLE_EMPTY"
                if not name
                else "Bad Request: TOPIC_TITLE_TOO_LONG",
            )
        core: BotApiCore = self  # type: ignore[assignment]
        service = core._store(forum.chat_id, "service", text=name)
        colour = int(params.get("icon_color") or TOPIC_ICON_COLOURS[len(forum.topics) % 6])
        topic = Topic(service.message_id, name, colour, params.get("icon_custom_emoji_id"))
        service.extra = {"message_thread_id": topic.thread_id, "forum_topic_created": True}
        forum.topics[topic.thread_id] = topic
        return {"message_thread_id": topic.thread_id, "name": name, "icon_color": colour}

    def _m_editForumTopic(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        from sandbox.botapi import ApiError

        forum = self._forum(params)
        self._manage(forum)
        topic = self._topic(forum.chat_id, int(params.get("message_thread_id") or 0))
        name = params.get("name")
        emoji = params.get("icon_custom_emoji_id")
        if (name is None or name == topic.name) and (
            emoji is None or emoji == topic.icon_custom_emoji_id
        ):
            raise ApiError(400, "Bad Request: TOPIC_NOT_MODIFIED")
        if name is not None:
            if not 1 <= len(str(name)) <= 128:
                raise ApiError(400, "Bad Request: TOPIC_TITLE_TOO_LONG")
            topic.name = str(name)
        if emoji is not None:
            topic.icon_custom_emoji_id = str(emoji) or None
        return True

    def _closing(self, params: dict[str, Any], closed: bool) -> Any:
        from sandbox.botapi import ApiError

        forum = self._forum(params)
        self._manage(forum)
        topic = self._topic(forum.chat_id, int(params.get("message_thread_id") or 0))
        if topic.closed == closed:
            raise ApiError(400, "Bad Request: TOPIC_NOT_MODIFIED")
        topic.closed = closed
        return True

    def _m_closeForumTopic(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return self._closing(params, True)

    def _m_reopenForumTopic(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return self._closing(params, False)

    def _m_deleteForumTopic(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        forum = self._forum(params)
        self._manage(forum)
        self.delete_topic(forum.chat_id, int(params.get("message_thread_id") or 0))
        return True

    def _m_pinChatMessage(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        core: BotApiCore = self  # type: ignore[assignment]
        message = core._find(params)
        forum = self.forums.get(message.chat_id)
        if forum is not None:
            forum.pinned.add(message.message_id)
        message.extra["pinned"] = True
        return True

    def _m_copyMessage(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        from sandbox.botapi import ApiError

        core: BotApiCore = self  # type: ignore[assignment]
        chat_id = core._chat(params)
        source = self.member_messages.get(
            (int(params.get("from_chat_id") or 0), int(params.get("message_id") or 0))
        )
        if source is None:
            raise ApiError(400, "Bad Request: message to copy not found")
        thread = self.thread_for(params, chat_id)
        extra = {"message_thread_id": thread} if thread is not None else {}
        if "photo" in source:
            largest = source["photo"][-1]
            message = core._store(
                chat_id,
                "photo",
                text=str(source.get("caption") or ""),
                media=[{"file_id": largest["file_id"]}],
                extra=extra,
            )
        elif "text" in source:
            message = core._store(chat_id, "text", text=str(source["text"]), extra=extra)
        else:
            message = core._store(chat_id, "media", text="", extra={**extra, "copied": source})
        return {"message_id": message.message_id}

    def _m_copyMessages(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        """Several messages copied at once, in order (an album stays an album)."""
        ids = [int(i) for i in params.get("message_ids") or []]
        if not 1 <= len(ids) <= 100:
            from sandbox.botapi import ApiError

            raise ApiError(400, "Bad Request: too many messages to copy")
        return [
            self._m_copyMessage({**params, "message_id": message_id}, files)
            for message_id in sorted(ids)
        ]
