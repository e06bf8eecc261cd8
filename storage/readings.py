"""What an operator watches, read from the database (``uow.readings``): the outbox's and the
inbox's backlog, pending offers and the time-limit alerts, for ``/healthz`` and ``/metrics``.

Read from the tables rather than counted in memory, so that every process (the active one
and a standby) reports the same desk, and a restart loses no count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import EventRow, InboxRow, OfferRow, OutboxRow

__all__ = ["Backlog", "SlaAlert", "SqlReadingsRepository"]

# The events the sweep records when a time limit is near (level 1) or missed (level 2).
SLA_WARNING = "sla.level1"
SLA_BREACH = "sla.level2"


@dataclass(frozen=True)
class Backlog:
    """What waits: messages due and not yet delivered, updates stored and not yet done."""

    outbox_due: int
    outbox_oldest_due_at: datetime | None  # the longest-waiting due message's due time
    inbox_unfinished: int
    inbox_oldest_received_at: datetime | None
    offers_pending: int


@dataclass(frozen=True)
class SlaAlert:
    """One warning or breach the sweep recorded."""

    event_id: int
    breach: bool
    step: str


class SqlReadingsRepository:
    """Read-only; never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def ping(self) -> None:
        """Raises if the database does not answer."""
        await self.session.execute(text("SELECT 1"))

    async def backlog(self, now: datetime) -> Backlog:
        outbox = (
            await self.session.execute(
                select(func.count(), func.min(OutboxRow.next_attempt_at)).where(
                    OutboxRow.sent_at.is_(None),
                    OutboxRow.dead_at.is_(None),
                    OutboxRow.next_attempt_at <= now,
                    # A reply whose update is still being handled is not due yet.
                    OutboxRow.update_id.is_(None),
                )
            )
        ).one()
        inbox = (
            await self.session.execute(
                select(func.count(), func.min(InboxRow.received_at)).where(
                    InboxRow.done_at.is_(None), InboxRow.given_up_at.is_(None)
                )
            )
        ).one()
        offers = await self.session.scalar(
            select(func.count()).select_from(OfferRow).where(OfferRow.status == "pending")
        )
        return Backlog(
            outbox_due=int(outbox[0]),
            outbox_oldest_due_at=outbox[1],
            inbox_unfinished=int(inbox[0]),
            inbox_oldest_received_at=inbox[1],
            offers_pending=int(offers or 0),
        )

    async def sla_alerts_after(self, event_id: int, limit: int = 5000) -> list[SlaAlert]:
        """The warnings and breaches recorded after ``event_id``, oldest first."""
        rows = await self.session.execute(
            select(EventRow.id, EventRow.kind, EventRow.details)
            .where(
                EventRow.id > event_id,
                or_(EventRow.kind == SLA_WARNING, EventRow.kind == SLA_BREACH),
            )
            .order_by(EventRow.id)
            .limit(limit)
        )
        return [
            SlaAlert(event_id=id_, breach=kind == SLA_BREACH, step=str((details or {}).get("step")))
            for id_, kind, details in rows
        ]
