"""video view counts and their history

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04

``sync-views`` keeps each video's latest view count per platform (bilibili, YouTube) in
``video_views`` and every change of it in ``view_history``. Both are keyed by the
platform's own id (the BV id, the YouTube id) rather than by the video row, so a video
that an import removes and adds again, or whose id is edited away and back, keeps its
figures and their history.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "video_views",
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=40), nullable=False),
        sa.Column("views", sa.BigInteger(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "external_id", name=op.f("pk_video_views")),
    )
    op.create_table(
        "view_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=40), nullable=False),
        sa.Column("views", sa.BigInteger(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_view_history")),
    )
    with op.batch_alter_table("view_history", schema=None) as batch_op:
        batch_op.create_index(
            "ix_view_history_platform_external_id_fetched_at", ["platform", "external_id", "fetched_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("view_history", schema=None) as batch_op:
        batch_op.drop_index("ix_view_history_platform_external_id_fetched_at")
    op.drop_table("view_history")
    op.drop_table("video_views")
