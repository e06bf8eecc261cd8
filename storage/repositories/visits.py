"""Visits and service records (a record is signed once)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.errors import ConcurrentUpdate
from dispatch.model import (
    ServiceRecord,
    Visit,
)
from storage.models import (
    ServiceRecordRow,
    VisitRow,
)

__all__ = ["SqlRecordRepository", "SqlVisitRepository", "to_record", "to_visit"]


def to_visit(row: VisitRow) -> Visit:
    return Visit(
        id=row.id,
        ticket_id=row.ticket_id,
        technician_id=row.technician_id,
        planned_at=row.planned_at,
        en_route_at=row.en_route_at,
        arrived_at=row.arrived_at,
        arrival_method=row.arrival_method,
        arrival_latitude=row.arrival_latitude,
        arrival_longitude=row.arrival_longitude,
        arrival_accuracy_m=row.arrival_accuracy_m,
        arrival_claimed_at=row.arrival_claimed_at,
        completed_at=row.completed_at,
    )


_VISIT_FIELDS = (
    "technician_id",
    "planned_at",
    "en_route_at",
    "arrived_at",
    "arrival_method",
    "arrival_latitude",
    "arrival_longitude",
    "arrival_accuracy_m",
    "arrival_claimed_at",
    "completed_at",
)


class SqlVisitRepository:
    """One visit per ticket: the latest is the one that counts."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def for_ticket(self, ticket_id: int) -> Visit | None:
        row = await self.session.scalar(
            select(VisitRow)
            .where(VisitRow.ticket_id == ticket_id)
            .order_by(VisitRow.id.desc())
            .limit(1)
        )
        return to_visit(row) if row else None

    async def save(self, visit: Visit) -> Visit:
        values = {name: getattr(visit, name) for name in _VISIT_FIELDS}
        if visit.id:
            await self.session.execute(
                update(VisitRow).where(VisitRow.id == visit.id).values(**values)
            )
            return visit
        row = VisitRow(ticket_id=visit.ticket_id, **values)
        self.session.add(row)
        await self.session.flush()
        visit.id = row.id
        return visit


def to_record(row: ServiceRecordRow) -> ServiceRecord:
    return ServiceRecord(
        id=row.id,
        ticket_id=row.ticket_id,
        visit_id=row.visit_id,
        warranty=row.warranty or "unknown",
        fault=row.fault,
        work=row.work,
        parts=list((row.parts or {}).get("items", [])),
        fees=list((row.fees or {}).get("items", [])),
        created_at=row.created_at,
        signed_at=row.signed_at,
        signed_hash=row.signed_hash,
        signed_payload=row.signed_payload,
    )


class SqlRecordRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def for_ticket(self, ticket_id: int) -> ServiceRecord | None:
        row = await self.session.scalar(
            select(ServiceRecordRow).where(ServiceRecordRow.ticket_id == ticket_id)
        )
        return to_record(row) if row else None

    async def add(self, record: ServiceRecord) -> ServiceRecord:
        row = ServiceRecordRow(
            ticket_id=record.ticket_id,
            visit_id=record.visit_id,
            warranty=record.warranty,
            fault=record.fault,
            work=record.work,
            parts={"items": record.parts},
            fees={"items": record.fees},
            created_at=record.created_at,
        )
        self.session.add(row)
        try:
            await self.session.flush()
        except IntegrityError:
            raise ConcurrentUpdate(
                f"ticket {record.ticket_id} already has a service record"
            ) from None
        record.id = row.id
        return record

    async def sign(self, record_id: int, *, at: datetime, payload: str, digest: str) -> bool:
        result = await self.session.execute(
            update(ServiceRecordRow)
            .where(ServiceRecordRow.id == record_id, ServiceRecordRow.signed_at.is_(None))
            .values(signed_at=at, signed_payload=payload, signed_hash=digest)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]
