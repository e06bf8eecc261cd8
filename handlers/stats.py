"""/stats: the desk's KPIs against their targets for this week, this month or last month,
with the period before beside each (dispatch.stats)."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import AppContext
from dispatch.callbacks import STATS_PERIOD
from dispatch.messages import N_
from dispatch.model import Role
from dispatch.stats import STATS, desk_stats, stats_params
from handlers.common import inline, require_manager, say

__all__ = ["register"]

PERIOD_LABELS = {
    "week": N_("This week"),
    "month": N_("This month"),
    "last_month": N_("Last month"),
}


async def _show(update: Update, context: AppContext, name: str) -> None:
    stats = await desk_stats(
        context.services.uow(),
        context.clock,
        context.services.policy,
        manager_id=context.me.id,
        name=name,
    )
    others = [
        (context.t(label), STATS_PERIOD.data(other))
        for other, label in PERIOD_LABELS.items()
        if other != name
    ]
    await say(update, context, context.t(STATS, **stats_params(stats)), inline(others))


async def stats_command(update: Update, context: AppContext) -> None:
    if not await require_manager(update, context):
        return
    await _show(update, context, "month")


async def period_pressed(update: Update, context: AppContext) -> None:
    if not await require_manager(update, context):
        return
    query = update.callback_query
    assert query is not None
    (name,) = STATS_PERIOD.parse(query.data)
    await query.answer()
    await _show(update, context, str(name))


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    menus = application.bot_data["services"].menus
    menus.add((Role.MANAGER,), "stats", N_("The desk's figures against their targets"))
    application.add_handler(CommandHandler("stats", stats_command))
    application.add_handler(CallbackQueryHandler(period_pressed, pattern=STATS_PERIOD.pattern))
