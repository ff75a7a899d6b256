"""Tests for paperread.readme: the published README's figures, small crafted documents,
and properties (no crash on any text; generated catalogs survive a write then a read)."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperread.errors import InputError
from paperread.readme import (
    KNOWN_CATEGORY_SLUGS,
    ReadResult,
    category_slug,
    read_readme,
    write_readme,
)
from tests.helpers import shared_readme_text

ROOT = Path(__file__).resolve().parent.parent
BUILTIN_CATALOG = ROOT / "data" / "catalog.json"

PAPER_FIELDS = [
    "key", "title", "year", "category", "url", "description", "s2_id", "arxiv_id", "doi",
    "authors", "venue", "publication_date", "recorded", "citations", "citations_fetched_at",
    "citation_history", "reading",
]  # fmt: skip
VIDEO_FIELDS = [
    "date", "title", "duration_seconds", "bilibili", "youtube", "zhihu", "link", "papers", "watched_by",
]  # fmt: skip


def builtin_catalog() -> dict[str, Any]:
    return json.loads(BUILTIN_CATALOG.read_text(encoding="utf-8"))


@pytest.fixture(scope="module", params=["shared README", "README written from data/catalog.json"])
def listing(request: pytest.FixtureRequest) -> ReadResult:
    """The published list, read from the README itself and from our own rendering of it."""
    if request.param == "shared README":
        return read_readme(shared_readme_text())
    return read_readme(write_readme(builtin_catalog()))


def videos_covering(catalog: dict[str, Any], key: str) -> list[dict[str, Any]]:
    return [video for video in catalog["videos"] if key in video["papers"]]


def video_titled(catalog: dict[str, Any], start: str) -> dict[str, Any]:
    (video,) = [video for video in catalog["videos"] if video["title"].startswith(start)]
    return video


def paper(catalog: dict[str, Any], key: str) -> dict[str, Any]:
    (found,) = [p for p in catalog["papers"] if p["key"] == key]
    return found


# --- the published list ---------------------------------------------------------------------


def test_listing_reads_without_problems(listing: ReadResult) -> None:
    assert listing.problems == []
    assert listing.catalog["format"] == "paperread"
    assert listing.catalog["version"] == 1


def test_listing_counts(listing: ReadResult) -> None:
    catalog = listing.catalog
    assert [c["slug"] for c in catalog["categories"]] == [
        "vision/cnn", "vision/transformer", "generative", "vision/detection", "vision/contrastive",
        "vision/video", "multimodal", "nlp/transformer", "systems", "gnn", "optimization", "applications",
    ]  # fmt: skip
    papers = catalog["papers"]
    assert len(papers) == 90
    assert sum(p["recorded"] for p in papers) == 59
    assert len(catalog["videos"]) == 59
    assert sum(p["category"].startswith("vision/") for p in papers) == 45
    assert sum(p["category"] == "vision/cnn" for p in papers) == 7


def test_listing_papers(listing: ReadResult) -> None:
    catalog = listing.catalog
    alexnet = paper(catalog, "alexnet")
    assert alexnet["s2_id"] == "abd1c342495432171beb7ca8fd9551ef13cbd0ff"
    assert alexnet["year"] == 2012 and alexnet["recorded"] is True
    assert paper(catalog, "transformer")["arxiv_id"] == "1706.03762"
    assert paper(catalog, "r-cnn")["arxiv_id"] == "1311.2524"  # linked as .../1311.2524v5.pdf
    assert paper(catalog, "vgg")["recorded"] is False
    keys = [p["key"] for p in catalog["papers"]]
    assert len(set(keys)) == len(keys)
    for key in ["vgg", "resnet", "swin-transformer", "dall-e-2", "r2-1d", "gpt-2", "llama-3-1"]:
        assert key in keys
    assert list(catalog["papers"][0]) == PAPER_FIELDS


def test_listing_videos(listing: ReadResult) -> None:
    catalog = listing.catalog
    assert [v["date"] for v in catalog["videos"]] == sorted(v["date"] for v in catalog["videos"])
    first = catalog["videos"][0]
    assert list(first) == VIDEO_FIELDS
    assert first == {
        "date": "2021-10-06",
        "title": "如何读论文",
        "duration_seconds": 399,
        "bilibili": "BV1H44y1t75x",
        "youtube": "txjl_Q4jCyQ",
        "zhihu": "1428973951632969728",
        "link": None,
        "papers": [],
        "watched_by": [],
    }
    assert video_titled(catalog, "GPT, GPT-2, GPT-3")["papers"] == ["gpt", "gpt-2", "gpt-3"]
    assert video_titled(catalog, "Two-Stream")["papers"] == ["two-stream"]  # by name: other link
    assert video_titled(catalog, "视频理解论文串讲（上）")["papers"] == []  # links a survey
    assert video_titled(catalog, "对比学习论文综述")["link"] is None  # in-page anchor only
    assert video_titled(catalog, "Llama 3.1论文精读 · 2")["papers"] == ["llama-3-1"]
    assert video_titled(catalog, "Transformer 逐段精读")["title"] == "Transformer 逐段精读 （视频中提到的文献)"
    assert len(videos_covering(catalog, "resnet")) == 2
    assert len(videos_covering(catalog, "alexnet")) == 2


def test_shared_readme_details() -> None:
    catalog = read_readme(shared_readme_text()).catalog
    assert paper(catalog, "pix2pix")["description"] is None
    assert paper(catalog, "alexnet")["description"]
    keys = {p["title"]: p["key"] for p in catalog["papers"]}
    # Names without ASCII take readme.KNOWN_PAPER_KEYS (as data/catalog.json does), so an
    # imported README and the built-in catalog agree on every key.
    assert keys["参数服务器"] == "parameter-server"
    assert keys["为什么超大的模型泛化性不错"] == "rethinking-generalization"
    assert keys["为什么Momentum有效"] == "momentum"
    assert video_titled(catalog, "零基础多图详解")["papers"] == ["gnn-intro"]


def test_shared_readme_survives_write_then_read() -> None:
    catalog = read_readme(shared_readme_text()).catalog
    assert read_readme(write_readme(catalog)).catalog == catalog


def test_builtin_catalog_is_what_the_build_script_makes() -> None:
    spec = importlib.util.spec_from_file_location("build_catalog", ROOT / "data" / "build_catalog.py")
    assert spec and spec.loader
    build_catalog = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_catalog)
    text, warnings = build_catalog.build(shared_readme_text())
    assert text == BUILTIN_CATALOG.read_text(encoding="utf-8")
    assert warnings == ["youtube id 1pvxufGRuW4 is on 2 videos: 2021-12-15 MoCo 逐段精读; 2021-12-20 对比学习论文综述"]


def test_builtin_catalog_keys() -> None:
    catalog = builtin_catalog()
    keys = [p["key"] for p in catalog["papers"]]
    assert len(set(keys)) == len(keys) == 90
    for key in ["parameter-server", "gnn-intro", "rethinking-generalization", "momentum", "math-intuition"]:
        assert key in keys
    assert not [k for k in keys if k.startswith(("s2-", "arxiv-", "paper-"))]
    assert video_titled(catalog, "零基础多图详解")["papers"] == ["gnn-intro"]
    by_key = {p["key"]: p for p in catalog["papers"]}
    assert by_key["vit"]["description"] == "Transformer杀入CV界"
    assert by_key["pix2pix"]["description"] is None  # an empty cell stays empty


# --- crafted documents ----------------------------------------------------------------------

VIDEO_HEAD = "| 日期 | 标题 | 封面 | 时长 | 视频（播放数） |\n| --: | -- | -- | --: | -- |\n"
PAPER_HEAD = "| 已录制 | 年份 | 名字 | 简介 | 引用 |\n| --- | --- | --- | --- | --- |\n"
S2 = "0123456789abcdef0123456789abcdef01234567"


def test_not_a_readme() -> None:
    with pytest.raises(InputError, match=r"^notes\.md is not a paper-reading README: "):
        read_readme("# Notes\n\n| a | b |\n| - | - |\n| 1 | 2 |\n", source="notes.md")
    with pytest.raises(InputError, match="is not a paper-reading README"):
        read_readme("")


def test_unreadable_rows_are_reported_with_their_line() -> None:
    text = (
        "### 系统\n\n" + PAPER_HEAD
        + "| ✅ | 20x4 | [Bad year](https://a.org/1) | | |\n"  # line 5
        + "| | 2014 |  | no name | |\n"  # line 6
        + "| | 2014 | [Good](https://a.org/2) | fine | |\n"
        + "\n## 录制完成的论文\n\n" + VIDEO_HEAD
        + "| 13/45/22 | Bad date | | 1:00 | |\n"  # line 13
        + "| 1/2/22 | Bad duration | | 1:99 | |\n"
        + "| 1/3/22 | [Good](https://a.org/2) | | | |\n"
    )  # fmt: skip
    result = read_readme(text)
    assert [p["title"] for p in result.catalog["papers"]] == ["Good"]
    assert [(v["title"], v["papers"], v["duration_seconds"]) for v in result.catalog["videos"]] == [
        ("Good", ["good"], None)
    ]
    lines = [line for line, _ in result.problems]
    assert lines == [5, 6, 13, 14]
    assert "year '20x4' is not a year" in result.problems[0][1]
    assert "no name" in result.problems[1][1]
    assert "date '13/45/22'" in result.problems[2][1]
    assert "duration '1:99'" in result.problems[3][1]


def test_cells_with_badges_html_and_extra_spaces() -> None:
    bvid = "BV1c8HbeaEXi"
    badge = (
        f"https://img.shields.io/badge/dynamic/json?label=views&url=https%3A%2F%2Fapi.bilibili.com%2Fx%3Fbvid%3D{bvid}"
    )
    s2_badge = f"https://img.shields.io/badge/dynamic/json?url=https%3A%2F%2Fapi.semanticscholar.org%2Fgraph%2Fv1%2Fpaper%2F{S2.upper()}%3Ffields%3DcitationCount"
    text = (
        "### 计算机视觉 - 3D\n\n" + PAPER_HEAD
        + f"|  ✅  |  2021 |   [Point  Net](https://arxiv.org/pdf/1612.00593v2.pdf)  | 点云<br/>分类 &amp; 分割 | [![c]({s2_badge})](https://example.org) |\n"
        + "\n" + VIDEO_HEAD
        + f"| 9/04/24 | <b>[PointNet](https://arxiv.org/abs/1612.00593)</b> 精读<br />下 | <img src=\"x.jpg\"/> | 10:41| [![b]({badge})]<br />[![](https://img.shields.io/youtube/views/6XidEHVjS1A?style=social)](https://example.org) |\n"
    )  # fmt: skip
    result = read_readme(text)
    assert result.problems == []
    (category,) = result.catalog["categories"]
    assert category == {"slug": "vision/3d", "name": "计算机视觉 - 3D"}
    (found,) = result.catalog["papers"]
    assert (found["key"], found["title"], found["arxiv_id"], found["s2_id"]) == (
        "point-net", "Point Net", "1612.00593", S2,
    )  # fmt: skip
    assert found["description"] == "点云\n分类 & 分割"
    (video,) = result.catalog["videos"]
    assert (video["title"], video["papers"], video["bilibili"], video["youtube"]) == (
        "PointNet 精读 下", ["point-net"], bvid, "6XidEHVjS1A",
    )  # fmt: skip


def test_keys_for_names_without_ascii() -> None:
    text = (
        "### 优化算法\n\n"
        + PAPER_HEAD
        + "".join(
            [
                "| | 2016 | [泛化](https://arxiv.org/abs/1611.03530v2) | | |\n",
                f"| | 2017 | [动量](https://distill.pub/2017/momentum/) | | [![c](x)](https://www.semanticscholar.org/paper/Why/{S2}) |\n",
                "| | 2018 | 无链接 | | |\n",
                "| | 2019 | [Adam](https://a.org/1) | | |\n",
                "| | 2020 | [ADAM](https://a.org/2) | | |\n",
            ]
        )
    )
    keys = [p["key"] for p in read_readme(text).catalog["papers"]]
    assert keys == ["arxiv-1611.03530", f"s2-{S2[:8]}", "paper-3", "adam", "adam-2"]


@pytest.mark.parametrize(
    ("heading", "slug"),
    [
        ("计算机视觉 - CNN", "vision/cnn"),
        ("计算机视觉  －  CNN", "vision/cnn"),
        ("新领域应用", "applications"),
        ("计算机视觉 - 3D Vision", "vision/3d-vision"),
        ("自然语言处理 - RNN", "nlp/rnn"),
        ("Robotics - Reinforcement Learning", "robotics/reinforcement-learning"),
        ("Self-supervised", "self-supervised"),
        ("强化学习", "category-7"),
        ("计算机视觉 - 分割", "category-7"),
    ],
)
def test_category_slug(heading: str, slug: str) -> None:
    assert category_slug(heading, 7) == slug


def test_reading_does_not_load_markdown_it_until_it_parses() -> None:
    code = "import sys, paperread.readme; assert 'markdown_it' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_known_category_table_is_complete() -> None:
    assert len(KNOWN_CATEGORY_SLUGS) == 12
    assert len(set(KNOWN_CATEGORY_SLUGS.values())) == 12


def minimal_catalog(**video: Any) -> dict[str, Any]:
    papers = [
        {"key": "gpt", "title": "GPT", "year": 2018, "category": "nlp", "url": "https://a.org/gpt",
         "description": None, "s2_id": None, "recorded": True},
        {"key": "gpt-2", "title": "GPT-2", "year": 2019, "category": "nlp", "url": None,
         "description": "a | b", "s2_id": S2, "recorded": False},
    ]  # fmt: skip
    base = {"date": "2022-03-03", "title": "GPT, GPT-2 精读", "duration_seconds": 5398,
            "bilibili": None, "youtube": None, "zhihu": None, "link": None, "papers": ["gpt", "gpt-2"]}  # fmt: skip
    return {
        "format": "paperread",
        "version": 1,
        "categories": [{"slug": "nlp", "name": "自然语言处理 - Transformer"}],
        "papers": papers,
        "videos": [base | video],
    }


def test_write_escapes_cell_text() -> None:
    catalog = minimal_catalog(title="<script>alert(1)</script> | `x` GPT")
    catalog["papers"][0]["description"] = "line one\nline <two> & `three` | four"
    text = write_readme(catalog)
    assert "<script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; \\| \\`x\\` [GPT](https://a.org/gpt)" in text
    assert "line one<br />line &lt;two&gt; &amp; \\`three\\` \\| four" in text
    assert "总论文数 2，录制完成数 1" in text
    back = read_readme(text).catalog
    assert back["videos"][0]["title"] == "<script>alert(1)</script> | `x` GPT"
    assert back["papers"][0]["description"] == "line one\nline <two> & `three` | four"


def test_write_links_papers_named_in_the_title() -> None:
    text = write_readme(minimal_catalog())
    # The longer name is placed first so "GPT" does not take the "GPT" inside "GPT-2".
    assert f"| [GPT](https://a.org/gpt), [GPT-2](https://www.semanticscholar.org/paper/{S2}) 精读 |" in text
    assert read_readme(text).catalog["videos"][0]["papers"] == ["gpt", "gpt-2"]


def test_write_keeps_links_the_title_does_not_name() -> None:
    s2_page = f"https://www.semanticscholar.org/paper/{S2}"
    text = write_readme(minimal_catalog(title="大模型串讲!"))
    # An empty link keeps the tie without changing the title; "!" must not make it an image.
    assert f"| 大模型串讲\\![]({s2_page})[](https://a.org/gpt) |" in text
    text = write_readme(minimal_catalog(title="GPT 串讲", link="https://b.org/survey"))
    assert f"| [](https://b.org/survey)[GPT](https://a.org/gpt) 串讲[]({s2_page}) |" in text
    video = read_readme(text).catalog["videos"][0]
    assert (video["title"], video["link"], sorted(video["papers"])) == (
        "GPT 串讲", "https://b.org/survey", ["gpt", "gpt-2"],
    )  # fmt: skip


def test_write_wraps_the_title_in_a_link_to_no_paper() -> None:
    catalog = minimal_catalog(title="研究的艺术", link="https://b.org/book", papers=[])
    assert "| [研究的艺术](https://b.org/book) |" in write_readme(catalog)


def test_write_uses_the_readme_date_and_badges() -> None:
    catalog = minimal_catalog(date="2024-09-04", bilibili="BV1c8HbeaEXi", youtube="6XidEHVjS1A", zhihu="1")
    text = write_readme(catalog)
    assert "| 9/4/24 |" in text and "| 1:29:58 |" in text
    assert "(https://www.bilibili.com/video/BV1c8HbeaEXi)<br />" in text
    assert "bvid%3DBV1c8HbeaEXi" in text
    assert "(https://img.shields.io/youtube/views/6XidEHVjS1A?style=social)" in text
    assert "(https://www.zhihu.com/zvideo/1)" in text
    assert f"paper%2F{S2}%3Ffields%3DcitationCount" in text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c["papers"][0].update(category="nope"), "paper 'gpt' is in category 'nope'"),
        (lambda c: c["videos"][0].update(papers=["bert"]), "covers paper 'bert' which the catalog does not hold"),
        (
            lambda c: c["papers"][0].update(url="javascript:alert(1)") or c["videos"].clear(),
            r"^paper 'gpt': URL 'javascript:alert\(1\)' is not an http\(s\) URL$",
        ),
        (lambda c: c["videos"][0].update(youtube="nope"), "^video 'GPT, GPT-2 精读': YouTube video 'nope' is not"),
        (lambda c: c["videos"][0].update(date="someday"), "^video 'GPT, GPT-2 精读': date 'someday' is not"),
    ],
)
def test_write_rejects_broken_documents(change: Any, message: str) -> None:
    catalog = minimal_catalog()
    change(catalog)
    with pytest.raises(InputError, match=message):
        write_readme(catalog)


# --- properties -----------------------------------------------------------------------------

README_LINES = [
    "## 录制完成的论文", "### 计算机视觉 - CNN", "### 强化学习", "", VIDEO_HEAD.strip(), PAPER_HEAD.strip(),
    "| 9/04/24 | [AlexNet](https://arxiv.org/abs/1) 精读 | | 10:41 | [![](https://img.shields.io/youtube/views/x)](https://youtu.be/txjl_Q4jCyQ) |",
    "| ✅ | 2012 | [AlexNet](https://papers.nips.cc/x.pdf) | 描述 | [![c](https://img.shields.io/badge/x?url=%3F)](https://www.semanticscholar.org/paper/x) |",
    "| | 1899 | [x](<>) | | |", "| 2/30/22 | | | 99:99 | [![b](https://img.shields.io/?url=bvid%3D)](https://www.bilibili.com/video/BV) |",
    "| | | |", "|", "<br>", "[^1]: note", "> quote", "    code", "```", "- item",
]  # fmt: skip
readme_like = st.lists(st.one_of(st.sampled_from(README_LINES), st.text(max_size=40)), max_size=25).map("\n".join)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(), readme_like))
def test_any_text_reads_or_raises_input_error(text: str) -> None:
    try:
        result = read_readme(text)
    except InputError as error:
        assert "is not a paper-reading README" in error.message
        return
    for line, message in result.problems:
        assert isinstance(line, int) and message
    write_readme(result.catalog)


NASTY = [
    "a | b", "<script>alert(1)</script>", "`rm -rf /`", "😀 emoji", "中文标题", "ends with \\",
    "[^1] not a footnote", "&amp; &lt;", "*bold* _it_ ~~gone~~", "[x](https://evil.example)",
    "<br />", "# not a heading #", "![img](https://x.png)", "tab\there", "cr\rhere", "a\\|b",
]  # fmt: skip
# Text the gate lets in (paperread.gate): no control character but line breaks and tabs, no
# bidirectional override, no unpaired surrogate.
plain_chars = st.one_of(
    st.characters(
        blacklist_categories=("Cs", "Cc"), blacklist_characters="\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    ),
    st.sampled_from("\t\n\r"),
)


def one_line(text: str) -> str:
    return " ".join(text.split())


names = st.one_of(st.sampled_from(NASTY), st.text(plain_chars, min_size=1, max_size=20)).map(one_line).filter(bool)
descriptions = st.one_of(st.none(), st.sampled_from(NASTY), st.text(plain_chars, max_size=30)).map(
    lambda text: (text or "").strip() or None
)


@st.composite
def catalogs(draw: st.DrawFn) -> dict[str, Any]:
    """Catalog documents whose text is in canonical form (titles on one line, cells stripped)."""
    category_names = draw(
        st.lists(st.one_of(st.sampled_from(list(KNOWN_CATEGORY_SLUGS)), names), min_size=1, max_size=4, unique=True)
    )
    categories: list[dict[str, str]] = []
    for position, name in enumerate(category_names, start=1):
        slug = category_slug(name, position)
        while slug in {c["slug"] for c in categories}:
            slug += "-x"
        categories.append({"slug": slug, "name": name})
    papers = []
    for category in categories:
        for _ in range(draw(st.integers(0, 3))):
            n = len(papers)
            urls = [None, f"https://example.org/papers/{n}", f"https://arxiv.org/abs/2101.{n:05d}"]
            url = draw(st.sampled_from(urls))
            papers.append({
                "key": f"p{n}", "title": draw(names), "year": draw(st.integers(1900, 2025)),
                "category": category["slug"], "url": url, "description": draw(descriptions),
                "s2_id": draw(st.sampled_from([None, hashlib.sha1(str(n).encode()).hexdigest()])),
                "recorded": draw(st.booleans()),
            })  # fmt: skip
    linkable = [p["key"] for p in papers if p["url"] or p["s2_id"]]
    videos = []
    for n in range(draw(st.integers(0, 4))):
        covered = draw(st.lists(st.sampled_from(linkable), unique=True)) if linkable else []
        own_links = [p["url"] for p in papers if p["key"] in covered and p["url"]]
        videos.append({
            "date": draw(st.dates(min_value=dt.date(1000, 1, 1))).isoformat(),
            "title": draw(names),
            "duration_seconds": draw(st.none() | st.integers(0, 40_000)),
            "bilibili": draw(st.none() | st.from_regex(r"\ABV[0-9A-Za-z]{10}\Z")),
            "youtube": draw(st.none() | st.from_regex(r"\A[0-9A-Za-z_-]{11}\Z")),
            "zhihu": draw(st.none() | st.from_regex(r"\A[0-9]{1,19}\Z")),
            "link": draw(st.sampled_from([None, f"https://example.com/survey/{n}", *own_links])),
            "papers": covered,
        })  # fmt: skip
    videos.sort(key=lambda video: video["date"])
    return {"format": "paperread", "version": 1, "categories": categories, "papers": papers, "videos": videos}


def comparable(catalog: dict[str, Any]) -> dict[str, Any]:
    """What a write then a read must keep: keys may be re-derived, so papers go by position."""
    category_names = {c["slug"]: c["name"] for c in catalog["categories"]}
    position = {p["key"]: i for i, p in enumerate(catalog["papers"])}
    return {
        "categories": [c["name"] for c in catalog["categories"]],
        "papers": [
            (p["s2_id"], p["url"], p["title"], p["year"], p["description"],
             category_names[p["category"]], p["recorded"])
            for p in catalog["papers"]
        ],
        "videos": [
            (v["date"], v["title"], v["duration_seconds"], v["bilibili"], v["youtube"], v["zhihu"],
             sorted(position[key] for key in v["papers"]))
            for v in catalog["videos"]
        ],
    }  # fmt: skip


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(catalogs())
def test_generated_catalogs_survive_write_then_read(catalog: dict[str, Any]) -> None:
    result = read_readme(write_readme(catalog))
    assert result.problems == []
    assert comparable(result.catalog) == comparable(catalog)
