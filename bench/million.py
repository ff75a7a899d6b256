#!/usr/bin/env python
"""A million papers: every command a user runs, on 1,000,000 papers against 90.

    python bench/million.py                    # 1,000,000 papers, 5 rounds of the quick commands
    python bench/million.py --papers 200000 --reps 3 --out /tmp/RESULTS.md

The catalog comes from bench/synth.py (seeded: papers with videos, notes and citation
history) loaded through the real schema, as bench/run.py builds its catalogs, and is cached in
bench/work/ until synth.py or the migrations change (building it takes about 2 minutes and
3.5 GB of memory, once). Every measurement is a child process of the installed console script
timed from spawn to exit, with its CPU time and its own peak memory (bench/run.py's ``spawn``).
The quick commands (reads and a write) and the floors run interleaved round by round on both
catalogs, so a busy machine slows them alike; ``export json``, ``sync-citations`` (against a
fake Semantic Scholar on 127.0.0.1, one request per 500 papers) and the site's build, when
the command exists, run once per catalog.

Writes its section of bench/RESULTS.md (``<!-- bench:million -->``) with the targets of issue
14: reads within 2x of their time on 90 papers, writes within 1.5x, ``list --json`` streamed
under 150 MB, ``sync-citations`` exactly 2,000 requests and under 250 MB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.results import write_section  # noqa: E402
from bench.run import (  # noqa: E402
    BUILTIN,
    LAUNCHER_HOW,
    LEAN_IMPORTS,
    PY,
    S2_BATCH,
    SEARCH_WORD,
    WORK,
    Cli,
    Measure,
    Result,
    _expect_lines,
    _expect_stdout,
    build_catalog,
    child_env,
    console_script,
    copy_db,
    git_describe,
    paper_count,
    rich_paper_key,
    run_rounds,
    run_sync,
    spawn,
    unrecorded_keys,
    vision_count,
)

READ_LIMIT, WRITE_LIMIT, STREAM_MB, SYNC_MB = 2.0, 1.5, 150, 250
HEAD_LINES = 20


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def quick_measures(
    cmd: list[str], env: dict[str, str], catalogs: dict[int, Path], reps: int, cli: Cli
) -> list[Measure]:
    measures = [
        Measure("python -c pass", None, [PY, "-c", "pass"], env),
        Measure(f'lean floor: python -c "{LEAN_IMPORTS}"', None, [PY, "-c", LEAN_IMPORTS], env),
        Measure(
            'write floor: python -c "import typer, rich.table, sqlmodel"',
            None,
            [PY, "-c", "import typer, rich.table, sqlmodel"],
            env,
        ),
    ]
    mark = cli.first(("mark-recorded",))
    for n, path in catalogs.items():
        db = str(path)
        key = rich_paper_key(path)
        measures += [
            Measure(
                "list --category vision --limit 50",
                n,
                [*cmd, "--db", db, "list", "--category", "vision", "--limit", "50"],
                env,
                check=_expect_lines(min(50, vision_count(path))),
            ),
            Measure("show KEY", n, [*cmd, "--db", db, "show", key], env, check=_expect_stdout(key)),
            Measure("stats", n, [*cmd, "--db", db, "stats"], env, check=_expect_stdout("recorded")),
            Measure(
                f"search {SEARCH_WORD}",
                n,
                [*cmd, "--db", db, "search", SEARCH_WORD],
                env,
                check=_expect_stdout(SEARCH_WORD, case=False),
            ),
            Measure(
                f"list --json, piped to head -n {HEAD_LINES}",
                n,
                ["/bin/sh", "-c", f'"$0" "$@" | head -n {HEAD_LINES}', *cmd, "--db", db, "list", "--json"],
                env,
                check=_expect_lines(HEAD_LINES),
            ),
            Measure(
                "list --json (all rows, to a file)",
                n,
                [*cmd, "--db", db, "list", "--json"],
                env,
                stdout=WORK / "m.json",
            ),
        ]
        if mark is not None:
            scratch = copy_db(path, WORK / f"million-scratch-{n}.db")
            keys = unrecorded_keys(scratch, reps + 1)
            extra = ["--title", "A benchmark video", "--date", "2026-01-01"] if "--title" in mark[1] else []
            measures.append(
                Measure(
                    "mark-recorded KEY (a write)",
                    n,
                    lambda r, db=str(scratch), keys=keys, extra=extra: [
                        *cmd,
                        "--db",
                        db,
                        *mark[0],
                        keys[r + 1],
                        *extra,
                    ],
                    env,
                )
            )
    return measures


def heavy(cmd: list[str], env: dict[str, str], catalogs: dict[int, Path], cli: Cli) -> dict[tuple[str, int], Result]:
    out: dict[tuple[str, int], Result] = {}
    for n, path in catalogs.items():
        res = out[("export json", n)] = Result("export json", n)
        dump = WORK / f"million-export-{n}.json"
        log(f"export json [{n:,}] ...")
        sample = spawn([*cmd, "--db", str(path), "export", "json", "-o", str(dump)], env, timeout=7200)
        res.samples.append(sample)
        if sample.rc:
            res.note = f"failed: exit {sample.rc} {sample.err.strip()[-200:]}"
        else:
            res.extra["papers_per_s"] = paper_count(path) / sample.seconds
        dump.unlink(missing_ok=True)

        res = out[("sync-citations (fake S2)", n)] = Result("sync-citations (fake S2)", n)
        sync = cli.first(("sync-citations",))
        if sync is None:
            res.note = "n/a (not available)"
        else:
            log(f"sync-citations [{n:,}] ...")
            run_sync(res, cmd, env, path, n, 1, ["--stale-after", "0"] if "--stale-after" in sync[1] else [])

        res = out[("site build", n)] = Result("site build", n)
        # ``site --help`` answers ``site build --help`` too (DIR taken for "build"): a "build"
        # sub-command only when the help lists it.
        site = cli.first(("site",), ("build-site",))
        if site is not None and re.search(r"^Commands:(?:\n\s+\S.*)*\n\s+build\b", site[1], re.M):
            site = (("site", "build"), site[1])
        if site is None:
            res.note = "n/a (no site command on this commit)"
        else:
            target = WORK / f"million-site-{n}"
            # A fresh folder each run (not timed): building over an earlier run's million pages would
            # also time their comparison and removal, and runs would not compare.
            shutil.rmtree(target, ignore_errors=True)
            log(f"{' '.join(site[0])} [{n:,}] ...")
            argv = [*cmd, "--db", str(path), *site[0]]
            argv += ["--output", str(target)] if "--output" in site[1] else [str(target)]
            sample = spawn(argv, env, timeout=7200)
            res.samples.append(sample)
            if sample.rc:
                res.note = f"failed: exit {sample.rc} {sample.err.strip()[-200:]}"
    return out


def cell(r: Result | None) -> str:
    if r is None:
        return "-"
    if not r.ok:
        return r.note or "-"
    text = r.cell()
    if "papers_per_s" in r.extra:
        text += f" · {r.extra['papers_per_s']:,.0f} papers/s"
    if "requests" in r.extra:
        text += f" · {r.extra['requests']:,} requests, {r.extra.get('transactions', '?')} commits"
    return text


def render(results, big, reps, started, minutes, how, argv) -> str:
    get = results.get
    out = ["## A million papers (bench/million.py)\n"]
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    command = " ".join(["python bench/million.py", *argv])
    out.append(
        f"Written by `{command}` on {started:%Y-%m-%d %H:%M} UTC in {minutes:.1f} min; code: {git_describe()}; "
        f"load average at the end {load}. Each cell: **median wall seconds (min-max) · median CPU seconds "
        f"(user+system) · peak memory** (the child's own ru_maxrss, through {LAUNCHER_HOW}); quick commands "
        f"{reps} rounds after a warm-up, interleaved with the floors; export, sync and the site's build once. "
        f"paperread runs as the {how}. Catalogs: {BUILTIN} papers (built-in) and {big:,} papers (bench/synth.py, "
        f"seed 0: videos, notes, citation history).\n"
    )
    out.append("| floor | median (min-max) · cpu · peak |\n|---|---|")
    for (name, size), r in results.items():
        if size is None:
            out.append(f"| {name} | {cell(r)} |")
    out.append("")
    out.append(f"| command | {BUILTIN} papers | {big:,} papers |\n|---|---|---|")
    names: list[str] = []
    for name, size in results:
        if size is not None and name not in names:
            names.append(name)
    for name in names:
        out.append(f"| {name} | {cell(get((name, BUILTIN)))} | {cell(get((name, big)))} |")
    out.append("")
    out.append("| target | measured | ratio / figure | limit | verdict |\n|---|---|---|---|---|")

    def ratio(label: str, name: str, limit: float) -> None:
        a, b = get((name, big)), get((name, BUILTIN))
        if not a or not b or not a.ok or not b.ok:
            out.append(f"| {label} | {(a.note if a else '') or 'not measured'} | - | {limit}x | n/a |")
            return
        value = a.median / b.median
        cpu = f" (cpu {a.cpu / b.cpu:.2f}x)" if a.cpu and b.cpu else ""
        out.append(
            f"| {label} | {a.median:.3f} s vs {b.median:.3f} s | {value:.2f}x{cpu} | {limit}x | "
            f"{'PASS' if value <= limit else 'FAIL'} |"
        )

    for name in (
        "list --category vision --limit 50",
        "show KEY",
        "stats",
        f"search {SEARCH_WORD}",
        f"list --json, piped to head -n {HEAD_LINES}",
    ):
        ratio(f"{name}: {big:,} / {BUILTIN} papers", name, READ_LIMIT)
    ratio(f"mark-recorded KEY (a write): {big:,} / {BUILTIN} papers", "mark-recorded KEY (a write)", WRITE_LIMIT)
    for name in ("export json", "site build"):
        a, b = get((name, big)), get((name, BUILTIN))
        if a and b and a.ok and b.ok:
            out.append(
                f"| {name}: {big:,} / {BUILTIN} papers | {a.median:.1f} s vs {b.median:.3f} s | "
                f"{a.median / b.median:,.0f}x | (linear: {big / BUILTIN:,.0f}x the papers) | - |"
            )
        else:
            out.append(f"| {name} on {big:,} papers | {(a.note if a else '') or 'not measured'} | - | - | n/a |")
    r = get(("list --json (all rows, to a file)", big))
    if r and r.ok:
        out.append(
            f"| list --json of {big:,} rows: peak memory | | {r.rss:.0f} MB | < {STREAM_MB} MB | "
            f"{'PASS' if r.rss < STREAM_MB else 'FAIL'} |"
        )
    r = get(("sync-citations (fake S2)", big))
    expected = -(-big // S2_BATCH)
    if r and r.ok:
        got = r.extra.get("requests")
        out.append(
            f"| sync-citations of {big:,} papers: requests | | {got:,} | exactly {expected:,} | "
            f"{'PASS' if got == expected else 'FAIL'} |"
        )
        out.append(
            f"| sync-citations of {big:,} papers: peak memory | | {r.rss:.0f} MB | < {SYNC_MB} MB | "
            f"{'PASS' if r.rss < SYNC_MB else 'FAIL'} |"
        )
    else:
        out.append(f"| sync-citations of {big:,} papers | {(r.note if r else '') or 'not measured'} | - | - | n/a |")
    out.append(
        "\nVerdicts use the wall-clock medians; the CPU ratio beside each shows how much of a difference is the "
        "machine being busy."
    )
    return "\n".join(out) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--papers", type=int, default=1_000_000)
    ap.add_argument("--reps", type=int, default=5, help="rounds of the quick commands")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-heavy", action="store_true", help="skip export, sync-citations and the site's build")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    ap.add_argument(
        "--src", type=Path, help="run this source tree (PYTHONPATH=SRC), e.g. a snapshot of the code under test"
    )
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    env = child_env(args.src.resolve() if args.src else None)
    cmd, how = console_script()
    started, clock = dt.datetime.now(dt.UTC), time.perf_counter()
    log(f"million: {args.papers:,} papers, load average {os.getloadavg()[0]:.2f}")
    catalogs = {n: build_catalog(n, args.seed, env, (args.src or ROOT).resolve(), cmd) for n in (BUILTIN, args.papers)}
    cli = Cli(cmd, env, catalogs[BUILTIN])
    measures = quick_measures(cmd, env, catalogs, args.reps, cli)
    log(f"quick commands: {len(measures)} measures x {args.reps} rounds ...")
    results: dict[tuple[str, Any], Result] = dict(run_rounds(measures, args.reps))
    if not args.no_heavy:
        results.update(heavy(cmd, env, catalogs, cli))
    minutes = (time.perf_counter() - clock) / 60
    body = render(results, args.papers, args.reps, started, minutes, how, sys.argv[1:])
    write_section(args.out, "million", body)
    (WORK / "million-last-run.json").write_text(
        json.dumps(
            {
                f"{name} [{size}]": {
                    "median_s": r.median if r.ok else None,
                    "cpu_s": r.cpu if r.ok else None,
                    "peak_mb": r.rss if r.ok else None,
                    "note": r.note,
                    **{k: v for k, v in r.extra.items() if k != "requests_each"},
                }
                for (name, size), r in results.items()
            },
            indent=1,
        ),
        encoding="utf-8",
    )
    sys.stdout.write(body)
    log(f"wrote the million section of {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
