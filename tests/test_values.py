"""Tests for paperread.values: example tables, then properties over arbitrary input."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperread import values
from paperread.errors import InputError

# --- keys -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("AlexNet", "alexnet"),
        ("Swin Transformer", "swin-transformer"),
        ("DALL.E 2", "dall-e-2"),
        ("DALL·E 2", "dall-e-2"),
        ("R2+1D", "r2-1d"),
        ("GPT-2", "gpt-2"),
        ("Llama 3.1", "llama-3-1"),
        ("  --Non-deep networks--  ", "non-deep-networks"),
        ("Sánchez-Lengeling", "sanchez-lengeling"),
        ("ＧＰＴ", "gpt"),
        ("为什么Momentum有效", "momentum"),
        ("参数服务器", ""),
        ("", ""),
        ("a" * 80, "a" * 64),
        ("a" * 63 + " b", "a" * 63),
    ],
)
def test_slugify_key(name: str, key: str) -> None:
    assert values.slugify_key(name) == key


def test_unique_key_counts_up_from_two() -> None:
    assert values.unique_key("gpt", set()) == "gpt"
    assert values.unique_key("gpt", {"gpt"}) == "gpt-2"
    assert values.unique_key("gpt", {"gpt", "gpt-2", "gpt-3"}) == "gpt-4"


def test_unique_key_stays_within_64_characters() -> None:
    base = "x" * 64
    key = values.unique_key(base, {base})
    assert key == "x" * 62 + "-2"
    assert values.is_valid_key(key)


@pytest.mark.parametrize("key", ["alexnet", "gpt-2", "arxiv-1611.03530", "0", "a" * 64])
def test_valid_keys(key: str) -> None:
    assert values.is_valid_key(key)


@pytest.mark.parametrize("key", ["", "-gpt", ".x", "GPT", "a b", "a/b", "a_b", "a" * 65, "ü"])
def test_invalid_keys(key: str) -> None:
    assert not values.is_valid_key(key)


# --- identifiers ----------------------------------------------------------------------------

ALEXNET_S2 = "abd1c342495432171beb7ca8fd9551ef13cbd0ff"


def test_s2_ids() -> None:
    assert values.is_s2_id(ALEXNET_S2)
    assert values.is_s2_id(ALEXNET_S2.upper())
    assert values.normalize_s2_id(f" {ALEXNET_S2.upper()} ") == ALEXNET_S2
    assert not values.is_s2_id(ALEXNET_S2[:-1])
    assert not values.is_s2_id(ALEXNET_S2[:-1] + "g")
    with pytest.raises(InputError, match="Semantic Scholar id 'abc' is not 40 hex digits"):
        values.normalize_s2_id("abc")


@pytest.mark.parametrize(
    ("text", "arxiv_id"),
    [
        ("1706.03762", "1706.03762"),
        ("1706.03762v5", "1706.03762"),
        ("arXiv:1706.03762", "1706.03762"),
        ("ARXIV:1706.03762v2", "1706.03762"),
        ("2006.11239", "2006.11239"),
        ("0704.0001", "0704.0001"),
        ("hep-th/9901001", "hep-th/9901001"),
        ("hep-th/9901001v3", "hep-th/9901001"),
        ("math.gt/0309136", "math.GT/0309136"),
        ("https://arxiv.org/abs/1706.03762", "1706.03762"),
        ("https://arxiv.org/pdf/1311.2524v5.pdf", "1311.2524"),
        ("http://arxiv.org/abs/1504.08083v2", "1504.08083"),
        ("https://arxiv.org/pdf/2407.21783", "2407.21783"),
        ("arxiv.org/abs/hep-th/9901001", "hep-th/9901001"),
        ("https://export.arxiv.org/abs/2101.00001/", "2101.00001"),
    ],
)
def test_normalize_arxiv_id(text: str, arxiv_id: str) -> None:
    assert values.normalize_arxiv_id(text) == arxiv_id


@pytest.mark.parametrize(
    "text", ["", "1706", "1713.03762", "1706.037", "arXiv:", "https://example.org/abs/1706.03762", "x/1"]
)
def test_normalize_arxiv_id_rejects(text: str) -> None:
    with pytest.raises(InputError, match=r"is not like 1706\.03762"):
        values.normalize_arxiv_id(text)


@pytest.mark.parametrize(
    ("url", "arxiv_id"),
    [
        ("https://arxiv.org/abs/1810.04805", "1810.04805"),
        ("https://arxiv.org/pdf/2204.06125.pdf", "2204.06125"),
        ("https://papers.nips.cc/paper/2012/file/c399862d3b9d6b76c8436e924a68c45b-Paper.pdf", None),
        ("https://arxiv.org/list/cs.LG/recent", None),
        ("not a url", None),
    ],
)
def test_arxiv_id_from_url(url: str, arxiv_id: str | None) -> None:
    assert values.arxiv_id_from_url(url) == arxiv_id


@pytest.mark.parametrize(
    ("text", "doi"),
    [
        ("10.1038/nature14539", "10.1038/nature14539"),
        ("doi:10.1038/NATURE14539", "10.1038/nature14539"),
        ("DOI: 10.1145/3065386", "10.1145/3065386"),
        ("https://doi.org/10.1038/s41586-021-03819-2", "10.1038/s41586-021-03819-2"),
        ("http://dx.doi.org/10.1000%2F182", "10.1000/182"),
    ],
)
def test_normalize_doi(text: str, doi: str) -> None:
    assert values.normalize_doi(text) == doi


@pytest.mark.parametrize("text", ["", "nature14539", "10.1/x", "https://example.org/10.1038/x", "10.1038/"])
def test_normalize_doi_rejects(text: str) -> None:
    with pytest.raises(InputError, match="is not a DOI"):
        values.normalize_doi(text)


# --- URLs -----------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["https://arxiv.org/abs/1706.03762", "http://example.org", " https://a.b/c?d=e "])
def test_check_http_url(url: str) -> None:
    assert values.check_http_url(url) == url.strip()


@pytest.mark.parametrize(
    "url", ["ftp://x", "", "example.org", "https://", "javascript:alert(1)", "https://a b.org", "http://[::1"]
)
def test_check_http_url_rejects(url: str) -> None:
    with pytest.raises(InputError, match=r"is not an http\(s\) URL"):
        values.check_http_url(url)


def test_check_http_url_message_names_the_url() -> None:
    with pytest.raises(InputError) as caught:
        values.check_http_url("ftp://x")
    assert caught.value.message == "URL 'ftp://x' is not an http(s) URL"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://arxiv.org/abs/1512.03385", "https://arxiv.org/pdf/1512.03385.pdf"),
        ("http://arxiv.org/abs/1504.08083v2", "https://www.arxiv.org/pdf/1504.08083"),
        ("https://openai.com/blog/clip/", "http://www.openai.com/blog/clip"),
        ("https://Distill.pub/2021/gnn-intro/", "https://distill.pub/2021/gnn-intro"),
    ],
)
def test_same_document_matches(a: str, b: str) -> None:
    assert values.normalize_url_for_match(a) == values.normalize_url_for_match(b)


def test_match_forms() -> None:
    assert values.normalize_url_for_match("https://arxiv.org/pdf/2204.06125.pdf") == "arxiv:2204.06125"
    assert values.normalize_url_for_match("https://www.openai.com/blog/clip/") == "openai.com/blog/clip"
    # Paths stay case-sensitive and different documents stay different.
    assert values.normalize_url_for_match("https://a.org/X") != values.normalize_url_for_match("https://a.org/x")
    assert values.normalize_url_for_match("https://a.org/p?id=1") != values.normalize_url_for_match(
        "https://a.org/p?id=2"
    )


# --- durations and dates --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1:27:54", 5274),
        ("52:21", 3141),
        ("03:28", 208),
        ("9:59", 599),
        (" 1:15:28", 4528),
        ("0:00", 0),
        ("75:00", 4500),
    ],
)
def test_parse_duration(text: str, seconds: int) -> None:
    assert values.parse_duration(text) == seconds


@pytest.mark.parametrize(
    "text", ["1:99", "-5:00", "", "abc", "1:60:00", "1:00:60", "5:3", "1:2:3", "1:00:00:00", "١:٠٠"]
)
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(InputError, match=f"duration '{text}' is not H:MM:SS or MM:SS"):
        values.parse_duration(text)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(5274, "1:27:54"), (3141, "52:21"), (208, "3:28"), (0, "0:00"), (3600, "1:00:00")],
)
def test_format_duration(seconds: int, text: str) -> None:
    assert values.format_duration(seconds) == text


def test_format_duration_rejects_negative() -> None:
    with pytest.raises(InputError):
        values.format_duration(-1)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2024-09-04", dt.date(2024, 9, 4)),
        ("9/04/24", dt.date(2024, 9, 4)),
        ("12/20/21", dt.date(2021, 12, 20)),
        ("9/2/22", dt.date(2022, 9, 2)),
        ("10/06/21", dt.date(2021, 10, 6)),
        ("1/5/2022", dt.date(2022, 1, 5)),
    ],
)
def test_parse_date(text: str, day: dt.date) -> None:
    assert values.parse_date(text) == day


@pytest.mark.parametrize(
    "text", ["2024-13-01", "13/45/22", "2/30/22", "", "yesterday", "2024-9-4", "20240904", "2024-W36-3"]
)
def test_parse_date_rejects(text: str) -> None:
    with pytest.raises(InputError, match=f"date '{text}' is not"):
        values.parse_date(text)


def test_format_readme_date() -> None:
    assert values.format_readme_date(dt.date(2024, 9, 4)) == "9/4/24"
    assert values.format_readme_date(dt.date(2021, 12, 20)) == "12/20/21"
    assert values.format_readme_date(dt.date(2000, 1, 1)) == "1/1/00"
    # Out of the two-digit range the ISO form keeps the date exact.
    assert values.format_readme_date(dt.date(1999, 12, 31)) == "1999-12-31"


def test_parse_year() -> None:
    next_year = dt.date.today().year + 1
    assert values.parse_year("2012") == 2012
    assert values.parse_year(" 1900 ") == 1900
    assert values.parse_year(next_year) == next_year
    assert values.parse_year("1809") == 1809 and values.parse_year(1) == 1 and values.parse_year("12") == 12
    for bad in ["0", "-5", str(next_year + 1), "10000", "20x4", "", "２０２０", True, 0]:
        with pytest.raises(InputError, match="is not a year between 1 and"):
            values.parse_year(bad)  # type: ignore[arg-type]


# --- video sites ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "BV1H44y1t75x",
        "https://www.bilibili.com/video/BV1H44y1t75x/",
        "https://www.bilibili.com/video/BV1H44y1t75x?p=1",
        "bilibili.com/video/BV1H44y1t75x",
        "https://m.bilibili.com/video/BV1H44y1t75x",
    ],
)
def test_parse_bilibili(text: str) -> None:
    assert values.parse_bilibili(text) == "BV1H44y1t75x"


@pytest.mark.parametrize(
    "text", ["BV1H44y1t75", "BV1H44y1t75xx", "av170001", "https://example.org/video/BV1H44y1t75x", ""]
)
def test_parse_bilibili_rejects(text: str) -> None:
    with pytest.raises(InputError, match="is not a BV id"):
        values.parse_bilibili(text)


@pytest.mark.parametrize(
    "text",
    [
        "txjl_Q4jCyQ",
        "https://www.youtube.com/watch?v=txjl_Q4jCyQ",
        "https://www.youtube.com/watch?v=txjl_Q4jCyQ&list=PLFXJ6jwg0qW&index=1",
        "https://youtu.be/txjl_Q4jCyQ",
        "https://m.youtube.com/watch?v=txjl_Q4jCyQ",
        "https://www.youtube.com/embed/txjl_Q4jCyQ",
    ],
)
def test_parse_youtube(text: str) -> None:
    assert values.parse_youtube(text) == "txjl_Q4jCyQ"


@pytest.mark.parametrize(
    "text", ["txjl_Q4jCy", "https://www.youtube.com/watch?x=txjl_Q4jCyQ", "https://vimeo.com/txjl_Q4jCyQ", ""]
)
def test_parse_youtube_rejects(text: str) -> None:
    with pytest.raises(InputError, match="is not an 11-character id"):
        values.parse_youtube(text)


@pytest.mark.parametrize(
    ("text", "zhihu_id"),
    [
        ("1428973951632969728", "1428973951632969728"),
        ("https://www.zhihu.com/zvideo/1428973951632969728", "1428973951632969728"),
        ("https://www.zhihu.com/question/123/answer/456", "456"),
        ("https://www.zhihu.com/answer/456/", "456"),
    ],
)
def test_parse_zhihu(text: str, zhihu_id: str) -> None:
    assert values.parse_zhihu(text) == zhihu_id


@pytest.mark.parametrize("text", ["", "abc", "https://www.zhihu.com/people/mli", "https://example.org/zvideo/1"])
def test_parse_zhihu_rejects(text: str) -> None:
    with pytest.raises(InputError, match="is not a numeric id"):
        values.parse_zhihu(text)


def test_canonical_video_links() -> None:
    assert values.bilibili_url("BV1H44y1t75x") == "https://www.bilibili.com/video/BV1H44y1t75x"
    assert values.youtube_url("txjl_Q4jCyQ") == "https://www.youtube.com/watch?v=txjl_Q4jCyQ"
    assert values.zhihu_url("1428973951632969728") == "https://www.zhihu.com/zvideo/1428973951632969728"
    with pytest.raises(InputError):
        values.youtube_url("nope")


# --- properties -----------------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=99_999 * 3600))
def test_duration_round_trip(seconds: int) -> None:
    assert values.parse_duration(values.format_duration(seconds)) == seconds


@given(st.dates(min_value=dt.date(1, 1, 1)))
def test_readme_date_round_trip(day: dt.date) -> None:
    assert values.parse_date(values.format_readme_date(day)) == day
    if day.year >= 1000:
        assert values.parse_date(day.isoformat()) == day


@given(st.text())
def test_slugify_gives_a_valid_key_or_nothing(text: str) -> None:
    key = values.slugify_key(text)
    assert key == "" or values.is_valid_key(key)


@given(st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=40))
def test_slugify_keeps_every_ascii_letter_and_digit(text: str) -> None:
    wanted = "".join(ch for ch in text.lower() if ch.isalnum())
    assert values.slugify_key(text).replace("-", "") == wanted


@given(st.text(min_size=1, max_size=70).map(values.slugify_key).filter(bool), st.sets(st.text(max_size=66)))
def test_unique_key_is_free_and_valid(base: str, taken: set[str]) -> None:
    key = values.unique_key(base, taken)
    assert key not in taken
    assert values.is_valid_key(key)


PARSERS = [
    values.normalize_s2_id,
    values.normalize_arxiv_id,
    values.normalize_doi,
    values.check_http_url,
    values.parse_duration,
    values.parse_date,
    values.parse_year,
    values.parse_bilibili,
    values.parse_youtube,
    values.parse_zhihu,
    values.bilibili_url,
    values.youtube_url,
    values.zhihu_url,
]

# Text that looks roughly like the values, so the parsers get past their first check.
value_like_text = st.one_of(
    st.text(),
    st.from_regex(r"\A(https?://|arxiv:|doi:|BV)?[\w./:?=&%#\[\]-]{0,40}\Z"),
    st.from_regex(r"\A-?\d{0,6}([:/.-]\d{0,5}){0,3}\Z"),
)


@pytest.mark.parametrize("parse", PARSERS, ids=lambda f: f.__name__)
@given(text=value_like_text)
def test_parsers_raise_only_input_error_on_one_line(parse, text: str) -> None:  # type: ignore[no-untyped-def]
    try:
        parse(text)
    except InputError as error:
        assert "\n" not in error.message and "\r" not in error.message
        assert len(error.message) < 200


def test_messages_show_bad_values_on_one_line() -> None:
    with pytest.raises(InputError) as caught:
        values.parse_duration("1:2\n3" + "9" * 100)
    assert caught.value.message.startswith("duration '1:2\\n3999")
    assert "…' is not H:MM:SS or MM:SS" in caught.value.message


@given(value_like_text)
def test_url_helpers_never_raise(text: str) -> None:
    values.normalize_url_for_match(text)
    values.arxiv_id_from_url(text)


# --- links read back from a README ----------------------------------------------------------

_URL_TEXT = st.lists(
    st.sampled_from(
        [*list("abz09/-._~!$&'*+,;=:@?#%()|<>\"\\^`{}[]"), "é", "深", "😀", "%28", "%2F", "%e6%b7%b1", "%C3", "%zz"]
    ),
    max_size=30,
).map("".join)


@given(_URL_TEXT)
def test_a_link_written_to_a_readme_reads_back_as_the_same_address(path: str) -> None:
    from urllib.parse import quote

    from paperread.readme import _URL_SAFE

    url = "https://example.org/" + path
    written = quote(url, safe=_URL_SAFE)  # what export markdown writes
    assert values.readable_url(written) == values.readable_url(url)
    assert values.normalize_url_for_match(written) == values.normalize_url_for_match(url)
    assert values.readable_url(values.readable_url(url)) == values.readable_url(url)


@pytest.mark.parametrize(
    ("url", "readable"),
    [
        ("https://x.org/Foo_%28bar%29", "https://x.org/Foo_(bar)"),
        ("https://x.org/%E6%B7%B1%e5%ba%a6", "https://x.org/深度"),
        ("https://x.org/a%2Fb%20c%25d", "https://x.org/a%2Fb%20c%25d"),  # structure, space, percent: kept
        ("https://x.org/%C3%28", "https://x.org/%C3("),  # broken UTF-8 kept as written
        ("https://x.org/%E2%80%8B", "https://x.org/%E2%80%8B"),  # an invisible character stays encoded
    ],
)
def test_readable_url_examples(url: str, readable: str) -> None:
    assert values.readable_url(url) == readable
