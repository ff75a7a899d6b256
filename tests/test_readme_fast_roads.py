"""The README reader's fast roads give what its general roads give.

- ``readme._paper_row_reader`` (a papers row whose cells have the common shapes, read without the
  cell reader) against ``_read_paper`` of the row's cells read by ``_CellReader``: the same paper,
  or the fast road steps aside (None) and the general road reads the row or says what is wrong.
- ``readme._video_ids`` (the canonical video links and badges by one pattern each) against the
  general road: every site's parser tried on every link, then every badge taken apart.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperread import readme
from paperread.errors import InputError

LATEST = date.today().year + 1
S2 = "0f6bd505be45365c3d5e9b76c775863fa2e29329"
BADGE = (
    "https://img.shields.io/badge/dynamic/json?label=citation&query=citationCount&url=https%3A%2F%2F"
    "api.semanticscholar.org%2Fgraph%2Fv1%2Fpaper%2F{}%3Ffields%3DcitationCount"
)

URLS = [
    "https://arxiv.org/abs/1706.03762",
    "https://arxiv.org/abs/1706.03762v3",
    "http://arxiv.org/pdf/1706.03762.pdf",
    "https://arxiv.org/pdf/1706.03762v2.pdf",
    "https://arxiv.org/abs/1706.03762/",
    "https://arxiv.org/abs/1706.03762?x=1",
    "https://arxiv.org/abs/1706.03762#top",
    "https://ArXiv.org/abs/1706.03762",
    "https://www.arxiv.org/abs/1706.03762",
    "https://export.arxiv.org/abs/2101.00001",
    "https://arxiv.org/abs/1713.03762",
    "https://arxiv.org/abs/1700.03762",
    "https://arxiv.org/abs/170.03762",
    "https://arxiv.org/abs/1706.037621",
    "https://arxiv.org/abs/hep-th/9901001",
    "https://arxiv.org/list/cs",
    "https://arxiv.org.evil.com/abs/1706.03762",
    "https://doi.org/10.1109/cvpr.2016.90",
    "https://dx.doi.org/10.1109/CVPR.2016.90",
    "https://doi.org/xx",
    "https://example.org/doi.org/10.1/x",
    "https://example.org/papers/gat-00041.pdf",
    "https://example.org:8080/a?b=c&d=e#f",
    "https://example.org:99999/a",
    "https://ex_ample.org/",
    "https://example.org/a%20b",
    "https://example.org/%E4%B8%AD",
    "https://example.org/a;b",
    "https://example.org/a[b]",
    "https://example.org/(x)",
    "https://example.org/a b",
    "ftp://example.org/x",
    "https://",
    "#anchor",
    "https://semanticscholar.org/paper/" + S2,
]
LABELS = [
    "Deep Residual Learning",
    "  spaced   out  ",
    "",
    " ",
    "a (b) c",
    "ünïcödé 中文",
    "x_y",
    "a*b",
    "a\\]b",
    "R&amp;D",
    "t`x`",
    "a!b",
    "<b>",
    "[nested]",
]


@st.composite
def urls(draw: st.DrawFn) -> str:
    return draw(
        st.one_of(
            st.sampled_from(URLS),
            st.builds(
                lambda scheme, host, path: scheme + host + path,
                st.sampled_from(["https://", "http://", "HTTPS://", "https:/", ""]),
                st.sampled_from(["arxiv.org", "example.org", "doi.org", "a.b", "x-y.z", "h:8", "www.bilibili.com"]),
                st.text(alphabet="/abs.pdf0123456789v?#=&%()_-;:@!$'*+,~ ", max_size=20),
            ),
        )
    )


@st.composite
def name_cells(draw: st.DrawFn) -> str:
    label = draw(st.one_of(st.sampled_from(LABELS), st.text(max_size=12)))
    url = draw(urls())
    shape = draw(st.sampled_from(["{l}", "[{l}]({u})", "[{l}]({u}) tail", "[{l}](<{u}>)", "[{l}]({u} 'title')"]))
    return shape.format(l=label, u=url)


YEARS = ["2019", "", "0000", "0001", "9999", "19", " 2019", "2019a", "２０１９", str(LATEST), str(LATEST + 1), "abc"]
RECORDED = ["", "✅", "x✅", "*✅*", "[✅](https://a.b)", "no", "\\✅"]
DESCRIPTIONS = ["", "plain words", "  padded  ", "a \\* b", "line<br />break", "R&amp;D", "[link](https://a.b)", "`c`"]


@st.composite
def citation_cells(draw: st.DrawFn) -> str:
    s2 = draw(st.sampled_from([S2, S2.upper(), S2[:-1], S2 + "0", "g" * 40]))
    badge = BADGE.format(s2)
    href = draw(
        st.sampled_from(["https://www.semanticscholar.org/paper/" + S2, "https://x.y/(z)", "#a", "https://a.b"])
    )
    alt = draw(st.sampled_from(["citation", "", "c_d", "x]"]))
    return draw(
        st.sampled_from(
            [
                f"[![{alt}]({badge})]({href})",
                f"![{alt}]({badge})",
                f"[![{alt}]({badge})]({href}) more",
                "",
                "plain",
                f"[page]({href})",
                f"[![{alt}]({badge.replace('%3A', ':')})]({href})",
            ]
        )
    )


HEADERS = [
    list(readme.PAPER_COLUMNS),
    ["年份", "名字", "已录制", "简介", "引用"],
    ["已录制", "年份", "名字"],
    ["已录制", "年份", "名字", "简介", "引用", "extra"],
    ["年份", "名字"],
]


def _table(header: list[str]) -> readme._Table:
    return readme._Table(None, 1, header, [], read=readme._CellReader({}))


def _general(table: readme._Table, contents: list[str]) -> Any:
    try:
        return readme._read_paper(table, table.cells(contents), "vision")
    except (InputError, IndexError) as error:
        return ("error", type(error).__name__)


CANONICAL_ROW = {
    "已录制": "✅",
    "年份": "2017",
    "名字": "[Attention Is All You Need](https://arxiv.org/abs/1706.03762)",
    "简介": "Transformer",
    "引用": f"[![citation]({BADGE.format(S2)})](https://www.semanticscholar.org/paper/{S2})",
}
CELL_VARIANTS = {
    "已录制": st.one_of(st.sampled_from(RECORDED), st.text(max_size=4)),
    "年份": st.one_of(st.sampled_from(YEARS), st.text(max_size=5)),
    "名字": name_cells(),
    "简介": st.one_of(st.sampled_from(DESCRIPTIONS), st.text(max_size=10)),
    "引用": citation_cells(),
}


@st.composite
def paper_rows(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    """A header and a row: a row write_readme would write, with up to three cells changed and
    maybe a cell too few or too many."""
    header = draw(st.sampled_from(HEADERS))
    by_name = dict(CANONICAL_ROW)
    for column in draw(st.sets(st.sampled_from(sorted(CELL_VARIANTS)), max_size=3)):
        by_name[column] = draw(CELL_VARIANTS[column])
    contents = [by_name.get(column, "x") for column in header]
    more = draw(st.sampled_from([0, 0, 0, -1, 1]))
    return header, contents[:-1] if more < 0 else contents + ["y"] * more


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(paper_rows())
def test_a_papers_row_reads_the_same_on_the_fast_road(row: tuple[list[str], list[str]]) -> None:
    header, contents = row
    table = _table(header)
    fast = readme._paper_row_reader(table, "vision")(contents)
    if fast is not None:
        assert fast == _general(table, contents)


def test_the_rows_write_readme_writes_take_the_fast_road() -> None:
    table = _table(list(readme.PAPER_COLUMNS))
    fast = readme._paper_row_reader(table, "vision")
    badge = f"[![citation]({BADGE.format(S2)})](https://www.semanticscholar.org/paper/{S2})"
    rows = [
        ["✅", "2017", "[Attention Is All You Need](https://arxiv.org/abs/1706.03762)", "Transformer", badge],
        ["", "2009", "[SGD: a method](https://example.org/papers/gat-00041.pdf)", "", badge],
        ["", "", "[A DOI](https://doi.org/10.1109/cvpr.2016.90)", "a \\* b", ""],
    ]
    for contents in rows:
        paper = fast(contents)
        assert paper is not None
        assert paper == _general(table, contents)
    assert fast(rows[0])["arxiv_id"] == "1706.03762"  # type: ignore[index]
    assert fast(rows[2])["doi"] == "10.1109/cvpr.2016.90"  # type: ignore[index]


def _video_ids_general(cell: readme._Cell) -> dict[str, str | None]:
    """``_video_ids`` as it was before its fast road: every parser on every link, every badge."""
    found: dict[str, str | None] = dict.fromkeys(readme._SITE_PARSERS)
    for link in readme._http_links(cell):
        for site, parse in readme._SITE_PARSERS.items():
            if found[site] is None:
                try:
                    found[site] = parse(link.href)
                except InputError:
                    pass
    for src in cell.images:
        badge = readme._badge_video_id(src)
        if badge and found[badge[0]] is None:
            found[badge[0]] = badge[1]
    return found


VIDEO_LINKS = [
    "https://www.bilibili.com/video/BV1eViGfkEus",
    "https://www.bilibili.com/video/BV1eViGfkEus/",
    "https://bilibili.com/video/BV1eViGfkEus",
    "https://www.bilibili.com/video/BV1eViGfkEu",
    "https://www.youtube.com/watch?v=V-nEedYR_MF",
    "https://www.youtube.com/watch?v=V-nEedYR_MF&t=1",
    "https://youtu.be/V-nEedYR_MF",
    "https://www.youtube.com/watch?v=V-nEedYR_M",
    "https://www.zhihu.com/zvideo/1000211403309162830",
    "https://www.zhihu.com/zvideo/" + "1" * 31,
    "https://www.zhihu.com/answer/123",
    "https://example.org/BV1eViGfkEus",
    "https://www.bilibili.com/video/BV1eViGfkEus?p=2",
]
VIDEO_BADGES = [
    "https://img.shields.io/badge/dynamic/json?label=views&style=social&logo=bilibili&query=data.stat.view"
    "&url=https%3A%2F%2Fapi.bilibili.com%2Fx%2Fweb-interface%2Fview%3Fbvid%3DBV1GFtJJePDV",
    "https://img.shields.io/badge/dynamic/json?label=views&style=social&logo=bilibili&query=data.stat.view"
    "&url=https%3A%2F%2Fapi.bilibili.com%2Fx%2Fweb-interface%2Fview%3Fbvid%3DBV1GFtJJePD",
    "https://img.shields.io/youtube/views/_kIiMFUa-NK?style=social",
    "https://img.shields.io/youtube/views/_kIiMFUa-N?style=social",
    "https://img.shields.io/youtube/views/_kIiMFUa-NK",
    "https://img.shields.io/badge/dynamic/json?label=views&style=social&logo=zhihu&query=video.play_count"
    "&url=https://www.zhihu.com/api/v4/zvideos/1000211403309162831",
    "https://img.shields.io/badge/dynamic/json?label=views&style=social&logo=zhihu&query=video.play_count"
    "&url=https://www.zhihu.com/api/v4/zvideos/" + "2" * 31,
    "https://IMG.shields.io/youtube/views/_kIiMFUa-NK?style=social",
    "https://example.org/badge.svg",
]


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.one_of(st.sampled_from(VIDEO_LINKS), urls()), max_size=4),
    st.lists(st.sampled_from(VIDEO_BADGES), max_size=4),
)
def test_a_video_badges_cell_gives_the_same_ids_on_the_fast_road(links: list[str], badges: list[str]) -> None:
    def cell() -> readme._Cell:
        return readme._Cell("", [readme._Link(href) for href in links], list(badges))

    assert readme._video_ids(cell()) == _video_ids_general(cell())
