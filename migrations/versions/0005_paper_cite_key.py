"""a paper's citation key, as a bibliography gives it

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04

A BibTeX or CSV file's key (``Aamodt:2011mr``, ``He2016``, ``vaswani_attention_2017``) is kept
as the paper's ``cite_key`` where it differs from paperread's own key (lowercase letters,
digits, '.' and '-'), and an export writes it back unchanged, so a document citing it still
finds it. Nullable: papers without one export under their own key, as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN on both back ends (no table copy: SQLite's search view and triggers
    # over ``paper`` stay as they are).
    op.add_column("paper", sa.Column("cite_key", sa.String(length=200), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE paper DROP COLUMN cite_key")
