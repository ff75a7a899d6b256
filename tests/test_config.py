"""The config file: where it is, option > environment > file > default, one line for a bad file,
and ``paperread config path/show/get/set/unset``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paperread.cli import app
from paperread.config import s2_environ
from tests.ptyrun import run_in_pty


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "conf" / "config.toml"
    path.parent.mkdir()
    monkeypatch.setenv("PAPERREAD_CONFIG", str(path))
    return path


def cli(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


def test_the_default_place_is_the_platform_config_dir(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(isolated_env / "cfg"))
    result = cli("config", "path")
    assert result.exit_code == 0 and result.stdout.strip() == str(isolated_env / "cfg" / "paperread" / "config.toml")


def test_option_beats_environment_beats_file_beats_default(
    config_file: Path, builtin_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from_file, from_env = config_file.parent / "file.db", tmp_path / "env.db"
    shutil.copy(builtin_db, from_file)
    assert cli("--db", str(from_env), "init", "--empty").exit_code == 0
    config_file.write_text(f'database = "{from_file.name}"\nuser = "ada"\n', encoding="utf-8")  # relative: beside it
    monkeypatch.delenv("PAPERREAD_USER")

    assert len(json.loads(cli("list", "--json").stdout)) == 90  # the file's catalog
    assert cli("config", "get", "database").stdout.strip() == str(config_file.parent / "file.db")
    monkeypatch.setenv("PAPERREAD_DB", str(from_env))
    assert json.loads(cli("list", "--json").stdout) == []  # the environment's
    assert len(json.loads(cli("--db", str(from_file), "list", "--json").stdout)) == 90  # the option's
    shown = {r["key"]: r for r in json.loads(cli("config", "show", "--json").stdout)["settings"]}
    assert shown["database"]["source"] == "environment (PAPERREAD_DB)"
    assert shown["user"] == {**shown["user"], "value": "ada", "source": "config file"}
    assert shown["pager"]["source"] == "default"

    # the file's user owns the notes
    monkeypatch.delenv("PAPERREAD_DB")
    assert cli("note", "vit", "--text", "mine").exit_code == 0
    assert json.loads(cli("show", "vit", "--json", env={"PAPERREAD_USER": "bob"}).stdout)["note"] is None
    assert json.loads(cli("show", "vit", "--json").stdout)["note"] == "mine"


BAD_FILES = [
    ("database = \n", "is not valid TOML"),
    ('colour = "always"\n', "unknown key 'colour'"),
    ('s2_interval = "fast"\n', "s2_interval = 'fast' is not a number of seconds"),
    ("s2_interval = -1\n", "s2_interval = -1 is not a number of seconds"),
    ("user = 42\n", "user = 42 is not text"),
    ('database = ""\n', "database is empty"),
    ('s2_url = "ftp://x"\n', "s2_url 'ftp://x' is not an http(s) URL"),
    (b"user = '\xff'\n", "is not UTF-8 text"),
    ('user = "me\\u001b]0;x\\u0007"\n', "holds an escape character"),
]


@pytest.mark.parametrize(("text", "fragment"), BAD_FILES, ids=[f[1][:30] for f in BAD_FILES])
def test_a_bad_file_is_one_line_naming_file_key_and_problem(
    config_file: Path, db_path: Path, text: str | bytes, fragment: str
) -> None:
    if isinstance(text, bytes):
        config_file.write_bytes(text)
    else:
        config_file.write_text(text, encoding="utf-8")
    for args in (["list"], ["read", "vit"], ["config", "show"], ["config", "get", "user"]):
        result = cli("--db", str(db_path), *args)
        assert result.exit_code == 2, (args, result.stderr)
        first = result.stderr.splitlines()[0]
        assert first.startswith(f"error: config file {config_file}") and fragment in first, result.stderr
        assert "Traceback" not in result.stderr and result.stdout == ""
    assert not db_path.exists()  # nothing opened, nothing made


def test_set_get_unset(config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAPERREAD_USER")
    assert cli("config", "set", "pager", "less -S").exit_code == 0
    assert cli("config", "set", "s2_interval", "1.5").exit_code == 0
    assert cli("config", "set", "user", '名前 "quoted" \\ back').exit_code == 0
    assert cli("config", "get", "pager").stdout == "less -S\n"
    assert cli("config", "get", "user").stdout == '名前 "quoted" \\ back\n'
    import tomllib

    assert tomllib.loads(config_file.read_text(encoding="utf-8")) == {
        "pager": "less -S",
        "s2_interval": 1.5,
        "user": '名前 "quoted" \\ back',
    }
    assert cli("config", "unset", "pager").exit_code == 0
    assert "pager" not in tomllib.loads(config_file.read_text(encoding="utf-8"))
    before = config_file.read_bytes()
    for args, fragment in (
        (["set", "s2_interval", "soon"], "s2_interval 'soon' is not a number"),
        (["set", "colour", "x"], "unknown setting 'colour'"),
        (["set", "database", " "], "database is empty"),
        (["get", "nope"], "unknown setting 'nope'"),
    ):
        result = cli("config", *args)
        assert result.exit_code == 2 and fragment in result.stderr.splitlines()[0], result.stderr
    assert config_file.read_bytes() == before


def test_show_masks_a_database_password(config_file: Path) -> None:
    config_file.write_text('database = "postgresql://me:s3cret@db.example/papers"\n', encoding="utf-8")
    result = cli("config", "show")
    assert result.exit_code == 0 and "s3cret" not in result.output and "me:***@db.example" in result.stdout


def test_semantic_scholar_settings_from_the_file(config_file: Path, tmp_path: Path) -> None:
    key_file = tmp_path / "s2.key"
    key_file.write_text("abc123\n", encoding="utf-8")
    config_file.write_text(
        f's2_url = "http://127.0.0.1:1/graph/v1"\ns2_interval = 2\ns2_api_key_file = "{key_file}"\n', encoding="utf-8"
    )
    env = s2_environ({"PATH": "/bin"})
    assert env["PAPERREAD_S2_URL"] == "http://127.0.0.1:1/graph/v1" and env["PAPERREAD_S2_INTERVAL"] == "2"
    assert env["S2_API_KEY"] == "abc123"
    wins = s2_environ({"S2_API_KEY": "from-env", "PAPERREAD_S2_URL": "http://127.0.0.1:2/x"})
    assert wins["S2_API_KEY"] == "from-env" and wins["PAPERREAD_S2_URL"] == "http://127.0.0.1:2/x"
    assert "abc123" not in cli("config", "show").output  # the key itself is never shown


def test_the_file_pager_is_used_between_paperread_pager_and_pager(config_file: Path, builtin_db: Path) -> None:
    config_file.write_text('pager = "sed s/^/FROM-FILE:/"\n', encoding="utf-8")
    env: dict[str, str | None] = {
        "PAPERREAD_CONFIG": str(config_file),
        "PAGER": "sed s/^/FROM-PAGER:/",
        "NO_COLOR": "1",
    }
    result = run_in_pty("--db", str(builtin_db), "list", lines=20, env=env)
    assert "FROM-FILE:alexnet" in result.text and "FROM-PAGER" not in result.text
    env["PAPERREAD_PAGER"] = "sed s/^/FROM-ENV:/"
    assert "FROM-ENV:alexnet" in run_in_pty("--db", str(builtin_db), "list", lines=20, env=env).text
