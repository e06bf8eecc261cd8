"""Invites: claimed once, before they expire."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.model import (
    Invite,
    Role,
)
from storage.models import (
    InviteRow,
)

__all__ = ["SqlInviteRepository", "to_invite"]


def to_invite(row: InviteRow) -> Invite:
    return Invite(
        id=row.id,
        role=Role(row.role),
        created_by=row.created_by,
        created_at=row.created_at,
        expires_at=row.expires_at,
        used_at=row.used_at,
        used_by=row.used_by,
    )


class SqlInviteRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self, *, token_hash: str, role: Role, created_by: int, at: datetime, expires_at: datetime
    ) -> Invite:
        row = InviteRow(
            token_hash=token_hash,
            role=role.value,
            created_by=created_by,
            created_at=at,
            expires_at=expires_at,
        )
        self.session.add(row)
        await self.session.flush()
        return to_invite(row)

    async def by_hash(self, token_hash: str) -> Invite | None:
        row = await self.session.scalar(select(InviteRow).where(InviteRow.token_hash == token_hash))
        return to_invite(row) if row else None

    async def claim(self, invite_id: int, user_id: int, at: datetime) -> bool:
        # Compare-and-set: of two people redeeming one link at once, exactly one wins.
        result = await self.session.execute(
            update(InviteRow)
            .where(InviteRow.id == invite_id, InviteRow.used_at.is_(None))
            .where(InviteRow.expires_at > at)
            .values(used_at=at, used_by=user_id)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]
