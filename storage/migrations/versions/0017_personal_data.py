"""personal data: room for encrypted values, and the phone's lookup HMAC (storage.crypto)

Revision ID: 0017_personal_data
Revises: 0016_event_seals
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_personal_data"
down_revision: str | None = "0016_event_seals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# An encrypted value is longer than the plain one: these become unbounded text.
WIDENED = {
    "users": (("display_name", 128), ("username", 64), ("phone", 32)),
    "tickets": (("contact_phone", 32),),
    "contracts": (("address", 300),),
}


def upgrade() -> None:
    for table, columns in WIDENED.items():
        with op.batch_alter_table(table) as batch:
            for name, length in columns:
                batch.alter_column(name, type_=sa.Text(), existing_type=sa.String(length))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("phone_lookup", sa.String(64), nullable=True))
        batch.create_index("ix_users_phone_lookup", ["phone_lookup"])


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_index("ix_users_phone_lookup")
        batch.drop_column("phone_lookup")
    for table, columns in WIDENED.items():
        with op.batch_alter_table(table) as batch:
            for name, length in columns:
                batch.alter_column(name, type_=sa.String(length), existing_type=sa.Text())
