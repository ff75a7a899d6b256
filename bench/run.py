#!/usr/bin/env python
"""paperread's benchmark: whole-process timings against floors measured in the same run.

    python bench/run.py                    # 90, 10,000 and 100,000 papers, 11 repetitions
    python bench/run.py --quick            # 90 and 10,000 papers, 3 repetitions
    python bench/run.py --sizes 90,100000 --reps 11 --out /tmp/RESULTS.md
    python bench/run.py --src /tmp/old     # another checkout (e.g. git archive of a commit)

Every measurement is a fresh child process of the installed console script (the
``paperread`` next to this Python, not a shell shim), timed from spawn to exit, with its
peak memory from ``os.wait4`` (ru_maxrss of that child alone). The floors are timed the
same way in the same rounds: ``python -c pass`` and the lean floor ``python -c "import
typer, rich.table, sqlite3"``. Commands and floors are interleaved round by round, so a
busy machine slows them alike. Children run without PYTHONDONTWRITEBYTECODE and with a
bytecode cache under bench/work/pycache (as an installed package has its .pyc files),
after one untimed warm-up run each.

Catalogs: 90 papers is the built-in one (``paperread init``); the larger ones come from
bench/synth.py (seeded) through the real schema (Alembic upgrade + exchange.load_document)
and are cached in bench/work/ (git-ignored) until synth.py or the migrations change.
Commands that do not exist yet show as "n/a (not available)" and are picked up as soon
as ``paperread COMMAND --help`` answers. Writes bench/RESULTS.md (or --out).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PY = sys.executable
BUILTIN = 90  # the size of the built-in catalog; "90" in --sizes means it
SEARCH_WORD = "transformer"
LEAN_IMPORTS = "import typer, rich.table, sqlite3"
S2_BATCH = 500  # ids per S2 batch request: 100,000 papers = 200 requests


# ---------------------------------------------------------------------------- processes


@dataclass
class Sample:
    seconds: float  # wall clock, spawn to exit
    rss_mb: float  # the child's own peak resident memory
    rc: int
    err: str = ""
    cpu: float = 0.0  # user + system CPU seconds of the child (less sensitive to a busy machine)


def _launcher() -> tuple[list[str], str]:
    """A small process between us and each child, so that the child's ru_maxrss is its own.

    (Linux carries a parent's peak RSS into a forked child across exec, so a child of this
    benchmark, which holds a fake S2 server's 100,000 papers, would report our peak.)
    GNU time when present, else a tiny ``python -S`` launcher; both cost about the same in
    every measurement, floors included.
    """
    if Path("/usr/bin/time").is_file():
        return ["/usr/bin/time", "-f", "%M %U %S", "-o"], "GNU /usr/bin/time (%M)"
    return [PY, "-S", "-c", MAXRSS_LAUNCHER], "a python -S launcher (os.wait4)"


MAXRSS_LAUNCHER = (
    "import os,sys\n"
    "pid=os.posix_spawn(sys.argv[2],sys.argv[2:],os.environ) if '/' in sys.argv[2] else os.posix_spawnp(sys.argv[2],sys.argv[2:],os.environ)\n"
    "_,st,ru=os.wait4(pid,0)\n"
    "open(sys.argv[1],'w').write('%d %f %f' % (ru.ru_maxrss, ru.ru_utime, ru.ru_stime))\n"
    "sys.exit(os.waitstatus_to_exitcode(st) & 255)\n"
)
LAUNCHER, LAUNCHER_HOW = _launcher()


def spawn(argv: list[str], env: dict[str, str], *, stdout: Path | None = None, timeout: float = 900) -> Sample:
    """One child process, timed from spawn to exit, with its own peak RSS."""
    with (
        open(stdout or os.devnull, "wb") as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile("r", suffix=".rss") as rss,
    ):
        start = time.perf_counter()
        proc = subprocess.Popen(
            [*LAUNCHER, rss.name, *argv], stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env, cwd=WORK
        )
        killer = threading.Timer(timeout, proc.kill)  # Popen.wait(timeout) polls every 50 ms: too coarse
        killer.start()
        try:
            rc = proc.wait()
        finally:
            killer.cancel()
        seconds = time.perf_counter() - start
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
        raw = rss.read().strip().splitlines()
    try:
        kb, user, system = raw[-1].split()
        return Sample(seconds, int(kb) / 1024, rc, text, float(user) + float(system))
    except (IndexError, ValueError):  # killed, or GNU time's "Command exited with non-zero status"
        return Sample(seconds, 0.0, rc, text)


def console_script() -> tuple[list[str], str]:
    """The installed entry point beside this interpreter, else ``python -m paperread``."""
    script = Path(PY).with_name("paperread")
    if script.is_file():
        return [str(script)], f"console script `{script}` (its shebang: this Python)"
    return [PY, "-m", "paperread"], "`python -m paperread` (no console script beside this Python)"


def child_env(src: Path | None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PAPERREAD_") and k not in ("S2_API_KEY", "PYTHONDONTWRITEBYTECODE", "PYTHONPATH")
    }
    home = WORK / "home"
    home.mkdir(parents=True, exist_ok=True)
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / "data"),
        PAPERREAD_USER="bench",
        PAPERREAD_S2_URL="http://127.0.0.1:9/graph/v1",  # discard port: nothing leaves the machine
        NO_COLOR="1",
        COLUMNS="120",
        PYTHONPYCACHEPREFIX=str(WORK / "pycache"),
    )
    if src is not None:
        env["PYTHONPATH"] = str(src)
    return env


# ---------------------------------------------------------------------------- catalogs


def catalog_fingerprint(src: Path) -> str:
    h = hashlib.sha1((ROOT / "bench" / "synth.py").read_bytes())
    for path in sorted((src / "migrations" / "versions").glob("*.py")):
        h.update(path.name.encode())
    return h.hexdigest()[:10]


BUILD = """
import sys
sys.path.insert(0, {root!r})
from bench.synth import make_document
from paperread.config import resolve_target
from paperread.engine import make_engine, upgrade
from paperread.exchange.bulk import load_document
engine = make_engine(resolve_target({path!r}))
with engine.begin() as conn:
    upgrade(conn)
    load_document(conn, make_document({n}, seed={seed}))
engine.dispose()
"""


def build_catalog(n: int, seed: int, env: dict[str, str], src: Path, cmd: list[str]) -> Path:
    if n == BUILTIN:
        path = WORK / "builtin-90.db"
        remove_db(path)
        sample = spawn([*cmd, "--db", str(path), "init"], env)
        if sample.rc:
            sys.exit(f"cannot create the built-in catalog: {sample.err}")
        return path
    path = WORK / f"synth-{n}-seed{seed}-{catalog_fingerprint(src)}.db"
    if path.exists():
        return path
    tmp = path.with_suffix(".building")
    remove_db(tmp)
    log(f"building a {n:,}-paper catalog (once; cached as {path.name}) ...")
    start = time.perf_counter()
    sample = spawn([PY, "-c", BUILD.format(root=str(ROOT), path=str(tmp), n=n, seed=seed)], env, timeout=3600)
    if sample.rc:
        sys.exit(f"cannot build the {n}-paper catalog:\n{sample.err}")
    checkpoint(tmp)
    tmp.rename(path)
    log(f"  built in {time.perf_counter() - start:.0f} s")
    return path


def remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def checkpoint(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def copy_db(src: Path, dst: Path) -> Path:
    remove_db(dst)
    checkpoint(src)
    shutil.copyfile(src, dst)
    return dst


def sql_one(path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def rich_paper_key(path: Path) -> str:
    """A paper with a video (and, when the catalog has them, a note and citation history)."""
    for sql in (
        """SELECT p.key FROM paper p JOIN reading r ON r.paper_id = p.id AND r.note IS NOT NULL
           WHERE EXISTS (SELECT 1 FROM video_paper vp WHERE vp.paper_id = p.id)
             AND EXISTS (SELECT 1 FROM citation_history h WHERE h.paper_id = p.id) ORDER BY p.id LIMIT 1""",
        "SELECT p.key FROM paper p WHERE p.key = 'resnet'",
        "SELECT p.key FROM paper p JOIN video_paper vp ON vp.paper_id = p.id ORDER BY p.id LIMIT 1",
    ):
        rows = sql_one(path, sql)
        if rows:
            return rows[0][0]
    raise SystemExit(f"{path} has no paper with a video")


def unrecorded_keys(path: Path, count: int) -> list[str]:
    rows = sql_one(
        path,
        """SELECT p.key FROM paper p WHERE NOT p.marked_recorded
           AND NOT EXISTS (SELECT 1 FROM video_paper vp WHERE vp.paper_id = p.id) ORDER BY p.id LIMIT ?""",
        (count,),
    )
    return [r[0] for r in rows]


def vision_count(path: Path) -> int:
    return sql_one(
        path,
        "SELECT COUNT(*) FROM paper p JOIN category c ON c.id = p.category_id "
        "WHERE c.slug = 'vision' OR c.slug LIKE 'vision/%'",
    )[0][0]


def paper_count(path: Path) -> int:
    return sql_one(path, "SELECT COUNT(*) FROM paper")[0][0]


# ---------------------------------------------------------------------------- availability


class Cli:
    def __init__(self, cmd: list[str], env: dict[str, str], probe_db: Path) -> None:
        self.cmd, self.env, self.probe_db = cmd, env, probe_db
        self._help: dict[tuple[str, ...], str | None] = {}

    def help(self, *words: str) -> str | None:
        """The --help text of a command, None when the command does not exist."""
        if words not in self._help:
            proc = subprocess.run(
                [*self.cmd, "--db", str(self.probe_db), *words, "--help"],
                capture_output=True,
                text=True,
                env={**self.env, "COLUMNS": "200"},
                cwd=WORK,
                timeout=120,
            )
            self._help[words] = proc.stdout if proc.returncode == 0 else None
        return self._help[words]

    def first(self, *candidates: tuple[str, ...]) -> tuple[tuple[str, ...], str] | None:
        for words in candidates:
            text = self.help(*words)
            if text is not None:
                return words, text
        return None


# ---------------------------------------------------------------------------- results


@dataclass
class Result:
    name: str
    size: int | None  # None: size-independent (floors, --version)
    samples: list[Sample] = field(default_factory=list)
    note: str = ""  # "n/a (not available)", "failed: ...", or extra figures
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.samples) and not self.note.startswith(("n/a", "failed"))

    @property
    def median(self) -> float:
        return statistics.median(s.seconds for s in self.samples)

    @property
    def spread(self) -> tuple[float, float]:
        return min(s.seconds for s in self.samples), max(s.seconds for s in self.samples)

    @property
    def cpu(self) -> float:
        return statistics.median(s.cpu for s in self.samples)

    @property
    def rss(self) -> float:
        return max(s.rss_mb for s in self.samples)

    def cell(self) -> str:
        if not self.ok:
            return self.note or "-"
        lo, hi = self.spread
        return f"{self.median:.3f} ({lo:.3f}-{hi:.3f}) · cpu {self.cpu:.3f} · {self.rss:.0f} MB"


def log(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


# ---------------------------------------------------------------------------- the run


@dataclass
class Measure:
    """One command for one catalog, run in the interleaved rounds."""

    name: str
    size: int | None
    argv: list[str] | Callable[[int], list[str]]  # a callable gets the round (-1: warm-up)
    env: dict[str, str]
    check: Callable[[Sample, Path], str | None] | None = None  # returns a failure note
    stdout: Path | None = None

    def args(self, round_: int) -> list[str]:
        return self.argv(round_) if callable(self.argv) else self.argv


def run_rounds(measures: list[Measure], reps: int) -> dict[tuple[str, int | None], Result]:
    results = {(m.name, m.size): Result(m.name, m.size) for m in measures}
    live = []
    for m in measures:  # warm-up (bytecode, page cache) and a check that it works
        out = m.stdout or (WORK / "warmup.out")
        sample = spawn(m.args(-1), m.env, stdout=out)
        failure = f"exit {sample.rc}" if sample.rc else (m.check(sample, out) if m.check else None)
        if failure:
            first = (sample.err.strip().splitlines() or [""])[-1][:120]
            results[(m.name, m.size)].note = f"failed: {failure} {first}".strip()
            log(f"  {m.name} [{m.size}] failed: {failure}\n{textwrap.indent(sample.err[-2000:], '    ')}")
        else:
            live.append(m)
    for rep in range(reps):
        log(f"  round {rep + 1}/{reps}")
        order = live if rep % 2 == 0 else list(reversed(live))
        for m in order:
            sample = spawn(m.args(rep), m.env, stdout=m.stdout)
            if sample.rc:
                results[(m.name, m.size)].note = f"failed: exit {sample.rc}"
            results[(m.name, m.size)].samples.append(sample)
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="3 repetitions, 90 and 10,000 papers (unless --sizes/--reps)")
    ap.add_argument(
        "--sizes", help="comma-separated catalog sizes (90 = the built-in catalog); default 90,10000,100000"
    )
    ap.add_argument("--reps", type=int, help="repetitions of each quick command (default 11, --quick 3)")
    ap.add_argument("--heavy-reps", type=int, help="repetitions of export/import/sync (default 3, --quick 1)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the synthetic catalogs")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md", help="the Markdown report")
    ap.add_argument("--src", type=Path, help="run another source tree (PYTHONPATH=SRC), e.g. an old commit's archive")
    args = ap.parse_args(argv)

    sizes = (
        [int(s.replace("_", "")) for s in args.sizes.split(",")]
        if args.sizes
        else ([BUILTIN, 10_000] if args.quick else [BUILTIN, 10_000, 100_000])
    )
    if BUILTIN not in sizes:
        sizes.insert(0, BUILTIN)  # every ratio target needs the floors and the 90-paper times
    reps = args.reps or (3 if args.quick else 11)
    heavy_reps = args.heavy_reps or (1 if args.quick else 3)
    WORK.mkdir(parents=True, exist_ok=True)
    src = (args.src or ROOT).resolve()
    env = child_env(args.src.resolve() if args.src else None)
    cmd, how = console_script()
    started = dt.datetime.now(dt.UTC)
    wall = time.perf_counter()

    log("catalogs ...")
    catalogs = {n: build_catalog(n, args.seed, env, src, cmd) for n in sizes}
    counts = {n: paper_count(p) for n, p in catalogs.items()}
    cli = Cli(cmd, env, catalogs[BUILTIN])

    # --------------------------------------------------------------- interleaved quick commands
    measures = [
        Measure("python -c pass", None, [PY, "-c", "pass"], env),
        Measure("python -S -c pass (no site, no .pth hooks)", None, [PY, "-S", "-c", "pass"], env),
        Measure(f'lean floor: python -c "{LEAN_IMPORTS}"', None, [PY, "-c", LEAN_IMPORTS], env),
        Measure("paperread --version", None, [*cmd, "--version"], env),
    ]
    for n in sizes:
        db = str(catalogs[n])
        key = rich_paper_key(catalogs[n])
        comp_env = {
            **env,
            "_PAPERREAD_COMPLETE": "complete_bash",
            "COMP_WORDS": f"paperread --db {db} show res",
            "COMP_CWORD": "4",
        }
        measures += [
            Measure("complete `show res<Tab>`", n, [*cmd], comp_env, check=_expect_stdout("res")),
            Measure(
                "list --category vision --limit 50",
                n,
                [*cmd, "--db", db, "list", "--category", "vision", "--limit", "50"],
                env,
                check=_expect_lines(min(50, vision_count(catalogs[n]))),
            ),
            Measure(
                "list --json (all rows)",
                n,
                [*cmd, "--db", db, "list", "--json"],
                env,
                check=_expect_json_len(counts[n]),
                stdout=WORK / "list.json",
            ),
            Measure(f"show {key}", n, [*cmd, "--db", db, "show", key], env, check=_expect_stdout(key)),
            Measure("stats", n, [*cmd, "--db", db, "stats"], env, check=_expect_stdout("recorded")),
            Measure(
                f"search {SEARCH_WORD}",
                n,
                [*cmd, "--db", db, "search", SEARCH_WORD],
                env,
                check=_expect_stdout(SEARCH_WORD, case=False),
            ),
        ]
    mark = cli.first(("mark-recorded",))
    for n in sizes:  # a write, in the same rounds: a different paper each run, so each really writes
        if mark is None:
            continue
        scratch = copy_db(catalogs[n], WORK / f"scratch-{n}.db")
        keys = unrecorded_keys(scratch, reps + 1)
        extra = ["--title", "A benchmark video", "--date", "2026-01-01"] if "--title" in mark[1] else []
        measures.append(
            Measure(
                "mark-recorded KEY",
                n,
                lambda r, db=str(scratch), keys=keys, extra=extra: [*cmd, "--db", db, *mark[0], keys[r + 1], *extra],
                env,
            )
        )
    log(f"quick commands: {len(measures)} measures x {reps} rounds ...")
    results = run_rounds(measures, reps)
    for key, res in results.items():  # "show resnet" and "show bert-00042" are one row
        if key[0].startswith("show "):
            res.extra["shown"] = key[0]
    results = {(("show KEY" if k[0].startswith("show ") else k[0]), k[1]): r for k, r in results.items()}
    for n in sizes:
        if mark is None:
            results[("mark-recorded KEY", n)] = Result("mark-recorded KEY", n, note="n/a (not available)")

    # --------------------------------------------------------------- export / import
    export = cli.first(("export", "json"), ("export", "--format", "json"), ("export",))
    import_ = cli.first(("import",))
    for n in sizes:
        db = catalogs[n]
        exp_res = results[("export json", n)] = Result("export json", n)
        imp_res = results[("import (of that export)", n)] = Result("import (of that export)", n)
        if export is None:
            exp_res.note = "n/a (not available)"
        else:
            words, text = export
            dump = WORK / f"export-{n}.json"
            argv = [*cmd, "--db", str(db), *words]
            to_file = "--output" in text
            argv += ["--output", str(dump)] if to_file else []
            log(f"export json [{n}] x {heavy_reps} ...")
            for _ in range(heavy_reps):
                dump.unlink(missing_ok=True)
                sample = spawn(argv, env, stdout=None if to_file else dump)
                exp_res.samples.append(sample)
                if sample.rc:
                    exp_res.note = f"failed: exit {sample.rc} {_last_line(sample.err)}"
                    break
            if exp_res.ok:
                exp_res.extra["papers_per_s"] = counts[n] / exp_res.median
                exp_res.extra["mb"] = dump.stat().st_size / 1e6
        if import_ is None:
            imp_res.note = "n/a (not available)"
        elif not exp_res.ok:
            imp_res.note = "n/a (no export to import)"
        else:
            target = WORK / f"import-{n}.db"
            log(f"import [{n}] x {heavy_reps} ...")
            for _ in range(heavy_reps):
                remove_db(target)
                made = spawn([*cmd, "--db", str(target), "init", "--empty"], env)
                if made.rc:
                    imp_res.note = f"failed: init --empty: {_last_line(made.err)}"
                    break
                sample = spawn([*cmd, "--db", str(target), *import_[0], str(WORK / f"export-{n}.json")], env)
                imp_res.samples.append(sample)
                if sample.rc:
                    imp_res.note = f"failed: exit {sample.rc} {_last_line(sample.err)}"
                    break
            if imp_res.ok:
                got = paper_count(target)
                imp_res.extra["papers_per_s"] = counts[n] / imp_res.median
                if got != counts[n]:
                    imp_res.note = f"failed: imported {got} of {counts[n]} papers"

    # --------------------------------------------------------------- sync-citations
    sync = cli.first(("sync-citations",))
    for n in sizes:
        res = results[("sync-citations (fake S2)", n)] = Result("sync-citations (fake S2)", n)
        if sync is None:
            res.note = "n/a (not available)"
            continue
        log(f"sync-citations [{n}] x {heavy_reps} ...")
        run_sync(
            res, cmd, env, catalogs[n], n, heavy_reps, ["--stale-after", "0"] if "--stale-after" in sync[1] else []
        )

    # --------------------------------------------------------------- report
    report = render(results, sizes, counts, reps, heavy_reps, how, started, time.perf_counter() - wall, args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.out.exists():  # the sections other bench scripts wrote (bench/results.py) stay
        from bench.results import keep_sections

        report = keep_sections(args.out.read_text(encoding="utf-8"), report)
    args.out.write_text(report, encoding="utf-8")
    (WORK / "last-run.json").write_text(
        json.dumps(
            {
                f"{name} [{size}]": {
                    "median_s": r.median if r.ok else None,
                    "min_s": r.spread[0] if r.ok else None,
                    "max_s": r.spread[1] if r.ok else None,
                    "peak_mb": r.rss if r.ok else None,
                    "note": r.note,
                    **r.extra,
                }
                for (name, size), r in results.items()
            },
            indent=1,
        ),
        encoding="utf-8",
    )
    sys.stdout.write(report)
    log(f"wrote {args.out}")
    return 0


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:160] if lines else ""


def _expect_stdout(word: str, case: bool = True) -> Callable[[Sample, Path], str | None]:
    def check(_sample: Sample, out: Path) -> str | None:
        text = out.read_text(encoding="utf-8", errors="replace")
        found = word in text if case else word.lower() in text.lower()
        return None if found else f"'{word}' not in the output"

    return check


def _expect_lines(count: int) -> Callable[[Sample, Path], str | None]:
    def check(_sample: Sample, out: Path) -> str | None:
        got = len(out.read_text(encoding="utf-8").splitlines())
        return None if got == count else f"{got} lines, expected {count}"

    return check


def _expect_json_len(count: int) -> Callable[[Sample, Path], str | None]:
    def check(_sample: Sample, out: Path) -> str | None:
        try:
            got = len(json.loads(out.read_text(encoding="utf-8")))
        except ValueError as exc:
            return f"not JSON ({exc})"
        return None if got == count else f"{got} rows, expected {count}"

    return check


# ---------------------------------------------------------------------------- sync


TX_PROBE = r"""
import atexit, sys, sqlite3
counts = {"BEGIN": 0, "COMMIT": 0, "ROLLBACK": 0}
_connect = sqlite3.connect
def _trace(stmt):
    word = stmt.lstrip().split(None, 1)[0].upper() if stmt.strip() else ""
    if word in counts:
        counts[word] += 1
def connect(*a, **k):
    conn = _connect(*a, **k)
    conn.set_trace_callback(_trace)
    return conn
sqlite3.connect = sqlite3.dbapi2.connect = connect
atexit.register(lambda: sys.stderr.write("BENCH-TX %(BEGIN)d %(COMMIT)d %(ROLLBACK)d\n" % counts))
sys.argv = ["paperread", *sys.argv[1:]]
from paperread.cli import main
main()
"""


def run_sync(
    res: Result, cmd: list[str], env: dict[str, str], catalog: Path, n: int, reps: int, extra: list[str]
) -> None:
    from tests.fake_s2 import FakeS2Server

    rows = sql_one(catalog, "SELECT s2_id, title, year, citation_count FROM paper WHERE s2_id IS NOT NULL")
    with FakeS2Server() as server:
        for s2_id, title, year, cites in rows:  # every count moves: each paper gets a history point
            server.add_paper(s2_id, title=title, year=year, citations=(cites or 0) + 7)
        sync_env = {**env, "PAPERREAD_S2_URL": server.base_url, "PAPERREAD_S2_INTERVAL": "0"}
        scratch = WORK / f"scratch-sync-{n}.db"
        for rep in range(reps + 1):  # the first run probes transactions (tracing costs time)
            copy_db(catalog, scratch)
            before = len(server.requests)
            if rep == 0:
                sample = spawn([PY, "-c", TX_PROBE, "--db", str(scratch), "sync-citations", *extra], sync_env)
            else:
                sample = spawn([*cmd, "--db", str(scratch), "sync-citations", *extra], sync_env)
            requests = len(server.requests) - before
            if sample.rc:
                res.note = f"failed: exit {sample.rc} {_last_line(sample.err)}"
                return
            if rep == 0:
                tx = next((line.split()[1:] for line in sample.err.splitlines() if line.startswith("BENCH-TX")), None)
                if tx:
                    res.extra["transactions"] = int(tx[1])  # COMMITs
                res.extra["requests"] = requests
                res.extra["s2_ids"] = len(rows)
                fetched = sql_one(scratch, "SELECT COUNT(*) FROM paper WHERE citation_count IS NOT NULL")[0][0]
                res.extra["papers_with_citations"] = fetched
            else:
                res.samples.append(sample)
                res.extra.setdefault("requests_each", []).append(requests)


# ---------------------------------------------------------------------------- report


def machine() -> list[tuple[str, str]]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return [
        ("cpus (nproc)", str(os.cpu_count())),
        ("cpu", cpu),
        ("os", f"{platform.system()} {platform.release()}"),
        ("python", f"{platform.python_version()} ({PY})"),
        ("sqlite", sqlite3.sqlite_version),
        ("load average at the end (1/5/15 min)", load),
    ]


def package_versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for name in ("paperread", "typer", "rich", "sqlalchemy", "sqlmodel", "alembic"):
        try:
            out.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            pass
    return ", ".join(out)


def git_describe() -> str:
    """The commit measured: git's answer, else a snapshot's BENCH_COMMIT file (``git archive``
    of a commit into a directory, run with --src, has no .git)."""
    stamp = ROOT / "BENCH_COMMIT"
    if stamp.is_file():
        return stamp.read_text(encoding="utf-8").strip()
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "paperread"], cwd=ROOT, capture_output=True, text=True
        ).stdout
    except OSError:
        return "?"
    return f"{head}{' + uncommitted changes in paperread/' if dirty.strip() else ''}"


def render(
    results: dict[tuple[str, int | None], Result],
    sizes: list[int],
    counts: dict[int, int],
    reps: int,
    heavy_reps: int,
    how: str,
    started: dt.datetime,
    wall: float,
    args: argparse.Namespace,
) -> str:
    get = results.get
    lean = get((f'lean floor: python -c "{LEAN_IMPORTS}"', None))
    out: list[str] = []
    w = out.append
    w("# paperread benchmark results\n")
    w(
        f"Written by `python bench/run.py{' --quick' if args.quick else ''}"
        f"{' --sizes ' + args.sizes if args.sizes else ''}{' --reps ' + str(args.reps) if args.reps else ''}` on "
        f"{started:%Y-%m-%d %H:%M} UTC in {wall / 60:.1f} min; code: {git_describe()}"
        f"{'; source tree ' + str(args.src) if args.src else ''}.\n"
    )
    w("| machine | |\n|---|---|")
    for k, v in machine():
        w(f"| {k} | {v} |")
    w(f"| packages | {package_versions()} |")
    w("")
    w(
        f"Each cell: **median wall seconds (min-max) · median CPU seconds (user+system) · peak memory** "
        f"of a whole process, spawn to exit, "
        f"{reps} runs (export/import/sync: {heavy_reps}) after one warm-up; commands and floors interleaved "
        f"round by round; peak memory is the child's own ru_maxrss, through {LAUNCHER_HOW}. paperread is run as the {how}, stdout to /dev/null or a file (the piped, "
        f"plain-text path), with compiled bytecode. Catalogs: "
        + ", ".join(
            f"{counts[n]:,} papers" + (" (built-in)" if n == BUILTIN else f" (bench/synth.py, seed {args.seed})")
            for n in sizes
        )
        + ".\n"
    )

    w("## Floors\n")
    w("| floor | median (min-max) · peak |\n|---|---|")
    for (name, size), r in results.items():
        if size is None:
            w(f"| {name} | {r.cell()} |")
    w("")

    w("## Commands\n")
    w("| command | " + " | ".join(f"{counts[n]:,} papers" for n in sizes) + " |")
    w("|---|" + "---|" * len(sizes))
    names: list[str] = []
    for name, size in results:
        if size is not None and name not in names:
            names.append(name)
    for name in names:
        cells = []
        for n in sizes:
            r = get((name, n))
            cell = r.cell() if r else "-"
            if r and r.ok and "papers_per_s" in r.extra:
                cell += f" · {r.extra['papers_per_s']:,.0f} papers/s"
            if r and r.ok and "requests" in r.extra:
                cell += f" · {r.extra['requests']} requests, {r.extra.get('transactions', '?')} commits"
            cells.append(cell)
        w(f"| {name} | " + " | ".join(cells) + " |")
    shown = sorted({r.extra["shown"] for r in results.values() if "shown" in r.extra})
    if shown:
        w(
            f"\n`show KEY` shows a paper with videos (and on synthetic catalogs a note and citation history): "
            f"{', '.join(f'`{s[5:]}`' for s in shown)}. `search {SEARCH_WORD}` matches about 1 in 1,000 synthetic titles."
        )
    w("")

    w("## Targets\n")
    w("| target | measured | ratio / figure | limit | verdict |\n|---|---|---|---|---|")
    big = max(sizes)
    small = BUILTIN

    def ratio_row(label: str, a: Result | None, b: Result | None, limit: float, what_b: str) -> None:
        if not a or not b or not a.ok or not b.ok:
            why = next((x.note for x in (a, b) if x and x.note), "not measured")
            w(f"| {label} | {why} | - | {limit}x | n/a |")
            return
        ratio = a.median / b.median
        cpu = f" (cpu {a.cpu / b.cpu:.2f}x)" if a.cpu and b.cpu else ""
        w(
            f"| {label} | {a.median:.3f} s vs {what_b} {b.median:.3f} s | {ratio:.2f}x{cpu} | {limit}x | "
            f"{'PASS' if ratio <= limit else 'FAIL'} |"
        )

    def figure_row(
        label: str, r: Result | None, value: float | None, limit: float, unit: str, at_least: bool = False
    ) -> None:
        if not r or not r.ok or value is None:
            w(
                f"| {label} | {(r.note if r and r.note else 'not measured')} | - | {'>=' if at_least else '<'} {limit:,} {unit} | n/a |"
            )
            return
        ok = value >= limit if at_least else value < limit
        w(
            f"| {label} | | {value:,.0f} {unit} | {'>=' if at_least else '<'} {limit:,} {unit} | {'PASS' if ok else 'FAIL'} |"
        )

    for name, limit in (
        ("list --category vision --limit 50", 1.3),
        ("show KEY", 1.3),
        ("stats", 1.3),
        (f"search {SEARCH_WORD}", 1.3),
        ("complete `show res<Tab>`", 1.3),
    ):
        ratio_row(f"{name} on {counts[small]} papers / lean floor", get((name, small)), lean, limit, "lean floor")
    ratio_row("paperread --version / lean floor", get(("paperread --version", None)), lean, 1.1, "lean floor")
    if big != small:
        nb = f"{counts[big]:,}"
        for name, limit in (("list --category vision --limit 50", 1.3), ("stats", 2.0), (f"search {SEARCH_WORD}", 2.0)):
            ratio_row(
                f"{name}: {nb} / {counts[small]} papers",
                get((name, big)),
                get((name, small)),
                limit,
                f"{counts[small]} papers",
            )
        r = get(("list --json (all rows)", big))
        figure_row(f"list --json of {nb} rows: peak memory", r, r.rss if r and r.ok else None, 150, "MB")
        ratio_row(
            f"mark-recorded: {nb} / {counts[small]} papers",
            get(("mark-recorded KEY", big)),
            get(("mark-recorded KEY", small)),
            1.5,
            f"{counts[small]} papers",
        )
        for name in ("import (of that export)", "export json"):
            r = get((name, big))
            figure_row(
                f"{name} of {nb} papers: papers/s",
                r,
                r.extra.get("papers_per_s") if r else None,
                20_000,
                "papers/s",
                True,
            )
        r = get(("sync-citations (fake S2)", big))
        expected = -(-counts[big] // S2_BATCH)
        figure_row(
            f"sync-citations of {nb} papers: requests (exactly {expected})",
            r,
            r.extra.get("requests") if r else None,
            expected + 1,
            "requests",
        )
        if r and r.ok and r.extra.get("requests") is not None and r.extra["requests"] != expected:
            out[-1] = out[-1].replace("PASS", "FAIL")
        figure_row(f"sync-citations of {nb} papers: peak memory", r, r.rss if r and r.ok else None, 200, "MB")
        tx = r.extra.get("transactions") if r and r.ok else None
        w(
            f"| sync-citations of {nb} papers: one transaction per batch | "
            f"{'' if tx is not None else (r.note if r and r.note else 'not measured')} | "
            f"{'-' if tx is None else f'{tx} commits for {expected} batches'} | "
            f"{expected} batches (+ setup) | "
            f"{'n/a' if tx is None else ('PASS' if expected <= tx <= expected + 3 else 'FAIL')} |"
        )
    else:
        w("| targets on large catalogs | run without --quick or with --sizes ...,100000 | - | - | n/a |")
    w("")
    w(
        "Verdicts use the wall-clock medians; the CPU ratio beside each shows how much of a "
        "difference is the machine being busy. Commits are counted in one extra traced run of "
        "sync-citations (every sqlite3 statement seen through a trace callback); the timed runs "
        "are not traced.\n"
    )
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
