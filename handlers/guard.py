"""Group -1: drop redelivered updates, and know who is acting before any feature runs."""

from __future__ import annotations

import re
from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from bot.context import AppContext
from bot.replies import CURRENT_UPDATE
from dispatch.callbacks import LARGEST_ID, readable
from dispatch.errors import DuplicateRequest
from dispatch.limits import Admission, note_limited
from dispatch.messages import N_
from dispatch.model import Role
from dispatch.users import register_user
from handlers.common import say

__all__ = ["register"]


async def identify(update: Update, context: AppContext) -> None:
    """Records the update id and the acting user; stops duplicates and non-private chats."""
    services = context.services
    user = update.effective_user
    chat = update.effective_chat
    staff_group = services.settings.desk.staff_group
    in_private = chat is None or chat.type == chat.PRIVATE
    in_staff_group = chat is not None and chat.id == staff_group
    if user is None or user.is_bot or not (in_private or in_staff_group):
        raise ApplicationHandlerStop  # private chats, and the staff group (handlers.staffgroup)
    # The user found or made. A redelivered update stops at the inbox (bot.inbox.InboxQueue)
    # and never gets here; one handled to the end before is still refused here, for an
    # update handed to the Application without the queue or handled again after a crash.
    work = CURRENT_UPDATE.get()
    try:
        registration = await register_user(
            services.uow(),
            services.clock,
            telegram_id=user.id,
            display_name=user.full_name,
            username=user.username,
            telegram_language=user.language_code,
            manager_ids=services.settings.desk.managers,
            request_id=None if work is not None and work.fresh else update.update_id,
        )
    except DuplicateRequest:
        if work is not None:
            work.duplicate = True
        raise ApplicationHandlerStop from None  # handled before: Telegram delivered it twice
    context.user = registration.user
    if work is not None:
        work.user_id = registration.user.id
    if registration.user.role is Role.CUSTOMER:
        await _within_the_flood_limit(update, context)
    edited = update.edited_message
    if edited is not None and not (
        edited.location is not None and registration.user.role is Role.TECHNICIAN
    ):
        # An edit of a message already answered is ignored in every state: the answer
        # stands, and the review changes it. A technician's live location moves as edits
        # of its first message, and goes on to the arrival check.
        raise ApplicationHandlerStop
    if _rest_of_a_split_text(update, context):
        raise ApplicationHandlerStop  # answered with its first part
    query = update.callback_query
    if query is not None and not _well_formed(query.data):
        await query.answer(
            context.t("This button is no longer active. Send /start to begin again."),
            show_alert=True,
        )
        raise ApplicationHandlerStop


async def _within_the_flood_limit(update: Update, context: AppContext) -> None:
    """A customer's updates past ``[limits] messages_per_minute`` are not read: the first
    one is answered that we wait a minute (and the audit log notes it), the rest not at
    all (a button press is still answered, by bot.inbox)."""
    services = context.services
    now = services.clock.now()
    admission = services.message_gate.admit(context.me.id, now.timestamp())
    if admission is Admission.ADMIT:
        return
    if admission is Admission.TELL:
        await note_limited(services.uow(), context.me.id, "messages_per_minute", now)
        await say(update, context, context.t(FLOODED))
    raise ApplicationHandlerStop


FLOODED = N_(
    "You are sending messages faster than we can read them. Please wait a minute before "
    "you write again: what you sent before this message is kept."
)

_CALLBACK = re.compile(r"^[A-Za-z0-9_:.-]{1,64}$")


def _well_formed(data: str | None) -> bool:
    """Callback data as the bot writes it: short ASCII, every number a possible id
    (dispatch.callbacks; ids are 64-bit integers in the database, so a larger one was forged)."""
    if data is None or not _CALLBACK.match(data):
        return False
    in_range = all(int(number) <= LARGEST_ID for number in re.findall(r"\d+", data))
    return in_range and readable(data)


# Telegram's longest text message; a client splits a longer text into several messages,
# sent within the same second or two.
TELEGRAM_MAX_TEXT = 4096
SPLIT_WINDOW_SECONDS = 3
_SPLIT = "split_text_at"


def _rest_of_a_split_text(update: Update, context: AppContext) -> bool:
    """True for the second and later parts of a text Telegram split: the first part was
    answered (no answer takes 4096 characters, so it was refused as too long) and the
    rest must not be read as the answer to the next question."""
    message = update.message
    if message is None or message.text is None or context.user_data is None:
        return False
    sent = message.date.timestamp()
    previous = context.user_data.get(_SPLIT)
    is_rest = (
        previous is not None
        and 0 <= sent - previous <= SPLIT_WINDOW_SECONDS
        and not message.text.startswith("/")
    )
    if len(message.text) >= TELEGRAM_MAX_TEXT:
        context.user_data[_SPLIT] = sent  # more may follow
    elif previous is not None:
        del context.user_data[_SPLIT]
    return is_rest


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(TypeHandler(Update, identify), group=-1)
