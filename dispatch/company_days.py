"""Company and local days that managers set (/calendar), and the calendar deadlines use.

A change is an event, and is loaded at once into the calendar this process computes
deadlines with; other processes load it with their next sweep. Deadlines already
running keep their date: only the ones set from then on count the change.
"""

from __future__ import annotations

from datetime import date

from dispatch.calendar import WorkCalendar
from dispatch.clock import Clock
from dispatch.model import Event, EventKind
from dispatch.ports import CompanyDay, UnitOfWork

__all__ = ["clear_company_day", "company_days", "load_company_days", "set_company_day"]

NOTE_LIMIT = 200


async def company_days(uow: UnitOfWork) -> list[CompanyDay]:
    async with uow:
        return await uow.calendar.all()


async def load_company_days(uow: UnitOfWork, calendar: WorkCalendar) -> None:
    """Replace the calendar's overrides with what the database holds."""
    days = await company_days(uow)
    calendar.overrides.clear()
    calendar.overrides.update({d.day: d.working for d in days})


async def set_company_day(
    uow: UnitOfWork,
    clock: Clock,
    calendar: WorkCalendar,
    *,
    manager_id: int,
    day: date,
    working: bool,
    note: str,
) -> None:
    now = clock.now()
    async with uow:
        await uow.calendar.put(CompanyDay(day, working, note[:NOTE_LIMIT]), by=manager_id, at=now)
        await uow.events.add(
            Event(
                kind=EventKind.CALENDAR_DAY,
                created_at=now,
                actor_id=manager_id,
                details={"day": day.isoformat(), "working": working, "note": note[:NOTE_LIMIT]},
            )
        )
        await uow.commit()
    calendar.overrides[day] = working


async def clear_company_day(
    uow: UnitOfWork, clock: Clock, calendar: WorkCalendar, *, manager_id: int, day: date
) -> bool:
    """Back to the public calendar; False when the day had no company setting."""
    async with uow:
        removed = await uow.calendar.remove(day)
        if removed:
            await uow.events.add(
                Event(
                    kind=EventKind.CALENDAR_DAY,
                    created_at=clock.now(),
                    actor_id=manager_id,
                    details={"day": day.isoformat(), "working": None},
                )
            )
        await uow.commit()
    calendar.overrides.pop(day, None)
    return removed
