"""Storage on SQLite and PostgreSQL: migrations, transitions, events, numbering."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from dispatch.calendar import WorkCalendar
from dispatch.clock import ManualClock
from dispatch.errors import IllegalTransition
from dispatch.lifecycle import change_status
from dispatch.model import Role, Status, TicketKind
from dispatch.policy import DeskPolicy
from dispatch.stats import settle_first_responses
from dispatch.tickets import create_ticket
from dispatch.users import register_user
from storage.db import make_engine, make_sessionmaker
from storage.migrate import current_revision, head_revision
from storage.models import Base, EventRow, TicketRow
from storage.uow import UnitOfWorkFactory
from tests.databases import postgres_schema, sqlite_database

SHANGHAI = ZoneInfo("Asia/Shanghai")

POLICY = DeskPolicy(zone=SHANGHAI)


async def _customer(uow: UnitOfWorkFactory, clock: ManualClock, telegram_id: int = 1001) -> int:
    reg = await register_user(
        uow(),
        clock,
        telegram_id=telegram_id,
        display_name="Li Lei",
        username=None,
        telegram_language="zh-hans",
        manager_ids=(),
    )
    return reg.user.id


async def _count(engine: AsyncEngine, model: type[Base]) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(model))).scalar_one())


async def test_migrations_reach_head_and_match_the_models(engine: AsyncEngine) -> None:
    assert await current_revision(engine) == head_revision()

    def diff(sync_conn: object) -> list[object]:
        context = MigrationContext.configure(sync_conn)  # type: ignore[arg-type]
        return list(compare_metadata(context, Base.metadata))

    async with engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_each_transition_writes_exactly_one_event(
    engine: AsyncEngine, uow: UnitOfWorkFactory, clock: ManualClock
) -> None:
    customer = await _customer(uow, clock)
    ticket = await create_ticket(
        uow(), clock, SHANGHAI, customer_id=customer, kind=TicketKind.REPAIR
    )
    assert await _count(engine, EventRow) == 2  # user.registered, created
    for status in ("offered", "assigned", "en_route", "on_site", "completed", "signed"):
        clock.advance(timedelta(minutes=5))
        await change_status(
            uow(), clock, ticket_id=ticket.id, to=status, actor_id=customer, policy=POLICY
        )
    async with uow() as u:
        events = await u.events.for_ticket(ticket.id)
        stored = await u.tickets.get(ticket.id)
    assert [(e.from_status, e.to_status) for e in events] == [
        (None, "new"),
        ("new", "offered"),
        ("offered", "assigned"),
        ("assigned", "en_route"),
        ("en_route", "on_site"),
        ("on_site", "completed"),
        ("completed", "signed"),
    ]
    assert stored is not None and stored.status == "signed" and stored.version == 7
    assert events[-1].created_at == clock.now()


async def test_illegal_transition_is_refused_and_leaves_no_event(
    engine: AsyncEngine, uow: UnitOfWorkFactory, clock: ManualClock
) -> None:
    customer = await _customer(uow, clock)
    ticket = await create_ticket(
        uow(), clock, SHANGHAI, customer_id=customer, kind=TicketKind.REPAIR
    )
    before = await _count(engine, EventRow)
    with pytest.raises(IllegalTransition):
        await change_status(
            uow(), clock, ticket_id=ticket.id, to="signed", actor_id=customer, policy=POLICY
        )
    assert await _count(engine, EventRow) == before
    async with uow() as u:
        stored = await u.tickets.get(ticket.id)
    assert stored is not None and stored.status == "new" and stored.version == 1


async def test_ticket_numbers_follow_kind_and_local_day(
    uow: UnitOfWorkFactory, clock: ManualClock
) -> None:
    customer = await _customer(uow, clock)
    # 2026-11-22 23:30 in Shanghai is still 15:30 UTC on the 22nd ...
    clock.set(datetime(2026, 11, 22, 15, 30, tzinfo=UTC))
    first = await create_ticket(
        uow(), clock, SHANGHAI, customer_id=customer, kind=TicketKind.REPAIR
    )
    second = await create_ticket(
        uow(), clock, SHANGHAI, customer_id=customer, kind=TicketKind.REPAIR
    )
    complaint = await create_ticket(
        uow(), clock, SHANGHAI, customer_id=customer, kind=TicketKind.COMPLAINT
    )
    # ... and 16:30 UTC is already the 23rd there: the sequence starts again.
    clock.set(datetime(2026, 11, 22, 16, 30, tzinfo=UTC))
    next_day = await create_ticket(
        uow(), clock, SHANGHAI, customer_id=customer, kind=TicketKind.REPAIR
    )
    assert [first.number, second.number, complaint.number, next_day.number] == [
        "R-20261122-0001",
        "R-20261122-0002",
        "C-20261122-0001",
        "R-20261123-0001",
    ]


async def test_concurrent_ticket_creation_gives_distinct_numbers(
    engine: AsyncEngine, uow: UnitOfWorkFactory, clock: ManualClock
) -> None:
    customer = await _customer(uow, clock)
    tickets = await asyncio.gather(
        *(
            create_ticket(uow(), clock, SHANGHAI, customer_id=customer, kind=TicketKind.REPAIR)
            for _ in range(50)
        )
    )
    numbers = {t.number for t in tickets}
    assert len(numbers) == 50
    assert numbers == {f"R-20261122-{n:04d}" for n in range(1, 51)}
    assert await _count(engine, TicketRow) == 50


async def test_a_stale_copy_cannot_overwrite_a_newer_status(
    uow: UnitOfWorkFactory, clock: ManualClock
) -> None:
    from dispatch.errors import ConcurrentUpdate

    customer = await _customer(uow, clock)
    ticket = await create_ticket(
        uow(), clock, SHANGHAI, customer_id=customer, kind=TicketKind.REPAIR
    )
    async with uow() as u:
        stale = await u.tickets.get(ticket.id)
    await change_status(
        uow(), clock, ticket_id=ticket.id, to="offered", actor_id=None, policy=POLICY
    )
    assert stale is not None
    stale.status = Status.CANCELLED
    async with uow() as u:
        with pytest.raises(ConcurrentUpdate):
            await u.tickets.save(stale)


async def test_the_event_log_refuses_updates_and_deletes(
    engine: AsyncEngine, uow: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await _customer(uow, clock)
    for statement in ("UPDATE events SET kind = 'forged'", "DELETE FROM events"):
        with pytest.raises((DBAPIError, IntegrityError)):
            async with engine.begin() as conn:
                await conn.execute(text(statement))
    assert await _count(engine, EventRow) == 1


async def test_config_manager_is_promoted_on_next_contact(
    uow: UnitOfWorkFactory, clock: ManualClock
) -> None:
    reg = await register_user(
        uow(),
        clock,
        telegram_id=7,
        display_name="Wang",
        username=None,
        telegram_language="en",
        manager_ids=(),
    )
    assert reg.created and reg.user.role is Role.CUSTOMER
    again = await register_user(
        uow(),
        clock,
        telegram_id=7,
        display_name="Wang",
        username=None,
        telegram_language="en",
        manager_ids=(7,),
    )
    assert not again.created and again.user.role is Role.MANAGER


@pytest.mark.postgres
async def test_fifty_concurrent_creations_on_postgres_in_separate_connections(
    clock: ManualClock,
) -> None:
    """The issue's own check, spelled out on PostgreSQL with a pool wide enough to race."""
    from storage.db import make_sessionmaker

    async with postgres_schema() as (_url, eng):
        uow = UnitOfWorkFactory(make_sessionmaker(eng))
        customer = await _customer(uow, clock)
        tickets = await asyncio.gather(
            *(
                create_ticket(uow(), clock, SHANGHAI, customer_id=customer, kind=TicketKind.REPAIR)
                for _ in range(50)
            )
        )
        assert len({t.number for t in tickets}) == 50
        async with eng.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM tickets"))).scalar_one() == 50


async def test_sqlite_runs_in_wal_mode_with_full_sync_and_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(await sqlite_database(tmp_path))
    async with engine.connect() as conn:
        assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
        assert (await conn.exec_driver_sql("PRAGMA synchronous")).scalar() == 2  # FULL
        assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
    await engine.dispose()


async def test_kpis_are_aggregated_in_the_database(uow: UnitOfWorkFactory) -> None:
    """The seeded month of tests/handlers/test_stats.py, counted on each database."""
    from tests.handlers.test_stats import seed_month

    async with uow() as unit:
        ids = await seed_month(unit.session)
    start = datetime(2026, 10, 31, 16, 0, tzinfo=UTC)  # November in Shanghai
    end = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    async with uow() as unit:
        november = await unit.stats.kpi_counts(start, end)
        detail = await unit.stats.figures(start, end, 8, "Asia/Shanghai")
    assert (november.closed, november.closed_on_time) == (3, 2)
    assert (november.surveys_sent, november.surveys_answered, november.surveys_satisfied) == (
        3,
        2,
        1,
    )
    assert (november.jobs_completed, november.service_complaints) == (3, 1)
    assert detail.step_hours == {"dispatch": (3.0, 2), "arrival": (5.5, 2), "repair": (26.0, 1)}
    assert november.resolution_hours == 87.3
    # The office hours of first responses are counted by the calendar, then read.
    assert (november.first_responses, november.first_response_hours) == (0, None)
    calendar = WorkCalendar("CN", ZoneInfo("Asia/Shanghai"))
    assert await settle_first_responses(uow(), calendar) == 4  # A, B, C and October's D
    assert await settle_first_responses(uow(), calendar) == 0
    async with uow() as unit:
        november = await unit.stats.kpi_counts(start, end)
        october = await unit.stats.kpi_counts(start - timedelta(days=31), start)
    assert (november.first_responses, november.first_response_hours) == (3, 2.3)
    assert (october.first_response_hours, october.resolution_hours) == (8.5, 192.0)
    assert detail.per_day == {
        ("2026-11-09", "repair"): 2,
        ("2026-11-14", "complaint"): 1,
        ("2026-11-14", "installation"): 1,
        ("2026-11-16", "complaint"): 1,
        ("2026-11-20", "repair"): 1,
    }
    assert detail.causes == {"technician": 1, "product": 1}
    [li] = detail.technicians
    assert (li.name, li.jobs, li.on_time_checkins, li.first_time_fixes, li.complaints) == (
        "Li Wei",
        2,
        1,
        1,
        1,
    )
    assert li.rating == 4.5
    assert [(w.ticket_id, w.limits_passed) for w in detail.worst] == [(ids["B"], 2)]


async def test_a_tickets_figures_are_kept_as_it_moves_on_each_database(
    engine: AsyncEngine, uow: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """Moved through the lifecycle: the kept figures are right (hours on the clock, in
    UTC whatever the database's session zone) and equal those derived from the log."""
    from storage.facts import Facts, backfill_statements

    customer = await _customer(uow, clock)
    ticket = await create_ticket(
        uow(), clock, SHANGHAI, customer_id=customer, kind=TicketKind.REPAIR
    )
    for status, minutes in (("offered", 30), ("assigned", 60), ("on_site", 90)):
        clock.advance(timedelta(minutes=minutes))
        await change_status(
            uow(), clock, ticket_id=ticket.id, to=status, actor_id=customer, policy=POLICY
        )
    for status in ("completed", "signed", "closed"):
        clock.advance(timedelta(hours=1))
        await change_status(
            uow(), clock, ticket_id=ticket.id, to=status, actor_id=customer, policy=POLICY
        )
    async with engine.begin() as conn:
        kept = (await conn.execute(select(Facts))).one()._asdict()
        await conn.execute(Facts.delete())
        for statement in backfill_statements():
            await conn.execute(statement)
        derived = (await conn.execute(select(Facts))).one()._asdict()
    assert kept["dispatch_h"] == pytest.approx(1.5)  # 30 + 60 minutes to the acceptance
    assert kept["arrival_h"] == pytest.approx(3.0)
    assert kept["repair_h"] == pytest.approx(5.0)
    assert kept["completed_at"] == ticket.created_at + timedelta(hours=4)
    assert kept["closed_at"] == ticket.created_at + timedelta(hours=6)
    # An hour waiting for the signature does not count towards the resolution.
    assert (kept["waiting_h"], kept["waiting_since"]) == (pytest.approx(1.0), None)
    assert kept["resolution_h"] == pytest.approx(5.0)
    assert kept["first_response_at"] is None  # every move was the customer's own
    assert {k: pytest.approx(v) if isinstance(v, float) else v for k, v in kept.items()} == derived


async def test_one_process_at_a_time_knows_it_runs_the_desk_alone(engine: AsyncEngine) -> None:
    """The first process holds the desk's lock (PostgreSQL's advisory lock, or SQLite's
    lock file), a second one does not, and once the first is gone the next one holds it."""
    from storage.sole import SoleProcess

    other = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        first, late = SoleProcess(engine), SoleProcess(other)
        assert await first.claim()
        assert await first.claim()  # held already
        assert not await late.claim()
        assert await first.still_held()
        await first.release()
        assert await late.claim()
        assert not await first.claim()
        await late.release()
    finally:
        await other.dispose()


async def test_units_of_work_without_fsync_commit_lightly_and_the_others_durably(
    engine: AsyncEngine, clock: ManualClock
) -> None:
    """The outbox's claims and sent marks (bot.app) commit without waiting for the disk;
    every other transaction still does, on the same connections."""
    uow = UnitOfWorkFactory(make_sessionmaker(engine))
    postgres = engine.dialect.name == "postgresql"
    durability = text("SHOW synchronous_commit" if postgres else "PRAGMA synchronous")

    async def setting(factory: UnitOfWorkFactory) -> object:
        async with factory() as u:
            found = await u.session.scalar(durability)
            await u.commit()
            return found

    assert await setting(uow.without_fsync()) == ("off" if postgres else 1)  # 1: NORMAL
    assert await setting(uow) == ("on" if postgres else 2)  # 2: FULL
    user_id = await _customer(uow.without_fsync(), clock, telegram_id=77)
    async with uow() as u:
        found = await u.users.by_telegram_id(77)
    assert found is not None and found.id == user_id
