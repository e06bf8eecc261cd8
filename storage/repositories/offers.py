"""Offers: one pending offer per ticket, closed by compare-and-set."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.errors import ConcurrentUpdate
from dispatch.model import (
    Offer,
    OfferStatus,
)
from storage.models import (
    OfferRow,
)

__all__ = ["SqlOfferRepository", "to_offer"]


def to_offer(row: OfferRow) -> Offer:
    return Offer(
        id=row.id,
        ticket_id=row.ticket_id,
        technician_id=row.technician_id,
        status=OfferStatus(row.status),
        offered_at=row.offered_at,
        expires_at=row.expires_at,
        distance_km=row.distance_km,
        responded_at=row.responded_at,
        decline_reason=row.decline_reason,
    )


class SqlOfferRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, offer: Offer) -> Offer:
        row = OfferRow(
            ticket_id=offer.ticket_id,
            technician_id=offer.technician_id,
            status=offer.status,
            distance_km=offer.distance_km,
            offered_at=offer.offered_at,
            expires_at=offer.expires_at,
        )
        self.session.add(row)
        try:
            await self.session.flush()
        except IntegrityError:
            raise ConcurrentUpdate(f"ticket {offer.ticket_id} already has an open offer") from None
        return to_offer(row)

    async def get(self, offer_id: int) -> Offer | None:
        row = await self.session.get(OfferRow, offer_id)
        return to_offer(row) if row else None

    async def pending_for(self, ticket_id: int) -> Offer | None:
        row = await self.session.scalar(
            select(OfferRow).where(OfferRow.ticket_id == ticket_id, OfferRow.status == "pending")
        )
        return to_offer(row) if row else None

    async def pending_of(self, technician_id: int) -> list[Offer]:
        rows = await self.session.scalars(
            select(OfferRow).where(
                OfferRow.technician_id == technician_id, OfferRow.status == "pending"
            )
        )
        return [to_offer(row) for row in rows]

    async def tried(self, ticket_id: int) -> set[int]:
        rows = await self.session.scalars(
            select(OfferRow.technician_id).where(
                OfferRow.ticket_id == ticket_id,
                OfferRow.status.in_(("declined", "expired", "withdrawn")),
            )
        )
        return set(rows)

    async def close(
        self, offer_id: int, *, to: str, at: datetime, reason: str | None = None
    ) -> bool:
        try:
            result = await self.session.execute(
                update(OfferRow)
                .where(OfferRow.id == offer_id, OfferRow.status == "pending")
                .values(status=to, responded_at=at, decline_reason=reason)
                .execution_options(synchronize_session=False)
            )
        except IntegrityError:  # another offer of this ticket was accepted first
            raise ConcurrentUpdate(f"offer {offer_id}: the ticket is taken") from None
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def withdraw_accepted(self, ticket_id: int, at: datetime) -> bool:
        result = await self.session.execute(
            update(OfferRow)
            .where(OfferRow.ticket_id == ticket_id, OfferRow.status == "accepted")
            .values(status="withdrawn", responded_at=at, decline_reason="reassigned")
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def due(self, now: datetime, limit: int = 100) -> list[Offer]:
        query = (
            select(OfferRow)
            .where(OfferRow.status == "pending", OfferRow.expires_at <= now)
            .order_by(OfferRow.expires_at)
            .limit(limit)
        )
        if self.session.bind.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)  # several bot processes share the sweep
        rows = await self.session.scalars(query)
        return [to_offer(row) for row in rows]
