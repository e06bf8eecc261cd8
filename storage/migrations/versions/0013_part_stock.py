"""part_stock: the spare parts each service point and technician holds (dispatch.parts)

Revision ID: 0013_part_stock
Revises: 0012_certificates
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_part_stock"
down_revision: str | None = "0012_certificates"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "part_stock",
        sa.Column("holder", sa.String(80), primary_key=True),
        sa.Column("part_code", sa.String(24), primary_key=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("reorder_level", sa.Integer(), nullable=False),
        sa.Column("low_warned", sa.Boolean(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("part_stock")
