"""Group -1: drop redelivered updates, and know who is acting before any feature runs."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from bot.context import AppContext
from bot.replies import CURRENT_UPDATE
from dispatch.errors import DuplicateRequest
from dispatch.services import register_user

__all__ = ["register"]


async def identify(update: Update, context: AppContext) -> None:
    """Records the update id and the acting user; stops duplicates and non-private chats."""
    services = context.services
    user = update.effective_user
    chat = update.effective_chat
    if user is None or user.is_bot or (chat is not None and chat.type != chat.PRIVATE):
        raise ApplicationHandlerStop  # the desk works in private chats only
    # The user found or made; an update handled to the end before is a duplicate.
    work = CURRENT_UPDATE.get()
    try:
        registration = await register_user(
            services.uow(),
            services.clock,
            telegram_id=user.id,
            display_name=user.full_name,
            username=user.username,
            telegram_language=user.language_code,
            manager_ids=services.settings.desk.managers,
            request_id=update.update_id,
        )
    except DuplicateRequest:
        if work is not None:
            work.duplicate = True
        raise ApplicationHandlerStop from None  # handled before: Telegram delivered it twice
    context.user = registration.user
    if work is not None:
        work.user_id = registration.user.id
    if _rest_of_a_split_text(update, context):
        raise ApplicationHandlerStop  # answered with its first part


# Telegram's longest text message; a client splits a longer text into several messages,
# sent within the same second or two.
TELEGRAM_MAX_TEXT = 4096
SPLIT_WINDOW_SECONDS = 3
_SPLIT = "split_text_at"


def _rest_of_a_split_text(update: Update, context: AppContext) -> bool:
    """True for the second and later parts of a text Telegram split: the first part was
    answered (no answer takes 4096 characters, so it was refused as too long) and the
    rest must not be read as the answer to the next question."""
    message = update.message
    if message is None or message.text is None or context.user_data is None:
        return False
    sent = message.date.timestamp()
    previous = context.user_data.get(_SPLIT)
    is_rest = (
        previous is not None
        and 0 <= sent - previous <= SPLIT_WINDOW_SECONDS
        and not message.text.startswith("/")
    )
    if len(message.text) >= TELEGRAM_MAX_TEXT:
        context.user_data[_SPLIT] = sent  # more may follow
    elif previous is not None:
        del context.user_data[_SPLIT]
    return is_rest


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(TypeHandler(Update, identify), group=-1)
