"""What the steps of a complaint share: the conversation's states, its draft, and how a
step ends (done, or beaten by another manager)."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import ConversationHandler

from bot.context import AppContext
from dispatch.complaints import ComplaintMoved
from dispatch.errors import ConcurrentUpdate, DomainError
from handlers.cases import show_case
from handlers.common import chat_draft, drop_chat_draft, say

__all__ = [
    "COMPENSATION",
    "DRAFT",
    "DUE",
    "OWNER",
    "PREVIEW",
    "REWRITE",
    "SEND",
    "SUBMIT",
    "TYPING",
    "draft",
    "end",
    "moved",
]

TYPING, PREVIEW, OWNER, DUE, COMPENSATION, SUBMIT = (
    "casework:typing",
    "casework:preview",
    "casework:owner",
    "casework:due",
    "casework:compensation",
    "casework:submit",
)
DRAFT = "casework"
SEND, REWRITE = "ck:send", "ck:rewrite"


def draft(context: AppContext) -> dict[str, Any]:
    """The step being written in this chat (its ticket, step, text; its topic in the
    staff group)."""
    return chat_draft(context, DRAFT)


async def moved(update: Update, context: AppContext, error: DomainError) -> int:
    """Another manager was quicker, or the case closed: say so and show where it is."""
    query = update.callback_query
    text = (
        context.t("Someone changed this complaint at the same moment; here it is now.")
        if isinstance(error, (ComplaintMoved, ConcurrentUpdate))
        else context.t("This complaint can no longer take that step.")
    )
    if query is not None:
        await query.answer(text, show_alert=True)
    else:
        await say(update, context, text)
    current = draft(context)
    if current.get("ticket"):
        await show_case(update, context, int(current["ticket"]))
    drop_chat_draft(context, DRAFT)
    return ConversationHandler.END


async def end(context: AppContext) -> int:
    drop_chat_draft(context, DRAFT)
    return ConversationHandler.END
