"""Last in group 0: whatever no feature took gets a helpful answer, never silence."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.context import AppContext
from dispatch.errors import InvalidInput
from dispatch.intake import check_text
from dispatch.model import Role
from dispatch.questions import follow_up
from handlers.common import say

__all__ = ["register"]


async def stale_button(update: Update, context: AppContext) -> None:
    """A button from an old message, or one whose step has passed."""
    assert update.callback_query is not None
    await update.callback_query.answer(
        context.t("This button is no longer active. Send /start to begin again."), show_alert=True
    )


async def unknown_command(update: Update, context: AppContext) -> None:
    await say(
        update, context, context.t("I do not know that command. Send /help to see what I can do.")
    )


async def stray_message(update: Update, context: AppContext) -> None:
    """A message outside any conversation: a customer's word on their open question joins
    it (the managers see it); anything else gets a pointer to the menu."""
    message = update.message
    if message is not None and message.text and context.user is not None:
        try:
            text = check_text(message.text, minimum=1, maximum=3000)
        except InvalidInput:
            text = ""
        joined = (
            await follow_up(
                context.services.uow(),
                context.clock,
                customer_id=context.me.id,
                text=text,
                policy=context.services.policy,
                source=(message.chat_id, (message.message_id,)),
            )
            if text and context.me.role is Role.CUSTOMER
            else None
        )
        if joined is not None:
            await say(
                update,
                context,
                context.t(
                    "Thank you, we passed it on with your question {number}.",
                    number=joined.number,
                ),
            )
            context.services.wake_sender()
            return
    await say(
        update,
        context,
        context.t("I am not sure what you mean. Send /help to see what I can do."),
    )


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(CallbackQueryHandler(stale_button))
    # New messages only: an edit (such as each move of a live location) needs no answer.
    application.add_handler(
        MessageHandler(filters.UpdateType.MESSAGE & filters.COMMAND, unknown_command)
    )
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE, stray_message))
