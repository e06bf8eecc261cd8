"""report indexes: a period's tickets, status moves and surveys found by their time, so
that the KPIs cost what the period holds, not the whole table

Revision ID: 0008_report_indexes
Revises: 0007_staff_room
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008_report_indexes"
down_revision: str | None = "0007_staff_room"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_tickets_created_at_kind", "tickets", ["created_at", "kind"])
    op.create_index(
        op.f("ix_tickets_related_ticket_id"), "tickets", ["related_ticket_id"], unique=False
    )
    op.create_index("ix_tickets_kind_created_at", "tickets", ["kind", "created_at"])
    op.create_index(
        "ix_tickets_customer_kind_created_at", "tickets", ["customer_id", "kind", "created_at"]
    )
    op.create_index("ix_tickets_id_kind", "tickets", ["id", "kind"])
    op.create_index(
        "ix_events_kind_to_status_created_at",
        "events",
        ["kind", "to_status", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_events_ticket_kind_to_status_created_at",
        "events",
        ["ticket_id", "kind", "to_status", "created_at"],
        unique=False,
    )
    op.create_index(op.f("ix_surveys_sent_at"), "surveys", ["sent_at"], unique=False)
    op.create_index(op.f("ix_surveys_answered_at"), "surveys", ["answered_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_surveys_answered_at"), table_name="surveys")
    op.drop_index(op.f("ix_surveys_sent_at"), table_name="surveys")
    op.drop_index("ix_events_ticket_kind_to_status_created_at", table_name="events")
    op.drop_index("ix_events_kind_to_status_created_at", table_name="events")
    op.drop_index("ix_tickets_id_kind", table_name="tickets")
    op.drop_index("ix_tickets_customer_kind_created_at", table_name="tickets")
    op.drop_index("ix_tickets_kind_created_at", table_name="tickets")
    op.drop_index(op.f("ix_tickets_related_ticket_id"), table_name="tickets")
    op.drop_index("ix_tickets_created_at_kind", table_name="tickets")
