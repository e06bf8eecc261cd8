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
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import Table, case, exists, func, insert, literal, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from dispatch.kpis import FIELD, FIRST_TIME_FIX_DAYS, SERVICE_CAUSES, STEP_TIMES
from dispatch.model import Event, EventKind, Status, TicketKind
from dispatch.sla import SlaStep
from storage.models import EventRow, SurveyRow, TicketFactRow, TicketRow
from storage.sqltime import hours_between
from storage.types import UTCDateTime

__all__ = ["Facts", "backfill_statements", "events_added", "survey_answered", "ticket_added"]

Facts = cast(Table, TicketFactRow.__table__)
# The limits of the technician's arrival: passing one makes the check-in late.
ARRIVAL_STEPS = (SlaStep.REPAIR_ON_SITE, SlaStep.REPAIR_ON_SITE_PRIORITY)


def _step_column(name: str) -> Any:
    return Facts.c[name + "_h"]


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
    if to == Status.CLOSED:
        values["closed_at"] = func.coalesce(Facts.c.closed_at, at)
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


def _values(event: Event) -> dict[str, Any]:
    if event.kind == EventKind.STATUS:
        return _status_values(event)
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
    statements.append(update(Facts).where(fresh).values(backfilled=False))
    return statements
