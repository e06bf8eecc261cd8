"""dispatch: one pending and one accepted offer per ticket; outbox kinds; manual check-in; signed payload

Revision ID: 0003_dispatch
Revises: 0002_intake_key
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0003_dispatch"
down_revision: str | None = "0002_intake_key"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ADD COLUMN and CREATE INDEX only: no table rebuild on SQLite (see 0002).
def upgrade() -> None:
    op.add_column(
        "outbox", sa.Column("kind", sa.String(length=24), server_default="text", nullable=False)
    )
    op.add_column(
        "visits",
        sa.Column("arrival_claimed_at", storage.types.UTCDateTime(timezone=True), nullable=True),
    )
    op.add_column("service_records", sa.Column("signed_payload", sa.Text(), nullable=True))
    op.create_index("ix_tickets_assigned_technician_id", "tickets", ["assigned_technician_id"])
    for name, status in (
        ("uq_offers_one_pending", "pending"),
        ("uq_offers_one_accepted", "accepted"),
    ):
        op.create_index(
            name,
            "offers",
            ["ticket_id"],
            unique=True,
            sqlite_where=sa.text(f"status = '{status}'"),
            postgresql_where=sa.text(f"status = '{status}'"),
        )


def downgrade() -> None:
    op.drop_index("uq_offers_one_accepted", table_name="offers")
    op.drop_index("uq_offers_one_pending", table_name="offers")
    op.drop_column("service_records", "signed_payload")
    op.drop_column("visits", "arrival_claimed_at")
    op.drop_column("outbox", "kind")
    op.drop_index("ix_tickets_assigned_technician_id", table_name="tickets")
