"""What every table a manager loads shares: its header row read by column names in
English or Chinese (in any order), and a technician named by a cell."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from dispatch.messages import Msg
from dispatch.model import Technician

__all__ = ["ImportReport", "find_technician", "header_of", "lines_of"]


@dataclass
class ImportReport:
    """What an import did: rows added, rows replaced, and the lines it could not read."""

    added: int = 0
    renewed: int = 0
    problems: list[Msg] = field(default_factory=list)


def header_of(
    row: Sequence[str],
    columns: Mapping[str, tuple[str, ...]],
    optional: Collection[str] = (),
) -> dict[str, int] | None:
    """Column positions by field, or None when ``row`` lacks a column that is not optional."""
    names = [re.sub(r"\s+", " ", cell.strip().lower()) for cell in row]
    found: dict[str, int] = {}
    for column, spellings in columns.items():
        for i, name in enumerate(names):
            if name in spellings and i not in found.values():
                found[column] = i
                break
    return found if set(columns) - set(optional) <= set(found) else None


def lines_of(
    rows: Sequence[Sequence[str]], columns: Mapping[str, int]
) -> Iterator[tuple[int, dict[str, str]]]:
    """Each line after the header with its number as a spreadsheet shows it (the header is
    line 1) and its cells by field, trimmed; blank lines are skipped."""
    for line, row in enumerate(rows[1:], start=2):
        cells = {k: (row[i].strip() if i < len(row) else "") for k, i in columns.items()}
        if any(cells.values()):
            yield line, cells


def find_technician(team: Sequence[Technician], text: str) -> Technician | None:
    """The technician a cell names: their name, or their phone number however written."""
    wanted = text.strip().casefold()
    digits = re.sub(r"\D", "", text)
    for technician in team:
        if technician.name.strip().casefold() == wanted:
            return technician
        own = re.sub(r"\D", "", technician.phone)
        if len(digits) >= 7 and own.endswith(digits):
            return technician
    return None
