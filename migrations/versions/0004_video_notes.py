"""notes on videos, per user

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04

A reader's note on a video (a survey such as 对比学习论文综述 covers many papers; what one
takes from it belongs to the video), kept per user as paper notes are in ``reading``. A
row exists only while its note holds text; it goes with its video.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "video_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_name", sa.String(length=120), nullable=False),
        sa.Column("video_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["video_id"], ["video.id"], name=op.f("fk_video_note_video_id_video"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_video_note")),
        sa.UniqueConstraint("user_name", "video_id", name=op.f("uq_video_note_user_name_video_id")),
    )
    op.create_index("ix_video_note_video_id", "video_note", ["video_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_video_note_video_id", table_name="video_note")
    op.drop_table("video_note")
