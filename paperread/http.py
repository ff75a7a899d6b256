"""The HTTP ground under the view-count clients (``bilibili``, ``youtube``).

One ``JsonHttp`` per service: a base URL, a timeout, a pace between request starts, and
retries with exponential backoff and jitter on what is worth retrying (429, honouring
Retry-After; 5xx; timeouts; dropped connections; a body that is not JSON). A connection that
never opens is told apart: an unresolved name at once ("cannot resolve HOST (offline?)"), a
refused port after at most two quick tries ("connection refused by HOST:PORT"). Every failure
becomes an ``HttpError`` subclass with a one-line message naming the service, the method
and the path (never the query string, never a header). A client may look at each answer
first (``check``) and turn a service's own "slow down" (bilibili's -412) into a retry.

It knows nothing of the CLI or the database and prints nothing: retries are reported
through ``on_retry``. Secrets given in ``secrets`` are scrubbed from every message, in case
a server echoes one back.
"""

from __future__ import annotations

import email.utils
import math
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, NoReturn, Self

import httpx
import tenacity

from paperread import __version__
from paperread.errors import ConfigError, PaperreadError

USER_AGENT = f"Mozilla/5.0 (compatible; paperread/{__version__})"
"""Sent with every request: browser-shaped (bilibili turns some bare agents away), and honest."""

ERROR_TEXT_LIMIT = 200

RetryCallback = Callable[[int, str, float], None]
"""Called before each retry with (failed attempt number, reason, seconds to wait)."""

Check = Callable[[int, Any], "HttpError | None"]
"""Looks at (HTTP status, parsed JSON body or None) before the usual status handling;
returns an error to raise (a ``RateLimited`` is retried), or None to go on."""


# --------------------------------------------------------------------------- errors


class HttpError(PaperreadError):
    """A service could not give a usable answer.

    ``status`` is the HTTP status when there was one; ``reason`` is the short cause shown
    to ``on_retry`` ("HTTP 503", "timeout"...); ``retry_after`` the wait the server asked for.
    """

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        status: int | None = None,
        reason: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, hint)
        self.status = status
        self.reason = reason or (f"HTTP {status}" if status else "error")
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status={self.status!r})"


class Refused(HttpError):
    """The service refused the request or its credentials; retrying cannot help."""


class RateLimited(HttpError):
    """The service asked us to slow down (HTTP 429, or its own signal) through every retry."""


class Unavailable(HttpError):
    """5xx answers, timeouts or dropped connections persisted through every retry."""


class Unreachable(HttpError):
    """The connection never opened: the host's name did not resolve (offline?) or its port
    refused. Not retried by the backoff (a refused port gets a short try of its own)."""


class BadResponse(HttpError):
    """The body was not JSON through every retry."""


class BadShape(HttpError):
    """The body was JSON, but not in the shape the API promises (not retried)."""


RETRYABLE = (RateLimited, Unavailable, BadResponse)
FATAL = (Refused, RateLimited, Unavailable, BadResponse, Unreachable)
"""Failures that would fail every later request to the service too: a run stops at them."""


REFUSED_RETRY_WAITS = (0.2, 0.5)
"""Waits before the at most two more tries a refused connection gets (about 1 s in all):
a service restarting may be back at once; one that is down stays refused."""


def unreachable(exc: httpx.ConnectError) -> tuple[bool, str] | None:
    """(refused?, one line) when a connection failed to open because the host's name did not
    resolve (``socket.gaierror``: "cannot resolve HOST (offline?)") or its port refused
    (``ConnectionRefusedError``: "connection refused by HOST:PORT"); None for anything else."""
    try:
        url = exc.request.url
    except RuntimeError:
        return None
    cause: BaseException | None = exc
    seen = 0
    while cause is not None and seen < 10:
        if isinstance(cause, socket.gaierror):
            return False, f"cannot resolve {url.host} (offline?)"
        if isinstance(cause, ConnectionRefusedError):
            port = url.port or (443 if url.scheme == "https" else 80)
            host = f"[{url.host}]" if ":" in url.host else url.host
            return True, f"connection refused by {host}:{port}"
        cause = cause.__cause__ or cause.__context__
        seen += 1
    return None


def send_reachable(send: Callable[[], httpx.Response], on_try: Callable[[], None]) -> httpx.Response:
    """``send()``; a refused connection is tried again at most twice (REFUSED_RETRY_WAITS), an
    unresolved name never. Either raises ``Unreachable``; ``on_try`` runs before every try."""
    for wait in (*REFUSED_RETRY_WAITS, None):
        on_try()
        try:
            return send()
        except httpx.ConnectError as exc:
            found = unreachable(exc)
            if found is None:
                raise
            refused, message = found
            if not refused or wait is None:
                hint = "is the service down, or the URL wrong?" if refused else "check the network connection"
                reason = "connection refused" if refused else "name not resolved"
                raise Unreachable(message, hint=hint, reason=reason) from exc
            time.sleep(wait)
    raise AssertionError("unreachable")  # the loop returns or raises


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class HttpSettings:
    """How to reach a service and how patient to be.

    ``interval`` spaces request starts (retries included). ``backoff_base`` scales the
    exponential backoff and its jitter (tests use milliseconds). No retry starts if its
    wait would pass ``max_total_seconds``.
    """

    base_url: str
    timeout: float = 20.0
    interval: float = 0.0
    max_attempts: int = 5
    max_total_seconds: float = 120.0
    backoff_base: float = 1.0
    backoff_max: float = 60.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", self.base_url.strip().rstrip("/"))
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError(f"the URL must start with http:// or https://, not {self.base_url!r}")
        checks = (
            ("interval", self.interval >= 0, ">= 0"),
            ("timeout", self.timeout > 0, "> 0"),
            ("max_attempts", self.max_attempts >= 1, ">= 1"),
            ("max_total_seconds", self.max_total_seconds > 0, "> 0"),
            ("backoff_base", self.backoff_base >= 0, ">= 0"),
            ("backoff_max", self.backoff_max >= self.backoff_base, ">= backoff_base"),
        )
        for name, ok, rule in checks:
            if not ok:
                raise ValueError(f"{name} must be {rule}, not {getattr(self, name)!r}")


def settings_from_env(
    environ: Mapping[str, str], prefix: str, *, default_url: str, default_interval: float = 0.0
) -> HttpSettings:
    """``{prefix}_URL``, ``_INTERVAL``, ``_TIMEOUT`` and ``_BACKOFF`` (the backoff's scale in
    seconds; its cap follows it). Empty variables count as unset; a bad value is the user's
    to fix: InputError naming the variable and what it accepts."""
    interval = env_seconds(environ, f"{prefix}_INTERVAL")
    timeout = env_seconds(environ, f"{prefix}_TIMEOUT")
    backoff = env_seconds(environ, f"{prefix}_BACKOFF")
    url = environ.get(f"{prefix}_URL", "").strip() or default_url
    try:
        return HttpSettings(
            base_url=url,
            interval=default_interval if interval is None else interval,
            timeout=HttpSettings.timeout if timeout is None else timeout,
            backoff_base=HttpSettings.backoff_base if backoff is None else backoff,
            backoff_max=HttpSettings.backoff_max if backoff is None else max(backoff, min(60.0, backoff * 60)),
        )
    except ValueError as exc:
        raise ConfigError(
            f"bad setting in {prefix}_*: {exc}",
            hint=f"{prefix}_URL takes an http(s) URL; {prefix}_INTERVAL, _TIMEOUT and _BACKOFF take seconds",
        ) from None


def env_seconds(environ: Mapping[str, str], name: str) -> float | None:
    """A finite number of seconds from the environment, or None when unset."""
    raw = environ.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise ConfigError(f"{name} must be a number of seconds (0 or more), not {raw!r}")
    return value


# --------------------------------------------------------------------------- client


class Pacer:
    """Keeps ``interval`` seconds between the end of one request and the start of the next
    (monotonic clock). Counting from the end, not the start, means the server never sees two
    requests closer than the interval, however the network delays one of them."""

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

    def done(self) -> None:
        """The request just ended (answered or failed): the next waits from now."""
        if self._interval > 0:
            with self._lock:
                self._next_start = time.monotonic() + self._interval


class JsonHttp:
    """Paced, retried GETs that answer JSON, over one httpx.Client. A context manager.

    ``service`` names the service in messages ("bilibili"); ``headers`` go with every
    request (a key among them stays out of every message and repr); ``count_requests``
    counts requests actually sent, retries included.
    """

    def __init__(
        self,
        service: str,
        settings: HttpSettings,
        *,
        headers: Mapping[str, str] | None = None,
        secrets: Iterable[str] = (),
        check: Check | None = None,
        transport: httpx.BaseTransport | None = None,
        on_retry: RetryCallback | None = None,
    ) -> None:
        self.service = service
        self.settings = settings
        self.on_retry = on_retry
        self.count_requests = 0
        self._check = check
        self._secrets = tuple(s for s in secrets if s)
        self._http = httpx.Client(
            base_url=settings.base_url,
            headers={"user-agent": USER_AGENT, "accept": "application/json", **(headers or {})},
            timeout=settings.timeout,
            transport=transport,
        )
        self._base_path = self._http.base_url.path.rstrip("/")
        self._pacer = Pacer(settings.interval)
        self._backoff = tenacity.wait_exponential(multiplier=settings.backoff_base) + tenacity.wait_random(
            0, settings.backoff_base
        )

    def __repr__(self) -> str:
        return f"JsonHttp({self.service!r}, base_url={self.settings.base_url!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _count(self) -> None:
        self.count_requests += 1

    def where(self, endpoint: str) -> str:
        return f"GET {self._base_path}{endpoint}"

    def get(self, endpoint: str, params: Mapping[str, str]) -> Any:
        """One logical GET, retried while worth it; its JSON body."""
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(RETRYABLE),
            wait=self._wait,
            stop=(
                tenacity.stop_after_attempt(self.settings.max_attempts)
                | tenacity.stop_before_delay(self.settings.max_total_seconds)
            ),
            before_sleep=self._report_retry,
            retry_error_callback=self._give_up,
        )
        return retrying(self._attempt, endpoint, params)

    def _attempt(self, endpoint: str, params: Mapping[str, str]) -> Any:
        where = self.where(endpoint)
        self._pacer.wait()
        try:
            response = send_reachable(lambda: self._http.get(endpoint, params=params), self._count)
        except Unreachable as exc:
            exc.message = self.scrub(f"{self.service}: {exc.message}")
            raise
        except httpx.TimeoutException as exc:
            raise Unavailable(
                f"{self.service} did not answer {where} within {self.settings.timeout:g} s",
                hint=f"{self.service} may be down or slow; try again later",
                reason="timeout",
            ) from exc
        except (httpx.NetworkError, httpx.RemoteProtocolError, httpx.ProxyError) as exc:
            raise Unavailable(
                self.scrub(f"the connection to {self.service} failed during {where}: {exc or type(exc).__name__}"),
                hint=f"{self.service} may be down; try again later",
                reason="connection dropped",
            ) from exc
        finally:
            self._pacer.done()
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        retry_after = retry_after_seconds(response.headers.get("retry-after"))
        if self._check is not None:
            found = self._check(response.status_code, body)
            if found is not None:
                found.retry_after = found.retry_after if found.retry_after is not None else retry_after
                found.message = self.scrub(found.message)
                raise found
        if response.status_code != 200:
            raise self._status_error(response, where, retry_after)
        if body is None:
            raise BadResponse(
                self.scrub(
                    f"{self.service} answered {where} with a body that is not JSON: {one_line(response.text)!r}"
                ),
                status=200,
                reason="broken JSON",
            )
        return body

    def _status_error(self, response: httpx.Response, where: str, retry_after: float | None) -> HttpError:
        status = response.status_code
        detail = self.scrub(f"{self.service} answered HTTP {status} to {where}: {error_text(response)}")
        if status == 429:
            return RateLimited(
                detail,
                hint=f"{self.service} limits how fast it may be asked; wait and try again",
                status=status,
                retry_after=retry_after,
            )
        if status >= 500:
            return Unavailable(
                detail,
                hint=f"{self.service} may be down or overloaded; try again later",
                status=status,
                retry_after=retry_after,
            )
        if status in (401, 403):
            return Refused(detail, status=status)
        return HttpError(detail, status=status)

    def _wait(self, state: tenacity.RetryCallState) -> float:
        """Exponential backoff plus jitter, capped, but never shorter than the server's Retry-After."""
        backoff = min(self._backoff(state), self.settings.backoff_max)
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
        if attempts < self.settings.max_attempts:
            tried += f": waiting {state.upcoming_sleep:.0f} s more would pass the {self.settings.max_total_seconds:g} s limit"
        raise type(error)(
            f"{error.message} ({tried})",
            hint=error.hint,
            status=error.status,
            reason=error.reason,
            retry_after=error.retry_after,
        ) from error


class ServiceClient:
    """What a client of one service over a ``JsonHttp`` (``self._http``) shares with the others:
    its request count, the retry callback, scrubbing its secrets out of text, and closing."""

    _http: JsonHttp

    @property
    def count_requests(self) -> int:
        return self._http.count_requests

    @property
    def on_retry(self) -> RetryCallback | None:
        return self._http.on_retry

    @on_retry.setter
    def on_retry(self, callback: RetryCallback | None) -> None:
        self._http.on_retry = callback

    def scrub(self, text: str) -> str:
        return self._http.scrub(text)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()


def _failure(state: tenacity.RetryCallState) -> HttpError:
    error = state.outcome.exception() if state.outcome else None
    assert isinstance(error, HttpError), "only HttpErrors are retried"
    return error


def one_line(text: str) -> str:
    """Whitespace collapsed and cut to ERROR_TEXT_LIMIT characters, for a one-line message."""
    return " ".join(text.split())[:ERROR_TEXT_LIMIT]


def error_text(response: httpx.Response) -> str:
    """The server's own words where it gave some ({"message": ...}, Google's {"error": {"message"}}),
    else the body with any HTML tags dropped."""
    import re

    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        inner = body.get("error")
        for found in (inner.get("message") if isinstance(inner, dict) else inner, body.get("message")):
            if isinstance(found, str) and found.strip():
                return one_line(found)
    text = response.text
    if "html" in response.headers.get("content-type", ""):
        text = re.sub(r"<[^>]*>", " ", text)
    return one_line(text) or response.reason_phrase


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date); None if absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None
