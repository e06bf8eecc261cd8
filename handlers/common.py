"""Small helpers shared by the feature modules: replies, keyboards, role checks."""

from __future__ import annotations

from typing import Any

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import BadRequest

from bot.context import AppContext
from dispatch.contact import normalize_phone, region_of_language
from dispatch.labels import kind_label, status_label
from dispatch.messages import Msg
from dispatch.model import Role, Ticket
from dispatch.technicians import technician_profile

__all__ = [
    "apply_menu",
    "chat_draft",
    "clear_buttons",
    "contact_keyboard",
    "contact_phone",
    "drop_chat_draft",
    "for_whom",
    "in_private",
    "inline",
    "location_keyboard",
    "read_phone",
    "require_customer",
    "require_manager",
    "require_staff",
    "require_technician",
    "say",
    "topic_of",
]


def ticket_line(context: AppContext, ticket: Ticket) -> str:
    """A request on one line (a button, a list): its number, kind and status."""
    return context.t(
        "{number} · {kind} · {status}",
        number=ticket.number,
        kind=Msg(kind_label(ticket.kind)),
        status=Msg(status_label(ticket.kind, ticket.status)),
    )


async def say(
    update: Update,
    context: AppContext,
    text: str,
    markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None = None,
) -> None:
    """Answer in the chat the update came from (already translated ``text``); in the staff
    group, in the topic it came from."""
    chat = update.effective_chat
    assert chat is not None
    message = update.effective_message
    thread = message.message_thread_id if message is not None and message.is_topic_message else None
    await context.bot.send_message(chat.id, text, reply_markup=markup, message_thread_id=thread)


def chat_draft(context: AppContext, name: str) -> dict[str, Any]:
    """A conversation's draft for the chat it runs in (see ``AppContext.chat_key``)."""
    assert context.user_data is not None
    chats = context.user_data.setdefault(name, {})
    if not all(isinstance(value, dict) for value in chats.values()):
        chats.clear()  # a draft kept before drafts were per chat: nothing to resume
    draft = chats.setdefault(context.chat_key, {})
    assert isinstance(draft, dict)
    return draft


def drop_chat_draft(context: AppContext, name: str) -> None:
    assert context.user_data is not None
    context.user_data.get(name, {}).pop(context.chat_key, None)


def topic_of(update: Update) -> int | None:
    """The staff group topic an update came from (None in a private chat)."""
    message = update.effective_message
    if message is None or not message.is_topic_message:
        return None
    return message.message_thread_id


def for_whom(context: AppContext, thread: int | None, prompt: str) -> str:
    """A prompt for a step to type: in the staff group it names the manager it waits for,
    whose next message in the topic is the answer (anyone else's stays a note)."""
    stop = context.t("Send /cancel to stop.")
    if thread is None:
        return prompt + "\n" + stop
    return (
        context.t("For {name}:", name=context.me.display_name)
        + "\n"
        + prompt
        + "\n"
        + context.t("Your next message in this topic is the answer.")
        + "\n"
        + stop
    )


def in_private(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type == "private"


def inline(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    """Rows of (already translated label, callback data)."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def contact_keyboard(context: AppContext) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(context.t("📱 Share my phone number"), request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def location_keyboard(context: AppContext) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(context.t("📍 Share my location"), request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def read_phone(context: AppContext, text: str) -> str | None:
    """A typed number in E.164, read as written in the user's place or the desk's."""
    user = context.user
    return normalize_phone(
        text,
        context.services.settings.desk.calendar_country,
        user_region=region_of_language(user.telegram_language if user else None),
    )


def contact_phone(context: AppContext, shared: str) -> str:
    """A shared contact's number in E.164 (Telegram sends it with its country code)."""
    international = "+" + shared.strip().lstrip("+")
    return read_phone(context, international) or international


async def _not_yours(update: Update, context: AppContext, command_text: str) -> bool:
    """Tell someone the command or button is not for their role; always False."""
    if update.callback_query:
        await update.callback_query.answer(
            context.t("This is not available to you."), show_alert=True
        )
    else:
        await say(update, context, command_text)
    return False


async def require_staff(update: Update, context: AppContext) -> bool:
    """True for a technician or a manager; a customer is told politely."""
    if context.me.role is not Role.CUSTOMER:
        return True
    return await _not_yours(
        update,
        context,
        context.t("This command is for staff. Send /help to see what you can do."),
    )


async def require_manager(update: Update, context: AppContext) -> bool:
    """True for a manager; anyone else is told politely and shown the way to /help."""
    if context.me.role is Role.MANAGER:
        return True
    return await _not_yours(
        update,
        context,
        context.t("This command is for managers. Send /help to see what you can do."),
    )


async def apply_menu(update: Update, context: AppContext) -> None:
    """Show the acting user's role menu in their language."""
    chat = update.effective_chat
    assert chat is not None
    services = context.services
    await services.menus.apply(
        context.bot, chat.id, context.me.role, context.lang, services.translator
    )


async def clear_buttons(query: CallbackQuery) -> None:
    """Remove the buttons a press answered; a message already without them is fine."""
    try:
        await query.edit_message_reply_markup(None)
    except BadRequest as error:
        if "not modified" not in str(error).lower():
            raise


async def require_customer(update: Update, context: AppContext) -> bool:
    """True for whoever may make requests (customers, and managers trying the desk)."""
    if context.me.role in (Role.CUSTOMER, Role.MANAGER):
        return True
    await say(
        update,
        context,
        context.t("Requests are made by customers. Send /help to see what you can do."),
    )
    return False


async def require_technician(update: Update, context: AppContext) -> bool:
    """A technician with a finished profile; anyone else is told, and the spinner stops."""
    if context.me.role is Role.TECHNICIAN:
        if await technician_profile(context.services.uow(), user_id=context.me.id) is not None:
            return True
        await say(
            update, context, context.t("Please finish your technician profile first: send /start.")
        )
        return False
    return await _not_yours(
        update,
        context,
        context.t("This command is for technicians. Send /help to see what you can do."),
    )
