"""What a build read: the SHA-256 of each file (remembered by the file's stamp, so a rebuild
reads again only files that changed) and one fingerprint over all of them. Build skipping,
archive skipping and staleness all use this one rule."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from edition import __version__
from edition.share import share_dir
from edition.store.atomic import atomic_write_text
from edition.store.seal import seal


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class HashBook:
    """SHA-256 of files, remembered in a JSON file by each file's stamp, so that a rebuild
    reads again only the files that changed (the photos of an issue are hundreds of
    megabytes). The stamp is size, modification time, change time, inode and device: a
    file copied in with its old time (`cp -p`, `rsync -t`, unzip) or changed in place
    and given its old time back still has a new change time, which no one can set."""

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
        """The file's SHA-256; OSError when it cannot be read.

        Each entry is sealed (edition.store.seal) with the file's path and stamp: an entry
        edited by hand, or copied to another file's name, is not believed."""
        st = path.stat()
        key = str(path.resolve())
        stamp = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]
        entry = self.entries.get(key)
        if (
            isinstance(entry, list)
            and len(entry) == len(stamp) + 2
            and entry[: len(stamp)] == stamp
            and isinstance(entry[-2], str)
            and entry[-1] == seal(key, stamp, entry[-2])
        ):
            return entry[-2]
        sha = sha256_file(path)
        self.entries[key] = [*stamp, sha, seal(key, stamp, sha)]
        self.changed = True
        return sha

    def save(self) -> None:
        if self.path is not None and self.changed:
            atomic_write_text(self.path, json.dumps(self.entries))
            self.changed = False


def folder_files(root: Path) -> Iterator[Path]:
    """Every regular file under `root` that a build may read, in a stable order. Hidden
    files and folders (.DS_Store, .git, editor swap files) and Python's caches are left
    out: they never reach a PDF, and touching them should not force a rebuild."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d != "__pycache__"]
        found.extend(Path(dirpath) / f for f in filenames if not f.startswith("."))
    for path in sorted(found, key=lambda p: p.relative_to(root).as_posix()):
        try:
            regular = path.is_file()
        except OSError:  # cannot even be looked at: Fingerprint.add names it unreadable
            regular = True
        if regular:
            yield path


class Fingerprint:
    """SHA-256 over every file a build reads, by path and content, folder by folder (the
    issue folder first, before it is read, so that a file changed while the build runs
    makes the next build see a change), plus what else the build depends on."""

    def __init__(self, book: HashBook, extra: str = "") -> None:
        self.book = book
        self._hash = hashlib.sha256(f"edition {__version__}\0{extra}\0".encode())

    def add(self, label: str, root: Path) -> Fingerprint:
        for path in folder_files(root):
            rel = path.relative_to(root).as_posix()
            try:
                sha = self.book.sha256(path)
            except OSError as exc:
                # A file that cannot be read (a symlink to a file of another user, say)
                # is fingerprinted as such: the loader reports it if the issue uses it,
                # and the build that follows its repair sees a change.
                sha = f"unreadable {exc.errno}"
            self._hash.update(f"{label}\0{rel}\0{sha}\0".encode())
        return self

    def add_build(self, layout_folders: Sequence[Path]) -> Fingerprint:
        """The layout and the layouts it extends, the bundled assets, edition's own code."""
        for i, folder in enumerate(layout_folders):
            self.add(f"layout{i}", folder)
        self.add("assets", share_dir("assets"))
        return self.add("edition", Path(__file__).resolve().parent.parent)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def fingerprint(
    issue_root: Path, layout_folders: Sequence[Path], book: HashBook, extra: str = ""
) -> str:
    """The fingerprint of a build of `issue_root` with the layout in `layout_folders`."""
    return Fingerprint(book, extra).add("issue", issue_root).add_build(layout_folders).hexdigest()
