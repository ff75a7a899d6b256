#!/usr/bin/env python
"""The shared catalog's speed: paperread on PostgreSQL, on loopback and through a delaying
proxy, against the same commands on SQLite and against floors, in one interleaved run.

    python bench/pg_bench.py                                   # 11 rounds, 20 ms each way
    python bench/pg_bench.py --reps 5 --baseline /tmp/old      # also another checkout's code
    python bench/pg_bench.py --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

The server is the one --pg-url (else $PAPERREAD_TEST_PG_URL) names; the benchmark makes
its own database there (``paperread_bench_<pid>``), loads the built-in catalog with
``paperread init`` and drops it at the end, whatever happens. A proxy on 127.0.0.1
(tests/pgproxy.py) forwards to the server with --delay seconds added to every chunk in
each direction, so one round trip costs 2 x delay: a server that is not on loopback.

Every timing is a fresh process (``python -m paperread`` with the code of --src, bytecode
cached, one warm-up run each), wall time and CPU (user + system of the child alone);
every command, floor and variant is run once per round, rounds interleaved, so a busy
machine slows them alike. Round trips and statements are counted through the proxy in one
extra run of each command. Writes its section of bench/RESULTS.md (``<!-- bench:postgresql
-->``, bench/results.py) with the targets of issue 18 and a verdict for each; ``--out`` names
another file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.results import write_section  # noqa: E402
from bench.run import PY, WORK, Sample, child_env, spawn  # noqa: E402
from tests.pgproxy import LatencyProxy  # noqa: E402

READS: list[tuple[str, list[str]]] = [
    ("list --category vision --limit 50", ["list", "--category", "vision", "--limit", "50"]),
    ("show resnet", ["show", "resnet"]),
    ("stats", ["stats"]),
    ("search transformer", ["search", "transformer"]),
    ("videos", ["videos"]),
    ("list (all 90)", ["list"]),
]
TARGETED = READS[:4]  # the four reads the targets name
# Single-paper writes: each run names another paper, so each really writes (a paper already
# read would be left as it is); {key} is filled in per run, from a slice of keys of its own.
WRITES: list[tuple[str, list[str]]] = [
    ("read KEY", ["read", "{key}"]),
    ("mark-recorded KEY", ["mark-recorded", "{key}", "--title", "A benchmark video", "--date", "2026-01-01"]),
    ("note KEY --append", ["note", "{key}", "--append", "A line from the benchmark"]),
    ("edit KEY --description", ["edit", "{key}", "--description", "Described by the benchmark"]),
]
COMPLETE = ("complete `show res<Tab>`", "show res")
LEAN_PG = "import typer, rich.table, psycopg"
LEAN_SQLITE = "import typer, rich.table, sqlite3"
ONE_QUERY = LEAN_PG + "; psycopg.connect({info!r}).execute('SELECT 1').fetchall()"


@dataclass
class Row:
    name: str
    argv: list[str]
    env: dict[str, str]
    keys: list[str] = field(default_factory=list)  # one per run, for a write's {key}
    samples: list[Sample] = field(default_factory=list)

    def run(self) -> Sample:
        argv = self.argv
        if self.keys:
            key = self.keys.pop(0)
            argv = [a.replace("{key}", key) for a in argv]
        return spawn(argv, self.env)

    def median(self) -> float:
        return statistics.median(s.seconds for s in self.samples)

    def cpu(self) -> float:
        return statistics.median(s.cpu for s in self.samples)

    def cell(self) -> str:
        if not self.samples:
            return "n/a"
        walls = [s.seconds for s in self.samples]
        failed = sum(1 for s in self.samples if s.rc)
        bad = f" · **{failed} failed**" if failed else ""
        return f"{self.median():.3f} ({min(walls):.3f}-{max(walls):.3f}) · cpu {self.cpu():.3f}{bad}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg-url", default=os.environ.get("PAPERREAD_TEST_PG_URL", ""))
    parser.add_argument("--reps", type=int, default=11)
    parser.add_argument("--delay", type=float, default=0.020, help="seconds added each way (default 0.020)")
    parser.add_argument("--src", type=Path, default=ROOT, help="the checkout whose paperread is measured")
    parser.add_argument("--baseline", type=Path, help="another checkout, measured on PostgreSQL in the same rounds")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    args = parser.parse_args()
    if not args.pg_url:
        sys.exit("give --pg-url or set PAPERREAD_TEST_PG_URL (postgresql+psycopg://user@127.0.0.1:5432/db)")
    WORK.mkdir(parents=True, exist_ok=True)
    server = Server(args.pg_url)
    args.server_info = server.info
    try:
        run(args, server)
    finally:
        server.drop()


class Server:
    """The bench database on the server: made here, dropped at the end."""

    def __init__(self, url: str) -> None:
        import psycopg

        from paperread.config import resolve_target
        from paperread.pgread import conninfo

        self.admin_info = conninfo(resolve_target(url))
        self.name = f"paperread_bench_{os.getpid()}"
        with psycopg.connect(self.admin_info, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        base, _, query = url.partition("?")
        self.url = base.rsplit("/", 1)[0] + "/" + self.name + (f"?{query}" if query else "")
        self.info = conninfo(resolve_target(self.url))
        host = resolve_target(self.url).url.split("@")[-1].split("/")[0]
        self.host, _, port = host.rpartition(":")
        self.port = int(port or 5432)

    def drop(self) -> None:
        import psycopg

        with psycopg.connect(self.admin_info, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def with_setting(url: str, setting: str) -> str:
    return url + ("&" if "?" in url else "?") + setting


def run(args: argparse.Namespace, server: Server) -> None:
    started = time.perf_counter()
    env = child_env(args.src)
    cmd = [PY, "-m", "paperread"]
    lite = WORK / "pg-bench-builtin.db"
    for path in (lite, Path(f"{lite}-wal"), Path(f"{lite}-shm")):
        path.unlink(missing_ok=True)
    for db in (str(lite), server.url):
        made = spawn([*cmd, "--db", db, "init"], env)
        if made.rc:
            sys.exit(f"cannot create the catalog on {db}: {made.err}")
    proxy = LatencyProxy((server.host, server.port), delay=args.delay)
    far = proxy.url_for(server.url)
    far_plain = with_setting(far, "sslmode=disable")
    near_plain = with_setting(server.url, "sslmode=disable")
    rows: dict[str, Row] = {}
    keys = paper_keys(lite)
    runs = args.reps + 2  # the warm-up, the rounds, the counted run

    taken: dict[str, int] = {}  # keys handed out per write command

    def add(key: str, argv: list[str], row_env: dict[str, str] | None = None) -> None:
        rows[key] = Row(key, argv, row_env or env)
        command = key.split(":", 1)[1]
        if any("{key}" in a for a in argv):  # a slice of keys no other row of this command runs on
            start = taken.get(command, 0)
            rows[key].keys = keys[start : start + runs]
            taken[command] = start + runs

    add("floor:pass", [PY, "-c", "pass"])
    add("floor:sqlite", [PY, "-c", LEAN_SQLITE])
    add("floor:pg", [PY, "-c", LEAN_PG])
    for label in ("near", "far", "far-prefer"):
        info = server.info if label == "near" else proxy_info(server.info, proxy.port)
        if label != "far-prefer":
            info += " sslmode=disable"
        add(f"floor:query:{label}", [PY, "-c", ONE_QUERY.format(info=info)])
    base_env = child_env(args.baseline) if args.baseline else None
    for name, argv in READS + WRITES:
        add(f"sqlite:{name}", [*cmd, "--db", str(lite), *argv])
        add(f"near:{name}", [*cmd, "--db", near_plain, *argv])
        add(f"far:{name}", [*cmd, "--db", far_plain, *argv])
        add(f"far-prefer:{name}", [*cmd, "--db", far, *argv])
        if base_env is not None:
            add(f"baseline:{name}", [*cmd, "--db", near_plain, *argv], base_env)
    for label, db in (("sqlite", str(lite)), ("near", near_plain), ("far", far_plain)):
        complete_env = {**env, "_PAPERREAD_COMPLETE": "complete_bash", "COMP_CWORD": "4"}
        complete_env["COMP_WORDS"] = f"paperread --db {db} {COMPLETE[1]}"
        add(f"{label}:{COMPLETE[0]}", cmd, complete_env)
    for row in rows.values():  # warm-up: bytecode written, caches filled
        row.run()
    for rep in range(args.reps):
        for row in rows.values():
            row.samples.append(row.run())
        print(f"round {rep + 1}/{args.reps} done", file=sys.stderr)
    trips = count_trips(proxy, rows)
    proxy.close()
    report = render(args, rows, trips, time.perf_counter() - started)
    write_section(args.out, "postgresql", report)
    print(report)
    print(f"wrote the postgresql section of {args.out}", file=sys.stderr)


def proxy_info(info: str, port: int) -> str:
    """A libpq connection string with host and port pointed at the proxy."""
    parts = [p for p in info.split() if not p.startswith(("host=", "port=", "hostaddr="))]
    return " ".join([*parts, "host=127.0.0.1", f"port={port}"])


def count_trips(proxy: LatencyProxy, rows: dict[str, Row]) -> dict[str, tuple[int, int]]:
    """(round trips after connecting, statements) of one more run of each command, far."""
    found: dict[str, tuple[int, int]] = {}
    for name in [name for name, _ in READS + WRITES] + [COMPLETE[0]]:
        proxy.counts.reset()
        rows[f"far:{name}"].run()
        connecting = sum(1 for m in proxy.counts.messages if m in ("ssl", "startup"))
        found[name] = (proxy.counts.round_trips - connecting, proxy.counts.statements)
    return found


def paper_keys(path: Path) -> list[str]:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT key FROM paper ORDER BY id")]
    finally:
        conn.close()


def render(args: argparse.Namespace, rows: dict[str, Row], trips: dict[str, tuple[int, int]], took: float) -> str:
    rtt = 2 * args.delay
    budget = rtt * 2 + 0.010  # "loopback time plus 2 round trips (90 ms)" at 20 ms each way
    floor_query = rows["floor:query:near"]
    lines = [
        "## The shared catalog: PostgreSQL (bench/pg_bench.py)",
        "",
        f"Written by `python bench/pg_bench.py --reps {args.reps} --delay {args.delay}"
        f"{' --baseline ' + str(args.baseline) if args.baseline else ''}` on "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC in {took / 60:.1f} min; code: {git_head(args.src)}.",
        "",
        f"Machine: {os.cpu_count()} cpus, {platform.system()} {platform.release()}, python {platform.python_version()}"
        f", load average at the end {' / '.join(f'{x:.2f}' for x in os.getloadavg())}. Server: {server_version(args.server_info)}.",
        "",
        f"Each cell: **median wall seconds (min-max) · median CPU seconds** (user+system of the child) of a whole"
        f" process over {args.reps} rounds after one warm-up; every row is run once per round, rounds interleaved."
        f" *near*: the server on loopback. *far*: through a proxy on 127.0.0.1 adding {args.delay * 1000:.0f} ms"
        f" to every chunk each way ({rtt * 1000:.0f} ms a round trip). Both with `?sslmode=disable` (the server"
        " has no SSL); *far, sslmode as libpq's default* is the URL without it: libpq first asks for SSL, which"
        " costs one more round trip.",
        "",
        "### Floors",
        "",
        "| floor | median (min-max) · cpu |",
        "|---|---|",
        f"| python -c pass | {rows['floor:pass'].cell()} |",
        f'| python -c "{LEAN_SQLITE}" (SQLite\'s lean floor) | {rows["floor:sqlite"].cell()} |',
        f'| python -c "{LEAN_PG}" | {rows["floor:pg"].cell()} |',
        f"| that + connect + `SELECT 1`, near | {floor_query.cell()} |",
        f"| that + connect + `SELECT 1`, far | {rows['floor:query:far'].cell()} |",
        f"| that + connect + `SELECT 1`, far, sslmode as libpq's default | {rows['floor:query:far-prefer'].cell()} |",
        "",
        "### Commands",
        "",
        "| command | SQLite | PostgreSQL near | PostgreSQL far | far, sslmode default | round trips after"
        " connecting · statements |" + (" baseline code, PostgreSQL near |" if args.baseline else ""),
        "|---|---|---|---|---|---|" + ("---|" if args.baseline else ""),
    ]
    for name, _ in READS + WRITES:
        cells = [rows[f"{label}:{name}"].cell() for label in ("sqlite", "near", "far", "far-prefer")]
        counted = f"{trips[name][0]} · {trips[name][1]}"
        extra = f" {rows[f'baseline:{name}'].cell()} |" if args.baseline else ""
        lines.append(f"| {name} | {' | '.join(cells)} | {counted} |{extra}")
    complete = COMPLETE[0]
    lines.append(
        f"| {complete} | {rows[f'sqlite:{complete}'].cell()} | {rows[f'near:{complete}'].cell()}"
        f" | {rows[f'far:{complete}'].cell()} | | {trips[complete][0]} · {trips[complete][1]} |"
        + (" |" if args.baseline else "")
    )
    lines += [
        "",
        "### Targets",
        "",
        "| target | measured | ratio / figure | limit | verdict |",
        "|---|---|---|---|---|",
    ]
    for name, _ in [*TARGETED, (complete, [])]:
        near = rows[f"near:{name}"]
        ratio = near.median() / floor_query.median()
        cpu = near.cpu() / floor_query.cpu() if floor_query.cpu() else float("nan")
        lines.append(
            f"| {name}, near / (psycopg floor + one query) | {near.median():.3f} s vs {floor_query.median():.3f} s"
            f" | {ratio:.2f}x (cpu {cpu:.2f}x) | 1.3x | {'PASS' if ratio <= 1.3 else 'FAIL'} |"
        )
    for name, _ in [*TARGETED, (complete, [])]:
        near, far = rows[f"near:{name}"], rows[f"far:{name}"]
        added = far.median() - near.median()
        lines.append(
            f"| {name}, far - near | {far.median():.3f} s - {near.median():.3f} s | {added * 1000:.0f} ms"
            f" | {budget * 1000:.0f} ms | {'PASS' if added <= budget else 'FAIL'} |"
        )
    for name, _ in WRITES:
        near, lite = rows[f"near:{name}"], rows[f"sqlite:{name}"]
        ratio = near.median() / lite.median()
        cpu = near.cpu() / lite.cpu() if lite.cpu() else float("nan")
        lines.append(
            f"| {name}, PostgreSQL near / SQLite | {near.median():.3f} s vs {lite.median():.3f} s"
            f" | {ratio:.2f}x (cpu {cpu:.2f}x) | 1.3x | {'PASS' if ratio <= 1.3 else 'FAIL'} |"
        )
    for name, _ in WRITES:  # what a write costs over the link: its round trips, the startup's included
        near, far = rows[f"near:{name}"], rows[f"far:{name}"]
        added, expected = far.median() - near.median(), (1 + trips[name][0]) * rtt
        lines.append(
            f"| {name}, far - near vs (1 + {trips[name][0]} round trips) x {rtt * 1000:.0f} ms"
            f" | {far.median():.3f} s - {near.median():.3f} s | {added * 1000:.0f} ms"
            f" | {(expected + 0.010) * 1000:.0f} ms | {'PASS' if added <= expected + 0.010 else 'FAIL'} |"
        )
    lines += [
        "",
        "Verdicts use wall-clock medians; the CPU ratio beside each shows how much of a difference is the machine"
        " being busy. Round trips and statements are counted by the proxy from the client's bytes (PostgreSQL's"
        " wire protocol) in one extra run of each command, far, after the connection's own trips (the startup)."
        " A read, Tab and a single-paper write open their connection while the program is still being imported"
        " (paperread.prefetch): the startup round trip (and libpq's SSL question, in the sslmode column) is paid"
        " during the imports, not after them; the write rows' budget still counts it, as an upper bound.",
        "",
    ]
    return "\n".join(lines)


def git_head(src: Path) -> str:
    import subprocess

    done = subprocess.run(["git", "-C", str(src), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def server_version(info: str) -> str:
    import psycopg

    with psycopg.connect(info) as conn:
        return f"PostgreSQL {conn.info.server_version // 10000}.{conn.info.server_version % 10000}"


if __name__ == "__main__":
    main()
