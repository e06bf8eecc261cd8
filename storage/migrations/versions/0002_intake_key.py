"""tickets.intake_key: one ticket per confirmed draft

Revision ID: 0002_intake_key
Revises: 0001_initial
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_intake_key"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# A plain ADD COLUMN and a unique index: both work in place on SQLite, so no table is
# rebuilt (a rebuild would trip over the foreign keys that point at tickets).
def upgrade() -> None:
    op.add_column("tickets", sa.Column("intake_key", sa.String(length=40), nullable=True))
    op.create_index("ix_tickets_intake_key", "tickets", ["intake_key"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_tickets_intake_key", table_name="tickets")
    op.drop_column("tickets", "intake_key")
