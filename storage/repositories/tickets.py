"""Tickets: numbering, optimistic saves, and the deadline columns the sweep reads."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.errors import ConcurrentUpdate
from dispatch.model import (
    DEADLINES,
    Priority,
    Status,
    Ticket,
    TicketKind,
)
from dispatch.ports import AlertChange, DueAlert
from storage import facts
from storage.models import (
    TicketCounterRow,
    TicketRow,
    UserRow,
)
from storage.repositories.common import dialect_insert

__all__ = [
    "LISTED_FIELD_STATUSES",
    "OPEN_FIELD_STATUSES",
    "SqlTicketRepository",
    "ticket_values",
    "to_ticket",
]


# A field job holds a technician's capacity from acceptance until the work is done.
OPEN_FIELD_STATUSES = ("assigned", "en_route", "on_site")
# A technician's list (/jobs) also keeps the jobs waiting for a part, which hold no capacity.
LISTED_FIELD_STATUSES = (*OPEN_FIELD_STATUSES, "waiting_part")


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


def to_ticket(row: TicketRow) -> Ticket:
    ticket = Ticket(
        id=row.id,
        number=row.number,
        kind=TicketKind(row.kind),
        status=Status(row.status),
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
        ticket.steps[name] = getattr(row, f"{name}_step")
    return ticket


def ticket_values(ticket: Ticket) -> dict[str, Any]:
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

    async def next_number(self, prefix: str, day: date, count: int = 1) -> int:
        """The first of ``count`` sequence numbers reserved together."""
        # One atomic upsert: concurrent creators serialise on the counter row.
        stmt = dialect_insert(self.session)(TicketCounterRow).values(
            prefix=prefix, day=day, last=count
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["prefix", "day"], set_={"last": TicketCounterRow.last + count}
        ).returning(TicketCounterRow.last)
        result = await self.session.execute(stmt)
        return int(result.scalar_one()) - count + 1

    async def add_many(self, tickets: list[Ticket]) -> list[Ticket]:
        """Insert many new tickets in one statement, without the ORM's per-object work
        (the planning pass's visits); kinds that touch other tickets' facts (complaints,
        repairs) go through :meth:`add`."""
        assert all(t.kind not in (TicketKind.COMPLAINT, TicketKind.REPAIR) for t in tickets)
        if not tickets:
            return tickets
        rows = [
            {
                "number": ticket.number,
                "kind": ticket.kind.value,
                "customer_id": ticket.customer_id,
                "created_at": ticket.created_at,
                "version": 1,
                **ticket_values(ticket),
            }
            for ticket in tickets
        ]
        # Core executemany, then the ids by the (unique) numbers: an INSERT ... RETURNING
        # of many rows goes row by row on SQLite, ten times slower (bench/planned.py).
        await self.session.execute(cast(Table, TicketRow.__table__).insert(), rows)
        found = await self.session.execute(
            select(TicketRow.number, TicketRow.id).where(
                TicketRow.number.in_([t.number for t in tickets])
            )
        )
        ids = {number: id_ for number, id_ in found}
        for ticket in tickets:
            ticket.id, ticket.version = ids[ticket.number], 1
        await facts.tickets_added(self.session, tickets)
        return tickets

    async def add(self, ticket: Ticket) -> Ticket:
        """Insert; a second ticket for the same intake key raises ConcurrentUpdate."""
        row = TicketRow(
            number=ticket.number,
            kind=ticket.kind.value,
            customer_id=ticket.customer_id,
            created_at=ticket.created_at,
            version=1,
            **ticket_values(ticket),
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
        await facts.ticket_added(self.session, row)
        return ticket

    async def get(self, ticket_id: int) -> Ticket | None:
        row = await self.session.get(TicketRow, ticket_id)
        return to_ticket(row) if row else None

    async def by_number(self, number: str) -> Ticket | None:
        row = await self.session.scalar(select(TicketRow).where(TicketRow.number == number))
        return to_ticket(row) if row else None

    async def save(self, ticket: Ticket) -> None:
        result = await self.session.execute(
            update(TicketRow)
            .where(TicketRow.id == ticket.id, TicketRow.version == ticket.version)
            .values(version=ticket.version + 1, **ticket_values(ticket))
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
        return [to_ticket(row) for row in rows]

    async def open_cases(self, limit: int = 500) -> list[Ticket]:
        rows = await self.session.scalars(
            select(TicketRow)
            .where(TicketRow.status.not_in(("closed", "cancelled")))
            .order_by(TicketRow.id)
            .limit(limit)
        )
        return [to_ticket(row) for row in rows]

    async def search(self, text: str, limit: int = 10) -> list[Ticket]:
        """By number (any part), the contact phone's digits, or the customer's name."""
        text = text.strip()
        digits = "".join(ch for ch in text if ch.isdigit())
        clauses = [
            TicketRow.number.icontains(text, autoescape=True),
            UserRow.display_name.icontains(text, autoescape=True),
        ]
        if len(digits) >= 4:
            clauses.append(TicketRow.contact_phone.contains(digits, autoescape=True))
        rows = await self.session.scalars(
            select(TicketRow)
            .join(UserRow, UserRow.id == TicketRow.customer_id)
            .where(or_(*clauses))
            .order_by(TicketRow.id.desc())
            .limit(limit)
        )
        return [to_ticket(row) for row in rows]

    async def by_intake_key(self, key: str) -> Ticket | None:
        row = await self.session.scalar(select(TicketRow).where(TicketRow.intake_key == key))
        return to_ticket(row) if row else None

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

    async def set_alerts(self, column: str, changes: list[AlertChange]) -> None:
        """The sweep's decisions for its claimed rows, in one statement per kind."""
        if not changes:
            return
        fired = [c for c in changes if c.fired_at is not None]
        kept = [c for c in changes if c.fired_at is None]
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
                [{"t_id": c.ticket_id, "t_level": c.level, "t_next": c.next_at} for c in kept],
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
                    {
                        "t_id": c.ticket_id,
                        "t_level": c.level,
                        "t_next": c.next_at,
                        "t_fired": c.fired_at,
                    }
                    for c in fired
                ],
            )

    async def get_many(self, ids: list[int]) -> dict[int, Ticket]:
        """Plain rows, not ORM objects: the sweep reads many and changes none of them."""
        if not ids:
            return {}
        table = cast(Table, TicketRow.__table__)
        rows = await self.session.execute(select(table).where(table.c.id.in_(ids)))
        return {row.id: to_ticket(row) for row in rows}  # type: ignore[arg-type]

    async def count_waiting(self) -> int:
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(TicketRow)
                .where(
                    TicketRow.status == "new",
                    TicketRow.kind.in_(("repair", "installation", "maintenance")),
                )
            )
            or 0
        )

    async def in_status(self, status: str, limit: int = 500) -> list[Ticket]:
        rows = await self.session.scalars(
            select(TicketRow).where(TicketRow.status == status).order_by(TicketRow.id).limit(limit)
        )
        return [to_ticket(row) for row in rows]

    async def waiting_for_dispatch(self, limit: int = 1000) -> list[Ticket]:
        rows = await self.session.scalars(
            select(TicketRow)
            .where(
                TicketRow.status == "new",
                TicketRow.kind.in_(("repair", "installation", "maintenance")),
            )
            .order_by(TicketRow.id)
            .limit(limit)
        )
        return [to_ticket(row) for row in rows]
