"""Managers work a complaint step by step from its card (dispatch.complaints): accept and
classify with buttons; verification and resolution notes typed; the plan asked piece by
piece (what, who, by when, any compensation); what the customer will read previewed
before it is sent; a second manager approves or refuses a compensating plan."""

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
from dispatch.callbacks import (
    COMPLAINT_ACCEPT,
    COMPLAINT_CAUSE,
    COMPLAINT_SEVERITY,
    COMPLAINT_STEP,
    PLAN_APPROVE,
    PLAN_NO_COMPENSATION,
    PLAN_OWNER,
    PLAN_REFUSE,
    PLAN_SUBMIT,
)
from handlers.casework.common import (
    COMPENSATION,
    DUE,
    OWNER,
    PREVIEW,
    REWRITE,
    SEND,
    SUBMIT,
    TYPING,
    end,
)
from handlers.casework.plan import (
    amount_typed,
    approve,
    due_typed,
    no_compensation,
    owner_chosen,
    submit,
)
from handlers.casework.steps import (
    accept,
    cause_chosen,
    refuse_pressed,
    rewrite,
    send,
    severity_chosen,
    step_pressed,
    text_typed,
)
from handlers.common import say
from handlers.forms import ANYTHING, TEXT

__all__ = ["register"]


async def hint(update: Update, context: AppContext) -> None:
    await say(
        update,
        context,
        context.t("Please answer the question above, or send /cancel to stop (nothing is saved)."),
    )


async def cancel(update: Update, context: AppContext) -> int:
    await say(update, context, context.t("Stopped. Nothing was saved or sent."))
    return await end(context)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(CallbackQueryHandler(accept, pattern=COMPLAINT_ACCEPT.pattern))
    application.add_handler(
        CallbackQueryHandler(severity_chosen, pattern=COMPLAINT_SEVERITY.pattern)
    )
    application.add_handler(CallbackQueryHandler(approve, pattern=PLAN_APPROVE.pattern))
    entry: list[BaseHandler[Any, Any, Any]] = [
        CallbackQueryHandler(cause_chosen, pattern=COMPLAINT_CAUSE.pattern),
        CallbackQueryHandler(step_pressed, pattern=COMPLAINT_STEP.pattern),
        CallbackQueryHandler(refuse_pressed, pattern=PLAN_REFUSE.pattern),
    ]
    application.add_handler(
        ConversationHandler(
            entry_points=entry,
            states={
                TYPING: [MessageHandler(TEXT, text_typed)],
                PREVIEW: [
                    CallbackQueryHandler(send, pattern=f"^{SEND}$"),
                    CallbackQueryHandler(rewrite, pattern=f"^{REWRITE}$"),
                ],
                OWNER: [CallbackQueryHandler(owner_chosen, pattern=PLAN_OWNER.pattern)],
                DUE: [MessageHandler(TEXT, due_typed)],
                COMPENSATION: [
                    MessageHandler(TEXT, amount_typed),
                    CallbackQueryHandler(no_compensation, pattern=PLAN_NO_COMPENSATION.pattern),
                ],
                SUBMIT: [
                    CallbackQueryHandler(submit, pattern=PLAN_SUBMIT.pattern),
                    CallbackQueryHandler(rewrite, pattern=f"^{REWRITE}$"),
                ],
            },
            fallbacks=[CommandHandler("cancel", cancel), *entry, MessageHandler(ANYTHING, hint)],
            allow_reentry=True,
            name="casework",
            persistent=True,
        )
    )
