"""A small client for the YouTube Data API v3: view counts (``videos?part=statistics``).

Up to 50 ids a request. The API key comes from ``YOUTUBE_API_KEY`` and travels only in
the ``x-goog-api-key`` header, the header form of Google's ``key`` system parameter: never
in a URL (which proxies and error messages repeat), never in a message, repr or log line
this module makes. Ids YouTube does not answer for are gone or private. A refused key
(HTTP 400 keyInvalid, 401/403) or a spent daily quota (403 quotaExceeded) would fail every
later request too: ``Refused``, which a run stops at. It knows nothing of the CLI or the
database.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import httpx

from paperread.errors import ConfigError
from paperread.http import (
    BadShape,
    HttpError,
    HttpSettings,
    JsonHttp,
    Refused,
    RetryCallback,
    ServiceClient,
    settings_from_env,
)

DEFAULT_BASE_URL = "https://www.googleapis.com/youtube/v3"
MAX_IDS = 50
"""The most ids videos.list takes in one request."""
ENDPOINT = "/videos"
KEY_ENV = "YOUTUBE_API_KEY"
_QUOTA = frozenset({"quotaExceeded", "dailyLimitExceeded", "rateLimitExceeded", "userRateLimitExceeded"})
_BAD_KEY = frozenset({"keyInvalid", "keyExpired", "badRequest", "forbidden", "accessNotConfigured", "ipRefererBlocked"})


def settings(environ: Mapping[str, str] = os.environ) -> HttpSettings:
    """PAPERREAD_YOUTUBE_URL, _INTERVAL (default 0), _TIMEOUT and _BACKOFF."""
    return settings_from_env(environ, "PAPERREAD_YOUTUBE", default_url=DEFAULT_BASE_URL)


def api_key(environ: Mapping[str, str] = os.environ) -> str | None:
    """The key from YOUTUBE_API_KEY, None when unset; one no header can carry is refused
    (without showing it)."""
    key = environ.get(KEY_ENV, "").strip()
    if not key:
        return None
    if not (key.isascii() and key.isprintable()):
        raise ConfigError(f"{KEY_ENV} holds a character an HTTP header cannot carry (the key is not shown)")
    return key


def _reason(body: Any) -> str | None:
    """Google's error reason: {"error": {"errors": [{"reason": ...}]}} (or error.status)."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None
    errors = error.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        reason = errors[0].get("reason")
        if isinstance(reason, str):
            return reason
    status = error.get("status")
    return status if isinstance(status, str) else None


def _check(status: int, body: Any) -> HttpError | None:
    """A refused key or a spent quota: not worth a retry, and fatal for the run."""
    if status not in (400, 401, 403):
        return None
    reason = _reason(body) or f"HTTP {status}"
    if reason in _QUOTA and status == 403:
        return Refused(
            f"YouTube refused the request: the API key's quota is spent ({reason})",
            hint="the quota resets daily (midnight Pacific time); run again tomorrow",
            status=status,
            reason=reason,
        )
    if status in (401, 403) or reason in _BAD_KEY or "API key" in str((body or {}).get("error", "")):
        return Refused(
            f"YouTube refused the API key (HTTP {status}, {reason}): it is wrong, expired or not allowed "
            f"for the YouTube Data API; check {KEY_ENV}",
            status=status,
            reason=reason,
        )
    return None


class YoutubeClient(ServiceClient):
    """Asks the YouTube Data API for view counts, 50 ids a request. A context manager."""

    def __init__(
        self,
        config: HttpSettings,
        key: str,
        *,
        transport: httpx.BaseTransport | None = None,
        on_retry: RetryCallback | None = None,
    ) -> None:
        if not key:
            raise ValueError("a YouTube API key is needed")
        self.config = config
        self._http = JsonHttp(
            "YouTube",
            config,
            headers={"x-goog-api-key": key},
            secrets=(key,),
            check=_check,
            transport=transport,
            on_retry=on_retry,
        )

    def __repr__(self) -> str:
        return f"YoutubeClient(base_url={self.config.base_url!r}, api_key=set)"

    def views(self, ids: Sequence[str]) -> dict[str, int | None]:
        """Up to 50 ids -> their view counts; an id YouTube did not answer for is left out
        (gone or private); None where it hides the count."""
        if isinstance(ids, str):
            raise TypeError("ids must be a sequence of ids, not one string")
        if len(ids) > MAX_IDS:
            raise ValueError(f"YouTube takes at most {MAX_IDS} ids a request, not {len(ids)}")
        if not ids:
            return {}
        body = self._http.get(ENDPOINT, {"part": "statistics", "id": ",".join(ids), "maxResults": str(MAX_IDS)})
        return parse_statistics(body, ids, self._http.where(ENDPOINT))

    def iter_views(self, ids: Sequence[str]) -> Iterator[tuple[list[str], dict[str, int | None]]]:
        """(ids, answers) one request at a time, as each arrives."""
        for start in range(0, len(ids), MAX_IDS):
            chunk = list(ids[start : start + MAX_IDS])
            yield chunk, self.views(chunk)


def parse_statistics(body: Any, asked: Sequence[str], where: str = ENDPOINT) -> dict[str, int | None]:
    """A ``videos?part=statistics`` answer: id -> views (viewCount is a decimal string)."""
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise BadShape(f"YouTube answered {where} without a list of items")
    wanted = set(asked)
    found: dict[str, int | None] = {}
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise BadShape(f"YouTube answered {where} with an item that is not a video")
        vid = item["id"]
        if vid not in wanted:
            continue  # never asked for: not ours to store
        stats = item.get("statistics")
        raw = stats.get("viewCount") if isinstance(stats, dict) else None
        if raw is None:
            found[vid] = None
            continue
        text = str(raw).strip()
        if isinstance(raw, bool) or not text.isascii() or not text.isdigit():
            raise BadShape(f"YouTube answered {where} with a view count that is not a number for {vid}")
        found[vid] = int(text)
    return found
