"""per-category figures kept by the database; indexes for the per-user and video figures

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04

``stats`` counted every paper of the catalog on each run (papers and recorded papers per
category: three scans, 0.35 s of CPU on 1,000,000 papers). This revision keeps those two
figures per category in ``category_figures``, maintained by the database itself, by triggers
on ``category``, ``paper`` and ``video_paper``, in the transaction of every write that changes
them (whatever writes: the ORM, a bulk import, plain SQL), on SQLite and PostgreSQL alike.
``db check`` compares them with a recount; ``db reindex`` recounts them.

A paper counts as recorded when it is marked so or a video covers it (``queries.RECORDED``):
- a paper inserted adds 1 paper (and 1 recorded when marked; it has no video yet);
- a paper deleted takes away what it counted, reckoned *before* the delete, while its video
  links are still there (the cascade that removes them then finds no paper: it does nothing);
- a paper moved or (un)marked takes its count from the old category to the new one;
- a video link inserted makes an unmarked paper recorded when it is the paper's first;
  deleted, unrecorded when it was its last.

On PostgreSQL the inserts are counted per statement (transition tables: a bulk load is one
grouped update, not one per row); deletes and updates row by row, as on SQLite.

Also: ``ix_reading_user_name_status`` (a user's read/reading counts from the index alone),
``ix_video_duration_seconds`` (videos and their total length from the index alone) and
``ix_video_youtube`` (view figures found from ``video_views`` rather than from every video).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Every category's figures from the rows (also ``engine.recount_figures`` and ``db check``).
RECOUNT = """
INSERT INTO category_figures (category_id, papers, recorded)
SELECT c.id,
       (SELECT COUNT(*) FROM paper p WHERE p.category_id = c.id),
       (SELECT COUNT(*) FROM paper p WHERE p.category_id = c.id
           AND (p.marked_recorded OR EXISTS (SELECT 1 FROM video_paper vp WHERE vp.paper_id = p.id)))
FROM category c
"""

_COVERED = "EXISTS (SELECT 1 FROM video_paper vp WHERE vp.paper_id = {row}.id)"
_COUNTS = "CASE WHEN {row}.marked_recorded OR " + _COVERED + " THEN 1 ELSE 0 END"

SQLITE_TRIGGERS = (
    """CREATE TRIGGER category_figures_ai AFTER INSERT ON category BEGIN
        INSERT INTO category_figures (category_id, papers, recorded) VALUES (new.id, 0, 0);
    END""",
    """CREATE TRIGGER paper_figures_ai AFTER INSERT ON paper BEGIN
        UPDATE category_figures SET papers = papers + 1,
               recorded = recorded + (CASE WHEN new.marked_recorded THEN 1 ELSE 0 END)
         WHERE category_id = new.category_id;
    END""",
    f"""CREATE TRIGGER paper_figures_bd BEFORE DELETE ON paper BEGIN
        UPDATE category_figures SET papers = papers - 1, recorded = recorded - ({_COUNTS.format(row="old")})
         WHERE category_id = old.category_id;
    END""",
    f"""CREATE TRIGGER paper_figures_au AFTER UPDATE OF category_id, marked_recorded ON paper
        WHEN old.category_id IS NOT new.category_id OR old.marked_recorded IS NOT new.marked_recorded BEGIN
        UPDATE category_figures SET papers = papers - 1, recorded = recorded - ({_COUNTS.format(row="old")})
         WHERE category_id = old.category_id;
        UPDATE category_figures SET papers = papers + 1, recorded = recorded + ({_COUNTS.format(row="new")})
         WHERE category_id = new.category_id;
    END""",
    """CREATE TRIGGER video_paper_figures_ai AFTER INSERT ON video_paper BEGIN
        UPDATE category_figures SET recorded = recorded + 1
         WHERE category_id = (SELECT p.category_id FROM paper p WHERE p.id = new.paper_id AND NOT p.marked_recorded)
           AND NOT EXISTS (SELECT 1 FROM video_paper vp WHERE vp.paper_id = new.paper_id AND vp.video_id <> new.video_id);
    END""",
    """CREATE TRIGGER video_paper_figures_ad AFTER DELETE ON video_paper BEGIN
        UPDATE category_figures SET recorded = recorded - 1
         WHERE category_id = (SELECT p.category_id FROM paper p WHERE p.id = old.paper_id AND NOT p.marked_recorded)
           AND NOT EXISTS (SELECT 1 FROM video_paper vp WHERE vp.paper_id = old.paper_id);
    END""",
    """CREATE TRIGGER video_paper_figures_au AFTER UPDATE OF paper_id ON video_paper
        WHEN old.paper_id IS NOT new.paper_id BEGIN
        UPDATE category_figures SET recorded = recorded - 1
         WHERE category_id = (SELECT p.category_id FROM paper p WHERE p.id = old.paper_id AND NOT p.marked_recorded)
           AND NOT EXISTS (SELECT 1 FROM video_paper vp WHERE vp.paper_id = old.paper_id);
        UPDATE category_figures SET recorded = recorded + 1
         WHERE category_id = (SELECT p.category_id FROM paper p WHERE p.id = new.paper_id AND NOT p.marked_recorded)
           AND NOT EXISTS (SELECT 1 FROM video_paper vp WHERE vp.paper_id = new.paper_id AND vp.video_id <> new.video_id);
    END""",
)
SQLITE_TRIGGER_NAMES = (
    "category_figures_ai",
    "paper_figures_ai",
    "paper_figures_bd",
    "paper_figures_au",
    "video_paper_figures_ai",
    "video_paper_figures_ad",
    "video_paper_figures_au",
)

# PostgreSQL: one function per event, the inserts (and a link's delete) per statement.
PG_FUNCTIONS = (
    """CREATE FUNCTION category_figures_ai() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO category_figures (category_id, papers, recorded) SELECT id, 0, 0 FROM new_rows;
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION paper_figures_ai() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE category_figures f SET papers = f.papers + d.n, recorded = f.recorded + d.r
          FROM (SELECT category_id, COUNT(*) AS n, COUNT(*) FILTER (WHERE marked_recorded) AS r
                  FROM new_rows GROUP BY category_id) d
         WHERE f.category_id = d.category_id;
        RETURN NULL;
    END $$""",
    f"""CREATE FUNCTION paper_figures_bd() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE category_figures SET papers = papers - 1, recorded = recorded - ({_COUNTS.format(row="old")})
         WHERE category_id = old.category_id;
        RETURN old;
    END $$""",
    f"""CREATE FUNCTION paper_figures_au() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE category_figures SET papers = papers - 1, recorded = recorded - ({_COUNTS.format(row="old")})
         WHERE category_id = old.category_id;
        UPDATE category_figures SET papers = papers + 1, recorded = recorded + ({_COUNTS.format(row="new")})
         WHERE category_id = new.category_id;
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION video_paper_figures_ai() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE category_figures f SET recorded = f.recorded + d.r
          FROM (SELECT p.category_id, COUNT(*) AS r
                  FROM (SELECT paper_id, COUNT(*) AS k FROM new_rows GROUP BY paper_id) n
                  JOIN paper p ON p.id = n.paper_id
                 WHERE NOT p.marked_recorded
                   AND (SELECT COUNT(*) FROM video_paper vp WHERE vp.paper_id = n.paper_id) = n.k
                 GROUP BY p.category_id) d
         WHERE f.category_id = d.category_id;
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION video_paper_figures_ad() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE category_figures f SET recorded = f.recorded - d.r
          FROM (SELECT p.category_id, COUNT(*) AS r
                  FROM (SELECT DISTINCT paper_id FROM old_rows) o
                  JOIN paper p ON p.id = o.paper_id
                 WHERE NOT p.marked_recorded
                   AND NOT EXISTS (SELECT 1 FROM video_paper vp WHERE vp.paper_id = o.paper_id)
                 GROUP BY p.category_id) d
         WHERE f.category_id = d.category_id;
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION video_paper_figures_au() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE category_figures SET recorded = recorded - 1
         WHERE category_id = (SELECT p.category_id FROM paper p WHERE p.id = old.paper_id AND NOT p.marked_recorded)
           AND NOT EXISTS (SELECT 1 FROM video_paper vp WHERE vp.paper_id = old.paper_id);
        UPDATE category_figures SET recorded = recorded + 1
         WHERE category_id = (SELECT p.category_id FROM paper p WHERE p.id = new.paper_id AND NOT p.marked_recorded)
           AND NOT EXISTS (SELECT 1 FROM video_paper vp WHERE vp.paper_id = new.paper_id AND vp.video_id <> new.video_id);
        RETURN NULL;
    END $$""",
)
PG_TRIGGERS = (
    "CREATE TRIGGER category_figures_ai AFTER INSERT ON category REFERENCING NEW TABLE AS new_rows"
    " FOR EACH STATEMENT EXECUTE FUNCTION category_figures_ai()",
    "CREATE TRIGGER paper_figures_ai AFTER INSERT ON paper REFERENCING NEW TABLE AS new_rows"
    " FOR EACH STATEMENT EXECUTE FUNCTION paper_figures_ai()",
    "CREATE TRIGGER paper_figures_bd BEFORE DELETE ON paper FOR EACH ROW EXECUTE FUNCTION paper_figures_bd()",
    "CREATE TRIGGER paper_figures_au AFTER UPDATE OF category_id, marked_recorded ON paper FOR EACH ROW"
    " WHEN (old.category_id IS DISTINCT FROM new.category_id OR old.marked_recorded IS DISTINCT FROM new.marked_recorded)"
    " EXECUTE FUNCTION paper_figures_au()",
    "CREATE TRIGGER video_paper_figures_ai AFTER INSERT ON video_paper REFERENCING NEW TABLE AS new_rows"
    " FOR EACH STATEMENT EXECUTE FUNCTION video_paper_figures_ai()",
    "CREATE TRIGGER video_paper_figures_ad AFTER DELETE ON video_paper REFERENCING OLD TABLE AS old_rows"
    " FOR EACH STATEMENT EXECUTE FUNCTION video_paper_figures_ad()",
    "CREATE TRIGGER video_paper_figures_au AFTER UPDATE OF paper_id ON video_paper FOR EACH ROW"
    " WHEN (old.paper_id IS DISTINCT FROM new.paper_id) EXECUTE FUNCTION video_paper_figures_au()",
)
PG_TABLES = {
    "category_figures_ai": "category",
    "paper_figures_ai": "paper",
    "paper_figures_bd": "paper",
    "paper_figures_au": "paper",
    "video_paper_figures_ai": "video_paper",
    "video_paper_figures_ad": "video_paper",
    "video_paper_figures_au": "video_paper",
}


def upgrade() -> None:
    op.create_table(
        "category_figures",
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("papers", sa.Integer(), nullable=False),
        sa.Column("recorded", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["category.id"],
            name=op.f("fk_category_figures_category_id_category"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("category_id", name=op.f("pk_category_figures")),
    )
    op.execute(RECOUNT)
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    else:
        for statement in (*PG_FUNCTIONS, *PG_TRIGGERS):
            op.execute(statement)
    with op.batch_alter_table("reading", schema=None) as batch_op:
        batch_op.create_index("ix_reading_user_name_status", ["user_name", "status"], unique=False)
    with op.batch_alter_table("video", schema=None) as batch_op:
        batch_op.create_index("ix_video_duration_seconds", ["duration_seconds"], unique=False)
        batch_op.create_index("ix_video_youtube", ["youtube"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("video", schema=None) as batch_op:
        batch_op.drop_index("ix_video_youtube")
        batch_op.drop_index("ix_video_duration_seconds")
    with op.batch_alter_table("reading", schema=None) as batch_op:
        batch_op.drop_index("ix_reading_user_name_status")
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        for name, table in PG_TABLES.items():
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.drop_table("category_figures")
