"""/language: the user picks English, Simplified or Traditional Chinese, or follows Telegram."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import AppContext
from bot.i18n import LANGUAGE_NAMES
from dispatch.messages import N_
from dispatch.model import Language, Role
from dispatch.users import set_language
from handlers.common import apply_menu, inline, say

__all__ = ["register"]


async def language_command(update: Update, context: AppContext) -> None:
    """Shows the three languages and the 'follow Telegram' choice."""
    rows = [[(name, f"lang:{language.value}")] for language, name in LANGUAGE_NAMES.items()]
    rows.append([(context.t("Follow my Telegram language"), "lang:auto")])
    await say(
        update,
        context,
        context.t("Choose your language. 请选择语言。請選擇語言。"),
        inline(*rows),
    )


async def language_chosen(update: Update, context: AppContext) -> None:
    """Stores the choice, then confirms and redraws the menu in the new language."""
    query = update.callback_query
    assert query is not None and query.data is not None
    value = query.data.removeprefix("lang:")
    try:
        chosen = None if value == "auto" else Language(value)
    except ValueError:
        await query.answer(context.t("This button is no longer active."))
        return
    context.user = await set_language(
        context.services.uow(), context.clock, user_id=context.me.id, language=chosen
    )
    await query.answer()
    await query.edit_message_text(
        context.t("Language set to {language}.", language=LANGUAGE_NAMES[context.lang])
    )
    await apply_menu(update, context)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.bot_data["services"].menus.add(
        (Role.CUSTOMER, Role.TECHNICIAN, Role.MANAGER), "language", N_("Change language")
    )
    application.add_handler(CommandHandler("language", language_command))
    application.add_handler(CallbackQueryHandler(language_chosen, pattern=r"^lang:"))
