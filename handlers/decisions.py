"""Managers decide returns and exchanges from the ping: Approve at once, or Refuse with a
reason typed for the customer."""

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
from dispatch.callbacks import RETURN_APPROVE, RETURN_NEXT, RETURN_REFUSE
from dispatch.decisions import advance_return, decide_return, return_to_decide
from dispatch.errors import DomainError, InvalidInput
from dispatch.intake import check_text
from handlers.common import (
    chat_draft,
    clear_buttons,
    drop_chat_draft,
    for_whom,
    require_manager,
    say,
    topic_of,
)
from handlers.forms import ANYTHING, TEXT

__all__ = ["register"]

REFUSING = "return:refusing"
DRAFT = "refusal"


async def approve(update: Update, context: AppContext) -> None:
    if not await require_manager(update, context):
        return
    query = update.callback_query
    assert query is not None
    try:
        ticket = await decide_return(
            context.services.uow(),
            context.clock,
            context.services.policy,
            ticket_id=RETURN_APPROVE.id(query.data),
            manager_id=context.me.id,
            approve=True,
        )
    except DomainError:
        await query.answer(context.t("This request was decided already."), show_alert=True)
        return
    await query.answer()
    await clear_buttons(query)
    await say(
        update,
        context,
        context.t(
            "Approved: {number}. The customer has been told how to send the goods back.",
            number=ticket.number,
        ),
    )
    context.services.wake_sender()


async def start_refusal(update: Update, context: AppContext) -> str | int:
    if not await require_manager(update, context):
        return ConversationHandler.END
    query = update.callback_query
    assert query is not None
    try:
        ticket = await return_to_decide(
            context.services.uow(),
            ticket_id=RETURN_REFUSE.id(query.data),
            manager_id=context.me.id,
        )
    except DomainError:
        await query.answer(context.t("This request was decided already."), show_alert=True)
        return ConversationHandler.END
    await query.answer()
    thread = topic_of(update)
    chat_draft(context, DRAFT).update(ticket=ticket.id, thread=thread)
    prompt = context.t(
        "Why is {number} refused? The customer reads your reason as you write it.",
        number=ticket.number,
    )
    await say(update, context, for_whom(context, thread, prompt))
    return REFUSING


async def reason_typed(update: Update, context: AppContext) -> str | int:
    assert update.message is not None and update.message.text is not None
    try:
        reason = check_text(update.message.text, minimum=5, maximum=1000)
    except InvalidInput as error:
        await say(update, context, context.t(error.message, **error.params))
        return REFUSING
    try:
        ticket = await decide_return(
            context.services.uow(),
            context.clock,
            context.services.policy,
            ticket_id=int(chat_draft(context, DRAFT)["ticket"]),
            manager_id=context.me.id,
            approve=False,
            reason=reason,
        )
    except (DomainError, KeyError):
        await say(update, context, context.t("This request was decided already."))
        drop_chat_draft(context, DRAFT)
        return ConversationHandler.END
    drop_chat_draft(context, DRAFT)
    await say(
        update,
        context,
        context.t("Refused: {number}. The customer has been told why.", number=ticket.number),
    )
    context.services.wake_sender()
    return ConversationHandler.END


async def next_step(update: Update, context: AppContext) -> None:
    """Goods received, then refund or exchange done: one button each on the case card."""
    if not await require_manager(update, context):
        return
    query = update.callback_query
    assert query is not None
    try:
        ticket = await advance_return(
            context.services.uow(),
            context.clock,
            context.services.policy,
            ticket_id=RETURN_NEXT.id(query.data),
            manager_id=context.me.id,
        )
    except DomainError:
        await query.answer(context.t("This step was recorded already."), show_alert=True)
        return
    await query.answer()
    await clear_buttons(query)
    await say(
        update,
        context,
        context.t(
            "Goods received for {number}; the customer has been told when to expect the refund or exchange.",
            number=ticket.number,
        )
        if ticket.status == "received"
        else context.t(
            "Refund or exchange done: {number} is closed and the customer has been told.",
            number=ticket.number,
        ),
    )
    context.services.wake_sender()


async def hint(update: Update, context: AppContext) -> None:
    await say(
        update,
        context,
        context.t("Please type the reason, or send /cancel to stop (nothing is sent)."),
    )


async def cancel(update: Update, context: AppContext) -> int:
    drop_chat_draft(context, DRAFT)
    await say(update, context, context.t("Stopped. Nothing was sent to the customer."))
    return ConversationHandler.END


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    entry: list[BaseHandler[Any, Any, Any]] = [
        CallbackQueryHandler(start_refusal, pattern=RETURN_REFUSE.pattern)
    ]
    application.add_handler(
        ConversationHandler(
            entry_points=entry,
            states={REFUSING: [MessageHandler(TEXT, reason_typed)]},
            fallbacks=[
                CommandHandler("cancel", cancel),
                *entry,
                MessageHandler(ANYTHING, hint),
            ],
            allow_reentry=True,
            name="decisions",
            persistent=True,
        )
    )
    application.add_handler(CallbackQueryHandler(approve, pattern=RETURN_APPROVE.pattern))
    application.add_handler(CallbackQueryHandler(next_step, pattern=RETURN_NEXT.pattern))
