"""The SLA sweep: warnings before a limit, the alert at the limit, then the escalation.

Each deadline column of a ticket carries when its next alert is due (indexed), so
a sweep reads only rows that need something now: its cost follows the due rows,
not the size of the table. Every alert moves its level by compare-and-set in the
same transaction that writes its messages: each fires exactly once, after a
crash, a restart, or with several bot processes (on PostgreSQL the rows are also
claimed with FOR UPDATE SKIP LOCKED). A late sweep (the bot was down) jumps each
row straight to the level it has reached and sends one alert for it, and a
recipient with more than DIGEST_OVER alerts in one sweep gets one digest.

Who hears which level: the warning goes to the assigned technician for an on-site
limit, else to the managers; the breach to the managers; the escalation to the
directors (managers named in ``[desk] directors``; all managers when none are).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from dispatch.clock import Clock
from dispatch.intake import limit_text
from dispatch.labels import LEVEL_LABELS, STEP_LABELS, status_label
from dispatch.messages import N_, At, Button, Lines, Msg, Outgoing, Param
from dispatch.model import DEADLINES, Event, Role, Ticket, User
from dispatch.policy import DeskPolicy
from dispatch.ports import DueAlert, UnitOfWork, UnitOfWorkFactory
from dispatch.sla import BREACH, ESCALATION, STEPS, WARNING

__all__ = ["DIGEST_OVER", "sweep"]

DIGEST_OVER = 3
BATCH = 500

_TEXTS = {
    WARNING: N_("⏳ {number}: {step} is due at {due}."),
    BREACH: N_("🚨 {number}: {step} was due at {due} and is overdue."),
    ESCALATION: N_("🚨🚨 {number}: {step} has been overdue since {due}. Please step in."),
}


@dataclass(frozen=True)
class _Alert:
    ticket: Ticket
    step: str
    level: int
    due: datetime


async def _recipients(
    uow: UnitOfWork, policy: DeskPolicy, ticket: Ticket, column: str, level: int
) -> list[User]:
    managers = await uow.users.with_role(Role.MANAGER)
    if level == WARNING:
        if column == "arrive" and ticket.assigned_technician_id is not None:
            technician = await uow.users.get(ticket.assigned_technician_id)
            return [technician] if technician else managers
        return managers
    if level == ESCALATION:
        directors = [m for m in managers if m.telegram_id in policy.director_ids]
        return directors or managers
    return managers


def _target(alert: DueAlert, now: datetime, policy: DeskPolicy) -> tuple[int, datetime | None]:
    """The level this row has reached now, and when it should be looked at again."""
    assert alert.due_at is not None
    escalate_at = alert.due_at + policy.escalate_after
    if now >= escalate_at:
        return ESCALATION, None
    if now >= alert.due_at:
        return BREACH, escalate_at
    return WARNING, alert.due_at


async def _progress(
    uow: UnitOfWork, policy: DeskPolicy, ticket: Ticket, alert: DueAlert, now: datetime
) -> list[tuple[User, Outgoing]]:
    """A complaint's 24-hour clock: the handler is reminded first, then the customer hears."""
    assert alert.due_at is not None
    out: list[tuple[User, Outgoing]] = []
    if now < alert.due_at:  # the reminder, at the warning threshold
        if not await uow.tickets.advance_alert(alert, level=WARNING, next_at=alert.due_at):
            return []
        for manager in await uow.users.with_role(Role.MANAGER):
            out.append(
                (
                    manager,
                    Outgoing(
                        user_id=manager.id,
                        text=N_(
                            "📝 Complaint {number}: the customer expects news by {due}. Record what was done, so that the update can say it."
                        ),
                        params={"number": ticket.number, "due": At(alert.due_at)},
                        ticket_id=ticket.id,
                        dedup_key=f"progress-remind:{ticket.id}:{alert.due_at.isoformat()}:{manager.id}",
                    ),
                )
            )
        return out
    next_due = policy.due(alert.due_at, "complaint_progress")
    next_warn = alert.due_at + (next_due - alert.due_at) * policy.warn_fraction
    if not await uow.tickets.advance_alert(alert, level=BREACH, next_at=None, fired_at=now):
        return []  # another sweeper sent this one
    await uow.tickets.arm(ticket.id, "progress", "complaint_progress", next_due, next_warn)
    every = limit_text(policy.sla["complaint_progress"])
    since = alert.due_at - (next_due - alert.due_at)
    moved = [
        e
        for e in await uow.events.for_ticket(ticket.id)
        if e.kind == "status" and e.created_at > since
    ]
    customer = await uow.users.get(ticket.customer_id)
    assert customer is not None
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
    out.append(
        (
            customer,
            Outgoing(
                user_id=customer.id,
                text=text,
                params=params,
                ticket_id=ticket.id,
                dedup_key=f"progress:{ticket.id}:{alert.due_at.isoformat()}",
                not_before=policy.quiet_until(now),
            ),
        )
    )
    await uow.events.add(
        Event(
            kind="sla.progress", created_at=now, ticket_id=ticket.id, details={"news": bool(moved)}
        )
    )
    return out


async def sweep(
    uow_factory: UnitOfWorkFactory, clock: Clock, policy: DeskPolicy, *, limit: int = BATCH
) -> int:
    """Act on every deadline whose next alert is due; return how many alerts were sent."""
    now = clock.now()
    uow = uow_factory()
    sent = 0
    async with uow:
        per_user: dict[int, list[tuple[User, _Alert, Outgoing]]] = defaultdict(list)
        direct: list[Outgoing] = []
        for column in DEADLINES:
            for alert in await uow.tickets.due_alerts(column, now, limit):
                ticket = await uow.tickets.get(alert.ticket_id)
                step = STEPS.get(alert.step or "")
                if (
                    ticket is None
                    or step is None
                    or alert.due_at is None
                    or ticket.status in step.stops
                ):
                    await uow.tickets.advance_alert(
                        alert, level=alert.level, next_at=None
                    )  # met or moot
                    continue
                if step.repeats:
                    for _user, message in await _progress(uow, policy, ticket, alert, now):
                        direct.append(message)
                    continue
                level, next_at = _target(alert, now, policy)
                if level <= alert.level:
                    await uow.tickets.advance_alert(alert, level=alert.level, next_at=next_at)
                    continue
                fired = now if level >= BREACH and alert.level < BREACH else None
                if not await uow.tickets.advance_alert(
                    alert, level=level, next_at=next_at, fired_at=fired
                ):
                    continue  # another sweeper got there first
                # Every level crossed since the last look (a late sweep catches up on all of
                # them); a warning that comes after the limit would say nothing, so it is dropped.
                crossed = [
                    n for n in range(alert.level + 1, level + 1) if n != WARNING or level == WARNING
                ]
                for reached in crossed:
                    await uow.events.add(
                        Event(
                            kind=f"sla.level{reached}",
                            created_at=now,
                            ticket_id=ticket.id,
                            details={"step": alert.step, "due": alert.due_at.isoformat()},
                        )
                    )
                    found = _Alert(ticket, alert.step or "", reached, alert.due_at)
                    for user in await _recipients(uow, policy, ticket, column, reached):
                        buttons: tuple[tuple[Button, ...], ...] = ()
                        if (
                            user.role is Role.MANAGER
                            and column in ("dispatch", "arrive")
                            and reached >= BREACH
                        ):
                            buttons = (
                                (
                                    Button(
                                        N_("👷 Assign a technician"), data=f"as:list:{ticket.id}"
                                    ),
                                ),
                            )
                        per_user[user.id].append(
                            (
                                user,
                                found,
                                Outgoing(
                                    user_id=user.id,
                                    text=_TEXTS[reached],
                                    params={
                                        "number": ticket.number,
                                        "step": Msg(STEP_LABELS.get(found.step, found.step)),
                                        "due": At(found.due),
                                    },
                                    buttons=buttons,
                                    ticket_id=ticket.id,
                                    dedup_key=f"sla:{ticket.id}:{column}:{reached}:{found.due.isoformat()}:{user.id}",
                                ),
                            )
                        )
        for user_id, alerts in per_user.items():
            if len(alerts) <= DIGEST_OVER:
                direct.extend(message for _u, _a, message in alerts)
                continue
            lines = tuple(
                Msg(
                    N_("• {number}: {step}, {level} (due {due})"),
                    {
                        "number": a.ticket.number,
                        "step": Msg(STEP_LABELS.get(a.step, a.step)),
                        "level": Msg(LEVEL_LABELS[a.level]),
                        "due": At(a.due),
                    },
                )
                for _u, a, _m in alerts
            )
            direct.append(
                Outgoing(
                    user_id=user_id,
                    text=N_("🚨 {count} time limits need your attention:\n{lines}"),
                    params={"count": len(alerts), "lines": Lines(lines)},
                    dedup_key=f"sla-digest:{user_id}:{now.isoformat()}",
                )
            )
        for message in direct:
            await uow.outbox.add(message, at=now)
            sent += 1
        await uow.commit()
    return sent
