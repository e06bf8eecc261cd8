"""technicians.active: a manager pauses a technician (no duty, no offers) and brings them back

Revision ID: 0006_technician_active
Revises: 0005_inbox
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_technician_active"
down_revision: str | None = "0005_inbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# ADD COLUMN only: no table rebuild on SQLite (see 0002).
def upgrade() -> None:
    op.add_column(
        "technicians",
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table("technicians") as batch:
        batch.drop_column("active")
