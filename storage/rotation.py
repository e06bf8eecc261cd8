"""``aftercare keys rotate``: every encrypted column written again with the first key.

Each value is read (with whichever key of the ring encrypted it, or as the plain text
written before keys were set) and written back, which encrypts it with the first key; a
phone number's lookup HMAC is written with it. Table by table, a batch per transaction,
so a live desk goes on working meanwhile.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.crypto import key_ring
from storage.field_models import ContractRow
from storage.models import (
    EventTextRow,
    InboxRow,
    OutboxRow,
    PersistenceRow,
    StaffPostRow,
    TicketRow,
    UserRow,
)

__all__ = ["ENCRYPTED_COLUMNS", "rotate_keys"]

# Every column typed EncryptedText or EncryptedJSON (storage.models, storage.field_models).
ENCRYPTED_COLUMNS: dict[Any, tuple[str, ...]] = {
    UserRow: ("display_name", "username", "phone"),
    TicketRow: ("description", "address", "contact_phone"),
    ContractRow: ("address",),
    OutboxRow: ("params",),
    StaffPostRow: ("payload",),
    InboxRow: ("payload",),
    PersistenceRow: ("data",),
    EventTextRow: ("text",),
}


async def rotate_keys(engine: AsyncEngine, batch: int = 500) -> dict[str, int]:
    """Rows written again, by table."""
    ring = key_ring()
    if ring is None:
        raise RuntimeError("no keys are set: [privacy] keys and lookup_key")
    written: dict[str, int] = {}
    for model, columns in ENCRYPTED_COLUMNS.items():
        table = model.__table__
        key = next(iter(table.primary_key.columns))
        statement = update(table).where(key == bindparam("_key"))
        # Bound under names of their own: a column's own name is SQLAlchemy's to use.
        values = {name: bindparam(f"v_{name}", type_=table.c[name].type) for name in columns}
        if model is UserRow:
            values["phone_lookup"] = bindparam("v_phone_lookup")
        statement = statement.values(values)
        last: Any = None
        count = 0
        while True:
            async with engine.begin() as conn:
                query = select(key, *(table.c[name] for name in columns)).order_by(key)
                if last is not None:
                    query = query.where(key > last)
                rows = (await conn.execute(query.limit(batch))).all()
                if not rows:
                    break
                params = []
                for row in rows:
                    item = {"_key": row[0]}
                    item.update({f"v_{n}": v for n, v in zip(columns, row[1:], strict=True)})
                    if model is UserRow:
                        phone = item["v_phone"]
                        item["v_phone_lookup"] = None if phone is None else ring.lookup(phone)
                    params.append(item)
                await conn.execute(statement, params)
                last = rows[-1][0]
                count += len(rows)
        written[table.name] = count
    return written
