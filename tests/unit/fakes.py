"""An in-memory unit of work for service tests (cosmicpython's FakeUnitOfWork): the rules
of dispatch/ run against it without Telegram or a database.

Only what the tested services touch is implemented; anything else raises, so a test
never passes by silently skipping a repository.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from types import TracebackType
from typing import Any, Self, cast

from dispatch.kpis import KpiCounts
from dispatch.messages import Outgoing
from dispatch.model import Event, Offer, Role, Technician, Ticket, TicketKind, User
from dispatch.ports import CompanyDay, UnitOfWork, UnitOfWorkFactory
from dispatch.stats_port import MonthRecords, MonthTicket


class _Missing:
    def __getattr__(self, name: str) -> Any:
        raise NotImplementedError(f"the fake unit of work has no {name}")


class FakeUsers:
    def __init__(self) -> None:
        self.rows: dict[int, User] = {}

    async def get(self, user_id: int) -> User | None:
        return self.rows.get(user_id)

    async def with_role(self, role: Role) -> list[User]:
        return [u for u in self.rows.values() if u.role is role]

    async def save(self, user: User) -> None:
        self.rows[user.id] = user


class FakeTechnicians:
    def __init__(self) -> None:
        self.rows: dict[int, Technician] = {}

    async def get(self, user_id: int) -> Technician | None:
        found = self.rows.get(user_id)
        return dataclasses.replace(found) if found else None

    async def set_duty(self, user_id: int, on_duty: bool) -> None:
        self.rows[user_id].on_duty = on_duty


class FakeTickets:
    def __init__(self) -> None:
        self.rows: dict[int, Ticket] = {}
        self.armed: list[tuple[int, str, str, datetime]] = []

    async def get(self, ticket_id: int) -> Ticket | None:
        found = self.rows.get(ticket_id)
        return dataclasses.replace(found, deadlines=dict(found.deadlines)) if found else None

    async def save(self, ticket: Ticket) -> None:
        self.rows[ticket.id] = ticket

    async def arm(
        self, ticket_id: int, column: str, step: str, due: datetime, next_at: datetime
    ) -> None:
        self.armed.append((ticket_id, column, step, due))


class FakeEvents:
    def __init__(self) -> None:
        self.rows: list[Event] = []

    async def add(self, event: Event) -> None:
        self.rows.append(event)

    async def made_by(self, actor_id: int, kind: str, since: datetime) -> list[datetime]:
        return [
            e.created_at
            for e in self.rows
            if e.actor_id == actor_id and e.kind == kind and e.created_at > since
        ]


class FakeOutbox:
    def __init__(self) -> None:
        self.rows: list[Outgoing] = []

    async def add(self, message: Outgoing, *, at: datetime) -> None:
        if message.dedup_key and any(m.dedup_key == message.dedup_key for m in self.rows):
            return
        self.rows.append(message)


class FakeOffers:
    def __init__(self) -> None:
        self.rows: dict[int, Offer] = {}

    async def get(self, offer_id: int) -> Offer | None:
        return self.rows.get(offer_id)


class FakeCalendar:
    def __init__(self) -> None:
        self.rows: dict[date, CompanyDay] = {}

    async def all(self) -> list[CompanyDay]:
        return [self.rows[d] for d in sorted(self.rows)]

    async def put(self, day: CompanyDay, *, by: int, at: datetime) -> None:
        self.rows[day.day] = day

    async def remove(self, day: date) -> bool:
        return self.rows.pop(day, None) is not None


class FakeStats:
    def __init__(self, outbox: FakeOutbox) -> None:
        self.outbox = outbox
        self.opened: datetime | None = None
        self.tickets: list[MonthTicket] = []
        self.reached: dict[int, dict[str, datetime]] = {}
        self.counts = KpiCounts(0, 0, 0, 0, 0, 0, 0)  # what the database would count
        self.planned = (0, 0)  # planned maintenance visits: booked, on time

    async def opened_at(self) -> datetime | None:
        return self.opened

    async def month(self, start: datetime, end: datetime) -> MonthRecords:
        tickets = [t for t in self.tickets if start <= t.created_at < end]
        return MonthRecords(tickets, self.reached)

    async def kpi_counts(self, start: datetime, end: datetime) -> KpiCounts:
        return self.counts

    async def planned_visits(self, first: date, end: date) -> tuple[int, int]:
        return self.planned

    async def sent(self, dedup_prefix: str) -> bool:
        return any((m.dedup_key or "").startswith(dedup_prefix) for m in self.outbox.rows)


class FakeUnitOfWork:
    """One shared in-memory store; ``commits`` counts the transactions that were kept.

    Changes are applied as they are made (no rollback): the services under test raise
    before they write, and the tests assert the commit count."""

    def __init__(self) -> None:
        self.users = FakeUsers()
        self.technicians = FakeTechnicians()
        self.tickets = FakeTickets()
        self.events = FakeEvents()
        self.outbox = FakeOutbox()
        self.offers = FakeOffers()
        self.calendar = FakeCalendar()
        self.stats = FakeStats(self.outbox)
        self.invites = self.attachments = self.requests = _Missing()
        self.visits = self.records = self.surveys = _Missing()
        self.commits = 0

    def __call__(self) -> Self:  # also its own factory, for services that take one
        return self

    @property
    def port(self) -> UnitOfWork:
        """This fake as the services' port (it implements the part they use)."""
        return cast("UnitOfWork", self)

    @property
    def factory(self) -> UnitOfWorkFactory:
        return cast("UnitOfWorkFactory", self)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def commit(self) -> None:
        self.commits += 1

    async def rollback(self) -> None:
        return None

    # -- seeding ----------------------------------------------------------------------
    def user(self, user_id: int, role: Role, at: datetime) -> User:
        user = User(
            id=user_id,
            telegram_id=1000 + user_id,
            role=role,
            language=None,
            telegram_language="en",
            display_name=f"U{user_id}",
            username=None,
            phone=None,
            unreachable_at=None,
            created_at=at,
        )
        self.users.rows[user_id] = user
        return user

    def technician(self, user_id: int, at: datetime, *, on_duty: bool = False) -> Technician:
        self.user(user_id, Role.TECHNICIAN, at)
        technician = Technician(
            user_id=user_id,
            name=f"T{user_id}",
            phone="+8613800138000",
            skills=["aircon"],
            base_latitude=31.23,
            base_longitude=121.47,
            service_radius_km=30,
            capacity=3,
            on_duty=on_duty,
        )
        self.technicians.rows[user_id] = technician
        return technician

    def ticket(self, ticket_id: int, kind: TicketKind, status: str, at: datetime) -> Ticket:
        from dispatch.model import Status

        ticket = Ticket(
            id=ticket_id,
            number=f"X-{ticket_id}",
            kind=kind,
            status=Status(status),
            customer_id=1,
            created_at=at,
            updated_at=at,
        )
        self.tickets.rows[ticket_id] = ticket
        return ticket
