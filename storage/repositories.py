"""Repositories: rows in, domain objects out. They never commit."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.assignment import Member
from dispatch.errors import ConcurrentUpdate
from dispatch.messages import Outgoing, params_to_json
from dispatch.model import (
    DEADLINES,
    Attachment,
    Event,
    Invite,
    Language,
    Offer,
    Priority,
    Role,
    ServiceRecord,
    Technician,
    Ticket,
    TicketKind,
    User,
    Visit,
)
from dispatch.ports import DueAlert
from storage.models import (
    AttachmentRow,
    EventRow,
    InviteRow,
    OfferRow,
    OutboxRow,
    ServiceRecordRow,
    SurveyRow,
    TechnicianRow,
    TicketCounterRow,
    TicketRow,
    UserRow,
    VisitRow,
)
from storage.updates import HANDLING_UPDATE

# A field job holds a technician's capacity from acceptance until the work is done.
OPEN_FIELD_STATUSES = ("assigned", "en_route", "on_site")

__all__ = [
    "SqlAttachmentRepository",
    "SqlEventRepository",
    "SqlInviteRepository",
    "SqlOfferRepository",
    "SqlOutboxRepository",
    "SqlRecordRepository",
    "SqlSurveyRepository",
    "SqlTechnicianRepository",
    "SqlTicketRepository",
    "SqlUserRepository",
    "SqlVisitRepository",
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

    async def get_many(self, ids: list[int]) -> dict[int, User]:
        if not ids:
            return {}
        rows = await self.session.scalars(select(UserRow).where(UserRow.id.in_(ids)))
        return {row.id: _user(row) for row in rows}

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
        }
        stmt = _insert(self.session)(TechnicianRow).values(user_id=technician.user_id, **values)
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
            .where(TechnicianRow.on_duty.is_(True))
        )
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
                )
            )
        return members

    async def available(self, user_id: int) -> bool:
        row = await self.session.get(TechnicianRow, user_id)
        if row is None or not row.on_duty:
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
                TicketRow.status.in_(OPEN_FIELD_STATUSES),
            )
            .order_by(TicketRow.id)
        )
        return [_ticket(row) for row in rows]


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
    # Only the due dates: when alerts fired and what comes next belong to the sweep
    # (arm / claim_due / set_alerts below), so a save can never undo an alert already sent.
    for key, value in ticket.deadlines.items():
        if key.endswith("_due_at"):
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

    async def arm(
        self, ticket_id: int, column: str, step: str, due: datetime, next_at: datetime
    ) -> None:
        """Start a step's clock on a deadline column; its alerts start from the beginning."""
        await self.session.execute(
            update(TicketRow)
            .where(TicketRow.id == ticket_id)
            .values(
                {
                    f"{column}_due_at": due,
                    f"{column}_next_at": next_at,
                    f"{column}_level": 0,
                    f"{column}_step": step,
                    f"{column}_fired_at": None,
                }
            )
            .execution_options(synchronize_session=False)
        )

    async def claim_due(self, column: str, now: datetime, limit: int) -> list[DueAlert]:
        """Take every row of ``column`` whose next alert is due, in one statement.

        The claim clears ``next_at``; the caller writes the new level and next time in
        the same transaction (set_alerts), so a crash in between un-claims by rollback.
        On PostgreSQL the rows are picked FOR UPDATE SKIP LOCKED: sweepers in several
        processes split them instead of waiting.
        """
        next_at = getattr(TicketRow, f"{column}_next_at")
        pick = select(TicketRow.id).where(next_at <= now).order_by(next_at).limit(limit)
        if self.session.bind.dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        result = await self.session.execute(
            update(TicketRow)
            .where(TicketRow.id.in_(pick.scalar_subquery()), next_at <= now)
            .values({f"{column}_next_at": None})
            .returning(
                TicketRow.id,
                getattr(TicketRow, f"{column}_step"),
                getattr(TicketRow, f"{column}_level"),
                getattr(TicketRow, f"{column}_due_at"),
            )
            .execution_options(synchronize_session=False)
        )
        return [
            DueAlert(ticket_id=i, column=column, step=step, level=level, due_at=due, next_at=now)
            for i, step, level, due in result
        ]

    async def set_alerts(
        self, column: str, changes: list[tuple[int, int, datetime | None, datetime | None]]
    ) -> None:
        """(ticket id, level, next_at, fired_at or None to keep it) for claimed rows, in one go."""
        if not changes:
            return
        fired = [c for c in changes if c[3] is not None]
        kept = [c for c in changes if c[3] is None]
        table = cast(Table, TicketRow.__table__)
        if kept:
            await self.session.execute(
                table.update()
                .where(table.c.id == bindparam("t_id"))
                .values(
                    {
                        f"{column}_level": bindparam("t_level"),
                        f"{column}_next_at": bindparam("t_next"),
                    }
                ),
                [{"t_id": i, "t_level": level, "t_next": nxt} for i, level, nxt, _ in kept],
            )
        if fired:
            await self.session.execute(
                table.update()
                .where(table.c.id == bindparam("t_id"))
                .values(
                    {
                        f"{column}_level": bindparam("t_level"),
                        f"{column}_next_at": bindparam("t_next"),
                        f"{column}_fired_at": bindparam("t_fired"),
                    }
                ),
                [
                    {"t_id": i, "t_level": level, "t_next": nxt, "t_fired": at}
                    for i, level, nxt, at in fired
                ],
            )

    async def get_many(self, ids: list[int]) -> dict[int, Ticket]:
        """Plain rows, not ORM objects: the sweep reads many and changes none of them."""
        if not ids:
            return {}
        table = cast(Table, TicketRow.__table__)
        rows = await self.session.execute(select(table).where(table.c.id.in_(ids)))
        return {row.id: _ticket(row) for row in rows}  # type: ignore[arg-type]

    async def count_waiting(self) -> int:
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(TicketRow)
                .where(TicketRow.status == "new", TicketRow.kind.in_(("repair", "installation")))
            )
            or 0
        )

    async def waiting_for_dispatch(self, limit: int = 1000) -> list[Ticket]:
        rows = await self.session.scalars(
            select(TicketRow)
            .where(TicketRow.status == "new", TicketRow.kind.in_(("repair", "installation")))
            .order_by(TicketRow.id)
            .limit(limit)
        )
        return [_ticket(row) for row in rows]


def _offer(row: OfferRow) -> Offer:
    return Offer(
        id=row.id,
        ticket_id=row.ticket_id,
        technician_id=row.technician_id,
        status=row.status,
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
        return _offer(row)

    async def get(self, offer_id: int) -> Offer | None:
        row = await self.session.get(OfferRow, offer_id)
        return _offer(row) if row else None

    async def pending_for(self, ticket_id: int) -> Offer | None:
        row = await self.session.scalar(
            select(OfferRow).where(OfferRow.ticket_id == ticket_id, OfferRow.status == "pending")
        )
        return _offer(row) if row else None

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
        return [_offer(row) for row in rows]


def _visit(row: VisitRow) -> Visit:
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
        return _visit(row) if row else None

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


def _record(row: ServiceRecordRow) -> ServiceRecord:
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
        return _record(row) if row else None

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


def _handling_update() -> int | None:
    """Rows written while an update is handled wait for it to be done (storage.updates)."""
    handling = HANDLING_UPDATE.get()
    if handling is None:
        return None
    handling.wrote_outbox = True
    return handling.update_id


class SqlOutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, message: Outgoing, *, at: datetime) -> None:
        await self.add_many([message], at=at)

    async def missed(self, user_id: int, since: datetime) -> int:
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(OutboxRow)
                .where(
                    OutboxRow.user_id == user_id,
                    OutboxRow.dead_at >= since,
                    OutboxRow.sent_at.is_(None),
                )
            )
            or 0
        )

    async def add_many(self, messages: list[Outgoing], *, at: datetime) -> None:
        """Several messages in one statement; a repeated dedup key is ignored, as in add."""
        if not messages:
            return
        stmt = _insert(self.session)(OutboxRow).on_conflict_do_nothing(index_elements=["dedup_key"])
        await self.session.execute(stmt, [self._values(m, at) for m in messages])

    @staticmethod
    def _values(message: Outgoing, at: datetime) -> dict[str, Any]:
        return {
            "user_id": message.user_id,
            "ticket_id": message.ticket_id,
            "template": message.text,
            "params": {
                **params_to_json(message.params),
                **({"_location": list(message.location)} if message.location else {}),
                **({"_media": list(message.media)} if message.media else {}),
            },
            "buttons": [
                [{"label": b.label, "data": b.data, "url": b.url} for b in row]
                for row in message.buttons
            ],
            "dedup_key": message.dedup_key,
            "kind": message.kind,
            "created_at": at,
            "next_attempt_at": message.not_before or at,
            "attempts": 0,
            "update_id": _handling_update(),
        }


class SqlSurveyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, ticket_id: int) -> dict[str, Any] | None:
        row = await self.session.scalar(select(SurveyRow).where(SurveyRow.ticket_id == ticket_id))
        if row is None:
            return None
        return {
            "sent_at": row.sent_at,
            "reminded_at": row.reminded_at,
            "answered_at": row.answered_at,
            "timeliness": row.timeliness,
            "attitude": row.attitude,
            "result": row.result,
            "comment": row.comment,
        }

    async def create(self, ticket_id: int, sent_at: datetime) -> bool:
        result = await self.session.execute(
            _insert(self.session)(SurveyRow)
            .values(ticket_id=ticket_id, sent_at=sent_at)
            .on_conflict_do_nothing(index_elements=["ticket_id"])
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def _set(self, ticket_id: int, **values: Any) -> None:
        await self.session.execute(
            update(SurveyRow)
            .where(SurveyRow.ticket_id == ticket_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    async def reminded(self, ticket_id: int, at: datetime) -> None:
        await self._set(ticket_id, reminded_at=at)

    async def set_score(self, ticket_id: int, item: str, score: int) -> None:
        if item not in ("timeliness", "attitude", "result"):
            raise ValueError(item)
        await self._set(ticket_id, **{item: score})

    async def set_comment(self, ticket_id: int, text: str) -> None:
        await self._set(ticket_id, comment=text)

    async def close(self, ticket_id: int, at: datetime) -> None:
        await self._set(ticket_id, answered_at=at)
