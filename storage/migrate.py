"""Alembic, driven from code: upgrade to head, and tell the current revision.

The async engine hands a sync connection to Alembic (the cookbook's
"programmatic API use with asyncio" recipe), so this works inside a running
event loop, in the CLI and in tests alike.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["current_revision", "head_revision", "upgrade"]

MIGRATIONS = Path(__file__).parent / "migrations"


def _config(connection: Any = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    def run(sync_connection: Any) -> None:
        command.upgrade(_config(sync_connection), revision)
        context = MigrationContext.configure(sync_connection)
        if context.get_current_revision() == head_revision():
            from storage.facts import backfill_statements  # the KPIs' rows, from the log

            for statement in backfill_statements():
                sync_connection.execute(statement)

    async with engine.begin() as conn:
        await conn.run_sync(run)


async def current_revision(engine: AsyncEngine) -> str | None:
    def read(sync_connection: Any) -> str | None:
        return MigrationContext.configure(sync_connection).get_current_revision()

    async with engine.connect() as conn:
        return await conn.run_sync(read)
