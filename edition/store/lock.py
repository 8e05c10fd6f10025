"""One writer per output file: a second build of the same PDF waits for the first."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from edition.errors import EditionError
from edition.store.atomic import remove_stale_temporaries, write_error


def lock_path(target: Path) -> Path:
    """OUT/<issue-id>/.<issue-id>-<profile>.pdf.lock: hidden, beside the file it guards."""
    return target.with_name(f".{target.name}.lock")


@contextlib.contextmanager
def output_lock(
    target: Path, on_wait: Callable[[str], None] = lambda _: None, also: Iterable[Path] = ()
) -> Iterator[Path]:
    """Hold the lock of `target` while it (and the files in `also`) are being made.

    Two builds of one PDF at once would each do all the work and leave a PDF and an
    HTML file from different runs; with the lock the second waits (and says so through
    `on_wait`) instead of failing. Different profiles and different issues have
    different locks and run side by side; the photo cache they share needs none, as
    every cache file is written under a temporary name and renamed.

    flock is released by the kernel when the process ends, however it ends, so a
    killed build never leaves a stale lock; the temporary files a killed build left
    are removed once the lock is held.
    """
    path = lock_path(target)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except (FileExistsError, NotADirectoryError):
        raise EditionError.single(
            "a file is in the way of the output folder",
            path.parent,
            None,
            "move the file away, or choose another --out",
            "output.not-dir",
        ) from None
    except OSError as exc:
        raise write_error(path, exc) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            on_wait(f"Waiting for another build of {target.name} to finish")
            fcntl.flock(fd, fcntl.LOCK_EX)
        for p in (target, *also):
            remove_stale_temporaries(p)
        yield path
    finally:
        os.close(fd)
