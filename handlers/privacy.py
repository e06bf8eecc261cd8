"""/privacy: what the desk keeps about the customer; /forget: erasing it, after a
confirmation (dispatch.privacy)."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import AppContext
from dispatch.labels import kind_label, status_label
from dispatch.messages import N_
from dispatch.model import Role, TicketKind
from dispatch.privacy import forget_customer, what_we_keep
from handlers.common import clear_buttons, inline, say

__all__ = ["register"]

FORGET, KEEP = "privacy:forget", "privacy:keep"


async def privacy_command(update: Update, context: AppContext) -> None:
    kept = await what_we_keep(context.services.uow(), context.me.id)
    user = kept.user
    missing = context.t("not given")
    lines = [
        context.t("🔒 What we keep about you:"),
        context.t("Name: {name}", name=user.display_name),
        context.t("Telegram username: {username}", username=user.username or missing),
        context.t("Phone: {phone}", phone=user.phone or missing),
    ]
    if kept.addresses:
        lines += [context.t("Addresses you gave:"), *kept.addresses]
    if kept.tickets:
        lines.append(context.t("Your requests ({count}):", count=len(kept.tickets)))
        for ticket in kept.tickets:
            kind = TicketKind(ticket.kind)
            lines.append(
                context.t(
                    "{number} · {kind} · {status}",
                    number=ticket.number,
                    kind=context.t(kind_label(kind)),
                    status=context.t(status_label(kind, ticket.status)),
                )
            )
    for number, _ in kept.contracts:
        lines.append(context.t("Maintenance contract {number}", number=number))
    lines += [
        "",
        context.t(
            "We keep this to handle your requests and to keep their service records. "
            "Send /forget to have your personal data erased."
        ),
    ]
    await say(update, context, "\n".join(lines))


async def forget_command(update: Update, context: AppContext) -> None:
    kept = await what_we_keep(context.services.uow(), context.me.id)
    lines = [
        context.t(
            "Erase your personal data? Your name, phone number, addresses, what you described "
            "and the copies of your messages are erased. The anonymous figures of your "
            "requests and the fingerprints of signed service records stay. This cannot be "
            "undone."
        )
    ]
    if kept.open_tickets:
        lines += [
            "",
            context.t("You still have open requests:"),
            *(x.number for x in kept.open_tickets),
        ]
        lines.append(
            context.t(
                "After this we cannot visit or call you about them; we can still write to you here."
            )
        )
    buttons = inline([(context.t("🗑 Erase my data"), FORGET)], [(context.t("Keep my data"), KEEP)])
    await say(update, context, "\n".join(lines), buttons)


async def forget_answered(update: Update, context: AppContext) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer()
    await clear_buttons(query)
    if query.data == KEEP:
        await say(update, context, context.t("Nothing was erased."))
        return
    await forget_customer(context.services.uow(), context.clock, user_id=context.me.id)
    # Drafts of unfinished requests live in the conversation data: gone with the rest.
    if context.user_data is not None:
        context.user_data.clear()
    if context.chat_data is not None:
        context.chat_data.clear()
    await say(
        update,
        context,
        context.t(
            "🔒 Your personal data is erased. You can still use this chat: a new request "
            "asks again for what it needs."
        ),
    )


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    menus = application.bot_data["services"].menus
    menus.add((Role.CUSTOMER,), "privacy", N_("What we keep about you"))
    menus.add((Role.CUSTOMER,), "forget", N_("Erase your personal data"))
    application.add_handler(CommandHandler("privacy", privacy_command))
    application.add_handler(CommandHandler("forget", forget_command))
    application.add_handler(CallbackQueryHandler(forget_answered, pattern=r"^privacy:"))
