"""The import's fast roads give what the full roads give.

- ``clean._fast_paper`` (a paper whose values are already canonical) against the full
  ``_clean_paper``: the same cleaned paper, or the fast road steps aside and the full one
  says what is wrong, with the same message.
- ``diff._unchanged`` (every carried field equal) against the field-by-field ``paper_diff``.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from paperread.errors import InputError
from paperread.exchange import clean, diff
from paperread.exchange.document import builtin_document
from paperread.exchange.plan import JSON_CARRIES, MARKDOWN_CARRIES

LATEST = 2030
SLUGS = {"vision", "nlp"}


class _Full(dict[str, Any]):
    """A dict that is not ``type(...) is dict``: ``_clean_paper`` takes the full road for it."""


def _both(paper: dict[str, Any]) -> tuple[Any, Any]:
    def run(p: dict[str, Any]) -> Any:
        try:
            return clean._clean_paper(p, SLUGS, LATEST)
        except InputError as error:
            return ("error", error.message)

    return run(dict(paper)), run(_Full(paper))


def _canonical() -> dict[str, Any]:
    return {
        "key": "resnet",
        "cite_key": "He2016:deep",
        "title": "Deep Residual Learning",
        "year": 2016,
        "category": "vision",
        "url": "https://arxiv.org/abs/1512.03385",
        "description": "ResNet",
        "s2_id": "2c03df8b48bf3fa39054345bafabfeff15bfd11d",
        "arxiv_id": None,
        "doi": "10.1109/cvpr.2016.90",
        "authors": "Kaiming He",
        "venue": "CVPR",
        "publication_date": "2016-06-27",
        "recorded": True,
        "citations": 200000,
        "citations_fetched_at": "2024-05-01T10:00:00+00:00",
        "citation_history": [{"count": 10, "fetched_at": "2024-01-01T00:00:00.123456+00:00"}],
        "reading": [
            {
                "user": "ann",
                "status": "read",
                "started_at": None,
                "read_at": "2024-02-01T00:00:00+00:00",
                "note": "good",
                "updated_at": "2024-02-01T00:00:00+00:00",
            }
        ],
    }


def test_the_fast_road_takes_canonical_papers() -> None:
    paper = _canonical()
    assert clean._fast_paper(paper, SLUGS, LATEST) is not None
    fast, full = _both(paper)
    assert fast == full
    assert fast["arxiv_id"] == "1512.03385"  # from the link, as the full road does


def test_every_paper_of_the_builtin_catalog_takes_the_fast_road_to_the_same_values() -> None:
    doc = builtin_document()
    slugs = {c["slug"] for c in doc["categories"]}
    for paper in doc["papers"]:
        fast = clean._fast_paper(paper, slugs, LATEST)
        assert fast is not None, paper["key"]
        assert fast == clean._clean_paper(_Full(paper), slugs, LATEST)


ODD = st.one_of(
    st.none(),
    st.just(""),
    st.just(" "),
    st.just("x "),
    st.just("\u202e"),
    st.just("a\nb"),
    st.just("a\x1bb"),
    st.just(True),
    st.just(0),
    st.just(-1),
    st.just(2016.0),
    st.just(10**40),
    st.just([]),
    st.just({}),
    st.just([{"count": 1}]),
    st.just([{"count": True, "fetched_at": "2024-01-01T00:00:00+00:00"}]),
    st.just([{"count": 3, "fetched_at": "2024-02-30T00:00:00+00:00"}]),
    st.just([{"count": None, "fetched_at": "2024-01-01T00:00:00.000001+00:00"}, {"count": -1, "fetched_at": None}]),
    st.just([{"count": 7, "fetched_at": "2024-01-01T00:00:00+01:00"}]),
    st.just([{"user": "ann", "status": None, "note": None}]),
    st.just("2016-02-30"),
    st.just("2024-05-01T10:00:00.000000+00:00"),
    st.just("2024-05-01 10:00:00"),
    st.just("10.1109/CVPR.2016.90"),
    st.just("arXiv:1512.03385"),
    st.just("https://example.org/a b"),
    st.just("nlp"),
    st.just("Resnet"),
    st.just("x" * 1001),
    st.text(max_size=8),
    st.integers(min_value=-5, max_value=3000),
)


@settings(max_examples=300, deadline=None)
@given(changes=st.dictionaries(st.sampled_from(sorted(_canonical())), ODD, max_size=4), drop=st.booleans())
def test_the_fast_road_never_differs_from_the_full_one(changes: dict[str, Any], drop: bool) -> None:
    paper = {**_canonical(), **changes}
    if drop:
        paper.pop("citation_history")
    fast, full = _both(paper)
    assert fast == full


def _row(paper: dict[str, Any]) -> dict[str, Any]:
    return {
        **{k: v for k, v in paper.items() if k not in ("citations", "recorded", "citation_history", "reading")},
        "id": 1,
        "category_id": 3,
        "citation_count": paper["citations"],
        "citations_fetched_at": "2024-05-01 10:00:00.000000",
        "marked_recorded": paper["recorded"],
        "position": 0,
    }


ALTERNATIVES: dict[str, list[Any]] = {  # cleaned values, as paper_diff gets them
    "cite_key": [None, "He2016"],
    "title": ["Deep  Residual Learning", "Another title"],
    "year": [None, 2015],
    "url": [None, "https://arxiv.org/abs/1512.03385v2", "https://arxiv.org/abs/1512.%30%33385"],
    "description": [None, "Other"],
    "s2_id": [None, "0" * 40],
    "arxiv_id": [None, "1512.03385"],
    "doi": [None, "10.1/x"],
    "authors": [None, "K. He"],
    "venue": [None, "ICCV"],
    "publication_date": [None, "2016-06-28"],
    "citations": [None, 0, 199999],
    "citations_fetched_at": [
        None,
        "2024-05-01T10:00:00+00:00",
        "2023-05-01T10:00:00+00:00",
        "2025-05-01T10:00:00+00:00",
    ],
    "recorded": [None, False],
}


@settings(max_examples=300, deadline=None)
@given(
    changes=st.lists(st.sampled_from(sorted(ALTERNATIVES)), max_size=3, unique=True).flatmap(
        lambda names: st.fixed_dictionaries({n: st.sampled_from(ALTERNATIVES[n]) for n in names})
    ),
    category=st.sampled_from([3, 4, -1]),
    markdown=st.booleans(),
)
def test_unchanged_papers_diff_as_field_by_field(changes: dict[str, Any], category: int, markdown: bool) -> None:
    base = clean._clean_paper(_canonical(), SLUGS, LATEST)
    row = _row(base)
    paper = {**base, **changes}
    carried = MARKDOWN_CARRIES if markdown else JSON_CARRIES
    fast = diff.paper_diff(row, paper, carried, category)
    full = diff._field_by_field(row, paper, carried, category)
    assert fast == full
    if not changes:
        assert fast == ({} if category == 3 else {"category_id": category})


POINT = st.fixed_dictionaries(
    {},
    optional={
        "count": st.sampled_from([None, 0, 5, -1, True, 2.0, 10**12, "3"]),
        "fetched_at": st.sampled_from(
            [
                None,
                "",
                "2024-01-01T00:00:00+00:00",
                "2024-01-01T00:00:00.000001+00:00",
                "2024-01-01T00:00:00.000000+00:00",
                "2024-02-30T00:00:00+00:00",
                "2024-01-01T01:00:00+01:00",
                "2024-01-01 00:00:00",
                5,
            ]
        ),
    },
)


@settings(max_examples=300, deadline=None)
@given(points=st.lists(POINT, max_size=3))
def test_history_points_take_the_fast_road_to_the_same_values(points: list[dict[str, Any]]) -> None:
    def run(entries: list[Any]) -> Any:
        try:
            return clean._clean_history(entries)
        except InputError as error:
            return ("error", error.message)

    assert run([dict(p) for p in points]) == run([_Full(p) for p in points])


def test_paper_rows_made_as_tuples_are_the_rows_made_as_dicts() -> None:
    """The bulk load's raw road (papers and citation history as tuples) inserts what the dict road would."""
    import datetime as dt

    from bench.synth import make_document
    from paperread.exchange import bulk, sql

    doc, problems = clean.clean_document(make_document(500, seed=11))
    assert not problems
    doc["papers"][3]["publication_date"] = dt.date(2020, 1, 2)  # a date object, as a document may hold
    at = dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=dt.UTC)
    ids = {"category": 4, "paper": 10, "video": 7}

    def rows(raw: bool, name: str = "paper") -> list[dict[str, Any]]:
        plan = sql.insert_plan(sql.tables()[name], bulk._rows(doc, ids, at, raw=raw)[name], raw=True)
        assert plan is not None
        statement, data = plan
        names = [name.strip('"') for name in statement.split("(")[1].split(")")[0].split(", ")]
        return [dict(zip(names, row)) for row in data]

    assert rows(True) == rows(False)
    assert rows(True, "citation_history") == rows(False, "citation_history") != []
    assert any(row["marked_recorded"] for row in rows(True)) and rows(True)[3]["publication_date"] == "2020-01-02"


def test_a_snapshot_sharing_the_files_values_holds_the_same_rows(builtin_db: Any) -> None:
    from paperread.db import SqliteReader, connect_sqlite
    from paperread.exchange.snapshot import read_snapshot

    doc, _ = clean.clean_document(builtin_document())
    share = {p["key"]: dict(p) for p in doc["papers"]}
    share["resnet"]["title"] = "Another title"  # a value that differs is not shared
    reader = SqliteReader(connect_sqlite(builtin_db))
    try:
        plain = read_snapshot(reader, history=True)
        lean = read_snapshot(reader, history=True, share=share)
    finally:
        reader.close()
    assert lean == plain and len(lean.papers) == 90
    row = next(r for r in lean.papers.values() if r["key"] == "resnet")
    assert row["title"] != "Another title" and row["key"] is share["resnet"]["key"]


LINK_PART = st.text(alphabet="aAzZ09.-_~/+%:?#@!$&'()*,;= \t\u00e9\u202e", max_size=12)


@settings(max_examples=1000, deadline=None)
@given(
    scheme=st.sampled_from(["http://", "https://", "HTTPS://", "Http://", "ftp://", "", "//", "https:/"]),
    www=st.sampled_from(["", "www.", "WWW.", "www2."]),
    host=st.sampled_from(["example.org", "Example.ORG", "arxiv.org", "ArXiv.org", "x.arxiv.org", "a-b.c", "", "."]),
    port=st.sampled_from(["", ":80", ":8080", ":x"]),
    path=st.sampled_from(
        [
            "",
            "/",
            "/abs/1706.03762",
            "/pdf/1706.03762v2.pdf",
            "/abs/1713.03762",
            "/abs/hep-th/9901001",
            "/papers/a.pdf",
            "/a//",
            "/A/B/",
            "/abs/1706.03762v",
            "/pdf/1706.037621.pdf/",
        ]
    ),
    tail=st.one_of(st.just(""), LINK_PART),
)
def test_a_links_match_form_is_the_values_one(
    scheme: str, www: str, host: str, port: str, path: str, tail: str
) -> None:
    from paperread import values
    from paperread.exchange.match import link_form

    url = f"{scheme}{www}{host}{port}{path}{tail}"
    assert link_form(url) == values.normalize_url_for_match(url)


# ---------------------------------------------------------------------------- the lenient reader's road

OPTIONAL_VALUES: dict[str, Any] = {  # per field: canonical values and others its cleaner changes or refuses
    "key": ["resnet", "ResNet", " resnet", "a b", "", None, 3],
    "cite_key": ["He2016:deep", " He2016", "a,b", "", None, "x" * 201],
    "year": [2016, "2016", "0001", "0000", "2999", " 2016", "２０１６", "16", "2016a", True, 0, "", None, 2016.0],
    "url": ["https://arxiv.org/abs/1512.03385", "arxiv.org/abs/1", "https://a b", "HTTPS://X.ORG", "", None],
    "description": ["ResNet", " ResNet", "a\nb", "a\x1bb", "x" * 5000, "", None, 1],
    "s2_id": ["2c03df8b48bf3fa39054345bafabfeff15bfd11d", "2C03DF8B48BF3FA39054345BAFABFEFF15BFD11D", "", None],
    "arxiv_id": ["1512.03385", "arXiv:1512.03385", "1512.03385v2", "hep-th/9901001", "", None],
    "doi": ["10.1109/cvpr.2016.90", "10.1109/CVPR.2016.90", "doi:10.1/x", "10.1/" + "x" * 300, "", None],
    "authors": ["Kaiming He", "Kaiming He ", "K\u202eH", "", None],
    "venue": ["CVPR", "\tCVPR", "", None],
    "publication_date": [None, "", "2016-06-27", "2016-6-27"],
    "citations": [None, 0, 5, -1, True, 10**12, "5"],
}


@settings(max_examples=400, deadline=None)
@given(
    changes=st.lists(st.sampled_from(sorted(OPTIONAL_VALUES)), max_size=3, unique=True).flatmap(
        lambda names: st.fixed_dictionaries({n: st.sampled_from(OPTIONAL_VALUES[n]) for n in names})
    ),
    year=st.sampled_from([2016, "2016", None]),
)
def test_the_lenient_road_for_canonical_values_is_what_the_cleaners_give(changes: dict[str, Any], year: Any) -> None:
    """``clean.fast_optionals``: True only when every optional cleaner leaves its value as it is
    (a year written as four digits made its number, as the cleaner makes it); False changes nothing."""
    paper = {**{name: choices[0] for name, choices in OPTIONAL_VALUES.items()}, "year": year, **changes}
    fast = dict(paper)
    cleaners = clean.optional_cleaners(LATEST)
    if not clean.fast_optionals(fast, LATEST):
        assert fast == paper
        return
    for name, cleaner in cleaners.items():
        value = paper[name]
        if value is None or value == "":  # (passed over by the lenient reader)
            assert fast[name] == value
        else:
            assert cleaner(value) == fast[name]
            assert type(cleaner(value)) is type(fast[name])


@settings(max_examples=500, deadline=None)
@given(title=st.text(alphabet=st.characters(max_codepoint=127), max_size=12))
def test_an_ascii_title_has_a_form_exactly_when_it_has_a_letter_or_digit(title: str) -> None:
    from paperread.exchange import lenient

    assert (lenient._ASCII_ALNUM_RE.search(title) is not None) == (lenient.title_form(title) is not None)


READER_VALUES: dict[str, list[Any]] = {  # what the CSV and BibTeX readers hand on, odd values among them
    **OPTIONAL_VALUES,
    "title": ["Deep Residual Learning", "Deep  residual learning!", " Spaced", "???", "a\x1bb", "", None],
    "category": ["vision", None, "nlp"],
    "recorded": [None, True, False],
}


def _reader_paper(i: int, changes: dict[str, Any]) -> dict[str, Any]:
    paper = {name: choices[0] for name, choices in READER_VALUES.items()}
    paper.update(key=f"paper-{i}", year="2016", title=f"Paper {i}", s2_id=None, arxiv_id=None, doi=None)
    paper.update(changes)
    return paper


@settings(max_examples=300, deadline=None)
@given(
    changes=st.lists(
        st.lists(st.sampled_from(sorted(READER_VALUES)), max_size=3, unique=True).flatmap(
            lambda names: st.fixed_dictionaries({n: st.sampled_from(READER_VALUES[n]) for n in names})
        ),
        min_size=1,
        max_size=6,
    )
)
def test_papers_the_lenient_reader_found_canonical_clean_as_on_the_full_road(changes: list[dict[str, Any]]) -> None:
    """``lenient_papers``' canonical papers (``clean_document(canonical=...)``) clean to the same
    document with the same problems as when every value is checked again (duplicates merged,
    ids taken off, empty values and papers with no title among them)."""
    import copy

    from paperread.exchange.lenient import lenient_papers

    papers = [_reader_paper(i, c) for i, c in enumerate(changes)]
    kept, _, _, canonical = lenient_papers(papers, lambda i: i + 1)
    doc = {"format": "paperread", "version": 1, "categories": [{"slug": s, "name": s} for s in sorted(SLUGS)],
           "papers": kept, "videos": []}  # fmt: skip
    full = clean.clean_document(copy.deepcopy(doc))
    trusted = clean.clean_document(copy.deepcopy(doc), canonical=canonical)
    assert trusted == full
