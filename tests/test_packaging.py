"""A real non-editable install finds its migrations and the built-in catalog."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    build = tmp_path_factory.mktemp("build")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=build,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    if result.returncode != 0:
        pytest.fail(f"pip install failed:\n{result.stderr}")
    return target


def test_non_editable_install_ships_migrations_and_catalog(installed: Path, tmp_path: Path) -> None:
    assert (installed / "paperread" / "migrations" / "versions" / "0001_catalog_schema.py").is_file()
    assert (installed / "paperread" / "data" / "catalog.json").is_file()
    env = {**os.environ, "PYTHONPATH": str(installed), "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    env.pop("PAPERREAD_DB", None)
    probe = subprocess.run(
        [sys.executable, "-c", "import paperread, sys; print(paperread.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert probe.stdout.startswith(str(installed)), probe.stdout + probe.stderr
    result = subprocess.run(
        [sys.executable, "-m", "paperread", "stats", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["papers"], data["recorded"], data["videos"]) == (90, 59, 59)
    assert (tmp_path / "data" / "paperread" / "paperread.db").is_file()


def test_non_editable_install_ships_the_site_templates_and_assets(installed: Path, tmp_path: Path) -> None:
    for name in ("templates/index.html", "templates/paper.html", "assets/site.css", "assets/site.js"):
        assert (installed / "paperread" / "site" / name).is_file(), name
    env = {**os.environ, "PYTHONPATH": str(installed), "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    env.pop("PAPERREAD_DB", None)
    result = subprocess.run(
        [sys.executable, "-m", "paperread", "site", "out"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "59 of 90 papers recorded" in (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert (tmp_path / "out" / "assets" / "site.js").is_file()
