"""The engine of the customer's intake flows: ordered questions, a review screen, resume.

A :class:`Form` asks its steps in order, keeps every answer in the flow's draft,
shows a review with an Edit button per step, and submits on Confirm. Editing a
step asks it again and comes back to the review. Anything the current step
cannot use gets the question again, with a short note; nothing entered is lost.

Shared steps live here too: photos (up to 5, albums welcome) and the phone number.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, partial
from typing import Any

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import AppContext
from dispatch.customer import Photo
from dispatch.errors import InvalidInput
from dispatch.intake import MAX_PHOTOS
from dispatch.limits import TooManyRequests
from dispatch.messages import At
from handlers import drafts
from handlers.common import (
    clear_buttons,
    contact_phone,
    inline,
    read_phone,
    require_customer,
    say,
)

__all__ = ["ANYTHING", "Form", "Step"]

# What a step answers: new messages only. An edit reaches a conversation only as a
# technician's live location moving (the guard lets those through for the location
# handlers); no typed step may read it as an answer.
ANYTHING = filters.UpdateType.MESSAGE & ~filters.COMMAND
TEXT = filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND

Handlers = list[BaseHandler[Any, Any, Any]]


@dataclass(frozen=True)
class Step:
    """One question of a form: its name (kept in the draft), the label of its Edit button
    on the review, how it is asked, and the handlers that take its answers."""

    name: str
    label: str
    ask: Callable[[Update, AppContext, drafts.Draft], Awaitable[None]]
    answers: Callable[[], Handlers]


class Form:
    flow: str = ""
    prefix: str = ""
    entry_commands: tuple[str, ...] = ()

    # -- to be provided by each flow ------------------------------------------------------
    def steps(self) -> tuple[Step, ...]:
        """The questions, in the order they are asked."""
        raise NotImplementedError

    def summary(self, context: AppContext, draft: drafts.Draft) -> str:
        raise NotImplementedError

    async def submit(self, update: Update, context: AppContext, draft: drafts.Draft) -> object:
        raise NotImplementedError

    def label(self, context: AppContext, step: Step) -> str:
        """The Edit button of ``step`` on the review; a form serving two kinds may vary it."""
        return step.label

    def draft_flow(self, context: AppContext) -> str:
        """The draft's name; a form that serves two kinds (repair / installation) overrides it."""
        return self.flow

    # -- the engine -----------------------------------------------------------------------
    @cached_property
    def _steps(self) -> dict[str, Step]:
        return {step.name: step for step in self.steps()}

    @property
    def order(self) -> tuple[str, ...]:
        return tuple(self._steps)

    def state(self, step: str) -> str:
        return f"{self.flow}:{step}"

    def draft(self, context: AppContext) -> drafts.Draft:
        draft = drafts.find(context, self.draft_flow(context))
        assert draft is not None, "steps run only with a draft (see drafts.step)"
        return draft

    def data(self, context: AppContext) -> dict[str, Any]:
        data = self.draft(context)["data"]
        assert isinstance(data, dict)
        return data

    async def ask(self, update: Update, context: AppContext, step: str) -> str:
        draft = self.draft(context)
        draft["at"] = step
        await self._steps[step].ask(update, context, draft)
        return self.state(step)

    async def answered(self, update: Update, context: AppContext, step: str) -> str:
        """Move on after a valid answer: the next step, or back to the review when editing."""
        draft = self.draft(context)
        position = self.order.index(step)
        if draft.get("editing") or position == len(self.order) - 1:
            return await self.review(update, context)
        return await self.ask(update, context, self.order[position + 1])

    async def review(self, update: Update, context: AppContext) -> str:
        draft = self.draft(context)
        draft["at"] = "review"
        draft["editing"] = False
        labels = [
            (context.t(self.label(context, step)), f"{self.prefix}:edit:{step.name}")
            for step in self._steps.values()
        ]
        rows = [labels[i : i + 2] for i in range(0, len(labels), 2)]
        rows.append([(context.t("✅ Confirm and send"), f"{self.prefix}:confirm")])
        rows.append([(context.t("🗑 Discard"), f"{self.prefix}:discard")])
        await say(update, context, self.summary(context, draft), ReplyKeyboardRemove())
        await say(
            update,
            context,
            context.t("Is everything right? Tap a button to change it, or confirm."),
            inline(*rows),
        )
        return self.state("review")

    async def begin(self, update: Update, context: AppContext) -> str | int:
        """Entry: a fresh draft, or the choice to continue the unfinished one."""
        if not await require_customer(update, context):
            return ConversationHandler.END
        flow = self.draft_flow(context)
        draft = drafts.find(context, flow)
        if draft is not None and not drafts.expired(context, draft) and draft["data"]:
            await say(
                update,
                context,
                context.t(
                    "You have an unfinished {request} from {started}. Continue where you left off, or start over?",
                    request=context.t(drafts.FLOW_NAMES[flow]),
                    started=At(datetime.fromisoformat(draft["started"])),
                ),
                inline(
                    [(context.t("▶️ Continue"), f"{self.prefix}:resume:go")],
                    [(context.t("🔄 Start over"), f"{self.prefix}:resume:new")],
                ),
            )
            return self.state("resume")
        drafts.start(context, flow)
        self.on_start(context)
        return await self.ask(update, context, self.order[0])

    def on_start(self, context: AppContext) -> None:
        """Hook for a new draft (e.g. remember repair or installation)."""

    async def _resume(self, update: Update, context: AppContext) -> object:
        query = update.callback_query
        assert query is not None and query.data is not None
        await query.answer()
        await clear_buttons(query)
        if query.data.endswith(":new"):
            drafts.start(context, self.draft_flow(context))
            self.on_start(context)
            return await self.ask(update, context, self.order[0])
        at = self.draft(context).get("at", self.order[0])
        if at == "review" or at not in self.order:
            return await self.review(update, context)
        return await self.ask(update, context, at)

    async def _edit(self, update: Update, context: AppContext) -> object:
        query = update.callback_query
        assert query is not None and query.data is not None
        step = query.data.rsplit(":", 1)[-1]
        await query.answer()
        if step not in self.order:
            return self.state("review")
        await clear_buttons(query)
        self.draft(context)["editing"] = True
        return await self.ask(update, context, step)

    async def _confirm(self, update: Update, context: AppContext) -> object:
        query = update.callback_query
        assert query is not None
        await query.answer()
        await clear_buttons(query)
        try:
            result = await self.submit(update, context, self.draft(context))
        except TooManyRequests as limited:  # the draft is kept, with its Confirm button
            await say(update, context, context.t(limited.message, **limited.params))
            return await self.review(update, context)
        drafts.discard(context, self.draft_flow(context))
        return result

    async def _discard(self, update: Update, context: AppContext) -> object:
        query = update.callback_query
        assert query is not None
        await query.answer()
        await query.edit_message_text(
            context.t("Discarded. Nothing was sent. Send /help to see what else I can do.")
        )
        drafts.discard(context, self.draft_flow(context))
        return ConversationHandler.END

    async def _reask(self, step: str, update: Update, context: AppContext) -> str:
        if update.callback_query:
            await update.callback_query.answer(
                context.t("That button belongs to an earlier question.")
            )
        else:
            await say(update, context, context.t("Sorry, I cannot use that here."))
        return await self.ask(update, context, step)

    def _wrap(
        self, callback: Callable[..., Awaitable[object]]
    ) -> Callable[[Update, AppContext], Coroutine[Any, Any, object]]:
        async def run(update: Update, context: AppContext) -> object:
            flow = self.draft_flow(context)
            return await drafts.step(flow)(callback)(update, context)

        return run

    def entry_points(self) -> Handlers:
        from telegram.ext import CommandHandler

        return [CommandHandler(command, self.begin) for command in self.entry_commands]

    def states(self) -> dict[object, Handlers]:
        p = self.prefix
        states: dict[object, Handlers] = {}
        for step in self.order:
            states[self.state(step)] = [
                *self._steps[step].answers(),
                MessageHandler(ANYTHING, self._wrap(partial(self._reask, step))),
                CallbackQueryHandler(self._wrap(partial(self._reask, step)), pattern=rf"^{p}:"),
            ]
        states[self.state("review")] = [
            CallbackQueryHandler(self._wrap(self._edit), pattern=rf"^{p}:edit:"),
            CallbackQueryHandler(self._wrap(self._confirm), pattern=rf"^{p}:confirm$"),
            CallbackQueryHandler(self._wrap(self._discard), pattern=rf"^{p}:discard$"),
            MessageHandler(ANYTHING, self._wrap(self._review_again)),
        ]
        states[self.state("resume")] = [
            CallbackQueryHandler(self._wrap(self._resume), pattern=rf"^{p}:resume:(go|new)$"),
            MessageHandler(ANYTHING, self._wrap(self._resume_hint)),
        ]
        return states

    async def _review_again(self, update: Update, context: AppContext) -> str:
        await say(update, context, context.t("Please use the buttons: change a part, or confirm."))
        return await self.review(update, context)

    async def _resume_hint(self, update: Update, context: AppContext) -> str:
        await say(update, context, context.t("Please choose: continue or start over."))
        return self.state("resume")

    # -- shared step: photos --------------------------------------------------------------
    async def ask_photos(self, update: Update, context: AppContext, prompt: str) -> None:
        data = self.data(context)
        data.setdefault("photos", [])
        data.pop("photo_status", None)
        await say(
            update,
            context,
            prompt,
            inline([(context.t("No photos, continue"), f"{self.prefix}:photos:done")]),
        )

    def photo_handlers(self, step: str) -> Handlers:
        p = self.prefix
        return [
            MessageHandler(filters.PHOTO, self._wrap(partial(self._photo, step))),
            MessageHandler(
                filters.Document.IMAGE | filters.Document.PDF,
                self._wrap(partial(self._photo, step)),
            ),
            CallbackQueryHandler(
                self._wrap(partial(self._photos_done, step)), pattern=rf"^{p}:photos:done$"
            ),
        ]

    async def _photo(self, step: str, update: Update, context: AppContext) -> str:
        """Keeps the photo; one status message, edited as more arrive, counts them."""
        message = update.message
        assert message is not None
        data = self.data(context)
        photos: list[dict[str, str]] = data.setdefault("photos", [])
        if message.photo:
            biggest = message.photo[-1]
            item = {"file_id": biggest.file_id, "unique": biggest.file_unique_id, "type": "photo"}
        else:
            assert message.document is not None
            item = {
                "file_id": message.document.file_id,
                "unique": message.document.file_unique_id,
                "type": "document",
            }
        if len(photos) >= MAX_PHOTOS:
            if not data.get("photo_overflow_told"):
                data["photo_overflow_told"] = True
                await say(
                    update,
                    context,
                    context.t(
                        "You can send at most {max} photos; the first {max} are kept.",
                        max=MAX_PHOTOS,
                    ),
                )
            return self.state(step)
        if item["unique"] not in {p["unique"] for p in photos}:
            photos.append(item)
        text = context.t(
            "Photos received: {count} of at most {max}.", count=len(photos), max=MAX_PHOTOS
        )
        markup = inline([(context.t("Done"), f"{self.prefix}:photos:done")])
        status = data.get("photo_status")
        chat = update.effective_chat
        assert chat is not None
        if status:
            await context.bot.edit_message_text(
                text, chat_id=chat.id, message_id=status, reply_markup=markup
            )
        else:
            sent = await context.bot.send_message(chat.id, text, reply_markup=markup)
            data["photo_status"] = sent.message_id
        return self.state(step)

    async def _photos_done(self, step: str, update: Update, context: AppContext) -> str:
        query = update.callback_query
        assert query is not None
        await query.answer()
        await clear_buttons(query)
        data = self.data(context)
        data.pop("photo_status", None)
        data.pop("photo_overflow_told", None)
        return await self.answered(update, context, step)

    @staticmethod
    def photos_of(data: dict[str, Any]) -> tuple[Photo, ...]:
        return tuple(
            Photo(p["file_id"], p["unique"], p.get("type", "photo")) for p in data.get("photos", [])
        )

    # -- shared step: phone ---------------------------------------------------------------
    async def ask_phone(self, update: Update, context: AppContext) -> None:
        keyboard = ReplyKeyboardMarkup(
            [[KeyboardButton(context.t("📱 Share my phone number"), request_contact=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
        await say(
            update,
            context,
            context.t(
                "Which phone number can we call you on? Press the button to share it, or type it."
            ),
            keyboard,
        )
        known = self.data(context).get("phone") or context.me.phone
        if known:
            await say(
                update,
                context,
                context.t("Or use the number you gave before:"),
                inline([(known, f"{self.prefix}:phone:known")]),
            )

    def phone_handlers(self, step: str) -> Handlers:
        return [
            MessageHandler(filters.CONTACT, self._wrap(partial(self._phone_contact, step))),
            MessageHandler(TEXT, self._wrap(partial(self._phone_typed, step))),
            CallbackQueryHandler(
                self._wrap(partial(self._phone_known, step)),
                pattern=rf"^{self.prefix}:phone:known$",
            ),
        ]

    async def _phone_contact(self, step: str, update: Update, context: AppContext) -> str:
        assert update.message is not None and update.message.contact is not None
        contact = update.message.contact
        phone = contact_phone(context, contact.phone_number)
        self.data(context)["phone"] = phone
        await say(
            update,
            context,
            context.t("Phone number saved: {phone}", phone=phone),
            ReplyKeyboardRemove(),
        )
        return await self.answered(update, context, step)

    async def _phone_typed(self, step: str, update: Update, context: AppContext) -> str:
        assert update.message is not None and update.message.text is not None
        phone = read_phone(context, update.message.text)
        if phone is None:
            await say(
                update,
                context,
                context.t(
                    "That does not look like a phone number. Please type it with the area or country code (for example +86 138 0013 8000), or press the button."
                ),
            )
            return self.state(step)
        self.data(context)["phone"] = phone
        await say(
            update,
            context,
            context.t("Phone number saved: {phone}", phone=phone),
            ReplyKeyboardRemove(),
        )
        return await self.answered(update, context, step)

    async def _phone_known(self, step: str, update: Update, context: AppContext) -> str:
        query = update.callback_query
        assert query is not None
        await query.answer()
        await clear_buttons(query)
        data = self.data(context)
        data["phone"] = data.get("phone") or context.me.phone
        await say(
            update,
            context,
            context.t("Phone number saved: {phone}", phone=data["phone"]),
            ReplyKeyboardRemove(),
        )
        return await self.answered(update, context, step)

    # -- shared: text answers with limits -------------------------------------------------
    async def invalid(
        self, update: Update, context: AppContext, error: InvalidInput, step: str
    ) -> str:
        """Say what is wrong with the answer; the question stays open and nothing is lost."""
        await say(update, context, context.t(error.message, **error.params))
        return self.state(step)
