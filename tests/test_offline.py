"""Offline: a name that does not resolve, or a port that refuses, is reported at once as what it
is, one line on stderr, exit 1 (issue 15). No internet: a refused connection is a port on
127.0.0.1 bound and closed here; a failed name lookup is socket.getaddrinfo made to fail for one
host name (``.invalid``, which never resolves anyway) inside an in-process run."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli

HOST = "offline.invalid"


def closed_port() -> int:
    """A port on 127.0.0.1 that was just bound and closed: connecting to it is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every lookup of HOST, each failing as it does without a network; other names resolve."""
    calls: list[Any] = []
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host in (HOST, HOST.encode()):
            calls.append(host)
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return calls


def run(cli: Cli, *args: str) -> tuple[int, dict, list[str], float]:
    started = time.monotonic()
    result = cli(*args, "--json")
    took = time.monotonic() - started
    return result.exit_code, json.loads(result.stdout), result.stderr.splitlines(), took


@pytest.fixture
def cli(builtin_db: Path) -> Cli:
    return Cli(builtin_db)


def test_sync_citations_refused_is_tried_briefly_then_named(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    port = closed_port()
    monkeypatch.setenv("PAPERREAD_S2_URL", f"http://127.0.0.1:{port}/graph/v1")
    code, summary, err, took = run(cli, "sync-citations", "--resolve")
    assert code == 1 and took < 5
    assert 1 <= summary["requests"] <= 3
    assert summary["failed"] == summary["asked"] == 90 and summary["updated"] == 0
    assert len(err) == 1 and err[0].startswith(
        f"error: 90 papers failed: Semantic Scholar: connection refused by 127.0.0.1:{port} ("
    )
    assert "dropped" not in err[0] and "gave up" not in err[0]


def test_sync_citations_unresolved_name_is_not_retried(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, lookups: list[Any]
) -> None:
    monkeypatch.setenv("PAPERREAD_S2_URL", f"https://{HOST}/graph/v1")
    code, summary, err, took = run(cli, "sync-citations")
    assert code == 1 and took < 5
    assert len(lookups) == 1 and summary["requests"] == 1
    assert len(err) == 1 and err[0].startswith(
        f"error: 90 papers failed: Semantic Scholar: cannot resolve {HOST} (offline?) ("
    )
    assert summary["stopped"]


def test_sync_views_refused_is_tried_briefly_then_named(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    port = closed_port()
    monkeypatch.setenv("PAPERREAD_BILIBILI_URL", f"http://127.0.0.1:{port}")
    code, summary, err, took = run(cli, "sync-views")
    assert code == 1 and took < 5
    assert 1 <= summary["requests"] <= 3
    assert summary["failed"] == 59 and summary["updated"] == 0
    assert len(err) == 1 and err[0].startswith(
        f"error: 59 videos failed: bilibili: connection refused by 127.0.0.1:{port} ("
    )


def test_sync_views_unresolved_name_is_not_retried(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, lookups: list[Any]
) -> None:
    monkeypatch.setenv("PAPERREAD_BILIBILI_URL", f"https://{HOST}")
    code, summary, err, took = run(cli, "sync-views")
    assert code == 1 and took < 5
    assert len(lookups) == 1 and summary["requests"] == 1
    assert len(err) == 1 and err[0].startswith(f"error: 59 videos failed: bilibili: cannot resolve {HOST} (offline?) (")
    assert summary["stopped"] == {"bilibili": f"bilibili: cannot resolve {HOST} (offline?)"}
