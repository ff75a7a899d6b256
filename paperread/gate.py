"""The one gate every text value passes on its way into the catalog, whatever the door.

The CLI's options, the editor and standard input (``add``, ``edit``, ``note``...), every import
format (through ``exchange.clean``), Semantic Scholar's answers (``s2.parse_paper``) and the
environment (``PAPERREAD_USER``) all hold text to the same rules, written once here:

- no control characters: C0 and C1 (ESC ``\\x1b``, NUL ``\\x00``, BEL, CSI ``\\x9b``...), except
  that text which may span lines (descriptions, authors, venue from a file, notes) keeps its line
  breaks (``\\n``, ``\\r``) and tabs;
- no bidirectional overrides or isolates (U+202A..U+202E, U+2066..U+2069) outside a note: they
  make a title read differently from what it holds; zero-width characters are text and kept;
- no unpaired surrogates (a JSON ``"\\ud800"`` or bytes that are not UTF-8 on the command line);
- a length limit per field (``LIMITS``): a note may be long, a title not.

Each check either returns the value (stripped, canonical) or raises InputError with one line
naming the field, the bad value (escaped) and what is accepted. ``flaw`` gives the reason
without raising, for the doors that drop a value rather than refuse (Semantic Scholar).
Stdlib only, imported by read commands' start-up too: nothing heavy here.
"""

from __future__ import annotations

import re

from paperread.errors import InputError
from paperread.limits import COUNT_MAX, USER_MAX

# The longest value each field takes, in characters (the README lists them).
LIMITS: dict[str, int] = {
    "title": 1_000,
    "category name": 200,
    "venue": 1_000,
    "link": 4_000,
    "description": 20_000,
    "authors": 100_000,
    "note": 1_000_000,
    "user": USER_MAX,
}
# The largest number of digits a number in a JSON file may have (COUNT_MAX has 10).
_INT_DIGITS_MAX = 30

_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
_SHOWN_MAX = 60
_NAMES = {"\x00": "a NUL character (\\x00)", "\x1b": "an escape character (ESC, \\x1b)", "\x7f": "a DEL character"}


def shown(value: object) -> str:
    """``value`` quoted for a one-line message: anything not printable escaped, long text cut."""
    text = str(value)[: _SHOWN_MAX * 4]
    text = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
    if len(text) > _SHOWN_MAX:
        text = text[: _SHOWN_MAX - 1] + "…"
    return f"'{text}'"


def _char_name(ch: str) -> str:
    return _NAMES.get(ch) or f"the control character {ascii(ch)[1:-1]}"


_C0_C1 = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # every control character but \t \n \r
_SURROGATES = "\ud800-\udfff"
_BIDI_RANGE = "\u202a-\u202e\u2066-\u2069"
# The first character a field may not hold, found at C speed: (multiline, bidi allowed) -> pattern.
_REFUSED = {
    (False, False): re.compile(f"[\t\n\r\u2028\u2029{_C0_C1}{_SURROGATES}{_BIDI_RANGE}]"),
    (True, False): re.compile(f"[{_C0_C1}{_SURROGATES}{_BIDI_RANGE}]"),
    (False, True): re.compile(f"[\t\n\r\u2028\u2029{_C0_C1}{_SURROGATES}]"),
    (True, True): re.compile(f"[{_C0_C1}{_SURROGATES}]"),
}


def flaw(text: str, *, multiline: bool = False, bidi: bool = False) -> str | None:
    """Why ``text`` cannot be stored (words such as "an escape character (ESC, \\x1b)"), or None.

    ``multiline``: line breaks (``\\n``, ``\\r``) and tabs are allowed. ``bidi``: bidirectional
    overrides are allowed (a note). Length is the caller's business (``check_length``).
    """
    if text.isprintable():
        return None
    found = _REFUSED[multiline, bidi].search(text)
    if found is None:
        return None
    ch = found.group()
    code = ord(ch)
    if not multiline and (ch in LINE_BREAKS or ch == "\t"):
        return "a line break or tab (give one line of text)"
    if 0xD800 <= code < 0xE000:
        return f"an unpaired surrogate ({ascii(ch)[1:-1]}), which is no character"
    if ch in _BIDI_CONTROLS:
        return f"a bidirectional override ({ascii(ch)[1:-1]})"
    return _char_name(ch)


def text_flaw_line(text: str) -> tuple[int, str] | None:
    """(line number, reason) of the first character a note may not hold in a whole text (a
    journal or notes file), or None when every line may be stored."""
    if text.isprintable():
        return None
    found = _REFUSED[True, True].search(text)
    if found is None:
        return None
    return text.count("\n", 0, found.start()) + 1, flaw(found.group(), multiline=True, bidi=True) or "?"


def check_length(text: str, field: str, limit: int | None = None) -> str:
    """``text`` when it is within the field's limit, else InputError naming both."""
    most = limit if limit is not None else LIMITS.get(field)
    if most is not None and len(text) > most:
        raise InputError(f"{field} {shown(text)} is {len(text):,} characters long: at most {most:,} are accepted")
    return text


def _refuse(text: str, field: str, reason: str) -> InputError:
    return InputError(
        f"{field} {shown(text)} holds {reason}: control characters, bidirectional overrides "
        "and unpaired surrogates are not accepted"
    )


def fold_lines(text: str) -> str:
    """Line breaks and tabs as single spaces (a BibTeX or README title that spans lines)."""
    if not any(ch in LINE_BREAKS or ch == "\t" for ch in text):
        return text
    return " ".join("".join(" " if ch in LINE_BREAKS or ch == "\t" else ch for ch in text).split())


def line(value: str, field: str, *, fold: bool = False, limit: int | None = None) -> str:
    """One line of text, stripped; empty is refused. ``fold``: line breaks and tabs become
    spaces (text from a file) instead of being refused (text typed on the command line)."""
    text = value.strip()
    if fold:
        text = fold_lines(text)
    if not text:
        raise InputError(f"{field} {shown(value)} is empty: give some text")
    reason = flaw(text)
    if reason is not None:
        raise _refuse(text, field, reason)
    return check_length(text, field, limit)


def optional_line(value: str | None, field: str, *, fold: bool = False) -> str | None:
    """``line`` for a field that may be absent: None and blank text are None."""
    if value is None or not value.strip():
        return None
    return line(value, field, fold=fold)


def text(value: str | None, field: str) -> str | None:
    """Free text that may span lines (a description, authors, a venue from a file): stripped;
    empty is None."""
    if value is None:
        return None
    clean = value.strip()
    if not clean:
        return None
    reason = flaw(clean, multiline=True)
    if reason is not None:
        raise _refuse(clean, field, reason)
    return check_length(clean, field)


def note(value: str | None, field: str = "note") -> str | None:
    """A reader's Markdown note: kept as written (line breaks, tabs, indentation, bidirectional
    marks); no other control character; at most ``LIMITS['note']``."""
    if value is None:
        return None
    clean = value
    reason = flaw(clean, multiline=True, bidi=True)
    if reason is not None:
        raise _refuse(clean, field, reason)
    return check_length(clean, "note") if field == "note" else check_length(clean, field, LIMITS["note"])


def user(value: str, source: str = "user") -> str:
    """A reader's name (``PAPERREAD_USER``, a file's reading entries): one line, at most 120."""
    return line(value, source, fold=False, limit=USER_MAX)


def count(value: object, field: str) -> int:
    """A whole number from 0 to COUNT_MAX (never a bool or a float)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= COUNT_MAX:
        raise InputError(f"{field} {shown(value)} is not a count (a whole number from 0 to {COUNT_MAX:,})")
    return value


# ---------------------------------------------------------------------------- dropping instead of refusing


def dropped(value: object, field: str, *, multiline: bool = False) -> str | None:
    """Why a value from a service (Semantic Scholar) is not stored, or None when it may be.

    The door that asks drops that field (and warns) and keeps the rest of the record.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        return f"{field} is not text"
    reason = flaw(value, multiline=multiline)
    if reason is not None:
        return f"{field} {shown(value)} holds {reason}"
    most = LIMITS.get(field)
    if most is not None and len(value) > most:
        return f"{field} is {len(value):,} characters long (at most {most:,})"
    return None


# ---------------------------------------------------------------------------- JSON files


class HugeNumber(float):
    """A JSON number with more digits than any field takes: kept as a marker, so the row that
    holds it is skipped with a reason instead of the parser failing (Python refuses int() of
    more than 4,300 digits, and a long one is slow)."""

    def __new__(cls, digits: int) -> HugeNumber:
        number = super().__new__(cls, "inf")
        number.digits = digits
        return number

    digits: int

    def __str__(self) -> str:
        return f"a {self.digits:,}-digit number"

    __repr__ = __str__


def json_int(literal: str) -> int | float:
    """``json.loads``'s ``parse_int``: a number of at most 30 digits, else a HugeNumber."""
    if len(literal) > _INT_DIGITS_MAX:
        return HugeNumber(len(literal.lstrip("-")))
    return int(literal)


class Duplicated(dict[str, object]):
    """A JSON object that named a field twice (``duplicated`` lists which); the row is skipped."""

    duplicated: list[str]


def json_object(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """``json.loads``'s ``object_pairs_hook``: a dict, marked when a name came twice (JSON
    takes the last silently: the file says two things and neither is sure)."""
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    marked = Duplicated(obj)
    names = [k for k, _ in pairs]
    marked.duplicated = sorted({k for k in names if names.count(k) > 1})
    return marked


JSON_HOOKS = {"parse_int": json_int, "object_pairs_hook": json_object}


def duplicated_fields(item: object) -> None:
    """InputError when a JSON object named a field twice."""
    names = getattr(item, "duplicated", None)
    if names:
        raise InputError(f"field {', '.join(repr(n) for n in names)} is given twice in one object")


# ---------------------------------------------------------------------------- on the way out


def visible(text: str, *, multiline: bool = False) -> str:
    """``text`` safe to show on a terminal: every control character (ESC, BEL, CSI...), unpaired
    surrogate and bidirectional override written as its escape (``\\x1b``), so no sequence
    that came from data reaches the terminal. ``multiline`` keeps line breaks and tabs.

    Defence in depth: the gate keeps such text out of the catalog, but a database written by
    an older paperread, or by hand, may hold it.
    """
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch.isprintable() or (multiline and ch in "\n\t"):
            out.append(ch)
            continue
        code = ord(ch)
        if code < 0x20 or 0x7F <= code < 0xA0 or 0xD800 <= code < 0xE000 or ch in _BIDI_CONTROLS or ch in LINE_BREAKS:
            out.append(ascii(ch)[1:-1])
        else:
            out.append(ch)  # a space, a zero-width joiner, a soft hyphen: text
    return "".join(out)
