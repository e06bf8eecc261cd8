from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from dispatch.clock import ManualClock
from storage.crypto import configure as configure_keys
from storage.db import make_engine, make_sessionmaker
from storage.uow import UnitOfWorkFactory
from tests.databases import postgres_schema, sqlite_database


@pytest.fixture(autouse=True)
def _no_key_ring_left_behind() -> object:
    """The key ring is the process's (storage.crypto): a test that set one leaves none."""
    yield
    configure_keys(None)


@pytest.fixture
def clock() -> ManualClock:
    # A Sunday morning in Shanghai (02:00 UTC = 10:00 local).
    return ManualClock(datetime(2026, 11, 22, 2, 0, tzinfo=UTC))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A migrated database of each kind: every storage test runs on both."""
    if request.param == "sqlite":
        eng = make_engine(await sqlite_database(tmp_path))
        yield eng
        await eng.dispose()
    else:
        async with postgres_schema() as (_url, eng):
            yield eng


@pytest.fixture
def uow(engine: AsyncEngine) -> UnitOfWorkFactory:
    return UnitOfWorkFactory(make_sessionmaker(engine))


@pytest.fixture(params=["instant", "human"])
async def desk_factory(
    request: pytest.FixtureRequest, tmp_path: Path, clock: ManualClock
) -> AsyncIterator[object]:
    """Opens a Desk (the whole bot, in-process) on a fresh SQLite database.

    Every conversation test runs twice: ``instant``, everything delivered at once, and
    ``human``, with Telegram's flood limits on and each person answering a second after
    the bot's last message. At a human pace no call may draw a 429, and no customer may
    wait longer than that second for a question or its buttons.
    """
    from tests.harness import Desk, make_settings

    human = request.param == "human"
    opened: list[Desk] = []
    url = await sqlite_database(tmp_path)

    async def open_desk(
        *, managers: tuple[int, ...] = (), config: str = "", replace: dict[str, str] | None = None
    ) -> Desk:
        desk = await Desk.open(
            make_settings(url, managers=managers, config=config, replace=replace),
            clock,
            human=human,
        )
        opened.append(desk)
        return desk

    yield open_desk
    if human and opened:
        last = opened[-1]
        while last.successor is not None:
            last = last.successor
        assert last.api.flood_refusals == 0, "Telegram refused a call for flooding"
        customers = await last.customers()
        waited = {p.first_name: p.waited for p in last.people.values() if p.waited}
        assert {name: s for name, s in waited.items() if name in customers} == {}, (
            "customers waited for the bot (seconds beyond the one they take to answer)"
        )
    for first in opened:
        desk: Desk | None = first
        while desk is not None:  # restarted desks hand over to a successor
            if desk.app._initialized:
                await desk.close()
            desk = desk.successor


MANAGER_ID = 900_001


@pytest.fixture
async def desk(desk_factory: object) -> object:
    return await desk_factory(managers=(MANAGER_ID,))  # type: ignore[operator]
