"""PTB persistence in our own database, so conversations survive a restart.

No maintained async SQLAlchemy persistence exists for PTB 22, hence this one.
Conversations and user data are kept as JSON rows in ``ptb_persistence``;
chat data (unused: chats are private), bot data (services live there) and
callback data (plain strings) are not. Handlers keep only JSON-friendly values
(str, int, float, bool, lists, dicts) in user_data.

Nothing is written when PTB hands a change over: a chat's changes wait until the
update that made them is marked done, and are written in that same transaction
(:meth:`SqlPersistence.write_chat`), so a conversation never runs ahead of the inbox:
an update that is handled again after a crash finds the conversation as it was before.
Nothing is written at shutdown for the same reason. A value that did not change since
it was last written is not written again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import ConversationDict, ConversationKey

from dispatch.clock import Clock
from storage.models import PersistenceRow

__all__ = ["SqlPersistence"]

_USER, _CHAT, _CONVERSATION = "user", "chat", "conv:"
_DROP = object()


class SqlPersistence(BasePersistence[dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        update_interval: float = 1,
    ) -> None:
        super().__init__(
            store_data=PersistenceInput(chat_data=False, bot_data=False, callback_data=False),
            update_interval=update_interval,
        )
        self.sessions = sessions
        self.clock = clock
        self._pending: dict[tuple[str, str], Any] = {}
        self._written: dict[tuple[str, str], str] = {}

    async def _load(self, kind: str) -> dict[str, Any]:
        async with self.sessions() as session:
            rows = await session.scalars(select(PersistenceRow).where(PersistenceRow.kind == kind))
            return {row.key: row.data.get("v") for row in rows}

    async def _put(self, kind: str, key: str, value: Any) -> None:
        encoded = json.dumps(value, sort_keys=True, default=str)
        if self._written.get((kind, key)) == encoded:
            self._pending.pop((kind, key), None)  # a change and its undo, both unwritten
            return
        # A copy: PTB goes on changing the live dict until the update is finished.
        self._pending[(kind, key)] = json.loads(encoded)

    async def _drop(self, kind: str, key: str) -> None:
        self._pending[(kind, key)] = _DROP

    @staticmethod
    def _belongs_to(kind: str, key: str, chat_id: int, user_id: int | None) -> bool:
        if kind.startswith(_CONVERSATION):
            return chat_id in json.loads(key)
        # User and chat data: in a private chat, one id; in the staff group, the acting
        # member's own data is written with the group's update that changed it.
        return key in (str(chat_id), str(user_id))

    async def write_chat(
        self, session: AsyncSession, chat_id: int, user_id: int | None = None
    ) -> Callable[[bool], None]:
        """Inside the caller's transaction, write what changed for this chat and the user
        acting in it.

        Returns a callback to call with True after the commit and False after a rollback.
        """
        batch = {
            (kind, key): value
            for (kind, key), value in self._pending.items()
            if self._belongs_to(kind, key, chat_id, user_id)
        }
        for entry in batch:
            del self._pending[entry]
        await self._write(session, batch)

        def settle(committed: bool) -> None:
            if committed:
                self._remember(batch)
            else:
                for entry, value in batch.items():
                    self._pending.setdefault(entry, value)

        return settle

    def _remember(self, batch: dict[tuple[str, str], Any]) -> None:
        for (kind, key), value in batch.items():
            if value is _DROP:
                self._written.pop((kind, key), None)
            else:
                self._written[(kind, key)] = json.dumps(value, sort_keys=True, default=str)

    async def _write(self, session: AsyncSession, batch: dict[tuple[str, str], Any]) -> None:
        if not batch:
            return
        now: datetime = self.clock.now()
        drops = [key for key, value in batch.items() if value is _DROP]
        rows = [
            {"kind": kind, "key": key, "data": {"v": value}, "updated_at": now}
            for (kind, key), value in batch.items()
            if value is not _DROP
        ]
        for kind, key in drops:
            await session.execute(
                delete(PersistenceRow).where(PersistenceRow.kind == kind, PersistenceRow.key == key)
            )
        if not rows:
            return
        if session.bind.dialect.name == "postgresql":
            stmt = pg_insert(PersistenceRow)
            await session.execute(
                stmt.on_conflict_do_update(
                    index_elements=["kind", "key"],
                    set_={"data": stmt.excluded.data, "updated_at": stmt.excluded.updated_at},
                ),
                rows,
            )
        else:
            # With every update: SQLAlchemy 2.0 cannot cache a dialect's upsert (compiled
            # again at each call), and REPLACE says the same here (nothing refers to a row).
            table = cast(Table, PersistenceRow.__table__)
            await session.execute(insert(table).prefix_with("OR REPLACE"), rows)

    async def get_user_data(self) -> dict[int, dict[Any, Any]]:
        stored = await self._load(_USER)
        for key, value in stored.items():
            self._written[(_USER, key)] = json.dumps(value, sort_keys=True, default=str)
        return {int(key): dict(value or {}) for key, value in stored.items()}

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
        """Nothing to do at shutdown: what is still pending belongs to an update not done.

        Writing it would put the conversation ahead of the inbox; the update is handled
        again at the next start and makes the same change.
        """
        return None
