"""Shared by the site tests: reading a built site back (its pages, links, rows) as a person's
browser would find them, with the standard library's HTML parser."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit


class Page(HTMLParser):
    """The parts of one page the tests look at: links, scripts, text, rows."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.srcs: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.ids: set[str] = set()
        self.text_parts: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.elements.append((tag, found))
        if found.get("id"):
            self.ids.add(str(found["id"]))
        if tag == "a" and found.get("href"):
            self.links.append(str(found["href"]))
        if found.get("src"):
            self.srcs.append(str(found["src"]))
        if tag == "link" and found.get("href"):
            self.srcs.append(str(found["href"]))
        if tag == "script":
            self.scripts.append(found)

    def handle_data(self, data: str) -> None:
        self.text_parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.text_parts).split())

    def rows(self) -> list[dict[str, str | None]]:
        return [attrs for tag, attrs in self.elements if tag == "tr" and attrs.get("class") == "paper"]


def page(path: Path) -> Page:
    return Page(path.read_text(encoding="utf-8"))


def local_target(site: Path, page_path: Path, href: str) -> tuple[Path, str] | None:
    """The file (and #fragment) a relative link on ``page_path`` points at; None for a web link."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc:
        return None
    target = page_path if not parts.path else (page_path.parent / unquote(parts.path)).resolve()
    return target, parts.fragment


def manifest(site: Path) -> dict[str, Any]:
    return json.loads((site / ".paperread-site.json").read_text(encoding="utf-8"))
