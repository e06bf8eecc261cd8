"""``aftercare report``: the monthly report and the figures of any range of days from the
command line, as managers get them in the chat (the same texts, charts and files), for a
manager who wants them in a folder or a job that mails them on."""

from __future__ import annotations

from datetime import UTC, date

from bot.config import Settings
from bot.i18n import Translator
from bot.insight import PeriodFiles, file_stem
from dispatch.company_days import load_company_days
from dispatch.kpis import Period
from dispatch.model import Language
from dispatch.monthly import REPORT, figures, month_bounds, render_params
from dispatch.stats import STATS, period_between, period_stats, stats_params
from storage.db import make_engine, make_sessionmaker
from storage.uow import UnitOfWorkFactory

__all__ = ["monthly_report", "stats_report"]


async def _files(
    files: PeriodFiles, language: Language, name: str, period: Period
) -> list[tuple[str, bytes]]:
    """The period's charts and files, named after it (``aftercare-2026-10-kpis.png``)."""
    stem = file_stem(name, period)
    charts = await files.charts(language, name, period)
    export = await files.export(language, name, period)
    return [("-".join((stem, file_name)), png) for file_name, png in charts.files] + export.files


async def monthly_report(
    settings: Settings, year: int, month: int, language: Language, files_too: bool
) -> tuple[str, list[tuple[str, bytes]]]:
    """The month's report text, and with ``files_too`` its charts and files."""
    engine = make_engine(settings.database.url)
    uow = UnitOfWorkFactory(make_sessionmaker(engine))
    translator = Translator(region=settings.desk.wording_region)
    policy = settings.policy
    try:
        start, end = month_bounds(policy, year, month)
        await load_company_days(uow(), policy.work_calendar)
        async with uow() as unit:
            records = await unit.stats.month(start.astimezone(UTC), end.astimezone(UTC))
            counts = await unit.stats.kpi_counts(start, end)
            planned = await unit.stats.planned_visits(start.date(), end.date())
        params = render_params(figures(policy, year, month, records, counts, planned))
        text = translator.render(language, REPORT, params, zone=settings.zone)
        made = []
        if files_too:
            files = PeriodFiles(uow, translator, settings)
            made = await _files(files, language, "month", Period(start, end))
        return text, made
    finally:
        await engine.dispose()


async def stats_report(
    settings: Settings, first: date, last: date, language: Language, files_too: bool
) -> tuple[str, list[tuple[str, bytes]]]:
    """/stats for the days from ``first`` to ``last``, and with ``files_too`` the charts
    and files."""
    engine = make_engine(settings.database.url)
    uow = UnitOfWorkFactory(make_sessionmaker(engine))
    translator = Translator(region=settings.desk.wording_region)
    policy = settings.policy
    try:
        period = period_between(first, last, policy)
        await load_company_days(uow(), policy.work_calendar)
        stats = await period_stats(uow(), policy, name="range", period=period)
        text = translator.render(language, STATS, stats_params(stats, policy), zone=settings.zone)
        made = []
        if files_too:
            made = await _files(PeriodFiles(uow, translator, settings), language, "range", period)
        return text, made
    finally:
        await engine.dispose()
