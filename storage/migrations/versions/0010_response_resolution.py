"""first response and resolution times on each ticket's figures: the first answer by a
person (its office hours are counted before the figures are read), the time waited for
the customer, and the hours to closing without it. Every row is derived again from the
event log by the backfill that `aftercare db upgrade` runs at the head.

Revision ID: 0010_response_resolution
Revises: 0009_ticket_facts
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0010_response_resolution"
down_revision: str | None = "0009_ticket_facts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Moment = storage.types.UTCDateTime(timezone=True)
STEP_HOURS = ["dispatch_h", "arrival_h", "repair_h", "first_reply_h", "answer_h"]
STEP_HOURS += ["verify_h", "plan_h", "review_h"]
UNSETTLED = "first_response_at IS NOT NULL AND first_response_h IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("ticket_facts") as table:
        table.add_column(sa.Column("first_response_at", Moment, nullable=True))
        table.add_column(sa.Column("first_response_h", sa.Float(), nullable=True))
        table.add_column(sa.Column("waiting_since", Moment, nullable=True))
        table.add_column(sa.Column("waiting_h", sa.Float(), server_default="0", nullable=False))
        table.add_column(sa.Column("resolution_h", sa.Float(), nullable=True))
    op.drop_index("ix_ticket_facts_closed_at", table_name="ticket_facts")
    op.create_index(
        "ix_ticket_facts_closed_at", "ticket_facts", ["closed_at", "breaches", "resolution_h"]
    )
    op.drop_index("ix_ticket_facts_step_hours", table_name="ticket_facts")
    op.create_index(
        "ix_ticket_facts_step_hours",
        "ticket_facts",
        ["created_at", *STEP_HOURS, "first_response_h"],
    )
    op.create_index(
        "ix_ticket_facts_unsettled",
        "ticket_facts",
        ["ticket_id"],
        sqlite_where=sa.text(UNSETTLED),
        postgresql_where=sa.text(UNSETTLED),
    )
    # The new figures of the tickets already counted come from the log, like new rows'.
    op.execute(sa.text("UPDATE ticket_facts SET backfilled = true"))


def downgrade() -> None:
    op.drop_index("ix_ticket_facts_unsettled", table_name="ticket_facts")
    op.drop_index("ix_ticket_facts_step_hours", table_name="ticket_facts")
    op.create_index("ix_ticket_facts_step_hours", "ticket_facts", ["created_at", *STEP_HOURS])
    op.drop_index("ix_ticket_facts_closed_at", table_name="ticket_facts")
    op.create_index("ix_ticket_facts_closed_at", "ticket_facts", ["closed_at", "breaches"])
    with op.batch_alter_table("ticket_facts") as table:
        table.drop_column("resolution_h")
        table.drop_column("waiting_h")
        table.drop_column("waiting_since")
        table.drop_column("first_response_h")
        table.drop_column("first_response_at")
