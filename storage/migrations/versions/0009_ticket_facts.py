"""ticket facts: each ticket's figures for the KPIs, kept as it moves (storage.facts); the
rows of tickets written before are derived from the event log by `aftercare db upgrade`

Revision ID: 0009_ticket_facts
Revises: 0008_report_indexes
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0009_ticket_facts"
down_revision: str | None = "0008_report_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Moment = storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    hours = [
        sa.Column(name + "_h", sa.Float(), nullable=True)
        for name in (
            "dispatch",
            "arrival",
            "repair",
            "first_reply",
            "answer",
            "verify",
            "plan",
            "review",
        )
    ]
    op.create_table(
        "ticket_facts",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("created_at", Moment, nullable=False),
        sa.Column("technician_id", sa.Integer(), nullable=True),
        sa.Column("completed_at", Moment, nullable=True),
        sa.Column("closed_at", Moment, nullable=True),
        sa.Column("breaches", sa.Integer(), server_default="0", nullable=False),
        sa.Column("escalations", sa.Integer(), server_default="0", nullable=False),
        sa.Column("service_cause", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("late_arrival", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("came_back", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("complaints", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rating", sa.Float(), nullable=True),
        *hours,
        sa.Column("backfilled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_facts_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_ticket_facts")),
    )
    op.create_index(
        "ix_ticket_facts_created_at",
        "ticket_facts",
        ["created_at", "kind", "breaches", "escalations"],
    )
    op.create_index(
        "ix_ticket_facts_kind_created_at", "ticket_facts", ["kind", "created_at", "service_cause"]
    )
    op.create_index("ix_ticket_facts_closed_at", "ticket_facts", ["closed_at", "breaches"])
    op.create_index(
        "ix_ticket_facts_completed_at", "ticket_facts", ["completed_at", "technician_id"]
    )
    op.create_index(
        "ix_ticket_facts_customer_completed_at", "ticket_facts", ["customer_id", "completed_at"]
    )
    op.create_index(
        "ix_ticket_facts_step_hours",
        "ticket_facts",
        ["created_at", *(column.name for column in hours)],
    )
    op.create_index(
        "ix_ticket_facts_technician",
        "ticket_facts",
        [
            "completed_at",
            "technician_id",
            "late_arrival",
            "arrival_h",
            "came_back",
            "rating",
            "complaints",
        ],
    )


def downgrade() -> None:
    op.drop_index("ix_ticket_facts_technician", table_name="ticket_facts")
    op.drop_index("ix_ticket_facts_step_hours", table_name="ticket_facts")
    op.drop_index("ix_ticket_facts_kind_created_at", table_name="ticket_facts")
    op.drop_index("ix_ticket_facts_customer_completed_at", table_name="ticket_facts")
    op.drop_index("ix_ticket_facts_completed_at", table_name="ticket_facts")
    op.drop_index("ix_ticket_facts_closed_at", table_name="ticket_facts")
    op.drop_index("ix_ticket_facts_created_at", table_name="ticket_facts")
    op.drop_table("ticket_facts")
