"""Citation sync: the use-cases joining Semantic Scholar (``s2``) and the catalog.

- ``plan``: which papers a run asks about (scope, freshness, how each is identified).
- ``run``: asks S2 in batches of up to 500 ids (POST /paper/batch) and writes each batch
  in its own short transaction as it arrives, so a failure or a kill part way keeps every
  batch already fetched and a rerun picks up the rest. Network I/O never happens inside a
  transaction. The same pass fills metadata a paper lacks, replaces merged ids, resolves
  papers without an S2 id (``ARXIV:``/``DOI:`` ids in the same batches, else a title
  match) and writes a citation_history row for every change of a count.
- One sync at a time per database: ``locks.run_lock`` (the command takes it).
- ``fetch_paper`` / ``fill_new_paper``: the S2 half of ``add --fetch``.

Nothing here prints: progress goes to a ``Progress`` the caller passes (output.py draws
it), and the outcome is a ``Report`` the caller renders. The API key stays inside
``s2``; any text kept here is scrubbed of it anyway.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, overload

from sqlalchemy import Connection, Engine, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from paperread import queries, values
from paperread.db import Reader
from paperread.errors import NotFoundError, PaperreadError
from paperread.models import CitationHistory, Paper, utcnow
from paperread.s2 import (
    MAX_BATCH,
    PAPER_FIELDS,
    S2AuthError,
    S2BadResponse,
    S2Client,
    S2Config,
    S2Error,
    S2Paper,
    S2RateLimited,
    S2Unavailable,
    S2Unreachable,
    parse_paper,
)

DEFAULT_STALE_AFTER = dt.timedelta(days=7)
_FATAL = (S2AuthError, S2RateLimited, S2Unavailable, S2BadResponse, S2Unreachable)
"""Failures that would fail every later request too: the run stops and a rerun resumes."""

PAPER = Paper.__table__  # type: ignore[attr-defined]
HISTORY = CitationHistory.__table__  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------- progress


class Progress:
    """What a run tells whoever watches it; this one watches nothing."""

    def phase(self, name: str, total: int) -> None:
        """A new phase ("fetching", "matching titles") of ``total`` papers begins."""

    def advance(self, papers: int) -> None:
        """``papers`` more papers of the current phase are done (stored or reported)."""

    def retry(self, attempt: int, reason: str, wait: float) -> None:
        """A request failed (``reason``) and is retried in ``wait`` seconds."""


# ---------------------------------------------------------------------------- report


@dataclass
class Report:
    """What a run did, per paper outcome; ``as_dict`` is the --json summary."""

    scope: str
    dry_run: bool = False
    asked: int = 0
    skipped_fresh: int = 0
    updated: int = 0
    unchanged: int = 0
    no_count: int = 0
    not_found: list[str] = field(default_factory=list)
    failed: dict[str, list[str]] = field(default_factory=dict)  # reason -> keys
    resolved: list[dict[str, str]] = field(default_factory=list)
    unsure: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[dict[str, str]] = field(default_factory=list)
    replaced_ids: list[dict[str, str]] = field(default_factory=list)
    # Fields of S2's records that the gate kept out (control characters, NUL, too long...):
    # {"key", "reason"}; the rest of each record was stored.
    dropped: list[dict[str, str]] = field(default_factory=list)
    filled: int = 0
    gone: int = 0
    requests: int = 0
    planned_requests: int = 0
    stopped: str | None = None
    took_over_from: int | None = None
    already: list[str] = field(default_factory=list)  # resolve: named papers that have an S2 id
    to_fetch: list[str] = field(default_factory=list)  # keys, for --dry-run
    secret: str | None = field(default=None, repr=False)

    def fail(self, keys: Sequence[str], reason: str) -> None:
        if keys:
            self.failed.setdefault(self._scrub(reason), []).extend(keys)

    def _scrub(self, text: str) -> str:
        return text.replace(self.secret, "***") if self.secret else text

    @property
    def failed_count(self) -> int:
        return sum(len(keys) for keys in self.failed.values())

    @property
    def exit_code(self) -> int:
        """0 when every paper asked for was refreshed or reported not found, else 1."""
        return 1 if self.failed else 0

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "scope": self.scope,
            "dry_run": self.dry_run,
            "asked": self.asked,
            "skipped_fresh": self.skipped_fresh,
        }
        failures = [{"reason": reason, "papers": len(keys), "keys": keys} for reason, keys in self.failed.items()]
        if self.dry_run:
            data.update(
                to_fetch=len(self.to_fetch),
                requests_needed=self.planned_requests,
                papers=self.to_fetch,
                failures=failures,
                exit_code=self.exit_code,
            )
            return data
        data.update(
            updated=self.updated,
            unchanged=self.unchanged,
            without_count=self.no_count,
            not_found=len(self.not_found),
            failed=self.failed_count,
            requests=self.requests,
            metadata_filled=self.filled,
            resolved=self.resolved,
            unsure=self.unsure,
            conflicts=self.conflicts,
            replaced_ids=self.replaced_ids,
            dropped_fields=self.dropped,
            not_found_papers=self.not_found,
            already_identified=self.already,
            took_over_lock_from=self.took_over_from,
            failures=failures,
            stopped=self.stopped,
            exit_code=self.exit_code,
        )
        if self.gone:
            data["removed_meanwhile"] = self.gone
        return data

    def log_line(self, command: str, exit_code: int, error: str | None = None) -> str:
        """One line for --log: UTC time, scope, counts, exit status (never the key)."""
        stamp = utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
        counts = (
            f"asked={self.asked} updated={self.updated} unchanged={self.unchanged} "
            f"not_found={len(self.not_found)} failed={self.failed_count} skipped_fresh={self.skipped_fresh} "
            f"requests={self.requests}"
        )
        if self.resolved or self.unsure or self.conflicts:
            counts += f" resolved={len(self.resolved)} unsure={len(self.unsure)} conflicts={len(self.conflicts)}"
        reason = error or self.stopped or next(iter(self.failed), None)
        line = f"{stamp} {command} scope={_quote(self.scope)} {counts} exit={exit_code}"
        if self.dry_run:
            line += " dry_run=1"
        if reason:
            line += f" error={_quote(self._scrub(reason))}"
        return line


def _quote(text: str) -> str:
    flat = " ".join(text.split())
    return flat if flat and re.fullmatch(r"[\w.,:/+-]+", flat) else '"' + flat.replace('"', "'") + '"'


# ---------------------------------------------------------------------------- titles and ids


def normalise_title(title: str) -> str:
    """Casefolded letters and digits only: 'Attention is All you Need.' == 'attention is all you need'."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", title).casefold() if ch.isalnum())


def titles_agree(a: str | None, b: str | None) -> bool:
    return bool(a and b) and normalise_title(a or "") == normalise_title(b or "") != ""


def paper_ref(text: str) -> tuple[str, str]:
    """What ``add --fetch`` was given: ("id", an id S2's batch call takes) or ("title", text)."""
    value = text.strip()
    if not value:
        raise PaperreadError("--fetch needs an arXiv id, a DOI, a Semantic Scholar id or a title")
    kind, sep, rest = value.partition(":")
    if sep and kind.upper() == "ARXIV":
        return "id", "ARXIV:" + values.normalize_arxiv_id(rest)
    if sep and kind.upper() == "DOI":
        return "id", "DOI:" + values.normalize_doi(rest)
    if values.is_s2_id(value):
        return "id", value.lower()
    for parse, prefix in ((values.normalize_arxiv_id, "ARXIV:"), (values.normalize_doi, "DOI:")):
        try:
            return "id", prefix + parse(value)
        except PaperreadError:
            pass
    return "title", value


def _external_ref(arxiv_id: str | None, doi: str | None) -> str | None:
    """``ARXIV:<id>`` (no version) or ``DOI:<doi>`` for a paper without an S2 id."""
    if arxiv_id:
        try:
            return "ARXIV:" + values.normalize_arxiv_id(arxiv_id)
        except PaperreadError:
            pass
    if doi:
        try:
            return "DOI:" + values.normalize_doi(doi)
        except PaperreadError:
            pass
    return None


def _via(ref: str) -> str:
    return "arXiv id" if ref.startswith("ARXIV:") else "DOI" if ref.startswith("DOI:") else "title"


# ---------------------------------------------------------------------------- plan


class PackedStrings(Sequence[str]):
    """Strings appended one by one and kept packed: runs of them joined into one text, with
    the offset where each ends. A million keys or S2 ids take a fifth of what a list of
    strings does (a str object costs about 50 bytes before its first character)."""

    _RUN = 4096  # strings per packed run

    def __init__(self) -> None:
        self._runs: list[str] = []
        self._ends: list[array[int]] = []  # per run: the end offset of each string in it
        self._open: list[str] = []

    def append(self, text: str) -> None:
        self._open.append(text)
        if len(self._open) == self._RUN:
            self._pack()

    def _pack(self) -> None:
        ends, total = array("q"), 0
        for text in self._open:
            total += len(text)
            ends.append(total)
        self._runs.append("".join(self._open))
        self._ends.append(ends)
        self._open = []

    def __len__(self) -> int:
        return len(self._runs) * self._RUN + len(self._open)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        run, at = divmod(index, self._RUN)
        if run == len(self._runs):
            return self._open[at]
        ends = self._ends[run]
        return self._runs[run][ends[at - 1] if at else 0 : ends[at]]


class _Tail(Sequence[str]):
    """``strings[start:]`` without copying it."""

    def __init__(self, strings: Sequence[str], start: int) -> None:
        self._strings, self._start = strings, start

    def __len__(self) -> int:
        return max(0, len(self._strings) - self._start)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self._strings[self._start + i] for i in range(*index.indices(len(self)))]
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        return self._strings[self._start + (index % len(self))]


@dataclass
class Plan:
    """The papers a run asks about, as parallel sequences, packed (a million papers' keys and
    ids take tens of megabytes, not hundreds)."""

    ids: array[int] = field(default_factory=lambda: array("q"))
    keys: PackedStrings = field(default_factory=PackedStrings)
    refs: PackedStrings = field(default_factory=PackedStrings)  # an S2 id, ARXIV:... or DOI:...
    titles: dict[int, str] = field(default_factory=dict)  # papers without an S2 id: a title match may be needed
    by_title: list[tuple[int, str]] = field(default_factory=list)  # (id, key) to match by title only

    @property
    def requests_needed(self) -> int:
        return -(-len(self.refs) // MAX_BATCH) + len(self.by_title)


def plan(
    reader: Reader,
    report: Report,
    *,
    paper_ids: list[int] | None = None,
    category: str | None = None,
    stale_after: dt.timedelta = DEFAULT_STALE_AFTER,
    resolve: bool = False,
    only_unidentified: bool = False,
    now: dt.datetime | None = None,
) -> Plan:
    """Which papers to ask about: in scope, not fetched within ``stale_after``.

    Papers without an S2 id are resolved (with ``resolve``) from their arXiv id or DOI in
    the same batches, else by title; without ``resolve`` a named one fails ("no S2 id").
    ``only_unidentified`` (the ``resolve`` command) leaves papers with an S2 id alone.
    """
    now = now or utcnow()
    fresh_after = now - stale_after if stale_after > dt.timedelta(0) else None
    out = Plan()
    no_id: list[str] = []
    for row in queries.sync_plan(
        reader,
        paper_ids=paper_ids,
        category=category,
        fresh_after=fresh_after,
        with_unidentified=resolve,
        only_unidentified=only_unidentified,
    ):
        report.asked += 1
        if only_unidentified and row["s2_id"] is not None:
            report.already.append(row["key"])
            continue
        if row["fresh"]:
            report.skipped_fresh += 1
            continue
        ref = row["s2_id"]
        if ref is None:
            if not resolve:
                no_id.append(row["key"])
                continue
            out.titles[row["id"]] = row["title"]
            ref = _external_ref(row["arxiv_id"], row["doi"])
            if ref is None:
                out.by_title.append((row["id"], row["key"]))
                continue
        out.ids.append(row["id"])
        out.keys.append(row["key"])
        out.refs.append(ref)
    report.fail(no_id, "no Semantic Scholar id (run with --resolve, or set one with 'paperread edit --s2-id')")
    report.planned_requests = out.requests_needed
    return out


# ---------------------------------------------------------------------------- run


def run(
    engine: Engine,
    client: S2Client,
    work: Plan,
    report: Report,
    progress: Progress | None = None,
) -> Report:
    """Fetch and store every planned paper; each batch is one transaction, written as it arrives.

    A failure that would repeat (bad key, S2 down or throttling past every retry, broken
    answers) stops the run: the papers not reached are reported failed, and a rerun picks
    them up (they are still stale). Other failures fail their batch only.
    """
    progress = progress or Progress()
    report.secret = client.config.api_key
    client.on_retry = progress.retry
    progress.phase("fetching citations", len(work.refs))
    start = 0
    total = len(work.refs)
    while start < total and report.stopped is None:
        try:
            for chunk, results in client.iter_batches(_Tail(work.refs, start) if start else work.refs, PAPER_FIELDS):
                end = start + len(chunk)
                _store_batch(engine, work, start, end, results, report)
                progress.advance(len(chunk))
                start = end
        except S2Error as exc:
            # Unreachable: nothing was asked, so every paper left fails with the one reason.
            end = total if isinstance(exc, S2Unreachable) else min(start + MAX_BATCH, total)
            report.fail(work.keys[start:end], exc.message)
            if isinstance(exc, S2Unreachable):
                report.fail([key for _, key in work.by_title], exc.message)
                work.by_title.clear()
            progress.advance(end - start)
            start = end
            if isinstance(exc, _FATAL):
                report.stopped = report._scrub(exc.message)
                report.fail(work.keys[start:], "not asked: the run stopped at the error above")
                report.fail([key for _, key in work.by_title], "not asked: the run stopped at the error above")
                start = total
        finally:
            report.requests = client.count_requests
    if report.stopped is None:
        _match_titles(engine, client, work, report, progress)
    report.requests = client.count_requests
    return report


def _store_batch(engine: Engine, work: Plan, start: int, end: int, results: list[Any], report: Report) -> None:
    found: list[tuple[int, str, str, S2Paper]] = []
    for i, obj in zip(range(start, end), results):
        pid, key, ref = work.ids[i], work.keys[i], work.refs[i]
        if obj is None:
            if work.titles.get(pid):
                work.by_title.append((pid, key))  # its arXiv id or DOI is unknown to S2: try the title
            else:
                report.not_found.append(key)
            continue
        try:
            found.append((pid, key, ref, parse_paper(obj)))
        except S2BadResponse as exc:
            report.fail([key], exc.message)
    if found:
        with engine.begin() as conn:
            _apply(conn, found, report)


def _match_titles(engine: Engine, client: S2Client, work: Plan, report: Report, progress: Progress) -> None:
    """Papers with no S2 id, arXiv id or DOI (or ones S2 did not know): one search each."""
    queue = list(work.by_title)
    if queue:
        progress.phase("matching titles", len(queue))
    for n, (pid, key) in enumerate(queue):
        title = work.titles.get(pid) or ""
        try:
            obj = client.match_title(title, PAPER_FIELDS) if title.strip() else None
            record = parse_paper(obj) if obj is not None else None
        except S2Error as exc:
            report.fail([key], exc.message)
            progress.advance(1)
            if isinstance(exc, _FATAL):
                report.stopped = report._scrub(exc.message)
                rest = "not asked: the run stopped at the error above"
                report.fail([k for _, k in queue[n + 1 :]], exc.message if isinstance(exc, S2Unreachable) else rest)
                return
            continue
        if record is None:
            report.not_found.append(key)
        elif not titles_agree(record.title, title):
            report.unsure.append(
                {
                    "key": key,
                    "title": title,
                    "match_title": record.title,
                    "match_s2_id": record.paper_id,
                    "match_score": obj.get("matchScore") if obj else None,
                }
            )
        else:
            with engine.begin() as conn:
                _apply(conn, [(pid, key, "title", record)], report)
        progress.advance(1)


def _apply(conn: Connection, found: list[tuple[int, str, str, S2Paper]], report: Report) -> None:
    """Store one batch of S2 records in the caller's transaction.

    The rows are read (and locked on PostgreSQL) first, so what a user set meanwhile is
    seen and kept. Counts go in with one executemany; history rows only for changes.
    """
    now = utcnow()
    ids = [pid for pid, *_ in found]
    if any(rec.arxiv_id or rec.doi for *_, rec in found):
        from paperread.locks import hold_paper_ids

        hold_paper_ids(conn)  # the arXiv ids and DOIs filled in below stay each paper's own
    current = _current_rows(conn, ids)
    new_ids = {rec.paper_id for pid, _, _, rec in found if pid in current and rec.paper_id != current[pid].s2_id}
    taken = _owners(conn, PAPER.c.s2_id, new_ids)
    taken_arxiv = _owners(conn, PAPER.c.arxiv_id, {r.arxiv_id for *_, r in found if r.arxiv_id})
    taken_doi = _owners(conn, PAPER.c.doi, {r.doi for *_, r in found if r.doi})

    counts: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    changes: list[tuple[int, str, dict[str, Any]]] = []
    for pid, key, ref, rec in found:
        row = current.get(pid)
        if row is None:  # removed since the plan was made
            report.gone += 1
            continue
        report.dropped.extend({"key": key, "reason": reason} for reason in rec.dropped)
        fills = _s2_id_fill(row, key, ref, rec, taken, report)
        if fills is None:
            continue  # resolving: nothing is stored for a paper whose record another paper holds
        fills.update(_metadata_fills(row, rec, pid, taken_arxiv, taken_doi))
        if rec.citation_count is None:
            report.no_count += 1
        elif rec.citation_count != row.citation_count:
            report.updated += 1
            history.append({"paper_id": pid, "citations": rec.citation_count, "fetched_at": now})
        else:
            report.unchanged += 1
        count = row.citation_count if rec.citation_count is None else rec.citation_count
        counts.append({"pid": pid, "count": count, "at": now})
        if fills:
            changes.append((pid, key, fills))

    if counts:
        conn.execute(
            update(PAPER)
            .where(PAPER.c.id == bindparam("pid"))
            .values(citation_count=bindparam("count"), citations_fetched_at=bindparam("at")),
            counts,
        )
    if history:
        conn.execute(insert(HISTORY), history)
    for pid, key, fills in changes:
        _write_fills(conn, pid, key, fills, now, report)


def _current_rows(conn: Connection, ids: list[int]) -> dict[int, Any]:
    """The batch's papers as they are now (locked on PostgreSQL until the batch commits)."""
    stmt = select(
        PAPER.c.id,
        PAPER.c.key,
        PAPER.c.s2_id,
        PAPER.c.citation_count,
        PAPER.c.year,
        PAPER.c.arxiv_id,
        PAPER.c.doi,
        PAPER.c.authors,
        PAPER.c.venue,
        PAPER.c.publication_date,
    ).where(PAPER.c.id.in_(ids))
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return {row.id: row for row in conn.execute(stmt)}


def _s2_id_fill(
    row: Any, key: str, ref: str, rec: S2Paper, taken: dict[str, tuple[int, str]], report: Report
) -> dict[str, Any] | None:
    """The S2 id a record gives its paper, as a fill ({} when it is already the paper's), or
    None when a paper without an id would take one another paper holds (reported)."""
    if rec.paper_id == row.s2_id:
        return {}
    owner = taken.get(rec.paper_id)
    if owner is not None and owner[0] != row.id:
        report.conflicts.append({"key": key, "s2_id": rec.paper_id, "taken_by": owner[1]})
        return None if row.s2_id is None else {}
    taken[rec.paper_id] = (row.id, key)
    if row.s2_id is None:
        report.resolved.append({"key": key, "s2_id": rec.paper_id, "via": _via(ref)})
    else:
        report.replaced_ids.append({"key": key, "old": row.s2_id, "new": rec.paper_id})
    return {"s2_id": rec.paper_id}


def _owners(conn: Connection, column: Any, wanted: set[str]) -> dict[str, tuple[int, str]]:
    """value -> (paper id, key) of the papers already holding one of ``wanted``."""
    if not wanted:
        return {}
    rows = conn.execute(select(column, PAPER.c.id, PAPER.c.key).where(column.in_(sorted(wanted))))
    return {value: (pid, key) for value, pid, key in rows}


def _metadata_fills(row: Any, rec: S2Paper, pid: int, taken_arxiv: dict, taken_doi: dict) -> dict[str, Any]:
    """What S2 knows that the paper lacks; a value already set (a user's) is never replaced."""
    fills: dict[str, Any] = {}
    if row.authors is None and rec.authors:
        fills["authors"] = ", ".join(rec.authors)
    if row.venue is None and rec.venue:
        fills["venue"] = rec.venue
    if row.publication_date is None and rec.publication_date:
        fills["publication_date"] = rec.publication_date
    if row.year is None and rec.year is not None:
        try:
            fills["year"] = values.parse_year(rec.year)
        except PaperreadError:
            pass
    if row.arxiv_id is None and rec.arxiv_id:
        try:
            arxiv = values.normalize_arxiv_id(rec.arxiv_id)
        except PaperreadError:
            arxiv = None
        if arxiv and taken_arxiv.get(arxiv, (pid,))[0] == pid:
            fills["arxiv_id"] = arxiv
            taken_arxiv[arxiv] = (pid, row.key)
    if row.doi is None and rec.doi:
        try:
            doi = values.normalize_doi(rec.doi)
        except PaperreadError:
            doi = None
        if doi and taken_doi.get(doi, (pid,))[0] == pid:
            fills["doi"] = doi
            taken_doi[doi] = (pid, row.key)
    return fills


def _write_fills(conn: Connection, pid: int, key: str, fills: dict[str, Any], now: dt.datetime, report: Report) -> None:
    """One paper's new id and metadata: a change to the paper, so its version moves on.

    A new S2 id goes in under a savepoint: if another writer took that id meanwhile, the
    unique constraint refuses it, the paper keeps its old id and a conflict is reported.
    """
    stmt = update(PAPER).where(PAPER.c.id == pid)
    bump = {"updated_at": now, "version": PAPER.c.version + 1}
    new_id = fills.pop("s2_id", None)
    if new_id is not None:
        try:
            with conn.begin_nested():
                conn.execute(stmt.values(s2_id=new_id, **fills, **bump))
            report.filled += 1 if fills else 0
            return
        except IntegrityError:
            report.conflicts.append({"key": key, "s2_id": new_id, "taken_by": "another paper (added meanwhile)"})
            report.resolved = [r for r in report.resolved if r["key"] != key]
            report.replaced_ids = [r for r in report.replaced_ids if r["key"] != key]
    if fills:
        conn.execute(stmt.values(**fills, **bump))
        report.filled += 1


# ---------------------------------------------------------------------------- one paper (add --fetch)


def fetch_paper(ref: str, config: S2Config | None = None) -> S2Paper:
    """S2's record for an arXiv id, a DOI, an S2 id or an exact title (one request).

    A title is taken only when S2's best match has the same title once normalised.
    """
    kind, value = paper_ref(ref)
    from paperread.config import s2_environ

    with S2Client(config or S2Config.from_env(s2_environ())) as client:
        if kind == "id":
            [obj] = client.batch([value], PAPER_FIELDS)
            if obj is None:
                raise NotFoundError(
                    f"Semantic Scholar knows no paper '{value}'", hint="check the id, or give the title"
                )
            return parse_paper(obj)
        obj = client.match_title(value, PAPER_FIELDS)
    if obj is None:
        raise NotFoundError(f"Semantic Scholar has no paper titled '{value}'", hint="give its arXiv id or DOI instead")
    record = parse_paper(obj)
    if not titles_agree(record.title, value):
        raise NotFoundError(
            f"Semantic Scholar's closest match for '{value}' is '{record.title}' ({record.paper_id}); not taken",
            hint=f"if that is the paper, run again with --fetch {record.paper_id}",
        )
    return record


def new_paper_fields(record: S2Paper) -> dict[str, Any]:
    """``store.add_paper`` keyword arguments from an S2 record (the caller's own values win)."""
    try:
        year = values.parse_year(record.year) if record.year is not None else None
    except PaperreadError:
        year = None
    if record.arxiv_id:
        url = f"https://arxiv.org/abs/{record.arxiv_id}"
    elif record.doi:
        url = f"https://doi.org/{record.doi}"
    else:
        url = f"https://www.semanticscholar.org/paper/{record.paper_id}"
    return {"year": year, "url": url, "s2_id": record.paper_id, "arxiv": record.arxiv_id, "doi": record.doi}


def fill_new_paper(session: Any, paper: Paper, record: S2Paper) -> None:
    """After ``store.add_paper``: the metadata and citation count from the record, and the
    count's first history point, in the same transaction."""
    now = utcnow()
    if paper.authors is None and record.authors:
        paper.authors = ", ".join(record.authors)
    if paper.venue is None and record.venue:
        paper.venue = record.venue
    if paper.publication_date is None and record.publication_date:
        paper.publication_date = record.publication_date
    if record.citation_count is not None:
        paper.citation_count = record.citation_count
        paper.citations_fetched_at = now
    session.add(paper)
    session.flush()
    if record.citation_count is not None:
        assert paper.id is not None
        session.add(CitationHistory(paper_id=paper.id, citations=record.citation_count, fetched_at=now))
        session.flush()
