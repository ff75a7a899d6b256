"""The reader's journal as text: a notes file read into sections, each matched to a catalog video.

Two kinds of file are read. The journal ``paperread export journal`` writes carries markers
(HTML comments, invisible when the Markdown is rendered) naming each video and paper and
fencing each note, so it reads back exactly. Any other file is read free-form, as a reader
writes one (the seed of this project is such a file): a line that names a video starts a
section, and the text up to the next such line is the note on that video.

A line names a video when

- it holds the bilibili link of a catalog video; or
- its title matches a video's title after folding (width, case, punctuation, part markers
  such as 【上】 (下) · 上), with or without its running time after it, or a row of a video
  list (``3/30/23 GPT-4 1:20:38 video``); or
- a running time follows it (at the end of the line, or at the start of one of the next
  lines): then a looser likeness is enough (one title holds the other, most of their
  character pairs agree, or the line names a paper the video covers), confirmed by the time.

The running time (within a minute) decides between candidates and confirms a loose match; a
time alone never matches. A section matching no video or several is kept, with its line and
why, never dropped; so is the text before the first heading. This module is pure: it knows
the catalog only through the ``Entry`` values it is given.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# Within this many seconds a running time agrees with a video's.
TOLERANCE = 60
# A heading's time may come this many non-blank lines below it.
TIME_WINDOW = 3
# Two titles are alike when this share of their character pairs agree (Dice).
ALIKE = 0.5

JOURNAL_VERSION = 1
HEADER_RE = re.compile(r"^<!-- paperread:journal (\d+)(?: user=(\S*))? -->$")
_MARKER_RE = re.compile(r"^(\\*)<!-- paperread:")

_TIME = r"(?:\d{1,2}:)?\d{1,2}:[0-5]\d"
_TIME_END = re.compile(rf"^(?P<title>.*?\S)\s+(?P<time>{_TIME})(?:\s+video)?\s*$", re.IGNORECASE)
_TIME_START = re.compile(rf"^\s*(?P<time>{_TIME})(?:\s+video)?(?:\s+(?P<rest>.*?))?\s*$", re.IGNORECASE)
_DATED = re.compile(r"^\s*(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{2}|\d{4})\s+(?P<rest>\S.*)$")
_BV = re.compile(r"(?<![0-9A-Za-z])(BV1[0-9A-Za-z]{9})(?![0-9A-Za-z])")
_PART = re.compile(
    r"[【\[(]\s*(?:[^】\])]*?[·・]\s*)?(?P<p>[上中下])\s*[】\])]"  # 【上】 (下) 【论文精读·上】
    r"|[·・]\s*(?P<q>[上中下])\s*$"  # · 上 at the end
    r"|\s(?P<r>[上下])$"  # a lone 上/下 at the end
)
_BRACKETED = re.compile(r"【[^】]*】|\([^()]*\)")
_FILLERS = ("逐段精读", "论文精读", "精读", "论文", "逐段")


def joined(current: str | None, text: str) -> str:
    """``text`` appended to a note: after a blank line (none when the note is empty)."""
    base = current or ""
    if not base:
        return text
    if base.endswith("\n\n"):
        return base + text
    return base + ("\n" if base.endswith("\n") else "\n\n") + text


def seconds_of(text: str) -> int | None:
    """'1:27:05' -> 5225, '06:39' -> 399; None when it is no running time."""
    parts = text.split(":")
    if not 2 <= len(parts) <= 3 or not all(p.isascii() and p.isdigit() for p in parts):
        return None
    numbers = [int(p) for p in parts]
    if any(n >= 60 for n in numbers[1:]):
        return None
    total = 0
    for n in numbers:
        total = total * 60 + n
    return total


def clock(seconds: int | None) -> str:
    """5225 -> '1:27:05', 399 -> '06:39' (as the catalog lists them)."""
    if seconds is None:
        return ""
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def part_of(title: str) -> str | None:
    """The part a title names (上, 中 or 下), if any."""
    found = _PART.search(unicodedata.normalize("NFKC", title))
    return (found.group("p") or found.group("q") or found.group("r")) if found else None


_NOT_ALNUM = re.compile(r"[\W_]+")
# A line longer than this is prose, not a title (the catalog's longest titles are about 60).
TITLE_MAX = 160


def _alnum(text: str) -> str:
    return _NOT_ALNUM.sub("", text)


def _base(title: str) -> str:
    """Width and case folded, part markers gone (what fold and core start from)."""
    text = title.lower() if title.isascii() else unicodedata.normalize("NFKC", title).casefold()
    return _PART.sub(" ", text) if ("上" in text or "下" in text or "中" in text) else text


def fold(title: str) -> str:
    """A title as matching sees it: width and case folded, part markers, punctuation and space gone."""
    return _alnum(_base(title))


def _core_of(base: str) -> str:
    text = _alnum(_BRACKETED.sub(" ", base)) if ("(" in base or "【" in base) else _alnum(base)
    for word in _FILLERS:
        if word in text:
            text = text.replace(word, "")
    return text


def core(title: str) -> str:
    """A folded title without its bracketed asides (【研究的艺术·一】, (GNN/GCN)) and the words
    every title of the series carries (论文, 逐段, 精读)."""
    return _core_of(_base(title))


def pairs(text: str) -> frozenset[str]:
    return frozenset(text[i : i + 2] for i in range(len(text) - 1))


def alike(a: str, b: str, pa: frozenset[str] | None = None, pb: frozenset[str] | None = None) -> float:
    """Dice's likeness of two folded titles over their character pairs (0 to 1); ``pa`` and
    ``pb`` are their pairs when known."""
    if len(a) < 2 or len(b) < 2:
        return 1.0 if a == b and a else 0.0
    pa = pairs(a) if pa is None else pa
    pb = pairs(b) if pb is None else pb
    return 2 * len(pa & pb) / (len(pa) + len(pb))


@dataclass(frozen=True)
class Entry:
    """A catalog video as the matcher sees it."""

    id: int
    title: str
    seconds: int | None = None
    date: str | None = None  # ISO day
    bilibili: str | None = None
    papers: tuple[str, ...] = ()  # the keys and titles of the papers it covers


@dataclass(frozen=True)
class Section:
    """A part of the file: its heading line (1-based; the first line of loose text), what
    the heading says, the note text under it, and the video it matched (or why none)."""

    line: int
    heading: str
    text: str
    video: int | None = None
    why: str = ""
    candidates: tuple[int, ...] = ()
    seconds: int | None = None
    paper: str | None = None  # a paper's key (journal files carry notes on papers too)
    kind: str = "video"  # "video", "paper" or "loose"


@dataclass
class _Heading:
    index: int  # 0-based line
    title: str
    seconds: int | None = None
    date: str | None = None
    bilibili: str | None = None
    evidence: str = ""  # more text the heading's lines say (the rest of a time line)
    dated: bool = False
    time_line: int | None = None  # the line that gave the time, when below the heading
    candidates: tuple[int, ...] = ()
    video: int | None = None
    why: str = ""


@dataclass
class Catalog:
    """The entries indexed for matching."""

    entries: Sequence[Entry]
    by_fold: dict[str, list[Entry]] = field(default_factory=dict)
    by_core: dict[str, list[Entry]] = field(default_factory=dict)
    by_bv: dict[str, Entry] = field(default_factory=dict)
    folded: dict[int, tuple[str, str, tuple[str, ...], str | None]] = field(default_factory=dict)
    core_pairs: dict[int, frozenset[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for e in self.entries:
            f, c = fold(e.title), core(e.title)
            if f:
                self.by_fold.setdefault(f, []).append(e)
            if c:
                self.by_core.setdefault(c, []).append(e)
            if e.bilibili:
                self.by_bv[e.bilibili.lower()] = e
            names = tuple(n for n in (fold(p) for p in e.papers) if len(n) >= 3)
            self.folded[e.id] = (f, c, names, part_of(e.title))
            self.core_pairs[e.id] = pairs(c)

    def by_title(self, title: str) -> list[Entry]:
        """Videos whose title is the same once folded (or once its asides and fillers are gone)."""
        base = _base(title)
        f = _alnum(base)
        found = self.by_fold.get(f, []) if f else []
        if not found:
            c = _core_of(base)
            found = self.by_core.get(c, []) if c else []
        return found


def _agrees(e: Entry, seconds: int | None, date: str | None) -> bool:
    if date is not None and e.date == date:
        return True
    return seconds is not None and e.seconds is not None and abs(e.seconds - seconds) <= TOLERANCE


def _named(n: int) -> str:
    return f"{n} videos"


def match_heading(catalog: Catalog, h: _Heading) -> None:
    """Decide ``h.video`` (or ``h.candidates`` and ``h.why``) from its title, time, date and link."""
    confirm = h.seconds is not None or h.date is not None
    said = f" ({clock(h.seconds)})" if h.seconds is not None else ""
    if h.bilibili and h.bilibili.lower() in catalog.by_bv:
        e = catalog.by_bv[h.bilibili.lower()]
        h.video, h.candidates, h.why = e.id, (e.id,), f"its bilibili link {e.bilibili}"
        return
    exact = catalog.by_title(h.title)
    part = part_of(h.title)
    if exact:
        chosen = exact
        if confirm:
            chosen = [e for e in exact if _agrees(e, h.seconds, h.date)]
        if len(chosen) > 1 and part is not None:
            chosen = [e for e in chosen if catalog.folded[e.id][3] in (part, None)] or chosen
        if len(chosen) == 1:
            e = chosen[0]
            h.video, h.candidates = e.id, (e.id,)
            h.why = "title and running time" if confirm else "title"
            return
        if len(chosen) > 1:
            h.candidates = tuple(e.id for e in chosen)
            h.why = f"title fits {_named(len(chosen))} and {'the running time does not decide' if confirm else 'no running time decides'}"
            return
    if confirm:
        loose = _loose(catalog, h)
        timed = [e for e in loose if _agrees(e, h.seconds, h.date)]
        if len(timed) > 1 and part is not None:
            timed = [e for e in timed if catalog.folded[e.id][3] in (part, None)] or timed
        if len(timed) == 1:
            h.video, h.candidates = timed[0].id, (timed[0].id,)
            h.why = "title alike, confirmed by running time" + ("" if h.seconds is not None else " (date)")
            return
        if len(timed) > 1:
            h.candidates = tuple(e.id for e in timed)
            h.why = f"title and running time fit {_named(len(timed))}"
            return
        if exact:
            e = exact[0]
            h.candidates = tuple(x.id for x in exact)
            h.why = f"title names video {e.id} '{e.title}' ({clock(e.seconds)}), but its running time{said} differs"
            return
        if loose:
            h.candidates = tuple(e.id for e in loose)
            h.why = f"title is like {_named(len(loose))}, but no running time agrees{said}"
            return
    h.why = f"no video has this title{said}" if confirm else "no video has this title"


def _loose(catalog: Catalog, h: _Heading) -> list[Entry]:
    """Videos whose title is like the heading's: one holds the other, most character pairs
    agree, or the heading names a paper the video covers."""
    c = core(h.title)
    pc = pairs(c)
    said = fold(h.title + " " + h.evidence)
    found = []
    for e in catalog.entries:
        _, ec, papers, _ = catalog.folded[e.id]
        if (
            (c and ec and (len(min(c, ec, key=len)) >= 2) and (c in ec or ec in c))
            or (c and ec and alike(c, ec, pc, catalog.core_pairs[e.id]) >= ALIKE)
            or (ec and len(ec) >= 3 and ec in said)
            or any(name in said for name in papers)
        ):
            found.append(e)
    return found


def _time_start(line: str) -> tuple[int, str] | None:
    m = _TIME_START.match(line) if ":" in line[:16] else None
    if not m:
        return None
    seconds = seconds_of(m.group("time"))
    return (seconds, m.group("rest") or "") if seconds is not None else None


def _heading_of(line: str, index: int) -> _Heading:
    """What a line says as a heading: title, running time at its end, date of a list row, link."""
    text = line.strip()
    date = None
    dated = False
    m = _DATED.match(text) if "/" in text[:11] else None
    if m:
        year = int(m.group("y"))
        year = year + 2000 if year < 100 else year
        month, day = int(m.group("m")), int(m.group("d"))
        if 1 <= month <= 12 and 1 <= day <= 31:
            date, dated, text = f"{year:04d}-{month:02d}-{day:02d}", True, m.group("rest")
    seconds = None
    t = _TIME_END.match(text) if ":" in text else None
    if t and seconds_of(t.group("time")) is not None:
        seconds, text = seconds_of(t.group("time")), t.group("title")
    elif dated and text.lower().endswith(" video"):
        text = text[: -len(" video")]
    bv = _BV.search(line) if "BV" in line else None
    return _Heading(index, text.strip(), seconds, date, bv.group(1) if bv else None, dated=dated)


def _links_alone(h: _Heading, catalog: Catalog) -> bool:
    """A line holding a catalog video's link, and besides it nothing or that video's title."""
    if h.bilibili is None or h.bilibili.lower() not in catalog.by_bv:
        return False
    e = catalog.by_bv[h.bilibili.lower()]
    rest = re.sub(r"\S*" + re.escape(h.bilibili) + r"\S*", " ", h.title)
    c = core(rest)
    return not c or c == catalog.folded[e.id][1] or fold(rest) == catalog.folded[e.id][0]


def _candidate_line(line: str) -> bool:
    """A line that could name a video: short, not a list item or a quote or code."""
    s = line.strip()
    return bool(s) and len(s) <= TITLE_MAX and not s.startswith(("•", "-", "*", ">", "#!", "```", "\\[", "$"))


def parse_free(text: str, entries: Iterable[Entry]) -> list[Section]:
    """Read a free-form notes file into sections (see the module's docstring)."""
    catalog = Catalog(list(entries))
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    lines = Lines(text)
    headings: list[_Heading] = []
    pending: _Heading | None = None  # a heading still waiting for its time
    since_pending = 0
    last_text: int | None = None  # the last non-blank line that is no heading (it may become one)
    last_text_taken = False
    for i, line in enumerate(lines):
        if not line or line.isspace():
            continue
        started = _time_start(line)
        if started is not None:
            seconds, rest = started
            if pending is not None and pending.seconds is None and since_pending <= TIME_WINDOW:
                pending.seconds, pending.evidence, pending.time_line = seconds, rest, i
                match_heading(catalog, pending)
                pending = None
                continue
            if last_text is not None and not last_text_taken and _candidate_line(lines[last_text]):
                h = _heading_of(lines[last_text], last_text)
                if h.seconds is None:
                    h.seconds, h.evidence, h.time_line = seconds, rest, i
                    match_heading(catalog, h)
                    headings.append(h)
                    pending = None
                    last_text_taken = True
                    continue
            last_text, last_text_taken = i, False
            continue
        if pending is not None:
            since_pending += 1
        if _candidate_line(line):
            h = _heading_of(line, i)
            if h.title and (h.seconds is not None or _links_alone(h, catalog)):
                match_heading(catalog, h)
                headings.append(h)
                pending, last_text, last_text_taken = None, i, True
                continue
            if h.title and catalog.by_title(h.title):
                match_heading(catalog, h)
                headings.append(h)
                pending, since_pending, last_text, last_text_taken = h, 0, i, True
                continue
        last_text, last_text_taken = i, False
    return _sections(lines, headings)


class Lines:
    """The lines of a text without a list of them: where each starts (the text is held once;
    a line is sliced when asked for)."""

    def __init__(self, text: str) -> None:
        from array import array

        self.text = text
        starts = array("q", [0])
        find = text.find
        at = find("\n")
        while at != -1:
            starts.append(at + 1)
            at = find("\n", at + 1)
        self.starts = starts

    def __len__(self) -> int:
        return len(self.starts)

    def end(self, i: int) -> int:
        """Where line ``i`` ends (its line break excluded)."""
        return self.starts[i + 1] - 1 if i + 1 < len(self.starts) else len(self.text)

    def __getitem__(self, i: int) -> str:
        return self.text[self.starts[i] : self.end(i)]

    def __iter__(self) -> Iterator[str]:
        for i in range(len(self.starts)):
            yield self[i]

    def blank(self, i: int) -> bool:
        line = self[i]
        return not line or line.isspace()

    def span(self, begin: int, end: int) -> str:
        """Lines [begin, end) as written, joined by their line breaks."""
        return self.text[self.starts[begin] : self.end(end - 1)] if begin < end else ""


def _sections(lines: Lines, headings: list[_Heading]) -> list[Section]:
    sections: list[Section] = []
    starts = [h.index for h in headings]

    def loose(begin: int, end: int) -> None:
        body = _body(lines, begin, end, skip=None)
        if body:
            first = next(i for i in range(begin, end) if not lines.blank(i))
            sections.append(
                Section(first + 1, lines[first].strip(), body, why="text under no video heading", kind="loose")
            )

    loose(0, starts[0] if starts else len(lines))
    for n, h in enumerate(headings):
        end = starts[n + 1] if n + 1 < len(headings) else len(lines)
        stop = end
        if h.dated:  # a row of a video list: its text ends at the first blank line
            stop = next((i for i in range(h.index + 1, end) if lines.blank(i)), end)
        body = _body(lines, h.index + 1, stop, skip=h.time_line, rest=h.evidence)
        sections.append(Section(h.index + 1, lines[h.index].strip(), body, h.video, h.why, h.candidates, h.seconds))
        loose(stop, end)
    return sections


def _body(lines: Lines, begin: int, end: int, *, skip: int | None, rest: str = "") -> str:
    """The note text of lines [begin, end) as written, blank lines at both ends trimmed; the
    line that gave the heading its time contributes only what follows the time."""
    if skip is not None and begin <= skip < end:
        parts = [_body(lines, begin, skip, skip=None), rest, _body(lines, skip + 1, end, skip=None)]
        if not rest:  # the time line stands for a blank line between the two parts
            parts[1] = ""
        before, after = parts[0], parts[2]
        if rest:
            text = "\n".join(p for p in (before, rest, after) if p)
        else:
            text = "\n\n".join(p for p in (before, after) if p)
        return text
    while begin < end and lines.blank(begin):
        begin += 1
    while end > begin and lines.blank(end - 1):
        end -= 1
    return lines.span(begin, end)


# ---------------------------------------------------------------------------- the journal's own format


def is_journal(text: str) -> bool:
    """Whether the text is a journal ``export journal`` wrote (its first line is the marker)."""
    first = text.split("\n", 1)[0].strip()
    return HEADER_RE.match(first) is not None


def escape(note: str) -> str:
    """A note as the journal holds it: a line that would read as a marker gets one more backslash."""
    return "\n".join("\\" + line if _MARKER_RE.match(line) else line for line in note.split("\n"))


def unescape(text: str) -> str:
    return "\n".join(
        line[1:] if _MARKER_RE.match(line) and line.startswith("\\") else line for line in text.split("\n")
    )


_VIDEO_MARK = re.compile(r"^<!-- paperread:video((?: [a-z]+=\S*)*) -->$")
_PAPER_MARK = re.compile(r"^<!-- paperread:paper (\S+) -->$")
NOTE_MARK = "<!-- paperread:note -->"
END_MARK = "<!-- paperread:end -->"


class JournalSyntaxError(ValueError):
    def __init__(self, line: int, what: str) -> None:
        super().__init__(f"line {line}: {what}")
        self.line = line


@dataclass(frozen=True)
class State:
    """A reading state a journal carries: a paper's status (by key) or a video watched (by id)."""

    line: int
    kind: str  # "status" or "watched"
    key: str | None = None
    status: str | None = None
    day: str | None = None  # the day read, or the time watched
    video: int | None = None


@dataclass(frozen=True)
class Parsed:
    sections: list[Section]
    states: list[State] = field(default_factory=list)
    marked: bool = False


def parse_marked(text: str, entries: Iterable[Entry]) -> Parsed:
    """Read a journal ``export journal`` wrote: each video's and paper's note exactly, and the
    reading states its paper lines and video markers carry.

    A video is found by its bilibili id, else its date and title; a paper by its key (the
    caller resolves it). Raises JournalSyntaxError on a note never closed.
    """
    catalog = Catalog(list(entries))
    by_date_title: dict[tuple[str | None, str], list[Entry]] = {}
    for e in catalog.entries:
        by_date_title.setdefault((e.date, fold(e.title)), []).append(e)
    lines = text.split("\n")
    sections: list[Section] = []
    states: list[State] = []
    target: tuple[str, int, str, dict[str, str]] | None = None  # kind, line, heading line, marks
    video: Section | None = None
    video_at = 0
    i = 0
    while i < len(lines):
        line = lines[i]
        vm, pm = _VIDEO_MARK.match(line), _PAPER_MARK.match(line)
        if vm:
            heading = lines[i + 1] if i + 1 < len(lines) else ""
            marks = dict(part.split("=", 1) for part in vm.group(1).split())
            target = ("video", i + 1, heading, marks)
            video = _marked_video(catalog, by_date_title, target, "")
            video_at = len(sections)
            sections.append(video)
            if video.video is not None and marks.get("watched"):
                states.append(State(i + 1, "watched", day=marks["watched"], video=video.video))
        elif pm:
            heading = lines[i + 1] if i + 1 < len(lines) else ""
            target = ("paper", i + 1, heading, {"key": pm.group(1)})
        elif line == NOTE_MARK:
            start = i + 1
            end = start
            while end < len(lines) and lines[end] != END_MARK:
                end += 1
            if end == len(lines):
                raise JournalSyntaxError(i + 1, "a note is never closed by '<!-- paperread:end -->'")
            note = unescape("\n".join(lines[start:end]))
            if target is None:
                sections.append(Section(i + 1, "", note, why="a note under no video or paper", kind="loose"))
            elif target[0] == "paper":
                sections.append(Section(target[1], target[2], note, paper=target[3]["key"], kind="paper", why="key"))
            else:
                assert video is not None
                sections[video_at] = Section(video.line, video.heading, note, video.video, video.why, video.candidates)
            i = end
        else:
            status = parse_status(line)
            if status is not None:
                states.append(State(i + 1, "status", key=status[0], status=status[1], day=status[2]))
        i += 1
    return Parsed(sections, states, marked=True)


_HEADING_RE = re.compile(rf"^#+ \d{{4}}-\d{{2}}-\d{{2}} · (?P<title>.*?)(?: · {_TIME})?$")


def _heading_title(heading: str) -> str:
    """The title in a journal heading '## 2021-10-06 · 如何读论文 · 06:39'."""
    m = _HEADING_RE.match(heading)
    return m.group("title") if m else heading.lstrip("#").strip()


def _marked_video(
    catalog: Catalog,
    by_date_title: dict[tuple[str | None, str], list[Entry]],
    target: tuple[str, int, str, dict[str, str]],
    note: str,
) -> Section:
    _, line, heading, marks = target
    bv = marks.get("bv")
    if bv and bv.lower() in catalog.by_bv:
        e = catalog.by_bv[bv.lower()]
        return Section(line, heading, note, e.id, "its bilibili id", (e.id,))
    found = by_date_title.get((marks.get("date"), fold(_heading_title(heading))), [])
    if len(found) == 1:
        return Section(line, heading, note, found[0].id, "date and title", (found[0].id,))
    why = "date and title fit several videos" if found else "no video has this bilibili id, or this date and title"
    return Section(line, heading, note, None, why, tuple(e.id for e in found))


def parse(text: str, entries: Iterable[Entry]) -> Parsed:
    """A journal export (marked), else a free-form notes file."""
    return parse_marked(text, entries) if is_journal(text) else Parsed(parse_free(text, entries))


# ---------------------------------------------------------------------------- writing a journal


def _links(v: dict[str, Any]) -> str:
    links = []
    if v.get("bilibili"):
        links.append(f"[bilibili](https://www.bilibili.com/video/{v['bilibili']})")
    if v.get("youtube"):
        links.append(f"[YouTube](https://youtu.be/{v['youtube']})")
    if v.get("zhihu"):
        links.append(f"[zhihu](https://www.zhihu.com/zvideo/{v['zhihu']})")
    if v.get("link"):
        links.append(f"<{v['link']}>")
    return " · ".join(links)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def status_line(p: dict[str, Any]) -> str:
    """A paper in a video's list: '- [x] `resnet` ResNet · read 2024-05-01'."""
    status = p.get("read_status")
    box = "x" if status == "read" else " "
    tail = ""
    if status == "read":
        tail = " · read" + (f" {p['read_at'][:10]}" if p.get("read_at") else "")
    elif status == "reading":
        tail = " · reading"
    return f"- [{box}] `{p['key']}` {_one_line(p['title'])}{tail}"


_STATUS_RE = re.compile(
    r"^- \[(?P<box>[ x])\] `(?P<key>[^`]+)` .*?(?: · (?P<st>read|reading)(?: (?P<day>\d{4}-\d{2}-\d{2}))?)?$"
)


def parse_status(line: str) -> tuple[str, str | None, str | None] | None:
    """(key, 'read'/'reading'/None, read day) of a paper line of a journal, None for other lines."""
    m = _STATUS_RE.match(line)
    if not m:
        return None
    return m.group("key"), m.group("st"), m.group("day")


def _note_block(note: str) -> list[str]:
    return [NOTE_MARK, escape(note), END_MARK]


def render(
    *,
    user: str,
    videos: Sequence[dict[str, Any]],
    papers: Sequence[dict[str, Any]],
    video_notes: Mapping[int, str],
    watched: Mapping[int, str | None],
    order: str = "date",
) -> Iterator[str]:
    """The journal as Markdown lines (each ending in a line break): the videos with something of
    yours (a note on it or on a paper it covers, a reading state, watched), in date order (or in
    the order you watched them), each with its heading, links, the papers it covers with your
    status, your note on it, and your notes on those papers; then your notes and states on papers
    no video covers, by category."""
    by_id = {p["id"]: p for p in papers}

    def mine(p: dict[str, Any]) -> bool:
        return bool(p.get("note") or p.get("read_status"))

    shown = [
        v
        for v in videos
        if v["id"] in video_notes
        or v["id"] in watched
        or any(mine(by_id[c["id"]]) for c in v["papers"] if c["id"] in by_id)
    ]
    if order == "watched":
        shown.sort(key=lambda v: (watched.get(v["id"]) is None, watched.get(v["id"]) or "", v["date"], v["id"]))
    yield f"<!-- paperread:journal {JOURNAL_VERSION} user={user} -->\n"
    yield f"# Reading journal · {user}\n"
    noted_papers: set[int] = set()
    for v in shown:
        marks = f"id={v['id']}"
        if v.get("bilibili"):
            marks += f" bv={v['bilibili']}"
        marks += f" date={v['date']}"
        if watched.get(v["id"]):
            marks += f" watched={watched[v['id']]}"
        yield "\n"
        yield f"<!-- paperread:video {marks} -->\n"
        time = f" · {clock(v['duration_seconds'])}" if v.get("duration_seconds") is not None else ""
        yield f"## {v['date']} · {_one_line(v['title'])}{time}\n"
        links = _links(v)
        if links:
            yield "\n" + links + "\n"
        covered = [by_id[c["id"]] for c in v["papers"] if c["id"] in by_id]
        if covered:
            yield "\n"
            for p in covered:
                yield status_line(p) + "\n"
        if v["id"] in video_notes:
            yield "\n"
            for line in _note_block(video_notes[v["id"]]):
                yield line + "\n"
        for p in covered:
            if p.get("note") and p["id"] not in noted_papers:
                noted_papers.add(p["id"])
                yield from _paper_note(p, level=3)
    covered_ids = {c["id"] for v in videos for c in v["papers"]}
    rest = [p for p in papers if mine(p) and p["id"] not in covered_ids and p["id"] not in noted_papers]
    if rest:
        yield "\n## Papers no video covers\n"
        category = None
        for p in rest:
            if p["category"] != category:
                category = p["category"]
                yield f"\n### {_one_line(p['category_name'])}\n"
            yield "\n" + status_line(p) + "\n"
            if p.get("note"):
                yield from _paper_note(p, level=4)


def _paper_note(p: dict[str, Any], *, level: int) -> Iterator[str]:
    yield "\n"
    yield f"<!-- paperread:paper {p['key']} -->\n"
    yield f"{'#' * level} `{p['key']}` {_one_line(p['title'])}\n"
    for line in _note_block(p["note"]):
        yield line + "\n"
