"""Saved replies: /snippets lists them; while a manager is typing to a customer (an answer,
a message), a button offers them, and the one picked becomes the draft, in the customer's
language, previewed like a typed text."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import Application, BaseHandler, CallbackQueryHandler, CommandHandler

from bot.context import AppContext
from bot.i18n import language_for
from dispatch.cases import case_customer
from dispatch.errors import DomainError
from dispatch.messages import N_
from dispatch.model import Role
from handlers.common import inline, require_manager, say

__all__ = ["picker_handlers", "picker_row", "register"]

LIST, PICK = "sn:list", "sn:pick:"

# What a flow does with the picked text: its own preview, returning its next state.
Preview = Callable[[Update, AppContext, str], Awaitable[object]]


def picker_handlers(
    ticket_of: Callable[[AppContext], int], preview: Preview
) -> list[BaseHandler[Any, Any, Any]]:
    """The handlers a typing state adds to offer saved replies; ``ticket_of`` reads the
    flow's draft, ``preview`` shows the text as the flow shows a typed one."""

    async def picked(update: Update, context: AppContext) -> object:
        return await snippet_picked(update, context, ticket_of(context), preview)

    return [
        CallbackQueryHandler(snippets_listed, pattern=f"^{LIST}$"),
        CallbackQueryHandler(picked, pattern=rf"^{PICK}[a-z0-9_]+$"),
    ]


def picker_row(context: AppContext) -> list[tuple[str, str]] | None:
    """The button under a typing prompt, when the desk has saved replies."""
    if not context.services.policy.snippets:
        return None
    return [(context.t("📚 Saved replies"), LIST)]


async def snippets_listed(update: Update, context: AppContext) -> None:
    """The saved replies as buttons; the flow stays where it is."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    rows = [[(s.title.in_(context.lang), PICK + s.code)] for s in context.services.policy.snippets]
    await say(update, context, context.t("Pick a saved reply:"), inline(*rows))


async def snippet_picked(
    update: Update, context: AppContext, ticket_id: int, preview: Preview
) -> object:
    """The picked reply, in the customer's language, handed to the flow's preview."""
    query = update.callback_query
    assert query is not None and query.data is not None
    snippet = context.services.policy.snippet(query.data.removeprefix(PICK))
    if snippet is None:
        await query.answer(context.t("This button is no longer active."), show_alert=True)
        return None
    try:
        customer = await case_customer(
            context.services.uow(), ticket_id=ticket_id, manager_id=context.me.id
        )
    except DomainError:
        await query.answer(context.t("This request is closed."), show_alert=True)
        return None
    await query.answer()
    language = language_for(
        customer.telegram_language,
        customer.language,
        context.services.settings.desk.default_language,
    )
    return await preview(update, context, snippet.text.in_(language))


async def list_command(update: Update, context: AppContext) -> None:
    """/snippets: every saved reply, in the manager's language, and where they are kept."""
    if not await require_manager(update, context):
        return
    snippets = context.services.policy.snippets
    lines = [
        context.t(
            "{title}:\n{text}", title=s.title.in_(context.lang), text=s.text.in_(context.lang)
        )
        for s in snippets
    ]
    lines.append(
        context.t(
            "Saved replies are kept in the config file ([[snippets]]), each in the three "
            "languages. Use them with 📚 while you answer a question or write to a customer."
        )
        if snippets
        else context.t(
            "No saved replies yet. Add them to the config file ([[snippets]]), each in the "
            "three languages."
        )
    )
    await say(update, context, "\n\n".join(lines))


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.bot_data["services"].menus.add(
        (Role.MANAGER,), "snippets", N_("Saved replies for common answers")
    )
    application.add_handler(CommandHandler("snippets", list_command))
