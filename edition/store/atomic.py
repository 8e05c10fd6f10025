"""Outputs written atomically: a temporary file in the same folder, renamed into place."""

from __future__ import annotations

import contextlib
import errno
import functools
import glob
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from edition.errors import EditionError
from edition.store.paths import in_a_cache


def temporary_prefix(path: Path) -> str:
    """Temporaries of `path` are `.<name>.<random>.tmp`: hidden, and never named like output."""
    return f".{path.name}."


def atomic_write_bytes(path: Path, data: bytes, *, keep_mode: bool = False) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never half.

    A full disk or a read-only folder is the user's to fix, not a bug: it is reported as
    one line naming the file (EditionError), and the old file stays as it was. The new
    file is readable by all (0644), or with `keep_mode` has the mode of the one it replaces.
    """
    mode = 0o644
    if keep_mode:
        with contextlib.suppress(OSError):
            mode = path.stat().st_mode & 0o777
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=temporary_prefix(path), suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise write_error(path, exc) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise write_error(path, exc) from None
        raise


def atomic_write_text(path: Path, text: str, *, keep_mode: bool = False) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), keep_mode=keep_mode)


def remove_stale_temporaries(path: Path) -> list[Path]:
    """Delete the temporaries a killed writer of `path` left behind; returns them.

    Only safe while holding `path`'s lock (edition.lock): then no one else is writing it.
    """
    removed = []
    for tmp in path.parent.glob(f"{glob.escape(temporary_prefix(path))}*.tmp"):
        tmp.unlink(missing_ok=True)
        removed.append(tmp)
    return removed


def write_error(path: Path, exc: OSError) -> EditionError:
    """One line for an output that cannot be written, naming the file and the reason."""
    reason = exc.strerror or str(exc)
    if isinstance(exc, (FileExistsError, NotADirectoryError)):
        reason = "a file is in the way of its folder"
    other = "--cache" if in_a_cache(path) else "--out"
    return EditionError.single(
        f"cannot write the file: {reason}",
        path,
        None,
        f"free some disk space or check the folder's permissions, or choose another {other}",
        "output.write",
    )


# What a machine, not a program, gets wrong: no space, no quota, a read-only disk.
DISK_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS)
F = TypeVar("F", bound=Callable[..., Any])


def disk_errors_are_findings(func: F) -> F:
    """A full disk or a read-only file system met anywhere in `func` (a cache folder made,
    a temporary file of a library) is one line naming the file, not an internal error."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except OSError as exc:
            if exc.errno not in DISK_ERRORS:
                raise
            raise write_error(Path(exc.filename or "."), exc) from None

    return wrapper  # type: ignore[return-value]
