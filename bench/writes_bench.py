#!/usr/bin/env python
"""Single-paper writes against the least a write with this stack can cost, and against papis.

    python bench/writes_bench.py                 # 15 rounds
    python bench/writes_bench.py --reps 31 --no-papis

On the built-in catalog (90 papers), each round runs, interleaved, the write floor
``python -c "import typer, rich.table, sqlmodel"`` (Typer, rich and SQLModel imported: what
any write with the chosen stack pays before its models and its work), the lean floor, and
four writes of paperread, each on a different paper every round so each really writes:
``read KEY``, ``mark-recorded KEY --title ...``, ``note KEY --append ...`` and
``edit KEY --description ...``. When papis can be installed (a throwaway venv in
bench/work/papis-venv, made on the first run with pip), ``papis tag --add`` on a 90-entry
papis library (the same papers) runs in the same rounds: the peer's single-paper write.

Each figure is the median of the rounds: wall seconds (spawn to exit), CPU seconds
(user + system of the child) and its peak memory, through bench/run.py's ``spawn``. Writes
its section of bench/RESULTS.md (``<!-- bench:writes -->``): the target of issue 14 is each
write within 1.25x of the write floor.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.results import write_section  # noqa: E402
from bench.run import LAUNCHER_HOW, LEAN_IMPORTS, PY, WORK, Sample, child_env, console_script, git_describe, spawn  # noqa: E402

WRITE_FLOOR = "import typer, rich.table, sqlmodel"
LIMIT = 1.25
PAPIS_VERSION = "0.16.1"
PAPIS_VENV = WORK / "papis-venv"


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def papis_ready(allowed: bool) -> Path | None:
    """The papis script of the throwaway venv (made on first use), or None."""
    script = PAPIS_VENV / "bin" / "papis"
    if script.is_file() or not allowed:
        return script if script.is_file() else None
    log(f"installing papis {PAPIS_VERSION} into {PAPIS_VENV} (once) ...")
    try:
        subprocess.run([sys.executable, "-m", "venv", str(PAPIS_VENV)], check=True)
        subprocess.run([str(PAPIS_VENV / "bin" / "pip"), "install", "-q", f"papis=={PAPIS_VERSION}"], check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        log(f"  papis not installed ({exc}): measured without it")
        return None
    return script if script.is_file() else None


def papis_library(db: Path, home: Path) -> Path:
    """A papis library of the catalog's papers: one folder with an info.yaml each."""
    import json

    library = home / "library"
    if library.exists():
        return library
    library.mkdir(parents=True)
    conn = sqlite3.connect(db)
    for key, title, year in conn.execute("SELECT key, title, year FROM paper ORDER BY id"):
        folder = library / key
        folder.mkdir()
        info = {"ref": key, "title": title, "year": year, "author": "A. Author", "type": "article", "tags": []}
        # YAML is a superset of JSON: papis reads this as it reads its own files.
        (folder / "info.yaml").write_text(json.dumps(info, ensure_ascii=False) + "\n", encoding="utf-8")
    conn.close()
    return library


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--no-papis", action="store_true", help="do not install or measure papis")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    ap.add_argument("--src", type=Path, help="run this source tree (PYTHONPATH=SRC)")
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    env = child_env(args.src.resolve() if args.src else None)
    cmd, how = console_script()
    started, clock = dt.datetime.now(dt.UTC), time.perf_counter()
    db = WORK / "writes-90.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    made = spawn([*cmd, "--db", str(db), "init"], env)
    if made.rc:
        sys.exit(f"cannot create the catalog: {made.err}")
    conn = sqlite3.connect(db)
    keys = [k for (k,) in conn.execute("SELECT key FROM paper ORDER BY id")]
    conn.close()

    papis = papis_ready(not args.no_papis)
    papis_env = dict(env)
    library = None
    if papis is not None:
        home = WORK / "papis-home"
        library = papis_library(db, home)
        papis_env.update(XDG_CONFIG_HOME=str(home / "config"), XDG_CACHE_HOME=str(home / "cache"))

    def argv(name: str, r: int) -> list[str]:
        key = keys[r % len(keys)]
        return {
            "write floor": [PY, "-c", WRITE_FLOOR],
            "lean floor": [PY, "-c", LEAN_IMPORTS],
            "read KEY": [*cmd, "--db", str(db), "read", key],
            "mark-recorded KEY": [*cmd, "--db", str(db), "mark-recorded", key, "--title", f"Video {r}", "--date", "2026-01-01"],
            "note KEY --append": [*cmd, "--db", str(db), "note", key, "--append", f"line {r}"],
            "edit KEY --description": [*cmd, "--db", str(db), "edit", key, "--description", f"About it, take {r}"],
            "papis tag --add (90 entries)": [str(papis), "--lib", str(library), "tag", "--add", f"t{r}", "--all", f"ref:{key}"],
        }[name]  # fmt: skip

    names = [
        "write floor",
        "lean floor",
        "read KEY",
        "mark-recorded KEY",
        "note KEY --append",
        "edit KEY --description",
    ]
    if papis is not None:
        names.append("papis tag --add (90 entries)")
    samples: dict[str, list[Sample]] = {name: [] for name in names}
    for name in names:  # warm-up: bytecode, page cache, papis' cache of the library
        s = spawn(argv(name, -1), papis_env if name.startswith("papis") else env)
        if s.rc:
            log(f"{name} failed (exit {s.rc}): {s.err[-500:]}")
            if name.startswith("papis"):
                names.remove(name)
                samples.pop(name)
                continue
            return 1
    for r in range(args.reps):
        log(f"  round {r + 1}/{args.reps}")
        for name in names if r % 2 == 0 else list(reversed(names)):
            s = spawn(argv(name, r), papis_env if name.startswith("papis") else env)
            if s.rc:
                sys.exit(f"{name} failed (exit {s.rc}): {s.err[-500:]}")
            samples[name].append(s)

    def med(name: str) -> tuple[float, float, float]:
        v = samples[name]
        return statistics.median(s.seconds for s in v), statistics.median(s.cpu for s in v), max(s.rss_mb for s in v)

    floor_wall, floor_cpu, _ = med("write floor")
    out = ["## Single-paper writes (bench/writes_bench.py)\n"]
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    command = " ".join(["python bench/writes_bench.py", *sys.argv[1:]])
    out.append(
        f"Written by `{command}` on {started:%Y-%m-%d %H:%M} UTC in {(time.perf_counter() - clock) / 60:.1f} min; "
        f"code: {git_describe()}; load average at the end {load}. {args.reps} rounds, interleaved (every other "
        f"round reversed), after one warm-up each; median wall seconds (min-max) · median CPU seconds · peak "
        f"memory ({LAUNCHER_HOW}). The built-in catalog (90 papers), a different paper each round; paperread "
        f"runs as the {how}."
        + (f" papis {PAPIS_VERSION} in a throwaway venv, on a 90-entry library." if papis is not None else "")
        + "\n"
    )
    out.append("| command | wall (min-max) · cpu · peak | / write floor (wall) | cpu | target | verdict |")
    out.append("|---|---|---|---|---|---|")
    for name in names:
        wall, cpu, peak = med(name)
        lo, hi = min(s.seconds for s in samples[name]), max(s.seconds for s in samples[name])
        ratio, cpu_ratio = wall / floor_wall, (cpu / floor_cpu if floor_cpu else 0.0)
        is_write = name in names[2:6]
        verdict = ("PASS" if ratio <= LIMIT else "FAIL") if is_write else "-"
        out.append(
            f"| {name} | {wall:.3f} ({lo:.3f}-{hi:.3f}) · cpu {cpu:.3f} · {peak:.0f} MB | {ratio:.2f}x | "
            f"{cpu_ratio:.2f}x | {f'<= {LIMIT}x' if is_write else '-'} | {verdict} |"
        )
    out.append(
        f'\nThe write floor is `python -c "{WRITE_FLOOR}"`; verdicts use the wall-clock medians, the CPU ratio '
        "beside each shows how much is the machine being busy."
    )
    body = "\n".join(out) + "\n"
    write_section(args.out, "writes", body)
    sys.stdout.write(body)
    log(f"wrote the writes section of {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
