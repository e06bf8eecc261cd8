"""/stats: the KPIs of a seeded month, worked out by hand below, against their targets and
beside the month before."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import EventRow, SurveyRow, TicketRow, UserRow
from tests.conftest import MANAGER_ID
from tests.harness import Desk


@pytest.fixture
async def desk(desk_factory: Callable[..., Awaitable[Desk]]) -> Desk:
    return await desk_factory(managers=(MANAGER_ID,))


def _at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 4, 0, tzinfo=UTC)  # noon in Shanghai


async def seed_month(session: AsyncSession) -> None:
    """November 2026 (the tests' clock is on Nov 22), and one case closed in October.

    Closed in November: A, B, C. B missed its dispatch limit (an sla.level2) and was put
    right later: it still fails. C had only a warning. On time: 2 of 3 = 66.7 %.
    Field jobs completed in November: A, B, E = 3. Complaints attributable to the
    service: C (the technician); F's cause is the product. Rate: 1 of 3 = 33.3 %.
    Surveys sent in November: 3; answered: 2 (5/5/4, and 5/3/5 with one low rating);
    satisfied: 1 of 2 = 50 %; response rate 2 of 3 = 66.7 %.
    October: D closed with no breach: 100 %; no survey and no job, so no data.
    """
    customer = UserRow(
        telegram_id=555,
        role="customer",
        display_name="Kim",
        created_at=_at(9, 1),
    )
    session.add(customer)
    await session.flush()
    tickets: dict[str, TicketRow] = {}
    for name, kind, created, cause in (
        ("A", "repair", _at(11, 9), None),
        ("B", "repair", _at(11, 9), None),
        ("C", "complaint", _at(11, 14), "technician"),
        ("D", "return", _at(10, 20), None),
        ("E", "installation", _at(11, 14), None),
        ("F", "complaint", _at(11, 16), "product"),
    ):
        row = TicketRow(
            number=f"T-{name}",
            kind=kind,
            status="new",
            priority="normal",
            version=1,
            customer_id=customer.id,
            created_at=created,
            updated_at=created,
            details={"cause": cause} if cause else {},
        )
        session.add(row)
        tickets[name] = row
    await session.flush()

    def status(name: str, to: str, at: datetime) -> EventRow:
        return EventRow(
            ticket_id=tickets[name].id, kind="status", to_status=to, created_at=at, details={}
        )

    def alert(name: str, level: int, step: str, at: datetime) -> EventRow:
        return EventRow(
            ticket_id=tickets[name].id,
            kind=f"sla.level{level}",
            created_at=at,
            details={"step": step},
        )

    session.add_all(
        [
            status("A", "completed", _at(11, 10)),
            status("A", "closed", _at(11, 12)),
            alert("B", 2, "repair_dispatch", _at(11, 9)),
            status("B", "completed", _at(11, 11)),
            status("B", "closed", _at(11, 13)),
            alert("C", 1, "complaint_verify", _at(11, 15)),
            status("C", "closed", _at(11, 20)),
            status("D", "closed", _at(10, 30)),
            status("E", "completed", _at(11, 15)),
            SurveyRow(
                ticket_id=tickets["A"].id,
                sent_at=_at(11, 12),
                answered_at=_at(11, 12),
                timeliness=5,
                attitude=5,
                result=4,
            ),
            SurveyRow(
                ticket_id=tickets["B"].id,
                sent_at=_at(11, 13),
                answered_at=_at(11, 14),
                timeliness=5,
                attitude=3,
                result=5,
            ),
            SurveyRow(ticket_id=tickets["C"].id, sent_at=_at(11, 20)),
        ]
    )
    await session.commit()


async def test_the_months_figures_against_their_targets_and_the_month_before(
    desk: Desk,
) -> None:
    async with desk.db() as session:
        await seed_month(session)
    boss = desk.person(MANAGER_ID, "Boss")
    await boss.command("start")
    await boss.command("stats")
    assert boss.last.text == (
        "📊 November 2026\n"
        "Cases closed: 3\n"
        "On-time rate: 66.7 % (target 90 %) ❌\n"
        "   the period before: 100 %\n"
        "Satisfaction: 50 % (target 85 %) ❌\n"
        "   the period before: no data\n"
        "   surveys answered: 2 of 3 sent (66.7 %)\n"
        "Complaint rate attributable to service: 33.3 % (target 3 %) ❌\n"
        "   the period before: no data\n"
        "   complaints about the service: 1; field jobs completed: 3"
    )
    assert [b["text"] for b in boss.last.inline_buttons] == ["This week", "Last month"]

    await boss.press("Last month")
    october: Any = boss.last.text
    assert october.startswith("📊 October 2026\nCases closed: 1\n")
    assert "On-time rate: 100 % (target 90 %) ✅" in october

    # This week (Mon Nov 16 to Sun Nov 22): C closed on time, E completed, F's cause is
    # the product; the week before holds A and B.
    await boss.press("This week")
    week = boss.last.text
    assert week.startswith("📊 the week from Mon, Nov 16\nCases closed: 1\n")
    assert "On-time rate: 100 % (target 90 %) ✅\n   the period before: 50 %" in week


async def test_the_figures_are_for_managers_in_their_language(desk: Desk) -> None:
    async with desk.db() as session:
        await seed_month(session)
    customer = desk.person(777, "Amy")
    await customer.command("start")
    await customer.command("stats")
    assert customer.last.text == "This command is for managers. Send /help to see what you can do."
    boss = desk.person(MANAGER_ID, "老板", language_code="zh-hans")
    await boss.command("start")
    await boss.command("stats")
    assert boss.last.text.startswith(
        "📊 2026年11月\n结案数：3\n服务及时率：66.7%（目标 90%）❌\n   上一期：100%\n"
    )
