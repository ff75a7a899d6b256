"""The S2 client against a real local HTTP server (tests/fake_s2.py), never the network."""

from __future__ import annotations

import dataclasses
import json
import logging
import time
import urllib.error
import urllib.request
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime

import pytest

from paperread.errors import ConfigError
from paperread.http import retry_after_seconds
from paperread.s2 import (
    PAPER_FIELDS,
    S2AuthError,
    S2BadResponse,
    S2Client,
    S2Config,
    S2Error,
    S2Paper,
    S2RateLimited,
    S2Unavailable,
    parse_paper,
)
from tests.fake_s2 import FakeS2Server, fake_s2  # noqa: F401  (fake_s2 is a fixture)

KEY = "sk-test-0123456789abcdef"
OLD_ID = "0" * 40
NEW_ID = "1" * 40
ATTENTION = "204e3073870fae3d05bcbc2f6a8e263d9b72e776"


def config(server: FakeS2Server, **changes: object) -> S2Config:
    """Fast settings: no pacing, millisecond backoff; the timeout only matters for "slow"."""
    base = S2Config(
        base_url=server.base_url,
        api_key=KEY,
        interval=0,
        timeout=2,
        max_attempts=4,
        max_total_seconds=10,
        backoff_base=0.01,
        backoff_max=0.05,
    )
    return dataclasses.replace(base, **changes)


@pytest.fixture
def server(fake_s2: FakeS2Server) -> FakeS2Server:  # noqa: F811
    fake_s2.add_paper(
        ATTENTION,
        title="Attention Is All You Need",
        year=2017,
        citations=120000,
        venue="Neural Information Processing Systems",
        publication_date="2017-06-12",
        authors=("Ashish Vaswani", "Noam Shazeer"),
        arxiv="1706.03762",
        doi="10.48550/arXiv.1706.03762",
        corpus_id=13756489,
    )
    fake_s2.add_paper(NEW_ID, title="Deep Residual Learning for Image Recognition", citations=200000)
    fake_s2.aliases[OLD_ID] = NEW_ID
    return fake_s2


# --------------------------------------------------------------------------- answers


def test_batch_answers_by_position_with_null_for_unknown_ids(server: FakeS2Server) -> None:
    ids = ["ARXIV:1706.03762", "f" * 40, "DOI:10.48550/ARXIV.1706.03762", "CorpusId:13756489"]
    with S2Client(config(server)) as client:
        results = client.batch(ids, PAPER_FIELDS)
    assert [r and r["paperId"] for r in results] == [ATTENTION, None, ATTENTION, ATTENTION]
    assert results[0] is not None and set(results[0]) == set(PAPER_FIELDS)
    assert len(server.requests) == 1


def test_merged_id_answers_with_the_new_paper_id(server: FakeS2Server) -> None:
    with S2Client(config(server)) as client:
        [result] = client.batch([OLD_ID], ["title"])
    assert result == {"paperId": NEW_ID, "title": "Deep Residual Learning for Image Recognition"}


def test_iter_batches_sends_one_request_per_500_ids(server: FakeS2Server) -> None:
    ids = [f"{n:040x}" for n in range(1234)]
    with S2Client(config(server)) as client:
        sizes = [(len(chunk), len(results)) for chunk, results in client.iter_batches(ids, ["title"])]
        assert client.count_requests == 3
    assert sizes == [(500, 500), (500, 500), (234, 234)]
    assert len(server.requests) == 3


def test_iter_batches_checks_its_arguments_before_the_first_batch(server: FakeS2Server) -> None:
    with S2Client(config(server)) as client:
        with pytest.raises(ValueError, match="size"):
            client.iter_batches([ATTENTION], ["title"], size=501)
        with pytest.raises(TypeError):
            client.iter_batches(ATTENTION, ["title"])
    assert server.requests == []


def test_batch_refuses_more_than_500_ids_without_sending(server: FakeS2Server) -> None:
    with S2Client(config(server)) as client, pytest.raises(ValueError, match="at most 500"):
        client.batch(["x"] * 501, ["title"])
    assert server.requests == []


def test_batch_answer_of_the_wrong_length_is_a_bad_response(server: FakeS2Server) -> None:
    server.script("short")
    with S2Client(config(server)) as client, pytest.raises(S2BadResponse, match="1 results for 2 ids"):
        client.batch([ATTENTION, NEW_ID], ["title"])
    assert len(server.requests) == 1


def test_match_title_returns_the_best_match_with_its_score(server: FakeS2Server) -> None:
    with S2Client(config(server)) as client:
        match = client.match_title("attention is all you need", ["title", "year"])
    assert match is not None
    assert (match["paperId"], match["year"]) == (ATTENTION, 2017)
    assert match["matchScore"] > 0


def test_match_title_not_found_is_none_and_not_retried(server: FakeS2Server) -> None:
    with S2Client(config(server)) as client:
        assert client.match_title("A Paper Nobody Wrote", ["title"]) is None
    assert len(server.requests) == 1


def test_the_fake_serves_single_papers_too(server: FakeS2Server) -> None:
    """Other tests may fetch GET /paper/{id}; the client itself does not."""
    with urllib.request.urlopen(f"{server.base_url}/paper/ARXIV:1706.03762?fields=year", timeout=2) as reply:
        assert json.load(reply) == {"paperId": ATTENTION, "year": 2017}
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{server.base_url}/paper/{'e' * 40}", timeout=2)
    assert caught.value.code == 404
    caught.value.close()


# --------------------------------------------------------------------------- retries


def test_429_with_retry_after_waits_that_long_then_succeeds(server: FakeS2Server) -> None:
    server.script("429")  # Retry-After: 1
    seen: list[tuple[int, str, float]] = []
    with S2Client(config(server), on_retry=lambda *call: seen.append(call)) as client:
        started = time.monotonic()
        [result] = client.batch([ATTENTION], ["title"])
        elapsed = time.monotonic() - started
    assert result is not None and result["paperId"] == ATTENTION
    assert elapsed >= 1.0
    assert len(server.requests) == 2
    assert [(attempt, reason) for attempt, reason, _ in seen] == [(1, "HTTP 429")]
    assert seen[0][2] >= 1.0


def test_429_without_retry_after_backs_off_then_succeeds(server: FakeS2Server) -> None:
    server.script(("429", None), ("429", None))
    with S2Client(config(server)) as client:
        started = time.monotonic()
        assert client.batch([ATTENTION], ["title"])[0] is not None
        assert time.monotonic() - started < 0.5
    assert len(server.requests) == 3


@pytest.mark.parametrize("status", ["500", "502", "503", "504"])
def test_server_errors_are_retried(server: FakeS2Server, status: str) -> None:
    server.script(status)
    with S2Client(config(server)) as client:
        assert client.batch([ATTENTION], ["title"])[0] is not None
        assert client.count_requests == 2


def test_an_html_error_page_becomes_one_readable_line(server: FakeS2Server) -> None:
    server.script("502")
    with S2Client(config(server, max_attempts=1)) as client, pytest.raises(S2Unavailable) as caught:
        client.batch([ATTENTION], ["title"])
    assert str(caught.value).startswith(
        "Semantic Scholar answered HTTP 502 to POST /graph/v1/paper/batch: 502 Bad Gateway Bad Gateway"
    )


def test_an_answer_slower_than_the_timeout_is_retried(server: FakeS2Server) -> None:
    server.slow_seconds = 1.5
    server.script("slow")
    reasons: list[str] = []
    with S2Client(config(server, timeout=0.3), on_retry=lambda _, r, __: reasons.append(r)) as client:
        assert client.batch([ATTENTION], ["title"])[0] is not None
    assert reasons == ["timeout"]
    assert len(server.requests) == 2


def test_a_dropped_connection_is_retried(server: FakeS2Server) -> None:
    server.script("drop")
    reasons: list[str] = []
    with S2Client(config(server), on_retry=lambda _, r, __: reasons.append(r)) as client:
        assert client.match_title("Attention Is All You Need", ["title"]) is not None
    assert reasons == ["connection dropped"]
    assert len(server.requests) == 2


def test_broken_json_is_retried(server: FakeS2Server) -> None:
    server.script("badjson")
    reasons: list[str] = []
    with S2Client(config(server), on_retry=lambda _, r, __: reasons.append(r)) as client:
        assert client.batch([ATTENTION], ["title"])[0] is not None
    assert reasons == ["broken JSON"]


def test_persistent_503_gives_up_after_max_attempts(server: FakeS2Server) -> None:
    server.script(*["503"] * 10)
    with S2Client(config(server, max_attempts=4)) as client:
        with pytest.raises(S2Unavailable) as caught:
            client.batch([ATTENTION], ["title"])
        assert client.count_requests == 4
    assert len(server.requests) == 4
    message = str(caught.value)
    assert "HTTP 503" in message and "Service Unavailable" in message
    assert "/graph/v1/paper/batch" in message and "gave up after 4 attempts" in message
    assert "\n" not in message


def test_persistent_429_is_rate_limited(server: FakeS2Server) -> None:
    server.script(*[("429", None)] * 3)
    with S2Client(config(server, max_attempts=3)) as client, pytest.raises(S2RateLimited) as caught:
        client.batch([ATTENTION], ["title"])
    assert "Too Many Requests" in str(caught.value)
    assert len(server.requests) == 3


def test_persistent_broken_json_is_a_bad_response(server: FakeS2Server) -> None:
    server.script(*["badjson"] * 2)
    with S2Client(config(server, max_attempts=2)) as client, pytest.raises(S2BadResponse):
        client.batch([ATTENTION], ["title"])


def test_a_retry_after_past_the_time_budget_gives_up_at_once(server: FakeS2Server) -> None:
    server.script(("429", 30))
    with S2Client(config(server, max_total_seconds=2)) as client:
        started = time.monotonic()
        with pytest.raises(S2RateLimited, match="would pass the 2 s limit"):
            client.batch([ATTENTION], ["title"])
        assert time.monotonic() - started < 1
    assert len(server.requests) == 1


@pytest.mark.parametrize(("status", "text"), [("400", "Unacceptable query params"), ("404", "Not found")])
def test_client_errors_are_not_retried(server: FakeS2Server, status: str, text: str) -> None:
    server.script(status)
    with S2Client(config(server)) as client, pytest.raises(S2Error) as caught:
        client.batch([ATTENTION], ["title"])
    assert type(caught.value) is S2Error
    assert caught.value.status == int(status)
    assert f"HTTP {status}" in str(caught.value) and text in str(caught.value)
    assert len(server.requests) == 1


def test_unknown_field_is_a_400_with_the_servers_words(server: FakeS2Server) -> None:
    with S2Client(config(server)) as client, pytest.raises(S2Error, match=r"Unrecognized .*bogus"):
        client.batch([ATTENTION], ["title", "bogus"])


# --------------------------------------------------------------------------- the key


def test_a_refused_key_never_shows_the_key(server: FakeS2Server) -> None:
    server.expected_key = "the-right-key"
    cfg = config(server)
    with S2Client(cfg) as client:
        with pytest.raises(S2AuthError) as caught:
            client.batch([ATTENTION], ["title"])
        shown = [str(caught.value), repr(caught.value), str(caught.value.hint), repr(cfg), repr(client)]
    assert str(caught.value) == (
        "Semantic Scholar refused the API key (HTTP 403): it is wrong or expired; check S2_API_KEY"
    )
    assert all(KEY not in text for text in shown)
    assert len(server.requests) == 1


def test_the_key_travels_only_in_the_x_api_key_header(server: FakeS2Server) -> None:
    server.expected_key = KEY
    with S2Client(config(server)) as client:
        client.batch([ATTENTION], ["title"])
        client.match_title("Attention Is All You Need", ["title"])
    for request in server.requests:
        assert request.headers["x-api-key"] == KEY
        others = [value for name, value in request.headers.items() if name != "x-api-key"]
        assert all(KEY not in text for text in [request.path, request.body, *others])


def test_the_key_is_in_no_log_record(server: FakeS2Server, caplog: pytest.LogCaptureFixture) -> None:
    server.script("503")
    caplog.set_level(logging.DEBUG)
    with S2Client(config(server)) as client:
        client.batch([ATTENTION], ["title"])
    assert caplog.records, "httpx and httpcore log at DEBUG; there is something to check"
    assert all(KEY not in record.getMessage() for record in caplog.records)


def test_no_key_means_no_key_header(server: FakeS2Server) -> None:
    with S2Client(config(server, api_key=None)) as client:
        client.batch([ATTENTION], ["title"])
    assert "x-api-key" not in server.requests[0].headers


# --------------------------------------------------------------------------- pacing


def test_requests_start_at_least_interval_apart(server: FakeS2Server) -> None:
    with S2Client(config(server, interval=0.2)) as client:
        started = time.monotonic()
        for _ in range(3):
            client.batch([ATTENTION], ["title"])
        assert time.monotonic() - started >= 0.4


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("7", now) == 7.0
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30.0
    assert retry_after_seconds(format_datetime(now - timedelta(seconds=30), usegmt=True), now) == 0.0
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds(None, now) is None


# --------------------------------------------------------------------------- config


def test_config_from_env_defaults_depend_on_the_key() -> None:
    assert S2Config.from_env({}) == S2Config(interval=3.0)
    keyed = S2Config.from_env({"S2_API_KEY": KEY})
    assert (keyed.api_key, keyed.interval) == (KEY, 1.0)
    assert KEY not in repr(keyed)


def test_config_from_env_reads_every_variable() -> None:
    cfg = S2Config.from_env(
        {
            "PAPERREAD_S2_URL": "http://127.0.0.1:9/graph/v1/",
            "S2_API_KEY": "",
            "PAPERREAD_S2_INTERVAL": "0",
            "PAPERREAD_S2_TIMEOUT": "2.5",
        }
    )
    assert (cfg.base_url, cfg.api_key, cfg.interval, cfg.timeout) == (
        "http://127.0.0.1:9/graph/v1",
        None,
        0.0,
        2.5,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PAPERREAD_S2_INTERVAL", "fast"),
        ("PAPERREAD_S2_INTERVAL", "-1"),
        ("PAPERREAD_S2_TIMEOUT", "0"),
        ("PAPERREAD_S2_TIMEOUT", "inf"),
        ("PAPERREAD_S2_URL", "ftp://example.org"),
    ],
)
def test_config_from_env_rejects_bad_values(name: str, value: str) -> None:
    with pytest.raises(ConfigError):
        S2Config.from_env({name: value, "S2_API_KEY": KEY})


# --------------------------------------------------------------------------- payloads


def test_parse_paper_reads_a_full_record(server: FakeS2Server) -> None:
    assert parse_paper(server.papers[ATTENTION]) == S2Paper(
        paper_id=ATTENTION,
        title="Attention Is All You Need",
        year=2017,
        citation_count=120000,
        venue="Neural Information Processing Systems",
        publication_date=date(2017, 6, 12),
        authors=["Ashish Vaswani", "Noam Shazeer"],
        arxiv_id="1706.03762",
        doi="10.48550/arxiv.1706.03762",
    )


def test_parse_paper_tolerates_missing_and_null_fields() -> None:
    paper = parse_paper(
        {
            "paperId": NEW_ID,
            "externalIds": {"ArXiv": "1512.03385v2", "DOI": None},
            "venue": "",
            "publicationDate": "2015-13-45",
            "authors": [{"authorId": None, "name": "Kaiming He"}, {"name": None}],
            "citationCount": None,
        }
    )
    assert paper == S2Paper(NEW_ID, None, None, None, None, None, ["Kaiming He"], "1512.03385", None)


def test_parse_paper_needs_a_paper_id() -> None:
    with pytest.raises(S2BadResponse):
        parse_paper({"title": "Orphan"})
