"""The staff group, from inside: what members write in a case's topic.

- A manager's message in a case's topic is an internal note: kept on the case's timeline,
  shown on the card, never sent to the customer.
- ``/r text`` in a case's topic is a reply to the customer: the bot shows what the
  customer will read, and sends it only when the same manager presses Send.
- Anyone else (a member without a role at the desk) is told, politely, that the desk's
  cases are worked by managers; nothing they write is kept with a case.
- Everything else in the group (the desk's own topics, the General topic, the service
  messages Telegram posts, messages that answer another one, which in a topic is every
  message) is left alone: staff talk among themselves there.

These handlers come first among the features and end every staff group update, so no
private-chat feature ever answers in the group.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import AppContext
from dispatch.callbacks import CASE_TAKE, GROUP_DROP, GROUP_SEND
from dispatch.cases import GROUP_ROUTES, message_customer
from dispatch.errors import DomainError, InvalidInput
from dispatch.intake import check_text
from dispatch.model import Role, TicketKind
from dispatch.questions import answer_question
from dispatch.staffroom import add_note, case_of_thread
from handlers.cases import take_pressed
from handlers.casework.common import DRAFT as CASEWORK_DRAFT
from handlers.common import clear_buttons, inline, say
from handlers.decisions import DRAFT as REFUSAL_DRAFT

__all__ = ["register"]

_DRAFT = "group_reply"


async def _case_of(update: Update, context: AppContext) -> Any:
    message = update.effective_message
    if message is None or not message.is_topic_message or message.message_thread_id is None:
        return None
    return await case_of_thread(
        context.services.uow(), context.services.policy, message.message_thread_id
    )


async def topic_message(update: Update, context: AppContext) -> None:
    """A member's text in the staff group: a note or a reply when it is a manager's in a
    case's topic; anything else is left to the staff."""
    message = update.message
    if message is None or message.text is None:
        raise ApplicationHandlerStop  # photos, service messages: staff talk, left alone
    ticket = await _case_of(update, context)
    if ticket is None:
        raise ApplicationHandlerStop  # the desk's own topics and General: not a case
    if context.me.role is not Role.MANAGER:
        await say(
            update,
            context,
            context.t(
                "Cases are worked by the desk's managers. What you write here stays in the "
                "group and is not kept with the case."
            ),
        )
        raise ApplicationHandlerStop
    text = message.text.strip()
    command = text.split(maxsplit=1)[0].split("@")[0] if text.startswith("/") else None
    if command == "/r":
        question = ticket.kind is TicketKind.CONSULTATION
        await _reply(update, context, ticket.id, ticket.number, text.partition(" ")[2], question)
    elif command is None:
        await _note(update, context, ticket.id, text)
    raise ApplicationHandlerStop


async def _note(update: Update, context: AppContext, ticket_id: int, text: str) -> None:
    try:
        text = check_text(text, minimum=1, maximum=3000)
        await add_note(
            context.services.uow(),
            context.clock,
            context.services.policy,
            ticket_id=ticket_id,
            manager_id=context.me.id,
            text=text,
        )
    except (InvalidInput, DomainError):
        return  # too long or not a case any more: it stays a message in the group
    context.services.wake_sender()


async def _reply(
    update: Update, context: AppContext, ticket_id: int, number: str, text: str, question: bool
) -> None:
    try:
        text = check_text(text, minimum=2, maximum=3000)
    except InvalidInput:
        await say(
            update,
            context,
            context.t(
                "Write the reply after /r, for example: /r We will call you before 6 pm. "
                "Other messages here are notes for the staff."
            ),
        )
        return
    assert context.user_data is not None
    context.user_data[_DRAFT] = {"ticket": ticket_id, "text": text}
    await say(
        update,
        context,
        context.t("The customer of {number} will read:", number=number) + "\n\n" + text,
        inline(
            [(context.t("✅ Send: this answers the question"), GROUP_SEND.data("full", ticket_id))],
            [(context.t("📨 Send: more to follow"), GROUP_SEND.data("part", ticket_id))],
            [(context.t("✖ Do not send"), GROUP_DROP.data(ticket_id))],
        )
        if question  # an answer: it stops the question's clocks as in a private chat
        else inline(
            [(context.t("📨 Send it"), GROUP_SEND.data("message", ticket_id))],
            [(context.t("✖ Do not send"), GROUP_DROP.data(ticket_id))],
        ),
    )


async def take_in_group(update: Update, context: AppContext) -> None:
    """🙋 Take it on a card in the group: the first manager wins, and the card says who."""
    query = update.callback_query
    assert query is not None
    if context.me.role is not Role.MANAGER:
        await query.answer(context.t("This is not available to you."), show_alert=True)
        raise ApplicationHandlerStop
    ticket = await take_pressed(update, context)
    if ticket is None:
        raise ApplicationHandlerStop
    await query.answer(context.t("{number} is yours now.", number=ticket.number))
    context.services.wake_sender()
    raise ApplicationHandlerStop


async def reply_pressed(update: Update, context: AppContext) -> None:
    """Send or drop a previewed reply: only its author may, and only if a manager."""
    query = update.callback_query
    assert query is not None and context.user_data is not None
    if context.me.role is not Role.MANAGER:
        await query.answer(context.t("This is not available to you."), show_alert=True)
        raise ApplicationHandlerStop
    send = re.match(GROUP_SEND.pattern, query.data or "") is not None
    if send:
        how, sent_id = GROUP_SEND.parse(query.data)
        ticket_id = int(sent_id)
    else:
        how, ticket_id = "", GROUP_DROP.id(query.data)
    draft = context.user_data.get(_DRAFT) or {}
    if draft.get("ticket") != ticket_id:
        await query.answer(
            context.t("Only the manager who wrote this reply can send it; write your own with /r."),
            show_alert=True,
        )
        raise ApplicationHandlerStop
    context.user_data.pop(_DRAFT, None)
    if not send:
        await query.answer()
        await clear_buttons(query)
        await say(update, context, context.t("Not sent."))
        raise ApplicationHandlerStop
    services = context.services
    try:
        if how == "message":
            ticket = await message_customer(
                services.uow(),
                context.clock,
                ticket_id=ticket_id,
                manager_id=context.me.id,
                text=str(draft["text"]),
                policy=services.policy,
            )
        else:
            ticket = await answer_question(
                services.uow(),
                context.clock,
                services.policy,
                ticket_id=ticket_id,
                manager_id=context.me.id,
                text=str(draft["text"]),
                settled=how == "full",
            )
    except DomainError:
        await query.answer(context.t("This request is closed."), show_alert=True)
        raise ApplicationHandlerStop from None
    await query.answer()
    await clear_buttons(query)
    await say(update, context, context.t("Sent to the customer of {number}.", number=ticket.number))
    context.services.wake_sender()
    raise ApplicationHandlerStop


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    group = application.bot_data["services"].settings.desk.staff_group
    if group is None:
        return
    steps = _Steps(application)
    application.add_handler(_TopicMessage(group, steps))
    application.add_handler(
        CallbackQueryHandler(reply_pressed, pattern=f"{GROUP_SEND.pattern}|{GROUP_DROP.pattern}")
    )
    application.add_handler(_GroupPress(group, take_in_group, pattern=CASE_TAKE.pattern))
    application.add_handler(_InChat(group, steps))


class _Steps:
    """The conversations in which a manager types a case's step (a complaint's notes, plan
    and replies; a return's refusal), each with its draft's name. In the staff group they
    take their own buttons, and the text they wait for only in the topic where the step
    was begun: the same manager's messages in other topics stay notes."""

    DRAFTS: ClassVar[dict[str, str]] = {"casework": CASEWORK_DRAFT, "decisions": REFUSAL_DRAFT}

    def __init__(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        self.application = application
        self._conversations: list[ConversationHandler[Any]] | None = None

    @property
    def conversations(self) -> list[ConversationHandler[Any]]:
        """Found once, at the first update: they are registered after these handlers."""
        if self._conversations is None:
            self._conversations = [
                handler
                for handler in self.application.handlers.get(0, [])
                if isinstance(handler, ConversationHandler) and handler.name in self.DRAFTS
            ]
        return self._conversations

    def take(self, update: Update) -> bool:
        taken = [c for c in self.conversations if c.check_update(update)]
        if not taken or update.callback_query is not None:
            return bool(taken)
        message, member, chat = update.message, update.effective_user, update.effective_chat
        if message is None or member is None or chat is None:
            return False
        data = self.application.user_data.get(member.id, {})
        return any(
            data.get(self.DRAFTS[str(c.name)], {}).get(str(chat.id), {}).get("thread")
            == message.message_thread_id
            for c in taken
        )


class _TopicMessage(MessageHandler[AppContext, None]):
    """A member's message in the staff group, unless it is the step a manager is typing."""

    def __init__(self, chat_id: int, steps: _Steps) -> None:
        super().__init__(filters.Chat(chat_id=chat_id) & filters.UpdateType.MESSAGE, topic_message)
        self.steps = steps

    def check_update(self, update: object) -> Any:
        found = super().check_update(update)
        if found and isinstance(update, Update) and self.steps.take(update):
            return None
        return found


class _GroupPress(CallbackQueryHandler[AppContext, None]):
    """A button pressed in the staff group (the same button in a private chat is the
    private handlers' to answer)."""

    def __init__(self, chat_id: int, callback: Any, *, pattern: str) -> None:
        super().__init__(callback, pattern=pattern)
        self.chat_id = chat_id

    def check_update(self, update: object) -> Any:
        if not (
            isinstance(update, Update)
            and update.effective_chat is not None
            and update.effective_chat.id == self.chat_id
        ):
            return None
        return super().check_update(update)


class _InChat(BaseHandler[Update, AppContext, None]):
    """Every other update from the staff group ends here, unanswered (a stale button is
    answered by the inbox with a plain acknowledgement); other chats pass on."""

    def __init__(self, chat_id: int, steps: _Steps) -> None:
        super().__init__(self._stop)
        self.chat_id = chat_id
        self.steps = steps

    def check_update(self, update: object) -> bool:
        if not (
            isinstance(update, Update)
            and update.effective_chat is not None
            and update.effective_chat.id == self.chat_id
        ):
            return False
        query = update.callback_query
        # The card's steps go on to the features that own them, and so does what a
        # manager types for a step begun in a topic.
        if query is not None and any(
            re.match(route.pattern, query.data or "") for route in GROUP_ROUTES
        ):
            return False
        return not self.steps.take(update)

    @staticmethod
    async def _stop(update: Update, context: AppContext) -> None:
        raise ApplicationHandlerStop
