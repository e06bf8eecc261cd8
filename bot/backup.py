"""``aftercare backup``: a consistent copy of the live SQLite database, checked.

SQLite's online backup API (the standard library's ``sqlite3.Connection.backup``) copies
the database page by page while the bot keeps writing, and restarts the copy if a page
it already copied changes: the result is the database as one moment saw it, with every
committed transaction up to that moment and nothing of one in flight. Copying the file
with ``cp`` instead can catch it half written (and misses what sits in the WAL). The
copy is then read through ``PRAGMA integrity_check`` before it is called good.

PostgreSQL has its own tools (``pg_dump``, or base backups for a standby); this command
says so rather than pretend.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

__all__ = ["Backup", "BackupError", "backup_sqlite", "sqlite_file"]

PAGES_PER_STEP = 1024  # then the bot's writers get the database for a moment


class BackupError(Exception):
    """One line: why no backup was made."""


@dataclass(frozen=True)
class Backup:
    source: Path
    target: Path
    pages: int


def sqlite_file(url: str) -> Path:
    """The database file of a SQLite URL; BackupError for any other database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise BackupError(
            "backup: the database is PostgreSQL; back it up with pg_dump (docs/operations.md, "
            "Backups)"
        )
    if not parsed.database or parsed.database == ":memory:":
        raise BackupError("backup: the database has no file to copy")
    return Path(parsed.database)


def backup_sqlite(source: Path, target: Path) -> Backup:
    """Copy ``source`` to ``target`` (which must not exist yet) while it is in use."""
    if not source.is_file():
        raise BackupError(f"backup: there is no database at {source}")
    if target.exists():
        raise BackupError(f"backup: {target} exists already; give a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    live = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    copy = sqlite3.connect(target)
    try:
        live.backup(copy, pages=PAGES_PER_STEP, sleep=0.01)
        pages = int(copy.execute("PRAGMA page_count").fetchone()[0])
        checked = copy.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        copy.close()
        live.close()
    if checked != "ok":
        target.unlink(missing_ok=True)
        raise BackupError(f"backup: the copy did not pass its integrity check ({checked})")
    return Backup(source, target, pages)
