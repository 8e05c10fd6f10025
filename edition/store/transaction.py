"""Several files of a folder replaced together, all or none, under the folder's lock.

A commit writes every new file into a hidden staging folder beside them, then a journal
(the commit point), then renames the files into place and removes the staging folder.
A process killed before the journal leaves the folder as it was (the staging folder is
removed by the next `recover`); one killed after it leaves a journal that the next
`recover` carries out. Either way no reader is left with half of a change once the
folder has been recovered, and no temporary file is left among the folder's own files.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from edition.errors import EditionError
from edition.store.atomic import write_error

STAGING_PREFIX = ".edition-commit-"
JOURNAL = "journal"


@contextlib.contextmanager
def folder_lock(folder: Path, on_wait: Callable[[str], None] = lambda _: None) -> Iterator[None]:
    """Hold the exclusive lock of `folder` (flock on the folder itself, so nothing is left
    in it); a second holder waits, and says so through `on_wait`. The kernel releases it
    however the process ends."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise write_error(folder, exc) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            on_wait(f"Waiting for another change to {folder} to finish")
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def pending(folder: Path) -> list[Path]:
    """Staging folders an interrupted commit left in `folder`."""
    try:
        return sorted(p for p in folder.glob(f"{STAGING_PREFIX}*") if p.is_dir())
    except OSError:
        return []


def recover(folder: Path) -> list[Path]:
    """Finish the commits that reached their journal and undo the others (hold the
    folder's lock). Returns the files a finished commit put in place."""
    placed: list[Path] = []
    for staging in pending(folder):
        if (staging / JOURNAL).is_file():
            placed += _roll_forward(folder, staging)
        else:
            shutil.rmtree(staging, ignore_errors=True)
    return placed


def commit_files(folder: Path, files: Mapping[Path, bytes], modes: Mapping[Path, int]) -> None:
    """Put every file of `files` (paths inside `folder`) in place at once, in the order
    given (the file that lists the others last); hold the folder's lock. A full disk or a
    folder that cannot be written is one finding, and nothing is changed."""
    folder = folder.resolve()
    try:
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=folder))
    except OSError as exc:
        raise write_error(folder, exc) from None
    plan = []
    current = folder
    try:
        for i, (target, data) in enumerate(files.items()):
            current = target
            if not target.resolve().is_relative_to(folder):
                raise EditionError.single(
                    "the file would be written outside the folder",
                    target,
                    hint="replace the symlink on its way by a folder",
                    code="output.outside",
                )
            rel = target.resolve().relative_to(folder).as_posix()
            with open(staging / str(i), "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(staging / str(i), modes.get(target, 0o644))
            plan.append([i, rel])
        current = staging / JOURNAL
        with open(staging / f"{JOURNAL}.new", "w", encoding="utf-8") as f:
            json.dump(plan, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(staging / f"{JOURNAL}.new", staging / JOURNAL)  # the commit point
        _sync_folder(staging)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(exc, OSError):
            raise write_error(current, exc) from None
        raise
    try:
        _roll_forward(folder, staging)
    except OSError as exc:  # committed: the next recover() finishes it
        raise write_error(folder, exc) from None


def _roll_forward(folder: Path, staging: Path) -> list[Path]:
    plan = json.loads((staging / JOURNAL).read_text("utf-8"))
    placed = []
    for i, rel in plan:
        src, dest = staging / str(i), folder / rel
        if src.exists():
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dest)
        placed.append(dest)
    for parent in dict.fromkeys(p.parent for p in placed):
        _sync_folder(parent)
    shutil.rmtree(staging, ignore_errors=True)
    return placed


def _sync_folder(folder: Path) -> None:
    """Make the renames in `folder` durable (a power cut keeps them)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
