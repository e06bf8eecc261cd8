"""event_texts: what people wrote, out of the append-only events (storage.models)

Revision ID: 0020_event_texts
Revises: 0019_anonymised
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_event_texts"
down_revision: str | None = "0019_anonymised"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_texts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_event_texts_ticket_id_tickets")
        ),
    )
    op.create_index("ix_event_texts_ticket_id", "event_texts", ["ticket_id"])


def downgrade() -> None:
    op.drop_index("ix_event_texts_ticket_id", "event_texts")
    op.drop_table("event_texts")
