"""The monthly complaint report arrives on the 5th with the right figures, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.facts import backfill_statements
from storage.models import EventRow, SurveyRow, TicketRow, UserRow
from tests.conftest import MANAGER_ID
from tests.harness import Desk, Person

OCT = datetime(2026, 10, 10, 2, 0, tzinfo=UTC)


async def _seed(desk: Desk) -> None:
    async with desk.db() as session:
        a = UserRow(telegram_id=9001, role="customer", display_name="A", created_at=OCT)
        b = UserRow(telegram_id=9002, role="customer", display_name="B", created_at=OCT)
        session.add_all([a, b])
        await session.flush()
        n = 0

        def ticket(kind: str, customer: UserRow, created: datetime, **extra: object) -> TicketRow:
            nonlocal n
            n += 1
            row = TicketRow(
                number=f"T-{n:04d}",
                kind=kind,
                status="new",
                priority="normal",
                version=1,
                customer_id=customer.id,
                created_at=created,
                updated_at=created,
                description="x",
                details=extra.pop("details", {}),
                **extra,
            )
            session.add(row)
            return row

        repairs = [
            ticket(
                "repair",
                a,
                OCT + timedelta(days=i),
                arrive_due_at=OCT + timedelta(days=i, hours=24),
            )
            for i in range(4)
        ]
        complaints = [
            ticket(
                "complaint",
                a,
                OCT,
                details={"topic": "visit", "severity": "serious", "cause": "technician"},
            ),
            ticket(
                "complaint",
                a,
                OCT + timedelta(days=3),
                details={"topic": "attitude", "severity": "general", "cause": "process"},
            ),
            ticket(
                "complaint",
                b,
                OCT + timedelta(days=5),
                details={"topic": "product", "severity": "general", "cause": "product"},
            ),
        ]
        ticket(
            "complaint", b, datetime(2026, 9, 29, 2, tzinfo=UTC), details={"topic": "fees"}
        )  # September
        ticket(
            "repair",
            b,
            datetime(2026, 11, 1, 2, tzinfo=UTC),
            arrive_due_at=datetime(2026, 11, 2, 2, tzinfo=UTC),
        )
        await session.flush()
        # Four repairs done and closed in October; the last was on site late, past its
        # limit (the sweep's breach): 3 of 4 on time. Two complaints name the service as
        # their cause: 2 per 4 completed jobs.
        for i, repair in enumerate(repairs):
            late = i == 3
            moves = [("assigned", "on_site", 30 if late else 5), ("on_site", "completed", 32)]
            moves.append(("completed", "closed", 48))
            for before, after, hours in moves:
                session.add(
                    EventRow(
                        ticket_id=repair.id,
                        kind="status",
                        from_status=before,
                        to_status=after,
                        details={},
                        created_at=repair.created_at + timedelta(hours=hours),
                    )
                )
            if late:
                session.add(
                    EventRow(
                        ticket_id=repair.id,
                        kind="sla.level2",
                        details={"step": "repair_on_site"},
                        created_at=repair.arrive_due_at,
                    )
                )
        session.add(
            EventRow(
                ticket_id=complaints[0].id,
                kind="status",
                from_status="new",
                to_status="verified",
                details={},
                created_at=complaints[0].created_at + timedelta(hours=20),
            )
        )
        session.add_all(
            [
                SurveyRow(
                    ticket_id=repairs[0].id,
                    sent_at=OCT,
                    answered_at=OCT + timedelta(days=1),
                    timeliness=5,
                    attitude=5,
                    result=5,
                ),
                SurveyRow(
                    ticket_id=repairs[1].id,
                    sent_at=OCT,
                    answered_at=OCT + timedelta(days=2),
                    timeliness=2,
                    attitude=3,
                    result=3,
                ),
            ]
        )
        await session.commit()
        for statement in backfill_statements():  # rows written by hand: figures from the log
            await session.execute(statement)
        await session.commit()


def _report(manager: Person) -> str:
    [report] = [m.text for m in manager.messages if m.kind == "text" and m.text.startswith("📊")]
    return report


async def test_the_october_report_arrives_on_the_fifth_with_the_right_figures(desk: Desk) -> None:
    manager = desk.person(MANAGER_ID, "Boss")
    desk.clock.set(datetime(2026, 10, 31, 2, tzinfo=UTC))
    await manager.command("start")
    await _seed(desk)
    desk.clock.set(datetime(2026, 11, 5, 0, 59, tzinfo=UTC))  # 08:59 on the 5th in Shanghai
    assert not await desk.monthly()
    desk.clock.set(datetime(2026, 11, 5, 1, 0, tzinfo=UTC))  # 09:00
    assert await desk.monthly()
    # The text, then the month's charts and files.
    kinds = [m.kind for m in manager.messages[-10:]]
    assert kinds == ["text"] + ["photo"] * 5 + ["document"] * 4
    assert manager.messages[-9].text == "📈 Charts for October 2026"
    assert manager.messages[-1].media[0]["file_name"] == "aftercare-2026-10-surveys.csv"
    assert _report(manager) == (
        "📊 Complaint report for October 2026\n"
        "Complaints: 3\nBy topic:\n• staff attitude: 1\n• the product: 1\n• a technician visit: 1\n"
        "By severity:\n• general: 2\n• serious: 1\n"
        "Repeat complainers: 1\n"
        "Hours to verification: 20 (within limit: 1 of 1)\n"
        "Hours to a plan: no data (within limit: 0 of 0)\n"
        "Hours to close: no data\n\n"
        "Field jobs: 4\n"
        "Planned maintenance visits on time: 0 of 0\n"
        "On-time rate: 75 % (target 90 %) ❌\n"
        "Satisfaction: 50 % (target 85 %) ❌\n"
        "Complaint rate attributable to service: 50 % (target 3 %) ❌"
    )
    count = len(manager.texts)
    desk.clock.advance(timedelta(days=3))
    assert not await desk.monthly()  # once
    assert len(manager.texts) == count


async def test_the_report_is_in_the_managers_language(desk: Desk) -> None:
    manager = desk.person(MANAGER_ID, "Boss", language_code="zh-tw")
    await manager.command("start")
    desk.clock.set(datetime(2026, 12, 5, 1, 0, tzinfo=UTC))
    assert await desk.monthly()
    assert _report(manager).startswith("📊 2026年11月 投訴分析報告\n投訴總數：0\n按類別：\n無\n")
    assert _report(manager).endswith("客戶抱怨率（服務原因）：暫無資料")


async def test_a_new_desk_reports_on_no_month_it_did_not_run(desk: Desk) -> None:
    desk.clock.set(datetime(2026, 11, 27, 2, tzinfo=UTC))  # a desk opened on 27 November
    manager = desk.person(MANAGER_ID, "Boss")
    await manager.command("start")
    assert not await desk.monthly()  # nothing about October
    assert not [t for t in manager.texts if t.startswith("📊")]
    desk.clock.set(datetime(2026, 12, 5, 1, 0, tzinfo=UTC))
    assert await desk.monthly()  # November, which it lived in part
    assert _report(manager).startswith("📊 Complaint report for November 2026\n")
