"""View sync: the use-cases joining the bilibili and YouTube clients and the catalog.

- ``plan``: which videos a run asks about (scope, freshness), per platform.
- ``run``: bilibili one paced GET per video, YouTube 50 ids a request; each answer (a
  batch) is written in its own short transaction as it arrives, so a failure or a kill
  part way keeps everything already fetched and a rerun picks up the rest (it is still
  stale). Network I/O never happens inside a transaction. A figure that changed gets a
  ``view_history`` row; one that did not only moves its ``fetched_at``.
- A failure that would repeat (blocked past every retry, the service down, a refused key,
  broken answers) stops that platform: the videos not reached are reported failed; the
  other platform still runs. A video bilibili or YouTube says is gone is reported, and its
  old figures are kept.
- One run at a time per database: ``locks.run_lock(..., "views")`` (the command takes it).
- ``fetch_video``: bilibili's answer for ``mark-recorded --fetch``.

Nothing here prints: progress goes to a ``Progress`` the caller passes, and the outcome is
a ``Report`` the caller renders. The YouTube key stays inside ``youtube``; any text kept
here is scrubbed of it anyway.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, insert, select, update

from paperread import viewqueries
from paperread.bilibili import BilibiliClient, BilibiliVideo
from paperread.db import Reader
from paperread.errors import NotFoundError
from paperread.http import FATAL, HttpError, HttpSettings, Unreachable
from paperread.models import VideoViews, ViewHistory, utcnow
from paperread.youtube import MAX_IDS, YoutubeClient

DEFAULT_STALE_AFTER = dt.timedelta(hours=12)
"""Half a day: a daily cron run always finds yesterday's figures stale."""

VIEWS = VideoViews.__table__  # type: ignore[attr-defined]
HISTORY = ViewHistory.__table__  # type: ignore[attr-defined]
NOT_ASKED = "not asked: the run stopped at the error above"


class Progress:
    """What a run tells whoever watches it; this one watches nothing."""

    def phase(self, name: str, total: int) -> None:
        """A new phase ("bilibili views") of ``total`` videos begins."""

    def advance(self, papers: int) -> None:
        """``papers`` more videos of the current phase are done (stored or reported)."""

    def retry(self, attempt: int, reason: str, wait: float) -> None:
        """A request failed (``reason``) and is retried in ``wait`` seconds."""


# ---------------------------------------------------------------------------- report


@dataclass
class Report:
    """What a run did; ``as_dict`` is the --json summary."""

    scope: str
    dry_run: bool = False
    asked: int = 0
    skipped_fresh: int = 0
    updated: int = 0
    unchanged: int = 0
    gone: list[str] = field(default_factory=list)
    failed: dict[str, list[str]] = field(default_factory=dict)  # reason -> labels
    requests: dict[str, int] = field(default_factory=lambda: {"bilibili": 0, "youtube": 0})
    stopped: dict[str, str] = field(default_factory=dict)  # platform -> why
    youtube: str = "no key"  # "asked", "no key" or "nothing to ask"
    took_over_from: int | None = None
    to_fetch: list[str] = field(default_factory=list)  # labels, for --dry-run
    planned_requests: int = 0
    secret: str | None = field(default=None, repr=False)

    def fail(self, labels: Sequence[str], reason: str) -> None:
        if labels:
            self.failed.setdefault(self.scrub(reason), []).extend(labels)

    def scrub(self, text: str) -> str:
        return text.replace(self.secret, "***") if self.secret else text

    @property
    def failed_count(self) -> int:
        return sum(len(labels) for labels in self.failed.values())

    @property
    def exit_code(self) -> int:
        """0 when every video asked about was refreshed or reported gone, else 1."""
        return 1 if self.failed else 0

    def as_dict(self) -> dict[str, Any]:
        failures = [{"reason": r, "videos": len(labels), "ids": labels} for r, labels in self.failed.items()]
        data: dict[str, Any] = {
            "scope": self.scope,
            "dry_run": self.dry_run,
            "asked": self.asked,
            "skipped_fresh": self.skipped_fresh,
            "youtube": self.youtube,
        }
        if self.dry_run:
            data.update(
                to_fetch=len(self.to_fetch),
                requests_needed=self.planned_requests,
                videos=self.to_fetch,
                failures=failures,
                exit_code=self.exit_code,
            )
            return data
        data.update(
            updated=self.updated,
            unchanged=self.unchanged,
            gone=len(self.gone),
            gone_videos=self.gone,
            failed=self.failed_count,
            requests=sum(self.requests.values()),
            requests_by_platform=dict(self.requests),
            took_over_lock_from=self.took_over_from,
            failures=failures,
            stopped=dict(self.stopped) or None,
            exit_code=self.exit_code,
        )
        return data

    def log_line(self, command: str, exit_code: int, error: str | None = None) -> str:
        """One line for --log: UTC time, scope, counts, exit status (never the key)."""
        stamp = utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
        counts = (
            f"asked={self.asked} updated={self.updated} unchanged={self.unchanged} gone={len(self.gone)} "
            f"failed={self.failed_count} skipped_fresh={self.skipped_fresh} "
            f"requests={sum(self.requests.values())} youtube={_quote(self.youtube)}"
        )
        reason = error or next(iter(self.stopped.values()), None) or next(iter(self.failed), None)
        line = f"{stamp} {command} scope={_quote(self.scope)} {counts} exit={exit_code}"
        if self.dry_run:
            line += " dry_run=1"
        if reason:
            line += f" error={_quote(self.scrub(reason))}"
        return line


def _quote(text: str) -> str:
    flat = " ".join(text.split())
    return flat if flat and re.fullmatch(r"[\w.,:/+-]+", flat) else '"' + flat.replace('"', "'") + '"'


def label(platform: str, external_id: str) -> str:
    """How a video is named in reports: its BV id, or 'youtube:<id>'."""
    return external_id if platform == "bilibili" else f"youtube:{external_id}"


# ---------------------------------------------------------------------------- plan


@dataclass
class Work:
    """The ids each platform is asked about, in the catalog's order."""

    bilibili: list[str] = field(default_factory=list)
    youtube: list[str] = field(default_factory=list)

    @property
    def requests_needed(self) -> int:
        return len(self.bilibili) + -(-len(self.youtube) // MAX_IDS)

    def labels(self) -> list[str]:
        return [label("bilibili", x) for x in self.bilibili] + [label("youtube", x) for x in self.youtube]


def plan(
    reader: Reader,
    report: Report,
    *,
    video_ids: list[int] | None = None,
    stale_after: dt.timedelta = DEFAULT_STALE_AFTER,
    youtube: bool,
    now: dt.datetime | None = None,
) -> Work:
    """Which ids to ask about: in scope, not fetched within ``stale_after``. YouTube only
    when a key is set (``youtube``): without one its videos are left alone, not failed."""
    now = now or utcnow()
    fresh_after = now - stale_after if stale_after > dt.timedelta(0) else None
    work = Work()
    platforms = ("bilibili", "youtube") if youtube else ("bilibili",)
    for platform in platforms:
        target = getattr(work, platform)
        for row in viewqueries.plan_rows(reader, platform, video_ids=video_ids, fresh_after=fresh_after):
            report.asked += 1
            if row["fresh"]:
                report.skipped_fresh += 1
            else:
                target.append(row["external_id"])
    if youtube:
        report.youtube = "asked" if work.youtube else "nothing to ask"
    report.planned_requests = work.requests_needed
    return work


# ---------------------------------------------------------------------------- run


def run(
    engine: Engine,
    work: Work,
    report: Report,
    *,
    bilibili: BilibiliClient | None,
    youtube: YoutubeClient | None,
    progress: Progress | None = None,
) -> Report:
    """Fetch and store every planned figure, each answer in its own transaction."""
    progress = progress or Progress()
    if work.bilibili and bilibili is not None:
        _run_bilibili(engine, bilibili, work.bilibili, report, progress)
    if work.youtube and youtube is not None:
        _run_youtube(engine, youtube, work.youtube, report, progress)
    return report


def _run_bilibili(engine: Engine, client: BilibiliClient, ids: list[str], report: Report, progress: Progress) -> None:
    client.on_retry = progress.retry
    progress.phase("bilibili views", len(ids))
    try:
        for n, bvid in enumerate(ids):
            try:
                answer = client.view(bvid)
            except HttpError as exc:
                report.fail([bvid], exc.message)
                progress.advance(1)
                if isinstance(exc, FATAL):
                    report.stopped["bilibili"] = report.scrub(exc.message)
                    # Unreachable: none was asked, so all left fail with the one reason.
                    report.fail(ids[n + 1 :], exc.message if isinstance(exc, Unreachable) else NOT_ASKED)
                    progress.advance(len(ids) - n - 1)
                    return
                continue
            if answer is None:
                report.gone.append(bvid)
            else:
                store(engine, "bilibili", {bvid: answer.views}, report)
            progress.advance(1)
    finally:
        report.requests["bilibili"] = client.count_requests


def _run_youtube(engine: Engine, client: YoutubeClient, ids: list[str], report: Report, progress: Progress) -> None:
    client.on_retry = progress.retry
    progress.phase("YouTube views", len(ids))
    try:
        for start in range(0, len(ids), MAX_IDS):
            chunk = ids[start : start + MAX_IDS]
            try:
                found = client.views(chunk)
            except HttpError as exc:
                report.fail([label("youtube", x) for x in chunk], client.scrub(exc.message))
                progress.advance(len(chunk))
                if isinstance(exc, FATAL):
                    report.stopped["youtube"] = report.scrub(client.scrub(exc.message))
                    rest = ids[start + MAX_IDS :]
                    why = client.scrub(exc.message) if isinstance(exc, Unreachable) else NOT_ASKED
                    report.fail([label("youtube", x) for x in rest], why)
                    progress.advance(len(rest))
                    return
                continue
            counted = {x: v for x, v in found.items() if v is not None}
            report.gone.extend(label("youtube", x) for x in chunk if x not in found)
            hidden = [label("youtube", x) for x in chunk if x in found and found[x] is None]
            report.fail(hidden, "YouTube hides this video's view count")
            if counted:
                store(engine, "youtube", counted, report)
            progress.advance(len(chunk))
    finally:
        report.requests["youtube"] = client.count_requests


def store(
    engine: Engine, platform: str, figures: dict[str, int], report: Report, now: dt.datetime | None = None
) -> None:
    """One answer's figures in one transaction: a changed (or first) figure gets a history
    row; an unchanged one only its new ``fetched_at``."""
    now = now or utcnow()
    with engine.begin() as conn:
        known = {
            row.external_id: row.views
            for row in conn.execute(
                select(VIEWS.c.external_id, VIEWS.c.views).where(
                    VIEWS.c.platform == platform, VIEWS.c.external_id.in_(list(figures))
                )
            )
        }
        for external_id, views in figures.items():
            where = (VIEWS.c.platform == platform) & (VIEWS.c.external_id == external_id)
            if external_id not in known:
                conn.execute(
                    insert(VIEWS).values(platform=platform, external_id=external_id, views=views, fetched_at=now)
                )
            else:
                conn.execute(update(VIEWS).where(where).values(views=views, fetched_at=now))
            if known.get(external_id) == views:
                report.unchanged += 1
                continue
            conn.execute(
                insert(HISTORY).values(platform=platform, external_id=external_id, views=views, fetched_at=now)
            )
            report.updated += 1


# ---------------------------------------------------------------------------- one video (mark-recorded --fetch)


def fetch_video(bvid: str, config: HttpSettings) -> BilibiliVideo:
    """bilibili's answer about one video (one request, retried as in a sync)."""
    with BilibiliClient(config) as client:
        answer = client.view(bvid)
    if answer is None:
        raise NotFoundError(
            f"bilibili says video {bvid} is gone or hidden", hint="check the BV id, or give --title and --date"
        )
    return answer


def record_first_figure(conn: Any, video: BilibiliVideo, now: dt.datetime | None = None) -> None:
    """The fetched figure as the video's first view count (and history point), on the
    caller's connection (the transaction that records the video)."""
    now = now or utcnow()
    where = (VIEWS.c.platform == "bilibili") & (VIEWS.c.external_id == video.bvid)
    old = conn.execute(select(VIEWS.c.views).where(where)).scalar()
    if old is None:
        conn.execute(
            insert(VIEWS).values(platform="bilibili", external_id=video.bvid, views=video.views, fetched_at=now)
        )
    else:
        conn.execute(update(VIEWS).where(where).values(views=video.views, fetched_at=now))
    if old != video.views:
        conn.execute(
            insert(HISTORY).values(platform="bilibili", external_id=video.bvid, views=video.views, fetched_at=now)
        )
