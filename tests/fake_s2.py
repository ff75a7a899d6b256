"""A real HTTP server on 127.0.0.1 that speaks enough of the S2 Graph API for tests.

Tests run the real client against it, sockets and all, instead of mocking
httpx, so pacing, timeouts, dropped connections and broken bodies are
exercised for real. Misbehaviour is scripted one request at a time with
``server.script(...)``; everything else is answered from ``server.papers``.

    with FakeS2Server() as server:
        server.add_paper("a" * 40, title="Attention Is All You Need", arxiv="1706.03762")
        server.script("429", "drop")     # the next two requests fail, then normal answers
        S2Client(S2Config(base_url=server.base_url, interval=0)) ...
"""

from __future__ import annotations

import difflib
import json
import re
import threading
from collections import deque
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, NamedTuple, Self
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

PREFIX = "/graph/v1"
MAX_BATCH = 500
MATCH_THRESHOLD = 0.8
"""How similar (difflib ratio of normalised titles) a title must be to match."""

KNOWN_FIELDS = frozenset(
    {
        "paperId", "corpusId", "externalIds", "url", "title", "abstract", "venue",
        "publicationVenue", "year", "referenceCount", "citationCount",
        "influentialCitationCount", "isOpenAccess", "openAccessPdf", "fieldsOfStudy",
        "s2FieldsOfStudy", "publicationTypes", "publicationDate", "journal",
        "citationStyles", "authors", "tldr",
    }
)  # fmt: skip

ERROR_BODIES: dict[int, bytes | dict[str, str]] = {
    400: {"error": "Unacceptable query params"},
    403: {"message": "Forbidden"},
    404: {"error": "Not found"},
    429: {
        "message": "Too Many Requests. Please wait and try again or apply for a key "
        "for higher rate limits. https://www.semanticscholar.org/product/api#api-key-form",
        "code": "429",
    },
    500: {"message": "Internal Server Error"},
    502: b"<html><head><title>502 Bad Gateway</title></head><body>Bad Gateway</body></html>",
    503: {"message": "Service Unavailable"},
    504: {"message": "Endpoint request timed out"},
}
"""Error bodies in the shapes S2 (and the gateway in front of it) really sends."""

STATUS_ACTION = re.compile(r"^[1-5]\d\d$")
OTHER_ACTIONS = frozenset({"ok", "slow", "drop", "badjson", "short"})


class RecordedRequest(NamedTuple):
    """One request as the server saw it; header names are lower-cased."""

    method: str
    path: str
    headers: dict[str, str]
    body: str


class Action(NamedTuple):
    """A scripted misbehaviour: a status ("429"...) or "slow", "drop", "badjson", "short" (or "ok")."""

    kind: str
    retry_after: str | None = None


class FakeS2Server:
    """An S2 look-alike on an ephemeral port, served from a background thread.

    ``papers`` maps paperId to the full S2 paper JSON; ``aliases`` maps an old
    (merged) id to the paperId that replaced it; ``requests`` records every
    request. Set ``expected_key`` to answer 403 to any other x-api-key.
    """

    def __init__(self, *, expected_key: str | None = None, slow_seconds: float = 2.0) -> None:
        self.papers: dict[str, dict[str, Any]] = {}
        self.aliases: dict[str, str] = {}
        self.requests: list[RecordedRequest] = []
        self.expected_key = expected_key
        self.slow_seconds = slow_seconds
        self._actions: deque[Action] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.fake = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.02},  # how long shutdown() may wait for the loop
            name="fake-s2",
            daemon=True,
        )

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}{PREFIX}"

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop serving; wakes "slow" handlers so nothing outlives the test."""
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    # ----------------------------------------------------------------- test API

    def script(self, *actions: str | tuple[str, float | str | None]) -> None:
        """Queue misbehaviours, one per coming request, before normal answers resume.

        A status ("429", "500", "502", "503", "504", "400", "403", "404"...)
        answers with that status and a realistic body; "429" carries
        Retry-After: 1 unless given as ("429", None), and ("503", 2) adds
        Retry-After: 2 to any status. "slow" answers after ``slow_seconds``;
        "drop" closes the connection without answering; "badjson" answers
        200 with the real body cut in half; "short" drops the last item of a
        batch answer; "ok" answers normally (to let requests through before a
        scripted failure: ``script("ok", "slow")`` slows the second request).
        """
        with self._lock:
            self._actions.extend(_parse_action(action) for action in actions)

    def add_paper(
        self,
        paper_id: str,
        *,
        title: str,
        year: int | None = None,
        citations: int | None = 0,
        venue: str = "",
        publication_date: str | None = None,
        authors: tuple[str, ...] = (),
        arxiv: str | None = None,
        doi: str | None = None,
        corpus_id: int | None = None,
    ) -> dict[str, Any]:
        """Store and return a paper record in the S2 JSON shape."""
        external: dict[str, Any] = {"CorpusId": corpus_id}
        if arxiv:
            external["ArXiv"] = arxiv
        if doi:
            external["DOI"] = doi
        record = {
            "paperId": paper_id,
            "externalIds": external,
            "title": title,
            "year": year,
            "citationCount": citations,
            "venue": venue,
            "publicationDate": publication_date,
            "authors": [{"authorId": str(i), "name": name} for i, name in enumerate(authors, 1)],
        }
        self.papers[paper_id] = record
        return record

    # ----------------------------------------------------------------- serving

    def _record(self, request: RecordedRequest) -> Action | None:
        """Log the request and take the next scripted action, atomically."""
        with self._lock:
            self.requests.append(request)
            return self._actions.popleft() if self._actions else None

    def _resolve(self, raw_id: str) -> dict[str, Any] | None:
        """The paper an id names: a paperId, an alias, or ARXIV:/DOI:/CorpusId: forms."""
        paper_id = self.aliases.get(raw_id, raw_id)
        if paper_id in self.papers:
            return self.papers[paper_id]
        kind, _, value = raw_id.partition(":")
        key = {"ARXIV": "ArXiv", "DOI": "DOI", "CORPUSID": "CorpusId"}.get(kind.upper())
        if key is None:
            return None
        for paper in self.papers.values():
            known = (paper.get("externalIds") or {}).get(key)
            if known is not None and str(known).lower() == value.lower():
                return paper
        return None

    def _match(self, query: str) -> tuple[dict[str, Any], float] | None:
        """The paper whose title is most like ``query``, if similar enough."""
        best: tuple[dict[str, Any], float] | None = None
        wanted = _normalise(query)
        for paper in self.papers.values():
            ratio = difflib.SequenceMatcher(None, wanted, _normalise(paper.get("title") or "")).ratio()
            if ratio >= MATCH_THRESHOLD and (best is None or ratio > best[1]):
                best = (paper, ratio)
        return best


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeS2Server


class _Handler(BaseHTTPRequestHandler):
    """Routes one request; HTTP/1.1 so the client's keep-alive pool is exercised too."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes; no 40 ms stalls
    server: _HTTPServer

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""

    def _handle(self) -> None:
        fake = self.server.fake
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace")
        headers = {name.lower(): value for name, value in self.headers.items()}
        action = fake._record(RecordedRequest(self.command, self.path, headers, body))
        try:
            self._answer(fake, action, body, headers.get("x-api-key"))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up on a "slow" answer; nobody is listening

    def _answer(self, fake: FakeS2Server, action: Action | None, body: str, key: str | None) -> None:
        if action and STATUS_ACTION.match(action.kind):
            return self._send_error(int(action.kind), retry_after=action.retry_after)
        if action and action.kind == "drop":
            self.close_connection = True
            return None
        if fake.expected_key is not None and key != fake.expected_key:
            return self._send_error(403)
        status, payload = self._route(fake, body)
        if action and action.kind == "slow" and fake._stopping.wait(fake.slow_seconds):
            return None
        if action and action.kind == "short" and isinstance(payload, list):
            payload = payload[:-1]
        data = json.dumps(payload).encode()
        if action and action.kind == "badjson":
            return self._send(200, data[: max(1, len(data) // 2)])
        return self._send(status, data)

    def _route(self, fake: FakeS2Server, body: str) -> tuple[int, Any]:
        url = urlsplit(self.path)
        query = {name: values[-1] for name, values in parse_qs(url.query).items()}
        fields = [f for f in query.get("fields", "").split(",") if f]
        unknown = [f for f in fields if f.split(".")[0] not in KNOWN_FIELDS]
        if unknown:
            return 400, {"error": f"Unrecognized or unsupported fields: {unknown}"}
        path = url.path.removeprefix(PREFIX)
        if self.command == "POST" and path == "/paper/batch":
            return _batch(fake, body, fields)
        if self.command == "GET" and path == "/paper/search/match":
            return _search_match(fake, query.get("query"), fields)
        if self.command == "GET" and path.startswith("/paper/"):
            paper_id = unquote(path.removeprefix("/paper/"))
            paper = fake._resolve(paper_id)
            if paper is None:
                return 404, {"error": f"Paper with id {paper_id} not found"}
            return 200, _project(paper, fields)
        return 404, {"message": "Missing Authentication Token"}

    def _send_error(self, status: int, *, retry_after: str | None = None) -> None:
        body = ERROR_BODIES.get(status) or HTTPStatus(status).phrase.encode()
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        content_type = "application/json" if isinstance(body, dict) else "text/html"
        self._send(status, data, content_type=content_type, retry_after=retry_after)

    def _send(
        self,
        status: int,
        data: bytes,
        *,
        content_type: str = "application/json",
        retry_after: str | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        if retry_after is not None:
            self.send_header("Retry-After", retry_after)
        self.end_headers()
        self.wfile.write(data)


def _batch(fake: FakeS2Server, body: str, fields: list[str]) -> tuple[int, Any]:
    try:
        ids = json.loads(body)["ids"]
    except (ValueError, KeyError, TypeError):
        return 400, {"error": "Body must be a JSON object with an 'ids' list"}
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        return 400, {"error": "'ids' must be a list of strings"}
    if len(ids) > MAX_BATCH:
        return 400, {"error": f"Cannot process more than {MAX_BATCH} ids"}
    papers = [fake._resolve(raw_id) for raw_id in ids]
    return 200, [None if paper is None else _project(paper, fields) for paper in papers]


def _search_match(fake: FakeS2Server, query: str | None, fields: list[str]) -> tuple[int, Any]:
    if not query:
        return 400, {"error": "Missing required parameter: 'query'"}
    found = fake._match(query)
    if found is None:
        return 404, {"error": "Title match not found"}
    paper, ratio = found
    return 200, {"data": [{**_project(paper, fields), "matchScore": round(ratio * 100, 2)}]}


def _project(paper: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """The paper cut to the requested fields, as S2 does; paperId always, title by default."""
    wanted = [f.split(".")[0] for f in fields] or ["title"]
    return {"paperId": paper["paperId"], **{f: paper.get(f) for f in wanted}}


def _normalise(title: str) -> str:
    return " ".join(re.findall(r"\w+", title.lower()))


def _parse_action(action: str | tuple[str, float | str | None]) -> Action:
    kind, retry_after = (action, "1" if action == "429" else None) if isinstance(action, str) else action
    if not (STATUS_ACTION.match(kind) or kind in OTHER_ACTIONS):
        raise ValueError(f"unknown fake S2 action {kind!r}")
    return Action(kind, None if retry_after is None else str(retry_after))


@pytest.fixture
def fake_s2() -> Iterator[FakeS2Server]:
    """A running fake S2 server, shut down after the test."""
    with FakeS2Server() as server:
        yield server
