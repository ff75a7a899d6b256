#!/usr/bin/env python
"""BibTeX reading speed: a synthetic bibliography of N entries, parsed and imported.

    python bench/bib_bench.py                                  # 1,000 / 10,000 / 20,000 entries, 3 reps
    python bench/bib_bench.py --sizes 10000 --reps 5
    python bench/bib_bench.py --baseline /tmp/base/            # also time another paperread tree, interleaved
    python bench/bib_bench.py --write                          # and put the figures in bench/RESULTS.md

Every measurement is a fresh Python process, timed from spawn to exit (wall) and by the CPU
time it used (user + system, ``os.wait4``); the median of ``--reps`` runs is reported, with the
load average. Steps:

1. ``parse``: ``formats.parse`` of the file (reading, cleaning, the lenient checks), nothing written;
2. ``import``: ``paperread import FILE`` into an empty SQLite catalog (bench/work/bib/, git-ignored).

With ``--baseline DIR`` (a directory holding another ``paperread`` package, e.g. an older
commit unpacked with ``git archive``), step 1 runs for both, round by round, under the same load.
The entries are what bibliographies hold (seeded: every run measures the same text): INSPIRE
keys with ':', math in titles, accents, DOIs, arXiv ids in eprint or journal, biblatex dates.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
WORK = ROOT / "bench" / "work" / "bib"
PARSE = "import sys; from paperread import formats; p = formats.parse(open(sys.argv[1]).read(), 'bibtex', source='b'); print(len(p.doc['papers']))"


SURNAMES = ('M{\\"u}ller', "Dupont", "Smith", "Garc{\\'\\i}a")


def entry(i: int, rng: random.Random) -> str:
    kind = i % 4
    names = " and ".join(rng.choice(SURNAMES) + f", {chr(65 + j)}." for j in range(3))
    if kind == 0:
        return (
            f'@article{{Author:{2000 + i % 24}{i:x},\n    author = "{names}",\n'
            f'    title = "{{Measurement {i} at $\\sqrt{{s_{{NN}}}} = {i % 13}$ TeV}}",\n'
            f'    eprint = "{10 + i % 14}{1 + i % 12:02d}.{i % 100000:05d}",\n    archivePrefix = "arXiv",\n    primaryClass = "hep-ex",\n'
            f'    doi = "10.1103/PhysRevD.{i}.0{i % 97}",\n    journal = "Phys. Rev. D",\n    year = "{2000 + i % 24}"\n}}\n'
        )
    if kind == 1:
        return (
            f"@inproceedings{{key{i}2019,\n  title={{Learning {{Representations}} number {i}}},\n  author={{{names}}},\n"
            f"  booktitle={{Advances in Neural Information Processing Systems}},\n  pages={{1--9}},\n  year={{2019}}\n}}\n"
        )
    if kind == 2:
        return (
            f"@article{{smith_paper_{i},\n  title = {{A Study of {{{i}}} Things}},\n  author = {{{names}}},\n"
            f"  journaltitle = {{Nature}},\n  date = {{2018-05-{1 + i % 28:02d}}},\n  doi = {{10/d{i:x}}},\n"
            f"  url = {{www.example.org/{i}}}\n}}\n"
        )
    return (
        f"@article{{g{i},\n  title={{Preprint {i}}},\n  author={{{names}}},\n"
        f"  journal={{arXiv preprint arXiv:{15 + i % 9}{1 + i % 12:02d}.{i % 100000:05d}}},\n  year={{2023a}}\n}}\n"
    )


def bibliography(n: int) -> Path:
    path = WORK / f"refs-{n}.bib"
    if not path.exists():
        rng = random.Random(n)
        path.write_text("\n".join(entry(i, rng) for i in range(n)), encoding="utf-8")
    return path


def run(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=WORK, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(argv)} failed:\n{proc.stderr.read().decode() if proc.stderr else ''}")
    return wall, usage.ru_utime + usage.ru_stime


def shown(samples: list[tuple[float, float]]) -> str:
    walls, cpus = [s[0] for s in samples], [s[1] for s in samples]
    return f"{statistics.median(walls):.2f} s wall ({min(walls):.2f}-{max(walls):.2f}), {statistics.median(cpus):.2f} s CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,20000")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="a directory holding another paperread package")
    parser.add_argument("--write", action="store_true", help="write the figures to bench/RESULTS.md (section bib)")
    args = parser.parse_args()
    lines: list[str] = []

    def say(text: str) -> None:
        print(text)
        lines.append(text)

    WORK.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PAPERREAD_USER": "bench"}
    base_env = {**env, "PYTHONPATH": str(args.baseline)} if args.baseline else None
    say(f"load average before: {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for n in (int(s) for s in args.sizes.split(",")):
        path = bibliography(n)
        parse: list[tuple[float, float]] = []
        base: list[tuple[float, float]] = []
        imports: list[tuple[float, float]] = []
        for _ in range(args.reps):
            parse.append(run([sys.executable, "-c", PARSE, str(path)], env))
            if base_env is not None:
                base.append(run([sys.executable, "-c", PARSE, str(path)], base_env))
            db = WORK / f"catalog-{n}.db"
            shutil.rmtree(db, ignore_errors=True)
            db.unlink(missing_ok=True)
            run([sys.executable, "-m", "paperread", "--db", str(db), "init", "--empty"], env)
            imports.append(run([sys.executable, "-m", "paperread", "--db", str(db), "import", str(path)], env))
        say(f"{n:>7,} entries ({path.stat().st_size / 1e6:.1f} MB)")
        say(f"  parse   {shown(parse)}")
        if base:
            say(f"  parse, baseline {args.baseline}: {shown(base)}")
        say(f"  import  {shown(imports)}")
    say(f"load average after: {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.write:
        from bench.results import write_section

        command = " ".join(["python bench/bib_bench.py", *sys.argv[1:]])
        intro = (
            f"## BibTeX reading\n\nWritten by `{command}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: "
            f"median of {args.reps} runs, each a fresh process (wall, and CPU = user + system).\n"
        )
        write_section(ROOT / "bench" / "RESULTS.md", "bib", intro + "\n```\n" + "\n".join(lines) + "\n```\n")


if __name__ == "__main__":
    main()
