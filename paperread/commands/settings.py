"""``paperread config``: where the config file is, what each setting is and where it came from,
and changing the file (named ``settings`` so that it does not read as ``paperread.config``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from paperread import output
from paperread.commands import examples
from paperread.config import SETTINGS, check_setting, config_path, file_setting, load_file, mask_password
from paperread.errors import ConfigError, OptionValueError

config_app = typer.Typer(
    help="Show and change the settings in the config file (an option, then the environment, win over it).",
    no_args_is_help=True,
)

KeyArg = Annotated[str, typer.Argument(help=f"A setting: {', '.join(SETTINGS)}.", metavar="KEY", show_default=False)]


def _key(key: str) -> str:
    if key not in SETTINGS:
        raise OptionValueError(f"unknown setting '{key}'", hint=f"the settings are {', '.join(SETTINGS)}")
    return key


def _effective(key: str) -> tuple[Any, str]:
    """(value, where it came from) of one setting; secrets masked."""
    var = SETTINGS[key][0]
    if var and var in os.environ:
        value: Any = os.environ[var]
        source = f"environment ({var})"
    elif (found := file_setting(key)) is not None:
        value, source = found, "config file"
    else:
        value, source = _default(key), "default"
    if key == "database" and isinstance(value, str):
        value = mask_password(value)
    return value, source


def _default(key: str) -> Any:
    if key == "database":
        from paperread.config import default_db_path

        return str(default_db_path())
    if key == "user":
        import getpass

        try:
            return getpass.getuser()
        except (KeyError, OSError):
            return "me"
    if key == "pager":
        return os.environ.get("PAGER", "less")
    if key == "s2_url":
        from paperread.s2 import DEFAULT_BASE_URL

        return DEFAULT_BASE_URL
    if key == "s2_interval":
        return "1 with an API key, else 3"
    return None


@config_app.command("path", epilog=examples("paperread config path"))
def path_cmd() -> None:
    """Print where the config file is (it need not exist yet; PAPERREAD_CONFIG names another)."""
    output.link(str(config_path()))


@config_app.command("show", epilog=examples("paperread config show", "paperread config show --json"))
def show(as_json: Annotated[bool, typer.Option("--json", help="Print JSON (for scripts).")] = False) -> None:
    """Every setting: its value, and whether it came from the environment, the file or the default."""
    load_file()  # a bad file is reported before anything is shown
    rows = []
    for key in SETTINGS:
        value, source = _effective(key)
        rows.append({"key": key, "value": value, "source": source, "about": SETTINGS[key][1]})
    if as_json:
        output.emit_json({"file": str(config_path()), "settings": rows})
        return
    output.message(f"config file: {config_path()}" + ("" if config_path().exists() else " (none yet)"))
    output.emit_plain_rows((r["key"], "" if r["value"] is None else r["value"], r["source"]) for r in rows)


@config_app.command("get", epilog=examples("paperread config get database", "paperread config get pager"))
def get(key: KeyArg) -> None:
    """Print one setting's value in force (empty when it has none)."""
    load_file()  # a bad file is reported, whichever setting is asked for
    value, _ = _effective(_key(key))
    output.emit_plain_rows([("" if value is None else value,)])


@config_app.command(
    "set",
    epilog=examples(
        "paperread config set database ~/papers/catalog.db",
        "paperread config set s2_interval 1.5",
        "paperread config set pager ''  # no pager",
    ),
)
def set_cmd(
    key: KeyArg,
    value: Annotated[str, typer.Argument(help="Its value (a number for s2_interval).", metavar="VALUE")],
) -> None:
    """Write one setting to the config file (made if missing; other keys are kept)."""
    key = _key(key)
    typed: Any = value
    if key == "s2_interval":
        try:
            typed = float(value)
        except ValueError:
            raise OptionValueError(f"s2_interval '{value}' is not a number of seconds (e.g. 1.5)") from None
        if typed.is_integer():
            typed = int(typed)
    try:
        check_setting(key, typed, "paperread config set")
    except ConfigError as exc:
        raise OptionValueError(exc.message, exc.hint) from None
    data = dict(load_file())
    data[key] = typed
    _write(config_path(), data)
    output.message(f"set {key} in {config_path()}")


@config_app.command("unset", epilog=examples("paperread config unset pager"))
def unset(key: KeyArg) -> None:
    """Remove one setting from the config file (its default, or the environment's, applies)."""
    key = _key(key)
    data = dict(load_file())
    if key not in data:
        output.message(f"{key} is not in {config_path()}; nothing to do")
        return
    del data[key]
    _write(config_path(), data)
    output.message(f"removed {key} from {config_path()}")


def _toml_value(value: Any) -> str:
    import json

    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a TOML basic string


def _write(path: Path, data: dict[str, Any]) -> None:
    """The file, written whole to a temporary file and renamed over the old one."""
    import tempfile

    lines = ["# paperread settings: see 'paperread config show'", *(f"{k} = {_toml_value(v)}" for k, v in data.items())]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".config.", suffix=".toml", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
        os.replace(tmp, path)
    except OSError as exc:
        raise ConfigError(f"cannot write the config file {path}: {exc.strerror or exc}") from None


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")
