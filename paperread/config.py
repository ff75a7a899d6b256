"""Where the database is and who the user is, from flags and the environment.

A plain dataclass (no pydantic): it is built on every command, read commands included.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from paperread.errors import DatabaseError, InputError
from paperread.limits import USER_MAX

DB_ENV = "PAPERREAD_DB"
USER_ENV = "PAPERREAD_USER"


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
    """--db wins over PAPERREAD_DB, which wins over the platform's user data dir.

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
    """Whose reading state and notes: PAPERREAD_USER, else the login name.

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
        return name
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "me"
