"""export indexes: a period's status moves read from one index alone, in time order, and
each move's ticket number and kind from another, for the exported files (storage.kpis)

Revision ID: 0011_export_indexes
Revises: 0010_response_resolution
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011_export_indexes"
down_revision: str | None = "0010_response_resolution"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MOVES = ["kind", "created_at", "ticket_id", "from_status", "to_status", "actor_id"]


def upgrade() -> None:
    op.drop_index("ix_events_kind_to_status_created_at", table_name="events")
    op.create_index("ix_events_kind_created_at_moves", "events", MOVES)
    op.drop_index("ix_tickets_id_kind", table_name="tickets")
    op.create_index("ix_tickets_id_kind_number", "tickets", ["id", "kind", "number"])


def downgrade() -> None:
    op.drop_index("ix_tickets_id_kind_number", table_name="tickets")
    op.create_index("ix_tickets_id_kind", "tickets", ["id", "kind"])
    op.drop_index("ix_events_kind_created_at_moves", table_name="events")
    op.create_index(
        "ix_events_kind_to_status_created_at", "events", ["kind", "to_status", "created_at"]
    )
