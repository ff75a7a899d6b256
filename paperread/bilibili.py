"""A small client for bilibili's public video API (``x/web-interface/view``).

One GET per video, paced (``PAPERREAD_BILIBILI_INTERVAL``, about one a second by
default) with a browser-shaped User-Agent. bilibili answers HTTP 200 with a JSON
``code``: 0 carries ``data``; -404 and 62002/62004/62012 say the video is gone or hidden
(an answer: ``view`` returns None); -412 (often with HTTP 412) and -352 say the request
was blocked, which is retried with backoff like a 429 and, when it persists, ends in a
``RateLimited`` the caller stops at. It knows nothing of the CLI or the database.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

import httpx

from paperread.http import (
    BadShape,
    HttpError,
    HttpSettings,
    JsonHttp,
    RateLimited,
    RetryCallback,
    ServiceClient,
    settings_from_env,
)

DEFAULT_BASE_URL = "https://api.bilibili.com"
DEFAULT_INTERVAL = 1.0
ENDPOINT = "/x/web-interface/view"
GONE_CODES = {-404: "no such video", 62002: "hidden", 62004: "under review", 62012: "visible to its uploader only"}
BLOCKED_CODES = {-412: "request blocked", -352: "risk check failed"}
CHINA = dt.timezone(dt.timedelta(hours=8), "UTC+8")
"""bilibili dates its videos in China's time; a video out at 01:00 there came out that day."""


@dataclass(frozen=True)
class BilibiliVideo:
    """What paperread keeps from bilibili's answer about one video."""

    bvid: str
    title: str | None
    views: int
    published: dt.date | None
    duration_seconds: int | None


def settings(environ: Mapping[str, str] = os.environ) -> HttpSettings:
    """PAPERREAD_BILIBILI_URL, _INTERVAL (default 1 s), _TIMEOUT and _BACKOFF."""
    return settings_from_env(
        environ, "PAPERREAD_BILIBILI", default_url=DEFAULT_BASE_URL, default_interval=DEFAULT_INTERVAL
    )


def _check(status: int, body: Any) -> HttpError | None:
    """bilibili's own "blocked" answers become retried RateLimited errors."""
    code = body.get("code") if isinstance(body, dict) else None
    if status == 412 or code in BLOCKED_CODES:
        shown = code if isinstance(code, int) else -412
        text = BLOCKED_CODES.get(shown, "request blocked")
        return RateLimited(
            f"bilibili blocked the request (code {shown}: {text}; HTTP {status})",
            hint="bilibili turns away clients that ask too fast: raise PAPERREAD_BILIBILI_INTERVAL, "
            "or wait an hour and run again",
            status=status,
            reason=f"blocked (code {shown})",
        )
    return None


class BilibiliClient(ServiceClient):
    """Asks bilibili about videos, one paced, retried GET each. A context manager."""

    def __init__(
        self,
        config: HttpSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        on_retry: RetryCallback | None = None,
    ) -> None:
        self.config = config
        self._http = JsonHttp(
            "bilibili",
            config,
            headers={"referer": "https://www.bilibili.com/"},
            check=_check,
            transport=transport,
            on_retry=on_retry,
        )

    def view(self, bvid: str) -> BilibiliVideo | None:
        """The video's figures, or None when bilibili says it is gone or hidden.

        Raises an ``HttpError``: ``RateLimited``/``Unavailable``/``BadResponse`` after every
        retry, ``BadShape`` for an answer without the promised fields, plain ``HttpError``
        for another refusal (bilibili's code and message in the text).
        """
        body = self._http.get(ENDPOINT, {"bvid": bvid})
        return parse_view(bvid, body, self._http.where(ENDPOINT))


def gone_reason(body: Any) -> str | None:
    """Why bilibili says a video cannot be seen, or None when it does not say so."""
    code = body.get("code") if isinstance(body, dict) else None
    return GONE_CODES.get(code) if isinstance(code, int) else None


def parse_view(bvid: str, body: Any, where: str = ENDPOINT) -> BilibiliVideo | None:
    """A ``x/web-interface/view`` answer as a BilibiliVideo; None when the video is gone."""
    if not isinstance(body, dict) or not isinstance(body.get("code"), int):
        raise BadShape(f"bilibili answered {where} for {bvid} without a code")
    code = body["code"]
    if code in GONE_CODES:
        return None
    if code != 0:
        message = body.get("message")
        said = f": {message}" if isinstance(message, str) and message.strip() else ""
        raise HttpError(f"bilibili refused {bvid} (code {code}{said})", reason=f"code {code}")
    data = body.get("data")
    stat = data.get("stat") if isinstance(data, dict) else None
    views = stat.get("view") if isinstance(stat, dict) else None
    if not isinstance(data, dict) or not _count(views):
        raise BadShape(f"bilibili answered {where} for {bvid} without data.stat.view")
    answered = data.get("bvid")
    if isinstance(answered, str) and answered.lower() != bvid.lower():
        raise BadShape(f"bilibili answered {where} for {bvid} with another video ({answered})")
    title = data.get("title")
    pubdate = data.get("pubdate")
    duration = data.get("duration")
    published = None
    if _count(pubdate) and pubdate > 0:
        try:
            published = dt.datetime.fromtimestamp(pubdate, CHINA).date()
        except (OverflowError, OSError, ValueError):
            published = None
    return BilibiliVideo(
        bvid=bvid,
        title=title.strip() if isinstance(title, str) and title.strip() else None,
        views=views,
        published=published,
        duration_seconds=duration if _count(duration) and duration > 0 else None,
    )


def _count(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
