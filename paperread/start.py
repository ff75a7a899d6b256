"""The console script's entry point (and ``python -m paperread``): as light as it can be.

``paperread --version`` is answered here, before Typer or any command module is
imported; everything else goes to ``paperread.cli.main``, after ``prefetch`` has started
connecting to a server catalog a read command will need.
"""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from paperread import __version__

        sys.stdout.write(f"paperread {__version__}\n")
        return
    import os

    from paperread.prefetch import begin

    begin(sys.argv[1:], os.environ)  # a read on a server: connect while the rest is imported
    from paperread.cli import main as run

    run()
