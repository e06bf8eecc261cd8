"""/invite: a manager creates a single-use, expiring invite link for a technician or manager."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import AppContext
from dispatch.invites import create_invite
from dispatch.messages import N_, At
from dispatch.model import Role
from handlers.common import inline, require_manager, say

__all__ = ["register"]


async def invite_command(update: Update, context: AppContext) -> None:
    """Asks which role the invite is for."""
    if not await require_manager(update, context):
        return
    await say(
        update,
        context,
        context.t("Whom do you want to invite?"),
        inline(
            [(context.t("A technician"), "inv:technician")],
            [(context.t("A manager"), "inv:manager")],
        ),
    )


async def invite_role_chosen(update: Update, context: AppContext) -> None:
    """Creates the invite and shows its link once; only the token's hash is kept."""
    query = update.callback_query
    assert query is not None and query.data is not None
    if not await require_manager(update, context):
        return
    role = Role.TECHNICIAN if query.data == "inv:technician" else Role.MANAGER
    ttl = timedelta(hours=context.services.settings.desk.invite_ttl_hours)
    created = await create_invite(
        context.services.uow(), context.clock, manager_id=context.me.id, role=role, ttl=ttl
    )
    link = f"https://t.me/{context.bot.username}?start={created.token}"
    text = (
        N_(
            "Invite link for a technician. It works once and expires on {expires}. "
            "Forward it to the person you are inviting:\n{link}"
        )
        if role is Role.TECHNICIAN
        else N_(
            "Invite link for a manager. It works once and expires on {expires}. "
            "Forward it to the person you are inviting:\n{link}"
        )
    )
    await query.answer()
    await query.edit_message_text(context.t(text, expires=At(created.invite.expires_at), link=link))


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.bot_data["services"].menus.add(
        (Role.MANAGER,), "invite", N_("Invite a technician or a manager")
    )
    application.add_handler(CommandHandler("invite", invite_command))
    application.add_handler(
        CallbackQueryHandler(invite_role_chosen, pattern=r"^inv:(technician|manager)$")
    )
