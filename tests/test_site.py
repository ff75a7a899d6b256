"""``paperread site DIR``: what the pages hold, how the folder is written, and what is refused.

The browser half (the pages as a person sees them in Chromium) is tests/test_site_browser.py.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from paperread import queries
from paperread.db import SqliteReader, connect_sqlite
from paperread.site import charts, data
from paperread.site.build import build
from paperread.site.options import MANIFEST, SiteOptions
from paperread.site.writer import StagedSite
from tests.conftest import Cli
from tests.site_helpers import local_target, manifest, page

HOSTILE_TITLE = "<script>alert(1)</script> & \"quotes\" 'too'"
HOSTILE_DESC = '<img src=x onerror="alert(2)"> </td></tr></table><b>bold?</b>'


def _reader(db: Path) -> SqliteReader:
    return SqliteReader(connect_sqlite(db))


def _site(cli: Cli, folder: Path, *args: str) -> dict[str, Any]:
    result = cli.ok("site", str(folder), "--json", *args)
    return json.loads(result.stdout)


def _doc_paper(key: str, **fields: Any) -> dict[str, Any]:
    base = {
        "key": key, "title": key.upper(), "year": 2020, "category": "systems", "url": None, "description": None,
        "s2_id": None, "arxiv_id": None, "doi": None, "authors": None, "venue": None, "publication_date": None,
        "recorded": False, "citations": None, "citations_fetched_at": None, "citation_history": [], "reading": [],
    }  # fmt: skip
    base.update(fields)
    return base


def _import_papers(
    cli: Cli, tmp_path: Path, papers: list[dict[str, Any]], videos: Sequence[dict[str, Any]] = ()
) -> None:
    doc = json.loads(cli.ok("export", "json").stdout)
    doc["papers"] += papers
    doc["videos"] += list(videos)
    path = tmp_path / "more.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    cli.ok("import", str(path))


# ---------------------------------------------------------------------------- the built-in catalog


def test_builtin_site_has_the_computed_figures(builtin_db: Path, tmp_path: Path) -> None:
    cli = Cli(builtin_db)
    out = tmp_path / "public"
    report = _site(cli, out)
    reader = _reader(builtin_db)
    stats = queries.stats(reader, user="tester")
    assert (report["papers"], report["recorded"], report["videos"]) == (90, 59, 59)
    assert (stats["papers"], stats["recorded"]) == (90, 59)
    index = page(out / "index.html")
    assert "59 of 90 papers recorded" in index.text
    # Each category's progress as `stats` computes it.
    for cat in stats["categories"]:
        assert f"{cat['name']} {cat['recorded']} of {cat['papers']} recorded" in index.text
    # Every paper is a row of the index, in catalog order, with its own page.
    rows = index.rows()
    expected = [p["key"] for p in queries.papers(reader, user="tester")]
    assert [r["id"] for r in rows] == [f"p-{k}" for k in expected]
    assert sum(r["data-recorded"] == "1" for r in rows) == 59
    assert ">Citations</th>" not in (out / "index.html").read_text(encoding="utf-8"), "no counts: no column"
    assert sorted(p.stem for p in (out / "paper").glob("*.html")) == sorted(expected)
    # Videos, newest first.
    dates = re.findall(r'<td class="date">(\d{4}-\d\d-\d\d)</td>', (out / "index.html").read_text(encoding="utf-8"))
    assert len(dates) == 59 and dates == sorted(dates, reverse=True)
    # The manifest lists exactly what was written.
    written = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()} - {MANIFEST}
    assert set(manifest(out)["files"]) == written


def test_every_local_link_and_asset_resolves(builtin_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    _site(Cli(builtin_db), out)
    pages = sorted(out.rglob("*.html"))
    assert len(pages) == 91
    ids = {p.resolve(): page(p).ids for p in pages}
    for path in pages:
        parsed = page(path)
        for href in parsed.links + parsed.srcs:
            target = local_target(out, path, href)
            if target is None:
                assert href.startswith(("https://", "http://")), f"{path.name}: {href}"
                continue
            file, fragment = target
            assert file.is_file(), f"{path.relative_to(out)} links to a missing {href}"
            assert str(file).startswith(str(out.resolve())), href
            if fragment:
                assert fragment in ids[file], f"{path.relative_to(out)}: no #{fragment} in {file.name}"


def test_a_paper_page_has_links_ids_and_videos(builtin_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    _site(Cli(builtin_db), out)
    detail = queries.paper_detail(
        _reader(builtin_db), queries.resolve_paper(_reader(builtin_db), "resnet")["id"], user="t"
    )
    resnet = page(out / "paper" / "resnet.html")
    assert resnet.text.count(detail["title"]) >= 1
    for v in detail["videos"]:
        assert v["title"] in resnet.text
        assert f"https://www.bilibili.com/video/{v['bilibili']}" in resnet.links
    assert detail["url"] in resnet.links
    assert f"https://www.semanticscholar.org/paper/{detail['s2_id']}" in resnet.links
    assert "No citation count yet." in resnet.text  # the built-in catalog has no counts


def test_no_network_and_nothing_from_elsewhere(builtin_db: Path, tmp_path: Path) -> None:
    """Scripts, styles and images are the site's own files: it opens from file:// offline."""
    out = tmp_path / "site"
    _site(Cli(builtin_db), out)
    for path in out.rglob("*.html"):
        parsed = page(path)
        assert all(not re.match(r"^[a-z]+:|^//", s) for s in parsed.srcs), (path, parsed.srcs)
        assert all(s.get("src") for s in parsed.scripts), "no inline script"
    css = (out / "assets" / "site.css").read_text(encoding="utf-8")
    js = (out / "assets" / "site.js").read_text(encoding="utf-8")
    assert "url(" not in css and "@import" not in css and "@font-face" not in css
    assert "http" not in js and "fetch(" not in js and "XMLHttpRequest" not in js


def test_personal_state_stays_out_unless_asked(builtin_db: Path, tmp_path: Path) -> None:
    cli = Cli(builtin_db)
    cli.ok("note", "resnet", "--text", "My **secret** note <script>alert(3)</script> [x](javascript:alert(4))")
    cli.ok("read", "resnet")
    public = tmp_path / "public"
    _site(cli, public)
    everything = "".join(p.read_text(encoding="utf-8") for p in public.rglob("*.html"))
    assert "secret" not in everything and "tester" not in everything
    mine = tmp_path / "mine"
    _site(cli, mine, "--with-notes")
    text = (mine / "paper" / "resnet.html").read_text(encoding="utf-8")
    assert "<strong>secret</strong>" in text  # Markdown rendered
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in text and "<script>alert" not in text
    assert not [h for h in page(mine / "paper" / "resnet.html").links if "javascript" in h]
    assert "tester" in text and "Status: read" in page(mine / "paper" / "resnet.html").text


def test_without_notes_a_bad_user_name_does_not_matter(builtin_db: Path, tmp_path: Path) -> None:
    result = Cli(builtin_db)("site", str(tmp_path / "a"), "--with-notes", env={"PAPERREAD_USER": " "})
    assert result.exit_code == 1 and "PAPERREAD_USER" in result.stderr
    assert not (tmp_path / "a").exists()
    Cli(builtin_db).ok("site", str(tmp_path / "b"), env={"PAPERREAD_USER": " "})


# ---------------------------------------------------------------------------- escaping


def test_hostile_titles_are_text(builtin_db: Path, tmp_path: Path) -> None:
    cli = Cli(builtin_db)
    _import_papers(
        cli,
        tmp_path,
        [_doc_paper("hostile", title=HOSTILE_TITLE, description=HOSTILE_DESC, authors="<i>A</i> & B", venue="</p>")],
        [
            {
                "date": "2024-01-02",
                "title": "<svg onload=alert(5)>",
                "duration_seconds": 60,
                "bilibili": None,
                "youtube": None,
                "zhihu": None,
                "link": None,
                "papers": ["hostile"],
                "watched_by": [],
            }
        ],
    )
    out = tmp_path / "site"
    _site(cli, out)
    for name in ("index.html", "paper/hostile.html"):
        raw = (out / name).read_text(encoding="utf-8")
        parsed = page(out / name)
        assert HOSTILE_TITLE in parsed.text  # shown as written
        assert "<script>alert" not in raw and "<svg onload" not in raw and "<img src=x" not in raw
        assert [s.get("src") for s in parsed.scripts] == [("" if name == "index.html" else "../") + "assets/site.js"]
        assert not [a for _, a in parsed.elements if any(k.startswith("on") for k in a)], "no event handler"
        assert "<b>bold?</b>" not in raw
    assert "&lt;svg onload=alert(5)&gt;" in (out / "index.html").read_text(encoding="utf-8")


def test_only_web_links_become_links(builtin_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    _site(Cli(builtin_db), out)
    assert data.safe_href("javascript:alert(1)") is None
    assert data.safe_href(" data:text/html,x") is None
    assert data.safe_href("https://arxiv.org/abs/1512.03385") == "https://arxiv.org/abs/1512.03385"
    for path in out.rglob("*.html"):
        for href in page(path).links:
            assert not re.match(r"(?i)\s*(javascript|data|vbscript|file):", href), (path, href)


# ---------------------------------------------------------------------------- citations, trending


def test_citation_history_gives_sparklines_charts_and_trending(builtin_db: Path, tmp_path: Path) -> None:
    cli = Cli(builtin_db)
    doc = json.loads(cli.ok("export", "json").stdout)
    now = dt.datetime.now(dt.UTC)
    stamps = [(now - dt.timedelta(days=d)).isoformat(timespec="seconds") for d in (200, 60, 1)]
    for paper, counts in (("resnet", (190_000, 200_000, 215_000)), ("vit", (40_000, 41_000, 41_500))):
        entry = next(p for p in doc["papers"] if p["key"] == paper)
        entry["citations"] = counts[-1]
        entry["citations_fetched_at"] = stamps[-1]
        entry["citation_history"] = [{"count": c, "fetched_at": s} for c, s in zip(counts, stamps)]
    (tmp_path / "h.json").write_text(json.dumps(doc), encoding="utf-8")
    cli.ok("import", str(tmp_path / "h.json"))
    out = tmp_path / "site"
    _site(cli, out)
    index = (out / "index.html").read_text(encoding="utf-8")
    trending = index[index.index('id="trending"') : index.index('id="catalog"')]
    # Since 90 days ago (the counts seen 200 days ago): ResNet gained 25,000, ViT 1,500.
    assert trending.index("ResNet") < trending.index("ViT")
    assert "+25,000 (13.2 %)" in trending and "+1,500 (3.8 %)" in trending
    resnet_row = index[index.index('id="p-resnet"') :].split("</tr>")[0]
    assert "215,000" in resnet_row and 'class="spark"' in resnet_row and ">Citations</th>" in index
    assert "citations 190,000 on" in resnet_row
    paper_page = (out / "paper" / "resnet.html").read_text(encoding="utf-8")
    assert 'class="chart chart-line"' in paper_page and "<title" in paper_page
    assert "3 counts from 190,000" in paper_page


# ---------------------------------------------------------------------------- charts


def test_charts_have_titles_and_text_alternatives(builtin_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    _site(Cli(builtin_db), out)
    svgs = [(t, a) for t, a in page(out / "index.html").elements if t == "svg" and "chart" in (a.get("class") or "")]
    assert len(svgs) == 2
    for _, attrs in svgs:
        assert attrs["role"] == "img"
        assert attrs["aria-labelledby"] and all(
            i in page(out / "index.html").ids for i in attrs["aria-labelledby"].split()
        )
    text = page(out / "index.html").text
    assert "59 videos from 2021-10 to" in text  # the videos chart's description


def test_bar_chart_bars_and_labels() -> None:
    months = data.per_month(["2021-10-06", "2021-10-14", "2022-01-01", "2022-03-31"])
    assert months == [("2021-10", 2), ("2021-11", 0), ("2021-12", 0), ("2022-01", 1), ("2022-02", 0), ("2022-03", 1)]
    svg = str(charts.bar_chart("c", "T <1>", "D & d", months, labels=charts.month_labels([m for m, _ in months])))
    assert svg.count('class="bar"') == 3  # empty months draw nothing
    assert "T &lt;1&gt;" in svg and "D &amp; d" in svg
    assert ">2022<" in svg and ">2021-10<" not in svg


def test_month_labels_thin_out_over_many_years() -> None:
    months = data.months_between("1990-01", "2024-12")
    labels = charts.month_labels(months)
    assert 4 <= len(labels) <= 8 and all(int(y) % 5 == 0 for _, y in labels)
    assert charts.month_labels(["2024-03", "2024-04"]) == [(0, "2024-03")]


@pytest.mark.parametrize(("top", "expected"), [(0, [0, 1]), (6, [0, 2, 4, 6]), (59, [0, 20, 40, 60]), (1, [0, 1])])
def test_nice_ticks(top: int, expected: list[int]) -> None:
    assert charts.nice_ticks(top) == expected


def test_cumulative_and_durations() -> None:
    assert data.cumulative(["2022-01-02", "2021-05-01", "2022-01-02", ""]) == [
        (dt.date(2021, 5, 1), 1),
        (dt.date(2022, 1, 2), 3),
    ]
    assert [data.duration(s) for s in (None, 59, 1199, 5274)] == ["", "0:59", "19:59", "1:27:54"]


# ---------------------------------------------------------------------------- big catalogs, paged


def test_a_big_catalog_is_paged_by_category(builtin_db: Path, tmp_path: Path) -> None:
    """Past ``index_rows_max`` the index lists categories, each with numbered pages."""
    reader = _reader(builtin_db)
    with StagedSite(str(tmp_path / "big")) as staged:
        report = build(
            reader, staged, SiteOptions(user="t", index_rows_max=50, category_page_rows=4, index_videos_max=5)
        )
        staged.commit()
    out = tmp_path / "big"
    assert report.paged
    index = page(out / "index.html")
    assert not index.rows() and "59 of 90 papers recorded" in index.text
    # generative holds 13 papers: pages of 4, 4, 4 and 1.
    pages = [out / "category" / "generative.html"] + [out / "category" / "generative" / f"{n}.html" for n in (2, 3, 4)]
    assert [len(page(p).rows()) for p in pages] == [4, 4, 4, 1]
    assert "category/generative.html" in index.links
    second = page(pages[1])
    assert "../../category/generative.html" in second.links and "2 of 13 papers recorded" in second.text
    # A paper links to the page holding it; only 5 videos on the index, all on videos.html.
    assert page(out / "paper" / "gan.html").links.count("../category/generative.html") == 1
    assert len(page(out / "videos.html").elements) > len(index.elements) or "All 59 videos" in index.text
    assert len(re.findall(r'class="video"', (out / "index.html").read_text(encoding="utf-8"))) == 5
    assert len(re.findall(r'class="video"', (out / "videos.html").read_text(encoding="utf-8"))) == 59
    for path in out.rglob("*.html"):
        for href in page(path).links:
            target = local_target(out, path, href)
            assert target is None or target[0].is_file(), (path, href)


def test_a_paged_build_writes_each_page_as_its_rows_come(builtin_db: Path, tmp_path: Path) -> None:
    """Pages filled exactly (vision/cnn: 7 papers, pages of 7), a last short page (generative: 13 as
    7 + 6), an empty category (one page, no row): every row once, on the page its paper links to,
    and no more rows held at once than a page shows."""
    Cli(builtin_db).ok("category", "add", "rl", "--name", "Reinforcement learning")
    held: list[int] = []

    class Counting(list):  # type: ignore[type-arg]
        def append(self, item: Any) -> None:
            super().append(item)
            held.append(len(self))

    reader = _reader(builtin_db)
    with StagedSite(str(tmp_path / "big")) as staged:
        views = data.CategoryView.__init__

        def counting_init(self: Any, *args: Any, **kwargs: Any) -> None:
            views(self, *args, **kwargs)
            self.rows = Counting()

        data.CategoryView.__init__ = counting_init  # type: ignore[method-assign]
        try:
            report = build(reader, staged, SiteOptions(user="t", index_rows_max=50, category_page_rows=7))
        finally:
            data.CategoryView.__init__ = views  # type: ignore[method-assign]
        staged.commit()
    out = tmp_path / "big"
    assert report.paged and report.papers == 90
    assert max(held) == 7
    assert len(page(out / "category" / "vision" / "cnn.html").rows()) == 7
    assert not (out / "category" / "vision" / "cnn" / "2.html").exists()
    assert [
        len(page(p).rows()) for p in (out / "category" / "generative.html", out / "category" / "generative" / "2.html")
    ] == [7, 6]
    assert (
        page(out / "category" / "rl.html").rows() == []
        and "0 of 0 papers recorded" in page(out / "category" / "rl.html").text
    )
    shown = [r for path in (out / "category").rglob("*.html") for r in page(path).rows()]
    assert len(shown) == 90
    for path in out.rglob("*.html"):
        for href in page(path).links:
            target = local_target(out, path, href)
            assert target is None or target[0].is_file(), (path, href)


# ---------------------------------------------------------------------------- the folder


def test_a_refresh_replaces_its_own_files_and_keeps_others(builtin_db: Path, tmp_path: Path) -> None:
    cli = Cli(builtin_db)
    out = tmp_path / "public"
    _site(cli, out)
    (out / "CNAME").write_text("papers.example.org\n")
    (out / "extra").mkdir()
    (out / "extra" / "me.html").write_text("mine")
    (out / "paper" / "my-own.html").write_text("my own page")
    cname_inode = (out / "CNAME").stat().st_ino
    cli.ok("remove", "vgg", "--yes")
    result = cli.ok("site", str(out))
    assert "kept 3 files of yours" in result.stderr
    assert not (out / "paper" / "vgg.html").exists()  # its own old page is gone
    assert (out / "CNAME").read_text() == "papers.example.org\n" and (out / "CNAME").stat().st_ino == cname_inode
    assert (out / "extra" / "me.html").read_text() == "mine"
    assert (out / "paper" / "my-own.html").read_text() == "my own page"
    assert "59 of 89 papers recorded" in page(out / "index.html").text  # VGG was not recorded
    assert "CNAME" not in manifest(out)["files"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".public.paperread-")], "no staging left"


def test_a_file_of_yours_the_site_would_replace_is_refused(builtin_db: Path, tmp_path: Path) -> None:
    cli = Cli(builtin_db)
    out = tmp_path / "public"
    _site(cli, out)
    cli.ok("remove", "vgg", "--yes")
    cli.ok("site", str(out))
    (out / "paper" / "vgg.html").write_text("my vgg notes")  # now a file of the keeper's
    _import_papers(cli, tmp_path, [_doc_paper("vgg", title="VGG again")])
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    result = cli("site", str(out))
    assert result.exit_code == 1
    assert "paper/vgg.html" in result.stderr and "did not write" in result.stderr
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_a_folder_of_other_files_is_refused_before_anything(tmp_path: Path, db_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "thesis.tex").write_text("x")
    result = Cli(db_path)("site", str(folder))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == "error: 'docs' holds files paperread did not write ('thesis.tex')" or (
        "holds files paperread did not write ('thesis.tex')" in result.stderr
    )
    assert sorted(p.name for p in folder.iterdir()) == ["thesis.tex"]
    assert not db_path.exists(), "the database is not even created"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["docs", "home"]


def test_a_file_as_the_folder_and_a_blank_name_are_refused(builtin_db: Path, tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    result = Cli(builtin_db)("site", str(tmp_path / "f"))
    assert result.exit_code == 1 and "is a file, not a folder" in result.stderr
    result = Cli(builtin_db)("site", " ")
    assert result.exit_code == 1 and "empty" in result.stderr
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / MANIFEST).write_text("{not json")
    result = Cli(builtin_db)("site", str(bad))
    assert result.exit_code == 1 and "cannot read" in result.stderr


def test_an_empty_folder_and_a_new_nested_one_are_fine(builtin_db: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir(mode=0o755)
    _site(Cli(builtin_db), tmp_path / "empty")
    assert (tmp_path / "empty" / "index.html").is_file()
    assert oct((tmp_path / "empty").stat().st_mode & 0o777) == oct(0o755)
    _site(Cli(builtin_db), tmp_path / "a" / "b" / "site")
    assert (tmp_path / "a" / "b" / "site" / "index.html").is_file()


def test_a_failed_build_leaves_the_old_site_whole(
    builtin_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = Cli(builtin_db)
    out = tmp_path / "public"
    _site(cli, out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    from paperread.site import writer

    calls = {"n": 0}
    real = writer.StagedSite.write

    def failing(self: writer.StagedSite, rel: str, text: str | bytes) -> None:
        calls["n"] += 1
        if calls["n"] == 40:
            raise OSError(28, "No space left on device")
        real(self, rel, text)

    monkeypatch.setattr(writer.StagedSite, "write", failing)
    cli.ok("remove", "vgg", "--yes")
    result = cli("site", str(out))
    assert result.exit_code == 1 and "No space left" in result.stderr
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_killed_build_leaves_dir_alone_and_its_staging_is_swept(builtin_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "public"
    _site(Cli(builtin_db), out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    script = (
        "import os, sys; from paperread.site import writer\n"
        "real = writer.StagedSite.write\n"
        "def write(self, rel, data):\n"
        "    real(self, rel, data)\n"
        "    if len(self.files) == 30: os.kill(os.getpid(), 9)\n"
        "writer.StagedSite.write = write\n"
        f"sys.argv = ['paperread', '--db', {str(builtin_db)!r}, 'site', {str(out)!r}]\n"
        "from paperread.cli import main; main()\n"
    )
    killed = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert killed.returncode == -9
    left = [p for p in tmp_path.iterdir() if p.name.startswith(".public.paperread-")]
    assert len(left) == 1, "the killed build's staging folder"
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    _site(Cli(builtin_db), out)
    assert not left[0].exists(), "swept by the next build"


def test_site_runs_on_both_back_ends(cli: Cli, tmp_path: Path) -> None:
    report = _site(cli, tmp_path / "s")
    assert (report["papers"], report["recorded"], report["videos"]) == (90, 59, 59)
    assert "59 of 90 papers recorded" in page(tmp_path / "s" / "index.html").text


# ---------------------------------------------------------------------------- view counts


def _store_views(cli: Cli, platform: str, figures: dict[str, int]) -> None:
    """Figures stored as ``sync-views`` stores them (its own write function)."""
    from paperread.config import resolve_target
    from paperread.engine import make_engine
    from paperread.viewsync import Report, store

    engine = make_engine(resolve_target(cli.db))
    try:
        store(engine, platform, figures, Report(scope="all"))
    finally:
        engine.dispose()


def _video_row(html: str, video_id: int) -> str:
    return html[html.index(f'<tr class="video" id="v-{video_id}">') :].split("</tr>")[0]


def test_view_counts_show_on_their_videos_and_papers(cli: Cli, tmp_path: Path) -> None:
    # ResNet is covered by videos 4 (BV1Fb4y1h73E, YouTube NnSldWhSqvY) and 5 (BV1P3411y7nn);
    # 5,000,000,000 is beyond 32 bits.
    _store_views(cli, "bilibili", {"BV1Fb4y1h73E": 1_234_567, "BV1P3411y7nn": 5_000_000_000})
    _store_views(cli, "youtube", {"NnSldWhSqvY": 89_012})
    out = tmp_path / "site"
    _site(cli, out)
    total = 1_234_567 + 5_000_000_000 + 89_012
    index = (out / "index.html").read_text(encoding="utf-8")
    headline = index[: index.index('id="categories"')]
    assert f"{total:,} views" in page(out / "index.html").text and f"{total:,}" in headline
    assert ">Views</th>" in index
    first = _video_row(index, 4)
    assert "1,234,567 <small>views on bilibili</small>" in first and "89,012 <small>views on YouTube</small>" in first
    assert "5,000,000,000 <small>views on bilibili</small>" in _video_row(index, 5)
    assert "views on" not in _video_row(index, 6)  # the Transformer's video: no figure stored
    resnet = (out / "paper" / "resnet.html").read_text(encoding="utf-8")
    assert f"{total:,} video views" in page(out / "paper" / "resnet.html").text
    assert "89,012 <small>views on YouTube</small>" in _video_row(resnet, 4)
    assert "5,000,000,000" in _video_row(resnet, 5)
    transformer = (out / "paper" / "transformer.html").read_text(encoding="utf-8")
    assert "views" not in page(out / "paper" / "transformer.html").text.lower()
    assert ">Views</th>" not in transformer


def test_no_view_count_means_nothing_about_views(builtin_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    _site(Cli(builtin_db), out)
    for path in [out / "index.html", *sorted((out / "paper").glob("*.html"))]:
        html = path.read_text(encoding="utf-8")
        assert "views" not in page(path).text.lower(), path
        assert ">Views</th>" not in html and 'class="views' not in html, path


def test_videos_html_totals_views_and_shows_each_figure(builtin_db: Path, tmp_path: Path) -> None:
    _store_views(Cli(builtin_db), "bilibili", {"BV15P4y137jb": 4_321})  # ViT's video, id 10
    with StagedSite(str(tmp_path / "s")) as staged:
        build(_reader(builtin_db), staged, SiteOptions(user="t", index_videos_max=5))
        staged.commit()
    videos = (tmp_path / "s" / "videos.html").read_text(encoding="utf-8")
    assert "4,321 views on bilibili and YouTube" in page(tmp_path / "s" / "videos.html").text
    assert "4,321 <small>views on bilibili</small>" in _video_row(videos, 10)
    assert len(re.findall(r"views on bilibili</small>", videos)) == 1
    # ViT's video is not among the newest five: the index still totals it.
    assert "4,321 views" in page(tmp_path / "s" / "index.html").text


def test_site_stays_on_the_light_road(builtin_db: Path, tmp_path: Path) -> None:
    """On an up-to-date SQLite file: no SQLAlchemy, pydantic, httpx; markdown-it only for notes."""
    probe = (
        "import atexit, sys\n"
        "atexit.register(lambda: sys.stderr.write('HEAVY=' + ','.join(m for m in "
        "('sqlalchemy', 'pydantic', 'httpx', 'alembic', 'sqlmodel', 'markdown_it') if m in sys.modules) + '\\n'))\n"
        f"sys.argv = ['paperread', '--db', {str(builtin_db)!r}, 'site', {str(tmp_path / 'o')!r}]\n"
        "from paperread.cli import main; main()\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, env=os.environ)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "HEAVY=", result.stderr


def test_the_readme_examples_run(builtin_db: Path, tmp_path: Path) -> None:
    """The commands of the README's 'Publishing' section, as a shell runs them."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Publishing the catalog") :]
    block = section[section.index("```sh\n") + 6 : section.index("```", section.index("```sh\n") + 6)]
    commands = [line.split("#")[0].split() for line in block.splitlines() if line.strip()]
    assert [c[:2] for c in commands] == [["paperread", "site"]] * 2
    Cli(builtin_db).ok("note", "resnet", "--text", "worth a second read")
    for words in commands:
        result = subprocess.run(
            [sys.executable, "-m", "paperread", "--db", str(builtin_db), *words[1:]],
            capture_output=True, text=True, cwd=tmp_path, timeout=60, env=os.environ,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert "open public/index.html" in result.stderr
    assert "worth a second read" in (tmp_path / "public" / "paper" / "resnet.html").read_text(encoding="utf-8")


def test_a_refresh_without_an_atomic_exchange_still_swaps_whole(
    builtin_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where renameat2 is missing (not Linux), two renames put the new site in place."""
    from paperread.site import writer

    cli = Cli(builtin_db)
    out = tmp_path / "public"
    _site(cli, out)
    (out / ".nojekyll").write_text("")
    monkeypatch.setattr(writer, "_exchange", lambda a, b: False)
    cli.ok("remove", "vgg", "--yes")
    _site(cli, out)
    assert not (out / "paper" / "vgg.html").exists() and (out / ".nojekyll").exists()
    assert "59 of 89 papers recorded" in page(out / "index.html").text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["builtin.db", "home", "public"]


def test_two_builds_at_once_leave_one_whole_site(builtin_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "public"
    _site(Cli(builtin_db), out)
    (out / "CNAME").write_text("x\n")
    argv = [sys.executable, "-m", "paperread", "--db", str(builtin_db), "site", str(out)]
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], results
    files = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    assert files == set(manifest(out)["files"]) | {MANIFEST, "CNAME"}
    assert "59 of 90 papers recorded" in page(out / "index.html").text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["builtin.db", "home", "public"]


def test_the_published_readme_makes_the_same_site(db_path: Path, tmp_path: Path) -> None:
    """Mu Li's published paper-reading README (data no one here wrote), imported into an empty
    catalog, gives the site its figures: 59 of 90, every row with its link."""
    from tests.helpers import shared_readme_path

    cli = Cli(db_path)
    cli.ok("init", "--empty")
    cli.ok("import", str(shared_readme_path()))
    out = tmp_path / "site"
    report = _site(cli, out)
    assert (report["papers"], report["recorded"]) == (90, 59)
    index = page(out / "index.html")
    assert "59 of 90 papers recorded" in index.text
    readme = shared_readme_path().read_text(encoding="utf-8")
    rows = index.rows()
    assert len(rows) == 90
    # Every paper's link of the README is a link of the site (the README percent-encodes some).
    from paperread.values import readable_url

    links = {readable_url(h) for h in index.links}
    urls = re.findall(r"^\|[^|\n]*\|\s*\d{4}\s*\|\s*\[[^\]]+\]\((https?://[^)\s]+)\)", readme, re.MULTILINE)
    assert len(urls) >= 80
    for url in urls:
        assert readable_url(url) in links, url
