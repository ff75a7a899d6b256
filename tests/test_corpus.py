"""A corpus of real entries (``tests/data``, sources in ``tests/data/SOURCES.md``): what each file
must give, how many entries come in whole, and the same on both back ends through the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from paperread import formats
from tests.conftest import Cli
from tests.test_io import as_json, export_doc

DATA = Path(__file__).parent / "data"
FILES = sorted(p for p in DATA.rglob("*") if p.suffix in (".bib", ".csv"))


def parse(path: Path):
    return formats.parse(path.read_text(encoding="utf-8"), formats.detect_format(path.name, ""), source=path.name)


def by_cite_key(parsed) -> dict[str, dict]:
    return {p["cite_key"] or p["key"]: p for p in parsed.doc["papers"]}


def test_google_scholar_entries_of_the_d2l_book() -> None:
    parsed = parse(DATA / "bib" / "d2l.bib")
    papers = by_cite_key(parsed)
    assert len(papers) == 11  # 12 entries: "Layer normalization" is there twice, under two keys
    assert [(p.where, p.merged) for p in parsed.problems] == [(105, True)]
    assert all(p["year"] is not None for p in papers.values())
    assert (papers["Cajal.Azoulay.1894"]["year"], papers["Cantelli.1933"]["year"]) == (1894, 1933)
    assert papers["Cajal.Azoulay.1894"]["authors"] == "Santiago Ramón y Cajal, Léon Azoulay"
    assert papers["Alsallakh.Kokhlikyan.Miglani.ea.2020"]["arxiv_id"] == "2010.02178"
    assert papers["ba2016layer"]["arxiv_id"] == "1607.06450"
    assert papers["Abadi.Barham.Chen.ea.2016"]["venue"] == (  # math, kept as written
        r"12th $\{$USENIX$\}$ symposium on operating systems design and implementation ($\{$OSDI$\}$ 16)"
    )
    assert papers["Vapnik95"]["title"] == "The Nature of Statistical Learning Theory"  # Title =, Year = 1995
    assert papers["Novikoff62"]["authors"] == "A. B. J. Novikoff"


def test_inspire_entries_keep_their_keys_and_their_math() -> None:
    parsed = parse(DATA / "bib" / "inspire.bib")
    papers = by_cite_key(parsed)
    assert parsed.problems == [] and len(papers) == 5
    stau = papers["ATLAS:2019gti"]
    assert stau["key"] == "atlas-2019gti"
    assert stau["title"].startswith(r"Search for direct stau production in events with two hadronic $\tau$-leptons")
    assert (stau["arxiv_id"], stau["doi"], stau["year"]) == ("1911.06660", "10.1103/physrevd.101.032009", 2020)
    assert papers["ATLAS:2022rme"]["title"].count("$") == 6 and papers["ATLAS:2022rme"]["doi"] is None
    assert [p["arxiv_id"] for p in papers.values()] == ["1911.06660", None, "1908.08215", "2004.10894", "2201.02472"]


def test_better_biblatex_dates_journaltitles_and_one_doi_on_three_titles() -> None:
    parsed = parse(DATA / "bib" / "betterbiblatex.bib")
    papers = by_cite_key(parsed)
    spin = papers["BachmannDybalskiNaaijkens14"]
    assert (spin["year"], spin["arxiv_id"], spin["key"]) == (2014, "1412.2970", "bachmanndybalskinaaijkens14")
    assert papers["Fritz2012"]["venue"] == "Actes du 4ème Congrès Français d'Acoustique"
    assert [papers[k]["doi"] for k in ("Fritz2012", "Fritz2012a", "Fritz2012b")] == [
        "10.1007/s13127-011-0069-8",
        None,
        None,
    ]
    assert [(p.where, p.left_off) for p in parsed.problems] == [(34, True), (45, True)]


def test_a_mathscinet_record() -> None:
    (paper,) = parse(DATA / "bib" / "mathscinet.bib").doc["papers"]
    assert (paper["title"], paper["year"], paper["authors"]) == (
        "Krylov subspace methods",
        2013,
        "Jörg Liesen, Zdeněk Strakoš",
    )


def test_a_scopus_export() -> None:
    parsed = parse(DATA / "csv" / "scopus.csv")
    papers = parsed.doc["papers"]
    assert [len(formats.split_authors(p["authors"])) for p in papers] == [8, 3, 8, 5]
    assert papers[1]["authors"] == "Zequn Zeng, Si-Ping Gao, Yong-Xin Guo"
    assert [p["venue"] for p in papers][:2] == [
        "Physical Chemistry Chemical Physics",
        "2024 IEEE MTT-S International Wireless Symposium, IWS 2024 - Proceedings",
    ]
    assert all(p["url"].startswith("https://scopus.") and p["doi"] and p["year"] for p in papers)
    (problem,) = parsed.problems
    assert problem.kind == "file" and "'Cited by'" in problem.message and "'Author(s) ID'" in problem.message


def test_how_many_entries_come_in_whole() -> None:
    """Entries read (a merged repeat counts: it is the same paper), papers, and papers with some
    value left off, over the whole corpus."""
    entries = papers = left_off = skipped = 0
    for path in FILES:
        parsed = parse(path)
        papers += len(parsed.doc["papers"])
        merged = sum(p.merged for p in parsed.problems)
        skipped += sum(p.skipped for p in parsed.problems)
        entries += len(parsed.doc["papers"]) + merged + sum(p.skipped for p in parsed.problems)
        left_off += len({p.where for p in parsed.problems if p.left_off})
    assert (entries, papers, skipped, left_off) == (26, 25, 0, 2)  # 24 of 26 entries whole (92%), none lost


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_the_corpus_imports_exports_and_imports_again_unchanged(empty_cli: Cli, tmp_path: Path, path: Path) -> None:
    expected = parse(path).doc["papers"]
    report = as_json(empty_cli.ok("import", str(path), "--json"))
    assert report["papers"]["added"] == len(expected) and report["papers"]["skipped"] == 0
    stored = export_doc(empty_cli)["papers"]
    assert [(p["title"], p["cite_key"], p["doi"], p["arxiv_id"]) for p in stored] == [
        (p["title"], p["cite_key"], p["doi"], p["arxiv_id"]) for p in expected
    ]
    fmt = "bibtex" if path.suffix == ".bib" else "csv"
    exported = tmp_path / f"again{path.suffix}"
    exported.write_text(empty_cli.ok("export", fmt).stdout, encoding="utf-8")
    for paper in expected:
        if fmt == "bibtex":
            assert f"@misc{{{paper['cite_key'] or paper['key']},\n" in exported.read_text(encoding="utf-8")
    again = as_json(empty_cli.ok("import", str(exported), "--json"))
    assert again["changed"] is False, again["changes"]
