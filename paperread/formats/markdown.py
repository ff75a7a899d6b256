"""The paper-reading README (Markdown) in and out."""

from __future__ import annotations

from typing import IO, TYPE_CHECKING, Any

from paperread.exchange.clean import Problem, clean_document
from paperread.exchange.document import document_videos
from paperread.exchange.plan import MARKDOWN_CARRIES
from paperread.formats.common import Parsed

if TYPE_CHECKING:
    from paperread.db import Reader


def read_markdown(text: str, source: str) -> Parsed:
    from paperread.readme import read_readme

    result = read_readme(text, source=source)
    problems = []
    for line, message in result.problems:
        kind = "paper" if message.startswith("paper") else "video" if message.startswith("video") else "file"
        problems.append(Problem(kind, line, message, skipped=not message.startswith("column(s)")))

    def locate(kind: str, index: int, item: Any) -> str:
        name = item.get("title") or item.get("name") if isinstance(item, dict) else None
        return f"{kind} '{name}'" if name else f"{kind} #{index + 1}"

    doc, more = clean_document(result.catalog, source=source, locate=locate, consume=True)
    return Parsed("markdown", doc, problems + more, MARKDOWN_CARRIES)


def write_markdown(reader: Reader, out: IO[str]) -> dict[str, int]:
    """The README, its papers streamed from the catalog (``readme.write_readme_to``)."""
    from paperread import queries
    from paperread.readme import write_readme_to

    tables = queries.export_tables(reader, ("categories", *queries.VIDEO_TABLES))  # one round trip
    categories = [{"slug": c["slug"], "name": c["name"]} for c in tables["categories"]]
    videos = document_videos(tables)
    total, _ = write_readme_to(out, categories, queries.export_markdown_rows(reader), videos)  # (the rows as they are)
    return {"categories": len(categories), "papers": total, "videos": len(videos)}
