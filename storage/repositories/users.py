"""Users: rows in, domain objects out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.model import (
    Language,
    Role,
    User,
)
from storage.crypto import key_ring
from storage.models import (
    UserRow,
)

__all__ = ["SqlUserRepository", "to_user"]


def phone_lookup(phone: str | None) -> str | None:
    """What a phone number is found by: its HMAC under the lookup key (None: no keys)."""
    ring = key_ring()
    return None if ring is None or phone is None else ring.lookup(phone)


def to_user(row: UserRow) -> User:
    return User(
        id=row.id,
        telegram_id=row.telegram_id,
        role=Role(row.role),
        language=Language(row.language) if row.language else None,
        telegram_language=row.telegram_language,
        display_name=row.display_name,
        username=row.username,
        phone=row.phone,
        unreachable_at=row.unreachable_at,
        created_at=row.created_at,
        forgotten_at=row.forgotten_at,
    )


class SqlUserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: int) -> User | None:
        row = await self.session.get(UserRow, user_id)
        return to_user(row) if row else None

    async def by_telegram_id(self, telegram_id: int) -> User | None:
        row = await self.session.scalar(select(UserRow).where(UserRow.telegram_id == telegram_id))
        return to_user(row) if row else None

    async def add(
        self,
        *,
        telegram_id: int,
        role: Role,
        display_name: str,
        username: str | None,
        telegram_language: str | None,
        at: datetime,
    ) -> User:
        row = UserRow(
            telegram_id=telegram_id,
            role=role.value,
            display_name=display_name,
            username=username,
            telegram_language=telegram_language,
            created_at=at,
        )
        self.session.add(row)
        await self.session.flush()
        return to_user(row)

    async def save(self, user: User) -> None:
        await self.session.execute(
            update(UserRow)
            .where(UserRow.id == user.id)
            .values(
                role=user.role.value,
                language=user.language.value if user.language else None,
                telegram_language=user.telegram_language,
                display_name=user.display_name,
                username=user.username,
                phone=user.phone,
                phone_lookup=phone_lookup(user.phone),
                unreachable_at=user.unreachable_at,
            )
        )

    async def by_phone(self, phone: str) -> User | None:
        """Found by the phone's HMAC when personal data is encrypted (storage.crypto)."""
        lookup = phone_lookup(phone)
        found = UserRow.phone == phone if lookup is None else UserRow.phone_lookup == lookup
        row = await self.session.scalar(select(UserRow).where(found).order_by(UserRow.id).limit(1))
        return None if row is None else to_user(row)

    async def get_many(self, ids: list[int]) -> dict[int, User]:
        if not ids:
            return {}
        rows = await self.session.scalars(select(UserRow).where(UserRow.id.in_(ids)))
        return {row.id: to_user(row) for row in rows}

    async def with_role(self, role: Role) -> list[User]:
        rows = await self.session.scalars(
            select(UserRow).where(UserRow.role == role.value).order_by(UserRow.id)
        )
        return [to_user(row) for row in rows]
