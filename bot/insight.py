"""The outbox sender's maker of a period's pictures and files (rows of kind "charts" and
"export", written by dispatch.stats.files_row): it reads the period when the row is
sent, renders in a thread (matplotlib and the spreadsheet are CPU work that must not
stall the bot's other chats) and hands back the files in the recipient's language."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from bot.config import Settings
from bot.exports import collector_paused, export_files
from bot.i18n import Translator, language_for
from bot.outbox import MadeFiles
from bot.report import FONT_CANDIDATES
from dispatch.kpis import Period
from dispatch.messages import N_, Param
from dispatch.model import Language
from dispatch.ports import PendingMessage
from dispatch.stats import period_of, period_rows, period_stats, period_title
from storage.uow import UnitOfWorkFactory

__all__ = ["PeriodFiles", "file_stem"]


def file_stem(name: str, period: Period) -> str:
    """``aftercare-2026-11`` for a month, ``aftercare-2026-11-16-2026-11-22`` otherwise."""
    start = period.start.date()
    if name in ("month", "last_month"):
        return "-".join(("aftercare", start.strftime("%Y-%m")))
    last = (period.end - timedelta(days=1)).date()
    return "-".join(("aftercare", start.isoformat(), last.isoformat()))


class PeriodFiles:
    def __init__(self, uow: UnitOfWorkFactory, translator: Translator, settings: Settings) -> None:
        self.uow = uow
        self.translator = translator
        self.settings = settings
        self._font_set = False

    def reader(self, language: Language) -> tuple[Any, Any]:
        """The ``t`` (msgid, **params) and ``show`` (one parameter) of a language."""
        zone = self.settings.zone

        def text_of(msgid: str, /, **params: Param) -> str:
            return self.translator.render(language, msgid, params, zone=zone)

        def show(value: Param) -> str:
            return str(self.translator.show(language, value, zone))

        return text_of, show

    async def charts(self, language: Language, name: str, period: Period) -> MadeFiles:
        policy = self.settings.policy
        stats = await period_stats(self.uow(), policy, name=name, period=period)
        text_of, _show = self.reader(language)
        title = period_title(stats)
        charts = await asyncio.to_thread(self._render, stats, text_of, title)
        caption = text_of(N_("📈 Charts for {period}"), period=title)
        pictures = [(chart.name + ".png", chart.png) for chart in charts]
        return MadeFiles(photos=True, files=pictures, caption=caption)

    def _render(self, stats: Any, text_of: Any, title: Param) -> Any:
        # matplotlib is loaded, and the font set, when a first chart is asked for: not at
        # every start of the bot.
        from bot.charts import chart_font, render_charts

        if not self._font_set:
            chart_font(self.settings.reports.font or None, FONT_CANDIDATES)
            self._font_set = True
        return render_charts(stats, text_of, title, self.settings.policy)

    async def export(self, language: Language, name: str, period: Period) -> MadeFiles:
        policy = self.settings.policy
        text_of, show = self.reader(language)
        with collector_paused():
            rows = await period_rows(self.uow(), period)
            files = await asyncio.to_thread(
                export_files, rows, text_of, show, policy, file_stem(name, period)
            )
        caption = text_of(
            N_("📄 Tickets, steps and surveys: a workbook, and the same three tables as CSV.")
        )
        return MadeFiles(photos=False, files=files, caption=caption)

    async def __call__(self, message: PendingMessage) -> MadeFiles:
        language = language_for(
            message.telegram_language,
            Language(message.language) if message.language else None,
            self.settings.desk.default_language,
        )
        name, period = period_of(message.params)
        if message.kind == "charts":
            return await self.charts(language, name, period)
        return await self.export(language, name, period)
