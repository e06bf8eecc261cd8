"""inbox: every update stored before handling and marked done with its effects

Revision ID: 0005_inbox
Revises: 0004_deadline_alerts
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0005_inbox"
down_revision: str | None = "0004_deadline_alerts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Moment = storage.types.UTCDateTime(timezone=True)


# CREATE TABLE / ADD COLUMN / CREATE INDEX only: no table rebuild on SQLite (see 0002).
def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("payload", storage.types.JSONType, nullable=False),
        sa.Column("received_at", Moment, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("done_at", Moment, nullable=True),
        sa.Column("given_up_at", Moment, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_inbox")),
    )
    op.create_index(op.f("ix_inbox_done_at"), "inbox", ["done_at"], unique=False)
    op.create_index(
        "ix_inbox_unfinished", "inbox", ["done_at", "given_up_at", "update_id"], unique=False
    )
    # The ids handled before the inbox existed stay recognised as handled.
    op.execute(
        "INSERT INTO inbox (update_id, payload, received_at, attempts, done_at) "
        "SELECT update_id, '{}', processed_at, 1, processed_at FROM processed_updates"
    )
    op.drop_index(op.f("ix_processed_updates_processed_at"), table_name="processed_updates")
    op.drop_table("processed_updates")
    op.add_column("outbox", sa.Column("ref", sa.BigInteger(), nullable=True))
    op.create_index(op.f("ix_outbox_ref"), "outbox", ["ref"], unique=False)
    op.add_column("outbox", sa.Column("update_id", sa.BigInteger(), nullable=True))
    op.create_index(op.f("ix_outbox_update_id"), "outbox", ["update_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_outbox_update_id"), table_name="outbox")
    op.drop_column("outbox", "update_id")
    op.drop_index(op.f("ix_outbox_ref"), table_name="outbox")
    op.drop_column("outbox", "ref")
    op.create_table(
        "processed_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("processed_at", Moment, nullable=False),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_processed_updates")),
    )
    op.create_index(
        op.f("ix_processed_updates_processed_at"),
        "processed_updates",
        ["processed_at"],
        unique=False,
    )
    op.execute(
        "INSERT INTO processed_updates (update_id, processed_at) "
        "SELECT update_id, done_at FROM inbox WHERE done_at IS NOT NULL"
    )
    op.drop_index("ix_inbox_unfinished", table_name="inbox")
    op.drop_index(op.f("ix_inbox_done_at"), table_name="inbox")
    op.drop_table("inbox")
