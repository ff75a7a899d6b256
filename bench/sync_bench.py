#!/usr/bin/env python
"""sync-citations against the local fake S2 server: requests, wall time, peak memory.

    python bench/sync_bench.py                 # 10,000 papers
    python bench/sync_bench.py --papers 100000 --reps 3

Builds an SQLite catalog of N papers through the real schema (Alembic upgrade, then
exchange.load_document of bench/synth.py's seeded document), serves a matching record for
every S2 id from tests/fake_s2.FakeS2Server (each count moved, so every paper gets a
history row), and runs ``python -m paperread sync-citations`` as a child process with
PAPERREAD_S2_INTERVAL=0 on a fresh copy of the catalog each repetition. Prints, per run:
the requests the server saw (expected: ceil(N / 500)), the wall time from spawn to exit,
the child's peak resident memory (VmHWM, read by the child at exit: that process image
alone), and in one extra traced run the number of COMMITs the sync issued (one a batch).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BATCH = 500

CHILD = r"""
import atexit, os, sqlite3, sys
TRACE = os.environ.pop("SYNC_BENCH_TRACE", "") == "1"
commits = [0]
if TRACE:
    _connect = sqlite3.connect
    def connect(*a, **k):
        conn = _connect(*a, **k)
        conn.set_trace_callback(lambda s: commits.__setitem__(0, commits[0] + (s.lstrip()[:6].upper() == "COMMIT")))
        return conn
    sqlite3.connect = sqlite3.dbapi2.connect = connect
def report():
    # VmHWM: the peak resident memory of this process image. ru_maxrss would also count the
    # (large) benchmark process this child was forked from, as Linux keeps it across exec.
    try:
        peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
    except OSError:
        import resource
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sys.stderr.write(f"BENCH peak_kb={peak} commits={commits[0] if TRACE else -1}\n")
atexit.register(report)
sys.argv = ["paperread", *sys.argv[1:]]
from paperread.cli import main
main()
"""


def build_catalog(path: Path, n: int) -> None:
    from bench.synth import make_document
    from paperread.config import resolve_target
    from paperread.engine import transaction, upgrade
    from paperread.exchange.bulk import load_document

    target = resolve_target(str(path))
    with transaction(target) as conn:
        upgrade(conn)
        load_document(conn, make_document(n))


def run_child(argv: list[str], env: dict[str, str]) -> tuple[float, float, int, int, str, str]:
    """(seconds, peak MB, COMMITs or -1, exit code, stdout, stderr) of one child process."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        code = subprocess.run(argv, env=env, stdout=out, stderr=err, cwd=ROOT).returncode
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    line = next((ln for ln in stderr.splitlines() if ln.startswith("BENCH ")), "BENCH peak_kb=0 commits=-1")
    fields = dict(item.split("=") for item in line.split()[1:])
    return seconds, int(fields["peak_kb"]) / 1024, int(fields["commits"]), code, stdout, stderr


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--papers", type=int, default=10_000)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()

    from tests.fake_s2 import FakeS2Server

    with tempfile.TemporaryDirectory(prefix="paperread-sync-bench-") as tmp:
        work = Path(tmp)
        catalog = work / "catalog.db"
        t0 = time.perf_counter()
        build_catalog(catalog, args.papers)
        conn = sqlite3.connect(catalog)
        rows = conn.execute("SELECT s2_id, title, year, citation_count FROM paper WHERE s2_id IS NOT NULL").fetchall()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        print(f"catalog: {len(rows):,} papers with S2 ids, built in {time.perf_counter() - t0:.1f} s")
        expected = -(-len(rows) // BATCH)

        with FakeS2Server() as server:
            for s2_id, title, year, cites in rows:
                server.add_paper(s2_id, title=title, year=year, citations=(cites or 0) + 7)
            env = {
                **os.environ,
                "PAPERREAD_S2_URL": server.base_url,
                "PAPERREAD_S2_INTERVAL": "0",
                "PAPERREAD_USER": "bench",
                "HOME": str(work),
            }
            env.pop("S2_API_KEY", None)
            results = []
            for rep in range(args.reps + 1):  # the last run is traced (tracing costs time)
                db = work / "run.db"
                for suffix in ("", "-wal", "-shm", ".sync.lock"):
                    Path(str(db) + suffix).unlink(missing_ok=True)
                shutil.copy(catalog, db)
                traced = rep == args.reps
                before = len(server.requests)
                seconds, peak, commits, code, out, err = run_child(
                    [sys.executable, "-c", CHILD, "--db", str(db), "sync-citations", "--json"],
                    {**env, "SYNC_BENCH_TRACE": "1" if traced else "0"},
                )
                requests = len(server.requests) - before
                if code != 0:
                    print(f"run {rep + 1}: exit {code}\n{err}")
                    return 1
                summary = json.loads(out)
                stored = (
                    sqlite3.connect(db)
                    .execute("SELECT COUNT(*) FROM paper WHERE citations_fetched_at > '2025-01-01'")
                    .fetchone()[0]
                )
                if traced:
                    print(f"traced run: {commits} COMMITs for {expected} batches (setup included); {requests} requests")
                    continue
                results.append((seconds, peak))
                print(
                    f"run {rep + 1}: {requests} requests (expected {expected}), {seconds:.2f} s wall, "
                    f"peak {peak:.0f} MB; updated {summary['updated']:,}, refreshed {stored:,} papers"
                )
                if requests != expected or stored != len(rows):
                    print("MISMATCH")
                    return 1
        best = min(s for s, _ in results)
        print(
            f"\nsync-citations of {len(rows):,} papers: {expected} requests, "
            f"wall {best:.2f} s (best of {len(results)}), peak memory {max(p for _, p in results):.0f} MB"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
