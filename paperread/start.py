"""The console script's entry point (and ``python -m paperread``): as light as it can be.

``paperread --version`` is answered here, before Typer or any command module is
imported; everything else goes to ``paperread.cli.main``.
"""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from paperread import __version__

        sys.stdout.write(f"paperread {__version__}\n")
        return
    from paperread.cli import main as run

    run()
