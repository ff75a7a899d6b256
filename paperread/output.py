"""The one module that prints.

Data goes to stdout: a rich table on a terminal, tab-separated plain text when piped,
one JSON document with --json. Messages go to stderr. rich is imported only when a
terminal is there to see it, and honours NO_COLOR by itself.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Sequence
from typing import Any

BAR_WIDTH = 20


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


def _console(stderr: bool = False):  # -> rich.console.Console
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, no_color="NO_COLOR" in os.environ or None)


# ---------------------------------------------------------------------------- messages


def message(text: str) -> None:
    """A note for the person at the terminal: stderr, never mixed into data."""
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def error(text: str, hint: str | None = None) -> None:
    message(f"error: {text}")
    if hint:
        message(f"hint: {hint}")


# ---------------------------------------------------------------------------- JSON


def _default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=_default) + "\n")


def emit_json_array(items: Iterable[Any]) -> None:
    """A JSON array written as rows arrive, so memory stays flat on 100,000 rows."""
    out = sys.stdout
    first = True
    out.write("[")
    for item in items:
        out.write("\n  " if first else ",\n  ")
        out.write(json.dumps(item, ensure_ascii=False, default=_default))
        first = False
    out.write("\n]\n" if not first else "]\n")


# ---------------------------------------------------------------------------- plain text


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value).replace("\t", " ").replace("\n", " ")


def emit_plain_rows(rows: Iterable[Sequence[Any]]) -> None:
    """Tab-separated lines, one per row, no header: for cut, grep and awk."""
    write = sys.stdout.write
    for row in rows:
        write("\t".join(_cell(v) for v in row) + "\n")


# ---------------------------------------------------------------------------- formats


def duration(seconds: int | None) -> str:
    if seconds is None:
        return ""
    from paperread.values import format_duration

    return format_duration(seconds)


def bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    filled = round(width * done / total) if total else 0
    return "█" * filled + "░" * (width - filled)


def sparkline(values: Sequence[int]) -> str:
    """The citation count over time, in eight levels."""
    if not values:
        return ""
    ticks = "▁▂▃▄▅▆▇█"
    low, high = min(values), max(values)
    span = high - low or 1
    return "".join(ticks[(v - low) * (len(ticks) - 1) // span] for v in values)


# ---------------------------------------------------------------------------- papers

PAPER_JSON_FIELDS = (
    "key", "title", "year", "category", "recorded", "citations", "s2_id",
    "arxiv_id", "doi", "url", "description", "read_status",
)


def paper_json(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row.get(k) for k in PAPER_JSON_FIELDS}


def papers(rows: Iterable[dict[str, Any]], *, as_json: bool) -> int:
    """Render a paper listing; returns the number of rows shown."""
    count = 0

    def counted(items: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
        nonlocal count
        for item in items:
            count += 1
            yield item

    if as_json:
        emit_json_array(paper_json(r) for r in counted(rows))
    elif stdout_is_terminal():
        _paper_table(list(counted(rows)))
    else:
        emit_plain_rows(
            (r["key"], r["year"], r["title"], r["category"], "recorded" if r["recorded"] else "",
             r["citations"], r.get("read_status"))
            for r in counted(rows)
        )
    return count


def _paper_table(rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("key", style="cyan", no_wrap=True)
    table.add_column("year", justify="right")
    table.add_column("title", overflow="fold")
    table.add_column("category", style="dim")
    table.add_column("rec", justify="center")
    table.add_column("citations", justify="right")
    show_status = any(r.get("read_status") for r in rows)
    if show_status:
        table.add_column("status")
    for r in rows:
        cells = [
            r["key"], _cell(r["year"]), r["title"], r["category"], "✅" if r["recorded"] else "",
            f"{r['citations']:,}" if r["citations"] is not None else "",
        ]
        if show_status:
            cells.append(_cell(r.get("read_status")))
        table.add_row(*cells)
    _console().print(table)


def paper_detail(paper: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        emit_json(paper)
        return
    history = [h["count"] for h in paper.get("citation_history", [])]
    lines: list[tuple[str, str]] = [
        ("key", paper["key"]),
        ("title", paper["title"]),
        ("year", _cell(paper["year"])),
        ("category", f"{paper['category']} ({paper['category_name']})"),
        ("recorded", "yes" if paper["recorded"] else "no"),
        ("link", _cell(paper["url"])),
        ("description", _cell(paper["description"])),
        ("authors", _cell(paper.get("authors"))),
        ("venue", _cell(paper.get("venue"))),
        ("s2 id", _cell(paper["s2_id"])),
        ("arXiv", _cell(paper["arxiv_id"])),
        ("DOI", _cell(paper["doi"])),
        (
            "citations",
            "unknown" if paper["citations"] is None
            else f"{paper['citations']:,} (fetched {paper['citations_fetched_at'] or 'never'})",
        ),
        ("history", f"{sparkline(history)} {history[0]:,} → {history[-1]:,}" if len(history) > 1 else ""),
        ("reading", _cell(paper.get("read_status"))),
    ]
    videos = [
        f"{v['date']}  {duration(v['duration_seconds']):>8}  {v['title']}  {video_links(v)}"
        for v in paper.get("videos", [])
    ]
    if stdout_is_terminal():
        from rich.table import Table

        table = Table(box=None, show_header=False, pad_edge=False)
        table.add_column(style="bold")
        table.add_column(overflow="fold")
        for name, value in lines:
            if value:
                table.add_row(name, value)
        for i, v in enumerate(videos):
            table.add_row("videos" if i == 0 else "", v)
        console = _console()
        console.print(table)
        if paper.get("note"):
            from rich.markdown import Markdown
            from rich.rule import Rule

            console.print(Rule("note"))
            console.print(Markdown(paper["note"]))
        return
    out = sys.stdout.write
    for name, value in lines:
        if value:
            out(f"{name}: {value}\n")
    for v in videos:
        out(f"video: {v}\n")
    if paper.get("note"):
        out("note:\n" + paper["note"].rstrip("\n") + "\n")


def video_links(v: dict[str, Any]) -> str:
    from paperread.values import bilibili_url, youtube_url, zhihu_url

    links = []
    if v.get("bilibili"):
        links.append(bilibili_url(v["bilibili"]))
    if v.get("youtube"):
        links.append(youtube_url(v["youtube"]))
    if v.get("zhihu"):
        links.append(zhihu_url(v["zhihu"]))
    return " ".join(links)


# ---------------------------------------------------------------------------- videos


def videos(rows: list[dict[str, Any]], *, as_json: bool) -> None:
    total = sum(v["duration_seconds"] or 0 for v in rows)
    if as_json:
        emit_json({"videos": rows, "count": len(rows), "total_seconds": total})
        return
    if stdout_is_terminal():
        from rich.table import Table

        table = Table(box=None, pad_edge=False, header_style="bold", caption=f"{len(rows)} videos, {duration(total)}")
        table.add_column("id", justify="right", style="dim")
        table.add_column("date", no_wrap=True)
        table.add_column("time", justify="right")
        table.add_column("title", overflow="fold")
        table.add_column("papers", style="cyan")
        table.add_column("bilibili", no_wrap=True)
        for v in rows:
            table.add_row(
                str(v["id"]), v["date"], duration(v["duration_seconds"]), v["title"],
                ", ".join(p["key"] for p in v["papers"]), _cell(v["bilibili"]),
            )
        _console().print(table)
        return
    emit_plain_rows(
        (v["id"], v["date"], duration(v["duration_seconds"]), v["title"],
         ",".join(p["key"] for p in v["papers"]), v["bilibili"])
        for v in rows
    )
    message(f"{len(rows)} videos, {duration(total)}")


# ---------------------------------------------------------------------------- stats


def stats(data: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        emit_json(data)
        return
    head = [
        f"{data['recorded']} of {data['papers']} recorded",
        f"{data['videos']} videos, {duration(data['video_seconds'])} in all",
        f"you have read {data['read']} of {data['papers']}"
        + (f" ({data['reading']} in progress)" if data["reading"] else ""),
        f"{duration(data['video_seconds_left'])} of video left to watch ({data['videos_unwatched']} videos)",
    ]
    if stdout_is_terminal():
        from rich.table import Table

        console = _console()
        for line in head:
            console.print(line)
        table = Table(box=None, pad_edge=False, header_style="bold")
        table.add_column("category", style="cyan")
        table.add_column("name")
        table.add_column("recorded", justify="right")
        table.add_column("", no_wrap=True)
        for c in data["categories"]:
            table.add_row(c["slug"], c["name"], f"{c['recorded']}/{c['papers']}", bar(c["recorded"], c["papers"]))
        console.print(table)
        return
    out = sys.stdout.write
    for line in head:
        out(line + "\n")
    width = max((len(c["slug"]) for c in data["categories"]), default=0)
    for c in data["categories"]:
        out(f"{c['slug']:<{width}}  {c['recorded']:>4}/{c['papers']:<4}  {bar(c['recorded'], c['papers'])}  {c['name']}\n")
