"""/stats: the desk's KPIs against their targets for this week, this month, last month or
any range of days, with the period before beside each, the time each step takes, the
worst cases (a button opens each) and the technicians' table (dispatch.stats).

    /stats                      this month
    /stats week | last month    this week, last month
    /stats 2026-11-01 11-15     a range of days
    /stats technician Li        the technicians' table, for names holding "Li"
"""

from __future__ import annotations

from datetime import date
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import AppContext
from dispatch.callbacks import CASE_OPEN, STATS_RANGE, STATS_VIEW
from dispatch.dates import read_date
from dispatch.errors import InvalidInput
from dispatch.kpis import Period, period_named
from dispatch.messages import N_
from dispatch.model import Role
from dispatch.stats import (
    STATS,
    TECHNICIANS,
    DeskStats,
    desk_stats,
    period_between,
    request_files,
    stats_params,
    technician_params,
    worst_label,
)
from handlers.common import inline, require_manager, say

__all__ = ["register"]

PERIOD_LABELS = {
    "week": N_("This week"),
    "month": N_("This month"),
    "last_month": N_("Last month"),
}
NAMES = {
    "week": "week",
    "本周": "week",
    "本週": "week",
    "month": "month",
    "本月": "month",
    "last": "last_month",
    "lastmonth": "last_month",
    "上月": "last_month",
    "上个月": "last_month",
    "上個月": "last_month",
}


def _day_number(day: date) -> int:
    return day.year * 10_000 + day.month * 100 + day.day


def _from_number(number: int) -> date:
    return date(number // 10_000, number // 100 % 100, number % 100)


def _view_data(view: str, stats: DeskStats) -> str:
    if stats.name == "range":
        last = stats.period.end.date().toordinal() - 1
        return STATS_RANGE.data(
            view,
            _day_number(stats.period.start.date()),
            _day_number(date.fromordinal(last)),
        )
    return STATS_VIEW.data(view, stats.name)


async def _figures(context: AppContext, name: str, period: Period | None = None) -> DeskStats:
    return await desk_stats(
        context.services.uow(),
        context.clock,
        context.services.policy,
        manager_id=context.me.id,
        name=name,
        period=period,
    )


async def _kpis(update: Update, context: AppContext, stats: DeskStats) -> None:
    rows: list[list[tuple[str, str]]] = []
    for case in stats.detail.worst:
        label = worst_label(case)
        rows.append([(context.t(label.msgid, **label.params), CASE_OPEN.data(case.ticket_id))])
    rows.append(
        [
            (context.t("👷 Technicians"), _view_data("team", stats)),
            (context.t("📈 Charts"), _view_data("charts", stats)),
            (context.t("📄 Files"), _view_data("files", stats)),
        ]
    )
    rows.append(
        [
            (context.t(label), STATS_VIEW.data("kpis", other))
            for other, label in PERIOD_LABELS.items()
            if other != stats.name
        ]
    )
    text = context.t(STATS, **stats_params(stats, context.services.policy))
    await say(update, context, text, inline(*rows))


async def _team(update: Update, context: AppContext, stats: DeskStats, name: str = "") -> None:
    params = technician_params(stats, name)
    await say(update, context, context.t(TECHNICIANS, **params))


async def stats_command(update: Update, context: AppContext) -> None:
    if not await require_manager(update, context):
        return
    words = list(context.args or [])
    if words and words[0].lower() in ("technician", "technicians", "技师", "技師"):
        await _team(update, context, await _figures(context, "month"), " ".join(words[1:]))
        return
    key = "".join(words).lower()
    if not words or key in NAMES:
        await _kpis(update, context, await _figures(context, NAMES.get(key, "month")))
        return
    today = context.clock.now().astimezone(context.services.policy.zone).date()
    try:
        if len(words) != 2:
            raise InvalidInput(
                N_(
                    "Send /stats alone for this month, /stats week, /stats last month, or two "
                    "days for a range, for example /stats 2026-11-01 2026-11-15."
                )
            )
        first, last = (read_date(word, today, past=True) for word in words)
        period = period_between(first, last, context.services.policy)
    except InvalidInput as error:
        await say(update, context, context.t(error.message, **error.params))
        return
    await _kpis(update, context, await _figures(context, "range", period))


async def view_pressed(update: Update, context: AppContext) -> None:
    if not await require_manager(update, context):
        return
    query = update.callback_query
    assert query is not None
    await query.answer()
    policy = context.services.policy
    if query.data and query.data.startswith(STATS_RANGE.prefix + ":"):
        view, first, last = STATS_RANGE.parse(query.data)
        name = "range"
        period = period_between(_from_number(int(first)), _from_number(int(last)), policy)
    else:
        view, named = STATS_VIEW.parse(query.data)
        name = str(named)
        period = period_named(name, context.clock.now(), policy.zone)
    if view in ("charts", "files"):
        await request_files(
            context.services.uow(),
            context.clock,
            manager_id=context.me.id,
            what="charts" if view == "charts" else "export",
            name=name,
            period=period,
        )
        context.services.wake_sender()
        await say(
            update,
            context,
            context.t("📈 The charts are being drawn; they arrive in a moment.")
            if view == "charts"
            else context.t("📄 The files are being made; they arrive in a moment."),
        )
    elif view == "team":
        await _team(update, context, await _figures(context, name, period))
    else:
        await _kpis(update, context, await _figures(context, name, period))


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    menus = application.bot_data["services"].menus
    menus.add((Role.MANAGER,), "stats", N_("The desk's figures against their targets"))
    application.add_handler(CommandHandler("stats", stats_command))
    application.add_handler(
        CallbackQueryHandler(view_pressed, pattern=f"{STATS_VIEW.pattern}|{STATS_RANGE.pattern}")
    )
