"""PTB persistence in our own database, so conversations survive a restart.

No maintained async SQLAlchemy persistence exists for PTB 22, hence this one.
Conversations, user data and chat data are kept as JSON rows in
``ptb_persistence``; bot data and callback data are not persisted (services
live in bot_data, and callback data is plain strings). Handlers keep only
JSON-friendly values (str, int, float, bool, lists, dicts) in user_data.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import ConversationDict, ConversationKey

from dispatch.clock import Clock
from storage.models import PersistenceRow

__all__ = ["SqlPersistence"]

_USER, _CHAT, _CONVERSATION = "user", "chat", "conv:"


class SqlPersistence(BasePersistence[dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        update_interval: float = 1,
    ) -> None:
        super().__init__(
            store_data=PersistenceInput(bot_data=False, callback_data=False),
            update_interval=update_interval,
        )
        self.sessions = sessions
        self.clock = clock

    async def _load(self, kind: str) -> dict[str, Any]:
        async with self.sessions() as session:
            rows = await session.scalars(select(PersistenceRow).where(PersistenceRow.kind == kind))
            return {row.key: row.data.get("v") for row in rows}

    async def _put(self, kind: str, key: str, value: Any) -> None:
        async with self.sessions() as session:
            insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
            now: datetime = self.clock.now()
            stmt = insert(PersistenceRow).values(
                kind=kind, key=key, data={"v": value}, updated_at=now
            )
            stmt = stmt.on_conflict_do_update(
                index_elements=["kind", "key"], set_={"data": {"v": value}, "updated_at": now}
            )
            await session.execute(stmt)
            await session.commit()

    async def _drop(self, kind: str, key: str) -> None:
        async with self.sessions() as session:
            await session.execute(
                delete(PersistenceRow).where(PersistenceRow.kind == kind, PersistenceRow.key == key)
            )
            await session.commit()

    async def get_user_data(self) -> dict[int, dict[Any, Any]]:
        return {int(key): dict(value or {}) for key, value in (await self._load(_USER)).items()}

    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        return {int(key): dict(value or {}) for key, value in (await self._load(_CHAT)).items()}

    async def get_bot_data(self) -> dict[Any, Any]:
        return {}

    async def get_callback_data(self) -> None:
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        stored = await self._load(_CONVERSATION + name)
        return {tuple(json.loads(key)): state for key, state in stored.items()}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        encoded = json.dumps(list(key))
        if new_state is None:
            await self._drop(_CONVERSATION + name, encoded)
        else:
            await self._put(_CONVERSATION + name, encoded, new_state)

    async def update_user_data(self, user_id: int, data: dict[Any, Any]) -> None:
        await self._put(_USER, str(user_id), data)

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        await self._put(_CHAT, str(chat_id), data)

    async def update_bot_data(self, data: dict[Any, Any]) -> None:
        return None

    async def update_callback_data(self, data: Any) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        await self._drop(_CHAT, str(chat_id))

    async def drop_user_data(self, user_id: int) -> None:
        await self._drop(_USER, str(user_id))

    async def refresh_user_data(self, user_id: int, user_data: dict[Any, Any]) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[Any, Any]) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict[Any, Any]) -> None:
        return None

    async def flush(self) -> None:
        return None
