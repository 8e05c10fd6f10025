"""One writer per output file: a second build of the same PDF waits for the first. The
locks are kept in the user's cache folder, never beside the files they guard (the output
folder is published as it is)."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from edition.errors import EditionError
from edition.store.atomic import remove_stale_temporaries, write_error
from edition.store.paths import path_key, private_dir


def lock_path(target: Path) -> Path:
    """~/.cache/edition/locks/<name>-<hash of the full path>.lock: one per file guarded,
    the same for every process of this user that writes it."""
    return private_dir("locks") / f"{target.name}-{path_key(target)}.lock"


@contextlib.contextmanager
def file_lock(target: Path, on_wait: Callable[[], None] | None = None) -> Iterator[Path]:
    """Hold the exclusive lock of `target` (calling `on_wait` first when another process
    holds it). flock is released by the kernel when the process ends, however it ends,
    so a killed process never leaves a stale lock."""
    path = lock_path(target)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise write_error(path, exc) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield path
    finally:
        os.close(fd)


@contextlib.contextmanager
def output_lock(
    target: Path, on_wait: Callable[[str], None] = lambda _: None, also: Iterable[Path] = ()
) -> Iterator[Path]:
    """Hold the lock of `target` while it (and the files in `also`) are being made.

    Two builds of one PDF at once would each do all the work and leave a PDF and an
    HTML file from different runs; with the lock the second waits (and says so through
    `on_wait`) instead of failing. Different profiles and different issues have
    different locks and run side by side; the photo cache they share needs none, as
    every cache file is written under a temporary name and renamed. The temporary files
    a killed build left are removed once the lock is held.
    """
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise EditionError.single(
            "a file is in the way of the output folder",
            target.parent,
            None,
            "move the file away, or choose another --out",
            "output.not-dir",
        ) from None
    except OSError as exc:
        raise write_error(target.parent, exc) from None
    with file_lock(
        target, lambda: on_wait(f"Waiting for another build of {target.name} to finish")
    ) as path:
        for p in (target, *also):
            remove_stale_temporaries(p)
        yield path
