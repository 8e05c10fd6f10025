"""Where edition writes: the editions and their metadata (the output folder, which may be
published as it is), and the build cache and locks (kept apart from it, where only this
user can write)."""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from edition.errors import EditionError, Finding, Location

CACHE_ENV = "EDITION_CACHE"  # the build cache's folder, when not the user's cache folder


def user_cache() -> Path:
    """$XDG_CACHE_HOME/edition, or ~/.cache/edition."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "edition"


def private_dir(name: str) -> Path:
    """A folder only this user can use, under the user's cache folder (`edition/<name>`);
    made with mode 0700. One that others could write to is not used: a temporary private
    folder is made instead."""
    base = user_cache()
    folder = base / name
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if _private(folder) and _private(base):
            return folder
    except OSError:
        pass
    return Path(tempfile.mkdtemp(prefix=f"edition-{name}-"))


def _private(folder: Path) -> bool:
    st = folder.lstat()
    return (
        stat.S_ISDIR(st.st_mode)
        and st.st_uid == os.getuid()
        and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )


_IN_USE: set[Path] = set()  # the build caches this process has used


def in_a_cache(path: Path) -> bool:
    """Whether `path` is inside a build cache this process has used (for a hint that names
    --cache, not --out)."""
    try:
        real = path.resolve()
    except (OSError, RuntimeError):
        return False
    return any(real.is_relative_to(c) for c in _IN_USE)


def cache_folder(given: Path | None = None) -> Path:
    """The build cache: `given` (`--cache`), else $EDITION_CACHE, else the user's cache
    folder (`~/.cache/edition/build`). Never inside the output folder, which is published.

    A folder that someone else could write to is refused: what is cached there (laid-out
    sections, prepared photos) goes into the PDFs."""
    if given is None and os.environ.get(CACHE_ENV):
        given = Path(os.environ[CACHE_ENV])
    if given is None:
        folder = private_dir("build")
        _IN_USE.add(folder.resolve())
        return folder
    try:
        given.mkdir(parents=True, exist_ok=True, mode=0o700)
        private = _private(given)
    except OSError as exc:
        raise EditionError(
            [
                Finding(
                    f"the cache folder cannot be made ({exc.strerror or exc})",
                    Location(given),
                    f"choose another folder with --cache or {CACHE_ENV}",
                    "output.cache",
                )
            ]
        ) from None
    if not private:
        raise EditionError(
            [
                Finding(
                    "the cache folder is not a folder of yours that only you can write to",
                    Location(given),
                    f"choose another folder with --cache or {CACHE_ENV}, or `chmod go-w` it",
                    "output.cache",
                )
            ]
        )
    _IN_USE.add(given.resolve())
    return given


def path_key(path: Path) -> str:
    """A short name for a file, the same wherever it is asked for: a hash of its full path."""
    return hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Output:
    """An output folder, OUT/<issue-id>/<issue-id>-<profile>.pdf and <issue-id>.json,
    and the build cache the builds into it use (`cache_dir`, default `cache_folder()`).
    Only what is published goes into OUT: no cache, no lock, no record of a build."""

    root: Path
    cache_dir: Path | None = None

    @property
    def cache(self) -> Path:
        return cache_folder(self.cache_dir)

    def folder(self, issue_id: str) -> Path:
        return self.root / issue_id

    def pdf(self, issue_id: str, profile: str) -> Path:
        return self.root / issue_id / f"{issue_id}-{profile}.pdf"

    def html(self, issue_id: str, profile: str) -> Path:
        return self.pdf(issue_id, profile).with_suffix(".html")

    def meta(self, issue_id: str) -> Path:
        """OUT/<issue-id>/<issue-id>.json: what the catalogue and `edition archive` read."""
        return self.root / issue_id / f"{issue_id}.json"

    def record(self, issue_id: str, profile: str) -> Path:
        """What the last build of a profile into this folder read and found (for the
        no-change rebuild), in the cache: named by the PDF's full path."""
        pdf = self.pdf(issue_id, profile)
        return self.cache / "builds" / f"{issue_id}-{profile}-{path_key(pdf)}.json"

    def check_writable(self) -> None:
        """Fail early, with one line, when the output folder cannot be written."""
        probe = self.root
        while not probe.exists():
            probe = probe.parent
        if not probe.is_dir():
            raise EditionError(
                [
                    Finding(
                        "output path is not a folder",
                        Location(probe),
                        "choose another --out",
                        "output.not-dir",
                    )
                ]
            )
        if not os.access(probe, os.W_OK):
            raise EditionError(
                [
                    Finding(
                        "output folder is not writable",
                        Location(probe),
                        "choose another --out or fix its permissions",
                        "output.not-writable",
                    )
                ]
            )
