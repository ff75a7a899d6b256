#!/usr/bin/env python
"""sync-views for the built-in catalog's videos against local fake bilibili and YouTube servers.

    python bench/views_bench.py                # 3 runs, prints the figures
    python bench/views_bench.py --reps 5 --write

Creates the built-in catalog (``paperread --db DB init``) in a temporary folder, serves a view
count for every bilibili id and YouTube id it holds from tests/fake_video_apis.py (real HTTP
servers on 127.0.0.1, the recorded answers' shape), and runs ``python -m paperread sync-views``
as a child process with pacing set to zero, on a fresh copy of the catalog each repetition.
Prints, per run: the requests each server saw (bilibili: one a video; YouTube: one per 50 ids),
the wall time from spawn to exit, the child's CPU time (user + sys) and the views stored.
``--write`` puts the figures in the ``views`` section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.results import write_section  # noqa: E402
from tests.fake_video_apis import FakeBilibili, FakeYoutube  # noqa: E402


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _ids(db: Path) -> tuple[list[str], list[str]]:
    with sqlite3.connect(db) as conn:
        bili = [r[0] for r in conn.execute("SELECT bilibili FROM video WHERE bilibili IS NOT NULL ORDER BY id")]
        yt = [r[0] for r in conn.execute("SELECT youtube FROM video WHERE youtube IS NOT NULL ORDER BY id")]
    return bili, yt


def _stored(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM video_views WHERE views IS NOT NULL").fetchone()[0])


def run(reps: int) -> list[dict[str, float | int]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERREAD_")}
    env.update(NO_COLOR="1", PAPERREAD_USER="bench", PYTHONPATH=str(ROOT))
    runs: list[dict[str, float | int]] = []
    with tempfile.TemporaryDirectory(prefix="views-bench-") as tmp:
        base = Path(tmp) / "base.sqlite"
        py = sys.executable
        subprocess.run([py, "-m", "paperread", "--db", str(base), "init"], check=True, env=env, capture_output=True)
        bili_ids, yt_ids = _ids(base)
        for i in range(reps):
            db = Path(tmp) / f"run{i}.sqlite"
            shutil.copyfile(base, db)
            with FakeBilibili() as bili, FakeYoutube() as yt:
                for n, bvid in enumerate(bili_ids):
                    bili.add(bvid, views=10_000 + 37 * n + i)
                for n, vid in enumerate(yt_ids):
                    yt.views[vid] = 2_000 + 11 * n + i
                child_env = dict(
                    env,
                    PAPERREAD_BILIBILI_URL=bili.base_url,
                    PAPERREAD_BILIBILI_INTERVAL="0",
                    PAPERREAD_YOUTUBE_URL=yt.base_url,
                    PAPERREAD_YOUTUBE_INTERVAL="0",
                    YOUTUBE_API_KEY=yt.key,
                )
                cpu0, t0 = _child_cpu(), time.perf_counter()
                done = subprocess.run(
                    [py, "-m", "paperread", "--db", str(db), "sync-views", "--quiet"],
                    env=child_env,
                    capture_output=True,
                    text=True,
                )
                wall, cpu = time.perf_counter() - t0, _child_cpu() - cpu0
                if done.returncode != 0:
                    raise SystemExit(f"sync-views exited {done.returncode}: {done.stderr.strip()}")
                runs.append(
                    {
                        "videos": len(bili_ids),
                        "youtube_ids": len(yt_ids),
                        "bilibili_requests": len(bili.requests),
                        "youtube_requests": len(yt.requests),
                        "wall": wall,
                        "cpu": cpu,
                        "stored": _stored(db),
                    }
                )
    return runs


def report(runs: list[dict[str, float | int]]) -> str:
    first = runs[0]
    walls = [float(r["wall"]) for r in runs]
    cpus = [float(r["cpu"]) for r in runs]
    load = os.getloadavg()[0]
    lines = [
        "## sync-views, built-in catalog (bench/views_bench.py)",
        "",
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, load average {load:.1f}, {len(runs)} runs,"
        " pacing 0, fake bilibili and YouTube servers on 127.0.0.1.",
        "",
        "| videos with a bilibili id | YouTube ids | bilibili requests | YouTube requests | figures stored"
        " | wall (median) | CPU (median) |",
        "|---|---|---|---|---|---|---|",
        f"| {first['videos']} | {first['youtube_ids']} | {first['bilibili_requests']} | {first['youtube_requests']}"
        f" | {first['stored']} | {statistics.median(walls):.2f} s | {statistics.median(cpus):.2f} s |",
        "",
        "Runs (wall / CPU): " + ", ".join(f"{w:.2f} / {c:.2f} s" for w, c in zip(walls, cpus, strict=True)),
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="put the figures in bench/RESULTS.md")
    args = parser.parse_args()
    text = report(run(args.reps))
    print(text, end="")
    if args.write:
        write_section(ROOT / "bench" / "RESULTS.md", "views", text)


if __name__ == "__main__":
    main()
