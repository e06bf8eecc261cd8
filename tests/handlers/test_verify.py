"""``aftercare verify`` on a desk that did real work: a repair signed by its customer.
Untouched, everything verifies; a signed record or an event changed in SQL is named."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.cli import main
from bot.verify import seal_events
from storage.db import make_engine, make_sessionmaker
from storage.uow import UnitOfWorkFactory
from tests.conftest import MANAGER_ID
from tests.handlers.test_survey import signed_job
from tests.harness import Desk

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def verify(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Awaitable[tuple[int, str]]]:
    """``aftercare verify [args]`` on the desk's database: its exit code and what it printed."""
    config = tmp_path / "config.toml"
    config.write_text((ROOT / "config.example.toml").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("AFTERCARE_DATABASE_URL", desk.settings.database.url)

    async def run(*args: str) -> tuple[int, str]:
        command = ["verify", "--config", str(config), *args]
        code = await asyncio.to_thread(main, command)  # asyncio.run needs a loop of its own
        return code, capsys.readouterr().out

    return run


async def test_verify_names_a_changed_signed_record_and_a_changed_event(
    desk: Desk, verify: Callable[..., Awaitable[tuple[int, str]]]
) -> None:
    await desk.person(MANAGER_ID, "Boss").command("start")
    number = await signed_job(desk, desk.person(801, "Amy"))
    await seal_events(desk.services.uow)
    await desk.close()
    code, out = await verify()
    assert code == 0, out
    assert (
        out.startswith("Checked ")
        and "and 1 signed service records: everything is as it was recorded." in out
    )
    head = out.split("chain head ", 1)[1][:16]

    database = desk.settings.database.url.split("///", 1)[1]
    with sqlite3.connect(database) as db:
        db.execute("UPDATE service_records SET work = 'Replaced the compressor.'")
        db.execute("DROP TRIGGER events_no_update")
        [(event_id,)] = db.execute("SELECT id FROM events WHERE to_status = 'completed'").fetchall()
        db.execute("UPDATE events SET actor_id = NULL WHERE id = ?", (event_id,))
    code, out = await verify()
    assert code == 1
    assert out.splitlines() == [
        f"event {event_id}: changed after it was recorded (or its seal was)",
        f"the service record of {number}: work no longer read as the customer signed",
        out.splitlines()[-1],
    ]
    assert out.splitlines()[-1].endswith("and 1 signed service records: 2 problems found.")

    with sqlite3.connect(database) as db:
        db.execute(
            "UPDATE service_records SET signed_payload = replace(signed_payload, 'Loose', 'Broken')"
        )
    code, out = await verify()
    assert code == 1
    assert f"the service record of {number}: what was signed was changed after the signature" in out

    # Someone rewrites the chain over their change: it verifies again, unless the head
    # noted earlier is given.
    with sqlite3.connect(database) as db:
        db.execute("DELETE FROM event_seals")
    engine = make_engine(desk.settings.database.url)
    await seal_events(UnitOfWorkFactory(make_sessionmaker(engine)))
    await engine.dispose()
    code, out = await verify()
    assert "event" not in out.splitlines()[0]
    code, out = await verify("--head", head)
    assert f"the earlier chain head {head}: is not in the chain: the log was rewritten since" in out
