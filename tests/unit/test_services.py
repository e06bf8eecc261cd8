"""Service rules against an in-memory unit of work: no Telegram, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dispatch.calendar import WorkCalendar
from dispatch.clock import ManualClock
from dispatch.company_days import clear_company_day, load_company_days, set_company_day
from dispatch.errors import NotAllowed, NotFound, OfferClosed
from dispatch.kpis import KpiCounts
from dispatch.lifecycle import change_status
from dispatch.model import EventKind, Offer, OfferStatus, Role, Status, TicketKind
from dispatch.monthly import REPORT, figures, render_params, report_due, send_monthly_report
from dispatch.policy import DeskPolicy
from dispatch.sla import SlaStep
from dispatch.stats_port import MonthRecords, MonthTicket
from dispatch.technicians import JobAction, job_actions, job_of, pending_offer, set_duty
from tests.unit.fakes import FakeUnitOfWork

SHANGHAI = ZoneInfo("Asia/Shanghai")
POLICY = DeskPolicy(zone=SHANGHAI)
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Shanghai


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


async def test_a_duty_switch_is_recorded_once_and_a_repeat_changes_nothing(
    uow: FakeUnitOfWork, clock: ManualClock
) -> None:
    uow.technician(7, NOW)
    await set_duty(uow.port, clock, technician_id=7, on=True)
    await set_duty(uow.port, clock, technician_id=7, on=True)  # a double tap
    await set_duty(uow.port, clock, technician_id=7, on=False)
    assert [(e.kind, e.details) for e in uow.events.rows] == [
        (EventKind.TECHNICIAN_DUTY, {"on_duty": True}),
        (EventKind.TECHNICIAN_DUTY, {"on_duty": False}),
    ]
    assert uow.technicians.rows[7].on_duty is False
    assert uow.commits == 2
    with pytest.raises(NotFound):
        await set_duty(uow.port, clock, technician_id=8, on=True)


@pytest.mark.parametrize(
    ("status", "actions"),
    [
        ("new", []),
        ("offered", []),
        (
            "assigned",
            [
                JobAction.CONFIRM_TIME,
                JobAction.ON_MY_WAY,
                JobAction.CHECK_IN,
                JobAction.WAIT_FOR_PART,
            ],
        ),
        ("en_route", [JobAction.CHECK_IN, JobAction.CONFIRM_TIME, JobAction.WAIT_FOR_PART]),
        ("on_site", [JobAction.RECORD, JobAction.WAIT_FOR_PART]),
        ("waiting_part", [JobAction.PART_ARRIVED]),
        ("completed", []),
        ("closed", []),
    ],
)
def test_a_job_offers_the_steps_its_state_machine_allows(
    uow: FakeUnitOfWork, status: str, actions: list[JobAction]
) -> None:
    assert job_actions(uow.ticket(1, TicketKind.REPAIR, status, NOW)) == actions


async def test_only_the_assigned_technician_may_work_a_job(uow: FakeUnitOfWork) -> None:
    ticket = uow.ticket(1, TicketKind.REPAIR, "assigned", NOW)
    ticket.assigned_technician_id = 7
    assert (await job_of(uow.port, ticket_id=1, technician_id=7)).number == "X-1"
    with pytest.raises(NotAllowed):
        await job_of(uow.port, ticket_id=1, technician_id=8)
    with pytest.raises(NotFound):
        await job_of(uow.port, ticket_id=2, technician_id=7)


@pytest.mark.parametrize(
    ("status", "technician", "reason"),
    [
        (OfferStatus.EXPIRED, 7, "expired"),
        (OfferStatus.DECLINED, 7, "declined"),
        (OfferStatus.PENDING, 8, "taken"),  # someone else's offer says nothing about it
    ],
)
async def test_an_offer_that_no_longer_waits_says_why(
    uow: FakeUnitOfWork, status: OfferStatus, technician: int, reason: str
) -> None:
    uow.offers.rows[3] = Offer(3, 1, 7, status, NOW, NOW + timedelta(minutes=10))
    with pytest.raises(OfferClosed) as closed:
        await pending_offer(uow.port, offer_id=3, technician_id=technician)
    assert closed.value.reason == reason


async def test_a_company_day_is_an_event_and_counts_at_once(
    uow: FakeUnitOfWork, clock: ManualClock
) -> None:
    calendar = WorkCalendar("CN", SHANGHAI)
    monday = date(2026, 11, 23)
    assert calendar.is_working_day(monday)
    await set_company_day(
        uow.port, clock, calendar, manager_id=1, day=monday, working=False, note="x" * 300
    )
    assert not calendar.is_working_day(monday)
    assert len((await uow.calendar.all())[0].note) == 200
    elsewhere = WorkCalendar("CN", SHANGHAI)  # another process, at its next sweep
    await load_company_days(uow.port, elsewhere)
    assert not elsewhere.is_working_day(monday)
    assert await clear_company_day(uow.port, clock, calendar, manager_id=1, day=monday)
    assert not await clear_company_day(uow.port, clock, calendar, manager_id=1, day=monday)
    assert calendar.is_working_day(monday)
    assert [e.details.get("working") for e in uow.events.rows] == [False, None]


async def test_closing_a_complaint_schedules_its_follow_up_survey(
    uow: FakeUnitOfWork, clock: ManualClock
) -> None:
    uow.ticket(5, TicketKind.COMPLAINT, "resolved", NOW)
    ticket = await change_status(
        uow.port, clock, ticket_id=5, to="closed", actor_id=1, policy=POLICY
    )
    assert ticket.status is Status.CLOSED
    assert [(column, step) for _id, column, step, _due in uow.tickets.armed] == [
        ("survey", "survey")
    ]


async def test_forwarding_a_complaint_starts_the_verification_clock_from_registration(
    uow: FakeUnitOfWork, clock: ManualClock
) -> None:
    registered = NOW - timedelta(hours=5)
    uow.ticket(5, TicketKind.COMPLAINT, "new", registered)
    await change_status(uow.port, clock, ticket_id=5, to="forwarded", actor_id=1, policy=POLICY)
    [(_id, column, step, due)] = uow.tickets.armed
    assert (column, step) == ("sla", SlaStep.COMPLAINT_VERIFY)
    assert due == POLICY.due(registered, SlaStep.COMPLAINT_VERIFY)


def test_the_monthly_report_is_due_from_nine_on_the_fifth() -> None:
    at = datetime(2026, 12, 5, 0, 59, tzinfo=UTC)  # 08:59 in Shanghai
    assert report_due(POLICY, at) is None
    assert report_due(POLICY, at + timedelta(minutes=1)) == (2026, 11)
    assert report_due(POLICY, datetime(2027, 1, 20, tzinfo=UTC)) == (2026, 12)


async def test_the_monthly_report_goes_to_each_manager_once_and_only_for_a_month_lived(
    uow: FakeUnitOfWork,
) -> None:
    clock = ManualClock(datetime(2026, 12, 5, 2, 0, tzinfo=UTC))
    uow.user(1, Role.MANAGER, NOW)
    uow.user(2, Role.MANAGER, NOW)
    uow.stats.opened = datetime(2026, 12, 1, tzinfo=UTC)  # opened after November
    assert await send_monthly_report(uow.factory, clock, POLICY, known_sent=None) == (
        "monthly:2026-11:",
        False,
    )
    assert uow.outbox.rows == []
    uow.stats.opened = datetime(2026, 10, 1, tzinfo=UTC)
    complaint = MonthTicket(
        1, TicketKind.COMPLAINT, 9, datetime(2026, 11, 10, tzinfo=UTC), "visit", None, None
    )
    uow.stats.tickets = [complaint]
    uow.stats.counts = KpiCounts(  # two surveys answered, one with every rating 4 or 5
        closed=0,
        closed_on_time=0,
        surveys_sent=2,
        surveys_answered=2,
        surveys_satisfied=1,
        jobs_completed=0,
        service_complaints=0,
    )
    assert await send_monthly_report(uow.factory, clock, POLICY, known_sent=None) == (
        "monthly:2026-11:",
        True,
    )
    assert [(m.user_id, m.kind, m.text) for m in uow.outbox.rows] == [
        (manager, kind, REPORT if kind == "text" else "")
        for manager in (1, 2)
        for kind in ("text", "charts", "export")
    ]
    report = figures(POLICY, 2026, 11, MonthRecords([complaint], {}), uow.stats.counts)
    assert (report.complaints, report.by_topic, report.satisfaction) == (1, {"visit": 1}, 50.0)
    assert uow.outbox.rows[0].params == render_params(report)
    # Sent before, by this process or another: never again.
    assert await send_monthly_report(uow.factory, clock, POLICY, known_sent=None) == (
        "monthly:2026-11:",
        False,
    )
    assert len(uow.outbox.rows) == 6


def test_each_kind_of_request_is_surveyed_with_questions_that_fit_it() -> None:
    from dispatch.surveys import ITEMS, question

    asked = {kind: [question(kind, item) for item in ITEMS] for kind in TicketKind}
    assert asked[TicketKind.INSTALLATION][2] == "And with the installation?"
    assert "came" in asked[TicketKind.REPAIR][0] and "came" not in asked[TicketKind.RETURN][0]
    assert asked[TicketKind.COMPLAINT][1] == "And with our staff's attitude?"
