"""The catalog document (JSON) in; out is ``exchange.document.write_json``."""

from __future__ import annotations

import json
from typing import Any

from paperread import gate
from paperread.errors import InputError
from paperread.exchange.clean import Problem, clean_document
from paperread.exchange.document import check_document
from paperread.exchange.plan import JSON_CARRIES


class ParsedJson:
    """A catalog document read, its values checked and cleaned on first use of ``doc`` or
    ``problems`` (``Parsed``'s fields): ``exchange.run.import_parsed`` starts the search index
    from ``raw_papers`` meanwhile."""

    format = "json"
    carried = JSON_CARRIES

    def __init__(self, raw: dict[str, Any], source: str) -> None:
        check_document(raw, source)
        self._raw: dict[str, Any] | None = raw
        self._source = source
        self._cleaned: tuple[dict[str, Any], list[Problem]] | None = None

    @property
    def raw_papers(self) -> Any:
        """The papers as the file has them, until cleaned."""
        return self._raw.get("papers") if self._raw is not None else None

    def _clean(self) -> tuple[dict[str, Any], list[Problem]]:
        if self._cleaned is None:
            assert self._raw is not None
            self._cleaned = clean_document(self._raw, source=self._source, consume=True)
            self._raw = None
        return self._cleaned

    @property
    def doc(self) -> dict[str, Any]:
        return self._clean()[0]

    @property
    def problems(self) -> list[Problem]:
        return self._clean()[1]


def read_json(text: str, source: str) -> ParsedJson:
    try:
        doc = json.loads(text, parse_int=gate.json_int, object_pairs_hook=gate.json_object)
        gate.duplicated_fields(doc)
    except json.JSONDecodeError as error:
        raise InputError(f"{source} is not JSON (line {error.lineno}, column {error.colno}: {error.msg})") from None
    except RecursionError:
        raise InputError(f"{source} is not a paperread catalog document (nested too deeply)") from None
    return ParsedJson(doc, source)
