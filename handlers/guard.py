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


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(TypeHandler(Update, identify), group=-1)
