"""/mytickets: the customer's requests with their status and timeline; add to or cancel one."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import AppContext
from dispatch.contracts import contracts_overview
from dispatch.customer import Photo
from dispatch.errors import IllegalTransition, InvalidInput, NotFound
from dispatch.following import (
    add_information,
    can_cancel,
    cancel_by_customer,
    customer_ticket,
    customer_tickets,
)
from dispatch.intake import MAX_PHOTOS, check_text
from dispatch.labels import event_label, status_label, written_description
from dispatch.model import Event, Ticket
from dispatch.states import is_open
from handlers.common import inline, say, ticket_line
from handlers.forms import ANYTHING, TEXT, Handlers

__all__ = ["MyTickets"]

ADDING, CANCELLING = "mytickets:add", "mytickets:cancel"
SHOWN = 20


class MyTickets:
    def entry_points(self) -> Handlers:
        return [
            CommandHandler("mytickets", self.list_tickets),
            CallbackQueryHandler(self.list_tickets, pattern=r"^mt:list$"),
            CallbackQueryHandler(self.open_ticket, pattern=r"^mt:open:\d+$"),
            CallbackQueryHandler(self.start_adding, pattern=r"^mt:add:\d+$"),
            CallbackQueryHandler(self.start_cancelling, pattern=r"^mt:cancel:\d+$"),
        ]

    def states(self) -> dict[object, Handlers]:
        return {
            ADDING: [
                MessageHandler(TEXT, self.info_text),
                MessageHandler(
                    filters.PHOTO | filters.Document.IMAGE | filters.Document.PDF, self.info_photo
                ),
                CallbackQueryHandler(self.info_done, pattern=r"^mt:adddone$"),
                MessageHandler(ANYTHING, self.info_hint),
            ],
            CANCELLING: [
                MessageHandler(TEXT, self.cancel_reason),
                CallbackQueryHandler(self.cancel_kept, pattern=r"^mt:keep$"),
                MessageHandler(ANYTHING, self.cancel_hint),
            ],
        }

    @staticmethod
    def _state(context: AppContext) -> dict[str, Any]:
        assert context.user_data is not None
        state = context.user_data.setdefault("mytickets", {})
        assert isinstance(state, dict)
        return state

    @staticmethod
    async def _ack(update: Update) -> None:
        if update.callback_query:
            await update.callback_query.answer()

    @staticmethod
    def _id(update: Update) -> int:
        assert update.callback_query is not None and update.callback_query.data is not None
        return int(update.callback_query.data.rsplit(":", 1)[-1])

    def _line(self, context: AppContext, ticket: Ticket) -> str:
        return ticket_line(context, ticket)

    async def list_tickets(self, update: Update, context: AppContext) -> int:
        """Shows the customer's maintenance contracts, then the latest requests, each a
        button that opens it."""
        await self._ack(update)
        contracts = await contracts_overview(context.services.uow(), customer_id=context.me.id)
        if contracts is not None:
            await say(update, context, context.t(contracts.msgid, **contracts.params))
        tickets = await customer_tickets(context.services.uow(), customer_id=context.me.id)
        if not tickets:
            await say(
                update,
                context,
                context.t(
                    "You have no requests yet. Send /repair, /install, /complain, /return or /ask to make one."
                ),
            )
            return ConversationHandler.END
        rows = [[(self._line(context, x), f"mt:open:{x.id}")] for x in tickets[:SHOWN]]
        await say(
            update,
            context,
            context.t("Your requests, newest first. Tap one to see its progress:"),
            inline(*rows),
        )
        return ConversationHandler.END

    def _event_text(self, context: AppContext, ticket: Ticket, event: Event) -> str | None:
        if event.kind == "status" and event.to_status:
            text = context.t(status_label(ticket.kind, event.to_status))
            # What the customer was told with the move (a refusal's reason, an answer, a
            # complaint's plan or outcome); staff notes stay with staff.
            said = next(
                (
                    event.details[k]
                    for k in ("reason", "answer", "plan", "outcome")
                    if k in event.details
                ),
                None,
            )
            return context.t("{event}: {detail}", event=text, detail=said) if said else text
        label = event_label(event.kind)
        if label is None:
            return None
        text = context.t(label)
        if event.kind in ("info.added", "staff.reply", "customer.follow_up") and event.details.get(
            "text"
        ):
            text = context.t("{event}: {detail}", event=text, detail=event.details["text"])
        if event.kind == "info.added" and event.details.get("photos"):
            text += " " + context.tn(
                "(+{count} photo)", "(+{count} photos)", event.details["photos"]
            )
        return text

    async def open_ticket(self, update: Update, context: AppContext) -> int:
        """Shows one request: what it is, its timeline, and what the customer can do now."""
        await self._ack(update)
        try:
            ticket, events, attachments = await customer_ticket(
                context.services.uow(), customer_id=context.me.id, ticket_id=self._id(update)
            )
        except NotFound:
            await say(update, context, context.t("That request was not found."))
            return ConversationHandler.END
        t = context.t
        lines = [self._line(context, ticket)]
        written = written_description(ticket)
        if written is not None:
            lines.append(t(written[0], **written[1]))
        elif ticket.description:
            lines.append(ticket.description)
        lines.append("")
        lines.append(t("Progress:"))
        for event in events:
            text = self._event_text(context, ticket, event)
            if text:
                when = context.services.translator.format_moment(
                    context.lang, event.created_at, context.services.settings.zone
                )
                lines.append(context.t("{when} — {event}", when=when, event=text))
        del attachments
        rows: list[list[tuple[str, str]]] = []
        if is_open(ticket.status):
            rows.append([(t("➕ Add information or photos"), f"mt:add:{ticket.id}")])
        if can_cancel(ticket):
            rows.append([(t("✖ Cancel this request"), f"mt:cancel:{ticket.id}")])
        rows.append([(t("« All my requests"), "mt:list")])
        await say(update, context, "\n".join(lines), inline(*rows))
        return ConversationHandler.END

    async def start_adding(self, update: Update, context: AppContext) -> str | int:
        await self._ack(update)
        ticket_id = self._id(update)
        state = self._state(context)
        state.update(ticket=ticket_id, text=None, photos=[])
        await say(
            update,
            context,
            context.t(
                "Send the extra information: a message, photos (up to 5), or both. Then press Done."
            ),
            inline([(context.t("Done"), "mt:adddone")]),
        )
        return ADDING

    async def info_text(self, update: Update, context: AppContext) -> str:
        assert update.message is not None and update.message.text is not None
        try:
            text = check_text(update.message.text, minimum=2, maximum=1000)
        except InvalidInput as error:
            await say(update, context, context.t(error.message, **error.params))
            return ADDING
        state = self._state(context)
        state["text"] = "\n".join(x for x in (state.get("text"), text) if x)
        state.setdefault("messages", []).append(update.message.message_id)
        await say(
            update,
            context,
            context.t("Noted. Anything else? Press Done when finished."),
            inline([(context.t("Done"), "mt:adddone")]),
        )
        return ADDING

    async def info_photo(self, update: Update, context: AppContext) -> str:
        message = update.message
        assert message is not None
        state = self._state(context)
        photos: list[dict[str, str]] = state.setdefault("photos", [])
        if len(photos) < MAX_PHOTOS:
            state.setdefault("messages", []).append(message.message_id)
        if len(photos) >= MAX_PHOTOS:
            await say(
                update,
                context,
                context.t(
                    "You can send at most {max} photos; the first {max} are kept.", max=MAX_PHOTOS
                ),
            )
            return ADDING
        if message.photo:
            size = message.photo[-1]
            photos.append({"file_id": size.file_id, "unique": size.file_unique_id, "type": "photo"})
        elif message.document:
            photos.append(
                {
                    "file_id": message.document.file_id,
                    "unique": message.document.file_unique_id,
                    "type": "document",
                }
            )
        await say(
            update,
            context,
            context.t(
                "Photos received: {count} of at most {max}.", count=len(photos), max=MAX_PHOTOS
            ),
            inline([(context.t("Done"), "mt:adddone")]),
        )
        return ADDING

    async def info_done(self, update: Update, context: AppContext) -> str | int:
        await self._ack(update)
        state = self._state(context)
        photos = tuple(Photo(p["file_id"], p["unique"], p["type"]) for p in state.get("photos", []))
        if not state.get("text") and not photos:
            await say(
                update,
                context,
                context.t("Nothing was added. Send a message or photos first, or /cancel."),
            )
            return ADDING
        try:
            ticket = await add_information(
                context.services.uow(),
                context.clock,
                customer_id=context.me.id,
                ticket_id=int(state["ticket"]),
                text=state.get("text"),
                photos=photos,
                policy=context.services.policy,
                source=(update.effective_chat.id, tuple(state.get("messages", [])))
                if update.effective_chat
                else None,
            )
        except (NotFound, IllegalTransition):
            await say(
                update,
                context,
                context.t(
                    "That request is closed, so nothing can be added. Send /mytickets to see your requests."
                ),
            )
            self._state(context).clear()
            return ConversationHandler.END
        self._state(context).clear()
        await say(update, context, context.t("Added to {number}. Thank you.", number=ticket.number))
        return ConversationHandler.END

    async def info_hint(self, update: Update, context: AppContext) -> str:
        await say(
            update,
            context,
            context.t("Please send text or photos, then press Done."),
            inline([(context.t("Done"), "mt:adddone")]),
        )
        return ADDING

    async def start_cancelling(self, update: Update, context: AppContext) -> str | int:
        await self._ack(update)
        ticket_id = self._id(update)
        self._state(context).update(ticket=ticket_id)
        await say(
            update,
            context,
            context.t("Why do you want to cancel it? A few words help us improve."),
            inline([(context.t("Keep the request"), "mt:keep")]),
        )
        return CANCELLING

    async def cancel_reason(self, update: Update, context: AppContext) -> str | int:
        assert update.message is not None and update.message.text is not None
        try:
            reason = check_text(update.message.text, minimum=2, maximum=300)
        except InvalidInput as error:
            await say(update, context, context.t(error.message, **error.params))
            return CANCELLING
        state = self._state(context)
        try:
            ticket = await cancel_by_customer(
                context.services.uow(),
                context.clock,
                customer_id=context.me.id,
                ticket_id=int(state["ticket"]),
                reason=reason,
            )
        except IllegalTransition:
            await say(
                update,
                context,
                context.t(
                    "This request can no longer be cancelled, because the work has started. Send /complain if something is wrong."
                ),
            )
            state.clear()
            return ConversationHandler.END
        except NotFound:
            await say(update, context, context.t("That request was not found."))
            state.clear()
            return ConversationHandler.END
        state.clear()
        await say(update, context, context.t("{number} is cancelled.", number=ticket.number))
        return ConversationHandler.END

    async def cancel_kept(self, update: Update, context: AppContext) -> int:
        await self._ack(update)
        self._state(context).clear()
        await say(update, context, context.t("Fine, the request stays as it is."))
        return ConversationHandler.END

    async def cancel_hint(self, update: Update, context: AppContext) -> str:
        await say(
            update,
            context,
            context.t("Please type the reason in a few words, or keep the request."),
            inline([(context.t("Keep the request"), "mt:keep")]),
        )
        return CANCELLING
