"""Users: found or made at each update, their language, and what they missed while away."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from dispatch.clock import Clock
from dispatch.errors import DuplicateRequest, NotAllowed, NotFound
from dispatch.intake import clean_text
from dispatch.labels import status_label
from dispatch.messages import N_, Button, Lines, Msg, Outgoing, Param
from dispatch.model import (
    Event,
    EventKind,
    Language,
    Role,
    User,
)
from dispatch.ports import UnitOfWork
from dispatch.states import is_open

__all__ = ["Registration", "as_manager", "register_user", "set_language"]


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
                    kind=EventKind.USER_REGISTERED,
                    created_at=now,
                    actor_id=user.id,
                    details={"role": role},
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
            if user.forgotten_at is None:  # an erased customer's name is not taken again
                user.display_name = clean_text(display_name)[:128]
                user.username = username
            user.telegram_language = telegram_language
            if telegram_id in manager_ids and user.role is not Role.MANAGER:
                await uow.events.add(
                    Event(
                        kind=EventKind.ROLE_CHANGED,
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


async def tell_managers(
    uow: UnitOfWork,
    *,
    text: str,
    params: Mapping[str, Param],
    at: datetime,
    key: str,
    buttons: tuple[tuple[Button, ...], ...] = (),
    ticket_id: int | None = None,
    but: int | None = None,
) -> None:
    """Inside an open unit of work: the same message to every manager (``but`` one), once
    each: ``key`` plus the manager's id is the message's dedup key."""
    for manager in await uow.users.with_role(Role.MANAGER):
        if manager.id == but:
            continue
        await uow.outbox.add(
            Outgoing(
                user_id=manager.id,
                text=text,
                params=params,
                buttons=buttons,
                ticket_id=ticket_id,
                dedup_key=f"{key}:{manager.id}",
            ),
            at=at,
        )


async def as_manager(uow: UnitOfWork, user_id: int, *, to: str) -> User:
    """Inside an open unit of work: the user, if a manager; NotAllowed (saying what only
    managers may ``to`` do) otherwise."""
    user = await uow.users.get(user_id)
    if user is None or user.role is not Role.MANAGER:
        raise NotAllowed(f"only managers {to}")
    return user


async def set_language(
    uow: UnitOfWork, clock: Clock, *, user_id: int, language: Language | None
) -> User:
    """The user's own language (None: follow Telegram's), kept with an event."""
    async with uow:
        user = await uow.users.get(user_id)
        if user is None:
            raise NotFound(f"user {user_id}")
        if user.language != language:
            user.language = language
            await uow.users.save(user)
            await uow.events.add(
                Event(
                    kind=EventKind.LANGUAGE_CHOSEN,
                    created_at=clock.now(),
                    actor_id=user_id,
                    details={"language": language.value if language else None},
                )
            )
            await uow.commit()
        return user
