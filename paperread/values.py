"""Parse and format the small value types the catalog stores.

One home for every rule about what a key, an id, a duration or a date looks like, so the
README reader, write validation and the CLI all accept and reject exactly the same text.
Stdlib only: commands that merely list the catalog import this module too.

Every ``parse_*``/``normalize_*`` function either returns a canonical value or raises
:class:`~paperread.errors.InputError` whose one-line message names the bad value and what
is accepted; none of them raises anything else on any string.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from collections.abc import Container
from urllib.parse import SplitResult, parse_qs, unquote, urlsplit

from paperread.errors import InputError
from paperread.gate import shown

READ_STATUSES = ("read", "reading")  # a reader's status on a paper; no row means unread

KEY_MAX_LENGTH = 64
KEY_RE = re.compile(rf"[a-z0-9][a-z0-9.-]{{0,{KEY_MAX_LENGTH - 1}}}")

_S2_ID_RE = re.compile(r"[0-9a-fA-F]{40}")
# New-style arXiv ids (YYMM.NNNN[N]) and old-style ones (archive[.SUBJ]/YYMMNNN).
_ARXIV_NEW_RE = re.compile(r"(\d{2})(0[1-9]|1[0-2])\.\d{4,5}", re.ASCII)
_ARXIV_OLD_RE = re.compile(r"([a-z]+(?:-[a-z]+)*)(\.[a-z]{2})?/\d{7}", re.ASCII | re.IGNORECASE)
_ARXIV_VERSION_RE = re.compile(r"v\d+$", re.ASCII | re.IGNORECASE)
_ARXIV_PREFIX_RE = re.compile(r"^arxiv:\s*", re.IGNORECASE)
_DOI_RE = re.compile(r"10\.\d{4,9}/\S+", re.ASCII)
# A short DOI (shortdoi.org; Zotero's Better BibTeX writes them): 10/ and a few letters and digits.
_SHORT_DOI_RE = re.compile(r"10/[0-9A-Za-z]{2,12}", re.ASCII)
_DOI_PREFIX_RE = re.compile(r"(?:doi:\s*|(?:https?://)?(?:dx\.|www\.)?doi\.org/)", re.IGNORECASE | re.ASCII)
# Leading field of any width (hours, or minutes when there are no hours); the others two digits.
_DURATION_RE = re.compile(r"(\d{1,5}):(\d{2})(?::(\d{2}))?", re.ASCII)
_ISO_DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_US_DATE_RE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})", re.ASCII)
_YEAR_RE = re.compile(r"\d{1,4}", re.ASCII)
_BV_RE = re.compile(r"BV[0-9A-Za-z]{10}", re.ASCII)
_YOUTUBE_ID_RE = re.compile(r"[0-9A-Za-z_-]{11}", re.ASCII)
_ZHIHU_ID_RE = re.compile(r"\d{1,30}", re.ASCII)
_NON_ALNUM_RUN_RE = re.compile(r"[^a-z0-9]+")

EARLIEST_YEAR = 1  # a reading list holds classics (Legendre 1805, Gauss 1809)
# The longest period --since/--stale-after take: now minus it must still be a date.
PERIOD_MAX_DAYS = 36_500


# --- keys -----------------------------------------------------------------------------------


def slugify_key(text: str) -> str:
    """Derive a paper key from a name: lowercase ASCII words joined by '-'.

    Accents and full-width forms fold to plain ASCII first (NFKD), so "Sánchez" gives
    "sanchez" and "ＧＰＴ" gives "gpt"; any other non-ASCII character separates words, so
    "DALL·E 2" gives "dall-e-2". Returns "" when nothing ASCII is left (a Chinese name):
    the caller then picks a key from an id instead.
    """
    if text.isascii():  # (NFKD leaves ASCII as it is)
        folded = text
    else:
        folded = "".join(
            ch if ch.isascii() else "" if unicodedata.combining(ch) else "-"
            for ch in unicodedata.normalize("NFKD", text)
        )
    slug = _NON_ALNUM_RUN_RE.sub("-", folded.lower()).strip("-")
    return slug[:KEY_MAX_LENGTH].rstrip("-")


def unique_key(base: str, taken: Container[str]) -> str:
    """Return ``base`` if free, else the first free ``base-2``, ``base-3``... within 64 chars."""
    if base not in taken:
        return base
    n = 2
    while True:
        suffix = f"-{n}"
        candidate = base[: KEY_MAX_LENGTH - len(suffix)].rstrip("-") + suffix
        if candidate not in taken:
            return candidate
        n += 1


def is_valid_key(s: str) -> bool:
    """True for ``[a-z0-9][a-z0-9.-]*`` of at most 64 characters."""
    return KEY_RE.fullmatch(s) is not None


def parse_key(value: str) -> str:
    """A paper key as a user or a file gives it: trimmed, lowercased, then checked."""
    key = value.strip().lower()
    if not is_valid_key(key):
        raise InputError(
            f"key {shown(value)} is not a paper key: lowercase letters, digits, '.' and '-', "
            f"starting with a letter or digit, at most {KEY_MAX_LENGTH} characters"
        )
    return key


CATEGORY_SLUG_MAX = 120


def parse_category_slug(value: str) -> str:
    """A category slug: key-like words joined by '/' (``vision/cnn``)."""
    slug = value.strip().lower()
    if not slug or len(slug) > CATEGORY_SLUG_MAX or not all(is_valid_key(p) for p in slug.split("/")):
        raise InputError(
            f"category slug {shown(value)} is not a slug: lowercase words of letters, digits, '.' and '-', "
            f"joined by '/' (e.g. vision/cnn), at most {CATEGORY_SLUG_MAX} characters"
        )
    return slug


# --- paper identifiers ----------------------------------------------------------------------


def is_s2_id(s: str) -> bool:
    """True for a Semantic Scholar paper id: 40 hex digits, either case."""
    return _S2_ID_RE.fullmatch(s) is not None


def normalize_s2_id(s: str) -> str:
    """Return the Semantic Scholar id in lowercase, the form the API and the catalog use."""
    stripped = s.strip()
    if not is_s2_id(stripped):
        raise InputError(f"Semantic Scholar id {shown(s)} is not 40 hex digits")
    return stripped.lower()


def _bare_arxiv_id(s: str) -> str | None:
    """The canonical id for ``s`` (an id, maybe with a version), or None if it is not one."""
    candidate = _ARXIV_VERSION_RE.sub("", s)
    if _ARXIV_NEW_RE.fullmatch(candidate):
        return candidate
    old = _ARXIV_OLD_RE.fullmatch(candidate)
    if old:
        archive, subject = old.group(1).lower(), (old.group(2) or "").upper()
        return f"{archive}{subject}/{candidate.split('/', 1)[1]}"
    return None


def arxiv_id_from_url(url: str) -> str | None:
    """The bare arXiv id in an arxiv.org ``abs``/``pdf`` link, or None for any other link."""
    if "arxiv.org" not in url.lower():  # (the host is written in the link as it is)
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if host != "arxiv.org" and not host.endswith(".arxiv.org"):
        return None
    match = re.fullmatch(r"/(?:abs|pdf)/(.+?)(?:\.pdf)?/?", parts.path)
    return _bare_arxiv_id(match.group(1)) if match else None


def normalize_arxiv_id(s: str) -> str:
    """Return the bare arXiv id (no version) of an id, an ``arXiv:`` id or an arxiv.org URL."""
    stripped = s.strip()
    if "/" in stripped and "arxiv.org" in stripped.lower():
        found = arxiv_id_from_url(stripped if "://" in stripped else "https://" + stripped)
    else:
        found = _bare_arxiv_id(_ARXIV_PREFIX_RE.sub("", stripped, count=1))
    if found is None:
        raise InputError(f"arXiv id {shown(s)} is not like 1706.03762, hep-th/9901001 or an arxiv.org link")
    return found


def normalize_doi(s: str) -> str:
    """Return a DOI as lowercase ``10.prefix/suffix`` (or a short DOI, ``10/abc``); DOIs compare
    case-insensitively. A ``doi:`` or doi.org prefix is dropped."""
    stripped = s.strip()
    prefix = _DOI_PREFIX_RE.match(stripped)
    if prefix:
        stripped = stripped[prefix.end() :]
        if prefix.group(0).lower().startswith("http"):
            stripped = unquote(stripped)
    if not _DOI_RE.fullmatch(stripped) and not _SHORT_DOI_RE.fullmatch(stripped):
        raise InputError(
            f"DOI {shown(s)} is not a DOI like 10.1038/nature14539, a short DOI (10/dvzd5z) or a doi.org link"
        )
    return stripped.lower()


# --- URLs -----------------------------------------------------------------------------------


# What str.isspace() or unicodedata.category(ch) == "Cc" finds (``\\s`` is isspace()).
_SPACE_OR_CONTROL_RE = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")


def check_http_url(s: str) -> str:
    """Return ``s`` stripped if it is an http(s) URL with a host and no whitespace inside."""
    stripped = s.strip()
    try:
        parts = urlsplit(stripped)
        host = parts.hostname
    except ValueError:
        host = None
        parts = None
    if (
        parts is None
        or parts.scheme.lower() not in ("http", "https")
        or not host
        or _SPACE_OR_CONTROL_RE.search(stripped)
    ):
        raise InputError(f"URL {shown(s)} is not an http(s) URL")
    return stripped


def normalize_url_for_match(url: str) -> str:
    """A canonical form under which two links to the same document compare equal.

    Scheme, "www.", the fragment and a trailing "/" are dropped and the host lowercased;
    every arxiv.org abs/pdf link of any version becomes ``arxiv:<id>``. Used to tell which
    paper a video's link points at. Never raises: text that is no URL just gives a string
    that matches nothing else.
    """
    stripped = readable_url(url.strip())
    arxiv_id = arxiv_id_from_url(stripped)
    if arxiv_id is not None:
        return f"arxiv:{arxiv_id}"
    try:
        parts = urlsplit(stripped if "://" in stripped else "//" + stripped)
        host = (parts.hostname or "").lower()
    except ValueError:
        return stripped
    host = host.removeprefix("www.")
    port = _safe_port(parts)
    port_text = f":{port}" if port is not None else ""
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{port_text}{parts.path.rstrip('/')}{query}"


_PERCENT_RUN_RE = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
# Characters a Markdown link must carry percent-encoded (``readme`` writes them so) although
# they mean nothing to a URL's structure: taking them back changes no address.
_MARKDOWN_ESCAPED = frozenset('()|<>"\\^`{}')


def readable_url(url: str) -> str:
    """``url`` with the percent-escapes of non-ASCII letters and of ``()|<>"\\^`{}`` decoded,
    every other escape (``%2F``, ``%20``, ``%25``, invalid UTF-8...) kept as written: the
    same address, in the form a person typed. So a link written to a README (encoded) and read
    back compares equal to the stored one."""
    if "%" not in url:
        return url

    def decode(match: re.Match[str]) -> str:
        run = match.group(0)
        raw = bytes.fromhex(run.replace("%", ""))
        out, i = [], 0
        while i < len(raw):
            lead = raw[i]
            size = (
                1
                if lead < 0x80
                else 2
                if 0xC2 <= lead < 0xE0
                else 3
                if 0xE0 <= lead < 0xF0
                else 4
                if lead < 0xF5
                else 0
            )
            try:
                ch = raw[i : i + size].decode("utf-8") if size else ""
            except UnicodeDecodeError:
                ch = ""
            if len(ch) == 1 and (ch in _MARKDOWN_ESCAPED or (ord(ch) > 0x7F and ch.isprintable() and not ch.isspace())):
                out.append(ch)
                i += size
            else:
                out.append(run[3 * i : 3 * i + 3])
                i += 1
        return "".join(out)

    return _PERCENT_RUN_RE.sub(decode, url)


def _safe_port(parts: SplitResult) -> int | None:
    """The URL's explicit port, or None when absent or malformed (urlsplit raises lazily)."""
    try:
        return parts.port
    except ValueError:
        return None


# --- durations and dates --------------------------------------------------------------------


def parse_duration(s: str) -> int:
    """Seconds in ``H:MM:SS`` or ``MM:SS`` (e.g. "1:27:54", "52:21", "9:59")."""
    match = _DURATION_RE.fullmatch(s.strip())
    if match is None:
        raise InputError(f"duration {shown(s)} is not H:MM:SS or MM:SS")
    first, second, third = match.groups()
    if third is None:
        minutes, seconds = int(first), int(second)
        if seconds >= 60:
            raise InputError(f"duration {shown(s)} is not H:MM:SS or MM:SS (seconds must be below 60)")
        return minutes * 60 + seconds
    hours, minutes, seconds = int(first), int(second), int(third)
    if minutes >= 60 or seconds >= 60:
        raise InputError(f"duration {shown(s)} is not H:MM:SS or MM:SS (minutes and seconds must be below 60)")
    return hours * 3600 + minutes * 60 + seconds


_PERIOD_RE = re.compile(r"(\d{1,6})\s*([smhdw]?)", re.ASCII | re.IGNORECASE)
_PERIOD_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_period(s: str) -> _dt.timedelta:
    """A span of time such as ``12h``, ``7d`` or ``2w`` (also ``s``, ``m``); a bare ``0`` is none.

    Used by ``--stale-after`` and ``--since``. A number needs a unit unless it is 0; at most
    100 years (``PERIOD_MAX_DAYS``), so that now minus the period is still a date.
    """
    match = _PERIOD_RE.fullmatch(s.strip())
    if match is None or (not match.group(2) and int(match.group(1)) != 0):
        raise InputError(f"period {shown(s)} is not like 12h, 7d or 2w (units s, m, h, d, w; 0 for none)")
    period = _dt.timedelta(seconds=int(match.group(1)) * _PERIOD_UNITS[(match.group(2) or "s").lower()])
    if period > _dt.timedelta(days=PERIOD_MAX_DAYS):
        raise InputError(f"period {shown(s)} is longer than {PERIOD_MAX_DAYS}d (100 years)")
    return period


def format_duration(seconds: int) -> str:
    """``H:MM:SS`` from one hour up, else ``M:SS``; the inverse of :func:`parse_duration`."""
    if seconds < 0:
        raise InputError(f"duration {seconds} seconds is negative")
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def parse_date(s: str) -> _dt.date:
    """A date from ISO ``YYYY-MM-DD`` or the README's ``M/D/YY`` (years 20YY) or ``M/D/YYYY``."""
    stripped = s.strip()
    iso = _ISO_DATE_RE.fullmatch(stripped)
    us = None if iso else _US_DATE_RE.fullmatch(stripped)
    if iso:
        year, month, day = (int(g) for g in iso.groups())
    elif us:
        month, day, year = (int(g) for g in us.groups())
        if len(us.group(3)) == 2:
            year += 2000
    else:
        raise InputError(f"date {shown(s)} is not YYYY-MM-DD or M/D/YY")
    try:
        return _dt.date(year, month, day)
    except ValueError:
        raise InputError(f"date {shown(s)} is not a real calendar date (YYYY-MM-DD or M/D/YY)") from None


def format_readme_date(d: _dt.date) -> str:
    """The README's ``M/D/YY`` without zero padding ("9/4/24").

    Two-digit years only reach 2000-2099; other dates are written in ISO form, which
    :func:`parse_date` reads as well, so nothing is lost.
    """
    if 2000 <= d.year <= 2099:
        return f"{d.month}/{d.day}/{d.year % 100:02d}"
    return d.isoformat()


# Next year when this module was loaded: next year now is never earlier, so a year up to this
# one needs no look at the clock.
_LATEST_AT_LOAD = _dt.date.today().year + 1


def parse_year(value: str | int) -> int:
    """A publication year between year 1 and next year."""
    if isinstance(value, bool):
        year = None
    elif isinstance(value, int):
        year = value
    else:
        text = value.strip()
        year = int(text) if _YEAR_RE.fullmatch(text) else None
    if year is not None and EARLIEST_YEAR <= year <= _LATEST_AT_LOAD:
        return year
    latest = _dt.date.today().year + 1
    if year is None or not EARLIEST_YEAR <= year <= latest:
        raise InputError(f"year {shown(value)} is not a year between {EARLIEST_YEAR} and {latest}")
    return year


# --- video sites ----------------------------------------------------------------------------


def _url_parts(s: str, hosts: tuple[str, ...]) -> SplitResult | None:
    """urlsplit(s) when ``s`` is a link on one of ``hosts`` (or a subdomain), else None."""
    text = s if "://" in s else "https://" + s
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if any(host == h or host.endswith("." + h) for h in hosts):
        return parts
    return None


def parse_bilibili(s: str) -> str:
    """The BV id of a bilibili video, given the id or a bilibili.com/video/BV... link."""
    stripped = s.strip()
    if _BV_RE.fullmatch(stripped):
        return stripped
    parts = _url_parts(stripped, ("bilibili.com",))
    if parts is not None:
        match = re.fullmatch(r"/video/(BV[0-9A-Za-z]{10})/?", parts.path)
        if match:
            return match.group(1)
    raise InputError(f"bilibili video {shown(s)} is not a BV id (BV + 10 letters/digits) or its link")


def parse_youtube(s: str) -> str:
    """The 11-character id of a YouTube video, given the id or a youtube.com/youtu.be link."""
    stripped = s.strip()
    if _YOUTUBE_ID_RE.fullmatch(stripped):
        return stripped
    short = _url_parts(stripped, ("youtu.be",))
    candidate = None
    if short is not None:
        candidate = short.path.strip("/")
    else:
        parts = _url_parts(stripped, ("youtube.com",))
        if parts is not None:
            if parts.path.rstrip("/") == "/watch":
                candidate = (parse_qs(parts.query).get("v") or [""])[0]
            else:
                match = re.fullmatch(r"/(?:embed|shorts|live)/([^/]+)/?", parts.path)
                candidate = match.group(1) if match else None
    if candidate and _YOUTUBE_ID_RE.fullmatch(candidate):
        return candidate
    raise InputError(f"YouTube video {shown(s)} is not an 11-character id or a youtube.com/youtu.be link")


def parse_zhihu(s: str) -> str:
    """The numeric id of a zhihu video or answer, given the id or its zhihu.com link."""
    stripped = s.strip()
    if _ZHIHU_ID_RE.fullmatch(stripped):
        return stripped
    parts = _url_parts(stripped, ("zhihu.com",))
    if parts is not None:
        match = re.fullmatch(r"/(?:zvideo|(?:question/\d+/)?answer)/(\d{1,30})/?", parts.path, re.ASCII)
        if match:
            return match.group(1)
    raise InputError(f"zhihu video {shown(s)} is not a numeric id or a zhihu.com zvideo/answer link")


def bilibili_url(video_id: str) -> str:
    """The canonical bilibili link for a BV id (checked)."""
    return f"https://www.bilibili.com/video/{parse_bilibili(video_id)}"


def youtube_url(video_id: str) -> str:
    """The canonical YouTube link for a video id (checked)."""
    return f"https://www.youtube.com/watch?v={parse_youtube(video_id)}"


def zhihu_url(video_id: str) -> str:
    """The canonical zhihu video link for a numeric id (checked), the form the README uses."""
    return f"https://www.zhihu.com/zvideo/{parse_zhihu(video_id)}"
