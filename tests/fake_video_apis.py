"""Real HTTP servers on 127.0.0.1 that answer like bilibili's view API and the YouTube Data
API's videos.list, built from recorded answers (tests/fixtures), and misbehave on cue.

    with FakeBilibili() as bili:
        bili.add("BV1xx411c7mD", views=1234)
        bili.script("412", "ok")       # the next request is blocked, the one after answered
        ... PAPERREAD_BILIBILI_URL=bili.base_url ...
        bili.requests[i].at            # monotonic time each request arrived (pacing checks)

Actions (one per coming request): a status ("500", "503", "429"...; ("429", "2") adds
Retry-After: 2), "412" (HTTP 412 with code -412, as bilibili blocks), "blocked" (HTTP 200
with code -412), "slow" (answers after ``slow_seconds``), "drop" (closes the connection
unanswered), "badjson" (200 with the body cut in half), "garbage" (200 with an HTML page),
"ok" (answered normally).
"""

from __future__ import annotations

import copy
import json
import re
import threading
import time
from collections import deque
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple, Self
from urllib.parse import parse_qs, urlsplit

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
BILIBILI_ANSWER = json.loads((FIXTURES / "bilibili_view_BV117411r7R1.json").read_text(encoding="utf-8"))
YOUTUBE_ANSWER = json.loads((FIXTURES / "youtube_videos_statistics.json").read_text(encoding="utf-8"))
YOUTUBE_PREFIX = "/youtube/v3"
_ACTION = re.compile(r"^([1-5]\d\d|blocked|slow|drop|badjson|garbage|ok)$")


class Seen(NamedTuple):
    """One request as the server saw it; header names lower-cased."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]
    at: float  # time.monotonic() on arrival
    raw: str  # the request line's target, query string and all


class _FakeServer:
    name = "fake"

    def __init__(self, *, slow_seconds: float = 2.0) -> None:
        self.requests: list[Seen] = []
        self.slow_seconds = slow_seconds
        self._actions: deque[tuple[str, str | None]] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.fake = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name=self.name, daemon=True
        )

    @property
    def root(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def script(self, *actions: str | tuple[str, str]) -> None:
        with self._lock:
            for action in actions:
                kind, retry_after = (action, None) if isinstance(action, str) else action
                if not _ACTION.match(kind):
                    raise ValueError(f"unknown action {kind!r}")
                self._actions.append((kind, retry_after))

    def _take(self, seen: Seen) -> tuple[str, str | None] | None:
        with self._lock:
            self.requests.append(seen)
            return self._actions.popleft() if self._actions else None

    def route(self, seen: Seen) -> tuple[int, Any]:
        raise NotImplementedError

    def blocked_body(self) -> dict[str, Any]:
        return {"code": -412, "message": "请求被拦截", "ttl": 1}


class FakeBilibili(_FakeServer):
    """``GET /x/web-interface/view?bvid=...``: the recorded answer, with each video's own
    bvid, title, views, pubdate and duration; an unknown bvid gets code -404."""

    name = "fake-bilibili"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.videos: dict[str, dict[str, Any]] = {}
        self.codes: dict[str, tuple[int, str]] = {}  # bvid -> (code, message), e.g. 62002

    @property
    def base_url(self) -> str:
        return self.root

    def add(
        self,
        bvid: str,
        *,
        views: int,
        title: str | None = None,
        pubdate: int | None = None,
        duration: int | None = None,
    ) -> dict[str, Any]:
        answer = copy.deepcopy(BILIBILI_ANSWER)
        data = answer["data"]
        data["bvid"] = bvid
        data["stat"]["view"] = views
        if title is not None:
            data["title"] = title
        if pubdate is not None:
            data["pubdate"] = pubdate
        if duration is not None:
            data["duration"] = duration
            data["pages"][0]["duration"] = duration
        self.videos[bvid] = answer
        return answer

    def route(self, seen: Seen) -> tuple[int, Any]:
        if seen.path != "/x/web-interface/view":
            return 404, {"code": -404, "message": "啥都木有", "ttl": 1}
        bvid = seen.query.get("bvid", "")
        if not bvid:
            return 200, {"code": -400, "message": "请求错误", "ttl": 1}
        if bvid in self.codes:
            code, message = self.codes[bvid]
            return 200, {"code": code, "message": message, "ttl": 1}
        if bvid not in self.videos:
            return 200, {"code": -404, "message": "啥都木有", "ttl": 1}
        return 200, self.videos[bvid]


class FakeYoutube(_FakeServer):
    """``GET /youtube/v3/videos?part=statistics&id=a,b,...``: items for the ids it knows,
    in the recorded answer's shape; a missing or wrong ``x-goog-api-key`` gets Google's
    400 keyInvalid answer; more than 50 ids a 400."""

    name = "fake-youtube"

    def __init__(self, *, key: str = "yt-secret-key-123", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.key = key
        self.views: dict[str, int | None] = {}
        self.quota_spent = False

    @property
    def base_url(self) -> str:
        return self.root + YOUTUBE_PREFIX

    def route(self, seen: Seen) -> tuple[int, Any]:
        if seen.path != YOUTUBE_PREFIX + "/videos":
            return 404, {"error": {"code": 404, "message": "Not Found", "errors": [{"reason": "notFound"}]}}
        if seen.headers.get("x-goog-api-key") != self.key or "key" in seen.query:
            return 400, {
                "error": {
                    "code": 400,
                    "message": "API key not valid. Please pass a valid API key.",
                    "errors": [{"message": "API key not valid. Please pass a valid API key.", "domain": "global", "reason": "badRequest"}],
                    "status": "INVALID_ARGUMENT",
                }
            }  # fmt: skip
        if self.quota_spent:
            return 403, {
                "error": {
                    "code": 403,
                    "message": "The request cannot be completed because you have exceeded your quota.",
                    "errors": [{"message": "quota", "domain": "youtube.quota", "reason": "quotaExceeded"}],
                }
            }
        if seen.query.get("part") != "statistics":
            return 400, {"error": {"code": 400, "message": "part", "errors": [{"reason": "invalidPart"}]}}
        ids = [i for i in seen.query.get("id", "").split(",") if i]
        if len(ids) > 50:
            return 400, {"error": {"code": 400, "message": "too many ids", "errors": [{"reason": "invalidFilters"}]}}
        template = YOUTUBE_ANSWER["items"][0]
        items = []
        for vid in ids:
            if vid not in self.views:
                continue
            item = copy.deepcopy(template)
            item["id"] = vid
            if self.views[vid] is None:
                del item["statistics"]["viewCount"]
            else:
                item["statistics"]["viewCount"] = str(self.views[vid])
            items.append(item)
        answer = {k: v for k, v in YOUTUBE_ANSWER.items() if k != "items"}
        answer["items"] = items
        answer["pageInfo"] = {"totalResults": len(items), "resultsPerPage": len(items)}
        return 200, answer


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    fake: _FakeServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        fake = self.server.fake
        url = urlsplit(self.path)
        seen = Seen(
            url.path,
            {k: v[-1] for k, v in parse_qs(url.query).items()},
            {k.lower(): v for k, v in self.headers.items()},
            time.monotonic(),
            self.path,
        )
        action = fake._take(seen)
        try:
            self._answer(fake, seen, action)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _answer(self, fake: _FakeServer, seen: Seen, action: tuple[str, str | None] | None) -> None:
        kind, retry_after = action or ("ok", None)
        if kind == "drop":
            self.close_connection = True
            return
        if kind == "412":
            return self._send(412, json.dumps(fake.blocked_body()).encode())
        if kind == "blocked":
            return self._send(200, json.dumps(fake.blocked_body()).encode())
        if kind == "garbage":
            return self._send(200, b"<html><body>502 Bad Gateway</body></html>", content_type="text/html")
        if kind.isdigit():
            body = {"code": int(kind), "message": "server trouble"}
            return self._send(int(kind), json.dumps(body).encode(), retry_after=retry_after)
        status, payload = fake.route(seen)
        data = json.dumps(payload, ensure_ascii=False).encode()
        if kind == "slow" and fake._stopping.wait(fake.slow_seconds):
            return
        if kind == "badjson":
            data = data[: max(1, len(data) // 2)]
        self._send(status, data)

    def _send(
        self, status: int, data: bytes, *, content_type: str = "application/json", retry_after: str | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        if retry_after is not None:
            self.send_header("Retry-After", retry_after)
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def fake_bilibili(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeBilibili]:
    """A running fake bilibili; PAPERREAD_BILIBILI_URL points at it, with no pacing and
    millisecond backoff (tests that check pacing set the interval themselves)."""
    with FakeBilibili(slow_seconds=1.0) as server:
        monkeypatch.setenv("PAPERREAD_BILIBILI_URL", server.base_url)
        monkeypatch.setenv("PAPERREAD_BILIBILI_INTERVAL", "0")
        monkeypatch.setenv("PAPERREAD_BILIBILI_BACKOFF", "0.01")
        monkeypatch.setenv("PAPERREAD_BILIBILI_TIMEOUT", "0.5")
        yield server


@pytest.fixture
def fake_youtube(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeYoutube]:
    """A running fake YouTube; its URL and key in the environment, millisecond backoff."""
    with FakeYoutube(slow_seconds=1.0) as server:
        monkeypatch.setenv("PAPERREAD_YOUTUBE_URL", server.base_url)
        monkeypatch.setenv("YOUTUBE_API_KEY", server.key)
        monkeypatch.setenv("PAPERREAD_YOUTUBE_BACKOFF", "0.01")
        monkeypatch.setenv("PAPERREAD_YOUTUBE_TIMEOUT", "0.5")
        yield server
