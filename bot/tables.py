"""Tables managers send as files (CSV or XLSX), read into rows of text.

openpyxl reads the workbook (the first sheet) and the standard library's csv the rest;
what is written here is only the choice of encoding and separator: a CSV saved by Excel
in Chinese Windows is GB 18030, elsewhere UTF-8 (with or without its BOM), and Excel
writes a semicolon where the comma is the decimal mark.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from openpyxl import load_workbook

__all__ = ["MAX_BYTES", "TableError", "read_table"]

MAX_BYTES = 2_000_000
MAX_ROWS = 20_000


class TableError(ValueError):
    """The file is not a table this desk can read."""


def read_table(data: bytes, file_name: str) -> list[list[str]]:
    """The rows of a .csv or .xlsx file as text, empty rows left out."""
    if len(data) > MAX_BYTES:
        raise TableError("too large")
    name = file_name.lower()
    if name.endswith(".xlsx"):
        rows = _workbook(data)
    elif name.endswith((".csv", ".txt")):
        rows = _csv(data)
    else:
        raise TableError("not a table")
    return [row for row in rows if any(cell.strip() for cell in row)][:MAX_ROWS]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a number typed in Excel: 12345, not 12345.0
    return str(value).strip()


def _workbook(data: bytes) -> list[list[str]]:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise TableError("not a workbook") from exc
    try:
        sheet = book.worksheets[0]
        return [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _csv(data: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise TableError("unknown encoding")
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    return [
        [cell.strip() for cell in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)
    ]
