"""The fake Bot API runs forum topics as Telegram does, so that the staff group's code
meets the same answers and errors there as it will in a real group."""

from __future__ import annotations

import pytest

from sandbox.botapi import ApiError, BotApiCore

GROUP = -100_555


def _api(**kwargs: object) -> BotApiCore:
    api = BotApiCore(now=lambda: 1_800_000_000.0, **kwargs)  # type: ignore[arg-type]
    api.add_forum(GROUP, "Service desk staff")
    return api


def _call(api: BotApiCore, method: str, **params: object) -> object:
    return api.handle(method, dict(params), {})


def test_a_topic_is_created_written_to_renamed_closed_and_reopened() -> None:
    api = _api()
    topic = _call(api, "createForumTopic", chat_id=GROUP, name="C-20261127-0003 · 投诉 · 王")
    assert isinstance(topic, dict)
    thread = topic["message_thread_id"]
    sent = _call(api, "sendMessage", chat_id=GROUP, message_thread_id=thread, text="card")
    assert isinstance(sent, dict)
    assert sent["message_thread_id"] == thread and sent["is_topic_message"] is True
    assert sent["chat"] == {
        "id": GROUP,
        "type": "supergroup",
        "title": "Service desk staff",
        "is_forum": True,
    }
    assert _call(api, "pinChatMessage", chat_id=GROUP, message_id=sent["message_id"]) is True
    assert api.forums[GROUP].pinned == {sent["message_id"]}
    _call(api, "editForumTopic", chat_id=GROUP, message_thread_id=thread, name="renamed")
    assert api.forums[GROUP].topics[thread].name == "renamed"
    with pytest.raises(ApiError, match="TOPIC_NOT_MODIFIED"):
        _call(api, "editForumTopic", chat_id=GROUP, message_thread_id=thread, name="renamed")
    _call(api, "closeForumTopic", chat_id=GROUP, message_thread_id=thread)
    with pytest.raises(ApiError, match="TOPIC_NOT_MODIFIED"):
        _call(api, "closeForumTopic", chat_id=GROUP, message_thread_id=thread)
    # The bot manages topics, so it may still write in a closed one.
    _call(api, "sendMessage", chat_id=GROUP, message_thread_id=thread, text="note")
    _call(api, "reopenForumTopic", chat_id=GROUP, message_thread_id=thread)
    assert not api.forums[GROUP].topics[thread].closed


def test_deleted_and_closed_topics_refuse_as_telegram_does() -> None:
    api = _api()
    thread = _call(api, "createForumTopic", chat_id=GROUP, name="Q-1")["message_thread_id"]  # type: ignore[index]
    api.delete_topic(GROUP, thread)
    with pytest.raises(ApiError, match="message thread not found"):
        _call(api, "sendMessage", chat_id=GROUP, message_thread_id=thread, text="x")
    api.forums[GROUP].bot_can_manage_topics = False
    with pytest.raises(ApiError, match="not enough rights"):
        _call(api, "createForumTopic", chat_id=GROUP, name="R-1")
    api.forums[GROUP].bot_can_manage_topics = True
    other = _call(api, "createForumTopic", chat_id=GROUP, name="R-1")["message_thread_id"]  # type: ignore[index]
    _call(api, "closeForumTopic", chat_id=GROUP, message_thread_id=other)
    api.forums[GROUP].bot_can_manage_topics = False
    with pytest.raises(ApiError, match="TOPIC_CLOSED"):
        _call(api, "sendMessage", chat_id=GROUP, message_thread_id=other, text="x")
    with pytest.raises(ApiError, match="not a forum"):
        _call(api, "createForumTopic", chat_id=12345, name="private chats have no topics")


def test_a_members_message_is_copied_into_a_topic() -> None:
    api = _api()
    thread = _call(api, "createForumTopic", chat_id=GROUP, name="C-1")["message_thread_id"]  # type: ignore[index]
    api.remember(42, {"message_id": 7, "text": "The floor is still scratched."})
    copied = _call(
        api, "copyMessage", chat_id=GROUP, from_chat_id=42, message_id=7, message_thread_id=thread
    )
    assert isinstance(copied, dict)
    [message] = [m for m in api.messages[GROUP] if m.message_id == copied["message_id"]]
    assert message.text == "The floor is still scratched."
    assert message.extra["message_thread_id"] == thread
    with pytest.raises(ApiError, match="message to copy not found"):
        _call(api, "copyMessage", chat_id=GROUP, from_chat_id=42, message_id=8)


def test_a_group_takes_twenty_messages_a_minute_in_all_its_topics_topic_creation_included() -> None:
    clock = [1_800_000_000.0]
    api = BotApiCore(now=lambda: clock[0], flood_limits=True)
    api.add_forum(GROUP, "Staff")
    threads = [
        _call(api, "createForumTopic", chat_id=GROUP, name=f"T{i}")["message_thread_id"]  # type: ignore[index]
        for i in range(5)
    ]
    for i in range(15):
        _call(api, "sendMessage", chat_id=GROUP, message_thread_id=threads[i % 5], text=str(i))
    with pytest.raises(ApiError) as refused:
        _call(api, "sendMessage", chat_id=GROUP, message_thread_id=threads[0], text="one too many")
    assert refused.value.status == 429
    clock[0] += 60
    _call(api, "sendMessage", chat_id=GROUP, message_thread_id=threads[0], text="a minute later")
