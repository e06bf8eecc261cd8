"""Folding an update's replies into one message per step, where Telegram allows it."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from bot.replies import EvenPace, HeldCall, fold_replies

CHAT = 401
INLINE = {"inline_keyboard": [[{"text": "Skip", "callback_data": "x:skip"}]]}
CONTACT = {"keyboard": [[{"text": "📱 Share", "request_contact": True}]], "one_time_keyboard": True}
REMOVE = {"remove_keyboard": True}


def _send(text: str, stand_in: int, markup: dict[str, Any] | None = None) -> HeldCall:
    params: dict[str, Any] = {"chat_id": CHAT, "text": text}
    if markup is not None:
        params["reply_markup"] = markup
    return HeldCall("sendMessage", params, stand_in)


def test_a_confirmation_and_the_next_question_become_one_message() -> None:
    [call] = fold_replies([_send("Saved.", -1), _send("Which day?", -2, INLINE)])
    assert call.params == {"chat_id": CHAT, "text": "Saved.\n\nWhich day?", "reply_markup": INLINE}
    assert call.stand_in == -2  # later edits aim at the message with the buttons


def test_a_keyboard_removal_travels_with_the_message_and_the_buttons_follow_as_an_edit() -> None:
    send, edit = fold_replies([_send("Phone saved.", -1, REMOVE), _send("Which day?", -2, INLINE)])
    assert send.params["reply_markup"] == REMOVE and send.params["text"].endswith("Which day?")
    assert (edit.method, edit.params["message_id"], edit.params["reply_markup"]) == (
        "editMessageReplyMarkup",
        send.stand_in,
        INLINE,
    )


def test_a_reply_keyboard_and_buttons_under_the_text_stay_two_messages() -> None:
    calls = fold_replies(
        [_send("Share your phone.", -1, CONTACT), _send("Or this one:", -2, INLINE)]
    )
    assert [c.params["text"] for c in calls] == ["Share your phone.", "Or this one:"]


def test_buttons_never_end_up_above_later_text() -> None:
    calls = fold_replies([_send("Photos: 1 [Done]", -1, INLINE), _send("Too many photos.", -2)])
    assert len(calls) == 2


def test_texts_past_telegrams_limit_are_not_joined() -> None:
    calls = fold_replies([_send("a" * 3000, -1), _send("b" * 1200, -2)])
    assert len(calls) == 2


def test_an_edit_of_a_folded_message_is_aimed_at_the_message_that_remains() -> None:
    calls = fold_replies(
        [
            _send("Sorry.", -1),
            _send("Photos: 1", -2),
            HeldCall("editMessageText", {"chat_id": CHAT, "message_id": -2, "text": "x"}),
        ]
    )
    assert [c.method for c in calls] == ["sendMessage", "editMessageText"]
    assert calls[1].params["message_id"] == calls[0].stand_in == -1


async def test_messages_go_evenly_never_more_than_telegram_counts_in_a_second() -> None:
    """A burst of 100 sends: each second (any second, as Telegram counts) holds at most
    29, and the burst takes as long as that rate says, not less."""
    now = [0.0]
    sent: list[float] = []

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    pace = EvenPace(monotonic=lambda: now[0], sleep=sleep)
    for _ in range(100):
        await pace.turn()
        sent.append(now[0])
    assert all(later - earlier >= 1 / 29 - 1e-9 for earlier, later in itertools.pairwise(sent))
    assert max(sum(1 for t in sent if start <= t < start + 1 - 1e-9) for start in sent) == 29
    assert sent[-1] == pytest.approx(99 / 29)
