"""Service functions: one per user action, each one transaction.

Shape (cosmicpython's service layer): take plain values, a unit of work and a
clock; open the unit of work; load; call the domain; write the events and the
outgoing messages; commit; return a small result. Raising anything before the
commit leaves the database as it was.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dispatch.clock import Clock
from dispatch.errors import DuplicateRequest, InviteRefused, NotAllowed, NotFound
from dispatch.intake import clean_text
from dispatch.labels import status_label
from dispatch.messages import N_, Lines, Msg, Outgoing
from dispatch.model import (
    Event,
    Invite,
    Language,
    Priority,
    Role,
    Ticket,
    TicketKind,
    User,
)
from dispatch.numbering import PREFIX, format_number
from dispatch.policy import DeskPolicy
from dispatch.ports import UnitOfWork
from dispatch.sla import STARTS, STEPS
from dispatch.states import INITIAL_STATUS, is_open, transition

__all__ = [
    "CreatedInvite",
    "Registration",
    "arm",
    "change_status",
    "create_invite",
    "create_ticket",
    "hash_token",
    "new_ticket",
    "open_linked_complaint",
    "redeem_invite",
    "register_user",
    "set_language",
]


@dataclass(frozen=True)
class Registration:
    user: User
    created: bool


async def register_user(
    uow: UnitOfWork,
    clock: Clock,
    *,
    telegram_id: int,
    display_name: str,
    username: str | None,
    telegram_language: str | None,
    manager_ids: Collection[int],
    request_id: int | None = None,
) -> Registration:
    """Find or create the user behind a Telegram account; config managers become managers.

    With ``request_id``, a request handled to the end before raises DuplicateRequest
    (a redelivered update). It is marked handled with its effects, not here (the inbox).
    """
    async with uow:
        now = clock.now()
        if request_id is not None and await uow.requests.handled(request_id):
            raise DuplicateRequest(f"request {request_id}")
        user = await uow.users.by_telegram_id(telegram_id)
        created = user is None
        if user is None:
            role = Role.MANAGER if telegram_id in manager_ids else Role.CUSTOMER
            user = await uow.users.add(
                telegram_id=telegram_id,
                role=role,
                display_name=clean_text(display_name)[:128],
                username=username,
                telegram_language=telegram_language,
                at=now,
            )
            await uow.events.add(
                Event(
                    kind="user.registered", created_at=now, actor_id=user.id, details={"role": role}
                )
            )
        else:
            before = (
                user.display_name,
                user.username,
                user.telegram_language,
                user.role,
                user.unreachable_at,
            )
            user.display_name = clean_text(display_name)[:128]
            user.username = username
            user.telegram_language = telegram_language
            if telegram_id in manager_ids and user.role is not Role.MANAGER:
                await uow.events.add(
                    Event(
                        kind="role.changed",
                        created_at=now,
                        actor_id=user.id,
                        details={"from": user.role, "to": Role.MANAGER, "by": "config"},
                    )
                )
                user.role = Role.MANAGER
            # Writing to us again means they have not blocked the bot (any more).
            if user.unreachable_at is not None:
                await _tell_what_was_missed(uow, user, now)
            user.unreachable_at = None
            after = (
                user.display_name,
                user.username,
                user.telegram_language,
                user.role,
                user.unreachable_at,
            )
            if after != before:
                await uow.users.save(user)
        await uow.commit()
        return Registration(user, created)


async def _tell_what_was_missed(uow: UnitOfWork, user: User, now: datetime) -> None:
    """Back after blocking the bot: how many messages did not reach them, and where their
    open requests stand now (the messages themselves are out of date)."""
    assert user.unreachable_at is not None
    missed = await uow.outbox.missed(user.id, user.unreachable_at)
    if not missed:
        return
    tickets = [
        ticket for ticket in await uow.tickets.of_customer(user.id) if is_open(ticket.status)
    ]
    lines = tuple(
        Msg(
            N_("{number}: {status}"),
            {"number": ticket.number, "status": Msg(status_label(ticket.kind, ticket.status))},
        )
        for ticket in tickets
    ) or (Msg(N_("No request of yours is open.")),)
    await uow.outbox.add(
        Outgoing(
            user_id=user.id,
            text=N_(
                "Welcome back. Messages that could not reach you while the bot was blocked: {count}. Where your requests stand now:\n{tickets}\nSend /mytickets for the details."
            ),
            params={"count": missed, "tickets": Lines(lines)},
        ),
        at=now,
    )


async def set_language(uow: UnitOfWork, *, user_id: int, language: Language | None) -> User:
    async with uow:
        user = await uow.users.get(user_id)
        if user is None:
            raise NotFound(f"user {user_id}")
        user.language = language
        await uow.users.save(user)
        await uow.commit()
        return user


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class CreatedInvite:
    token: str
    invite: Invite


async def create_invite(
    uow: UnitOfWork, clock: Clock, *, manager_id: int, role: Role, ttl: timedelta
) -> CreatedInvite:
    """A single-use, expiring invite; only its hash is stored, the token is shown once."""
    if role is Role.CUSTOMER:
        raise NotAllowed("customers need no invite")
    async with uow:
        manager = await uow.users.get(manager_id)
        if manager is None or manager.role is not Role.MANAGER:
            raise NotAllowed("only managers create invites")
        token = secrets.token_urlsafe(18)
        now = clock.now()
        invite = await uow.invites.add(
            token_hash=hash_token(token),
            role=role,
            created_by=manager_id,
            at=now,
            expires_at=now + ttl,
        )
        await uow.events.add(
            Event(
                kind="invite.created",
                created_at=now,
                actor_id=manager_id,
                details={"invite_id": invite.id, "role": role},
            )
        )
        await uow.commit()
        return CreatedInvite(token, invite)


async def redeem_invite(uow: UnitOfWork, clock: Clock, *, user_id: int, token: str) -> User:
    """Give the user the invite's role, once; a refusal is recorded too and says why."""
    async with uow:
        now = clock.now()
        user = await uow.users.get(user_id)
        if user is None:
            raise NotFound(f"user {user_id}")
        invite = await uow.invites.by_hash(hash_token(token))
        reason: str | None = None
        if invite is None:
            reason = "unknown"
        elif invite.used_at is not None:
            reason = "used"
        elif invite.expires_at <= now:
            reason = "expired"
        elif user.role is Role.MANAGER and invite.role is not Role.MANAGER:
            reason = "already"
        elif not await uow.invites.claim(invite.id, user.id, now):
            reason = "used"
        if reason is not None or invite is None:
            await uow.events.add(
                Event(
                    kind="invite.refused",
                    created_at=now,
                    actor_id=user.id,
                    details={"reason": reason, "invite_id": invite.id if invite else None},
                )
            )
            await uow.commit()
            raise InviteRefused(reason or "unknown")
        await uow.events.add(
            Event(
                kind="invite.redeemed",
                created_at=now,
                actor_id=user.id,
                details={"invite_id": invite.id, "from": user.role, "to": invite.role},
            )
        )
        user.role = invite.role
        await uow.users.save(user)
        await uow.commit()
        return user


async def new_ticket(
    uow: UnitOfWork,
    *,
    now: datetime,
    zone: ZoneInfo,
    customer_id: int,
    kind: TicketKind,
    intake_key: str | None = None,
) -> Ticket:
    """A ticket in its first status with its readable number reserved; not yet stored."""
    day = now.astimezone(zone).date()
    sequence = await uow.tickets.next_number(PREFIX[kind], day)
    return Ticket(
        id=0,
        number=format_number(kind, day, sequence),
        kind=kind,
        status=INITIAL_STATUS,
        customer_id=customer_id,
        created_at=now,
        updated_at=now,
        intake_key=intake_key,
    )


async def open_linked_complaint(
    uow: UnitOfWork,
    *,
    now: datetime,
    zone: ZoneInfo,
    customer_id: int,
    related: Ticket,
    description: str,
    details: Mapping[str, Any],
) -> Ticket:
    """A complaint the product opens itself (a disputed record, a low survey score)."""
    complaint = await new_ticket(
        uow, now=now, zone=zone, customer_id=customer_id, kind=TicketKind.COMPLAINT
    )
    complaint.related_ticket_id = related.id
    complaint.description = description
    complaint.priority = Priority.HIGH
    complaint.details = {"topic": "visit", "severity": "general", **details}
    complaint = await uow.tickets.add(complaint)
    await uow.events.add(
        Event(
            kind="created",
            created_at=now,
            ticket_id=complaint.id,
            actor_id=customer_id,
            to_status="new",
        )
    )
    return complaint


async def create_ticket(
    uow: UnitOfWork,
    clock: Clock,
    zone: ZoneInfo,
    *,
    customer_id: int,
    kind: TicketKind,
    fields: Mapping[str, Any] | None = None,
) -> Ticket:
    """Record a new ticket with a readable number and its ``created`` event."""
    async with uow:
        now = clock.now()
        ticket = await new_ticket(uow, now=now, zone=zone, customer_id=customer_id, kind=kind)
        for name, value in (fields or {}).items():
            if not hasattr(ticket, name) or name in ("id", "number", "kind", "status"):
                raise ValueError(f"a ticket has no settable field {name!r}")
            setattr(ticket, name, value)
        ticket = await uow.tickets.add(ticket)
        await uow.events.add(
            Event(
                kind="created",
                created_at=now,
                ticket_id=ticket.id,
                actor_id=customer_id,
                to_status=ticket.status,
            )
        )
        await uow.commit()
        return ticket


async def arm(
    uow: UnitOfWork, policy: DeskPolicy, ticket: Ticket, step: str, start: datetime
) -> None:
    """Start the clock of an SLA step on its deadline column; the sweep does the rest."""
    column = STEPS[step].column
    due = policy.due(start, step)
    warn = start + (due - start) * policy.warn_fraction
    ticket.deadlines[f"{column}_due_at"] = due
    await uow.tickets.arm(ticket.id, column, step, due, warn)
    calendar = policy.work_calendar
    if policy.sla[step].round_the_clock is None and not calendar.published(
        due.astimezone(policy.zone).year
    ):
        year = due.astimezone(policy.zone).year
        for manager in await uow.users.with_role(Role.MANAGER):
            await uow.outbox.add(
                Outgoing(
                    user_id=manager.id,
                    text=N_(
                        "📅 Deadlines now reach {year}, whose official holidays and make-up working days are not published yet. They are estimated; add company days with /calendar once they are known."
                    ),
                    params={"year": year},
                    dedup_key=f"calendar-unpublished:{year}:{manager.id}",
                ),
                at=start,
            )


async def change_status(
    uow: UnitOfWork,
    clock: Clock,
    *,
    ticket_id: int,
    to: str,
    actor_id: int | None,
    details: Mapping[str, Any] | None = None,
    policy: DeskPolicy | None = None,
) -> Ticket:
    """Move a ticket along its state machine; an illegal move writes nothing.

    With ``policy``, a status that starts an SLA step (dispatch.sla.STARTS) arms its
    clock in the same transaction.
    """
    async with uow:
        ticket = await uow.tickets.get(ticket_id)
        if ticket is None:
            raise NotFound(f"ticket {ticket_id}")
        now = clock.now()
        event = transition(ticket, to, at=now, actor_id=actor_id, details=details)
        await uow.tickets.save(ticket)
        await uow.events.add(event)
        started = STARTS.get((ticket.kind.value, to))
        if policy is not None and started is not None:
            step, counted_from = started
            await arm(
                uow, policy, ticket, step, ticket.created_at if counted_from == "created" else now
            )
        if (
            policy is not None
            and to == "closed"
            and ticket.kind in (TicketKind.COMPLAINT, TicketKind.RETURN)
        ):
            from dispatch.surveys import schedule  # surveys builds on this module

            await schedule(uow, policy, ticket, now)  # the follow-up visit after a closed case
        await uow.commit()
        return ticket
