"""technician_certificates: the certificates technicians hold, which jobs' offers require
(dispatch.certificates)

Revision ID: 0012_certificates
Revises: 0011_export_indexes
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_certificates"
down_revision: str | None = "0011_export_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "technician_certificates",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "technician_id", sa.Integer(), sa.ForeignKey("technicians.user_id"), nullable=False
        ),
        sa.Column("code", sa.String(24), nullable=False),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("warned_on", sa.Date(), nullable=True),
        sa.UniqueConstraint("technician_id", "code", name="uq_technician_certificates_code"),
    )
    op.create_index(
        "ix_technician_certificates_valid_until", "technician_certificates", ["valid_until"]
    )


def downgrade() -> None:
    op.drop_index("ix_technician_certificates_valid_until", table_name="technician_certificates")
    op.drop_table("technician_certificates")
