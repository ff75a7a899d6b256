"""The database schema: SQLModel tables, the one authority for Alembic revisions.

Counts are computed from these rows, except the papers and recorded papers of each category
(``CategoryFigures``), which the database keeps itself: triggers (migration 0007) update them in
the transaction of every write that changes them, and ``db check`` compares them with a recount.
A paper is *recorded* when a video covers it, or when ``marked_recorded`` says so for a
paper the list marks as done without a video we can name.

Imported only by the write road (store, engine, migrations): read commands on SQLite go
through ``queries`` and the standard ``sqlite3`` module and never pay for SQLAlchemy.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, MetaData, Text, UniqueConstraint
from sqlmodel import Field, SQLModel
from sqlmodel.main import SQLModelConfig

# Named constraints make batch migrations on SQLite (and drops on PostgreSQL) predictable.
SQLModel.metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


# Pydantic builds a table model's validators when it is first used, not when the class is made:
# table models are never validated on creation, and a write command pays for 8 classes at start-up.
_DEFERRED = SQLModelConfig(**SQLModel.model_config, defer_build=True)


def utcnow() -> dt.datetime:
    """Timestamps are timezone-aware UTC (SQLModel stores them as UTC on every back end)."""
    return dt.datetime.now(dt.UTC)


class Category(SQLModel, table=True):
    """A group of papers. ``slug`` is a path: ``vision/cnn`` lies under ``vision``."""

    model_config = _DEFERRED

    __tablename__ = "category"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(unique=True, max_length=120)
    name: str = Field(unique=True, max_length=200)
    position: int = Field(default=0)


class CategoryFigures(SQLModel, table=True):
    """A category's papers and recorded papers, kept by the database (migration 0007's triggers on
    category, paper and video_paper): never written by paperread's code, only read by ``stats``."""

    model_config = _DEFERRED

    __tablename__ = "category_figures"

    category_id: int = Field(sa_column=Column(Integer, ForeignKey("category.id", ondelete="CASCADE"), primary_key=True))
    papers: int
    recorded: int


class CatalogState(SQLModel, table=True):
    """One row (migration 0009): ``generation`` counts the write transactions that changed the
    catalog (``engine`` adds one in each one's COMMIT), and the last import's fingerprint, the
    generation it left and the report a re-import of the same file would give (``reimport``)."""

    model_config = _DEFERRED

    __tablename__ = "catalog_state"

    id: int = Field(primary_key=True)
    generation: int = Field(sa_column=Column(BigInteger, nullable=False))
    import_key: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    import_generation: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    import_report: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class Paper(SQLModel, table=True):
    model_config = _DEFERRED
    __tablename__ = "paper"
    __table_args__ = (
        Index("ix_paper_category_id_position", "category_id", "position"),
        Index("ix_paper_year", "year"),
        Index("ix_paper_citation_count", "citation_count"),
        Index("ix_paper_arxiv_id", "arxiv_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=64)
    # The key a bibliography cites it by, where it differs from ``key`` (kept as written).
    cite_key: str | None = Field(default=None, max_length=200)
    title: str = Field(sa_column=Column(Text, nullable=False))
    year: int | None = None
    category_id: int = Field(sa_column=Column(Integer, ForeignKey("category.id", ondelete="RESTRICT"), nullable=False))
    url: str | None = Field(default=None, sa_column=Column(Text))
    description: str | None = Field(default=None, sa_column=Column(Text))
    s2_id: str | None = Field(default=None, unique=True, max_length=40)
    arxiv_id: str | None = Field(default=None, max_length=40)
    doi: str | None = Field(default=None, max_length=200)
    authors: str | None = Field(default=None, sa_column=Column(Text))
    venue: str | None = Field(default=None, sa_column=Column(Text))
    publication_date: dt.date | None = None
    marked_recorded: bool = Field(default=False)
    citation_count: int | None = None
    citations_fetched_at: dt.datetime | None = None
    position: int = Field(default=0)
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)
    # Bumped by every write to the row: a writer holding an older version is refused.
    version: int = Field(default=1)


class Video(SQLModel, table=True):
    model_config = _DEFERRED
    __tablename__ = "video"
    __table_args__ = (
        Index("ix_video_date", "date"),
        Index("ix_video_duration_seconds", "duration_seconds"),
        Index("ix_video_youtube", "youtube"),
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(sa_column=Column(Text, nullable=False))
    date: dt.date
    duration_seconds: int | None = None
    bilibili: str | None = Field(default=None, unique=True, max_length=20)
    youtube: str | None = Field(default=None, max_length=20)
    zhihu: str | None = Field(default=None, max_length=40)
    link: str | None = Field(default=None, sa_column=Column(Text))
    created_at: dt.datetime = Field(default_factory=utcnow)


class VideoPaper(SQLModel, table=True):
    """Which papers a video covers: one video may cover many (surveys) or none (talks)."""

    model_config = _DEFERRED

    __tablename__ = "video_paper"
    __table_args__ = (Index("ix_video_paper_paper_id", "paper_id"),)

    video_id: int = Field(sa_column=Column(Integer, ForeignKey("video.id", ondelete="CASCADE"), primary_key=True))
    paper_id: int = Field(sa_column=Column(Integer, ForeignKey("paper.id", ondelete="CASCADE"), primary_key=True))
    position: int = Field(default=0)


class CitationHistory(SQLModel, table=True):
    """Every change of a paper's citation count, with when it was seen."""

    model_config = _DEFERRED

    __tablename__ = "citation_history"
    __table_args__ = (Index("ix_citation_history_paper_id_fetched_at", "paper_id", "fetched_at"),)

    id: int | None = Field(default=None, primary_key=True)
    paper_id: int = Field(sa_column=Column(Integer, ForeignKey("paper.id", ondelete="CASCADE"), nullable=False))
    citations: int
    fetched_at: dt.datetime = Field(default_factory=utcnow)


class Reading(SQLModel, table=True):
    """A reader's own state for one paper: status and Markdown note, kept per user."""

    model_config = _DEFERRED

    __tablename__ = "reading"
    __table_args__ = (
        UniqueConstraint("user_name", "paper_id"),
        Index("ix_reading_user_name_status", "user_name", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_name: str = Field(max_length=120)
    paper_id: int = Field(sa_column=Column(Integer, ForeignKey("paper.id", ondelete="CASCADE"), nullable=False))
    status: str | None = Field(default=None, max_length=16)  # None, "reading" or "read"
    started_at: dt.datetime | None = None
    read_at: dt.datetime | None = None
    note: str | None = Field(default=None, sa_column=Column(Text))
    updated_at: dt.datetime = Field(default_factory=utcnow)


class Watched(SQLModel, table=True):
    model_config = _DEFERRED
    __tablename__ = "watched"

    user_name: str = Field(max_length=120, primary_key=True)
    video_id: int = Field(sa_column=Column(Integer, ForeignKey("video.id", ondelete="CASCADE"), primary_key=True))
    watched_at: dt.datetime = Field(default_factory=utcnow)


class VideoNote(SQLModel, table=True):
    """A reader's Markdown note on a video (a survey covers many papers: what one takes from it
    belongs to the video), kept per user like a paper's note in ``reading``."""

    model_config = _DEFERRED

    __tablename__ = "video_note"
    __table_args__ = (UniqueConstraint("user_name", "video_id"), Index("ix_video_note_video_id", "video_id"))

    id: int | None = Field(default=None, primary_key=True)
    user_name: str = Field(max_length=120)
    video_id: int = Field(sa_column=Column(Integer, ForeignKey("video.id", ondelete="CASCADE"), nullable=False))
    note: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: dt.datetime = Field(default_factory=utcnow)


class VideoViews(SQLModel, table=True):
    """The latest view count seen for a video on one platform ("bilibili" or "youtube").

    Keyed by the platform's own id (the BV id, the YouTube id), not by the video row: a
    video removed and recorded again (an import, an edit of its id back and forth) finds
    its figures and their history where it left them.
    """

    __tablename__ = "video_views"

    platform: str = Field(primary_key=True, max_length=16)
    external_id: str = Field(primary_key=True, max_length=40)
    views: int = Field(sa_column=Column(BigInteger, nullable=False))
    fetched_at: dt.datetime = Field(default_factory=utcnow)


class ViewHistory(SQLModel, table=True):
    """Every change of a video's view count on one platform, with when it was seen."""

    __tablename__ = "view_history"
    __table_args__ = (
        Index("ix_view_history_platform_external_id_fetched_at", "platform", "external_id", "fetched_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    external_id: str = Field(max_length=40)
    views: int = Field(sa_column=Column(BigInteger, nullable=False))
    fetched_at: dt.datetime = Field(default_factory=utcnow)
