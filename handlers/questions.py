"""Managers answer customers' questions: the ping's Answer button, the answer typed, a
preview of exactly what the customer will read, then send (in full, or more to follow)."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
)

from bot.context import AppContext
from dispatch.callbacks import QUESTION_ANSWER, QUESTION_REWRITE, QUESTION_SEND
from dispatch.errors import DomainError, InvalidInput
from dispatch.intake import check_text
from dispatch.questions import answer_question, question_to_answer
from handlers.common import clear_buttons, inline, require_manager, say
from handlers.forms import ANYTHING, TEXT
from handlers.snippets import picker_handlers, picker_row

__all__ = ["register"]

TYPING, REVIEW = "answer:typing", "answer:review"
_DRAFT = "answer"


def _draft(context: AppContext) -> dict[str, Any]:
    assert context.user_data is not None
    draft = context.user_data.setdefault(_DRAFT, {})
    assert isinstance(draft, dict)
    return draft


async def start_answer(update: Update, context: AppContext) -> str | int:
    """The ping's Answer button: which question, then the answer is asked for."""
    if not await require_manager(update, context):
        return ConversationHandler.END
    query = update.callback_query
    assert query is not None
    ticket_id = QUESTION_ANSWER.id(query.data)
    try:
        ticket = await question_to_answer(
            context.services.uow(), ticket_id=ticket_id, manager_id=context.me.id
        )
    except DomainError:
        await query.answer(context.t("This question is closed."), show_alert=True)
        return ConversationHandler.END
    await query.answer()
    _draft(context).update(ticket=ticket.id, number=ticket.number, text="")
    row = picker_row(context)
    await say(
        update,
        context,
        context.t(
            "Type your answer to {number}. The customer reads it as you write it.",
            number=ticket.number,
        ),
        inline(row) if row else None,
    )
    return TYPING


async def answer_typed(update: Update, context: AppContext) -> str:
    assert update.message is not None and update.message.text is not None
    try:
        text = check_text(update.message.text, minimum=2, maximum=3000)
    except InvalidInput as error:
        await say(update, context, context.t(error.message, **error.params))
        return TYPING
    return await _preview(update, context, text)


async def _preview(update: Update, context: AppContext, text: str) -> str:
    """What the customer will read, with the ways to send it."""
    draft = _draft(context)
    draft["text"] = text
    ticket_id = int(draft["ticket"])
    await say(
        update,
        context,
        context.t("The customer will read:") + "\n\n" + text,
        inline(
            [
                (
                    context.t("✅ Send: this answers the question"),
                    QUESTION_SEND.data("full", ticket_id),
                )
            ],
            [(context.t("📨 Send: more to follow"), QUESTION_SEND.data("part", ticket_id))],
            [(context.t("✏️ Write it again"), QUESTION_REWRITE.data(ticket_id))],
        ),
    )
    return REVIEW


async def send_answer(update: Update, context: AppContext) -> int:
    query = update.callback_query
    assert query is not None
    how, ticket_id = QUESTION_SEND.parse(query.data)
    draft = _draft(context)
    if draft.get("ticket") != ticket_id or not draft.get("text"):
        await query.answer(context.t("This button is no longer active."), show_alert=True)
        return ConversationHandler.END
    try:
        ticket = await answer_question(
            context.services.uow(),
            context.clock,
            context.services.policy,
            ticket_id=int(ticket_id),
            manager_id=context.me.id,
            text=str(draft["text"]),
            settled=how == "full",
        )
    except DomainError:
        await query.answer(context.t("This question is closed."), show_alert=True)
        return ConversationHandler.END
    await query.answer()
    await clear_buttons(query)
    assert context.user_data is not None
    context.user_data.pop(_DRAFT, None)
    await say(
        update,
        context,
        context.t("Sent to the customer of {number}.", number=ticket.number)
        if how == "full"
        else context.t(
            "Sent to the customer of {number}. Answer in full within the time limit.",
            number=ticket.number,
        ),
    )
    context.services.wake_sender()
    return ConversationHandler.END


async def rewrite(update: Update, context: AppContext) -> str:
    query = update.callback_query
    assert query is not None
    await query.answer()
    await clear_buttons(query)
    await say(update, context, context.t("Type the answer again."))
    return TYPING


async def hint(update: Update, context: AppContext) -> str | None:
    await say(
        update,
        context,
        context.t("Please type the answer, or send /cancel to stop (nothing is sent)."),
    )
    return None


async def cancel(update: Update, context: AppContext) -> int:
    assert context.user_data is not None
    context.user_data.pop(_DRAFT, None)
    await say(update, context, context.t("Stopped. Nothing was sent to the customer."))
    return ConversationHandler.END


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    entry: list[BaseHandler[Any, Any, Any]] = [
        CallbackQueryHandler(start_answer, pattern=QUESTION_ANSWER.pattern)
    ]
    application.add_handler(
        ConversationHandler(
            entry_points=entry,
            states={
                TYPING: [
                    MessageHandler(TEXT, answer_typed),
                    *picker_handlers(lambda context: int(_draft(context)["ticket"]), _preview),
                ],
                REVIEW: [
                    CallbackQueryHandler(send_answer, pattern=QUESTION_SEND.pattern),
                    CallbackQueryHandler(rewrite, pattern=QUESTION_REWRITE.pattern),
                ],
            },
            fallbacks=[
                CommandHandler("cancel", cancel),
                *entry,
                MessageHandler(ANYTHING, hint),
            ],
            allow_reentry=True,
            name="answers",
            persistent=True,
        )
    )
