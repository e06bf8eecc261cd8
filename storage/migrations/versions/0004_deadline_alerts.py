"""deadline alerts: next action, level and step per deadline; calendar overrides

Revision ID: 0004_deadline_alerts
Revises: 0003_dispatch
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0004_deadline_alerts"
down_revision: str | None = "0003_dispatch"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEADLINES = ("dispatch", "arrive", "sla", "progress", "survey")


# Plain ADD COLUMN / CREATE INDEX / CREATE TABLE: no table rebuild on SQLite (see 0002).
def upgrade() -> None:
    for name in DEADLINES:
        op.add_column(
            "tickets",
            sa.Column(f"{name}_next_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        )
        op.add_column(
            "tickets", sa.Column(f"{name}_level", sa.Integer(), server_default="0", nullable=False)
        )
        op.add_column("tickets", sa.Column(f"{name}_step", sa.String(length=40), nullable=True))
        op.create_index(f"ix_tickets_{name}_next_at", "tickets", [f"{name}_next_at"])
    op.create_table(
        "calendar_overrides",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("working", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_calendar_overrides_created_by_users")
        ),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_calendar_overrides")),
    )


def downgrade() -> None:
    op.drop_table("calendar_overrides")
    for name in DEADLINES:
        op.drop_index(f"ix_tickets_{name}_next_at", table_name="tickets")
        op.drop_column("tickets", f"{name}_step")
        op.drop_column("tickets", f"{name}_level")
        op.drop_column("tickets", f"{name}_next_at")
