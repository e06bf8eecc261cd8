"""/calendar: managers add company or local days that are off or worked.

/calendar                          the days set, and how to set one
/calendar 2026-12-31 off Year-end  a day off (the note is optional)
/calendar 2027-01-02 on            a day worked
/calendar 2026-12-31 clear         back to the public calendar
"""

from __future__ import annotations

from datetime import date
from typing import Any

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.context import AppContext
from dispatch.company_days import clear_company_day, company_days, set_company_day
from dispatch.dates import read_date
from dispatch.errors import InvalidInput
from dispatch.messages import N_
from dispatch.model import Role
from handlers.common import require_manager, say

__all__ = ["register"]


async def calendar_command(update: Update, context: AppContext) -> None:
    if not await require_manager(update, context):
        return
    args = context.args or []
    calendar = context.services.policy.work_calendar
    if not args:
        days = await company_days(context.services.uow())
        lines = [
            context.t(
                "{day}: {state} {note}",
                day=d.day.isoformat(),
                state=context.t("worked") if d.working else context.t("off"),
                note=d.note,
            ).strip()
            for d in days
        ]
        usage = context.t(
            "Send /calendar 2026-12-31 off Year-end party, /calendar 2027-01-02 on, or /calendar 2026-12-31 clear."
        )
        head = (
            context.t("Company and local days:")
            if lines
            else context.t("No company or local days are set.")
        )
        await say(update, context, "\n".join([head, *lines, "", usage]))
        return
    try:
        today = context.clock.now().astimezone(context.services.settings.zone).date()
        day: date | None = read_date(args[0], today, past=False)
    except InvalidInput:
        day = None
    action = args[1].lower() if len(args) > 1 else ""
    if day is None or action not in ("on", "off", "clear"):
        await say(
            update,
            context,
            context.t(
                "Please write it like /calendar 2026-12-31 off Year-end party (on, off or clear)."
            ),
        )
        return
    if action == "clear":
        removed = await clear_company_day(
            context.services.uow(), context.clock, calendar, manager_id=context.me.id, day=day
        )
        text = (
            context.t(
                "{day} follows the public calendar again. Deadlines set from now on count it; those already running keep their date.",
                day=day.isoformat(),
            )
            if removed
            else context.t("{day} had no company setting.", day=day.isoformat())
        )
    else:
        await set_company_day(
            context.services.uow(),
            context.clock,
            calendar,
            manager_id=context.me.id,
            day=day,
            working=action == "on",
            note=" ".join(args[2:]),
        )
        text = (
            context.t(
                "{day} is now a working day. Deadlines set from now on count it; those already running keep their date.",
                day=day.isoformat(),
            )
            if action == "on"
            else context.t(
                "{day} is now a day off. Deadlines set from now on count it; those already running keep their date.",
                day=day.isoformat(),
            )
        )
    await say(update, context, text)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.bot_data["services"].menus.add(
        (Role.MANAGER,), "calendar", N_("Company days off and worked")
    )
    application.add_handler(CommandHandler("calendar", calendar_command))
