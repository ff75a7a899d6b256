"""Real bibliographies, whole: an unreadable optional value costs that value (reported), not the
paper; citation keys survive an import and an export; biblatex, DBLP, INSPIRE and Google Scholar
fields are read; math in titles is kept; duplicates are judged by an id *and* the title; Zotero,
Scopus and Web of Science CSV exports are read with their author lists; parsing stays linear."""

from __future__ import annotations

from pathlib import Path

import pytest

from paperread import formats
from paperread.formats.bibsyntax import LineCounter, bib_entries
from tests.conftest import Cli
from tests.test_io import as_json, export_doc, write


def bib(text: str):
    return formats.parse(text, "bibtex", source="r.bib")


def only(parsed) -> dict:
    (paper,) = parsed.doc["papers"]
    return paper


# ---------------------------------------------------------------------------- a bad value costs the value


@pytest.mark.parametrize(
    ("field", "value", "name"),
    [
        ("doi", "{N/A}", "doi"),
        ("doi", "{10.1000/a 10.1000/b}", "doi"),
        ("url", "{ftp://ftp.example.org/paper.ps}", "url"),
        ("url", "{http://a.org/x http://b.org/y}", "url"),
        ("year", "{to appear}", "year"),
        ("eprint", "{not-an-id}, archivePrefix={arXiv}", "arxiv_id"),
    ],
)
def test_one_unreadable_optional_field_is_left_off_not_the_entry(field: str, value: str, name: str) -> None:
    parsed = bib(f"@article{{k, title={{Kept}}, author={{Doe, Jane}}, {field}={value}}}\n")
    paper = only(parsed)
    assert (paper["title"], paper["authors"], paper[name]) == ("Kept", "Jane Doe", None)
    (problem,) = parsed.problems
    assert problem.where == 1 and problem.left_off and not problem.skipped
    assert problem.message.endswith("the paper is imported without it")


def test_only_an_entry_without_a_title_is_skipped() -> None:
    parsed = bib("@misc{a, author={X}}\n@misc{b, title={B}, doi={nope}}\n")
    assert [p["title"] for p in parsed.doc["papers"]] == ["B"]
    assert [(p.where, p.skipped, p.left_off) for p in parsed.problems] == [(1, True, False), (2, False, True)]
    assert parsed.problems[0].message == "entry skipped: it has no title"


@pytest.mark.parametrize(
    ("fields", "doi"),
    [
        ("doi = {10/dvzd5z}", "10/dvzd5z"),
        ("doi = {doi:10.1038/Nature14539}", "10.1038/nature14539"),
        ("doi = {https://doi.org/10.1145/3065386}", "10.1145/3065386"),
        ("doi = {\\url{https://doi.org/10.1145/3065386}}", "10.1145/3065386"),
        ("doi = {10.1016/0022-2836(81)90087-5}", "10.1016/0022-2836(81)90087-5"),
    ],
)
def test_dois_as_exporters_write_them(fields: str, doi: str) -> None:
    parsed = bib(f"@article{{k, title={{T}}, {fields}}}")
    assert only(parsed)["doi"] == doi and parsed.problems == []


@pytest.mark.parametrize(
    ("fields", "url"),
    [
        ("url = {www.jstor.org/stable/2394164}", "https://www.jstor.org/stable/2394164"),
        ("url = {\\url{http://example.org/a_b}}", "http://example.org/a_b"),
        ("howpublished = {\\url{https://openai.com/blog/}}", "https://openai.com/blog/"),
        ("url = {https://example.org/a\\_b\\%20c}", "https://example.org/a_b%20c"),
    ],
)
def test_links_as_exporters_write_them(fields: str, url: str) -> None:
    parsed = bib(f"@misc{{k, title={{T}}, {fields}}}")
    assert only(parsed)["url"] == url and parsed.problems == []
    assert only(parsed)["venue"] is None


@pytest.mark.parametrize(
    ("fields", "year"),
    [
        ("year = {1809}", 1809),  # Gauss, Theoria motus
        ("year = {2023a}", 2023),  # the d2l book's LLaMA entries
        ("year = {1980/81}", 1980),
        ("year = {1980--1981}", 1980),
        ("date = {2018-05-14}", 2018),  # biblatex
        ("date = {2018-05}", 2018),
        ("date = {2018/2019}", 2018),
        ("year = {}, date = {2017}", 2017),
    ],
)
def test_years_as_bibliographies_write_them(fields: str, year: int) -> None:
    parsed = bib(f"@book{{k, title={{T}}, {fields}}}")
    assert only(parsed)["year"] == year and parsed.problems == []


@pytest.mark.parametrize(
    ("fields", "arxiv"),
    [
        ("eprint = {1706.03762}, archivePrefix = {arXiv}", "1706.03762"),
        ("eprint = {1706.03762v5}, eprinttype = {arxiv}", "1706.03762"),
        ("eprint = {0401008}, archivePrefix = {arXiv}, primaryClass = {hep-ex}", "hep-ex/0401008"),
        ("eprint = {hep-th/9901001}, archivePrefix = {arXiv}", "hep-th/9901001"),
        ("eprint = {1706.03762}", "1706.03762"),  # no type given: a new-style id is one
        ("eprint = {12345678}, eprinttype = {pubmed}", None),  # a PubMed id is not an arXiv id
        ("eprint = {1706.03762}, eprinttype = {pubmed}", None),
        ("journal = {arXiv preprint arXiv:1709.08272}", "1709.08272"),  # Google Scholar
        ("journal = {CoRR}, volume = {abs/1211.0906}", "1211.0906"),  # DBLP
        ("note = {arXiv:hep-ph/0603175}", "hep-ph/0603175"),
        ("howpublished = {arXiv:2302.13971}", "2302.13971"),
        ("url = {https://arxiv.org/abs/1512.03385v1}", "1512.03385"),
    ],
)
def test_arxiv_ids_where_exporters_put_them(fields: str, arxiv: str | None) -> None:
    parsed = bib(f"@article{{k, title={{T}}, {fields}}}")
    assert only(parsed)["arxiv_id"] == arxiv and parsed.problems == []


def test_biblatex_journaltitle_is_the_venue() -> None:
    paper = only(bib("@article{k, title={T}, journaltitle={Nature}, date={2015-05-28}}"))
    assert (paper["venue"], paper["year"]) == ("Nature", 2015)


# ---------------------------------------------------------------------------- math in titles


def test_math_in_a_title_is_kept_as_written_and_exported_so_latex_renders_it(empty_cli: Cli, tmp_path: Path) -> None:
    title = r"Elliptic flow in Pb--Pb collisions at $\sqrt{{s}_{NN}}=2.76$ {TeV} and {\"U}ber \'etudes"
    path = write(tmp_path, "m.bib", f"@article{{Aamodt:2010pa, title={{{title}}}}}\n")
    empty_cli.ok("import", path)
    (paper,) = export_doc(empty_cli)["papers"]
    assert paper["title"] == r"Elliptic flow in Pb–Pb collisions at $\sqrt{{s}_{NN}}=2.76$ TeV and Über études"
    text = empty_cli.ok("export", "bibtex").stdout
    assert r"$\sqrt{{s}_{NN}}=2.76$" in text and r"\$" not in text and "textbackslash" not in text
    again = formats.parse(text, "bibtex", source="again.bib")
    assert only(again)["title"] == paper["title"]


# ---------------------------------------------------------------------------- citation keys


def test_citation_keys_survive_import_and_export(empty_cli: Cli, tmp_path: Path) -> None:
    text = (
        "@article{Aamodt:2011mr, title={Higher harmonic anisotropic flow}, year={2011}}\n"
        "@inproceedings{He_2016_CVPR, title={Deep Residual Learning}, year={2016}}\n"
        "@misc{vaswani2017, title={Attention Is All You Need}, year={2017}}\n"
        "@book{Goodfellow-et-al-2016, title={Deep Learning}, year={2016}}\n"
        "@article{10.1145/3065386, title={ImageNet Classification}, year={2017}}\n"
    )
    empty_cli.ok("import", write(tmp_path, "keys.bib", text))
    papers = export_doc(empty_cli)["papers"]
    assert [(p["key"], p["cite_key"]) for p in papers] == [
        ("aamodt-2011mr", "Aamodt:2011mr"),
        ("he-2016-cvpr", "He_2016_CVPR"),
        ("vaswani2017", None),  # paperread's key is the citation key
        ("goodfellow-et-al-2016", "Goodfellow-et-al-2016"),
        ("10-1145-3065386", "10.1145/3065386"),
    ]
    exported = empty_cli.ok("export", "bibtex").stdout
    for key in ("Aamodt:2011mr", "He_2016_CVPR", "vaswani2017", "Goodfellow-et-al-2016", "10.1145/3065386"):
        assert f"@misc{{{key},\n" in exported
    # The CLI keeps its own short keys; a second import of the export changes nothing.
    assert as_json(empty_cli.ok("show", "he-2016-cvpr", "--json"))["title"] == "Deep Residual Learning"
    report = as_json(empty_cli.ok("import", write(tmp_path, "again.bib", exported), "--json"))
    assert report["changed"] is False
    csv_text = empty_cli.ok("export", "csv").stdout
    assert csv_text.splitlines()[0].endswith(",cite_key") and ",Aamodt:2011mr" in csv_text


# ---------------------------------------------------------------------------- duplicates


def test_the_same_id_and_title_is_one_paper_merged() -> None:
    parsed = bib(
        "@article{a, title={Deep Learning}, doi={10.1038/nature14539}}\n"
        "@article{b, title={Deep learning}, doi={10.1038/NATURE14539}, year={2015}, author={LeCun, Yann}}\n"
    )
    paper = only(parsed)
    assert (paper["key"], paper["year"], paper["authors"]) == ("a", 2015, "Yann LeCun")
    (problem,) = parsed.problems
    assert (problem.where, problem.merged, problem.skipped) == (2, True, False)
    assert problem.message == "the same paper as line 1 (same DOI and title): merged into it"


def test_the_same_id_on_another_title_keeps_both_and_drops_the_later_id() -> None:
    # Mendeley's stray eprint on unrelated chapters
    parsed = bib(
        "@incollection{c1, title={Chapter One}, eprint={1011.1669v3}, archivePrefix={arXiv}}\n"
        "@incollection{c2, title={Chapter Two}, eprint={1011.1669v3}, archivePrefix={arXiv}}\n"
    )
    assert [(p["title"], p["arxiv_id"]) for p in parsed.doc["papers"]] == [
        ("Chapter One", "1011.1669"),
        ("Chapter Two", None),
    ]
    (problem,) = parsed.problems
    assert problem.where == 2 and problem.left_off
    assert "also given to the paper at line 1, a different title" in problem.message


def test_a_repeated_key_on_another_title_gets_a_key_of_its_own() -> None:
    parsed = bib("@misc{smith2020, title={One}}\n@misc{smith2020, title={Two}}\n")
    assert [p["key"] for p in parsed.doc["papers"]] == ["smith2020", "two"]  # (its own, from the title)
    assert [p["cite_key"] for p in parsed.doc["papers"]] == [None, "smith2020"]


def test_the_report_counts_left_off_and_merged_apart_from_skipped(empty_cli: Cli, tmp_path: Path) -> None:
    text = (
        "@misc{a, title={A}, doi={N/A}}\n@misc{b, title={B}, url={not a link}, year={someday}}\n"
        "@misc{c, author={No Title}}\n@misc{a2, title={A}, doi={10.1000/x}}\n@misc{a3, title={a}, doi={10.1000/X}}\n"
    )
    result = empty_cli.ok("import", write(tmp_path, "r.bib", text), "--json")
    report = as_json(result)["papers"]
    assert (report["added"], report["skipped"], report["left_off"], report["merged"]) == (3, 1, 2, 1)
    assert "papers: 3 added, 0 updated, 0 unchanged, 1 skipped, 2 taken with fields left off, 1 merged" in (
        result.stderr
    )


# ---------------------------------------------------------------------------- linear time


def _entries(n: int) -> str:
    return "".join(
        f"@article{{Key:{i}x,\n  title = {{Paper {{Number}} {i}: $x^{i}$}},\n  author = {{Doe, J. and Roe, R.}},\n"
        f"  year = {{2020}},\n  doi = {{10.1000/{i}}},\n}}\n\n"
        for i in range(n)
    )


@pytest.mark.parametrize("n", [100, 2000])
def test_numbering_the_entries_reads_each_character_once(n: int) -> None:
    """Each entry's line is counted on from the last one (it was counted from the file's start:
    quadratic, 12 s for 10,000 entries): the characters scanned never exceed the text."""
    text = _entries(n)
    lines = LineCounter(text)
    entries = list(bib_entries(text, [], lines))
    assert len(entries) == n and entries[-1].line == 7 * (n - 1) + 1
    assert lines.scanned <= len(text)


def test_a_broken_entry_is_numbered_by_the_same_count() -> None:
    text = _entries(50) + "@article{broken,\n  title = {x}\n  year = 2020,\n}\n" + _entries(3)
    problems: list = []
    lines = LineCounter(text)
    entries = list(bib_entries(text, problems, lines))
    assert len(entries) == 53 and lines.scanned <= len(text)
    assert [p.where for p in problems] == [351]


# ---------------------------------------------------------------------------- other tools' CSV


def test_a_zotero_csv_export_is_read() -> None:
    text = (
        '"Key","Item Type","Publication Year","Author","Title","Publication Title","DOI","Url","Abstract Note"\n'
        '"MK49RMWU","journalArticle","2015","LeCun, Yann; Bengio, Yoshua; Hinton, Geoffrey","Deep learning",'
        '"Nature","10.1038/nature14539","https://www.nature.com/articles/nature14539","An abstract"\n'
    )
    parsed = formats.parse(text, "csv", source="zotero.csv")
    paper = only(parsed)
    assert (paper["key"], paper["year"], paper["authors"], paper["venue"], paper["doi"]) == (
        "deep-learning",
        2015,
        "Yann LeCun, Yoshua Bengio, Geoffrey Hinton",
        "Nature",
        "10.1038/nature14539",
    )
    (problem,) = parsed.problems  # the columns it does not use, named once
    assert problem.message == "column(s) 'Key', 'Item Type', 'Abstract Note' ignored: not a paperread column"


@pytest.mark.parametrize(
    ("authors", "full", "expected"),
    [
        ("Gong B.; Wang L.; Gao S.-P.", "", "B. Gong, L. Wang, S.-P. Gao"),
        ("Gong, B., Wang, L., Gao, S.-P.", "", "B. Gong, L. Wang, S.-P. Gao"),  # older Scopus exports
        ("Gong B.; Wang L.", "Gong, Bin (57321683800); Wang, Luowen (58115311900)", "Bin Gong, Luowen Wang"),
    ],
)
def test_scopus_author_lists_become_one_name_per_author(authors: str, full: str, expected: str) -> None:
    text = (
        '"Authors","Author full names","Title","Year","Source title","DOI","Link","EID"\n'
        f'"{authors}","{full}","Optimizing skyrmionium movement","2024","Physical Chemistry Chemical Physics",'
        '"10.1039/d3cp05340g","https://www.scopus.com/inward/record.uri?eid=2-s2.0-85183479140","2-s2.0-85183479140"\n'
    )
    paper = only(formats.parse(text, "csv", source="scopus.csv"))
    assert paper["authors"] == expected and len(formats.split_authors(paper["authors"])) == expected.count(",") + 1
    assert (paper["venue"], paper["url"]) == (
        "Physical Chemistry Chemical Physics",
        "https://www.scopus.com/inward/record.uri?eid=2-s2.0-85183479140",
    )


def test_a_web_of_science_tab_delimited_export_is_read() -> None:
    header = "PT\tAU\tAF\tTI\tSO\tPY\tDI\tUT\n"
    row = (
        "J\tKanjo, E; Younis, EMG\tKanjo, Eiman; Younis, Eman M. G.\tTowards unravelling the relationship "
        'between on-body, environmental and "emotion" data\tINFORMATION FUSION\t2019\t10.1016/j.inffus.2018.09.001\t'
        "WOS:000456000000001\t\n"
    )
    assert formats.detect_format("savedrecs.txt", header + row) == "csv"
    parsed = formats.parse(header + row, "csv", source="savedrecs.txt")
    paper = only(parsed)
    assert paper["title"].endswith('"emotion" data') and paper["authors"] == "Eiman Kanjo, Eman M. G. Younis"
    assert (paper["venue"], paper["year"], paper["doi"]) == ("INFORMATION FUSION", 2019, "10.1016/j.inffus.2018.09.001")
    assert [p.message for p in parsed.problems] == ["column(s) 'PT', 'UT' ignored: not a paperread column"]


# ---------------------------------------------------------------------------- other tables' columns


def test_markdown_columns_paperread_does_not_read_are_named_in_one_warning(empty_cli: Cli, tmp_path: Path) -> None:
    text = (
        "## 论文\n\n### 计算机视觉\n\n| 已录制 | 年份 | 名字 | 作者 | 简介 | 引用 | 笔记 |\n| --- | --- | --- | --- | --- | --- | --- |\n"
        "| ✅ | 2012 | [AlexNet](https://papers.nips.cc/x.pdf) | Krizhevsky | 描述 | | mine |\n\n"
        "### 强化学习\n\n| 已录制 | 年份 | 名字 | 笔记 |\n| --- | --- | --- | --- |\n| | 2015 | [DQN](https://x.org/dqn) | n |\n"
    )
    result = empty_cli.ok("import", write(tmp_path, "table.md", text), "--json")
    assert "warning: line 5: column(s) '作者', '笔记' ignored: not a paper-reading column" in result.stderr
    report = as_json(result)
    assert report["papers"]["added"] == 2 and report["papers"]["skipped"] == 0
    assert [p["message"] for p in report["problems"]] == [
        "column(s) '作者', '笔记' ignored: not a paper-reading column"
    ]


def test_a_paper_is_found_again_by_its_citation_key_after_its_key_changed(empty_cli: Cli, tmp_path: Path) -> None:
    empty_cli.ok("import", write(tmp_path, "a.bib", "@misc{He_2016_CVPR, title={Deep Residual Learning}}\n"))
    empty_cli.ok("edit", "he-2016-cvpr", "--key", "resnet")
    edited = "@misc{He_2016_CVPR, title={Deep Residual Learning for Image Recognition}, year={2016}}\n"
    report = as_json(empty_cli.ok("import", write(tmp_path, "b.bib", edited), "--json"))
    assert (report["papers"]["added"], report["papers"]["updated"]) == (0, 1)
    (paper,) = export_doc(empty_cli)["papers"]
    assert (paper["key"], paper["cite_key"], paper["year"]) == ("resnet", "He_2016_CVPR", 2016)
