"""What a site build is asked for, and the fixed names of what it writes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# The manifest an earlier build left in DIR: what it wrote, so a refresh knows what is its own.
MANIFEST = ".paperread-site.json"
GENERATOR = "paperread site"

# Up to this many papers the index holds every row (searchable on the page); above it the
# index shows the categories and each category gets pages of its own.
INDEX_ROWS_MAX = 2_000
# The rows of one category page; a bigger category is split into numbered pages.
CATEGORY_PAGE_ROWS = 1_000
# The newest videos on the index; with more, all of them go to videos.html.
INDEX_VIDEOS_MAX = 200
# Papers gaining most citations: over this window, at most this many.
TRENDING_DAYS = 90
TRENDING_LIMIT = 10


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class SiteOptions:
    """``with_notes``: the reading state and notes of ``user`` go into the pages (off: nothing
    personal is published). ``now`` is the build's moment (the trending window ends there)."""

    user: str
    with_notes: bool = False
    index_rows_max: int = INDEX_ROWS_MAX
    category_page_rows: int = CATEGORY_PAGE_ROWS
    index_videos_max: int = INDEX_VIDEOS_MAX
    trending_days: int = TRENDING_DAYS
    trending_limit: int = TRENDING_LIMIT
    now: dt.datetime = field(default_factory=_now)
