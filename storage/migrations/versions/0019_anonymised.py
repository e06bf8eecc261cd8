"""tickets.anonymised_at: a closed ticket's personal data removed after the retention
period ([privacy] retention_days, dispatch.privacy)

Revision ID: 0019_anonymised
Revises: 0018_forgotten
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision: str = "0019_anonymised"
down_revision: str | None = "0018_forgotten"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("anonymised_at", UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("anonymised_at")
