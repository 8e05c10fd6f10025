"""A preflight report: what was checked, against which standard, what was found, and the
verdict; and findings' paths as the user named the folders (text and JSON say the same)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from edition.errors import Finding, Location, Severity
from edition.profiles import PROFILES

# The verdicts of a preflight, one per edition. Only READY is a pass (exit code 0).
READY, NOT_READY, NOT_BUILT, STALE = "ready", "not-ready", "not-built", "stale"


@dataclass
class Report:
    issue_dir: Path
    profile: str
    pdf: Path | None
    pages: int | None
    findings: list[Finding] = field(default_factory=list)
    sources: str = ""  # what the issue holds, in a few words
    built: str = NOT_BUILT  # the PDF: NOT_BUILT, STALE (other sources, or unknown), or READY

    @property
    def standard(self) -> str:
        return PROFILES[self.profile].standard if self.profile in PROFILES else ""

    @property
    def audience(self) -> str:
        return PROFILES[self.profile].audience if self.profile in PROFILES else "use"

    @property
    def errors(self) -> int:
        return sum(f.severity == Severity.ERROR for f in self.findings)

    @property
    def warnings(self) -> int:
        return sum(f.severity == Severity.WARNING for f in self.findings)

    @property
    def verdict(self) -> str:
        """READY only for a PDF built from these very sources, in which preflight found no
        error; else NOT_BUILT, STALE, or NOT_READY."""
        if self.built != READY:
            return self.built
        return NOT_READY if self.errors else READY

    def verdict_text(self) -> str:
        """The verdict in words, with what to do."""
        build = f"edition build {self.issue_dir} --profile {self.profile}"
        return {
            READY: f"ready for {self.audience}",
            NOT_READY: f"not ready for {self.audience}",
            NOT_BUILT: f"not built (run `{build}`)",
            STALE: f"stale: rebuild (run `{build}`)",
        }[self.verdict]

    def as_dict(self) -> dict[str, object]:
        counts = {s.value: sum(f.severity == s for f in self.findings) for s in Severity}
        return {
            "profile": self.profile,
            "standard": self.standard,
            "pdf": str(self.pdf) if self.pdf else None,
            "pages": self.pages,
            "sources": self.sources,
            "verdict": self.verdict,
            "counts": counts,
            "findings": [f.as_dict() for f in self.findings],
        }


def as_named(
    findings: Iterable[Finding], folders: Sequence[tuple[Path, Path]], cwd: Path | None = None
) -> list[Finding]:
    """The findings with their files named from the folders as the user gave them:
    `folders` are (folder, as given) pairs, e.g. the issue folder and the output folder;
    a file in none of them is named relative to `cwd` when it is inside it."""
    resolved = [(_resolve(folder), given) for folder, given in folders]
    here = _resolve(cwd or Path(os.getcwd()))
    out = []
    for f in findings:
        if f.location is None:
            out.append(f)
            continue
        path = f.location.path
        named = _named(path, resolved, here)
        out.append(dataclasses.replace(f, location=Location(named, f.location.line)))
    return out


def _resolve(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()


def _named(path: Path, folders: list[tuple[Path, Path]], cwd: Path) -> Path:
    full = _resolve(path)
    for folder, given in folders:
        if full.is_relative_to(folder):
            return given / full.relative_to(folder)
    if full.is_relative_to(cwd) and path.is_absolute():
        return full.relative_to(cwd)
    return path
