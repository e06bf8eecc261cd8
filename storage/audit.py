"""The audit log's hash chain and the signed records, as stored (``uow.audit``); the rules
are dispatch.audit's.

``seal_pending`` seals the events not sealed yet, oldest id first, after the last seal.
The seals' numbers are the primary key and follow each other, so two sealers at once
cannot both extend the chain: the second one's insert fails and it seals next time.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.audit import GENESIS, SealedEvent, SignedRecord, event_text, next_hash
from storage.models import EventRow, EventSealRow, ServiceRecordRow, TicketRow
from storage.sqlite_driver import on_the_worker

__all__ = ["SqlAuditRepository"]

STRAGGLERS = 1000  # event ids below the last sealed one that the sweep still looks at


def _text(row: EventRow) -> str:
    return event_text(
        row.id,
        row.ticket_id,
        row.actor_id,
        row.kind,
        row.from_status,
        row.to_status,
        row.details,
        row.created_at,
    )


class SqlAuditRepository:
    """Never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def head(self) -> tuple[int, str]:
        """The last seal's number and hash (0 and GENESIS before the first)."""
        last = (
            await self.session.execute(
                select(EventSealRow.seq, EventSealRow.hash)
                .order_by(EventSealRow.seq.desc())
                .limit(1)
            )
        ).first()
        return (0, GENESIS) if last is None else (int(last[0]), str(last[1]))

    @on_the_worker
    async def seal_pending(self, limit: int = 2000, *, recent_only: bool = False) -> int:
        """Seal up to ``limit`` unsealed events; returns how many were sealed.

        ``recent_only`` (the sweep's, every 30 s) looks only above the last sealed event
        less STRAGGLERS, through the indexes, instead of at the whole log; an event whose
        transaction committed after later ones were sealed is that close. The full look
        is made at start-up and at a clean stop."""
        sealed = select(EventSealRow.event_id).where(EventSealRow.event_id == EventRow.id)
        query = select(EventRow).where(~sealed.exists())
        if recent_only:
            last = await self.session.scalar(select(func.max(EventSealRow.event_id)))
            if last is not None:
                query = query.where(EventRow.id > last - STRAGGLERS)
        rows = list(await self.session.scalars(query.order_by(EventRow.id).limit(limit)))
        if not rows:
            return 0
        seq, previous = await self.head()
        seals = []
        for row in rows:
            seq += 1
            previous = next_hash(previous, _text(row))
            seals.append({"seq": seq, "event_id": row.id, "hash": previous})
        await self.session.execute(insert(EventSealRow), seals)
        return len(seals)

    @on_the_worker
    async def seals_after(self, seq: int, limit: int = 5000) -> list[SealedEvent]:
        """The seals after number ``seq``, in order, with their events as they read now."""
        rows = await self.session.execute(
            select(EventSealRow, EventRow)
            .outerjoin(EventRow, EventRow.id == EventSealRow.event_id)
            .where(EventSealRow.seq > seq)
            .order_by(EventSealRow.seq)
            .limit(limit)
        )
        return [
            SealedEvent(seal.seq, seal.event_id, seal.hash, None if event is None else _text(event))
            for seal, event in rows
        ]

    @on_the_worker
    async def unsealed(self, before: datetime) -> int:
        """How many events recorded before ``before`` carry no seal."""
        sealed = select(EventSealRow.event_id).where(EventSealRow.event_id == EventRow.id)
        count = await self.session.scalar(
            select(func.count())
            .select_from(EventRow)
            .where(~sealed.exists(), EventRow.created_at < before)
        )
        return int(count or 0)

    @on_the_worker
    async def signed_records(self) -> list[SignedRecord]:
        signed_events = (
            select(EventRow.ticket_id, EventRow.details)
            .where(EventRow.to_status == "signed")
            .subquery()
        )
        rows = await self.session.execute(
            select(ServiceRecordRow, TicketRow.number, signed_events.c.details)
            .join(TicketRow, TicketRow.id == ServiceRecordRow.ticket_id)
            .outerjoin(signed_events, signed_events.c.ticket_id == ServiceRecordRow.ticket_id)
            .where(ServiceRecordRow.signed_hash.is_not(None))
            .order_by(ServiceRecordRow.id)
        )
        return [
            SignedRecord(
                number=number,
                payload=record.signed_payload,
                signed_hash=record.signed_hash or "",
                event_hash=(details or {}).get("sha256"),
                ticket_id=record.ticket_id,
            )
            for record, number, details in rows
        ]
