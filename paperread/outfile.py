"""Where an export's data goes: standard output, a regular file written atomically, or
anything else (a FIFO, a terminal, a device, ``/dev/stdout``) written into, in place.

A regular file is written to a temporary file in the same folder, flushed to disk (fsync) and
renamed over FILE (os.replace): FILE is either the old one or the whole new one, and a failed
export leaves it untouched; the new file keeps the old one's permissions (or the umask's).
A node that is not a regular file is never replaced: ``-o /dev/stdout``, ``-o >(gzip > x)``
(``/dev/fd/63``), a named pipe or ``/dev/null`` receive the data as ``cat > NODE`` would give it.
A closed pipe (``| head``) ends quietly, as if killed by SIGPIPE.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from paperread.errors import InputError, PaperreadError

# Names that mean one of this process's own descriptors, whatever they point at.
_STREAMS = {"/dev/stdout": 1, "/dev/stderr": 2}
_FD_DIRS = ("/dev/fd/", "/proc/self/fd/")


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full (no space left on device)"
    if exc.errno == errno.EROFS:
        return "the file system is read-only"
    if exc.errno == errno.EDQUOT:
        return "the disk quota is used up"
    return str(exc.strerror or exc)


@contextmanager
def _closing_pipe(stream: IO[str]) -> Iterator[IO[str]]:
    """``stream`` for the export; a reader that went away (``| head``) ends the run with 141."""
    try:
        yield stream
        stream.flush()
    except BrokenPipeError:
        with contextlib.suppress(Exception):  # no second error when Python flushes at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
        raise SystemExit(141) from None


def _descriptor(path: str) -> int | None:
    """The descriptor a path names (``/dev/stdout``, ``/dev/fd/3``), else None."""
    if path in _STREAMS:
        return _STREAMS[path]
    for folder in _FD_DIRS:
        rest = path.removeprefix(folder)
        if rest != path and rest.isdigit():
            return int(rest)
    return None


@contextmanager
def data_output(path: str | None) -> Iterator[IO[str]]:
    """The stream an export writes to: stdout for None or '-', else PATH (see the module)."""
    if path is None or path == "-":
        with _closing_pipe(sys.stdout) as out:
            yield out
        return
    if not path.strip():
        raise InputError(
            f"output path {path!r} is empty",
            hint="give a file name, e.g. catalog.json, or leave --output out to write to standard output",
        )
    expanded = os.path.expanduser(path)
    fd = _descriptor(os.path.abspath(expanded))
    if fd is not None:
        if fd == 1:
            with _closing_pipe(sys.stdout) as out:
                yield out
            return
        try:
            stream = os.fdopen(os.dup(fd), "w", encoding="utf-8", newline="")
        except OSError as exc:
            raise InputError(f"cannot write to '{path}': {_reason(exc)}") from None
        with _into(stream, path) as out:
            yield out
        return
    try:
        mode = os.stat(expanded).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise InputError(f"cannot write to '{path}': {_reason(exc)}") from None
    if mode is not None and stat.S_ISDIR(mode):
        raise InputError(f"output '{path}' is a folder", hint="give a file name, e.g. catalog.json")
    if mode is not None and not stat.S_ISREG(mode):
        try:  # a FIFO waits here for its reader, as ``cat > FIFO`` does
            stream = open(expanded, "w", encoding="utf-8", newline="")  # noqa: SIM115 (closed by _into)
        except OSError as exc:
            raise InputError(f"cannot write to '{path}': {_reason(exc)}") from None
        with _into(stream, path) as out:
            yield out
        return
    with _atomic(path, expanded) as out:
        yield out


@contextmanager
def _into(stream: IO[str], path: str) -> Iterator[IO[str]]:
    """Writing into a node that is not a regular file (nothing to make atomic)."""
    try:
        with _closing_pipe(stream) as out:
            yield out
    except OSError as exc:
        raise PaperreadError(f"cannot write to '{path}': {_reason(exc)}") from None
    finally:
        with contextlib.suppress(OSError):
            stream.close()


@contextmanager
def _atomic(path: str, expanded: str) -> Iterator[IO[str]]:
    """A regular file, replaced whole or not at all."""
    import tempfile
    from pathlib import Path

    target = Path(os.path.realpath(expanded))
    if not target.parent.is_dir():
        raise InputError(f"folder '{target.parent}' does not exist", hint="create it first")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    except OSError as exc:
        raise PaperreadError(f"cannot write in '{target.parent}': {_reason(exc)}") from None
    try:
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                yield fh
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, _file_mode(target))
            os.replace(tmp, target)
        except OSError as exc:
            raise PaperreadError(f"cannot write '{path}': {_reason(exc)}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # the rename itself, on disk (POSIX)
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _file_mode(target: os.PathLike[str]) -> int:
    """The permissions a file written over ``target`` gets: its own, else 0o666 minus the umask."""
    try:
        return os.stat(target).st_mode & 0o7777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask
