"""The one module that prints.

Data goes to stdout: a rich table on a terminal, tab-separated plain text when piped,
one JSON document with --json. Messages go to stderr. rich is imported only when a
terminal is there to see it, and honours NO_COLOR by itself.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import IO, Any

BAR_WIDTH = 20


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


def _console(stderr: bool = False):  # -> rich.console.Console
    from paperread.terminal import rich_console

    return rich_console(stderr=stderr)


@contextmanager
def _paged_console() -> Iterator[Any]:
    """A rich console on stdout, through the pager when the output is taller than the screen."""
    from paperread import terminal

    with terminal.paged() as out:
        yield terminal.rich_console(file=None if out is sys.stdout else out)


# ---------------------------------------------------------------------------- messages


def message(text: str) -> None:
    """A note for the person at the terminal: stderr, never mixed into data (any control
    character in it, from data, escaped)."""
    if not text.isprintable():
        from paperread.gate import visible

        text = visible(text, multiline=True)
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def error(text: str, hint: str | None = None) -> None:
    message(f"error: {text}")
    if hint:
        message(f"hint: {hint}")


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def confirm(question: str) -> bool | None:
    """Ask yes or no on the terminal (the prompt goes to stderr, the default is no).

    None when no answer came: Ctrl-C or the end of input.
    """
    import typer

    try:
        return typer.confirm(question, default=False, err=True)
    except typer.Abort:
        message("")
        return None


def written(text: str, data: Any = None, *, as_json: bool = False) -> None:
    """The outcome of a write: one line on stderr, and with --json its data on stdout."""
    message(text)
    if as_json:
        emit_json(data)


def link(url: str) -> None:
    """A link being opened, on stdout (so a script, or a machine with no browser, gets it)."""
    sys.stdout.write(url + "\n")


# ---------------------------------------------------------------------------- JSON


def _default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def emit_json(data: Any) -> None:
    import json  # here, not at the top: most runs print no JSON

    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=_default) + "\n")


def emit_json_array(items: Iterable[Any]) -> None:
    """A JSON array written as rows arrive, so memory stays flat on 100,000 rows."""
    import json

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
    text = str(value)
    if text.isprintable():
        return text
    from paperread.gate import visible

    return visible(text.replace("\t", " ").replace("\n", " "))


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


SPARK_WIDTH = 40


def spark_series(points: Sequence[tuple[str, int]], width: int = SPARK_WIDTH) -> list[int]:
    """At most ``width`` counts to draw: the points themselves when few, else the count in
    force at ``width`` evenly spaced moments (history rows are written only on change, so
    a count holds until the next row)."""
    import datetime as dt

    if len(points) <= width:
        return [count for _, count in points]
    times = [dt.datetime.fromisoformat(at).timestamp() for at, _ in points]
    first, last = times[0], times[-1]
    series, i = [], 0
    for col in range(width):
        moment = first + (last - first) * col / (width - 1)
        while i + 1 < len(points) and times[i + 1] <= moment:
            i += 1
        series.append(points[i][1])
    return series


def citation_history_line(history: Sequence[dict[str, Any]], *, terminal: bool) -> str:
    """The count over time: a sparkline on a terminal, plain words when piped; "" under two points."""
    if len(history) < 2:
        return ""
    first, last = history[0], history[-1]
    growth = last["count"] - first["count"]
    day = lambda h: (h["fetched_at"] or "")[:10]  # noqa: E731
    if not terminal:
        return (
            f"{first['count']} on {day(first)} -> {last['count']} on {day(last)} ({growth:+d} in {len(history)} counts)"
        )
    line = sparkline(spark_series([(h["fetched_at"], h["count"]) for h in history]))
    return f"{line} {first['count']:,} → {last['count']:,} ({growth:+,}) from {day(first)} to {day(last)}"


# ---------------------------------------------------------------------------- papers

PAPER_JSON_FIELDS = (
    "key",
    "title",
    "year",
    "category",
    "recorded",
    "citations",
    "s2_id",
    "arxiv_id",
    "doi",
    "url",
    "description",
    "read_status",
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
        _paper_table(counted(rows))
    else:
        emit_plain_rows(
            (
                r["key"],
                r["year"],
                r["title"],
                r["category"],
                "recorded" if r["recorded"] else "",
                r["citations"],
                r.get("read_status"),
            )
            for r in counted(rows)
        )
    return count


def _paper_table(rows: Iterable[dict[str, Any]]) -> None:
    """The papers as a table streamed row by row (through the pager when long): laid out for the
    terminal's width from the first rows, the key capped, the title wrapped between words."""
    from paperread import terminal

    columns = [
        terminal.Column("key", style="cyan", cap=24, min_width=8),
        terminal.Column("year", justify="right", drop=2),
        terminal.Column("title", grow=True),
        terminal.Column("category", style="dim", cap=20, min_width=6, drop=4),
        terminal.Column("rec", drop=3),
        terminal.Column("citations", justify="right", drop=5),
        terminal.Column("status", drop=1, hide_empty=True),
    ]
    cells = (
        (
            r["key"],
            _cell(r["year"]),
            r["title"] or "",
            r["category"] or "",
            "✅" if r["recorded"] else "",
            f"{r['citations']:,}" if r["citations"] is not None else "",
            _cell(r.get("read_status")),
        )
        for r in rows
    )
    with terminal.paged() as out:
        terminal.stream_table(columns, cells, out)


def paper_detail(paper: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        emit_json(paper)
        return
    history_text = citation_history_line(paper.get("citation_history", []), terminal=stdout_is_terminal())
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
            "unknown"
            if paper["citations"] is None
            else f"{paper['citations']:,} (fetched {paper['citations_fetched_at'] or 'never'})",
        ),
        ("history", history_text),
        ("reading", _cell(paper.get("read_status"))),
    ]
    video_notes = [v for v in paper.get("videos", []) if v.get("note")]
    videos = [
        f"{v['date']}  {duration(v['duration_seconds']):>8}  {v['title']}  {video_links(v)}{_views_note(v)}"
        for v in paper.get("videos", [])
    ]
    if stdout_is_terminal():
        with _paged_console() as console:
            _detail_on_terminal(console, lines, paper, video_notes)
        return
    from paperread.gate import visible

    out = sys.stdout.write
    for name, value in lines:
        if value:
            out(f"{name}: {visible(value)}\n")
    for v in videos:
        out(f"video: {visible(v)}\n")
    if paper.get("note"):
        out("note:\n" + visible(paper["note"].rstrip("\n"), multiline=True) + "\n")
    for v in video_notes:
        out(visible(f"note on video {v['id']} '{v['title']}':\n" + v["note"].rstrip("\n"), multiline=True) + "\n")


def _detail_on_terminal(
    console: Any, lines: list[tuple[str, str]], paper: dict[str, Any], video_notes: list[dict[str, Any]]
) -> None:
    """A paper on a terminal: a bold label, then its value wrapped between words; a link is never
    cut (it takes a line of its own, whole, for the terminal to wrap and a person to copy)."""
    from rich.markdown import Markdown
    from rich.rule import Rule

    from paperread import terminal
    from paperread.gate import visible

    on = terminal.colour(sys.stdout)
    label = max(len(name) for name, _ in lines) + 2
    room = max(terminal.size()[0] - label, 20)
    rows = [(name, value) for name, value in lines if value]
    for i, v in enumerate(paper.get("videos", [])):
        rows.append(
            (
                "videos" if i == 0 else "",
                f"{v['date']}  {duration(v['duration_seconds']):>8}  {v['title']}{_views_note(v)}",
            )
        )
        rows += [("", url) for url in video_links(v).split()]
    text = []
    for name, value in rows:
        for n, line in enumerate(terminal.wrap(visible(value), room, keep_links=True)):
            head = terminal.styled(name, "bold", on) + " " * (label - len(name)) if n == 0 and name else " " * label
            text.append(head + line)
    console.file.write("\n".join(text) + "\n")
    if paper.get("note"):
        console.print(Rule("note"))
        console.print(Markdown(visible(paper["note"], multiline=True)))
    for v in video_notes:
        console.print(Rule(f"note on video {v['id']} '{visible(v['title'])}'"))
        console.print(Markdown(visible(v["note"], multiline=True)))


def _views_note(v: dict[str, Any]) -> str:
    """'  (123,456 views on bilibili, 789 on YouTube)', or '' when no figure is known."""
    parts = []
    if v.get("bilibili_views") is not None:
        parts.append(f"{v['bilibili_views']:,} views on bilibili")
    if v.get("youtube_views") is not None:
        parts.append(f"{v['youtube_views']:,}{'' if parts else ' views'} on YouTube")
    return f"  ({', '.join(parts)})" if parts else ""


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


def video_views(v: dict[str, Any]) -> int | None:
    """A video's views on bilibili and YouTube together; None when neither is known."""
    known = [v.get("bilibili_views"), v.get("youtube_views")]
    return None if all(x is None for x in known) else sum(x or 0 for x in known)


def _views_cell(v: dict[str, Any]) -> str:
    views = video_views(v)
    return "" if views is None else f"{views:,}"


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
        table.add_column("note", no_wrap=True)
        table.add_column("views", justify="right", no_wrap=True)
        for v in rows:
            table.add_row(
                str(v["id"]),
                v["date"],
                duration(v["duration_seconds"]),
                v["title"],
                ", ".join(p["key"] for p in v["papers"]),
                _cell(v["bilibili"]),
                "✎" if v.get("noted") else "",
                _views_cell(v),
            )
        with _paged_console() as console:
            console.print(table)
        return
    emit_plain_rows(
        (
            v["id"],
            v["date"],
            duration(v["duration_seconds"]),
            v["title"],
            ",".join(p["key"] for p in v["papers"]),
            v["bilibili"],
            "noted" if v.get("noted") else "",
            video_views(v),
        )
        for v in rows
    )
    message(f"{len(rows)} videos, {duration(total)}")


def video_line(v: dict[str, Any]) -> str:
    """A video in one line for messages: id, title, date and running time."""
    time = f", {duration(v['duration_seconds'])}" if v.get("duration_seconds") is not None else ""
    return f"video {v['id']} '{v['title']}' ({v['date']}{time})"


# ---------------------------------------------------------------------------- categories


def categories(rows: list[dict[str, Any]], *, as_json: bool) -> None:
    if as_json:
        emit_json(rows)
        return
    if stdout_is_terminal():
        from rich.table import Table

        table = Table(box=None, pad_edge=False, header_style="bold")
        table.add_column("slug", style="cyan", no_wrap=True)
        table.add_column("name")
        table.add_column("papers", justify="right")
        table.add_column("recorded", justify="right")
        for c in rows:
            table.add_row(c["slug"], c["name"], str(c["papers"]), str(c["recorded"]))
        with _paged_console() as console:
            console.print(table)
        return
    emit_plain_rows((c["slug"], c["name"], c["papers"], c["recorded"]) for c in rows)


# ---------------------------------------------------------------------------- stats


def stats(data: dict[str, Any], *, as_json: bool, views_line: str | None = None) -> None:
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
    if views_line:
        head.insert(2, views_line)
    if stdout_is_terminal():
        from rich.table import Table

        table = Table(box=None, pad_edge=False, header_style="bold")
        table.add_column("category", style="cyan")
        table.add_column("name")
        table.add_column("recorded", justify="right")
        table.add_column("", no_wrap=True)
        for c in data["categories"]:
            table.add_row(c["slug"], c["name"], f"{c['recorded']}/{c['papers']}", bar(c["recorded"], c["papers"]))
        with _paged_console() as console:
            for line in head:
                console.print(line)
            console.print(table)
        return
    out = sys.stdout.write
    for line in head:
        out(line + "\n")
    width = max((len(c["slug"]) for c in data["categories"]), default=0)
    for c in data["categories"]:
        out(
            f"{c['slug']:<{width}}  {c['recorded']:>4}/{c['papers']:<4}  {bar(c['recorded'], c['papers'])}  "
            f"{_cell(c['name'])}\n"
        )


# ---------------------------------------------------------------------------- citations (sync, trending)


def ask(question: str) -> str | None:
    """One line of input from the terminal (the prompt goes to stderr); None on Ctrl-C or end of input."""
    import typer

    try:
        return typer.prompt(question, err=True)
    except typer.Abort:
        message("")
        return None


class _NoProgress:
    def phase(self, name: str, total: int) -> None:
        pass

    def advance(self, papers: int) -> None:
        pass

    def retry(self, attempt: int, reason: str, wait: float) -> None:
        pass


class _BarProgress:
    """A rich progress bar on stderr: papers done of the phase, rate, time left, retries."""

    def __init__(self, bar: Any) -> None:
        self._bar = bar
        self._task: Any = None
        self._name = ""

    def phase(self, name: str, total: int) -> None:
        self._name = name
        self._task = self._bar.add_task(name, total=total)

    def advance(self, papers: int) -> None:
        self._bar.update(self._task, advance=papers, description=self._name)

    def retry(self, attempt: int, reason: str, wait: float) -> None:
        self._bar.update(self._task, description=f"{self._name} (retry {attempt} in {wait:.0f} s: {reason})")


class sync_progress:
    """Progress of a sync: a bar when stderr is a terminal and not --quiet, else nothing."""

    def __init__(self, *, quiet: bool) -> None:
        self._show = not quiet and stderr_is_terminal()
        self._bar: Any = None

    def __enter__(self) -> Any:
        if not self._show:
            return _NoProgress()
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=_console(stderr=True),
            transient=False,
        )
        self._bar.__enter__()
        return _BarProgress(self._bar)

    def __exit__(self, *exc: Any) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)


_IMPORT_PHASES = {  # run.Phase's names, as the person at the terminal reads them
    "read": "reading",
    "plan": "planning",
    "write": "writing",
    "index": "building the search index",
}


def _no_phase(name: str) -> None:
    pass


class import_progress:
    """An import's phases (reading, planning, writing, the search index) as one line on stderr
    with a spinner and the time so far, when stderr is a terminal and not --quiet; gone when the
    import ends (the report follows). Yields the plain callable the exchange layer is told each
    phase by (``exchange.run.Phase``); elsewhere a no-op, and rich is not imported."""

    def __init__(self, source: str, *, quiet: bool) -> None:
        self._show = not quiet and stderr_is_terminal()
        self._source = source
        self._bar: Any = None

    def __enter__(self) -> Callable[[str], None]:
        if not self._show:
            return _no_phase
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
        from rich.table import Column

        from paperread.terminal import ellipsize

        self._bar = bar = Progress(
            SpinnerColumn(),
            TimeElapsedColumn(table_column=Column(min_width=7, no_wrap=True)),
            TextColumn("{task.description}", markup=False, table_column=Column(no_wrap=True, overflow="ellipsis")),
            console=_console(stderr=True),
            transient=True,
        )
        bar.__enter__()
        task = bar.add_task(f"importing {self._source}")

        def phase(name: str) -> None:
            label = _IMPORT_PHASES.get(name, name)
            room = bar.console.width - 1 - 1 - 7 - 1 - len(label) - 3  # spinner, time, label, " ()", a spare
            bar.update(task, description=f"{label} ({ellipsize(self._source, max(room, 1))})")
            bar.refresh()  # shown now, however short the phase

        return phase

    def __exit__(self, *exc: Any) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)


def _keys(keys: Sequence[str], shown: int = 10) -> str:
    more = f" and {len(keys) - shown} more" if len(keys) > shown else ""
    return ", ".join(keys[:shown]) + more


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def sync_failures(data: dict[str, Any]) -> None:
    """Failed papers as error lines (shown even under --quiet)."""
    for failure in data.get("failures", []):
        error(f"{_plural(failure['papers'], 'paper')} failed: {failure['reason']} ({_keys(failure['keys'], 5)})")


def sync_summary(data: dict[str, Any], *, as_json: bool, quiet: bool, command: str = "sync-citations") -> None:
    """The end of a sync or resolve: one JSON object on stdout with --json, else lines on
    stderr (none under --quiet); failures are always error lines on stderr."""
    if as_json:
        emit_json(data)
    elif not quiet:
        for line in _sync_lines(data, command):
            message(line)
    sync_failures(data)


def _sync_lines(data: dict[str, Any], command: str) -> list[str]:
    lines = []
    if command == "sync-citations":
        lines.append(
            f"{data['scope']}: {data['updated']:,} updated, {data['unchanged']:,} unchanged, "
            f"{data['not_found']:,} not found, {data['failed']:,} failed, "
            f"{data['skipped_fresh']:,} skipped as fresh; {_plural(data['requests'], 'request')}"
        )
    else:
        lines.append(
            f"{data['scope']}: {len(data['resolved']):,} resolved, {len(data['unsure']):,} unsure, "
            f"{data['not_found']:,} not found, {len(data['conflicts']):,} conflicts, {data['failed']:,} failed; "
            f"{_plural(data['requests'], 'request')}"
        )
    if data.get("without_count"):
        lines.append(f"{_plural(data['without_count'], 'paper')} found without a citation count (kept as was)")
    if data.get("metadata_filled"):
        lines.append(
            f"filled missing metadata (authors, venue, date, ids) of {_plural(data['metadata_filled'], 'paper')}"
        )
    for r in data.get("resolved", []):
        lines.append(f"resolved {r['key']} -> {r['s2_id']} (by {r['via']})")
    for r in data.get("replaced_ids", []):
        lines.append(f"merged id: {r['key']} {r['old']} -> {r['new']}")
    for u in data.get("unsure", []):
        lines.append(
            f"unsure, not stored: {u['key']} '{u['title']}': the closest title is '{u['match_title']}' ({u['match_s2_id']})"
        )
    for d in data.get("dropped_fields", []):
        lines.append(f"warning: {d['key']}: not stored from Semantic Scholar: {d['reason']}")
    for c in data.get("conflicts", []):
        lines.append(f"conflict: {c['key']}: S2 id {c['s2_id']} is already {c['taken_by']}'s; kept as it was")
    if data.get("not_found_papers"):
        lines.append(f"not found on Semantic Scholar: {_keys(data['not_found_papers'])}")
    if data.get("removed_meanwhile"):
        lines.append(f"{_plural(data['removed_meanwhile'], 'paper')} removed from the catalog during the run")
    if data.get("stopped"):
        lines.append("stopped early; run it again to pick up the rest")
    return lines


def sync_plan(data: dict[str, Any], *, as_json: bool) -> None:
    """--dry-run: the keys that would be fetched on stdout (one a line), the figures on stderr."""
    if as_json:
        emit_json(data)
        return
    emit_plain_rows((key,) for key in data["papers"])
    message(
        f"{data['scope']}: would fetch {_plural(data['to_fetch'], 'paper')} in "
        f"{_plural(data['requests_needed'], 'request')}; {data['skipped_fresh']:,} skipped as fresh"
    )
    sync_failures(data)


def trending(rows: list[dict[str, Any]], *, as_json: bool, since: str) -> None:
    """Papers by citations gained since a moment: table, tab-separated text, or JSON."""
    if as_json:
        emit_json({"since": since, "papers": rows})
        return
    if stdout_is_terminal():
        if not rows:
            message(f"no paper gained citations since {since[:10]}")
            return
        from rich.table import Table

        table = Table(box=None, pad_edge=False, header_style="bold", caption=f"citations gained since {since[:10]}")
        table.add_column("#", justify="right", style="dim")
        table.add_column("key", style="cyan", no_wrap=True)
        table.add_column("title", overflow="fold")
        table.add_column("gained", justify="right")
        table.add_column("%", justify="right")
        table.add_column("citations", justify="right", no_wrap=True)
        table.add_column("counted from", no_wrap=True)
        for i, r in enumerate(rows, 1):
            table.add_row(
                str(i),
                r["key"],
                r["title"],
                f"+{r['growth']:,}",
                "" if r["growth_percent"] is None else f"{r['growth_percent']:.1f}",
                f"{r['start_count']:,} → {r['end_count']:,}",
                (r["start_at"] or "")[:10],
            )
        with _paged_console() as console:
            console.print(table)
        return
    emit_plain_rows(
        (r["key"], r["growth"], r["start_count"], r["end_count"], r["growth_percent"], r["start_at"], r["title"])
        for r in rows
    )


# ---------------------------------------------------------------------------- export and import


def data_output(path: str | None) -> AbstractContextManager[IO[str]]:
    """Where an export's data goes (``outfile.data_output``): stdout, a regular file written
    atomically, or a FIFO, device or ``/dev/stdout`` written into."""
    from paperread.outfile import data_output as open_output

    return open_output(path)


def exported(fmt: str, counts: dict[str, int], path: str | None) -> None:
    """One line on stderr once an export went to a file."""
    if path is None or path == "-":
        return
    parts = [f"{counts[k]} {k}" for k in ("papers", "videos", "categories") if k in counts]
    message(f"exported {', '.join(parts)} as {fmt} to {path}")


def site_built(report: Any, folder: str, *, kept: int, as_json: bool) -> None:
    """A site written: one line on stderr; with --json its figures on stdout."""
    import os

    index = os.path.join(folder, "index.html")
    extra = f", kept {_plural(kept, 'file')} of yours" if kept else ""
    message(
        f"wrote the site of {report.papers:,} papers ({report.recorded:,} recorded) and "
        f"{_plural(report.videos, 'video')} to {folder} ({_plural(report.files, 'file')}{extra}); open {index}"
    )
    if as_json:
        emit_json(
            {
                "folder": folder,
                "index": index,
                "papers": report.papers,
                "recorded": report.recorded,
                "categories": report.categories,
                "videos": report.videos,
                "files": report.files,
                "paged_by_category": report.paged,
                "kept": kept,
            }
        )


_SHOWN_CHANGES = 30


_FIELD_NAMES = {"marked_recorded": "recorded mark", "citation_count": "citations", "citations_fetched_at": None}
_SIGNS = {"add": "+", "update": "~", "remove": "-"}


def _short(value: Any) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    text = "none" if value is None else str(value)
    text = " ".join(text.split())
    return repr(text[:37] + "..." if len(text) > 40 else text) if isinstance(value, str) else text


def _change_line(change: Any, with_values: bool) -> str:
    """One change of an import's plan, as the report lists it."""
    shown = []
    for name, (old, new) in change.fields.items():
        label = _FIELD_NAMES.get(name, name)
        if label is None or change.action != "update":
            continue
        shown.append(f"{label} {_short(old)} -> {_short(new)}" if with_values else label)
    fields = f": {', '.join(shown)}" if shown else ""
    return f"  {_SIGNS[change.action]} {change.kind} {change.name}{fields}"


def _plan_counts(plan: Any, source: str, fmt: str, dry_run: bool) -> None:
    kinds = [k for k in ("paper", "video", "category") if any(plan.tally(k).values())]
    if not plan.changed and plan.problems:  # not "as it is": the warnings above say what was not taken
        counted = ", ".join(f"{plan.tally(k)['unchanged']} {_kinds(k)}" for k in kinds if plan.tally(k)["unchanged"])
        held = f"{counted} of {source} already in the catalog" if counted else f"nothing taken from {source}"
        message(f"nothing changed: {held}; {len(plan.problems)} warning(s) above")
        return
    if not plan.changed:
        counted = ", ".join(f"{plan.tally(k)['unchanged']} {_kinds(k)}" for k in kinds) or "nothing"
        message(f"nothing to change: the catalog already holds {source} as it is ({counted} unchanged)")
        return
    if dry_run:
        message(f"dry run, nothing written: importing {source} ({fmt}) would change")
    else:
        message(f"imported {source} ({fmt})" + (" into the empty catalog" if plan.load is not None else ""))
    for kind in kinds:
        t = plan.tally(kind)
        parts = [f"{t['added']} added", f"{t['updated']} updated", f"{t['unchanged']} unchanged"]
        parts += [f"{t[k]} {k.replace('_', ' ')}" for k in ("skipped", "removed") if t[k]]
        if t["left_off"]:
            parts.append(f"{t['left_off']} taken with fields left off")
        if t["merged"]:
            parts.append(f"{t['merged']} merged into an earlier one")
        message(f"  {_kinds(kind)}: {', '.join(parts)}")
    extra = [
        (plan.count("reading", "add") + plan.count("reading", "update"), "reading states restored"),
        (plan.count("history", "add"), "citation history points added"),
        (plan.count("watched", "add"), "watched marks added"),
        (plan.count("video_note", "add"), "notes on videos restored"),
        (plan.reordered, "moved within their list"),
    ]
    shown = [f"{n} {what}" for n, what in extra if n]
    if shown:
        message("  " + "; ".join(shown))


def _kinds(kind: str) -> str:
    return "categories" if kind == "category" else f"{kind}s"


def import_report(plan: Any, *, dry_run: bool, source: str, fmt: str, as_json: bool, quiet: bool = False) -> None:
    """An import's plan (``exchange.plan.Plan``): what it changes (or, dry run, would change),
    keeps and skips; lines on stderr (none with ``quiet``), the whole plan as JSON on stdout
    with --json."""
    if as_json:
        emit_json({"source": source, "format": fmt, "dry_run": dry_run, **plan.as_dict()})
    if quiet:
        return
    for problem in plan.problems:
        message(f"warning: {problem.text()}")
    _plan_counts(plan, source, fmt, dry_run)
    listed = [c for c in plan.changes if c.kind in ("category", "paper", "video", "reading") and not c.moved_only]
    for change in listed[:_SHOWN_CHANGES]:
        message(_change_line(change, with_values=dry_run))
    if len(listed) > _SHOWN_CHANGES:
        message(f"  ... and {len(listed) - _SHOWN_CHANGES} more (--json lists them all)")
    kept: dict[str, list[str]] = {}
    for item in plan.kept:
        kept.setdefault(item.kind, []).append(item.name)
    for kind, names in kept.items():
        listed_names = ", ".join(names[:10]) + (f", ... ({len(names)} in all)" if len(names) > 10 else "")
        pruning = any(k.reason != "not in the file" for k in plan.kept if k.kind == kind)
        why = "" if pruning else " (--prune removes them)"
        message(f"  kept {len(names)} {kind}(s) that are not in {source}{why}: {listed_names}")
