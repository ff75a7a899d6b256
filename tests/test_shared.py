"""A study group on one catalog: papers, videos and citations are shared, each person's
reading status, notes and watched videos are their own: in every read, in export and in
import. Runs on both back ends (``cli`` is SQLite or PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Cli

ALICE = {"PAPERREAD_USER": "alice"}
BOB = {"PAPERREAD_USER": "bob"}


def _json(result) -> object:
    return json.loads(result.stdout)


def _keys(cli: Cli, *args: str, env: dict[str, str]) -> set[str]:
    return {r["key"] for r in _json(cli.ok(*args, "--json", env=env))}


def _group(cli: Cli) -> None:
    """Alice and Bob at work: some state each, some on the same paper."""
    cli.ok("read", "resnet", env=ALICE)
    cli.ok("reading", "vit", env=ALICE)
    cli.ok("note", "resnet", "--text", "alice: skip connections", env=ALICE)
    cli.ok("watched", "1", env=ALICE)
    cli.ok("reading", "resnet", env=BOB)
    cli.ok("read", "gan", env=BOB)
    cli.ok("note", "resnet", "--text", "bob: bottleneck blocks", env=BOB)
    cli.ok("note", "gan", "--text", "bob: minimax", env=BOB)


def test_personal_state_is_kept_apart(cli: Cli) -> None:
    _group(cli)
    assert _keys(cli, "list", "--read", env=ALICE) == {"resnet"}
    assert _keys(cli, "list", "--read", env=BOB) == {"gan"}
    assert _keys(cli, "list", "--reading", env=ALICE) == {"vit"}
    assert _keys(cli, "list", "--reading", env=BOB) == {"resnet"}
    for env, status, note in (
        (ALICE, "read", "alice: skip connections"),
        (BOB, "reading", "bob: bottleneck blocks"),
        ({"PAPERREAD_USER": "carol"}, None, None),
    ):
        shown = _json(cli.ok("show", "resnet", "--json", env=env))
        assert (shown["read_status"], shown["note"]) == (status, note)
    alice, bob = (_json(cli.ok("stats", "--json", env=env)) for env in (ALICE, BOB))
    assert (alice["read"], alice["reading"], bob["read"], bob["reading"]) == (1, 1, 1, 1)
    assert alice["videos_unwatched"] == bob["videos_unwatched"] - 1
    # Notes are searched for their writer only; shared fields for everyone.
    assert _keys(cli, "search", "minimax", env=BOB) == {"gan"}
    assert _keys(cli, "search", "minimax", env=ALICE) == set()
    assert _keys(cli, "search", "skip conn", env=ALICE) == {"resnet"}
    # Shared: what one marks recorded, everyone sees.
    cli.ok("mark-recorded", "gan", "--title", "GAN again", env=ALICE)
    assert len(_json(cli.ok("show", "gan", "--json", env=BOB))["videos"]) == 2


def test_export_carries_everyones_state_and_import_restores_only_what_it_holds(cli: Cli, tmp_path: Path) -> None:
    _group(cli)
    backup = tmp_path / "group.json"
    cli.ok("export", "json", "-o", str(backup))
    doc = json.loads(backup.read_text(encoding="utf-8"))
    resnet = next(p for p in doc["papers"] if p["key"] == "resnet")
    assert {r["user"]: (r["status"], r["note"]) for r in resnet["reading"]} == {
        "alice": ("read", "alice: skip connections"),
        "bob": ("reading", "bob: bottleneck blocks"),
    }

    # Alice's own catalog (her personal SQLite file), where she changed her mind: imported into
    # the shared one, it brings her state and leaves Bob's alone.
    personal = Cli(tmp_path / "alice.db")
    personal.ok("init", "--empty")
    personal.ok("import", str(backup))
    personal.ok("note", "resnet", "--text", "alice: identity shortcuts, revisited", env=ALICE)
    personal.ok("note", "gan", "--text", "alice: mode collapse", env=ALICE)
    mine = tmp_path / "alice.json"
    personal.ok("export", "json", "-o", str(mine))
    cli.ok("import", str(mine))

    shown = _json(cli.ok("show", "resnet", "--json", env=ALICE))
    assert (shown["read_status"], shown["note"]) == ("read", "alice: identity shortcuts, revisited")
    assert _json(cli.ok("show", "gan", "--json", env=ALICE))["note"] == "alice: mode collapse"
    assert _keys(cli, "list", "--reading", env=ALICE) == {"vit"}
    shown = _json(cli.ok("show", "resnet", "--json", env=BOB))
    assert (shown["read_status"], shown["note"]) == ("reading", "bob: bottleneck blocks")
    assert _json(cli.ok("show", "gan", "--json", env=BOB))["note"] == "bob: minimax"
    assert _keys(cli, "list", "--read", env=BOB) == {"gan"}
