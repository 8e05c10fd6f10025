"""Outputs written atomically: a temporary file in the same folder, renamed into place."""

from __future__ import annotations

import glob
import hashlib
import json
import os
import tempfile
from pathlib import Path

from .errors import EditionError


def temporary_prefix(path: Path) -> str:
    """Temporaries of `path` are `.<name>.<random>.tmp`: hidden, and never named like output."""
    return f".{path.name}."


def die_with_parent() -> None:
    """In a worker process: end when the build that started it ends, even when it is
    killed (SIGKILL cannot be caught; Linux's parent-death signal still comes). A worker
    left behind would hold the build's output pipes open and its share of the machine."""
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the worker ends when its queue does


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never half.

    A full disk or a read-only folder is the user's to fix, not a bug: it is reported as
    one line naming the file (EditionError), and the old file stays as it was.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=temporary_prefix(path), suffix=".tmp",
                                   dir=path.parent)
    except OSError as exc:
        raise write_error(path, exc) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise write_error(path, exc) from None
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


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
    return EditionError.single(f"cannot write the file: {reason}", path, None,
                               "free some disk space or check the folder's permissions, "
                               "or choose another --out", "output.write")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class HashBook:
    """SHA-256 of files, remembered by size and modification time in a JSON file, so a
    rebuild reads again only the files that changed (the photos of an issue are hundreds
    of megabytes). Shared by the photo cache and the issue's fingerprint."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.entries: dict[str, list] = {}
        self.changed = False
        if path is not None:
            try:
                self.entries = dict(json.loads(path.read_text()))
            except (OSError, ValueError, TypeError):
                self.entries = {}

    def sha256(self, path: Path) -> str:
        """The file's SHA-256; OSError when it cannot be read."""
        st = path.stat()
        key, stamp = str(path.resolve()), [st.st_size, st.st_mtime_ns]
        entry = self.entries.get(key)
        if entry and entry[:2] == stamp:
            return str(entry[2])
        sha = sha256_file(path)
        self.entries[key] = [*stamp, sha]
        self.changed = True
        return sha

    def save(self) -> None:
        if self.path is not None and self.changed:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self.path, json.dumps(self.entries))
            self.changed = False

