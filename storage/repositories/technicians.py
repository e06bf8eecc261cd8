"""Technicians: profile, duty, location, and the fleet the dispatch engine searches."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.assignment import Member
from dispatch.model import (
    Certificate,
    Technician,
    Ticket,
)
from storage.field_models import TechnicianCertificateRow
from storage.models import OfferRow, TechnicianRow, TicketRow
from storage.repositories.common import dialect_insert
from storage.repositories.tickets import LISTED_FIELD_STATUSES, OPEN_FIELD_STATUSES, to_ticket

__all__ = ["SqlTechnicianRepository"]


def _to_technician(row: TechnicianRow) -> Technician:
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
        active=row.active,
        last_location_at=row.last_location_at,
    )


class SqlTechnicianRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: int) -> Technician | None:
        row = await self.session.get(TechnicianRow, user_id)
        return None if row is None else _to_technician(row)

    async def team(self) -> list[tuple[Technician, int]]:
        open_jobs = (
            select(TicketRow.assigned_technician_id, func.count().label("n"))
            .where(TicketRow.status.in_(OPEN_FIELD_STATUSES))
            .group_by(TicketRow.assigned_technician_id)
            .subquery()
        )
        rows = await self.session.execute(
            select(TechnicianRow, func.coalesce(open_jobs.c.n, 0))
            .outerjoin(open_jobs, open_jobs.c.assigned_technician_id == TechnicianRow.user_id)
            .order_by(TechnicianRow.name)
        )
        return [(_to_technician(row), int(jobs)) for row, jobs in rows.tuples()]

    async def names(self, user_ids: list[int]) -> dict[int, str]:
        rows = await self.session.execute(
            select(TechnicianRow.user_id, TechnicianRow.name).where(
                TechnicianRow.user_id.in_(user_ids)
            )
        )
        return {user_id: name for user_id, name in rows.tuples()}

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
            "active": technician.active,
        }
        stmt = dialect_insert(self.session)(TechnicianRow).values(
            user_id=technician.user_id, **values
        )
        await self.session.execute(
            stmt.on_conflict_do_update(index_elements=["user_id"], set_=values)
        )

    async def set_duty(self, user_id: int, on_duty: bool) -> None:
        await self.session.execute(
            update(TechnicianRow).where(TechnicianRow.user_id == user_id).values(on_duty=on_duty)
        )

    async def set_location(
        self,
        user_id: int,
        latitude: float,
        longitude: float,
        accuracy_m: float | None,
        at: datetime,
        live_until: datetime | None,
    ) -> None:
        await self.session.execute(
            update(TechnicianRow)
            .where(TechnicianRow.user_id == user_id)
            .values(
                last_latitude=latitude,
                last_longitude=longitude,
                last_accuracy_m=accuracy_m,
                last_location_at=at,
                live_until=live_until,
            )
        )

    async def last_location(
        self, user_id: int
    ) -> tuple[float, float, float | None, datetime] | None:
        row = await self.session.get(TechnicianRow, user_id)
        if (
            row is None
            or row.last_latitude is None
            or row.last_longitude is None
            or row.last_location_at is None
        ):
            return None
        return row.last_latitude, row.last_longitude, row.last_accuracy_m, row.last_location_at

    async def fleet(self, now: datetime, *, fresh: timedelta) -> list[Member]:
        open_jobs = (
            select(TicketRow.assigned_technician_id, func.count().label("n"))
            .where(TicketRow.status.in_(OPEN_FIELD_STATUSES))
            .group_by(TicketRow.assigned_technician_id)
            .subquery()
        )
        offered = (
            select(OfferRow.technician_id).where(OfferRow.status == "pending").distinct().subquery()
        )
        query = (
            select(
                TechnicianRow.user_id,
                TechnicianRow.base_latitude,
                TechnicianRow.base_longitude,
                TechnicianRow.last_latitude,
                TechnicianRow.last_longitude,
                TechnicianRow.last_location_at,
                TechnicianRow.service_radius_km,
                TechnicianRow.skills,
                TechnicianRow.capacity,
                func.coalesce(open_jobs.c.n, 0),
                offered.c.technician_id.is_not(None),
            )
            .outerjoin(open_jobs, open_jobs.c.assigned_technician_id == TechnicianRow.user_id)
            .outerjoin(offered, offered.c.technician_id == TechnicianRow.user_id)
            .where(TechnicianRow.on_duty.is_(True), TechnicianRow.active.is_(True))
        )
        held: dict[int, list[tuple[str, date]]] = {}
        certified = select(
            TechnicianCertificateRow.technician_id,
            TechnicianCertificateRow.code,
            TechnicianCertificateRow.valid_until,
        ).join(TechnicianRow, TechnicianRow.user_id == TechnicianCertificateRow.technician_id)
        for holder, code, until in await self.session.execute(
            certified.where(TechnicianRow.on_duty.is_(True))
        ):
            held.setdefault(holder, []).append((code, until))
        members = []
        for (
            uid,
            blat,
            blon,
            llat,
            llon,
            lat_at,
            radius,
            skills,
            capacity,
            jobs,
            has_offer,
        ) in await self.session.execute(query):
            live = llat is not None and lat_at is not None and now - lat_at <= fresh
            members.append(
                Member(
                    user_id=uid,
                    latitude=llat if live else blat,
                    longitude=llon if live else blon,
                    base_latitude=blat,
                    base_longitude=blon,
                    radius_km=radius,
                    skills=frozenset(skills),
                    open_jobs=int(jobs),
                    capacity=capacity,
                    has_open_offer=bool(has_offer),
                    certificates=tuple(held.get(uid, ())),
                )
            )
        return members

    async def available(self, user_id: int) -> bool:
        row = await self.session.get(TechnicianRow, user_id)
        if row is None or not row.on_duty or not row.active:
            return False
        busy = await self.session.scalar(
            select(func.count())
            .select_from(TicketRow)
            .where(
                TicketRow.assigned_technician_id == user_id,
                TicketRow.status.in_(OPEN_FIELD_STATUSES),
            )
        )
        offered = await self.session.scalar(
            select(func.count())
            .select_from(OfferRow)
            .where(OfferRow.technician_id == user_id, OfferRow.status == "pending")
        )
        return int(busy or 0) < row.capacity and not offered

    async def open_jobs(self, user_id: int) -> list[Ticket]:
        rows = await self.session.scalars(
            select(TicketRow)
            .where(
                TicketRow.assigned_technician_id == user_id,
                TicketRow.status.in_(LISTED_FIELD_STATUSES),
            )
            .order_by(TicketRow.id)
        )
        return [to_ticket(row) for row in rows]

    async def certificates(self, technician_id: int | None = None) -> list[Certificate]:
        query = select(TechnicianCertificateRow)
        if technician_id is not None:
            query = query.where(TechnicianCertificateRow.technician_id == technician_id)
        return [_to_certificate(row) for row in await self.session.scalars(query)]

    async def save_certificate(self, certificate: Certificate) -> None:
        row = await self.session.scalar(
            select(TechnicianCertificateRow).where(
                TechnicianCertificateRow.technician_id == certificate.technician_id,
                TechnicianCertificateRow.code == certificate.code,
            )
        )
        if row is None:
            row = TechnicianCertificateRow(
                technician_id=certificate.technician_id, code=certificate.code
            )
            self.session.add(row)
        row.number = certificate.number
        row.valid_until = certificate.valid_until
        row.warned_on = certificate.warned_on
        await self.session.flush()

    async def expiring_unwarned(self, until: date) -> list[Certificate]:
        rows = await self.session.scalars(
            select(TechnicianCertificateRow)
            .where(
                TechnicianCertificateRow.valid_until <= until,
                TechnicianCertificateRow.warned_on.is_(None),
            )
            .order_by(TechnicianCertificateRow.valid_until, TechnicianCertificateRow.id)
        )
        return [_to_certificate(row) for row in rows]


def _to_certificate(row: TechnicianCertificateRow) -> Certificate:
    return Certificate(row.technician_id, row.code, row.number, row.valid_until, row.warned_on)
