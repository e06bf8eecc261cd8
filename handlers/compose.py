"""A text a manager writes to a customer: typed (or picked from the saved replies),
checked, previewed exactly as the customer will read it, then sent or written again;
/cancel drops it and sends nothing. The flows that use it (an answer to a question, a
message about a case) differ only in their words and in what sending does."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
)

from bot.context import AppContext
from dispatch.errors import InvalidInput
from dispatch.intake import check_text
from handlers.common import clear_buttons, inline, say
from handlers.forms import ANYTHING, TEXT
from handlers.snippets import picker_handlers, picker_row

__all__ = ["Composer"]

Rows = list[list[tuple[str, str]]]


@dataclass(frozen=True)
class Composer:
    key: str  # where the draft lives in the manager's user_data
    typing: str  # the conversation's states
    review: str
    again: str  # msgid: asked after "write it again"
    hint: str  # msgid: anything but text while typing
    buttons: Callable[[AppContext, int], Rows]  # under the preview: the ways to send

    def draft(self, context: AppContext) -> dict[str, Any]:
        assert context.user_data is not None
        draft = context.user_data.setdefault(self.key, {})
        assert isinstance(draft, dict)
        return draft

    def drop(self, context: AppContext) -> None:
        assert context.user_data is not None
        context.user_data.pop(self.key, None)

    def ready(self, context: AppContext, ticket_id: int) -> str | None:
        """The previewed text, if the press belongs to this draft (not an old preview)."""
        draft = self.draft(context)
        text = draft.get("text")
        return str(text) if draft.get("ticket") == ticket_id and text else None

    async def start(self, update: Update, context: AppContext, ticket_id: int, prompt: str) -> str:
        self.draft(context).clear()
        self.draft(context).update(ticket=ticket_id, text="")
        row = picker_row(context)
        await say(update, context, prompt, inline(row) if row else None)
        return self.typing

    async def typed(self, update: Update, context: AppContext) -> str:
        assert update.message is not None and update.message.text is not None
        try:
            text = check_text(update.message.text, minimum=2, maximum=3000)
        except InvalidInput as error:
            await say(update, context, context.t(error.message, **error.params))
            return self.typing
        return await self.preview(update, context, text)

    async def preview(self, update: Update, context: AppContext, text: str) -> str:
        draft = self.draft(context)
        draft["text"] = text
        await say(
            update,
            context,
            context.t("The customer will read:") + "\n\n" + text,
            inline(*self.buttons(context, int(draft["ticket"]))),
        )
        return self.review

    async def rewrite(self, update: Update, context: AppContext) -> str:
        query = update.callback_query
        assert query is not None
        await query.answer()
        await clear_buttons(query)
        await say(update, context, context.t(self.again))
        return self.typing

    async def hinted(self, update: Update, context: AppContext) -> None:
        await say(update, context, context.t(self.hint))

    async def cancel(self, update: Update, context: AppContext) -> int:
        self.drop(context)
        await say(update, context, context.t("Stopped. Nothing was sent to the customer."))
        return ConversationHandler.END

    def conversation(
        self,
        *,
        name: str,
        entry: list[BaseHandler[Any, Any, Any]],
        send: BaseHandler[Any, Any, Any],
        rewrite_pattern: str,
    ) -> ConversationHandler[Any]:
        """The flow: ``entry`` starts it, the text is typed (or picked), previewed, then
        ``send`` sends it; kept across restarts."""
        return ConversationHandler(
            entry_points=entry,
            states={
                self.typing: self.typing_handlers(),
                self.review: [send, self.rewrite_handler(rewrite_pattern)],
            },
            fallbacks=[
                CommandHandler("cancel", self.cancel),
                *entry,
                MessageHandler(ANYTHING, self.hinted),
            ],
            allow_reentry=True,
            name=name,
            persistent=True,
        )

    def typing_handlers(self) -> list[BaseHandler[Any, Any, Any]]:
        return [
            MessageHandler(TEXT, self.typed),
            *picker_handlers(lambda context: int(self.draft(context)["ticket"]), self.preview),
        ]

    def rewrite_handler(self, pattern: str) -> BaseHandler[Any, Any, Any]:
        return CallbackQueryHandler(self.rewrite, pattern=pattern)
