"""Where edition writes: the editions and their metadata, the build cache, private folders."""

from __future__ import annotations

import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from edition.errors import EditionError, Finding, Location


def private_dir(name: str) -> Path:
    """A folder only this user can use, under the user's cache folder ($XDG_CACHE_HOME or
    ~/.cache, `edition/<name>`); made with mode 0700. One that others could write to is
    not used: a temporary private folder is made instead."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "edition"
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


@dataclass(frozen=True)
class Output:
    """An output folder: OUT/<issue-id>/<issue-id>-<profile>.pdf and <issue-id>.json, and
    the cache the builds into it keep."""

    root: Path

    @property
    def cache(self) -> Path:
        return self.root / ".cache"

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
        """What the last build of a profile read and found (for the no-change rebuild)."""
        return self.cache / "builds" / f"{issue_id}-{profile}.json"

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
