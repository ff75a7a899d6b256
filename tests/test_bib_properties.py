"""Properties of the lenient BibTeX reading: whatever the optional fields hold, an entry with a
title is a paper, every value that could not be read is named in a warning, and what is kept
is clean (the strict cleaning accepts it unchanged)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from paperread import formats
from paperread.exchange.clean import clean_document

# Field text without braces or quotes (so the entry's syntax stays whole) but with everything else.
VALUE = st.text(alphabet=st.characters(blacklist_characters='{}"\\@', blacklist_categories=("Cs",)), max_size=30)
FIELDS = ("doi", "url", "year", "date", "eprint", "archiveprefix", "eprinttype", "journal", "volume", "note", "s2id")


@settings(max_examples=300, deadline=None)
@given(
    values=st.dictionaries(st.sampled_from(FIELDS), VALUE, max_size=6),
    key=st.from_regex(r"[A-Za-z0-9:_./-]{1,20}", fullmatch=True),
)
def test_an_entry_with_a_title_is_always_a_paper(values: dict[str, str], key: str) -> None:
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in values.items())
    text = f"@article{{{key},\n  title = {{A Title}},\n{body}\n}}\n"
    parsed = formats.parse(text, "bibtex", source="p.bib")
    (paper,) = parsed.doc["papers"]
    assert paper["title"] == "A Title"
    assert all(p.left_off and not p.skipped and p.where == 1 for p in parsed.problems if p.kind == "paper")
    again, problems = clean_document(parsed.doc)
    assert problems == [] and again["papers"][0] == paper


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["A", "B", "C"]), st.sampled_from(["10.1000/x", "10.1000/y", ""])), max_size=8)
)
def test_duplicates_merge_only_on_an_id_and_the_title(entries: list[tuple[str, str]]) -> None:
    text = "".join(f"@misc{{k{i}, title={{{t}}}, doi={{{d}}}}}\n" for i, (t, d) in enumerate(entries))
    parsed = formats.parse(text, "bibtex", source="d.bib") if entries else None
    if parsed is None:
        return
    papers = parsed.doc["papers"]
    # one paper per entry, but for an entry with the DOI and the title of the paper holding that DOI
    holder: dict[str, str] = {}  # DOI -> the title of the first paper given it
    expected = 0
    for title, doi in entries:
        if doi and holder.get(doi) == title:
            continue  # merged
        holder.setdefault(doi, title) if doi else None
        expected += 1
    assert len(papers) == expected
    dois = [p["doi"] for p in papers if p["doi"]]
    assert len(dois) == len(set(dois))  # no DOI on two papers
