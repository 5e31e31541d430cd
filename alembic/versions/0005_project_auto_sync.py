"""project auto-sync settings

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 00:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aext_project_filebrowser_server.store.models

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    utc = aext_project_filebrowser_server.store.models.UTCDateTime
    op.create_table(
        "project_auto_sync",
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("interval_minutes", sa.Integer(), nullable=True),
        sa.Column("paused_reason", sa.String(), nullable=True),
        sa.Column("paused_at", utc(), nullable=True),
        sa.Column("last_run_at", utc(), nullable=True),
        sa.Column("updated_at", utc(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_auto_sync_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_project_auto_sync")),
    )


def downgrade() -> None:
    op.drop_table("project_auto_sync")
