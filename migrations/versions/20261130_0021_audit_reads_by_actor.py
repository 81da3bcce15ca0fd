"""an index on the audit trail by actor and action, so a released figure can ask quickly whose rows its
reader has ever read (`app.audit.recorder.teachers_read_by`)

Revision ID: 0021
Revises: 0019
Create Date: 2026-11-30 19:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_audit_event_actor_id_action", "audit_event", ["actor_id", "action"])


def downgrade() -> None:
    op.drop_index("ix_audit_event_actor_id_action", table_name="audit_event")
