"""the catalog's generation and the fingerprint of its last import

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04

``catalog_state`` holds one row. ``generation`` counts the write transactions that changed the
catalog: the write road (``engine``) adds one in the COMMIT of every transaction that changed a
row (SQLite: the connection's ``total_changes`` moved; PostgreSQL: the transaction has an id),
whatever wrote it. ``import_key``, ``import_generation`` and ``import_report`` are the last
import's fingerprint (the file's digest and size, its format and the options that change the
outcome), the generation its transaction left, and the report a re-import would give then: a
re-import of the same bytes with the same options, while the generation is still that one,
prints that report without reading the file (``paperread.reimport``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalog_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.Column("import_key", sa.Text(), nullable=True),
        sa.Column("import_generation", sa.BigInteger(), nullable=True),
        sa.Column("import_report", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_state")),
    )
    op.execute("INSERT INTO catalog_state (id, generation) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_table("catalog_state")
