"""LaTeX in BibTeX values: text escaped for a field, a field read back as plain Unicode text,
and identifiers or links read as written."""

from __future__ import annotations

import re
import unicodedata

from paperread.formats.common import end_of

_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\textbraceleft{}", "}": r"\textbraceright{}", "%": r"\%", "$": r"\$",
    "&": r"\&", "#": r"\#", "_": r"\_", "^": r"\^{}", "~": r"\~{}",
}  # fmt: skip
_LATEX_SPECIAL_RE = re.compile(r"[\\{}%$&#_^~]")
_LATEX_BACK = {v: k for k, v in _LATEX_SPECIAL.items()}
# What latex_escape writes, other escaped specials, and the braces that protect capitals.
_LATEX_TOKEN_RE = re.compile("|".join(re.escape(v) for v in _LATEX_BACK) + r"|\\[%$&#_{}]|[{}]")
_DOUBLE_HYPHEN_RE = re.compile(r"-(?=-)")


def latex_escape(text: str) -> str:
    """Text for a BibTeX field: LaTeX's special characters escaped (braces as commands, so
    the field's own braces stay balanced), ``--`` kept from becoming a dash (``-{}-``),
    everything else (UTF-8) as it is. ``latex_to_text`` reads it back."""
    one_line = " ".join(text.split())
    if _ESCAPE_NEEDED_RE.search(one_line) is None:  # (most text: nothing to escape)
        return one_line
    return _DOUBLE_HYPHEN_RE.sub("-{}", _LATEX_SPECIAL_RE.sub(lambda m: _LATEX_SPECIAL[m.group(0)], one_line))


_ESCAPE_NEEDED_RE = re.compile(r"[\\{}%$&#_^~]|--")


_BALANCE_RES = {"}": re.compile(r"[\\{}]"), '"': re.compile(r'[\\{}"]')}


# Math in a stored title: $...$ holding a command, a sub- or superscript or braces (balanced).
_STORED_MATH_RE = re.compile(r"\$[^$]*[\\^_{}][^$]*\$")


def math_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` holds LaTeX math kept from a BibTeX file (``$...$`` with a command, ``^``,
    ``_`` or braces, its braces balanced): exported as written so that LaTeX renders it."""
    spans = []
    for match in _STORED_MATH_RE.finditer(text):
        depth = 0
        for ch in match.group():
            depth += (ch == "{") - (ch == "}")
            if depth < 0:
                break
        if depth == 0:
            spans.append(match.span())
    return spans


def balanced_end(text: str, pos: int, closer: str) -> int | None:
    """The index of the first ``closer`` (``}`` or ``"``) outside braces from ``pos`` on (braces
    nest, a backslash escapes the character after it), or None. Jumps from one of those
    characters to the next: every other character is passed over in C."""
    depth = 0
    find = _BALANCE_RES[closer].search
    while True:
        match = find(text, pos)
        if match is None:
            return None
        c, at = match.group(), match.start()
        if c == "\\":
            pos = at + 2
            continue
        if c == closer and depth == 0:
            return at
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        pos = at + 1


def latex_group_end(text: str, pos: int) -> int | None:
    """The index of the '}' closing the '{' at ``pos``, or None."""
    return balanced_end(text, pos + 1, "}")


# ---- LaTeX to text

# Accents: \'e \'{e} {\'e} \'{\i} \v{s} \c c ..., each to the letter with its combining mark (NFC).
_LATEX_ACCENTS = {
    "'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303", "=": "\u0304", ".": "\u0307",
    "u": "\u0306", "v": "\u030c", "H": "\u030b", "c": "\u0327", "k": "\u0328", "r": "\u030a", "b": "\u0331",
    "d": "\u0323", "t": "\u0361",
}  # fmt: skip
# An accent over nothing (\^{}, \~{}: what latex_escape writes for ^ and ~).
_LATEX_ACCENT_ALONE = {
    "'": "´", "`": "`", "^": "^", '"': "¨", "~": "~", "=": "¯", ".": "˙", "u": "˘", "v": "ˇ", "H": "˝", "c": "¸",
    "k": "˛", "r": "˚", "b": "_", "d": ".", "t": "",
}  # fmt: skip
_LATEX_LETTERS = {
    "ss": "ß", "SS": "SS", "o": "ø", "O": "Ø", "aa": "å", "AA": "Å", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ",
    "l": "ł", "L": "Ł", "i": "ı", "j": "ȷ", "dh": "ð", "DH": "Ð", "th": "þ", "TH": "Þ", "ng": "ŋ", "NG": "Ŋ",
}  # fmt: skip
_LATEX_SYMBOLS = {
    "textbackslash": "\\", "textbraceleft": "{", "textbraceright": "}", "textasciitilde": "~",
    "textasciicircum": "^", "textunderscore": "_", "textendash": "–", "textemdash": "—", "ldots": "…",
    "dots": "…", "textellipsis": "…", "textquoteleft": "‘", "textquoteright": "’", "textquotedblleft": "“",
    "textquotedblright": "”", "guillemotleft": "«", "guillemotright": "»", "S": "§", "P": "¶", "copyright": "©",
    "textcopyright": "©", "textregistered": "®", "texttrademark": "™", "pounds": "£", "textsterling": "£",
    "euro": "€", "texteuro": "€", "textdegree": "°", "textexclamdown": "¡", "textquestiondown": "¿",
    "LaTeX": "LaTeX", "TeX": "TeX", "BibTeX": "BibTeX",
}  # fmt: skip
# Commands that only style their argument (or what follows, inside its group): dropped.
_LATEX_STYLES = frozenset(
    [
        "emph",
        "textbf",
        "textit",
        "textsl",
        "texttt",
        "textsc",
        "textrm",
        "textsf",
        "textup",
        "textmd",
        "textnormal",
        "mbox",
        "textsuperscript",
        "textsubscript",
        "hbox",
        "text",
        "mathrm",
        "mathbf",
        "mathit",
        "mathsf",
        "mathtt",
        "url",
        "nocase",
        "NoCaseChange",
        "protect",
        "relax",
        "bf",
        "it",
        "em",
        "sc",
        "rm",
        "sf",
        "tt",
        "sl",
        "up",
        "md",
        "normalfont",
        "bfseries",
        "itshape",
        "scshape",
        "slshape",
        "upshape",
        "mdseries",
        "rmfamily",
        "sffamily",
        "ttfamily",
    ]
)
_LATEX_CONTROL_SYMBOLS = {
    " ": " ", "\n": " ", "\\": " ", ",": " ", ";": " ", ":": " ", "!": "", "-": "", "/": "", "@": "",
}  # fmt: skip
_LATEX_COMMAND_RE = re.compile(r"\\(?:([A-Za-z]+)|(.))", re.DOTALL)
_LATEX_PLAIN_RE = re.compile(r"[^\\{}~$-]+")
_MATH_END_RE = re.compile(r"(?<!\\)\$")
_LATEX_DASHES_RE = re.compile(r"-+")
_SPACES_RE = re.compile(r"\s*")


def latex_to_text(value: str) -> str:
    """A BibTeX value as plain text: accents and letters written as commands in Unicode
    (NFC), escaped specials and what ``latex_escape`` writes undone, ``--``/``---`` as dashes,
    ``~`` as a space, styling commands and protective braces dropped, whitespace collapsed.
    A command it does not know is kept as written (``\\foo{x}``). Math (``$\\sqrt{{s}_{NN}}$``) is
    kept as written, its braces and commands meaning something."""
    if _LATEX_ACTIVE_RE.search(value) is None:  # (most values: only braces to drop, if any)
        if "{" in value or "}" in value:
            value = value.replace("{", "").replace("}", "")
        return " ".join(value.split())
    return " ".join(_latex_plain(value).split())


# What makes a value more than text and braces for latex_to_text: a command, a tie, math or a dash.
_LATEX_ACTIVE_RE = re.compile(r"[\\~$]|--")


def _latex_plain(value: str) -> str:
    out: list[str] = []
    pos, end = 0, len(value)
    while pos < end:
        ch = value[pos]
        if ch == "\\":
            piece, pos = _latex_command(value, pos)
            out.append(piece)
        elif ch in "{}":
            pos += 1
        elif ch == "~":
            out.append(" ")
            pos += 1
        elif ch == "$":  # math: kept as written ($\\sqrt{{s}_{NN}}$), its braces and commands meaning something
            close = _MATH_END_RE.search(value, pos + 1)
            stop = close.end() if close is not None and close.start() > pos + 1 else pos + 1
            out.append(value[pos:stop])
            pos = stop
        elif ch == "-":
            dashes = end_of(_LATEX_DASHES_RE, value, pos) - pos
            out.append("—" * (dashes // 3) + ("", "-", "–")[dashes % 3])
            pos += dashes
        else:
            stop = end_of(_LATEX_PLAIN_RE, value, pos)
            out.append(value[pos:stop])
            pos = stop
    return "".join(out)


def _latex_command(value: str, pos: int) -> tuple[str, int]:
    """The text of the command at ``pos`` (a backslash), and where reading goes on."""
    match = _LATEX_COMMAND_RE.match(value, pos)
    if match is None:  # a backslash at the very end
        return "\\", pos + 1
    word, symbol, after = match.group(1), match.group(2), match.end()
    if symbol is not None:
        if symbol in _LATEX_ACCENTS:
            return _latex_accent(value, after, symbol)
        if symbol in "&%$#_{}":
            return symbol, after
        return _LATEX_CONTROL_SYMBOLS.get(symbol, "\\" + symbol), after
    if word in _LATEX_ACCENTS:
        return _latex_accent(value, after, word)
    gobbled = end_of(_SPACES_RE, value, after)  # TeX drops the spaces after a command word
    if word in _LATEX_LETTERS:
        return _LATEX_LETTERS[word], gobbled
    if word in _LATEX_SYMBOLS:
        return _LATEX_SYMBOLS[word], gobbled
    if word in _LATEX_STYLES:
        return "", gobbled
    close = latex_group_end(value, after) if value.startswith("{", after) else None
    if close is not None:  # unknown, with an argument: kept as written, readable
        return "\\" + word + "{" + _latex_plain(value[after + 1 : close]) + "}", close + 1
    return "\\" + word, after


def _latex_accent(value: str, pos: int, accent: str) -> tuple[str, int]:
    """The accent ``accent`` over what follows ``pos``: a {group}, \\i, \\o ..., or one character."""
    pos = end_of(_SPACES_RE, value, pos)
    base, end = "", pos
    if value.startswith("{", pos):
        close = latex_group_end(value, pos)
        if close is not None:
            base, end = _latex_plain(value[pos + 1 : close]).strip(), close + 1
    elif value.startswith("\\", pos):
        match = _LATEX_COMMAND_RE.match(value, pos)
        if match is not None and match.group(1) in _LATEX_LETTERS:
            base, end = _LATEX_LETTERS[match.group(1)], end_of(_SPACES_RE, value, match.end())
    elif pos < len(value) and value[pos] != "}":
        base, end = value[pos], pos + 1
    if not base:
        return _LATEX_ACCENT_ALONE[accent], end
    first = {"ı": "i", "ȷ": "j"}.get(base[0], base[0])  # \'{\i}: the accent takes the dot's place
    return unicodedata.normalize("NFC", first + _LATEX_ACCENTS[accent]) + base[1:], end


def latex_verbatim(value: str) -> str:
    """An identifier or link as written: only escaped specials (and what ``latex_escape``
    writes) undone and braces dropped; no accents, dashes or ``~`` as a space."""

    if "\\" not in value and "{" not in value and "}" not in value:  # (nothing to undo: most ids and links)
        return " ".join(value.split())

    def plain(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in _LATEX_BACK:
            return _LATEX_BACK[token]
        return token[1:] if token.startswith("\\") else ""

    return " ".join(_LATEX_TOKEN_RE.sub(plain, value).split())
