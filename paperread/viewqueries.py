"""The reads about video view counts: ``sync-views``' plan, ``trending --videos``, a figure's
history. (The figures ``videos``, ``show`` and ``stats`` show are joined into their own
statements in ``queries``, so each of those stays one round trip on a server.)

On the light read road (``sqlite3`` on an SQLite catalog): no SQLAlchemy here. Figures
live in ``video_views`` and ``view_history``, keyed by platform and the platform's own id
(a BV id, a YouTube id), and are joined to videos through ``video.bilibili`` and
``video.youtube``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from paperread.db import Reader
from paperread.queries import binary_order, iso_timestamp, timestamp_param

PLATFORMS = ("bilibili", "youtube")
_COLUMN = {"bilibili": "bilibili", "youtube": "youtube"}
"""The video column holding each platform's id (a fixed map: never user text in SQL)."""


def _join(platform: str, alias: str) -> str:
    column = _COLUMN[platform]
    return f"LEFT JOIN video_views {alias} ON {alias}.platform = '{platform}' AND {alias}.external_id = v.{column}"


# ---------------------------------------------------------------------------- sync-views' plan


def plan_rows(
    reader: Reader, platform: str, *, video_ids: list[int] | None = None, fresh_after: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """Videos with an id on ``platform`` (in scope), by date: id, title, external_id, fresh.

    A video is fresh when its figure was fetched after ``fresh_after``. Two videos naming
    one YouTube id are asked about once (the figure belongs to the id).
    """
    column = _COLUMN[platform]
    params: dict[str, Any] = {}
    where = f"v.{column} IS NOT NULL"
    if video_ids is not None:
        names = []
        for i, vid in enumerate(video_ids):
            params[f"v{i}"] = vid
            names.append(f":v{i}")
        where += f" AND v.id IN ({', '.join(names) or 'NULL'})"
    fresh = "0"
    if fresh_after is not None:
        params["fresh_after"] = timestamp_param(reader, fresh_after)
        fresh = "CASE WHEN vv.fetched_at > :fresh_after THEN 1 ELSE 0 END"
    rows = reader.rows(
        f"""SELECT v.id, v.title, v.{column} AS external_id, {fresh} AS fresh
            FROM video v {_join(platform, "vv")} WHERE {where} ORDER BY v.date, v.id""",
        params,
    )
    seen: set[str] = set()
    out = []
    for row in rows:
        if row["external_id"] in seen:
            continue
        seen.add(row["external_id"])
        row["fresh"] = bool(row["fresh"])
        out.append(row)
    return out


def current(reader: Reader, platform: str, external_ids: Iterable[str]) -> dict[str, int]:
    """The stored figures of these ids on ``platform``."""
    ids = list(external_ids)
    found: dict[str, int] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        params: dict[str, Any] = {"p": platform, **{f"i{n}": x for n, x in enumerate(chunk)}}
        names = ", ".join(f":i{n}" for n in range(len(chunk)))
        for row in reader.rows(
            f"SELECT external_id, views FROM video_views WHERE platform = :p AND external_id IN ({names})", params
        ):
            found[row["external_id"]] = row["views"]
    return found


def history(reader: Reader, platform: str, external_id: str) -> list[dict[str, Any]]:
    """Every change of one id's figure, oldest first."""
    return [
        {"views": r["views"], "fetched_at": iso_timestamp(r["fetched_at"])}
        for r in reader.rows(
            """SELECT views, fetched_at FROM view_history WHERE platform = :p AND external_id = :x
               ORDER BY fetched_at, id""",
            {"p": platform, "x": external_id},
        )
    ]


# ---------------------------------------------------------------------------- trending --videos


def trending(reader: Reader, *, since: dt.datetime, limit: int | None = 20) -> list[dict[str, Any]]:
    """Videos ranked by views gained since ``since`` on bilibili and YouTube together.

    Per platform, as for citations: the start is the last figure seen at or before
    ``since`` (else the first after it), the end the latest; only ids whose figure changed
    after ``since`` count. A video's gain is the sum over its platforms.
    """
    params: dict[str, Any] = {"since": timestamp_param(reader, since)}
    gains: dict[int, dict[str, Any]] = {}
    for platform in PLATFORMS:
        column = _COLUMN[platform]
        last = (
            "SELECT {col} FROM view_history h WHERE h.platform = '" + platform + "' AND h.external_id = v." + column
            + "{cond} ORDER BY h.fetched_at {order}, h.id {order} LIMIT 1"
        )  # fmt: skip
        before = last.format(col="{col}", cond=" AND h.fetched_at <= :since", order="DESC")
        after = last.format(col="{col}", cond=" AND h.fetched_at > :since", order="ASC")
        newest = last.format(col="{col}", cond="", order="DESC")
        rows = reader.rows(
            f"""SELECT v.id, v.title, v.date, v.{column} AS external_id,
                   COALESCE(({before.format(col="h.views")}), ({after.format(col="h.views")})) AS start_views,
                   COALESCE(({before.format(col="h.fetched_at")}), ({after.format(col="h.fetched_at")})) AS start_at,
                   ({newest.format(col="h.views")}) AS end_views
                FROM video v
                WHERE v.{column} IN (SELECT h2.external_id FROM view_history h2
                                     WHERE h2.platform = '{platform}' AND h2.fetched_at > :since)""",
            params,
        )
        for r in rows:
            gained = int(r["end_views"]) - int(r["start_views"])
            entry = gains.setdefault(
                r["id"],
                {"id": r["id"], "title": r["title"], "date": r["date"], "gained": 0, "views": 0, "since": None},
            )
            entry[f"{platform}_gained"] = gained
            entry["gained"] += gained
            entry["views"] += int(r["end_views"])
            start = iso_timestamp(r["start_at"])
            entry["since"] = min(filter(None, (entry["since"], start)), default=None)
    ranked = sorted((g for g in gains.values() if g["gained"] > 0), key=lambda g: (-g["gained"], g["id"]))
    for g in ranked:
        g["date"] = g["date"] if isinstance(g["date"], str) else g["date"].isoformat()
        g.setdefault("bilibili_gained", 0)
        g.setdefault("youtube_gained", 0)
    return ranked[:limit] if limit is not None else ranked


# ---------------------------------------------------------------------------- export


def export_figures(reader: Reader) -> list[dict[str, Any]]:
    """Every stored figure (also of ids no video names any more), in a stable order."""
    return reader.rows(
        f"SELECT platform, external_id, views, fetched_at FROM video_views ORDER BY platform, external_id{binary_order(reader)}"
    )


def export_history(reader: Reader) -> list[dict[str, Any]]:
    return reader.rows(
        f"""SELECT platform, external_id, views, fetched_at FROM view_history
            ORDER BY platform, external_id{binary_order(reader)}, fetched_at, id"""
    )
