"""HTML from the Jinja2 templates in ``templates/``.

Autoescaping is on for every template: anything from the catalog (a title such as
``<script>alert(1)</script>``, a description, a note) is text on the page, never markup. The
only HTML that is not escaped is what this package drew itself (the SVG charts, whose
catalog text ``charts`` escapes) and a note rendered from Markdown with raw HTML turned off.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template
from markupsafe import Markup

from paperread.site.options import GENERATOR

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
ASSETS = HERE / "assets"
ASSET_FILES = ("site.css", "site.js")


@functools.cache
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def root_for(path: str) -> str:
    """The relative way from a page at ``path`` back to the site's root ('', '../', ...)."""
    return "../" * path.count("/")


class Pages:
    """Renders the site's pages; ``common`` holds what every page shows (build date, user...)."""

    def __init__(self, **common: Any) -> None:
        env = environment()
        self.common = {"generator": GENERATOR, **common}
        self._templates: dict[str, Template] = {
            name: env.get_template(f"{name}.html") for name in ("index", "paper", "category", "videos")
        }
        self._markdown: Any = None

    def render(self, name: str, path: str, **context: Any) -> str:
        return self._templates[name].render(**self.common, root=root_for(path), **context)

    def note_html(self, note: str | None) -> Markup | None:
        """A reader's Markdown note as HTML: CommonMark with raw HTML off (it shows as text),
        and markdown-it's link check (no ``javascript:`` link)."""
        if not note:
            return None
        if self._markdown is None:
            from markdown_it import MarkdownIt

            self._markdown = MarkdownIt("commonmark", {"html": False})
        return Markup(self._markdown.render(note))


def asset_bytes(name: str) -> bytes:
    return (ASSETS / name).read_bytes()
