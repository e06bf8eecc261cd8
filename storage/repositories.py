"""Repositories: rows in, domain objects out. They never commit."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.errors import ConcurrentUpdate
from dispatch.messages import Outgoing, params_to_json
from dispatch.model import (
    DEADLINES,
    Attachment,
    Event,
    Invite,
    Language,
    Priority,
    Role,
    Technician,
    Ticket,
    TicketKind,
    User,
)
from storage.models import (
    AttachmentRow,
    EventRow,
    InviteRow,
    OutboxRow,
    TechnicianRow,
    TicketCounterRow,
    TicketRow,
    UserRow,
)

__all__ = [
    "SqlAttachmentRepository",
    "SqlEventRepository",
    "SqlInviteRepository",
    "SqlOutboxRepository",
    "SqlTechnicianRepository",
    "SqlTicketRepository",
    "SqlUserRepository",
]


def _insert(session: AsyncSession) -> Any:
    """The dialect's INSERT, for ON CONFLICT clauses (both SQLite and PostgreSQL have them)."""
    return pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert


def _user(row: UserRow) -> User:
    return User(
        id=row.id,
        telegram_id=row.telegram_id,
        role=Role(row.role),
        language=Language(row.language) if row.language else None,
        telegram_language=row.telegram_language,
        display_name=row.display_name,
        username=row.username,
        phone=row.phone,
        unreachable_at=row.unreachable_at,
        created_at=row.created_at,
    )


class SqlUserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: int) -> User | None:
        row = await self.session.get(UserRow, user_id)
        return _user(row) if row else None

    async def by_telegram_id(self, telegram_id: int) -> User | None:
        row = await self.session.scalar(select(UserRow).where(UserRow.telegram_id == telegram_id))
        return _user(row) if row else None

    async def add(
        self,
        *,
        telegram_id: int,
        role: Role,
        display_name: str,
        username: str | None,
        telegram_language: str | None,
        at: datetime,
    ) -> User:
        row = UserRow(
            telegram_id=telegram_id,
            role=role.value,
            display_name=display_name,
            username=username,
            telegram_language=telegram_language,
            created_at=at,
        )
        self.session.add(row)
        await self.session.flush()
        return _user(row)

    async def save(self, user: User) -> None:
        await self.session.execute(
            update(UserRow)
            .where(UserRow.id == user.id)
            .values(
                role=user.role.value,
                language=user.language.value if user.language else None,
                telegram_language=user.telegram_language,
                display_name=user.display_name,
                username=user.username,
                phone=user.phone,
                unreachable_at=user.unreachable_at,
            )
        )

    async def with_role(self, role: Role) -> list[User]:
        rows = await self.session.scalars(
            select(UserRow).where(UserRow.role == role.value).order_by(UserRow.id)
        )
        return [_user(row) for row in rows]


class SqlTechnicianRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: int) -> Technician | None:
        row = await self.session.get(TechnicianRow, user_id)
        if row is None:
            return None
        return Technician(
            user_id=row.user_id,
            name=row.name,
            phone=row.phone,
            skills=list(row.skills),
            base_latitude=row.base_latitude,
            base_longitude=row.base_longitude,
            service_radius_km=row.service_radius_km,
            capacity=row.capacity,
            on_duty=row.on_duty,
        )

    async def save(self, technician: Technician) -> None:
        values = {
            "name": technician.name,
            "phone": technician.phone,
            "skills": list(technician.skills),
            "base_latitude": technician.base_latitude,
            "base_longitude": technician.base_longitude,
            "service_radius_km": technician.service_radius_km,
            "capacity": technician.capacity,
            "on_duty": technician.on_duty,
        }
        stmt = _insert(self.session)(TechnicianRow).values(user_id=technician.user_id, **values)
        await self.session.execute(
            stmt.on_conflict_do_update(index_elements=["user_id"], set_=values)
        )


_TICKET_FIELDS = (
    "description",
    "product_category",
    "product_model",
    "purchase_date",
    "address",
    "latitude",
    "longitude",
    "contact_phone",
    "preferred_date",
    "preferred_slot",
    "assigned_technician_id",
    "related_ticket_id",
    "priority_area",
    "intake_key",
)


def _ticket(row: TicketRow) -> Ticket:
    ticket = Ticket(
        id=row.id,
        number=row.number,
        kind=TicketKind(row.kind),
        status=row.status,
        customer_id=row.customer_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
        priority=Priority(row.priority),
        version=row.version,
        details=dict(row.details or {}),
        deadlines={},
    )
    for name in _TICKET_FIELDS:
        setattr(ticket, name, getattr(row, name))
    for name in DEADLINES:
        ticket.deadlines[f"{name}_due_at"] = getattr(row, f"{name}_due_at")
        ticket.deadlines[f"{name}_fired_at"] = getattr(row, f"{name}_fired_at")
    return ticket


def _ticket_values(ticket: Ticket) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(ticket, name) for name in _TICKET_FIELDS}
    values.update(
        status=ticket.status,
        priority=ticket.priority.value,
        updated_at=ticket.updated_at,
        details=dict(ticket.details),
    )
    for key, value in ticket.deadlines.items():
        values[key] = value
    return values


class SqlTicketRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def next_number(self, prefix: str, day: date) -> int:
        # One atomic upsert: concurrent creators serialise on the counter row.
        stmt = _insert(self.session)(TicketCounterRow).values(prefix=prefix, day=day, last=1)
        stmt = stmt.on_conflict_do_update(
            index_elements=["prefix", "day"], set_={"last": TicketCounterRow.last + 1}
        ).returning(TicketCounterRow.last)
        result = await self.session.execute(stmt)
        return int(result.scalar_one())

    async def add(self, ticket: Ticket) -> Ticket:
        """Insert; a second ticket for the same intake key raises ConcurrentUpdate."""
        row = TicketRow(
            number=ticket.number,
            kind=ticket.kind.value,
            customer_id=ticket.customer_id,
            created_at=ticket.created_at,
            version=1,
            **_ticket_values(ticket),
        )
        self.session.add(row)
        try:
            await self.session.flush()
        except IntegrityError as exc:
            if ticket.intake_key and "intake_key" in str(exc.orig):
                raise ConcurrentUpdate(f"draft {ticket.intake_key} was already submitted") from None
            raise
        ticket.id = row.id
        ticket.version = 1
        return ticket

    async def get(self, ticket_id: int) -> Ticket | None:
        row = await self.session.get(TicketRow, ticket_id)
        return _ticket(row) if row else None

    async def by_number(self, number: str) -> Ticket | None:
        row = await self.session.scalar(select(TicketRow).where(TicketRow.number == number))
        return _ticket(row) if row else None

    async def save(self, ticket: Ticket) -> None:
        result = await self.session.execute(
            update(TicketRow)
            .where(TicketRow.id == ticket.id, TicketRow.version == ticket.version)
            .values(version=ticket.version + 1, **_ticket_values(ticket))
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentUpdate(f"ticket {ticket.number} was changed by someone else")
        ticket.version += 1

    async def of_customer(self, customer_id: int, kind: TicketKind | None = None) -> list[Ticket]:
        query = select(TicketRow).where(TicketRow.customer_id == customer_id)
        if kind is not None:
            query = query.where(TicketRow.kind == kind.value)
        rows = await self.session.scalars(query.order_by(TicketRow.id.desc()))
        return [_ticket(row) for row in rows]

    async def by_intake_key(self, key: str) -> Ticket | None:
        row = await self.session.scalar(select(TicketRow).where(TicketRow.intake_key == key))
        return _ticket(row) if row else None


class SqlAttachmentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, attachment: Attachment) -> None:
        self.session.add(
            AttachmentRow(
                ticket_id=attachment.ticket_id,
                uploaded_by=attachment.uploaded_by,
                purpose=attachment.purpose,
                media_type=attachment.media_type,
                telegram_file_id=attachment.file_id,
                telegram_file_unique_id=attachment.file_unique_id,
                created_at=attachment.created_at,
            )
        )

    async def for_ticket(self, ticket_id: int) -> list[Attachment]:
        rows = await self.session.scalars(
            select(AttachmentRow)
            .where(AttachmentRow.ticket_id == ticket_id)
            .order_by(AttachmentRow.id)
        )
        return [
            Attachment(
                id=row.id,
                ticket_id=row.ticket_id or 0,
                uploaded_by=row.uploaded_by,
                purpose=row.purpose,
                media_type=row.media_type,
                file_id=row.telegram_file_id,
                file_unique_id=row.telegram_file_unique_id,
                created_at=row.created_at,
            )
            for row in rows
        ]


class SqlEventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, event: Event) -> None:
        self.session.add(
            EventRow(
                ticket_id=event.ticket_id,
                actor_id=event.actor_id,
                kind=event.kind,
                from_status=event.from_status,
                to_status=event.to_status,
                details=dict(event.details),
                created_at=event.created_at,
            )
        )

    async def for_ticket(self, ticket_id: int) -> list[Event]:
        rows = await self.session.scalars(
            select(EventRow).where(EventRow.ticket_id == ticket_id).order_by(EventRow.id)
        )
        return [
            Event(
                id=row.id,
                kind=row.kind,
                created_at=row.created_at,
                ticket_id=row.ticket_id,
                actor_id=row.actor_id,
                from_status=row.from_status,
                to_status=row.to_status,
                details=dict(row.details or {}),
            )
            for row in rows
        ]


def _invite(row: InviteRow) -> Invite:
    return Invite(
        id=row.id,
        role=Role(row.role),
        created_by=row.created_by,
        created_at=row.created_at,
        expires_at=row.expires_at,
        used_at=row.used_at,
        used_by=row.used_by,
    )


class SqlInviteRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self, *, token_hash: str, role: Role, created_by: int, at: datetime, expires_at: datetime
    ) -> Invite:
        row = InviteRow(
            token_hash=token_hash,
            role=role.value,
            created_by=created_by,
            created_at=at,
            expires_at=expires_at,
        )
        self.session.add(row)
        await self.session.flush()
        return _invite(row)

    async def by_hash(self, token_hash: str) -> Invite | None:
        row = await self.session.scalar(select(InviteRow).where(InviteRow.token_hash == token_hash))
        return _invite(row) if row else None

    async def claim(self, invite_id: int, user_id: int, at: datetime) -> bool:
        # Compare-and-set: of two people redeeming one link at once, exactly one wins.
        result = await self.session.execute(
            update(InviteRow)
            .where(InviteRow.id == invite_id, InviteRow.used_at.is_(None))
            .where(InviteRow.expires_at > at)
            .values(used_at=at, used_by=user_id)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


class SqlOutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, message: Outgoing, *, at: datetime) -> None:
        values = {
            "user_id": message.user_id,
            "ticket_id": message.ticket_id,
            "template": message.text,
            "params": params_to_json(message.params),
            "buttons": [
                [{"label": b.label, "data": b.data, "url": b.url} for b in row]
                for row in message.buttons
            ],
            "dedup_key": message.dedup_key,
            "created_at": at,
            "next_attempt_at": message.not_before or at,
            "attempts": 0,
        }
        stmt = _insert(self.session)(OutboxRow).values(**values)
        if message.dedup_key is not None:
            stmt = stmt.on_conflict_do_nothing(index_elements=["dedup_key"])
        await self.session.execute(stmt)
