"""Managers answer customers' questions: the ping's Answer button, the answer typed, a
preview of exactly what the customer will read, then send (in full, or more to follow)."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    ConversationHandler,
)

from bot.context import AppContext
from dispatch.callbacks import QUESTION_ANSWER, QUESTION_REWRITE, QUESTION_SEND
from dispatch.errors import DomainError
from dispatch.messages import N_
from dispatch.questions import answer_question, question_to_answer
from handlers.common import clear_buttons, require_manager, say
from handlers.compose import Composer

__all__ = ["register"]

TYPING, REVIEW = "answer:typing", "answer:review"
_DRAFT = "answer"


COMPOSER = Composer(
    key=_DRAFT,
    typing=TYPING,
    review=REVIEW,
    again=N_("Type the answer again."),
    hint=N_("Please type the answer, or send /cancel to stop (nothing is sent)."),
    buttons=lambda context, ticket_id: [
        [(context.t("✅ Send: this answers the question"), QUESTION_SEND.data("full", ticket_id))],
        [(context.t("📨 Send: more to follow"), QUESTION_SEND.data("part", ticket_id))],
        [(context.t("✏️ Write it again"), QUESTION_REWRITE.data(ticket_id))],
    ],
)


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
    return await COMPOSER.start(
        update,
        context,
        ticket.id,
        context.t(
            "Type your answer to {number}. The customer reads it as you write it.",
            number=ticket.number,
        ),
    )


async def send_answer(update: Update, context: AppContext) -> int:
    query = update.callback_query
    assert query is not None
    how, ticket_id = QUESTION_SEND.parse(query.data)
    text = COMPOSER.ready(context, int(ticket_id))
    if text is None:
        await query.answer(context.t("This button is no longer active."), show_alert=True)
        return ConversationHandler.END
    try:
        ticket = await answer_question(
            context.services.uow(),
            context.clock,
            context.services.policy,
            ticket_id=int(ticket_id),
            manager_id=context.me.id,
            text=text,
            settled=how == "full",
        )
    except DomainError:
        await query.answer(context.t("This question is closed."), show_alert=True)
        return ConversationHandler.END
    await query.answer()
    await clear_buttons(query)
    COMPOSER.drop(context)
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


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    entry: list[BaseHandler[Any, Any, Any]] = [
        CallbackQueryHandler(start_answer, pattern=QUESTION_ANSWER.pattern)
    ]
    application.add_handler(
        COMPOSER.conversation(
            name="answers",
            entry=entry,
            send=CallbackQueryHandler(send_answer, pattern=QUESTION_SEND.pattern),
            rewrite_pattern=QUESTION_REWRITE.pattern,
        )
    )
