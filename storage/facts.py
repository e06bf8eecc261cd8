"""Each ticket's figures, kept up to date as it moves (``ticket_facts``), so that the KPIs
of a period are one range read of one table instead of joins over the event log.

The event log stays the record; these rows are derived from it, written in the same
transaction as what changed them, by the three places every change passes through:
a ticket added (:func:`ticket_added`), events added (:func:`events_added`: status moves,
alerts, a complaint's cause) and a survey answered (:func:`survey_answered`). Tickets
written before the table existed, or by hand, are counted by :func:`backfill`, which
derives the same figures from the log (run by ``aftercare db upgrade``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    and_,
    case,
    exists,
    false,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, aliased, mapped_column

from dispatch.kpis import (
    FIELD,
    FIRST_RESPONSE_EVENTS,
    FIRST_TIME_FIX_DAYS,
    SERVICE_CAUSES,
    STEP_TIMES,
)
from dispatch.model import Event, EventKind, Status, Ticket, TicketKind
from dispatch.sla import SlaStep
from dispatch.states import WAITING_FOR_CUSTOMER
from storage.models import Base, EventRow, SurveyRow, TicketRow
from storage.sqltime import hours_between
from storage.types import UTCDateTime

__all__ = [
    "Facts",
    "TicketFactRow",
    "backfill_statements",
    "events_added",
    "survey_answered",
    "ticket_added",
]

STEP_HOURS = tuple(step.name + "_h" for step in STEP_TIMES)


class TicketFactRow(Base):
    """A ticket's figures for the KPIs, derived from its events as they are written
    (storage.facts): times to each step in hours, when it was completed and closed, the
    limits it passed, its rating and what came after it."""

    __tablename__ = "ticket_facts"
    __table_args__ = (
        # Each KPI query reads one of these indexes alone (storage.kpis).
        Index("ix_ticket_facts_created_at", "created_at", "kind", "breaches", "escalations"),
        Index("ix_ticket_facts_kind_created_at", "kind", "created_at", "service_cause"),
        Index("ix_ticket_facts_closed_at", "closed_at", "breaches", "resolution_h"),
        Index("ix_ticket_facts_completed_at", "completed_at", "technician_id"),
        Index("ix_ticket_facts_step_hours", "created_at", *STEP_HOURS, "first_response_h"),
        Index(
            "ix_ticket_facts_technician",
            "completed_at",
            "technician_id",
            "late_arrival",
            "arrival_h",
            "came_back",
            "rating",
            "complaints",
        ),
        # First responses whose working hours are still to be counted (storage.kpis).
        Index(
            "ix_ticket_facts_unsettled",
            "ticket_id",
            sqlite_where=text("first_response_at IS NOT NULL AND first_response_h IS NULL"),
            postgresql_where=text("first_response_at IS NOT NULL AND first_response_h IS NULL"),
        ),
        # A new repair finds the same customer's recent jobs (storage.facts).
        Index("ix_ticket_facts_customer_completed_at", "customer_id", "completed_at"),
    )

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    customer_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    technician_id: Mapped[int | None] = mapped_column(Integer)
    completed_at: Mapped[datetime | None]  # repairs and installations
    closed_at: Mapped[datetime | None]
    breaches: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    escalations: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    service_cause: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The technician came after the arrival limit (its breach, as the sweep saw it).
    late_arrival: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    came_back: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    complaints: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rating: Mapped[float | None] = mapped_column(Float)
    dispatch_h: Mapped[float | None] = mapped_column(Float)
    arrival_h: Mapped[float | None] = mapped_column(Float)
    repair_h: Mapped[float | None] = mapped_column(Float)
    first_reply_h: Mapped[float | None] = mapped_column(Float)
    answer_h: Mapped[float | None] = mapped_column(Float)
    verify_h: Mapped[float | None] = mapped_column(Float)
    plan_h: Mapped[float | None] = mapped_column(Float)
    review_h: Mapped[float | None] = mapped_column(Float)
    # The first answer by a person, and the office hours it took (dispatch.kpis).
    first_response_at: Mapped[datetime | None]
    first_response_h: Mapped[float | None] = mapped_column(Float)
    # Waiting for the customer since (dispatch.states.WAITING_FOR_CUSTOMER), the hours
    # waited before, and the hours to closing without them.
    waiting_since: Mapped[datetime | None]
    waiting_h: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    resolution_h: Mapped[float | None] = mapped_column(Float)
    # Set while storage.facts.backfill fills the row in, then cleared.
    backfilled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


Facts = cast(Table, TicketFactRow.__table__)
# The limits of the technician's arrival: passing one makes the check-in late.
ARRIVAL_STEPS = (SlaStep.REPAIR_ON_SITE, SlaStep.REPAIR_ON_SITE_PRIORITY)


def _step_column(name: str) -> Any:
    return Facts.c[name + "_h"]


async def tickets_added(session: AsyncSession, tickets: Sequence[Ticket]) -> None:
    """New tickets' rows in one statement (kinds that count against no other ticket)."""
    await session.execute(
        insert(Facts),
        [
            {
                "ticket_id": t.id,
                "kind": t.kind.value,
                "customer_id": t.customer_id,
                "created_at": t.created_at,
            }
            for t in tickets
        ],
    )


async def ticket_added(session: AsyncSession, row: TicketRow) -> None:
    """A new ticket's row; a complaint about a job counts against that job, and a repair
    asked for within 30 days of a job done for the same customer means that job was not
    fixed the first time."""
    await session.execute(
        insert(Facts).values(
            ticket_id=row.id, kind=row.kind, customer_id=row.customer_id, created_at=row.created_at
        )
    )
    if row.kind == TicketKind.COMPLAINT and row.related_ticket_id is not None:
        await session.execute(
            update(Facts)
            .where(Facts.c.ticket_id == row.related_ticket_id)
            .values(complaints=Facts.c.complaints + 1)
        )
    if row.kind == TicketKind.REPAIR:
        await session.execute(
            update(Facts)
            .where(
                Facts.c.customer_id == row.customer_id,
                Facts.c.kind.in_(FIELD),
                Facts.c.completed_at >= row.created_at - timedelta(days=FIRST_TIME_FIX_DAYS),
                Facts.c.ticket_id != row.id,
            )
            .values(came_back=True)
        )


def _status_values(event: Event) -> dict[str, Any]:
    # Bound as the columns' own type: aware UTC on both databases.
    at, to = literal(event.created_at, UTCDateTime()), event.to_status
    values: dict[str, Any] = {}
    for step in STEP_TIMES:
        if to in step.reached:
            column = _step_column(step.name)
            hours = hours_between(at, Facts.c.created_at)
            values[column.name] = case(
                (Facts.c.kind.in_(step.kinds), func.coalesce(column, hours)), else_=column
            )
    # Waiting for the customer: the time since the case began waiting is added up when
    # it moves on (every right-hand side reads the row as it was before this move).
    waited = case(
        (Facts.c.waiting_since.is_not(None), hours_between(at, Facts.c.waiting_since)), else_=0.0
    )
    values["waiting_h"] = Facts.c.waiting_h + waited
    waits = [kind for kind, statuses in WAITING_FOR_CUSTOMER.items() if to in statuses]
    values["waiting_since"] = case((Facts.c.kind.in_(waits), at), else_=null()) if waits else null()
    if to == Status.CLOSED:
        values["closed_at"] = func.coalesce(Facts.c.closed_at, at)
        values["resolution_h"] = func.coalesce(
            Facts.c.resolution_h,
            hours_between(at, Facts.c.created_at) - Facts.c.waiting_h - waited,
        )
    if to == Status.COMPLETED:
        values["completed_at"] = case(
            (Facts.c.kind.in_(FIELD), func.coalesce(Facts.c.completed_at, at)),
            else_=Facts.c.completed_at,
        )
        values["technician_id"] = (
            select(TicketRow.assigned_technician_id)
            .where(TicketRow.id == Facts.c.ticket_id)
            .scalar_subquery()
        )
    return values


def _first_response(event: Event) -> dict[str, Any]:
    """A person of the desk answered (dispatch.kpis): the first time is kept; its office
    hours are counted later (storage.kpis.settle_first_responses)."""
    if event.kind not in FIRST_RESPONSE_EVENTS or event.actor_id is None:
        return {}
    at = literal(event.created_at, UTCDateTime())
    by_staff = Facts.c.customer_id != event.actor_id
    return {
        "first_response_at": case(
            (by_staff, func.coalesce(Facts.c.first_response_at, at)),
            else_=Facts.c.first_response_at,
        )
    }


def _values(event: Event) -> dict[str, Any]:
    if event.kind == EventKind.STATUS:
        return _status_values(event) | _first_response(event)
    if event.kind in FIRST_RESPONSE_EVENTS:
        return _first_response(event)
    if event.kind in (EventKind.SLA_LEVEL2, EventKind.SLA_LEVEL3):
        if event.details.get("step") == "survey":
            return {}
        name = "breaches" if event.kind == EventKind.SLA_LEVEL2 else "escalations"
        values: dict[str, Any] = {name: Facts.c[name] + 1}
        if event.details.get("step") in ARRIVAL_STEPS:
            values["late_arrival"] = True
        return values
    if event.kind == EventKind.COMPLAINT_CLASSIFIED:  # classified, or found unfounded
        return {"service_cause": event.details.get("cause") in SERVICE_CAUSES}
    return {}


async def events_added(session: AsyncSession, events: Sequence[Event]) -> None:
    for event in events:
        if event.ticket_id is None:
            continue
        values = _values(event)
        if values:
            await session.execute(
                update(Facts).where(Facts.c.ticket_id == event.ticket_id).values(**values)
            )


async def survey_answered(session: AsyncSession, ticket_id: int) -> None:
    """The average of the survey's three ratings, once it is answered."""
    average = (
        select((SurveyRow.timeliness + SurveyRow.attitude + SurveyRow.result) / literal(3.0))
        .where(SurveyRow.ticket_id == ticket_id)
        .scalar_subquery()
    )
    await session.execute(
        update(Facts).where(Facts.c.ticket_id == ticket_id).values(rating=average)
    )


def _waiting_backfill() -> dict[str, Any]:
    """Each stay in a status that waits for the customer, from the log: it lasts until
    the next status move (in time, then in the order written); the last one, with no
    move after it, is still going on."""
    stay = aliased(EventRow)
    later = aliased(EventRow)
    left_at = (
        select(func.min(later.created_at))
        .where(
            later.ticket_id == stay.ticket_id,
            later.kind == EventKind.STATUS,
            or_(
                later.created_at > stay.created_at,
                and_(later.created_at == stay.created_at, later.id > stay.id),
            ),
        )
        .scalar_subquery()
    )
    waiting = or_(
        *(
            and_(Facts.c.kind == kind, stay.to_status.in_(statuses))
            for kind, statuses in WAITING_FOR_CUSTOMER.items()
            if statuses
        )
    )
    where = (stay.ticket_id == Facts.c.ticket_id, stay.kind == EventKind.STATUS, waiting)
    return {
        "waiting_h": select(func.coalesce(func.sum(hours_between(left_at, stay.created_at)), 0.0))
        .where(*where, left_at.is_not(None))
        .scalar_subquery(),
        "waiting_since": select(func.max(stay.created_at))
        .where(*where, left_at.is_(None))
        .scalar_subquery(),
    }


def backfill_statements() -> list[Any]:
    """Statements that give every ticket without a row its figures, derived from the
    event log, tickets and surveys (the same figures the three functions above keep)."""
    missing = ~exists().where(Facts.c.ticket_id == TicketRow.id)
    statements: list[Any] = [
        insert(Facts).from_select(
            ["ticket_id", "kind", "customer_id", "created_at", "backfilled"],
            select(
                TicketRow.id, TicketRow.kind, TicketRow.customer_id, TicketRow.created_at, true()
            ).where(missing),
        )
    ]
    fresh = Facts.c.backfilled.is_(True)

    def first(statuses: Sequence[str]) -> Any:
        return (
            select(func.min(EventRow.created_at))
            .where(
                EventRow.ticket_id == Facts.c.ticket_id,
                EventRow.kind == EventKind.STATUS,
                EventRow.to_status.in_(statuses),
            )
            .scalar_subquery()
        )

    def counted(kind: str) -> Any:
        return (
            select(func.count())
            .where(
                EventRow.ticket_id == Facts.c.ticket_id,
                EventRow.kind == kind,
                EventRow.details["step"].as_string() != "survey",
            )
            .scalar_subquery()
        )

    ticket = select(TicketRow).where(TicketRow.id == Facts.c.ticket_id)
    values: dict[str, Any] = {
        "closed_at": first([Status.CLOSED]),
        "completed_at": case((Facts.c.kind.in_(FIELD), first([Status.COMPLETED]))),
        "breaches": counted(EventKind.SLA_LEVEL2),
        "escalations": counted(EventKind.SLA_LEVEL3),
        "technician_id": ticket.with_only_columns(
            TicketRow.assigned_technician_id
        ).scalar_subquery(),
        "service_cause": func.coalesce(
            ticket.with_only_columns(
                TicketRow.details["cause"].as_string().in_(SERVICE_CAUSES)
            ).scalar_subquery(),
            False,
        ),
        "rating": select(
            (SurveyRow.timeliness + SurveyRow.attitude + SurveyRow.result) / literal(3.0)
        )
        .where(SurveyRow.ticket_id == Facts.c.ticket_id, SurveyRow.answered_at.is_not(None))
        .scalar_subquery(),
        "complaints": select(func.count())
        .where(
            TicketRow.related_ticket_id == Facts.c.ticket_id,
            TicketRow.kind == TicketKind.COMPLAINT,
        )
        .scalar_subquery(),
    }
    values.update(_waiting_backfill())
    values["first_response_at"] = (
        select(func.min(EventRow.created_at))
        .where(
            EventRow.ticket_id == Facts.c.ticket_id,
            EventRow.kind.in_(FIRST_RESPONSE_EVENTS),
            EventRow.actor_id.is_not(None),
            EventRow.actor_id != Facts.c.customer_id,
        )
        .scalar_subquery()
    )
    values["first_response_h"] = null()  # counted in office hours before the next reading
    for step in STEP_TIMES:
        values[_step_column(step.name).name] = case(
            (
                Facts.c.kind.in_(step.kinds),
                hours_between(first(step.reached), Facts.c.created_at),
            )
        )
    statements.append(update(Facts).where(fresh).values(**values))
    statements.append(
        update(Facts)
        .where(
            fresh,
            exists().where(
                EventRow.ticket_id == Facts.c.ticket_id,
                EventRow.kind.in_([EventKind.SLA_LEVEL2, EventKind.SLA_LEVEL3]),
                EventRow.details["step"].as_string().in_(ARRIVAL_STEPS),
            ),
        )
        .values(late_arrival=True)
    )
    again = aliased(TicketRow)
    statements.append(
        update(Facts)
        .where(
            fresh,
            Facts.c.completed_at.is_not(None),
            exists().where(
                again.customer_id == Facts.c.customer_id,
                again.kind == TicketKind.REPAIR,
                again.id != Facts.c.ticket_id,
                again.created_at > Facts.c.completed_at,
                hours_between(again.created_at, Facts.c.completed_at) <= FIRST_TIME_FIX_DAYS * 24,
            ),
        )
        .values(came_back=True)
    )
    statements.append(  # from the closing and the waits set just above
        update(Facts)
        .where(fresh, Facts.c.closed_at.is_not(None))
        .values(
            resolution_h=hours_between(Facts.c.closed_at, Facts.c.created_at)
            - Facts.c.waiting_h
            - case(
                (
                    Facts.c.waiting_since.is_not(None),
                    hours_between(Facts.c.closed_at, Facts.c.waiting_since),
                ),
                else_=0.0,
            )
        )
    )
    statements.append(update(Facts).where(fresh).values(backfilled=False))
    return statements
