"""staff room: the staff group's topics (the desk's own and one per case) and the queue of
what the desk has to do there

Revision ID: 0007_staff_room
Revises: 0006_technician_active
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0007_staff_room"
down_revision: str | None = "0006_technician_active"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Moment = storage.types.UTCDateTime(timezone=True)


# CREATE TABLE / CREATE INDEX only: no table rebuild on SQLite (see 0002).
def upgrade() -> None:
    op.create_table(
        "staff_topics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("thread_id", sa.BigInteger(), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("card_message_id", sa.BigInteger(), nullable=True),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("created_at", Moment, nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_staff_topics_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_topics")),
        sa.UniqueConstraint("chat_id", "key", name="uq_staff_topics_chat_key"),
    )
    op.create_index(op.f("ix_staff_topics_ticket_id"), "staff_topics", ["ticket_id"], unique=False)
    op.create_table(
        "staff_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("payload", storage.types.JSONType, nullable=False),
        sa.Column("dedup_key", sa.String(length=128), nullable=True),
        sa.Column("created_at", Moment, nullable=False),
        sa.Column("next_attempt_at", Moment, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", Moment, nullable=True),
        sa.Column("dead_at", Moment, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["topic_id"], ["staff_topics.id"], name=op.f("fk_staff_posts_topic_id_staff_topics")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_posts")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_staff_posts_dedup_key")),
    )
    op.create_index(op.f("ix_staff_posts_topic_id"), "staff_posts", ["topic_id"], unique=False)
    op.create_index(
        "ix_staff_posts_pending",
        "staff_posts",
        ["sent_at", "dead_at", "next_attempt_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_staff_posts_pending", table_name="staff_posts")
    op.drop_index(op.f("ix_staff_posts_topic_id"), table_name="staff_posts")
    op.drop_table("staff_posts")
    op.drop_index(op.f("ix_staff_topics_ticket_id"), table_name="staff_topics")
    op.drop_table("staff_topics")
