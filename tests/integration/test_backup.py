"""`aftercare backup`: a copy of the live SQLite database with every committed write and
nothing of a transaction still open, checked; PostgreSQL is sent to pg_dump."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from tests.databases import sqlite_database

ROOT = Path(__file__).resolve().parents[2]
CONFIG = str(ROOT / "config.example.toml")


def _names(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return [row[0] for row in db.execute("SELECT display_name FROM users ORDER BY id")]


async def test_a_backup_of_the_live_database_holds_what_was_committed_and_is_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = await sqlite_database(tmp_path)
    monkeypatch.setenv("AFTERCARE_DATABASE_URL", url)
    live = Path(url.split("///", 1)[1])
    insert = (
        "INSERT INTO users (telegram_id, role, display_name, created_at) "
        "VALUES (?, 'customer', ?, '2026-11-22 02:00:00.000000')"
    )
    with sqlite3.connect(live) as db:
        db.execute(insert, (1, "Amy"))
    writer = sqlite3.connect(live, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # the bot in the middle of a transaction
    writer.execute(insert, (2, "Half written"))
    try:
        target = tmp_path / "backups" / "desk-2026-11-28.db"
        assert main(["backup", "--to", str(target), "--config", CONFIG]) == 0
    finally:
        writer.execute("COMMIT")
        writer.close()
    said = capsys.readouterr().out
    assert said.startswith(f"Backed up {live} to {target} (")
    assert "integrity checked" in said and f"copy {target} to {live}" in said
    assert _names(target) == ["Amy"]
    assert _names(live) == ["Amy", "Half written"]

    # A second backup to the same file is refused: nothing is overwritten.
    assert main(["backup", "--to", str(target), "--config", CONFIG]) == 2
    assert capsys.readouterr().err.strip() == (
        f"backup: {target} exists already; give a new file name"
    )


def test_postgresql_is_backed_up_with_its_own_tools(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("AFTERCARE_DATABASE_URL", "postgresql+asyncpg://desk@127.0.0.1/desk")
    assert main(["backup", "--to", str(tmp_path / "x.db"), "--config", CONFIG]) == 2
    assert "pg_dump" in capsys.readouterr().err
