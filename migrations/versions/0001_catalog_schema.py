"""catalog schema

Revision ID: 0001
Revises:
Create Date: 2026-11-29

The whole catalog: categories, papers, videos and what they cover, citation history,
and each user's reading state. On SQLite, also the FTS5 index behind `search`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Full-text search over papers on SQLite: an external-content FTS5 table kept in step by
# triggers. The trigram tokenizer matches substrings, which also works for Chinese text.
# A later batch migration that rebuilds the paper table must recreate these triggers.
_FTS_COLUMNS = "key, title, description, authors"
SQLITE_FTS = (
    f"CREATE VIRTUAL TABLE paper_fts USING fts5({_FTS_COLUMNS}, content='paper', content_rowid='id', tokenize='trigram')",
    f"""CREATE TRIGGER paper_fts_ai AFTER INSERT ON paper BEGIN
        INSERT INTO paper_fts(rowid, {_FTS_COLUMNS}) VALUES (new.id, new.key, new.title, new.description, new.authors);
    END""",
    f"""CREATE TRIGGER paper_fts_ad AFTER DELETE ON paper BEGIN
        INSERT INTO paper_fts(paper_fts, rowid, {_FTS_COLUMNS}) VALUES ('delete', old.id, old.key, old.title, old.description, old.authors);
    END""",
    f"""CREATE TRIGGER paper_fts_au AFTER UPDATE OF key, title, description, authors ON paper BEGIN
        INSERT INTO paper_fts(paper_fts, rowid, {_FTS_COLUMNS}) VALUES ('delete', old.id, old.key, old.title, old.description, old.authors);
        INSERT INTO paper_fts(rowid, {_FTS_COLUMNS}) VALUES (new.id, new.key, new.title, new.description, new.authors);
    END""",
)


def upgrade() -> None:
    op.create_table(
        "category",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_category")),
        sa.UniqueConstraint("name", name=op.f("uq_category_name")),
        sa.UniqueConstraint("slug", name=op.f("uq_category_slug")),
    )
    op.create_table(
        "video",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("bilibili", sa.String(length=20), nullable=True),
        sa.Column("youtube", sa.String(length=20), nullable=True),
        sa.Column("zhihu", sa.String(length=40), nullable=True),
        sa.Column("link", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_video")),
        sa.UniqueConstraint("bilibili", name=op.f("uq_video_bilibili")),
    )
    with op.batch_alter_table("video", schema=None) as batch_op:
        batch_op.create_index("ix_video_date", ["date"], unique=False)

    op.create_table(
        "paper",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("s2_id", sa.String(length=40), nullable=True),
        sa.Column("arxiv_id", sa.String(length=40), nullable=True),
        sa.Column("doi", sa.String(length=200), nullable=True),
        sa.Column("authors", sa.Text(), nullable=True),
        sa.Column("venue", sa.Text(), nullable=True),
        sa.Column("publication_date", sa.Date(), nullable=True),
        sa.Column("marked_recorded", sa.Boolean(), nullable=False),
        sa.Column("citation_count", sa.Integer(), nullable=True),
        sa.Column("citations_fetched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"], ["category.id"], name=op.f("fk_paper_category_id_category"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paper")),
        sa.UniqueConstraint("key", name=op.f("uq_paper_key")),
        sa.UniqueConstraint("s2_id", name=op.f("uq_paper_s2_id")),
    )
    with op.batch_alter_table("paper", schema=None) as batch_op:
        batch_op.create_index("ix_paper_arxiv_id", ["arxiv_id"], unique=False)
        batch_op.create_index("ix_paper_category_id_position", ["category_id", "position"], unique=False)
        batch_op.create_index("ix_paper_citation_count", ["citation_count"], unique=False)
        batch_op.create_index("ix_paper_year", ["year"], unique=False)

    op.create_table(
        "watched",
        sa.Column("user_name", sa.String(length=120), nullable=False),
        sa.Column("video_id", sa.Integer(), nullable=False),
        sa.Column("watched_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["video_id"], ["video.id"], name=op.f("fk_watched_video_id_video"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_name", "video_id", name=op.f("pk_watched")),
    )
    op.create_table(
        "citation_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("citations", sa.Integer(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["paper_id"], ["paper.id"], name=op.f("fk_citation_history_paper_id_paper"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citation_history")),
    )
    with op.batch_alter_table("citation_history", schema=None) as batch_op:
        batch_op.create_index("ix_citation_history_paper_id_fetched_at", ["paper_id", "fetched_at"], unique=False)

    op.create_table(
        "reading",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_name", sa.String(length=120), nullable=False),
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["paper_id"], ["paper.id"], name=op.f("fk_reading_paper_id_paper"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reading")),
        sa.UniqueConstraint("user_name", "paper_id", name=op.f("uq_reading_user_name_paper_id")),
    )
    op.create_table(
        "video_paper",
        sa.Column("video_id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["paper_id"], ["paper.id"], name=op.f("fk_video_paper_paper_id_paper"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["video_id"], ["video.id"], name=op.f("fk_video_paper_video_id_video"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("video_id", "paper_id", name=op.f("pk_video_paper")),
    )
    with op.batch_alter_table("video_paper", schema=None) as batch_op:
        batch_op.create_index("ix_video_paper_paper_id", ["paper_id"], unique=False)

    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_FTS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("paper_fts_ai", "paper_fts_ad", "paper_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS paper_fts")
    with op.batch_alter_table("video_paper", schema=None) as batch_op:
        batch_op.drop_index("ix_video_paper_paper_id")

    op.drop_table("video_paper")
    op.drop_table("reading")
    with op.batch_alter_table("citation_history", schema=None) as batch_op:
        batch_op.drop_index("ix_citation_history_paper_id_fetched_at")

    op.drop_table("citation_history")
    op.drop_table("watched")
    with op.batch_alter_table("paper", schema=None) as batch_op:
        batch_op.drop_index("ix_paper_year")
        batch_op.drop_index("ix_paper_citation_count")
        batch_op.drop_index("ix_paper_category_id_position")
        batch_op.drop_index("ix_paper_arxiv_id")

    op.drop_table("paper")
    with op.batch_alter_table("video", schema=None) as batch_op:
        batch_op.drop_index("ix_video_date")

    op.drop_table("video")
    op.drop_table("category")
