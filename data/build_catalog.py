"""Regenerate the built-in catalog from the paper-reading README.

    python data/build_catalog.py path/to/README.md > data/catalog.json

The README reader derives paper keys from names; names with no ASCII in them (Chinese
names) get readable keys from ``paperread.readme.KNOWN_PAPER_KEYS`` (by title), the same
ones ``paperread import`` gives them, and ``apply_key_overrides`` checks they all apply.
Rows the reader skipped and video ids shared by two videos are reported on stderr; the
catalog is written either way, so look at them.

The built-in catalog carries each paper's name, year, link, ids and its short description
(the issue asks for them: they are what `search` finds); ``--no-descriptions`` leaves the
descriptions out.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

try:
    from paperread.readme import KNOWN_PAPER_KEYS, read_readme
except ImportError:  # run from a source checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from paperread.readme import KNOWN_PAPER_KEYS, read_readme

from paperread.values import is_valid_key

# The readable keys for names without ASCII; kept in readme.py so that imports use them too.
KEY_OVERRIDES = KNOWN_PAPER_KEYS


def apply_key_overrides(catalog: dict[str, Any], overrides: dict[str, str]) -> None:
    """Rename papers by title, in the papers and in the videos that cover them."""
    renamed: dict[str, str] = {}
    for paper in catalog["papers"]:
        if paper["title"] in overrides:
            renamed[paper["key"]] = overrides[paper["title"]]
            paper["key"] = renamed[paper["key"]]
    missing = set(overrides) - {paper["title"] for paper in catalog["papers"]}
    if missing:
        raise SystemExit(f"key overrides name papers the README lacks: {', '.join(sorted(missing))}")
    keys = [paper["key"] for paper in catalog["papers"]]
    clashes = [key for key, count in Counter(keys).items() if count > 1]
    invalid = [key for key in keys if not is_valid_key(key)]
    if clashes or invalid:
        raise SystemExit(f"bad paper keys after overrides: {', '.join(clashes + invalid)}")
    for video in catalog["videos"]:
        video["papers"] = [renamed.get(key, key) for key in video["papers"]]


def shared_video_ids(catalog: dict[str, Any]) -> list[str]:
    """One line per site id that more than one video claims (a copy-paste slip in the README)."""
    lines = []
    for site in ("bilibili", "youtube", "zhihu"):
        owners: dict[str, list[str]] = {}
        for video in catalog["videos"]:
            if video[site]:
                owners.setdefault(video[site], []).append(f"{video['date']} {video['title']}")
        lines += [
            f"{site} id {vid} is on {len(titles)} videos: {'; '.join(titles)}"
            for vid, titles in owners.items()
            if len(titles) > 1
        ]
    return lines


def build(readme_text: str, *, descriptions: bool = True) -> tuple[str, list[str]]:
    """The catalog JSON text and the warnings to show for a README's text."""
    result = read_readme(readme_text, source="README")
    apply_key_overrides(result.catalog, KEY_OVERRIDES)
    if not descriptions:
        for paper in result.catalog["papers"]:
            paper["description"] = None
    warnings = [f"line {line}: {message}" for line, message in result.problems]
    warnings += shared_video_ids(result.catalog)
    return json.dumps(result.catalog, ensure_ascii=False, indent=1) + "\n", warnings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate data/catalog.json from the README.")
    parser.add_argument("readme", type=Path, help="the paper-reading README.md")
    parser.add_argument(
        "--no-descriptions",
        dest="descriptions",
        action="store_false",
        help="leave the papers' one-line descriptions out",
    )
    args = parser.parse_args(argv)
    text, warnings = build(args.readme.read_text(encoding="utf-8"), descriptions=args.descriptions)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
