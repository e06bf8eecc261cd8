"""/ask: one question for a human, acknowledged with the first-response promise."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ConversationHandler, MessageHandler

from bot.context import AppContext
from dispatch.customer import QuestionRequest, submit_question
from dispatch.errors import InvalidInput
from dispatch.intake import check_text
from dispatch.limits import TooManyRequests
from dispatch.messages import N_, At
from handlers import drafts
from handlers.common import say
from handlers.forms import TEXT, Form, Handlers, Step

__all__ = ["QuestionForm"]

QUESTION_LIMITED = N_(
    "You have sent {count} requests in the last hour, the most we take in one hour. "
    "Please send your question again after {time}."
)


class QuestionForm(Form):
    flow = "question"
    prefix = "qs"
    entry_commands = ("ask",)

    def steps(self) -> tuple[Step, ...]:
        return (Step("question", N_("Question"), self.ask_for_question, self.answers_question),)

    async def ask_for_question(
        self, update: Update, context: AppContext, draft: drafts.Draft
    ) -> None:
        await say(
            update,
            context,
            context.t(
                "What would you like to ask? Write your question in one message; a member of our staff will answer here."
            ),
        )

    def answers_question(self) -> Handlers:
        return [MessageHandler(TEXT, self._wrap(self.question_typed))]

    async def question_typed(self, update: Update, context: AppContext) -> object:
        """A question needs no review: it is sent at once, like a message to a colleague."""
        assert update.message is not None and update.message.text is not None
        try:
            question = check_text(update.message.text, minimum=5, maximum=2000)
        except InvalidInput as error:
            return await self.invalid(update, context, error, "question")
        draft = self.draft(context)
        try:
            await submit_question(
                context.services.uow,
                context.clock,
                context.services.policy,
                customer_id=context.me.id,
                intake_key=draft["key"],
                request=QuestionRequest(question),
            )
        except TooManyRequests as limited:
            await say(
                update,
                context,
                context.t(QUESTION_LIMITED, count=limited.count, time=At(limited.until)),
            )
            return self.state("question")
        drafts.discard(context, self.flow)
        return ConversationHandler.END

    def summary(self, context: AppContext, draft: drafts.Draft) -> str:
        return context.t("Your question: {question}", question=draft["data"].get("question", ""))

    async def submit(self, update: Update, context: AppContext, draft: drafts.Draft) -> object:
        return ConversationHandler.END
