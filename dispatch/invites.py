"""Invite links: a manager makes one for a technician or a manager; it is used once."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from dispatch.clock import Clock
from dispatch.errors import InviteRefused, NotAllowed, NotFound
from dispatch.model import (
    Event,
    EventKind,
    Invite,
    Role,
    User,
)
from dispatch.ports import UnitOfWork
from dispatch.users import as_manager

__all__ = ["CreatedInvite", "create_invite", "hash_token", "redeem_invite"]


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
        await as_manager(uow, manager_id, to="create invites")
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
                kind=EventKind.INVITE_CREATED,
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
                    kind=EventKind.INVITE_REFUSED,
                    created_at=now,
                    actor_id=user.id,
                    details={"reason": reason, "invite_id": invite.id if invite else None},
                )
            )
            await uow.commit()
            raise InviteRefused(reason or "unknown")
        await uow.events.add(
            Event(
                kind=EventKind.INVITE_REDEEMED,
                created_at=now,
                actor_id=user.id,
                details={"invite_id": invite.id, "from": user.role, "to": invite.role},
            )
        )
        user.role = invite.role
        await uow.users.save(user)
        await uow.commit()
        return user
