"""The site as a person sees it: the built-in catalog's pages in headless Chromium.

Chromium and its driver come from the system packages (/usr/bin/chromium, /usr/bin/chromedriver;
.ci/chromium.sh installs them); Selenium drives them. Nothing is downloaded at run time. The
pages are opened from file://, at a desktop width (1280 px) and a phone width (390 px).
Where Chromium is missing the tests are skipped, except under CI, where they fail.

Screenshots go to the test's folder, or to $SITE_SCREENSHOTS when it is set (to look at).
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from paperread import queries
from paperread.db import SqliteReader, connect_sqlite
from tests.conftest import Cli

CHROMIUM = os.environ.get("PAPERREAD_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("PAPERREAD_CHROMEDRIVER", "/usr/bin/chromedriver")
DESKTOP, PHONE = 1280, 390


def _missing() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not shutil.which(path):
            return f"{path} is not installed (bash .ci/chromium.sh installs it)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install '.[test]')"
    return None


if (_why := _missing()) is not None:
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run under CI: {_why}", pytrace=False)
    pytest.skip(_why, allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402


def _driver(*, javascript: bool = True) -> Any:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
                f"--window-size={DESKTOP},900", "--no-first-run", "--disable-extensions", "--lang=en-US"):  # fmt: skip
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, _builtin_template: Path) -> dict[str, Any]:
    """The built-in catalog's site, with one hostile title added, and the catalog's own figures."""
    folder = tmp_path_factory.mktemp("browser")
    db = folder / "catalog.db"
    shutil.copy(_builtin_template, db)
    cli = Cli(db)
    out = folder / "public"
    result = cli.ok("site", str(out))
    assert "59 videos" in result.stderr
    reader = SqliteReader(connect_sqlite(db))
    papers = queries.papers(reader, user="t")
    reader.close()
    return {"dir": out, "papers": papers, "url": out.resolve().as_uri() + "/index.html"}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    driver = _driver()
    yield driver
    driver.quit()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("SITE_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _open(driver: Any, url: str, width: int) -> None:
    driver.set_window_size(width, 900)
    driver.get_log("browser")  # drop what earlier pages logged
    driver.get_log("performance")
    driver.get(url)
    assert driver.execute_script("return window.innerWidth") == width


def _visible_keys(driver: Any) -> list[str]:
    return [
        row.get_attribute("id").removeprefix("p-")
        for row in driver.find_elements(By.CSS_SELECTOR, "tr.paper")
        if row.is_displayed()
    ]


def _no_overflow(driver: Any) -> None:
    widths = driver.execute_script(
        "return [document.documentElement.scrollWidth, document.body.scrollWidth, window.innerWidth]"
    )
    assert widths[0] <= widths[2] and widths[1] <= widths[2], f"horizontal overflow: {widths}"


def _requests(driver: Any) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def _png_colours(png: bytes) -> int:
    """How many different pixel values a screenshot has (a blank page has one)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, kind = 8, b"", 0, 0, 0
    while pos < len(png):
        length, name = struct.unpack(">I4s", png[pos : pos + 8])
        body = png[pos + 8 : pos + 8 + length]
        if name == b"IHDR":
            width, height, _, kind = struct.unpack(">IIBB", body[:10])
        elif name == b"IDAT":
            idat += body
        pos += 12 + length
    channels = {2: 3, 6: 4}[kind]
    raw = zlib.decompress(idat)
    stride = width * channels + 1
    colours: set[bytes] = set()
    for y in range(0, height, 7):  # every 7th row, unfiltered bytes are enough to tell
        line = raw[y * stride + 1 : (y + 1) * stride]
        colours.update(line[x : x + channels] for x in range(0, len(line), channels * 5))
        if len(colours) > 50:
            break
    return len(colours)


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_index_loads_offline_and_shows_the_catalog(browser: Any, site: dict[str, Any], shots: Path, width: int) -> None:
    _open(browser, site["url"], width)
    assert browser.find_element(By.CSS_SELECTOR, ".headline").text.startswith("59 of 90 papers recorded")
    assert browser.title == "Paper reading: 59 of 90 papers recorded"
    # No console errors, and nothing requested but the site's own files.
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
    requests = _requests(browser)
    assert requests and all(u.startswith("file://") for u in requests), requests
    assert {u.rsplit("/", 2)[-1] for u in requests} >= {"index.html", "site.css", "site.js"}
    # A progress bar per category, as wide as its share.
    bars = browser.find_elements(By.CSS_SELECTOR, ".progress .bar")
    assert len(bars) == 12
    for bar in bars:
        done, total = int(bar.get_attribute("aria-valuenow")), int(bar.get_attribute("aria-valuemax"))
        inner = bar.find_element(By.CSS_SELECTOR, "span")
        assert abs(inner.size["width"] / bar.size["width"] - done / total) < 0.02
        assert bar.is_displayed() and bar.size["width"] > 100
    # Both charts drawn, with bars and a line, inside the page's width.
    charts = browser.find_elements(By.CSS_SELECTOR, "svg.chart")
    assert len(charts) == 2
    for chart in charts:
        assert chart.is_displayed() and 200 <= chart.size["height"] <= 240 and chart.size["width"] > 300
        assert chart.location["x"] + chart.size["width"] <= width
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.chart rect.bar")) > 15
    assert browser.find_element(By.CSS_SELECTOR, "svg.chart polyline.line").size["width"] > 250
    # Every paper, every video.
    assert len(_visible_keys(browser)) == 90
    assert len(browser.find_elements(By.CSS_SELECTOR, "tr.video")) == 59
    _no_overflow(browser)
    # Rows on a desktop, cards on a phone.
    row = browser.find_element(By.CSS_SELECTOR, "tr.paper")
    head = browser.find_element(By.CSS_SELECTOR, "table.papers thead")
    if width == PHONE:
        assert row.value_of_css_property("display") == "block" and not head.is_displayed()
        assert row.value_of_css_property("border-top-left-radius") == "10px"
    else:
        assert row.value_of_css_property("display") == "table-row" and head.is_displayed()
    # A screenshot, neither blank nor wider than the window.
    browser.set_window_size(width, 1400)
    png = browser.get_screenshot_as_png()
    (shots / f"index-{width}.png").write_bytes(png)
    assert struct.unpack(">I", png[16:20])[0] == width
    assert _png_colours(png) > 20


def test_search_narrows_the_rows(browser: Any, site: dict[str, Any]) -> None:
    _open(browser, site["url"], DESKTOP)
    box = browser.find_element(By.CSS_SELECTOR, "#filters input[name=q]")
    box.send_keys("transformer")

    def matches(word: str) -> list[str]:
        return [
            p["key"]
            for p in site["papers"]
            if word in f"{p['title']} {p['description'] or ''} {p['year'] or ''}".lower()
        ]

    expected = matches("transformer")
    assert 3 <= len(expected) < 90
    assert _visible_keys(browser) == expected
    assert browser.find_element(By.CSS_SELECTOR, "#filters .shown").text == f"{len(expected)} of 90 papers shown"
    box.clear()
    box.send_keys("ＲｅｓＮｅｔ")  # full-width letters fold to ASCII (NFKC)
    assert "resnet" in _visible_keys(browser) and len(_visible_keys(browser)) < 5
    box.clear()
    box.send_keys("no such paper at all")
    assert _visible_keys(browser) == []
    assert browser.find_element(By.CSS_SELECTOR, "p.none").is_displayed()
    # The sections of categories with no match are hidden too.
    assert not [s for s in browser.find_elements(By.CSS_SELECTOR, "section.category") if s.is_displayed()]


def test_category_and_recorded_filters(browser: Any, site: dict[str, Any]) -> None:
    _open(browser, site["url"], DESKTOP)
    category = Select(browser.find_element(By.CSS_SELECTOR, "#filters select[name=category]"))
    category.select_by_value("vision/cnn")
    assert _visible_keys(browser) == [p["key"] for p in site["papers"] if p["category"] == "vision/cnn"]
    category.select_by_value("vision")  # the group: every vision/* category
    assert len(_visible_keys(browser)) == sum(p["category"].startswith("vision/") for p in site["papers"]) == 45
    Select(browser.find_element(By.CSS_SELECTOR, "#filters select[name=recorded]")).select_by_value("0")
    expected = [p["key"] for p in site["papers"] if p["category"].startswith("vision/") and not p["recorded"]]
    assert _visible_keys(browser) == expected
    category.select_by_value("")
    assert len(_visible_keys(browser)) == 31


def test_links_lead_to_paper_pages_with_their_videos(browser: Any, site: dict[str, Any], shots: Path) -> None:
    _open(browser, site["url"], DESKTOP)
    browser.find_element(By.CSS_SELECTOR, "#p-resnet a.title").click()
    assert browser.current_url.endswith("/paper/resnet.html")
    assert browser.find_element(By.TAG_NAME, "h1").text == "ResNet"
    videos = browser.find_elements(By.CSS_SELECTOR, "#videos tr.video")
    assert len(videos) == 2
    assert all(
        v.find_element(By.PARTIAL_LINK_TEXT, "bilibili")
        .get_attribute("href")
        .startswith("https://www.bilibili.com/video/BV")
        for v in videos
    )
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
    # Back to the paper's category on the index.
    browser.find_element(By.CSS_SELECTOR, ".crumbs a").click()
    assert browser.current_url.endswith("/index.html#cat-vision/cnn")
    # A video's paper link leads to that paper's page; the nav returns to the index.
    _open(browser, site["dir"].resolve().as_uri() + "/paper/clip.html", PHONE)
    _no_overflow(browser)
    browser.set_window_size(PHONE, 1400)
    (shots / f"paper-clip-{PHONE}.png").write_bytes(browser.get_screenshot_as_png())
    browser.find_element(By.CSS_SELECTOR, ".top .home").click()
    assert browser.current_url.endswith("/index.html")


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_every_paper_page_fits(browser: Any, site: dict[str, Any], width: int) -> None:
    """The pages with the longest titles and descriptions, and the one with most videos."""
    longest = sorted(site["papers"], key=lambda p: -len(p["title"] + (p["description"] or "")))[:4]
    for key in [p["key"] for p in longest] + ["resnet"]:
        path = site["dir"] / "paper" / f"{key}.html"
        _open(browser, path.resolve().as_uri(), width)
        _no_overflow(browser)
        assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


def test_without_javascript_everything_is_there(site: dict[str, Any]) -> None:
    driver = _driver(javascript=False)
    try:
        _open(driver, site["url"], PHONE)
        assert len(_visible_keys(driver)) == 90
        assert not driver.find_element(By.ID, "filters").is_displayed()
        assert driver.find_element(By.CSS_SELECTOR, ".headline").text.startswith("59 of 90 papers recorded")
        assert all(c.is_displayed() for c in driver.find_elements(By.CSS_SELECTOR, "svg.chart"))
        _no_overflow(driver)
    finally:
        driver.quit()


def test_hostile_titles_stay_text_in_the_browser(tmp_path: Path, builtin_db: Path) -> None:
    cli = Cli(builtin_db)
    hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    cli.ok("add", hostile, "--category", "systems", "--key", "hostile", "--url", "https://example.org/?a=<b>&c='d'")
    out = tmp_path / "s"
    cli.ok("site", str(out))
    driver = _driver()
    try:
        for url in (out.resolve().as_uri() + "/index.html", out.resolve().as_uri() + "/paper/hostile.html"):
            _open(driver, url, DESKTOP)
            assert driver.execute_script("return document.querySelectorAll('img').length") == 0
            text = driver.find_element(By.TAG_NAME, "body").text
            assert hostile in text
            assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []
            requests = _requests(driver)
            assert all(u.startswith("file://") for u in requests), requests
        assert driver.find_element(By.TAG_NAME, "h1").text == hostile
    finally:
        driver.quit()


def test_a_paged_catalog_in_the_browser(browser: Any, builtin_db: Path, tmp_path: Path, shots: Path) -> None:
    """A catalog past ``index_rows_max``: category pages with a pager, searchable on their own."""
    from paperread.site.build import build
    from paperread.site.options import SiteOptions
    from paperread.site.writer import StagedSite

    reader = SqliteReader(connect_sqlite(builtin_db))
    with StagedSite(str(tmp_path / "big")) as staged:
        build(reader, staged, SiteOptions(user="t", index_rows_max=50, category_page_rows=5))
        staged.commit()
    reader.close()
    _open(browser, (tmp_path / "big").resolve().as_uri() + "/index.html", PHONE)
    assert not browser.find_elements(By.CSS_SELECTOR, "tr.paper")
    browser.find_element(By.LINK_TEXT, "生成模型").click()
    assert browser.current_url.endswith("/category/generative.html")
    assert len(_visible_keys(browser)) == 5
    _no_overflow(browser)
    browser.set_window_size(PHONE, 1400)
    (shots / f"category-page-{PHONE}.png").write_bytes(browser.get_screenshot_as_png())
    browser.find_element(By.CSS_SELECTOR, ".pager a[href$='generative/2.html']").click()
    assert browser.current_url.endswith("/category/generative/2.html")
    assert browser.find_element(By.CSS_SELECTOR, ".pager strong").text == "2"
    keys = _visible_keys(browser)
    assert len(keys) == 5
    box = browser.find_element(By.CSS_SELECTOR, "#filters input[name=q]")
    box.send_keys(browser.find_element(By.CSS_SELECTOR, f"#p-{keys[2]} a.title").text)
    assert _visible_keys(browser) == [keys[2]]
    browser.find_element(By.CSS_SELECTOR, f"#p-{keys[2]} a.title").click()
    browser.find_element(By.CSS_SELECTOR, ".crumbs a").click()
    assert browser.current_url.endswith("/category/generative/2.html")
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


def test_view_counts_are_seen_on_their_videos(browser: Any, builtin_db: Path, tmp_path: Path, shots: Path) -> None:
    from tests.test_site import _store_views

    cli = Cli(builtin_db)
    _store_views(cli, "bilibili", {"BV1Fb4y1h73E": 1_234_567, "BV1P3411y7nn": 5_000_000_000})
    _store_views(cli, "youtube", {"NnSldWhSqvY": 89_012})
    out = tmp_path / "s"
    cli.ok("site", str(out))
    for width in (DESKTOP, PHONE):
        _open(browser, (out / "paper" / "resnet.html").resolve().as_uri(), width)
        first, second = browser.find_elements(By.CSS_SELECTOR, "#videos tr.video")  # oldest first
        cell = first.find_element(By.CSS_SELECTOR, "td.views")
        assert cell.is_displayed() and "1,234,567 views on bilibili" in cell.text
        assert "89,012 views on YouTube" in cell.text
        assert "5,000,000,000 views on bilibili" in second.find_element(By.CSS_SELECTOR, "td.views").text
        assert "5,001,323,579 video views" in browser.find_element(By.CSS_SELECTOR, ".meta").text
        _no_overflow(browser)
        browser.set_window_size(width, 1400)
        (shots / f"paper-resnet-views-{width}.png").write_bytes(browser.get_screenshot_as_png())
    _open(browser, (out / "index.html").resolve().as_uri(), PHONE)
    assert "5,001,323,579 views" in browser.find_element(By.CSS_SELECTOR, ".headline.views").text
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
