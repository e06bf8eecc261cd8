"""The ports the domain needs; ``storage/`` implements them with SQLAlchemy.

A service opens a unit of work with ``async with uow:``, loads through its
repositories, changes domain objects, writes events and outgoing messages, and
calls ``await uow.commit()``. Leaving the block without a commit rolls back.
Repositories never commit.
"""

from __future__ import annotations

from datetime import date, datetime
from types import TracebackType
from typing import Protocol, Self

from dispatch.messages import Outgoing
from dispatch.model import Attachment, Event, Invite, Role, Technician, Ticket, TicketKind, User

__all__ = [
    "AttachmentRepository",
    "EventRepository",
    "InviteRepository",
    "OutboxRepository",
    "RequestRepository",
    "TechnicianRepository",
    "TicketRepository",
    "UnitOfWork",
    "UnitOfWorkFactory",
    "UserRepository",
]


class UserRepository(Protocol):
    async def get(self, user_id: int) -> User | None: ...
    async def by_telegram_id(self, telegram_id: int) -> User | None: ...
    async def add(
        self,
        *,
        telegram_id: int,
        role: Role,
        display_name: str,
        username: str | None,
        telegram_language: str | None,
        at: datetime,
    ) -> User: ...
    async def save(self, user: User) -> None: ...
    async def with_role(self, role: Role) -> list[User]: ...


class TechnicianRepository(Protocol):
    async def get(self, user_id: int) -> Technician | None: ...
    async def save(self, technician: Technician) -> None: ...


class TicketRepository(Protocol):
    async def next_number(self, prefix: str, day: date) -> int:
        """Reserve the next sequence number for ``prefix`` on ``day``; safe under concurrency."""
        ...

    async def add(self, ticket: Ticket) -> Ticket: ...
    async def get(self, ticket_id: int) -> Ticket | None: ...
    async def by_number(self, number: str) -> Ticket | None: ...
    async def save(self, ticket: Ticket) -> None:
        """Write ``ticket`` back if nobody changed it since it was loaded, else ConcurrentUpdate."""
        ...

    async def of_customer(
        self, customer_id: int, kind: TicketKind | None = None
    ) -> list[Ticket]: ...
    async def by_intake_key(self, key: str) -> Ticket | None: ...


class AttachmentRepository(Protocol):
    async def add(self, attachment: Attachment) -> None: ...
    async def for_ticket(self, ticket_id: int) -> list[Attachment]: ...


class EventRepository(Protocol):
    async def add(self, event: Event) -> None: ...
    async def for_ticket(self, ticket_id: int) -> list[Event]: ...


class InviteRepository(Protocol):
    async def add(
        self, *, token_hash: str, role: Role, created_by: int, at: datetime, expires_at: datetime
    ) -> Invite: ...
    async def by_hash(self, token_hash: str) -> Invite | None: ...
    async def claim(self, invite_id: int, user_id: int, at: datetime) -> bool:
        """Mark the invite used by ``user_id`` if still unused and unexpired; False otherwise."""
        ...


class OutboxRepository(Protocol):
    async def add(self, message: Outgoing, *, at: datetime) -> None: ...


class RequestRepository(Protocol):
    async def claim(self, request_id: int, at: datetime) -> bool:
        """True the first time ``request_id`` is seen; a redelivered request gets False."""
        ...


class UnitOfWork(Protocol):
    users: UserRepository
    technicians: TechnicianRepository
    tickets: TicketRepository
    events: EventRepository
    invites: InviteRepository
    outbox: OutboxRepository
    attachments: AttachmentRepository
    requests: RequestRepository

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...
