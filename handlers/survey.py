"""The customer answers the follow-up survey: three ratings by button, then a comment."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, ConversationHandler, MessageHandler

from bot.context import AppContext
from dispatch.callbacks import SURVEY_RATING, SURVEY_SKIP
from dispatch.errors import InvalidInput, NotFound
from dispatch.intake import check_text
from dispatch.surveys import ITEMS, SurveyClosed, answer, buttons, comment, question
from handlers.common import clear_buttons, inline, say
from handlers.forms import ANYTHING, TEXT, Handlers

__all__ = ["SurveyAnswers"]

COMMENTING = "survey:comment"
_BY_LETTER = {item[0]: item for item in ITEMS}


class SurveyAnswers:
    def entry_points(self) -> Handlers:
        return [
            CallbackQueryHandler(self.rated, pattern=SURVEY_RATING.pattern),
            CallbackQueryHandler(self.no_comment, pattern=SURVEY_SKIP.pattern),
        ]

    def states(self) -> dict[object, Handlers]:
        return {
            COMMENTING: [
                MessageHandler(TEXT, self.commented),
                MessageHandler(ANYTHING, self.comment_hint),
            ]
        }

    async def rated(self, update: Update, context: AppContext) -> str | int:
        """Stores one rating and asks the next question in the same message."""
        query = update.callback_query
        assert query is not None
        ticket_id, letter, score = SURVEY_RATING.parse(query.data)
        assert isinstance(ticket_id, int) and isinstance(letter, str)
        item = _BY_LETTER[letter]
        try:
            result = await answer(
                context.services.uow(),
                context.clock,
                context.services.policy,
                ticket_id=ticket_id,
                customer_id=context.me.id,
                item=item,
                score=int(score),
            )
        except (SurveyClosed, NotFound):
            await query.answer(
                context.t("Thank you, we have your answers already."), show_alert=True
            )
            return ConversationHandler.END
        await query.answer()
        if result.next_item is not None:
            markup = inline(
                [(b.label, b.data or "") for b in buttons(ticket_id, result.next_item)[0]]
            )
            await query.edit_message_text(
                context.t(question(result.kind, result.next_item)), reply_markup=markup
            )
            return ConversationHandler.END
        await clear_buttons(query)
        if result.low:
            await say(
                update,
                context,
                context.t(
                    "We are sorry it was not good enough. A manager will contact you about it (complaint {complaint}).",
                    complaint=result.complaint_number or "",
                ),
            )
            context.services.wake_sender()
        assert context.user_data is not None
        context.user_data["survey"] = int(ticket_id)
        await say(
            update,
            context,
            context.t(
                "Thank you! Anything else you would like to tell us? Write it here, or tap Skip."
            ),
            inline([(context.t("Skip"), SURVEY_SKIP.data(ticket_id))]),
        )
        return COMMENTING

    async def commented(self, update: Update, context: AppContext) -> str | int:
        assert (
            update.message is not None
            and update.message.text is not None
            and context.user_data is not None
        )
        try:
            text = check_text(update.message.text, minimum=2, maximum=1000)
        except InvalidInput as error:
            await say(update, context, context.t(error.message, **error.params))
            return COMMENTING
        ticket_id = context.user_data.pop("survey", None)
        if ticket_id is not None:
            await comment(
                context.services.uow(),
                context.clock,
                ticket_id=ticket_id,
                customer_id=context.me.id,
                text=text,
            )
        await say(update, context, context.t("Thank you, your comment has been passed on."))
        return ConversationHandler.END

    async def no_comment(self, update: Update, context: AppContext) -> int:
        query = update.callback_query
        assert query is not None
        await query.answer()
        await clear_buttons(query)
        if context.user_data is not None:
            context.user_data.pop("survey", None)
        await say(update, context, context.t("Thank you for your time."))
        return ConversationHandler.END

    async def comment_hint(self, update: Update, context: AppContext) -> str:
        await say(update, context, context.t("Please write your comment as text, or tap Skip."))
        return COMMENTING
