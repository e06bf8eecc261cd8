"""part_kinds: the parts lists managers load, over the config's (dispatch.parts_list)

Revision ID: 0015_part_kinds
Revises: 0014_contracts
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015_part_kinds"
down_revision: str | None = "0014_contracts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "part_kinds",
        sa.Column("code", sa.String(24), primary_key=True),
        sa.Column("name", JSON, nullable=False),
        sa.Column("price", sa.Float(), nullable=False),
        sa.Column("reorder_level", sa.Integer(), nullable=False),
        sa.Column("products", JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("part_kinds")
