"""The SLA sweep: warnings before a limit, the alert at the limit, then the escalation.

Each deadline column of a ticket carries when its next alert is due (indexed), so
a sweep reads only rows that need something now: its cost follows the due rows,
not the size of the table. Per column, the due rows are claimed in one statement
and everything they cause (new levels, events, messages) is written in the same
transaction: each alert fires exactly once, after a crash, a restart, or with
several bot processes (on PostgreSQL the claim skips rows another sweeper holds).
A late sweep (the bot was down) sends every level a row has crossed, except a
warning that comes after the limit; a recipient with more than DIGEST_OVER alerts
in one sweep gets one digest.

Who hears which level: the warning goes to the assigned technician for an on-site
limit, else to the managers; the breach to the managers; the escalation to the
directors (managers named in ``[desk] directors``; all managers when none are).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime

from dispatch.callbacks import ASSIGN_LIST, CASE_OPEN, REMINDERS_OFF
from dispatch.clock import Clock
from dispatch.intake import limit_text
from dispatch.labels import LEVEL_LABELS, STEP_LABELS, status_label
from dispatch.messages import N_, At, Button, Lines, Msg, Outgoing, Param
from dispatch.model import DEADLINES, Event, EventKind, Role, Ticket, User
from dispatch.policy import DeskPolicy
from dispatch.ports import AlertChange, DueAlert, UnitOfWork, UnitOfWorkFactory
from dispatch.sla import BREACH, ESCALATION, STEPS, WARNING, SlaStep
from dispatch.staffroom import announce
from dispatch.surveys import first_question

__all__ = ["DIGEST_OVER", "sweep"]

DIGEST_OVER = 3
BATCH = 500

_TEXTS = {
    WARNING: N_("⏳ {number}: {step} is due at {due}."),
    BREACH: N_("🚨 {number}: {step} was due at {due} and is overdue."),
    ESCALATION: N_("🚨🚨 {number}: {step} has been overdue since {due}. Please step in."),
}


@dataclass(frozen=True)
class _Alerted:
    """One alert for one person, kept until the round knows whether it goes in a digest."""

    ticket: Ticket
    step: str
    level: int
    due: datetime
    message: Outgoing


@dataclass
class _Round:
    """What one sweep has decided so far, written at the end in a few statements."""

    now: datetime
    managers: list[User]
    directors: list[User]
    users: dict[int, User]
    per_user: dict[int, list[_Alerted]] = field(default_factory=lambda: defaultdict(list))
    direct: list[Outgoing] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


def _recipients(r: _Round, ticket: Ticket, column: str, level: int) -> list[User]:
    if level == WARNING:
        technician = r.users.get(ticket.assigned_technician_id or 0)
        return [technician] if column == "arrive" and technician else r.managers
    if level == ESCALATION:
        return r.directors or r.managers
    return r.managers


def _target(due: datetime, now: datetime, policy: DeskPolicy) -> tuple[int, datetime | None]:
    """The level a deadline has reached now, and when to look at it again."""
    escalate_at = due + policy.escalate_after
    if now >= escalate_at:
        return ESCALATION, None
    if now >= due:
        return BREACH, escalate_at
    return WARNING, due


def _alert(r: _Round, ticket: Ticket, column: str, step: str, level: int, due: datetime) -> None:
    r.events.append(
        Event(
            kind=EventKind(f"sla.level{level}"),
            created_at=r.now,
            ticket_id=ticket.id,
            details={"step": step, "due": due.isoformat()},
        )
    )
    for user in _recipients(r, ticket, column, level):
        buttons: tuple[tuple[Button, ...], ...] = ()
        if user.role is Role.MANAGER:  # the case card holds every action that applies now
            buttons = ((Button(N_("📁 Open"), data=CASE_OPEN.data(ticket.id)),),)
        if user.role is Role.MANAGER and column in ("dispatch", "arrive") and level >= BREACH:
            buttons = (
                (Button(N_("👷 Assign a technician"), data=ASSIGN_LIST.data(ticket.id)),),
                *buttons,
            )
        r.per_user[user.id].append(
            _Alerted(
                ticket,
                step,
                level,
                due,
                Outgoing(
                    user_id=user.id,
                    text=_TEXTS[level],
                    params={
                        "number": ticket.number,
                        "step": Msg(STEP_LABELS.get(step, step)),
                        "due": At(due),
                    },
                    buttons=buttons,
                    ticket_id=ticket.id,
                    dedup_key=f"sla:{ticket.id}:{column}:{level}:{due.isoformat()}:{user.id}",
                ),
            )
        )


async def _progress(
    uow: UnitOfWork, policy: DeskPolicy, r: _Round, ticket: Ticket, alert: DueAlert, due: datetime
) -> AlertChange | None:
    """A complaint's clock of news: the handler is reminded first, then the customer hears."""
    if r.now < due:
        # A manager who acknowledged the reminder gets no more of it; the clock runs on.
        quiet = set(ticket.details.get("reminders_off") or [])
        for manager in (m for m in r.managers if m.id not in quiet):
            r.direct.append(
                Outgoing(
                    user_id=manager.id,
                    text=N_(
                        "📝 Complaint {number}: the customer expects news by {due}. Record what was done, so that the update can say it."
                    ),
                    params={"number": ticket.number, "due": At(due)},
                    buttons=(
                        (
                            Button(N_("📁 Open"), data=CASE_OPEN.data(ticket.id)),
                            Button(N_("👌 Acknowledge"), data=REMINDERS_OFF.data(ticket.id)),
                        ),
                    ),
                    ticket_id=ticket.id,
                    dedup_key=f"progress-remind:{ticket.id}:{due.isoformat()}:{manager.id}",
                )
            )
        return AlertChange(ticket.id, WARNING, due)
    next_due = policy.due(due, SlaStep.COMPLAINT_PROGRESS)
    await uow.tickets.arm(
        ticket.id,
        "progress",
        SlaStep.COMPLAINT_PROGRESS,
        next_due,
        due + (next_due - due) * policy.warn_fraction,
    )
    since = due - (next_due - due)
    moved = [
        e
        for e in await uow.events.for_ticket(ticket.id)
        if e.kind == "status" and e.created_at > since
    ]
    every = limit_text(policy.sla[SlaStep.COMPLAINT_PROGRESS])
    if moved:
        text = N_(
            "📣 News on your complaint {number}: {status}. We will keep you informed at least every {every} until it is closed."
        )
        params: dict[str, Param] = {
            "number": ticket.number,
            "status": Msg(status_label(ticket.kind, ticket.status)),
            "every": every,
        }
    else:
        text = N_(
            "📣 Your complaint {number} is still being handled; it has not been forgotten. We will write again within {every}, or as soon as there is news."
        )
        params = {"number": ticket.number, "every": every}
    r.direct.append(
        Outgoing(
            user_id=ticket.customer_id,
            text=text,
            params=params,
            ticket_id=ticket.id,
            dedup_key=f"progress:{ticket.id}:{due.isoformat()}",
            not_before=policy.quiet_until(r.now),
        )
    )
    r.events.append(
        Event(
            kind=EventKind.SLA_PROGRESS,
            created_at=r.now,
            ticket_id=ticket.id,
            details={"news": bool(moved)},
        )
    )
    return None  # re-armed above: nothing more to write for this row


async def _survey(
    uow: UnitOfWork, policy: DeskPolicy, r: _Round, ticket: Ticket, alert: DueAlert
) -> AlertChange:
    """Send the follow-up survey, then one reminder if it is still unanswered."""
    quiet = policy.quiet_until(r.now)
    if alert.level == 0:
        if await uow.surveys.create(ticket.id, r.now):
            r.direct.append(replace(first_question(ticket, reminder=False), not_before=quiet))
        return AlertChange(ticket.id, 1, r.now + policy.surveys.reminder)
    survey = await uow.surveys.get(ticket.id)
    if (
        survey is not None
        and survey.get("answered_at") is None
        and survey.get("reminded_at") is None
    ):
        await uow.surveys.reminded(ticket.id, r.now)
        r.direct.append(replace(first_question(ticket, reminder=True), not_before=quiet))
    return AlertChange(ticket.id, 2, None)


def _digest(r: _Round) -> None:
    for user_id, alerts in r.per_user.items():
        if len(alerts) <= DIGEST_OVER:
            r.direct.extend(alert.message for alert in alerts)
            continue
        lines = tuple(
            Msg(
                N_("• {number}: {step}, {level} (due {due})"),
                {
                    "number": alert.ticket.number,
                    "step": Msg(STEP_LABELS.get(alert.step, alert.step)),
                    "level": Msg(LEVEL_LABELS[alert.level]),
                    "due": At(alert.due),
                },
            )
            for alert in alerts
        )
        r.direct.append(
            Outgoing(
                user_id=user_id,
                text=N_("🚨 {count} time limits need your attention:\n{lines}"),
                params={"count": len(alerts), "lines": Lines(lines)},
                dedup_key=f"sla-digest:{user_id}:{r.now.isoformat()}",
            )
        )


async def sweep(
    uow_factory: UnitOfWorkFactory, clock: Clock, policy: DeskPolicy, *, limit: int = BATCH
) -> int:
    """Act on every deadline whose next alert is due; return how many messages were written."""
    uow = uow_factory()
    async with uow:
        now = clock.now()
        claimed = {column: await uow.tickets.claim_due(column, now, limit) for column in DEADLINES}
        if not any(claimed.values()):
            return 0
        managers = await uow.users.with_role(Role.MANAGER)
        technicians = await uow.users.with_role(Role.TECHNICIAN)
        r = _Round(
            now=now,
            managers=managers,
            directors=[m for m in managers if m.telegram_id in policy.director_ids],
            users={u.id: u for u in technicians},
        )
        tickets = await uow.tickets.get_many(
            sorted({a.ticket_id for alerts in claimed.values() for a in alerts})
        )
        for column, alerts in claimed.items():
            changes: list[AlertChange] = []
            for alert in alerts:
                ticket = tickets.get(alert.ticket_id)
                step = STEPS.get(alert.step or "")
                due = alert.due_at
                if ticket is None or step is None or due is None or ticket.status in step.stops:
                    continue  # met or moot: the claim already cleared its next alert
                if alert.step == "survey":
                    changes.append(await _survey(uow, policy, r, ticket, alert))
                    continue
                if step.repeats:
                    progress = await _progress(uow, policy, r, ticket, alert, due)
                    if progress is not None:
                        changes.append(progress)
                    continue
                level, next_at = _target(due, now, policy)
                if level <= alert.level:
                    changes.append(AlertChange(ticket.id, alert.level, next_at))
                    continue
                breached = level >= BREACH and alert.level < BREACH
                changes.append(AlertChange(ticket.id, level, next_at, now if breached else None))
                for reached in range(alert.level + 1, level + 1):
                    if reached == WARNING and level > WARNING:
                        continue  # a warning after the limit would say nothing
                    _alert(r, ticket, column, alert.step or "", reached, due)
            await uow.tickets.set_alerts(column, changes)
        _digest(r)
        for event in r.events:
            if event.kind in (EventKind.SLA_LEVEL2, EventKind.SLA_LEVEL3) and event.ticket_id:
                ticket = tickets[event.ticket_id]
                late = str(event.details["step"])
                await announce(
                    uow,
                    policy,
                    "desk:escalations",
                    N_("🚨 {number}: {step}, {level} (due {due})"),
                    {
                        "number": ticket.number,
                        "step": Msg(STEP_LABELS.get(late, late)),
                        "level": Msg(LEVEL_LABELS[2 if event.kind == EventKind.SLA_LEVEL2 else 3]),
                        "due": At(datetime.fromisoformat(str(event.details["due"]))),
                    },
                    now,
                    dedup_key=f"escalation:{ticket.id}:{event.kind}:{event.details['due']}",
                )
        await uow.events.add_many(r.events)
        await uow.outbox.add_many(r.direct, at=now)
        await uow.commit()
        return len(r.direct)
