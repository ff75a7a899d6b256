"""The site's folder: built whole beside DIR, then swapped in.

A build writes into a staging folder next to DIR (same file system), and only a finished build
takes DIR's place: on Linux in one atomic exchange of the two folders (``renameat2`` with
``RENAME_EXCHANGE``), elsewhere by two renames a moment apart. So DIR is always the whole old
site or the whole new one, never half of either; a failed or killed build leaves DIR untouched
(its staging folder is removed then, or by the next build once its process is gone).

DIR must be new, empty, or a site an earlier build wrote: that build left a manifest
(``.paperread-site.json``) listing its files. Files it did not write (a ``CNAME``, a
``.nojekyll``, a page of the keeper's own) are carried into the new site as they are (hard
links: the same files, not copies), unless the new site writes that very path, which is refused.
A folder holding other files and no manifest is refused before anything is read or written.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

from paperread.errors import InputError, PaperreadError
from paperread.site.options import GENERATOR, MANIFEST

_HINT = "give a new or empty folder, or one that 'paperread site' wrote before"
_SHOWN = 3


def _mode_for_new_dir() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o777 & ~mask


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2``); False where the system cannot."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _previous_files(dest: Path, display: str) -> set[str] | None:
    """The files an earlier build wrote in ``dest`` (None: ``dest`` is new or empty)."""
    try:
        entries = sorted(os.listdir(dest))
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        raise InputError(f"'{display}' is a file, not a folder", hint=_HINT) from None
    except OSError as exc:
        raise InputError(f"cannot read the folder '{display}': {exc.strerror}") from None
    if not entries:
        return None
    if MANIFEST not in entries:
        shown = ", ".join(f"'{e}'" for e in entries[:_SHOWN]) + (", ..." if len(entries) > _SHOWN else "")
        raise InputError(f"'{display}' holds files paperread did not write ({shown})", hint=_HINT)
    try:
        manifest = json.loads((dest / MANIFEST).read_text(encoding="utf-8"))
        files = manifest["files"]
        if manifest.get("generator") != GENERATOR or not all(isinstance(f, str) for f in files):
            raise ValueError
    except (OSError, ValueError, KeyError, TypeError):
        raise InputError(
            f"'{display}' has a {MANIFEST} paperread cannot read", hint=f"remove it, or {_HINT[0].lower()}{_HINT[1:]}"
        ) from None
    return set(files)


class StagedSite:
    """A site being built for ``dest``: ``write`` files, then ``commit`` (or ``discard``)."""

    def __init__(self, dest: str) -> None:
        if not dest.strip():
            raise InputError(f"site folder {dest!r} is empty", hint="give a folder, e.g. public/")
        self.display = dest
        self.dest = Path(os.path.realpath(os.path.expanduser(dest)))
        self.previous = _previous_files(self.dest, dest)
        parent = self.dest.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create the folder '{parent}': {exc.strerror}") from None
        self._prefix = f".{self.dest.name}.paperread-"
        self._sweep(parent)
        try:
            self.staging = Path(tempfile.mkdtemp(prefix=f"{self._prefix}{os.getpid()}-", dir=parent))
        except OSError as exc:
            raise PaperreadError(
                f"cannot write beside '{dest}' in '{parent}': {exc.strerror}",
                hint="the site is built next to its folder and swapped in whole: the folder above must be writable",
            ) from None
        self.files: list[str] = []
        self._dirs: set[str] = {""}

    def _sweep(self, parent: Path) -> None:
        """Remove staging folders that killed builds left beside DIR."""
        pattern = re.compile(re.escape(self._prefix) + r"(\d+)-")
        with contextlib.suppress(OSError):
            for entry in os.listdir(parent):
                match = pattern.match(entry)
                if match and not _alive(int(match.group(1))):
                    shutil.rmtree(parent / entry, ignore_errors=True)

    # ------------------------------------------------------------------ writing

    def _make_parent(self, rel: str) -> Path:
        folder, _, _ = rel.rpartition("/")
        if folder not in self._dirs:
            (self.staging / folder).mkdir(parents=True, exist_ok=True)
            parts = folder.split("/")
            self._dirs.update("/".join(parts[: i + 1]) for i in range(len(parts)))
        return self.staging / rel

    def write(self, rel: str, data: str | bytes) -> None:
        """Write the file at ``rel`` (a path with '/' from the site's root)."""
        path = self._make_parent(rel)
        raw = data.encode("utf-8") if isinstance(data, str) else data
        with open(path, "wb") as fh:
            fh.write(raw)
        self.files.append(rel)

    # ------------------------------------------------------------------ finishing

    def _carry_foreign(self) -> int:
        """Carry the files DIR holds that the earlier build did not write into the new site."""
        # Read again: another build may have replaced DIR since this one began.
        self.previous = _previous_files(self.dest, self.display)
        if self.previous is None:
            return 0
        ours = set(self.files)
        carried = 0
        for top, dirs, names in os.walk(self.dest):
            rel_top = os.path.relpath(top, self.dest)
            rel_top = "" if rel_top == "." else rel_top.replace(os.sep, "/") + "/"
            for name in dirs + names:
                rel = rel_top + name
                src = Path(top) / name
                if name in dirs and not src.is_symlink():
                    if rel not in self._dirs:
                        (self.staging / rel).mkdir(exist_ok=True)
                        self._dirs.add(rel)
                    continue
                if rel in self.previous or rel == MANIFEST:
                    continue
                if rel in ours:
                    raise InputError(
                        f"'{self.display}' holds '{rel}', which paperread did not write and would now replace",
                        hint="move that file away, or build the site into another folder",
                    )
                target = self._make_parent(rel)
                if src.is_symlink():
                    os.symlink(os.readlink(src), target)
                else:
                    try:
                        os.link(src, target, follow_symlinks=False)
                    except OSError:
                        shutil.copy2(src, target)
                carried += 1
        return carried

    def commit(self) -> int:
        """Put the finished site in DIR's place; returns how many files of others it kept."""
        carried = self._carry_foreign()
        manifest = {"generator": GENERATOR, "files": sorted(self.files)}
        (self.staging / MANIFEST).write_text(json.dumps(manifest, indent=0) + "\n", encoding="utf-8")
        try:
            mode = os.stat(self.dest).st_mode & 0o7777
        except FileNotFoundError:
            mode = _mode_for_new_dir()
        os.chmod(self.staging, mode)
        try:
            self._swap()
        except OSError as exc:
            raise PaperreadError(f"cannot put the new site in '{self.display}': {exc.strerror or exc}") from None
        return carried

    def _swap(self) -> None:
        if not self.dest.exists():
            os.rename(self.staging, self.dest)  # an empty folder made meanwhile is replaced too
            return
        if _exchange(self.staging, self.dest):
            shutil.rmtree(self.staging, ignore_errors=True)  # now the old site
            return
        old = Path(tempfile.mkdtemp(prefix=f"{self._prefix}{os.getpid()}-old-", dir=self.dest.parent))
        os.rename(self.dest, old / "site")
        try:
            os.rename(self.staging, self.dest)
        except OSError:
            os.rename(old / "site", self.dest)
            raise
        shutil.rmtree(old, ignore_errors=True)

    def discard(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)

    def __enter__(self) -> StagedSite:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.discard()  # after a commit the staging folder is gone already
