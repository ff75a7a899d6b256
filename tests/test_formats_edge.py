"""Edge cases of the CSV and BibTeX readers: unclosed quotes, numbers out of range, LaTeX
accents and @string macros, and BibTeX export then import with accented text."""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperread import formats
from paperread.cells import unguard
from paperread.errors import InputError
from paperread.limits import COUNT_MAX
from tests.conftest import Cli
from tests.test_io import as_json, db_state, document, export_doc, paper, write

TOO_BIG = "99999999999999999999999"


def refused(text: str, fmt: str = "csv") -> str:
    with pytest.raises(InputError) as caught:
        formats.parse(text, fmt, source="f.csv")
    return caught.value.message


def titles(parsed) -> list[str]:
    return [p["title"] for p in parsed.doc["papers"]]


def csv_text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


# ---------------------------------------------------------------------------- CSV: unclosed quotes


def test_an_unclosed_quote_refuses_the_csv_whole(empty_cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path, "b.csv", 'title,year\nFirst,2020\n"Second oops,2021\nThird,2022\nFourth,2023\n')
    before = db_state(empty_cli.db)
    for strict in ((), ("--strict",)):
        result = empty_cli("import", path, *strict)
        assert result.exit_code == 1, result.output
        lines = result.stderr.strip().splitlines()
        assert lines[0] == (
            f'error: {path} line 3: a quoted field starts here (") and is never closed, '
            "so the rows after it cannot be read"
        )
        assert [line for line in lines if line.startswith(("error", "warning", "Traceback"))] == lines[:1]
        assert db_state(empty_cli.db) == before


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('"title,year\nA,2020\n', 1),  # in the header
        ('title,year\nA,2020\nB,"20', 3),  # on the last line, no line break after it
        ('title,description\nA,"two\nlines" ,"x\nB,y\n', 3),  # the line of the quote, not where its row starts
        ('title,description\r\nA,x\r\nB,"say ""hi""\r\nC,z\r\n', 3),  # doubled quotes do not close it
        ('title,description\rA,x\rB,"open\rC,z\r', 3),  # old Mac line breaks count as lines too
        ('title,description\nA,"closed"\n\n\nB,x\n"', 6),
    ],
)
def test_the_error_names_the_line_of_the_unclosed_quote(text: str, line: int) -> None:
    assert f"f.csv line {line}: a quoted field starts here" in refused(text)


def test_closed_quoted_fields_over_several_lines_still_import(empty_cli: Cli, tmp_path: Path) -> None:
    text = (
        "title,year,description\n"
        'First,2020,"two\nlines, and ""quoted"""\n'
        '"Second, with comma",2021,"a\r\nb"\n'
        'Third "inch" mark,2022,"ends with a line break\n"\n'
    )
    result = empty_cli.ok("import", write(tmp_path, "multi.csv", text), "--strict", "--json")
    assert as_json(result)["papers"]["added"] == 3 and as_json(result)["problems"] == []
    got = {p["title"]: p for p in export_doc(empty_cli)["papers"]}
    assert got["First"]["description"] == 'two\nlines, and "quoted"'
    assert got["Second, with comma"]["description"] == "a\r\nb"
    assert got['Third "inch" mark']["year"] == 2022


def test_csv_export_with_line_breaks_and_quotes_round_trips(empty_cli: Cli, tmp_path: Path) -> None:
    doc = document([
        paper("a", title='A "quoted" title, with comma', description='line one\nline "two"\n\nfour'),
        paper("b", title="B", description='"'),
        paper("c", title="C", description="ends with a quote\""),
    ])  # fmt: skip
    empty_cli.ok("import", write(tmp_path, "doc.json", json.dumps(doc)))
    text = empty_cli.ok("export", "csv").stdout
    parsed = formats.parse(text, "csv", source="x.csv")
    assert parsed.problems == []
    assert [(p["title"], p["description"]) for p in parsed.doc["papers"]] == [
        (p["title"], p["description"]) for p in doc["papers"]
    ]


def test_a_field_over_the_csv_size_limit_skips_just_its_row() -> None:
    huge = "x" * 140_000
    text = f'title,description\nA,"{huge}\nstill A\n"\nB,"b"\r\nC,c\n'
    parsed = formats.parse(text, "csv", source="f.csv")
    assert titles(parsed) == ["B", "C"]
    assert [(p.where, p.message) for p in parsed.problems] == [
        (2, "row skipped: field larger than field limit (131072)")
    ]
    # The same with the quote never closed: the rows after it cannot be told apart.
    assert "f.csv line 2: a quoted field starts here" in refused(f'title,description\nA,"{huge}\nB,b\nC,c\n')


line_text = st.text(alphabet=st.sampled_from(list("ab ,\"'é;x")), max_size=12)
lines_text = st.text(alphabet=st.sampled_from(list("ab ,\"\n\r'é;x")), max_size=12)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(st.tuples(line_text, lines_text), max_size=6), st.booleans(), lines_text)
def test_csv_rows_read_back_and_an_added_unclosed_quote_is_found(
    rows: list[tuple[str, str]], broken: bool, tail: str
) -> None:
    rows = [(f"T{i} {title}".rstrip(), desc) for i, (title, desc) in enumerate(rows)]  # titles never blank
    text = csv_text([["title", "description"], *rows])
    parsed = formats.parse(text, "csv", source="f.csv")
    assert [p for p in parsed.problems if p.skipped] == []
    # A leading quote before a quote (or a formula's first character) is the export's guard
    # against formula injection (paperread.cells), and is taken off.
    expected = [(t, unguard(d).strip()) for t, d in rows]
    assert [(p["title"], p["description"] or "") for p in parsed.doc["papers"]] == expected
    if broken:  # a last row whose description opens a quote that never closes
        line = len(re.findall(r"\r\n|\r|\n", text)) + 1
        bad = text + 'Last,"' + tail.replace('"', "")
        assert f"f.csv line {line}: a quoted field starts here" in refused(bad)


# ---------------------------------------------------------------------------- numbers out of range

COUNT_RANGE = f"a whole number from 0 to {COUNT_MAX:,}"


@pytest.mark.parametrize("cell", [TOO_BIG, "2147483648", "-1", "1e5", "1.5", "١٢", "9" * 5000])
def test_a_citation_count_out_of_range_is_left_off_its_row(cell: str) -> None:
    text = f"title,citations\nGood,7\nBad,{cell}\nAlso good,{COUNT_MAX}\n"
    parsed = formats.parse(text, "csv", source="f.csv")
    got = [(p["title"], p["citations"]) for p in parsed.doc["papers"]]
    assert got == [("Good", 7), ("Bad", None), ("Also good", COUNT_MAX)]
    (problem,) = parsed.problems
    assert problem.where == 3 and problem.left_off and not problem.skipped
    assert problem.message.startswith(f"citations '{cell[:20]}")
    assert problem.message.endswith(f"is not a count ({COUNT_RANGE}): the paper is imported without it")


@pytest.mark.parametrize(("cell", "count"), [("0", 0), ("007", 7), ("1,234", 1234), ("1_000", 1000), ("", None)])
def test_citation_counts_in_range_are_read(cell: str, count: int | None) -> None:
    parsed = formats.parse(f'title,citations\nA,"{cell}"\n', "csv", source="f.csv")
    assert parsed.problems == [] and parsed.doc["papers"][0]["citations"] == count


def test_huge_numbers_in_a_csv_are_left_off_their_rows(empty_cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path, "n.csv", f"title,year,citations\nA,2020,{TOO_BIG}\nB,{TOO_BIG},\nC,2021,5\n")
    before = db_state(empty_cli.db)
    result = empty_cli("import", path, "--strict")
    assert result.exit_code == 1 and "nothing was imported (--strict)" in result.stderr
    assert db_state(empty_cli.db) == before
    result = empty_cli.ok("import", path, "--json")
    assert "internal error" not in result.stderr
    assert f"warning: line 2: citations '{TOO_BIG}' is not a count ({COUNT_RANGE}): the paper is" in result.stderr
    year_problem = rf"warning: line 3: year '{TOO_BIG}' is not a year between 1 and \d{{4}}: the paper is imported"
    assert re.search(year_problem, result.stderr)
    report = as_json(result)["papers"]
    assert (report["added"], report["skipped"], report["left_off"]) == (3, 0, 2)
    assert [(p["title"], p["year"], p["citations"]) for p in export_doc(empty_cli)["papers"]] == [
        ("A", 2020, None), ("B", None, None), ("C", 2021, 5),
    ]  # fmt: skip


@pytest.mark.parametrize("year", [TOO_BIG, "{99999999999999999999999}", "-2020", "1e3"])
def test_a_bibtex_year_out_of_range_is_left_off_its_entry(year: str) -> None:
    text = f"@misc{{a, title={{A}}, year={year}}}\n@misc{{b, title={{B}}, year=2020}}\n"
    parsed = formats.parse(text, "bibtex", source="r.bib")
    assert [(p["title"], p["year"]) for p in parsed.doc["papers"]] == [("A", None), ("B", 2020)]
    (problem,) = parsed.problems
    assert problem.where == 1 and problem.left_off and not problem.skipped
    assert "is not a year between 1 and" in problem.message and problem.message.endswith("imported without it")


# ---------------------------------------------------------------------------- LaTeX to text


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        (r"Caf{\'e}", "Café"),
        (r"Caf\'{e} Caf\'e Caf\' e", "Café Café Café"),
        (r"\`a \^o \"u \~n \=a \.z", "à ô ü ñ ā ż"),
        (r"\u{g} \v{s} \v s \H{o} \c{c} \c c \k{a} \r{a} \r a", "ğ š š ő ç ç ą å å"),
        (r"{\'E}cole {\"O}sterreich \v{C}apek", "École Österreich Čapek"),
        (r"\'{\i} \'\i{} {\"\i} \^{\i}", "í í ï î"),
        (
            r"Stra\ss e Stra{\ss}e {\o} {\O} {\aa} {\AA} {\ae} {\AE} {\oe} {\OE} {\l} {\L}",
            "Straße Straße ø Ø å Å æ Æ œ Œ ł Ł",
        ),
        (r"Bj\o rn \AA{}str\"om \L\'od\'z", "Bjørn Åström Łódź"),  # TeX drops the spaces after a command word
        (r"Erd{\H{o}}s and Gr{\"o}bner", "Erdős and Gröbner"),
        (r"\& \% \$ \# \_ \{ \}", "& % $ # _ { }"),
        ("pages 1--10, a---b, one-two", "pages 1–10, a—b, one-two"),
        ("Donald~E. Knuth", "Donald E. Knuth"),
        (r"\emph{Deep} {\bf Learning} \textit{for} \textbf{All}", "Deep Learning for All"),
        (r"\LaTeX{} and \TeX", "LaTeX and TeX"),
        (r"\foo{b\'ar} and \baz", r"\foo{bár} and \baz"),  # unknown: kept as written
        (r"$\alpha$-nets", r"$\alpha$-nets"),
        (r"\textbackslash{}\textbraceleft{}x\textbraceright{} \^{} \~{}", r"\{x} ^ ~"),
        ("{{Protected}} {C}apitals", "Protected Capitals"),
    ],
)
def test_latex_to_text(latex: str, text: str) -> None:
    assert formats.latex_to_text(latex) == text


def test_accents_are_single_composed_characters() -> None:
    for latex, char in [(r"\'e", "\u00e9"), (r"\'{\i}", "\u00ed"), (r"\v{S}", "\u0160"), (r"\c{C}", "\u00c7")]:
        decoded = formats.latex_to_text(latex)
        assert decoded == char and unicodedata.is_normalized("NFC", decoded)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_latex_escape_is_read_back_by_latex_to_text(text: str) -> None:
    assert formats.latex_to_text(formats.latex_escape(text)) == " ".join(text.split())


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("\\{}'`^\"~=.uvHckrij -aeo$&%#_ss")), max_size=30))
def test_latex_to_text_reads_any_value(text: str) -> None:
    decoded = formats.latex_to_text(text)
    assert decoded == " ".join(decoded.split())


# ---------------------------------------------------------------------------- BibTeX macros and names


def test_string_macros_concatenation_and_months() -> None:
    text = r"""@string{nat = "Nature"}
@STRING(pre = {Phys.~Rev.})
@string{prl = pre # " Lett."}
@article{a, title = {A}, journal = nat # " Letters", note = {Category: } # "Misc"}
@article{b, title = "B", journal = PRL, month = jan, year = 2020}
@article{c, title = {Caf{\'e} } # nat, howpublished = "Issue " # dec}
@article{d, title = {D}, journal = undefinedmacro, month = sept}
"""
    parsed = formats.parse(text, "bibtex", source="r.bib")
    assert [(p["title"], p["venue"], p["category"]) for p in parsed.doc["papers"]] == [
        ("A", "Nature Letters", "misc"),
        ("B", "Phys. Rev. Lett.", None),
        ("Café Nature", "Issue December", None),
        ("D", "undefinedmacro", None),
    ]
    # An undefined macro in a field that is read: kept as the word, with a warning; the entry
    # is imported (an unknown month macro is in a field that is not read: no warning).
    assert [(p.where, p.message, p.skipped) for p in parsed.problems] == [
        (7, "journal uses @string 'undefinedmacro', which is not defined: kept as the word", False)
    ]


def test_a_broken_string_definition_is_reported() -> None:
    text = "@string{nat = }\n@misc{a, title = {A}, journal = nat}\n"
    parsed = formats.parse(text, "bibtex", source="r.bib")
    assert titles(parsed) == ["A"]
    assert [(p.where, p.message.split(":")[0]) for p in parsed.problems] == [
        (1, "@string skipped"), (2, "journal uses @string 'nat', which is not defined"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("field", "authors"),
    [
        (r"He, Kaiming and Zhang, Xiangyu", "Kaiming He, Xiangyu Zhang"),
        (r"Ren{\'e} Dupont AND M{\"u}ller, J{\"o}rg", "René Dupont, Jörg Müller"),
        (r"{Barnes and Noble} and Doe, Jane", "Barnes and Noble, Jane Doe"),
        (r"{Acme, Inc.}", "Acme, Inc."),  # a comma in braces is part of the name
        (r"von Neumann, Jr., John", "John von Neumann Jr."),
    ],
)
def test_author_names(field: str, authors: str) -> None:
    parsed = formats.parse(f"@misc{{a, title={{T}}, author={{{field}}}}}", "bibtex", source="r.bib")
    assert parsed.doc["papers"][0]["authors"] == authors


def test_identifiers_and_links_are_not_read_as_latex() -> None:
    text = r"""@misc{a, title = {A}, url = {https://example.org/~me/a--b}, doi = {10.1000/x\_y--z},
  eprint = {hep-th/9901001}, archivePrefix = {arXiv}}"""
    (p,) = formats.parse(text, "bibtex", source="r.bib").doc["papers"]
    assert (p["url"], p["doi"], p["arxiv_id"]) == ("https://example.org/~me/a--b", "10.1000/x_y--z", "hep-th/9901001")


def test_a_bibtex_file_with_latex_accents_imports_as_unicode(empty_cli: Cli, tmp_path: Path) -> None:
    text = r"""@misc{cafe, title={Caf{\'e} au {\v{C}}apek}, author={Ren{\'e} Dupont and Bj\o rn {\AA}str{\"o}m},
  journal = {Sci.~Rev. -- {\'E}d.}, year = 2021}
"""
    empty_cli.ok("import", write(tmp_path, "refs.bib", text))
    shown = as_json(empty_cli.ok("show", "cafe", "--json"))
    assert (shown["title"], shown["authors"], shown["venue"]) == (
        "Café au Čapek", "René Dupont, Bjørn Åström", "Sci. Rev. – Éd.",
    )  # fmt: skip


def test_accented_text_survives_bibtex_export_then_import(empty_cli: Cli, tmp_path: Path) -> None:
    tricky = [
        paper("cafe", title="Café Über naïve Łódź Straße Ørsted", authors="René Dupont, Jörg Müller, Søren Kierkegaard",
              venue="Revue -- française ~ d'été", doi="10.1000/a--b~c_d", url="https://example.org/~me/a--b"),
        paper("tex", title=r"Not \'e LaTeX: a---b -- c ~ x^2 {set} 100% $5 #1 under_score \\",
              authors="Ŝ Ĝ, Smith and Sons", venue="{Braces} & more"),
        paper("nfd", title="Cafe\u0301 decomposed", authors="Rene\u0301 D"),
    ]  # fmt: skip
    doc = document(tricky, categories=[{"slug": "misc", "name": "Été -- ~ à"}])
    empty_cli.ok("import", write(tmp_path, "doc.json", json.dumps(doc)))
    text = empty_cli.ok("export", "bibtex").stdout
    # Into the catalog it came from: nothing to change.
    report = as_json(empty_cli.ok("import", write(tmp_path, "refs.bib", text), "--json"))
    assert report["changed"] is False and report["papers"]["unchanged"] == 3, report
    # Read on its own: the same text.
    parsed = formats.parse(text, "bibtex", source="refs.bib")
    assert parsed.problems == []
    fields = ("key", "title", "authors", "venue", "doi", "url")
    assert [{k: p[k] for k in fields} for p in parsed.doc["papers"]] == [{k: p[k] for k in fields} for p in tricky]
    assert [c["name"] for c in parsed.doc["categories"]] == ["Été -- ~ à"]
