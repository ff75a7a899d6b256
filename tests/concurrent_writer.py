"""One writer of tests/test_concurrency.py, run as its own process:

    python -m tests.concurrent_writer DB PLAN_JSON

PLAN_JSON: {"user": ..., "commands": [[arg, ...], ...],
"stale_edit": {"paper": key, "expected_version": n, "description": text} or null}.

Once everything is imported it prints "ready" and waits for a line on stdin, so that the
test can start all writers at the same moment.

Each command runs through the real CLI app in this process (a new engine and connection
per command, as a shell would get). Prints one JSON line: the exit code and stderr of each
command, and the outcome of the stale edit ("written" or "conflict").
"""

from __future__ import annotations

import json
import os
import sys
import time


def main(db: str, plan: dict) -> None:
    os.environ["PAPERREAD_USER"] = plan["user"]
    from typer.testing import CliRunner

    from paperread import store
    from paperread.cli import app
    from paperread.config import resolve_target
    from paperread.errors import ConflictError
    from paperread.opening import open_write_session

    runner = CliRunner()
    runner.invoke(app, ["--db", db, "show", "alexnet", "--json"])  # warm up: lazy imports, first connection
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    sys.stdin.readline()  # all writers start together
    start = time.time()
    results = []
    stale = plan.get("stale_edit")
    for i, args in enumerate(plan["commands"]):
        began = time.time()
        result = runner.invoke(app, ["--db", db, *args])
        results.append(
            {
                "args": args,
                "exit": result.exit_code,
                "stderr": result.stderr,
                "began": round(began - start, 3),
                "seconds": round(time.time() - began, 3),
            }
        )
        if stale and i == len(plan["commands"]) // 2:
            try:
                with open_write_session(resolve_target(db)) as session:
                    store.edit_paper(
                        session,
                        stale["paper"],
                        description=stale["description"],
                        expected_version=stale["expected_version"],
                    )
                stale["outcome"] = "written"
            except ConflictError as exc:
                stale["outcome"] = f"conflict: {exc.message}"
    sys.stdout.write(json.dumps({"results": results, "stale_edit": stale}) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], json.loads(sys.argv[2]))
