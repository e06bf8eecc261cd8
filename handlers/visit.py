"""The customer's side of a visit: confirm a manual check-in, sign or dispute the record."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, ConversationHandler, MessageHandler

from bot.context import AppContext
from dispatch.callbacks import ARRIVAL_ANSWER, RECORD_DISPUTE, RECORD_SHOW, RECORD_SIGN, Id
from dispatch.errors import IllegalTransition, InvalidInput, NotAllowed, NotFound
from dispatch.intake import check_text
from dispatch.records import (
    RecordSigned,
    disputable_record,
    dispute_record,
    show_record,
    sign_record,
)
from dispatch.visits import confirm_arrival
from handlers.common import clear_buttons, inline, say
from handlers.forms import ANYTHING, TEXT, Handlers

__all__ = ["VisitAnswers"]

DISPUTING = "visit:dispute"


def _ticket_id(update: Update) -> int:
    """The ticket of a sign, dispute or arrival button: its last field (dispatch.callbacks)."""
    assert update.callback_query is not None and update.callback_query.data is not None
    return Id().read(update.callback_query.data.rsplit(":", 1)[-1])


class VisitAnswers:
    def entry_points(self) -> Handlers:
        return [
            CallbackQueryHandler(self.arrival, pattern=ARRIVAL_ANSWER.pattern),
            CallbackQueryHandler(self.sign, pattern=RECORD_SIGN.pattern),
            CallbackQueryHandler(self.start_dispute, pattern=RECORD_DISPUTE.pattern),
            CallbackQueryHandler(self.back_to_record, pattern=RECORD_SHOW.pattern),
        ]

    def states(self) -> dict[object, Handlers]:
        return {
            DISPUTING: [
                MessageHandler(TEXT, self.dispute_reason),
                MessageHandler(ANYTHING, self.dispute_hint),
            ]
        }

    async def arrival(self, update: Update, context: AppContext) -> int:
        query = update.callback_query
        assert query is not None
        confirmed = ARRIVAL_ANSWER.parse(query.data)[0] == "ok"
        try:
            await confirm_arrival(
                context.services.uow(),
                context.clock,
                ticket_id=_ticket_id(update),
                customer_id=context.me.id,
                confirmed=confirmed,
            )
        except (NotFound, IllegalTransition):
            await query.answer(
                context.t("This button is no longer active. Send /start to begin again."),
                show_alert=True,
            )
            return ConversationHandler.END
        await query.answer()
        await clear_buttons(query)
        await say(
            update,
            context,
            context.t("Thank you, the technician has been told.")
            if confirmed
            else context.t("Thank you. The technician has been told that they are not there yet."),
        )
        context.services.wake_sender()
        return ConversationHandler.END

    async def sign(self, update: Update, context: AppContext) -> int:
        """Signs the record: possible only once the work is completed."""
        query = update.callback_query
        assert query is not None
        try:
            await sign_record(
                context.services.uow(),
                context.clock,
                ticket_id=_ticket_id(update),
                customer_id=context.me.id,
                policy=context.services.policy,  # schedules the follow-up survey
            )
        except RecordSigned:
            await query.answer(context.t("You have signed this record already."), show_alert=True)
            return ConversationHandler.END
        except (NotFound, IllegalTransition):
            await query.answer(
                context.t("There is nothing to sign yet: you sign after the work is done."),
                show_alert=True,
            )
            return ConversationHandler.END
        await query.answer()
        await clear_buttons(query)
        context.services.wake_sender()
        return ConversationHandler.END

    async def start_dispute(self, update: Update, context: AppContext) -> str | int:
        query = update.callback_query
        assert query is not None
        try:
            ticket = await disputable_record(
                context.services.uow(), ticket_id=_ticket_id(update), customer_id=context.me.id
            )
        except NotAllowed:
            await query.answer(
                context.t("This button is no longer active. Send /start to begin again."),
                show_alert=True,
            )
            return ConversationHandler.END
        await query.answer()
        assert context.user_data is not None
        context.user_data["disputing"] = ticket.id
        await say(
            update,
            context,
            context.t(
                "What is wrong with the record? Tell us in a few words; a manager will look into it."
            ),
            inline([(context.t("↩ Back to the record"), RECORD_SHOW.data(ticket.id))]),
        )
        return DISPUTING

    async def back_to_record(self, update: Update, context: AppContext) -> int:
        """No dispute after all: the record again, with its own buttons. Signing happens
        there, below the text it signs, never from this step."""
        query = update.callback_query
        assert query is not None and context.user_data is not None
        context.user_data.pop("disputing", None)
        try:
            await show_record(
                context.services.uow(),
                context.clock,
                context.services.policy,
                ticket_id=RECORD_SHOW.id(query.data),
                customer_id=context.me.id,
            )
        except (NotFound, NotAllowed):
            await query.answer(
                context.t("This button is no longer active. Send /start to begin again."),
                show_alert=True,
            )
            return ConversationHandler.END
        await query.answer()
        await clear_buttons(query)
        context.services.wake_sender()
        return ConversationHandler.END

    async def dispute_reason(self, update: Update, context: AppContext) -> str | int:
        assert (
            update.message is not None
            and update.message.text is not None
            and context.user_data is not None
        )
        try:
            reason = check_text(update.message.text, minimum=5, maximum=1000)
        except InvalidInput as error:
            await say(update, context, context.t(error.message, **error.params))
            return DISPUTING
        try:
            await dispute_record(
                context.services.uow(),
                context.clock,
                context.services.policy,
                ticket_id=int(context.user_data.pop("disputing")),
                customer_id=context.me.id,
                reason=reason,
            )
        except (NotFound, IllegalTransition, KeyError):
            await say(
                update,
                context,
                context.t("This button is no longer active. Send /start to begin again."),
            )
            return ConversationHandler.END
        context.services.wake_sender()
        return ConversationHandler.END

    async def dispute_hint(self, update: Update, context: AppContext) -> str:
        await say(update, context, context.t("Please describe the problem in words."))
        return DISPUTING
