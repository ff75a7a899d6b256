"""Video views through the CLI against fake bilibili and YouTube servers on 127.0.0.1
(tests/fake_video_apis.py, built from recorded answers), never the network: sync-views,
where the figures show, trending --videos, the lock, the log, a kill.

Tests on ``cli`` run on SQLite and, when PAPERREAD_TEST_PG_URL is set, on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from paperread import bilibili, locks, youtube
from paperread.http import HttpSettings
from tests.conftest import ROOT, Cli
from tests.fake_video_apis import (
    BILIBILI_ANSWER,
    YOUTUBE_ANSWER,
    FakeBilibili,
    FakeYoutube,
)


def as_json(result: Any) -> Any:
    return json.loads(result.stdout)


def videos(cli: Cli) -> list[dict]:
    return as_json(cli.ok("videos", "--json"))["videos"]


def sync(cli: Cli, *args: str, code: int = 0) -> dict:
    result = cli("sync-views", "--json", *args)
    assert result.exit_code == code, f"exit {result.exit_code}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return as_json(result)


def serve_all(cli: Cli, server: FakeBilibili, base: int = 1000) -> dict[str, int]:
    """Every catalog video with a BV id on the fake, with views base + its position."""
    figures = {}
    for i, v in enumerate(videos(cli)):
        if v["bilibili"]:
            figures[v["bilibili"]] = base + i
            server.add(v["bilibili"], views=base + i)
    return figures


def bilibili_views(cli: Cli) -> dict[str, int | None]:
    return {v["bilibili"]: v["bilibili_views"] for v in videos(cli) if v["bilibili"]}


# ---------------------------------------------------------------------------- the clients on recorded answers


def test_the_recorded_bilibili_answer_is_read_exactly() -> None:
    video = bilibili.parse_view("BV117411r7R1", BILIBILI_ANSWER)
    assert video == bilibili.BilibiliVideo(
        bvid="BV117411r7R1",
        title="当我给拜年祭的快板加了电音配乐…",
        views=2404179,
        published=dt.date(2020, 1, 30),  # 1580377255 is 17:40:55 in China, 09:40:55 UTC
        duration_seconds=486,
    )
    assert bilibili.parse_view("BV117411r7R1", {"code": -404, "message": "啥都木有", "ttl": 1}) is None
    assert bilibili.parse_view("BV117411r7R1", {"code": 62002, "message": "稿件不可见", "ttl": 1}) is None


def test_the_recorded_youtube_answer_is_read_exactly() -> None:
    assert youtube.parse_statistics(YOUTUBE_ANSWER, ["O0aSwKeusZM", "gone0000000"]) == {"O0aSwKeusZM": 794755}


@pytest.mark.parametrize(
    "body",
    [
        {"code": 0, "data": {"stat": {}}},
        {"code": 0, "data": {"stat": {"view": "12"}}},
        {"code": 0, "data": {"stat": {"view": -1}}},
        {"code": 0, "data": {"bvid": "BV1aaaaaaaaa", "stat": {"view": 1}}},
        {"message": "no code"},
        ["a list"],
    ],
)
def test_a_bilibili_answer_of_another_shape_is_refused(body: Any) -> None:
    from paperread.http import BadShape

    with pytest.raises(BadShape):
        bilibili.parse_view("BV117411r7R1", body)


def test_settings_from_the_environment_are_checked() -> None:
    from paperread.errors import ConfigError

    assert bilibili.settings({}).interval == 1.0 and bilibili.settings({}).base_url == "https://api.bilibili.com"
    assert youtube.settings({}).base_url == "https://www.googleapis.com/youtube/v3"
    for env in (
        {"PAPERREAD_BILIBILI_INTERVAL": "soon"},
        {"PAPERREAD_BILIBILI_INTERVAL": "-1"},
        {"PAPERREAD_BILIBILI_URL": "ftp://x"},
    ):
        with pytest.raises(ConfigError, match="PAPERREAD_BILIBILI"):
            bilibili.settings(env)


# ---------------------------------------------------------------------------- sync-views: counts stored exactly


def test_views_are_stored_exactly_and_shown_everywhere(cli: Cli, fake_bilibili: FakeBilibili) -> None:
    figures = serve_all(cli, fake_bilibili)
    assert len(figures) == 59
    summary = sync(cli)
    assert (summary["updated"], summary["unchanged"], summary["gone"], summary["failed"]) == (59, 0, 0, 0)
    assert summary["requests"] == 59 and summary["youtube"] == "no key"
    assert bilibili_views(cli) == figures
    assert {v["youtube_views"] for v in videos(cli)} == {None}
    # Every request asked for one BV id, with a real User-Agent.
    assert sorted(r.query["bvid"] for r in fake_bilibili.requests) == sorted(figures)
    assert all(r.headers["user-agent"].startswith("Mozilla/5.0") for r in fake_bilibili.requests)

    # show lists each video's views; stats gives the total; videos --sort views ranks them.
    transformer = as_json(cli.ok("show", "transformer", "--json"))["videos"][0]
    assert transformer["bilibili_views"] == figures[transformer["bilibili"]]
    assert f"{figures[transformer['bilibili']]:,} views on bilibili" in cli.ok("show", "transformer").stdout
    stats = as_json(cli.ok("stats", "--json"))
    assert stats["bilibili_views"] == stats["views"] == sum(figures.values())
    assert f"{sum(figures.values()):,} views" in cli.ok("stats").stdout
    ranked = as_json(cli.ok("videos", "--sort", "views", "--json"))["videos"]
    assert [v["bilibili_views"] for v in ranked] == sorted(figures.values(), reverse=True)
    plain = cli.ok("videos", "--sort", "views").stdout.splitlines()
    assert plain[0].split("\t")[-1] == str(max(figures.values()))


def test_a_second_run_skips_fresh_figures_and_history_keeps_only_changes(cli: Cli, fake_bilibili: FakeBilibili) -> None:
    figures = serve_all(cli, fake_bilibili)
    sync(cli)
    again = sync(cli)
    assert (again["skipped_fresh"], again["requests"], again["updated"]) == (59, 0, 0)
    changed = next(iter(figures))
    fake_bilibili.videos[changed]["data"]["stat"]["view"] = 5_000_000_000  # beyond 32 bits
    third = sync(cli, "--stale-after", "0")
    assert (third["updated"], third["unchanged"]) == (1, 58)
    assert bilibili_views(cli)[changed] == 5_000_000_000
    export = as_json(cli.ok("export", "json"))
    assert export  # the catalog still exports
    history = history_rows(cli, changed)
    assert [h[0] for h in history] == [figures[changed], 5_000_000_000]


def history_rows(cli: Cli, external_id: str) -> list[tuple[int, Any]]:
    from paperread.config import resolve_target
    from paperread.engine import make_engine

    engine = make_engine(resolve_target(cli.db))
    try:
        with engine.connect() as conn:
            return [
                (int(r[0]), r[1])
                for r in conn.exec_driver_sql(
                    "SELECT views, fetched_at FROM view_history WHERE external_id = %s ORDER BY fetched_at, id"
                    if cli.backend == "postgresql"
                    else "SELECT views, fetched_at FROM view_history WHERE external_id = ? ORDER BY fetched_at, id",
                    (external_id,),
                )
            ]
    finally:
        engine.dispose()


def test_a_gone_video_is_reported_and_keeps_its_old_figure(cli: Cli, fake_bilibili: FakeBilibili) -> None:
    figures = serve_all(cli, fake_bilibili)
    sync(cli)
    gone, hidden = list(figures)[:2]
    del fake_bilibili.videos[gone]  # code -404
    fake_bilibili.codes[hidden] = (62002, "稿件不可见")
    summary = sync(cli, "--stale-after", "0")
    assert summary["exit_code"] == 0 and sorted(summary["gone_videos"]) == sorted([gone, hidden])
    assert (summary["unchanged"], summary["gone"]) == (57, 2)
    shown = bilibili_views(cli)
    assert shown[gone] == figures[gone] and shown[hidden] == figures[hidden]
    text = cli("sync-views", "--stale-after", "0")
    assert text.exit_code == 0 and "gone or hidden (old figures kept)" in text.stderr and gone in text.stderr


# ---------------------------------------------------------------------------- misbehaving servers


@pytest.mark.parametrize(
    "trouble",
    [
        ("412", "blocked"),  # blocked twice (HTTP 412, then HTTP 200 with code -412), then answered
        ("503", ("429", "0")),
        ("badjson", "garbage"),
        ("drop", "slow"),
    ],
)
def test_a_misbehaving_bilibili_is_retried_and_every_figure_lands(
    cli: Cli, fake_bilibili: FakeBilibili, trouble: tuple
) -> None:
    figures = serve_all(cli, fake_bilibili)
    fake_bilibili.script(*trouble)
    summary = sync(cli)
    assert (summary["updated"], summary["failed"]) == (59, 0)
    assert summary["requests"] == 59 + len(trouble) == len(fake_bilibili.requests)
    assert bilibili_views(cli) == figures


def test_blocked_past_every_retry_stops_cleanly_keeping_what_was_stored(
    cli: Cli, fake_bilibili: FakeBilibili, tmp_path: Path
) -> None:
    figures = serve_all(cli, fake_bilibili)
    fake_bilibili.script("ok", "ok", "ok", *["412"] * 5)  # three answered, then blocked on every try
    log = tmp_path / "views.log"
    result = cli("sync-views", "--quiet", "--log", str(log))
    assert result.exit_code == 1 and result.stdout == ""
    assert "bilibili blocked the request (code -412" in result.stderr
    assert "not asked: the run stopped" in result.stderr
    assert len(fake_bilibili.requests) == 3 + 5  # bounded: five tries, then nothing more asked
    stored = {k: v for k, v in bilibili_views(cli).items() if v is not None}
    assert len(stored) == 3 and all(figures[k] == v for k, v in stored.items())
    line = log.read_text()
    assert "sync-views" in line and "updated=3" in line and "failed=56" in line and "exit=1" in line
    # The next run picks up the rest (the three stored are fresh).
    summary = sync(cli)
    assert (summary["updated"], summary["skipped_fresh"]) == (56, 3)
    assert bilibili_views(cli) == figures


def test_pacing_is_honoured_between_requests(
    cli: Cli, fake_bilibili: FakeBilibili, monkeypatch: pytest.MonkeyPatch
) -> None:
    figures = serve_all(cli, fake_bilibili)
    monkeypatch.setenv("PAPERREAD_BILIBILI_INTERVAL", "0.25")
    fake_bilibili.script("ok", "503")  # a retry is paced too
    named = list(figures)[:5]
    summary = sync(cli, *named)
    assert summary["updated"] == 5
    arrivals = [r.at for r in fake_bilibili.requests]
    assert len(arrivals) == 6
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert min(gaps) >= 0.25, gaps  # the pace runs from one answer to the next request


def test_quiet_prints_nothing_on_success_and_the_log_gets_one_line(
    cli: Cli, fake_bilibili: FakeBilibili, tmp_path: Path
) -> None:
    serve_all(cli, fake_bilibili)
    log = tmp_path / "views.log"
    result = cli("sync-views", "--quiet", "--log", str(log))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    [line] = log.read_text().splitlines()
    assert "sync-views scope=" in line and "updated=59" in line and line.endswith("exit=0")


# ---------------------------------------------------------------------------- YouTube


def youtube_ids(cli: Cli) -> list[str]:
    return [v["youtube"] for v in videos(cli) if v["youtube"]]


def add_youtube_videos(cli: Cli, n: int) -> list[str]:
    """``n`` more videos, each with its own YouTube id, written through the real schema."""
    from sqlalchemy import insert

    from paperread.config import resolve_target
    from paperread.engine import make_engine
    from paperread.models import Video

    ids = [f"yt{i:09d}" for i in range(n)]
    engine = make_engine(resolve_target(cli.db))
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(Video.__table__),  # type: ignore[attr-defined]
                [{"title": f"Talk {i}", "date": dt.date(2024, 1, 1), "youtube": x} for i, x in enumerate(ids)],
            )
    finally:
        engine.dispose()
    return ids


def test_youtube_takes_50_ids_a_request_and_the_key_never_shows(
    cli: Cli, fake_bilibili: FakeBilibili, fake_youtube: FakeYoutube, tmp_path: Path
) -> None:
    serve_all(cli, fake_bilibili)
    known = youtube_ids(cli)
    extra = add_youtube_videos(cli, 120 - len(set(known)))
    ids = list(dict.fromkeys(known + extra))
    assert len(ids) == 120
    for i, x in enumerate(ids):
        fake_youtube.views[x] = 10_000 + i
    log = tmp_path / "views.log"
    result = cli("sync-views", "--json", "--log", str(log))
    assert result.exit_code == 0, result.stderr
    summary = as_json(result)
    assert summary["requests_by_platform"] == {"bilibili": 59, "youtube": 3}
    assert len(fake_youtube.requests) == 3
    assert [len(r.query["id"].split(",")) for r in fake_youtube.requests] == [50, 50, 20]
    by_id = {v["youtube"]: v["youtube_views"] for v in videos(cli) if v["youtube"]}
    assert by_id == {x: 10_000 + i for i, x in enumerate(ids)}
    # The key went as the header Google reads, never in a URL, never out again.
    key = fake_youtube.key
    assert all(r.headers["x-goog-api-key"] == key and key not in r.raw for r in fake_youtube.requests)
    seen = result.stdout + result.stderr + log.read_text() + cli.ok("export", "json").stdout
    seen += cli.ok("stats").stdout + cli.ok("videos", "--json").stdout
    assert key not in seen
    assert key not in database_text(cli)


def database_text(cli: Cli) -> str:
    """Every value in every table, as text."""
    from paperread.config import resolve_target
    from paperread.engine import make_engine

    engine = make_engine(resolve_target(cli.db))
    try:
        with engine.connect() as conn:
            from sqlalchemy import inspect, text

            out = []
            for table in inspect(conn).get_table_names():
                for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                    out.append(repr(tuple(row)))
            return "\n".join(out)
    finally:
        engine.dispose()


def test_a_refused_key_stops_youtube_without_showing_it(
    cli: Cli, fake_bilibili: FakeBilibili, fake_youtube: FakeYoutube, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve_all(cli, fake_bilibili)
    wrong = "AIza-wrong-key-987654"
    monkeypatch.setenv("YOUTUBE_API_KEY", wrong)
    result = cli("sync-views")
    assert result.exit_code == 1
    assert "YouTube refused the API key" in result.stderr and "check YOUTUBE_API_KEY" in result.stderr
    assert wrong not in result.stdout + result.stderr
    assert len(fake_youtube.requests) == 1  # not retried: a wrong key stays wrong
    assert all(v is not None for v in bilibili_views(cli).values())  # bilibili's figures all stored


def test_a_spent_quota_is_said_plainly(cli: Cli, fake_bilibili: FakeBilibili, fake_youtube: FakeYoutube) -> None:
    serve_all(cli, fake_bilibili)
    fake_youtube.quota_spent = True
    result = cli("sync-views")
    assert result.exit_code == 1
    assert "quota is spent" in result.stderr and fake_youtube.key not in result.stderr


def test_without_a_key_youtube_is_left_alone(cli: Cli, fake_bilibili: FakeBilibili) -> None:
    serve_all(cli, fake_bilibili)
    result = cli("sync-views")
    assert result.exit_code == 0
    assert "YouTube not asked (set YOUTUBE_API_KEY)" in result.stderr


# ---------------------------------------------------------------------------- trending --videos


def test_trending_videos_ranks_by_views_gained(cli: Cli, fake_bilibili: FakeBilibili) -> None:
    figures = serve_all(cli, fake_bilibili)
    sync(cli)
    first, second = list(figures)[:2]
    fake_bilibili.videos[first]["data"]["stat"]["view"] += 10
    fake_bilibili.videos[second]["data"]["stat"]["view"] += 500
    sync(cli, "--stale-after", "0")
    ranked = as_json(cli.ok("trending", "--videos", "--since", "1h", "--json"))["videos"]
    # Everything first seen within the hour counts from its first figure: only two grew.
    assert [(r["gained"], r["views"]) for r in ranked] == [
        (500, figures[second] + 500),
        (10, figures[first] + 10),
    ]
    assert cli("trending", "--videos", "--category", "gnn").exit_code == 2


# ---------------------------------------------------------------------------- the lock and a kill


def start_sync(cli: Cli, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "paperread", "--db", cli.db, "sync-views", "--json"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)


def test_a_killed_sync_keeps_what_was_stored_and_a_rerun_finishes(cli: Cli, fake_bilibili: FakeBilibili) -> None:
    figures = serve_all(cli, fake_bilibili)
    fake_bilibili.slow_seconds = 60
    fake_bilibili.script("ok", "ok", "ok", "ok", "slow")  # the fifth answer hangs until the kill
    proc = start_sync(cli, {"PAPERREAD_BILIBILI_TIMEOUT": "120"})
    try:
        wait_for(lambda: len(fake_bilibili.requests) >= 5 or proc.poll() is not None)
        assert proc.poll() is None, proc.communicate()
        busy = cli("sync-views")
        assert busy.exit_code == 1 and "another views is running" in busy.stderr
        assert sum(v is not None for v in bilibili_views(cli).values()) == 4
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
    cli.ok("db", "check")
    stored = {k: v for k, v in bilibili_views(cli).items() if v is not None}
    assert len(stored) == 4 and all(figures[k] == v for k, v in stored.items())
    if cli.backend == "postgresql":
        wait_for(lambda: lock_is_free(cli), timeout=10)
    rerun = sync(cli)
    assert (rerun["updated"], rerun["skipped_fresh"]) == (55, 4)
    assert bilibili_views(cli) == figures


def lock_is_free(cli: Cli) -> bool:
    from paperread.config import resolve_target
    from paperread.engine import make_engine

    target = resolve_target(cli.db)
    engine = make_engine(target)
    try:
        with locks.run_lock(target, engine, "views"):
            return True
    except locks.BusyError:
        return False
    finally:
        engine.dispose()


def test_views_and_citations_sync_do_not_wait_for_each_other(builtin_db: Path) -> None:
    from paperread.config import resolve_target
    from paperread.engine import make_engine

    target = resolve_target(str(builtin_db))
    engine = make_engine(target)
    try:
        with locks.run_lock(target, engine, "sync"), locks.run_lock(target, engine, "views"):
            with pytest.raises(locks.BusyError):
                with locks.run_lock(target, engine, "views"):
                    pass
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------- dry run, bad input


def test_dry_run_asks_nothing_and_writes_nothing(cli: Cli, fake_bilibili: FakeBilibili) -> None:
    serve_all(cli, fake_bilibili)
    plan = sync(cli, "--dry-run")
    assert (plan["to_fetch"], plan["requests_needed"]) == (59, 59)
    assert fake_bilibili.requests == []
    assert all(v is None for v in bilibili_views(cli).values())


@pytest.mark.parametrize(
    ("env", "args", "code", "said"),
    [
        ({"PAPERREAD_BILIBILI_INTERVAL": "fast"}, [], 2, "PAPERREAD_BILIBILI_INTERVAL must be a number of seconds"),
        ({"PAPERREAD_YOUTUBE_URL": "youtube.com"}, [], 2, "must start with http:// or https://"),
        ({}, ["--stale-after", "soon"], 2, "--stale-after"),
        ({}, ["BV1notthere0"], 1, "no video matches"),
    ],
)
def test_bad_settings_are_one_line(builtin_db: Path, env: dict, args: list, code: int, said: str) -> None:
    result = Cli(builtin_db)("sync-views", *args, env=env)
    assert result.exit_code == code and said in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) <= 2
    with sqlite3.connect(builtin_db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM video_views").fetchone()[0] == 0


def test_the_http_layer_says_which_service_failed() -> None:
    from paperread.http import JsonHttp, Unreachable

    # A refused port is tried at most twice more, quickly, outside the backoff (tests/test_offline.py).
    with JsonHttp("bilibili", HttpSettings("http://127.0.0.1:9", timeout=0.2, max_attempts=5, backoff_base=0)) as h:
        with pytest.raises(Unreachable, match=r"^bilibili: connection refused by 127\.0\.0\.1:9$"):
            h.get("/x/web-interface/view", {"bvid": "BV117411r7R1"})
        assert h.count_requests == 3


# ---------------------------------------------------------------------------- mark-recorded --fetch

RECORDED_BV = "BV117411r7R1"  # the recorded answer's video (tests/fixtures)


def test_fetch_records_a_new_video_exactly_from_bilibilis_answer(cli: Cli, fake_bilibili: FakeBilibili) -> None:
    fake_bilibili.add(RECORDED_BV, views=2404179)
    before = len(videos(cli))
    data = as_json(cli.ok("mark-recorded", "gan", "wgan", "--bilibili", RECORDED_BV, "--fetch", "--json"))
    assert (data["title"], data["date"], data["duration_seconds"]) == (
        "当我给拜年祭的快板加了电音配乐…",
        "2020-01-30",
        486,
    )
    assert [p["key"] for p in data["papers"]] == ["gan", "wgan"] and data["bilibili_views"] == 2404179
    [request] = fake_bilibili.requests
    assert request.query == {"bvid": RECORDED_BV}
    [video] = [v for v in videos(cli) if v["bilibili"] == RECORDED_BV]
    assert video["bilibili_views"] == 2404179 and len(videos(cli)) == before + 1
    assert [h[0] for h in history_rows(cli, RECORDED_BV)] == [2404179]
    # A sync the same day finds it fresh.
    assert sync(cli, str(video["id"]), "--stale-after", "1d")["skipped_fresh"] == 1


def test_values_given_win_over_fetched_ones(cli: Cli, fake_bilibili: FakeBilibili) -> None:
    fake_bilibili.add(RECORDED_BV, views=7)
    data = as_json(
        cli.ok(
            "mark-recorded", "gan", "--bilibili", RECORDED_BV, "--fetch",
            "--title", "My title", "--date", "2021-02-03", "--json",
        )
    )  # fmt: skip
    assert (data["title"], data["date"], data["duration_seconds"]) == ("My title", "2021-02-03", 486)


def test_fetch_refusals_write_nothing(cli: Cli, fake_bilibili: FakeBilibili) -> None:
    before = videos(cli)
    gone = cli("mark-recorded", "gan", "--bilibili", RECORDED_BV, "--fetch")  # the fake does not know it: -404
    assert gone.exit_code == 1 and f"bilibili says video {RECORDED_BV} is gone or hidden" in gone.stderr
    known = next(v["bilibili"] for v in before if v["bilibili"])
    asked = len(fake_bilibili.requests)
    taken = cli("mark-recorded", "gan", "--bilibili", known, "--fetch")
    assert taken.exit_code == 1 and "is already recorded" in taken.stderr
    assert len(fake_bilibili.requests) == asked  # refused before asking bilibili
    fake_bilibili.add(RECORDED_BV, views=1)
    no_paper = cli("mark-recorded", "no-such-paper", "--bilibili", RECORDED_BV, "--fetch")
    assert no_paper.exit_code == 1 and len(fake_bilibili.requests) == asked
    assert cli("mark-recorded", "gan", "--fetch").exit_code == 2
    assert cli("mark-recorded", "gan").exit_code == 2
    fake_bilibili.script(*["503"] * 5)
    down = cli("mark-recorded", "gan", "--bilibili", RECORDED_BV, "--fetch")
    assert down.exit_code == 1 and "bilibili answered HTTP 503" in down.stderr and "Traceback" not in down.stderr
    assert videos(cli) == before
