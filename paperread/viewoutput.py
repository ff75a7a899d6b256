"""Rendering of view counts: the ``sync-views`` summary and plan, ``trending --videos``,
and the figures as ``videos``, ``show`` and ``stats`` print them.

Data on stdout (a table on a terminal, tab-separated text when piped, JSON with --json),
messages on stderr; under --quiet only failures are printed.
"""

from __future__ import annotations

from typing import Any

from paperread.output import (
    _console,
    emit_json,
    emit_plain_rows,
    error,
    message,
    stdout_is_terminal,
)


def count(value: int | None) -> str:
    """A figure as people read it (1,234,567); empty when unknown."""
    return "" if value is None else f"{value:,}"


def short(value: int | None) -> str:
    """A figure in a narrow column: 987, 12.3K, 4.56M; empty when unknown."""
    if value is None:
        return ""
    for size, unit in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "K")):
        if value >= size:
            shown = value / size
            return f"{shown:.3g}{unit}" if shown < 1000 else f"{shown:,.0f}{unit}"
    return str(value)


def views_of(v: dict[str, Any]) -> int | None:
    """A video's views on both platforms together; None when neither is known."""
    known = [v.get("bilibili_views"), v.get("youtube_views")]
    return None if all(x is None for x in known) else sum(x or 0 for x in known)


def video_views_text(v: dict[str, Any]) -> str:
    """'123,456 views on bilibili, 7,890 on YouTube' (or '' when none is known)."""
    parts = []
    if v.get("bilibili_views") is not None:
        parts.append(f"{count(v['bilibili_views'])} on bilibili")
    if v.get("youtube_views") is not None:
        parts.append(f"{count(v['youtube_views'])} on YouTube")
    return "views: " + ", ".join(parts) if parts else ""


def stats_line(data: dict[str, Any]) -> str | None:
    """The stats line about views; None before any sync-views run."""
    if not data.get("bilibili_counted") and not data.get("youtube_counted"):
        return None
    parts = [f"{count(data['bilibili_views'])} on bilibili ({_plural(data['bilibili_counted'], 'video')})"]
    if data.get("youtube_counted"):
        parts.append(f"{count(data['youtube_views'])} on YouTube ({_plural(data['youtube_counted'], 'video')})")
    when = (data.get("views_fetched_at") or "")[:10]
    return f"{count(data['views'])} views: " + ", ".join(parts) + (f"; fetched {when}" if when else "")


# ---------------------------------------------------------------------------- sync-views


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _ids(ids: list[str], shown: int = 5) -> str:
    more = f" and {len(ids) - shown} more" if len(ids) > shown else ""
    return ", ".join(ids[:shown]) + more


def failures(data: dict[str, Any]) -> None:
    """Failed videos as error lines (shown even under --quiet)."""
    for failure in data.get("failures", []):
        error(f"{_plural(failure['videos'], 'video')} failed: {failure['reason']} ({_ids(failure['ids'])})")


def _youtube_note(data: dict[str, Any]) -> str:
    if data["youtube"] == "no key":
        return "; YouTube not asked (set YOUTUBE_API_KEY)"
    return ""


def summary(data: dict[str, Any], *, as_json: bool, quiet: bool) -> None:
    """The end of a run: JSON on stdout with --json, else lines on stderr (none under
    --quiet); failures are always error lines on stderr."""
    if as_json:
        emit_json(data)
    elif not quiet:
        message(
            f"{data['scope']}: {data['updated']:,} updated, {data['unchanged']:,} unchanged, "
            f"{data['gone']:,} gone, {data['failed']:,} failed, {data['skipped_fresh']:,} skipped as fresh; "
            f"{_plural(data['requests'], 'request')}{_youtube_note(data)}"
        )
        if data["gone_videos"]:
            message(f"gone or hidden (old figures kept): {_ids(data['gone_videos'], 10)}")
        if data["stopped"]:
            message("stopped early; run it again to pick up the rest")
    failures(data)


def plan(data: dict[str, Any], *, as_json: bool) -> None:
    """--dry-run: the ids that would be asked about on stdout (one a line), figures on stderr."""
    if as_json:
        emit_json(data)
        return
    emit_plain_rows((x,) for x in data["videos"])
    message(
        f"{data['scope']}: would ask about {_plural(data['to_fetch'], 'video')} in "
        f"{_plural(data['requests_needed'], 'request')}; {data['skipped_fresh']:,} skipped as fresh"
        f"{_youtube_note(data)}"
    )
    failures(data)


# ---------------------------------------------------------------------------- trending --videos


def trending(rows: list[dict[str, Any]], *, as_json: bool, since: str) -> None:
    """Videos by views gained since a moment: table, tab-separated text, or JSON."""
    if as_json:
        emit_json({"since": since, "videos": rows})
        return
    if stdout_is_terminal():
        if not rows:
            message(f"no video gained views since {since[:10]}")
            return
        from rich.table import Table

        table = Table(box=None, pad_edge=False, header_style="bold", caption=f"views gained since {since[:10]}")
        table.add_column("#", justify="right", style="dim")
        table.add_column("id", justify="right", style="dim")
        table.add_column("date", no_wrap=True)
        table.add_column("title", overflow="fold")
        table.add_column("gained", justify="right", no_wrap=True)
        table.add_column("views", justify="right", no_wrap=True)
        for i, r in enumerate(rows, 1):
            table.add_row(str(i), str(r["id"]), r["date"], r["title"], f"+{r['gained']:,}", count(r["views"]))
        _console().print(table)
        return
    emit_plain_rows((r["id"], r["gained"], r["views"], r["date"], r["title"]) for r in rows)
