"""Events (append-only) and attachments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.model import (
    Attachment,
    Event,
    EventKind,
    Status,
)
from storage import facts
from storage.models import (
    AttachmentRow,
    EventRow,
)

__all__ = ["SqlAttachmentRepository", "SqlEventRepository"]


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
        await facts.events_added(self.session, [event])

    async def add_many(self, events: list[Event]) -> None:
        """Many events in one statement (the sweep's), without the ORM's per-object work."""
        if events:
            await self.session.execute(
                EventRow.__table__.insert(),  # type: ignore[attr-defined]
                [
                    {
                        "ticket_id": e.ticket_id,
                        "actor_id": e.actor_id,
                        "kind": e.kind,
                        "from_status": e.from_status,
                        "to_status": e.to_status,
                        "details": dict(e.details),
                        "created_at": e.created_at,
                    }
                    for e in events
                ],
            )
            await facts.events_added(self.session, events)

    async def made_by(self, actor_id: int, kind: str, since: datetime) -> list[datetime]:
        rows = await self.session.scalars(
            select(EventRow.created_at).where(
                EventRow.kind == kind, EventRow.created_at > since, EventRow.actor_id == actor_id
            )
        )
        return list(rows)

    async def for_ticket(self, ticket_id: int) -> list[Event]:
        rows = await self.session.scalars(
            select(EventRow).where(EventRow.ticket_id == ticket_id).order_by(EventRow.id)
        )
        return [
            Event(
                id=row.id,
                kind=EventKind(row.kind),
                created_at=row.created_at,
                ticket_id=row.ticket_id,
                actor_id=row.actor_id,
                from_status=Status(row.from_status) if row.from_status else None,
                to_status=Status(row.to_status) if row.to_status else None,
                details=dict(row.details or {}),
            )
            for row in rows
        ]
