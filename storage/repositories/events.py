"""Events (append-only) and attachments."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

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
    EventTextRow,
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


# Details that hold what someone wrote (a message, an answer, notes, an outcome, a
# comment, and on a ticket a reason: a cancellation's, a dispute's, a refusal's): kept
# apart from the event (models.EventTextRow). Reasons of events on no ticket (an expired
# invite) are codes and stay.
WRITTEN_KEYS = frozenset({"text", "comment", "answer", "notes", "outcome", "reason"})


class SqlEventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _details(self, event: Event) -> dict[str, Any]:
        """The details as the event row keeps them: what someone wrote moves to
        ``event_texts`` (erasable, encrypted with personal data), and the row keeps its
        id and SHA-256 (models.EventTextRow)."""
        details = dict(event.details)
        written = WRITTEN_KEYS if event.ticket_id is not None else WRITTEN_KEYS - {"reason"}
        for key in written & details.keys():
            text = str(details.pop(key))
            row = EventTextRow(ticket_id=event.ticket_id, text=text)
            self.session.add(row)
            await self.session.flush()
            details[f"{key}_id"] = row.id
            details[f"{key}_sha256"] = hashlib.sha256(text.encode()).hexdigest()
        return details

    async def add(self, event: Event) -> None:
        self.session.add(
            EventRow(
                ticket_id=event.ticket_id,
                actor_id=event.actor_id,
                kind=event.kind,
                from_status=event.from_status,
                to_status=event.to_status,
                details=await self._details(event),
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
                        "details": await self._details(e),
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
        """The ticket's events, with what people wrote put back in (an erased text reads
        as empty)."""
        rows = list(
            await self.session.scalars(
                select(EventRow).where(EventRow.ticket_id == ticket_id).order_by(EventRow.id)
            )
        )
        written = await self.session.execute(
            select(EventTextRow.id, EventTextRow.text).where(EventTextRow.ticket_id == ticket_id)
        )
        texts: dict[int, str | None] = {int(row[0]): row[1] for row in written}
        return [
            Event(
                id=row.id,
                kind=EventKind(row.kind),
                created_at=row.created_at,
                ticket_id=row.ticket_id,
                actor_id=row.actor_id,
                from_status=Status(row.from_status) if row.from_status else None,
                to_status=Status(row.to_status) if row.to_status else None,
                details=_written_back(row.details or {}, texts),
            )
            for row in rows
        ]


def _written_back(details: dict[str, Any], texts: dict[int, str | None]) -> dict[str, Any]:
    """An event's details with each text it refers to in place of the reference."""
    shown = dict(details)
    for key in WRITTEN_KEYS:
        if f"{key}_id" in shown:
            shown[key] = texts.get(int(shown.pop(f"{key}_id"))) or ""
            shown.pop(f"{key}_sha256", None)
    return shown
