"""Test databases: a migrated SQLite file per test, or a fresh PostgreSQL schema.

PostgreSQL tests run whenever the server answers. Where it does not, they are
skipped with the reason shown, except under CI (``CI`` set), where they fail:
CI must never pass without having run them.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import make_engine
from storage.migrate import upgrade

POSTGRES_URL = os.environ.get(
    "AFTERCARE_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)

_template: Path | None = None


async def sqlite_database(directory: Path) -> str:
    """A migrated SQLite database in ``directory``; migrations run once per test session."""
    global _template
    if _template is None or not _template.exists():
        template_dir = Path(tempfile.gettempdir()) / (f"aftercare-template-{os.getpid()}")
        template_dir.mkdir(parents=True, exist_ok=True)
        path = template_dir / "template.db"
        path.unlink(missing_ok=True)
        engine = make_engine(f"sqlite+aiosqlite:///{path}")
        await upgrade(engine)
        await engine.dispose()  # the last connection to close checkpoints the WAL
        _template = path
    target = directory / "aftercare.db"
    shutil.copyfile(_template, target)
    return f"sqlite+aiosqlite:///{target}"


async def _postgres_reachable() -> str | None:
    engine = make_engine(POSTGRES_URL)
    try:
        async with asyncio.timeout(5), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return None
    except Exception as exc:  # any failure means "not reachable" and is reported
        return f"{type(exc).__name__}: {exc}"
    finally:
        await engine.dispose()


async def require_postgres() -> None:
    problem = await _postgres_reachable()
    if problem is None:
        return
    message = f"PostgreSQL at {POSTGRES_URL} is not reachable ({problem})"
    if os.environ.get("CI"):
        pytest.fail(message + "; CI must run the PostgreSQL tests", pytrace=False)
    pytest.skip(message)


@asynccontextmanager
async def postgres_schema() -> AsyncIterator[tuple[str, AsyncEngine]]:
    """A migrated, throw-away schema; yields (url, engine bound to it)."""
    await require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(POSTGRES_URL, schema=schema)
    try:
        await upgrade(engine)
        yield POSTGRES_URL, engine
    finally:
        await engine.dispose()
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()
