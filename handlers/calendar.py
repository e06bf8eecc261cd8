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

from bot.context import AppContext, Services
from dispatch.dates import read_date
from dispatch.errors import InvalidInput
from dispatch.messages import N_
from dispatch.model import Role
from handlers.common import require_manager, say
from storage.calendar import CalendarStore

__all__ = ["refresh_overrides", "register"]


async def refresh_overrides(services: Services) -> None:
    """Load the overrides into the calendar the deadlines are computed with."""
    store = CalendarStore(services.uow.sessions)
    overrides = await store.all()
    calendar = services.policy.work_calendar
    calendar.overrides.clear()
    calendar.overrides.update({day: working for day, (working, _note) in overrides.items()})


async def calendar_command(update: Update, context: AppContext) -> None:
    if not await require_manager(update, context):
        return
    store = CalendarStore(context.services.uow.sessions)
    args = context.args or []
    if not args:
        days = await store.all()
        lines = [
            context.t(
                "{day}: {state} {note}",
                day=day.isoformat(),
                state=context.t("worked") if working else context.t("off"),
                note=note,
            ).strip()
            for day, (working, note) in days.items()
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
        removed = await store.remove(day)
        text = (
            context.t(
                "{day} follows the public calendar again. Deadlines set from now on count it; those already running keep their date.",
                day=day.isoformat(),
            )
            if removed
            else context.t("{day} had no company setting.", day=day.isoformat())
        )
    else:
        note = " ".join(args[2:])[:200]
        await store.put(day, action == "on", note, context.me.id, context.clock.now())
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
    await refresh_overrides(context.services)
    await say(update, context, text)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.bot_data["services"].menus.add(
        (Role.MANAGER,), "calendar", N_("Company days off and worked")
    )
    application.add_handler(CommandHandler("calendar", calendar_command))
