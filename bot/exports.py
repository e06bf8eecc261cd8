"""A period's data as files a manager takes into a spreadsheet: one XLSX workbook with a
sheet each for the tickets, the status moves and the surveys (header row frozen, times
and numbers typed as such, names in the manager's language), and the same three tables
as CSV in UTF-8 with a byte-order mark, so that Excel opens the Chinese correctly.

XlsxWriter writes the workbook (row by row in constant memory, several times faster
than openpyxl for a month of 100,000 tickets); times are the desk's local times, as
Excel has no time zones.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import xlsxwriter

from dispatch.labels import kind_label, status_label
from dispatch.messages import N_
from dispatch.model import TicketKind
from dispatch.policy import DeskPolicy
from dispatch.ports import PeriodRows

__all__ = ["SHEETS", "export_files"]

Text = Callable[..., str]  # (msgid, **params) -> the text in the reader's language
Show = Callable[[Any], str]  # a parameter (a product's name in three languages) as read

# Each sheet: its file name and the msgids of its columns.
SHEETS: dict[str, tuple[str, ...]] = {
    "tickets": (
        N_("Request number"),
        N_("Kind"),
        N_("Status"),
        N_("Registered"),
        N_("Product"),
        N_("Model"),
        N_("Technician"),
        N_("Limits passed"),
    ),
    "steps": (N_("Request number"), N_("Kind"), N_("From"), N_("To"), N_("At"), N_("By")),
    "surveys": (
        N_("Request number"),
        N_("Sent"),
        N_("Answered"),
        N_("Timeliness"),
        N_("Attitude"),
        N_("Result"),
        N_("Comment"),
    ),
}
SHEET_TITLES = {"tickets": N_("Tickets"), "steps": N_("Steps"), "surveys": N_("Surveys")}


def _local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    return None if moment is None else moment.astimezone(zone).replace(tzinfo=None)


def _tables(
    rows: PeriodRows, text_of: Text, show: Show, policy: DeskPolicy
) -> dict[str, list[tuple[Any, ...]]]:
    """The three tables as cells: labels translated (each once: a month repeats a
    handful of them half a million times), times local."""
    zone = policy.zone

    @functools.cache
    def kind_name(kind: str) -> str:
        return text_of(kind_label(TicketKind(kind)))

    @functools.cache
    def status(kind: str, value: str | None) -> str:
        return "" if value is None else text_of(status_label(TicketKind(kind), value))

    @functools.cache
    def product(code: str | None) -> str:
        found = policy.product(code)
        return show(found.name) if found else (code or "")

    return {
        "tickets": [
            (
                number,
                kind_name(kind),
                status(kind, state),
                _local(created, zone),
                product(category),
                model or "",
                technician or "",
                passed,
            )
            for number, kind, state, created, category, model, technician, passed in rows.tickets
        ],
        "steps": [
            (
                number,
                kind_name(kind),
                status(kind, before),
                status(kind, after),
                _local(at, zone),
                by or "",
            )
            for number, kind, before, after, at, by in rows.steps
        ],
        "surveys": [
            (number, _local(sent, zone), _local(answered, zone), *ratings, comment or "")
            for number, sent, answered, *ratings, comment in rows.surveys
        ],
    }


def _xlsx(tables: dict[str, list[tuple[Any, ...]]], text_of: Text) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True, "in_memory": True})
    bold = book.add_format({"bold": True, "bg_color": "#E8EEF4"})
    moment = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for name, table in tables.items():
        sheet = book.add_worksheet(text_of(SHEET_TITLES[name]))
        headers = [text_of(header) for header in SHEETS[name]]
        sheet.write_row(0, 0, headers, bold)
        sheet.freeze_panes(1, 0)
        for column, header in enumerate(headers):
            sheet.set_column(column, column, max(12, len(header) + 4))
        for index, row in enumerate(table, start=1):
            for column, value in enumerate(row):
                if isinstance(value, datetime):
                    sheet.write_datetime(index, column, value, moment)
                elif value is None:
                    sheet.write_blank(index, column, None)
                elif isinstance(value, int | float):
                    sheet.write_number(index, column, value)
                else:
                    sheet.write_string(index, column, str(value))
    book.close()
    return buffer.getvalue()


def _csv(table: Sequence[tuple[Any, ...]], headers: list[str]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(headers)
    for row in table:
        writer.writerow(
            [
                value.isoformat(sep=" ", timespec="minutes")
                if isinstance(value, datetime)
                else ("" if value is None else value)
                for value in row
            ]
        )
    return text.getvalue().encode("utf-8-sig")  # the BOM tells Excel it is UTF-8


def export_files(
    rows: PeriodRows, text_of: Text, show: Show, policy: DeskPolicy, stem: str
) -> list[tuple[str, bytes]]:
    """The workbook and the three CSV files, as (file name, content); ``stem`` begins
    each name (for example ``aftercare-2026-11``)."""
    tables = _tables(rows, text_of, show, policy)
    files = [(stem + ".xlsx", _xlsx(tables, text_of))]
    for name, table in tables.items():
        headers = [text_of(header) for header in SHEETS[name]]
        files.append((stem + "-" + name + ".csv", _csv(table, headers)))
    return files
