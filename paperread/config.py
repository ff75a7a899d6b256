"""Settings: where the database is, who the user is, the Semantic Scholar client's and the pager's.

Each setting comes from an option, else the environment, else the config file, else a default.
The config file is ``config.toml`` in the platform's user config dir (``paperread config path``;
``PAPERREAD_CONFIG`` names another), top-level keys only (``SETTINGS``). It is read with tomllib,
only if it exists, once per run: the read road stays light. A bad file, key or value is refused
in one line naming the file, the key and the problem (errors.ConfigError, exit 2).

A plain dataclass (no pydantic): it is built on every command, read commands included.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from paperread.errors import ConfigError, DatabaseError, InputError
from paperread.limits import USER_MAX

DB_ENV = "PAPERREAD_DB"
USER_ENV = "PAPERREAD_USER"
CONFIG_ENV = "PAPERREAD_CONFIG"

SETTINGS: dict[str, tuple[str | None, str]] = {
    "database": (DB_ENV, "the catalog: a database file (relative to the config file's folder) or URL"),
    "user": (USER_ENV, "whose reading state and notes (default: your login name)"),
    "s2_api_key_file": (None, "a file holding your Semantic Scholar API key (S2_API_KEY wins)"),
    "s2_url": ("PAPERREAD_S2_URL", "the Semantic Scholar API's base URL"),
    "s2_interval": ("PAPERREAD_S2_INTERVAL", "seconds between Semantic Scholar requests"),
    "pager": ("PAPERREAD_PAGER", "the pager for long output ('' or 'cat': none; else $PAGER, else less)"),
}
"""Every key the config file may hold: (the environment variable that wins over it, what it is)."""


def config_path(environ: Any = None) -> Path:
    """The config file: $PAPERREAD_CONFIG, else config.toml in the platform's user config dir."""
    env = os.environ if environ is None else environ
    named = env.get(CONFIG_ENV, "")
    if named.strip():
        return Path(named).expanduser().absolute()
    from platformdirs import user_config_path

    return user_config_path("paperread", appauthor=False) / "config.toml"


_loaded: dict[tuple[Path, int, int], dict[str, Any]] = {}


def load_file(path: Path | None = None) -> dict[str, Any]:
    """The settings in the config file ({} when there is none), checked key by key; read once
    per version of the file (its modification time and size)."""
    path = config_path() if path is None else path
    try:
        stat = path.stat()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read the config file {path}: {exc.strerror or exc}") from None
    version = (path, stat.st_mtime_ns, stat.st_size)
    if version in _loaded:
        return _loaded[version]
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the config file {path}: {exc.strerror or exc}") from None
    import tomllib

    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"config file {path} is not valid TOML: {exc}", hint="see 'paperread config --help'"
        ) from None
    for key, value in data.items():
        check_setting(key, value, f"config file {path}")
    _loaded[version] = data
    return data


def check_setting(key: str, value: Any, where: str) -> Any:
    """``value`` if it is a good value of ``key``, else a ConfigError naming ``where``, the key and why."""
    if key not in SETTINGS:
        raise ConfigError(f"{where}: unknown key '{key}'", hint=f"the keys are {', '.join(SETTINGS)}")
    if key == "s2_interval":
        import math

        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
            raise ConfigError(f"{where}: s2_interval = {value!r} is not a number of seconds (0 or more, e.g. 1.5)")
        return value
    if not isinstance(value, str):
        raise ConfigError(f"{where}: {key} = {value!r} is not text (write it in quotes)")
    if key in ("database", "user", "s2_api_key_file", "s2_url") and not value.strip():
        raise ConfigError(f"{where}: {key} is empty", hint=f"give {SETTINGS[key][1]}, or remove the key")
    if key == "user" and len(value) > USER_MAX:
        raise ConfigError(f"{where}: user '{value[:40]}...' is longer than {USER_MAX} characters")
    if key == "user":
        from paperread.gate import flaw, shown

        reason = flaw(value)
        if reason is not None:
            raise ConfigError(f"{where}: user {shown(value)} holds {reason}")
    if key == "s2_url" and not value.startswith(("http://", "https://")):
        raise ConfigError(f"{where}: s2_url '{value}' is not an http(s) URL")
    return value


def file_setting(key: str) -> Any | None:
    """``key``'s value in the config file, or None when the file or the key is not there."""
    value = load_file().get(key)
    if key in ("database", "s2_api_key_file") and isinstance(value, str) and "://" not in value:
        path = Path(value).expanduser()
        value = str(path if path.is_absolute() else (config_path().parent / path))
    return value


def s2_environ(environ: Any = None) -> dict[str, str]:
    """The environment the Semantic Scholar client reads, with the config file's s2_* settings
    filled in where the environment has none (the client knows nothing of the file)."""
    env = dict(os.environ if environ is None else environ)
    for key in ("s2_url", "s2_interval"):
        var = SETTINGS[key][0]
        value = file_setting(key)
        if var and value is not None and not env.get(var, "").strip():
            env[var] = str(value)
    key_file = file_setting("s2_api_key_file")
    if key_file and not env.get("S2_API_KEY", "").strip():
        try:
            env["S2_API_KEY"] = Path(key_file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"config file {config_path()}: s2_api_key_file '{key_file}' cannot be read: "
                f"{getattr(exc, 'strerror', None) or exc}"
            ) from None
    return env


@dataclass(frozen=True)
class Target:
    """One database: an SQLAlchemy URL, and for SQLite the file behind it."""

    url: str
    sqlite_path: Path | None  # None for a server database (PostgreSQL)
    is_default: bool = False  # the platform data dir, created on demand

    @property
    def is_sqlite(self) -> bool:
        return self.sqlite_path is not None

    @property
    def display(self) -> str:
        """The URL safe to show: a password is masked."""
        return mask_password(self.url) if self.sqlite_path is None else str(self.sqlite_path)

    def scrub(self, text: str) -> str:
        """``text`` (an error message, say) with this URL's password masked wherever it appears."""
        for secret in sorted(url_secrets(self.url), key=len, reverse=True):
            text = text.replace(secret, "***")
        return text


_QUERY_PASSWORD_RE = re.compile(r"(?i)((?:^|&)password=)([^&]*)")


def _split_url(url: str) -> tuple[str, str, str, str] | None:
    """(scheme://, user info, @host/path, ?query) of a URL with a password, else None.

    The user info ends at the LAST '@' so that an unescaped '@' in a password is still
    masked; a stray '@' further on only makes the mask longer, never shorter.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return None
    at = rest.rfind("@")
    userinfo, tail = (rest[:at], rest[at:]) if at >= 0 else ("", rest)
    path, qsep, query = tail.partition("?")
    return scheme + sep, userinfo, path, qsep + query


def url_secrets(url: str) -> list[str]:
    """The passwords a URL carries (user info and ?password=), raw and percent-decoded."""
    from urllib.parse import unquote

    parts = _split_url(url)
    if parts is None:
        return []
    _, userinfo, _, query = parts
    found = [userinfo.partition(":")[2]] if ":" in userinfo else []
    found += [m.group(2) for m in _QUERY_PASSWORD_RE.finditer(query.lstrip("?"))]
    found = [s for s in found if s]
    return list({*found, *(unquote(s) for s in found)})


def mask_password(url: str) -> str:
    """The URL with any password replaced by ***."""
    parts = _split_url(url)
    if parts is None:
        return url
    scheme, userinfo, path, query = parts
    user, colon, _ = userinfo.partition(":")
    head = f"{user}:***" if colon else userinfo
    query = "?" + _QUERY_PASSWORD_RE.sub(r"\1***", query[1:]) if query else ""
    return f"{scheme}{head}{path}{query}"


def default_db_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path("paperread", appauthor=False) / "paperread.db"


def resolve_target(db: str | None = None, environ: os._Environ[str] | dict[str, str] | None = None) -> Target:
    """--db wins over PAPERREAD_DB, which wins over the config file's ``database``, which wins over
    the platform's user data dir.

    Each takes a file path or an SQLAlchemy URL (sqlite:///..., postgresql+psycopg://...).
    An empty one (``--db ""``, ``PAPERREAD_DB=``) is an error, never the default database:
    a script whose variable came out empty must not write to the user's own catalog.
    """
    env = os.environ if environ is None else environ
    if db is not None:
        value: str | None = db
        if not db.strip():
            raise InputError(
                f"database path {db!r} given with --db is empty",
                hint="give a database file or URL (sqlite:///path.db, postgresql+psycopg://user@host/db), "
                "or leave --db out for $PAPERREAD_DB or the default database",
            )
    else:
        value = env.get(DB_ENV)
        if value is not None and not value.strip():
            raise InputError(
                f"database path {value!r} in {DB_ENV} is empty",
                hint=f"set {DB_ENV} to a database file or URL, or unset it for the default database",
            )
    if value is None:
        value = file_setting("database")
    if value is None:
        return Target(url=f"sqlite:///{default_db_path()}", sqlite_path=default_db_path(), is_default=True)
    if "://" not in value:
        path = Path(value).expanduser().absolute()
        return Target(url=f"sqlite:///{path}", sqlite_path=path)
    scheme = value.split("://", 1)[0].lower()
    if scheme.startswith("sqlite"):
        rest = value.split("://", 1)[1]
        if not rest.startswith("/") or rest in ("/", "/:memory:"):
            raise DatabaseError(
                f"database URL '{mask_password(value)}' names no file",
                hint="use sqlite:////absolute/path.db or a plain file path",
            )
        path = Path(rest[1:]).expanduser().absolute()
        return Target(url=f"sqlite:///{path}", sqlite_path=path)
    if scheme in ("postgresql", "postgres") or scheme.startswith("postgresql+"):
        url = value
        if value.split("://", 1)[1].partition("?")[0].count("@") > 1:
            # The driver would split at the first '@' and show the rest of the password as a host.
            raise DatabaseError(
                f"database URL '{mask_password(value)}' has an '@' in its user name or password",
                hint="write '@' as %40 in the URL (and ':' as %3A, '/' as %2F)",
            )
        if scheme in ("postgresql", "postgres"):
            url = "postgresql+psycopg://" + value.split("://", 1)[1]
        return Target(url=url, sqlite_path=None)
    raise DatabaseError(
        f"database URL scheme '{scheme}' is not supported",
        hint="use a file path, sqlite:///path or postgresql+psycopg://user@host/db",
    )


def current_user(environ: os._Environ[str] | dict[str, str] | None = None) -> str:
    """Whose reading state and notes: PAPERREAD_USER, else the config file's ``user``, else the login name.

    A PAPERREAD_USER that is set but blank, or longer than the user_name column, is an
    error: notes must not quietly land under another name.
    """
    env = os.environ if environ is None else environ
    name = env.get(USER_ENV)
    if name is not None:
        if not name.strip():
            raise InputError(
                f"user name {name!r} in {USER_ENV} is empty",
                hint=f"set {USER_ENV} to your name, or unset it to use your login name",
            )
        if len(name) > USER_MAX:
            raise InputError(f"user name '{name[:40]}...' in {USER_ENV} is longer than {USER_MAX} characters")
        from paperread.gate import flaw, shown

        reason = flaw(name)
        if reason is not None:
            raise InputError(
                f"user name {shown(name)} in {USER_ENV} holds {reason}",
                hint=f"set {USER_ENV} to your name in plain text, or unset it to use your login name",
            )
        return name
    configured = file_setting("user")
    if configured is not None:
        return str(configured)
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "me"
