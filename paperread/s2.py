"""A small client for the Semantic Scholar (S2) Graph API.

This is the only module that talks HTTP. It knows nothing of the CLI, the
database or the terminal: it sends requests, paces and retries them, and turns
every failure into an ``S2Error`` with a one-line message a user can act on.
Progress the CLI may want to show (``retrying in 4 s (HTTP 429)``) is handed
out through the ``on_retry`` callback instead of being printed here.

The API key is secret: it travels only in the ``x-api-key`` header and is kept
out of every repr, message and log line this module produces.
"""

from __future__ import annotations

import math
import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from types import TracebackType
from typing import Any, NoReturn, Self

import httpx
import tenacity

from paperread import gate
from paperread.errors import ConfigError
from paperread.http import (
    HttpError,
    Unreachable,
    env_seconds,
    error_text,
    one_line,
    retry_after_seconds,
    send_reachable,
)
from paperread.limits import COUNT_MAX

DEFAULT_BASE_URL = "https://api.semanticscholar.org/graph/v1"
MAX_BATCH = 500
"""The most ids S2 accepts in one POST /paper/batch."""

PAPER_FIELDS = (
    "paperId",
    "externalIds",
    "title",
    "year",
    "citationCount",
    "venue",
    "publicationDate",
    "authors",
)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
"""Statuses that say "try again later"; 400/401/403/404 never change on retry."""

_HINT_UNAVAILABLE = "Semantic Scholar may be down or overloaded; try again later"

RetryCallback = Callable[[int, str, float], None]
"""Called before each retry with (failed attempt number, reason, seconds to wait)."""


# --------------------------------------------------------------------------- errors


class S2Error(HttpError):
    """Semantic Scholar could not give an answer.

    ``status`` is the HTTP status when there was one; ``reason`` is the short
    cause shown to ``on_retry`` ("HTTP 503", "timeout"...); ``retry_after`` is
    the wait the server asked for, in seconds, when it asked.
    """


class S2AuthError(S2Error):
    """The server refused the request's credentials (HTTP 401/403); retrying cannot help."""


class S2RateLimited(S2Error):
    """HTTP 429 persisted through every retry."""


class S2Unavailable(S2Error):
    """5xx answers, timeouts or dropped connections persisted through every retry."""


class S2Unreachable(S2Error):
    """The connection never opened: the name did not resolve (not retried) or the port
    refused (tried at most twice more within about a second)."""


class S2BadResponse(S2Error):
    """The answer cannot be used: broken JSON, or a shape the API does not promise."""


RETRYABLE_ERRORS = (S2RateLimited, S2Unavailable, S2BadResponse)


# --------------------------------------------------------------------------- config


@dataclass(frozen=True)
class S2Config:
    """How to reach S2 and how patient to be.

    ``interval`` left as None becomes 1 s with an API key and 3 s without,
    the pace S2 tolerates for each. ``backoff_base`` scales the exponential
    backoff and its jitter so tests can retry in milliseconds.
    ``max_total_seconds`` bounds the time spent before the last attempt: no
    retry starts if its wait would pass it, so one call lasts at most about
    ``max_total_seconds + timeout``.
    """

    base_url: str = DEFAULT_BASE_URL
    api_key: str | None = field(default=None, repr=False)
    interval: float | None = None
    timeout: float = 30.0
    max_attempts: int = 6
    max_total_seconds: float = 120.0
    backoff_base: float = 1.0
    backoff_max: float = 60.0

    def __post_init__(self) -> None:
        if self.interval is None:
            object.__setattr__(self, "interval", 1.0 if self.api_key else 3.0)
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError(f"the S2 URL must start with http:// or https://, not {self.base_url!r}")
        checks = (
            ("interval", self.interval is not None and self.interval >= 0, ">= 0"),
            ("timeout", self.timeout > 0, "> 0"),
            ("max_attempts", self.max_attempts >= 1, ">= 1"),
            ("max_total_seconds", self.max_total_seconds > 0, "> 0"),
            ("backoff_base", self.backoff_base >= 0, ">= 0"),
            ("backoff_max", self.backoff_max >= self.backoff_base, ">= backoff_base"),
        )
        for name, ok, rule in checks:
            if not ok:
                raise ValueError(f"{name} must be {rule}, not {getattr(self, name)!r}")
        # The key goes in a header: visible ASCII only. Never shown, not even when refused.
        if self.api_key is not None and not (self.api_key.isascii() and self.api_key.isprintable()):
            raise ValueError("the API key holds a character an HTTP header cannot carry (the key is not shown)")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> S2Config:
        """Read PAPERREAD_S2_URL, S2_API_KEY, PAPERREAD_S2_INTERVAL, PAPERREAD_S2_TIMEOUT
        and PAPERREAD_S2_BACKOFF (the backoff's scale in seconds; its cap follows it).

        Empty variables count as unset. Bad values are the user's to fix: ConfigError
        (exit 2), as for every setting.
        """
        interval = env_seconds(environ, "PAPERREAD_S2_INTERVAL")
        timeout = env_seconds(environ, "PAPERREAD_S2_TIMEOUT")
        # The backoff's scale: 1 s in real use; tests set it to milliseconds.
        backoff = env_seconds(environ, "PAPERREAD_S2_BACKOFF")
        try:
            return cls(
                base_url=environ.get("PAPERREAD_S2_URL", "").strip() or DEFAULT_BASE_URL,
                api_key=environ.get("S2_API_KEY", "").strip() or None,
                interval=interval,
                timeout=cls.timeout if timeout is None else timeout,
                backoff_base=cls.backoff_base if backoff is None else backoff,
                backoff_max=cls.backoff_max if backoff is None else max(backoff, min(cls.backoff_max, backoff * 60)),
            )
        except ValueError as exc:
            raise ConfigError(
                f"bad Semantic Scholar setting: {exc}",
                hint="check S2_API_KEY, PAPERREAD_S2_URL, PAPERREAD_S2_INTERVAL, PAPERREAD_S2_TIMEOUT and PAPERREAD_S2_BACKOFF",
            ) from None


# --------------------------------------------------------------------------- client


class _Pacer:
    """Spaces request starts at least ``interval`` seconds apart (monotonic clock).

    S2 throttles per key (or per IP without one); staying under the pace is
    cheaper than collecting 429s and backing off.
    """

    def __init__(self, interval: float) -> None:
        self._interval = interval
        self._next_start = -math.inf
        self._lock = threading.Lock()

    def wait(self) -> None:
        if self._interval <= 0:
            return
        with self._lock:
            delay = self._next_start - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self._next_start = time.monotonic() + self._interval


class S2Client:
    """Sends paced, retried requests to the S2 Graph API over one httpx.Client.

    Use it as a context manager so the connection pool is closed.
    ``count_requests`` counts requests actually sent, retries included.
    """

    def __init__(
        self,
        config: S2Config,
        *,
        transport: httpx.BaseTransport | None = None,
        on_retry: RetryCallback | None = None,
    ) -> None:
        self.config = config
        self.on_retry = on_retry
        self.count_requests = 0
        headers = {"user-agent": "paperread"}
        if config.api_key:
            headers["x-api-key"] = config.api_key
        self._http = httpx.Client(
            base_url=config.base_url,
            headers=headers,
            timeout=config.timeout,
            transport=transport,
        )
        self._base_path = self._http.base_url.path.rstrip("/")
        self._pacer = _Pacer(config.interval or 0.0)
        self._backoff = tenacity.wait_exponential(multiplier=config.backoff_base) + tenacity.wait_random(
            0, config.backoff_base
        )

    def __repr__(self) -> str:
        key = "set" if self.config.api_key else "unset"
        return f"S2Client(base_url={self.config.base_url!r}, api_key={key})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # ----------------------------------------------------------------- endpoints

    def batch(self, ids: Sequence[str], fields: Sequence[str]) -> list[dict[str, Any] | None]:
        """Look up as many as 500 papers in one request; None where S2 knows no such id.

        Results come back by position, so ``result[i]`` answers ``ids[i]``,
        even when S2 answers an old (merged) id with the paper's new paperId.
        """
        _check_ids(ids)
        if len(ids) > MAX_BATCH:
            raise ValueError(f"S2 takes at most {MAX_BATCH} ids a batch, not {len(ids)}")
        if not ids:
            return []
        data = self._request("POST", "/paper/batch", params=_fields(fields), body={"ids": list(ids)})
        if not isinstance(data, list) or len(data) != len(ids):
            got = f"{len(data)} results" if isinstance(data, list) else f"a {type(data).__name__}"
            raise S2BadResponse(
                f"Semantic Scholar answered {got} for {len(ids)} ids on POST {self._base_path}/paper/batch"
            )
        if not all(item is None or isinstance(item, dict) for item in data):
            raise S2BadResponse(
                f"Semantic Scholar answered POST {self._base_path}/paper/batch "
                "with items that are neither papers nor null"
            )
        return data

    def iter_batches(
        self, ids: Sequence[str], fields: Sequence[str], size: int = MAX_BATCH
    ) -> Iterator[tuple[list[str], list[dict[str, Any] | None]]]:
        """Yield (ids, results) one batch at a time, as each answer arrives.

        Lazily, so the caller can store each batch in its own transaction and
        keep what it got when a later batch fails. Arguments are checked at
        once, not at the first ``next()``.
        """
        _check_ids(ids)
        if not 1 <= size <= MAX_BATCH:
            raise ValueError(f"size must be between 1 and {MAX_BATCH}, not {size}")
        return self._batches(ids, fields, size)

    def _batches(
        self, ids: Sequence[str], fields: Sequence[str], size: int
    ) -> Iterator[tuple[list[str], list[dict[str, Any] | None]]]:
        for start in range(0, len(ids), size):
            chunk = list(ids[start : start + size])
            yield chunk, self.batch(chunk, fields)

    def match_title(self, title: str, fields: Sequence[str]) -> dict[str, Any] | None:
        """The paper S2 finds closest to ``title`` (with its "matchScore"), or None.

        S2 answers 404 "Title match not found" when nothing is close enough;
        that is an answer, not an error.
        """
        if not title.strip():
            raise ValueError("title must not be empty")
        params = {"query": title, **_fields(fields)}
        try:
            data = self._request("GET", "/paper/search/match", params=params)
        except S2Error as exc:
            if exc.status == 404:
                return None
            raise
        matches = data.get("data") if isinstance(data, dict) else None
        if not isinstance(matches, list) or not all(isinstance(m, dict) for m in matches):
            raise S2BadResponse(
                f"Semantic Scholar answered GET {self._base_path}/paper/search/match without a list of papers in 'data'"
            )
        return matches[0] if matches else None

    # ----------------------------------------------------------------- plumbing

    def _count(self) -> None:
        self.count_requests += 1

    def _request(
        self,
        method: str,
        endpoint: str,
        *,
        params: Mapping[str, str],
        body: Any = None,
    ) -> Any:
        """Send one logical request, retrying what is worth retrying; return its JSON."""
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(RETRYABLE_ERRORS),
            wait=self._wait,
            stop=(
                tenacity.stop_after_attempt(self.config.max_attempts)
                | tenacity.stop_before_delay(self.config.max_total_seconds)
            ),
            before_sleep=self._report_retry,
            retry_error_callback=self._give_up,
        )
        return retrying(self._attempt, method, endpoint, params, body)

    def _attempt(self, method: str, endpoint: str, params: Mapping[str, str], body: Any) -> Any:
        """One paced HTTP exchange; raises an S2Error subclass for any failure."""
        where = f"{method} {self._base_path}{endpoint}"
        self._pacer.wait()
        try:
            response = send_reachable(
                lambda: self._http.request(method, endpoint, params=params, json=body), self._count
            )
        except Unreachable as exc:
            raise S2Unreachable(f"Semantic Scholar: {exc.message}", hint=exc.hint, reason=exc.reason) from exc.__cause__
        except httpx.TimeoutException as exc:
            raise S2Unavailable(
                f"Semantic Scholar did not answer {where} within {self.config.timeout:g} s",
                hint=_HINT_UNAVAILABLE,
                reason="timeout",
            ) from exc
        except (httpx.NetworkError, httpx.RemoteProtocolError, httpx.ProxyError) as exc:
            raise S2Unavailable(
                f"the connection to Semantic Scholar failed during {where}: {exc or type(exc).__name__}",
                hint=_HINT_UNAVAILABLE,
                reason="connection dropped",
            ) from exc
        if response.status_code != 200:
            raise self._status_error(response, where)
        try:
            return response.json()
        except ValueError:
            raise S2BadResponse(
                f"Semantic Scholar answered {where} with a body that is not JSON: {one_line(response.text)!r}",
                status=200,
                reason="broken JSON",
            ) from None

    def _status_error(self, response: httpx.Response, where: str) -> S2Error:
        """The S2Error that a non-200 answer means."""
        status = response.status_code
        text = error_text(response)
        if status in (401, 403):
            if self.config.api_key:
                message = (
                    f"Semantic Scholar refused the API key (HTTP {status}): it is wrong or expired; check S2_API_KEY"
                )
            else:
                message = f"Semantic Scholar refused {where} (HTTP {status}): {text}"
            return S2AuthError(message, status=status)
        detail = f"Semantic Scholar answered HTTP {status} to {where}: {text}"
        retry_after = retry_after_seconds(response.headers.get("retry-after"))
        if status == 429:
            hint = "Semantic Scholar limits how fast it may be asked; wait a minute and try again"
            if not self.config.api_key:
                hint += ", or set S2_API_KEY for a higher limit"
            return S2RateLimited(detail, hint=hint, status=status, retry_after=retry_after)
        if status in RETRY_STATUSES:
            return S2Unavailable(detail, hint=_HINT_UNAVAILABLE, status=status, retry_after=retry_after)
        return S2Error(detail, status=status)

    def _wait(self, state: tenacity.RetryCallState) -> float:
        """Exponential backoff plus jitter, capped, but never shorter than the server's Retry-After."""
        backoff = min(self._backoff(state), self.config.backoff_max)
        retry_after = _failure(state).retry_after
        return backoff if retry_after is None else max(backoff, retry_after)

    def _report_retry(self, state: tenacity.RetryCallState) -> None:
        if self.on_retry is not None:
            self.on_retry(state.attempt_number, _failure(state).reason, state.upcoming_sleep)

    def _give_up(self, state: tenacity.RetryCallState) -> NoReturn:
        """Re-raise the last error, saying how long we kept trying."""
        error = _failure(state)
        attempts = state.attempt_number
        tried = f"gave up after {attempts} attempt{'s' if attempts != 1 else ''}"
        if attempts < self.config.max_attempts:
            tried += (
                f": waiting {state.upcoming_sleep:.0f} s more would pass the {self.config.max_total_seconds:g} s limit"
            )
        raise type(error)(
            f"{error.message} ({tried})",
            hint=error.hint,
            status=error.status,
            reason=error.reason,
            retry_after=error.retry_after,
        ) from error


def _failure(state: tenacity.RetryCallState) -> S2Error:
    """The error the last attempt raised; tenacity calls wait/before_sleep/give-up only then."""
    error = state.outcome.exception() if state.outcome else None
    assert isinstance(error, S2Error), "only S2Errors are retried"
    return error


def _check_ids(ids: Sequence[str]) -> None:
    """A lone string is a Sequence[str] too; sending its characters as ids is never meant."""
    if isinstance(ids, str):
        raise TypeError("ids must be a sequence of ids, not one string")


def _fields(fields: Sequence[str]) -> dict[str, str]:
    """The ``fields`` query parameter; left out when empty so S2 applies its default."""
    return {"fields": ",".join(fields)} if fields else {}


# --------------------------------------------------------------------------- payloads


@dataclass(frozen=True)
class S2Paper:
    """The parts of an S2 paper record paperread keeps; anything missing is None (or empty)."""

    paper_id: str
    title: str | None
    year: int | None
    citation_count: int | None
    venue: str | None
    publication_date: date | None
    authors: list[str]
    arxiv_id: str | None
    doi: str | None
    # What the record held that paperread does not store (``gate``): one reason per field
    # dropped; the rest of the record is used.
    dropped: tuple[str, ...] = ()


_ARXIV_VERSION = re.compile(r"v\d+$")
_S2_ID = re.compile(r"[0-9a-fA-F]{40}", re.ASCII)


def parse_paper(obj: Mapping[str, Any]) -> S2Paper:
    """Turn one S2 paper object (as requested with PAPER_FIELDS) into an S2Paper.

    Every field but paperId may be missing or null, because S2 leaves out what
    it does not know; a record without a paperId cannot be stored, so it is a
    bad response.
    """
    paper_id = obj.get("paperId")
    if not isinstance(paper_id, str) or not paper_id:
        raise S2BadResponse("Semantic Scholar sent a paper without a paperId")
    if not _S2_ID.fullmatch(paper_id):
        raise S2BadResponse(f"Semantic Scholar sent a paper id that is not 40 hex digits: {gate.shown(paper_id)}")
    dropped: list[str] = []

    def kept(value: Any, what: str, *, multiline: bool = False) -> Any:
        reason = gate.dropped(value, what, multiline=multiline)
        if reason is None:
            return value
        dropped.append(reason)
        return None

    external = obj.get("externalIds")
    external = external if isinstance(external, dict) else {}
    arxiv = kept(_str_or_none(external.get("ArXiv")), "arXiv id")
    doi = kept(_str_or_none(external.get("DOI")), "DOI")
    authors = obj.get("authors")
    names = [
        a["name"].strip()
        for a in (authors if isinstance(authors, list) else [])
        if isinstance(a, dict) and _str_or_none(a.get("name"))
    ]
    clean_names = [name for name in names if kept(name, "author") is not None]
    if clean_names and kept(", ".join(clean_names), "authors") is None:
        clean_names = []
    count = _int_or_none(obj.get("citationCount"))
    if count is not None and not 0 <= count <= COUNT_MAX:
        dropped.append(f"citation count {gate.shown(count)} is not a count (0 to {COUNT_MAX:,})")
        count = None
    return S2Paper(
        paper_id=paper_id.lower(),
        title=kept(_str_or_none(obj.get("title")), "title"),
        year=_int_or_none(obj.get("year")),
        citation_count=count,
        venue=kept(_str_or_none(obj.get("venue")), "venue"),
        publication_date=_date_or_none(obj.get("publicationDate")),
        authors=clean_names,
        arxiv_id=_ARXIV_VERSION.sub("", arxiv) if arxiv else None,
        doi=doi.lower() if doi else None,
        dropped=tuple(dropped),
    )


def _str_or_none(value: Any) -> str | None:
    """A non-blank string, else None (S2 sends "" for an unknown venue)."""
    return value.strip() if isinstance(value, str) and value.strip() else None


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _date_or_none(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None
