"""A preflight report: what was checked, against which standard, and what was found."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from edition.errors import Finding, Severity
from edition.profiles import PROFILES


@dataclass
class Report:
    issue_dir: Path
    profile: str
    pdf: Path | None
    pages: int | None
    findings: list[Finding] = field(default_factory=list)
    sources: str = ""  # what the issue holds, in a few words

    @property
    def standard(self) -> str:
        return PROFILES[self.profile].standard if self.profile in PROFILES else ""

    @property
    def audience(self) -> str:
        return PROFILES[self.profile].audience if self.profile in PROFILES else "use"

    def as_dict(self) -> dict[str, object]:
        counts = {s.value: sum(f.severity == s for f in self.findings) for s in Severity}
        return {
            "profile": self.profile,
            "standard": self.standard,
            "pdf": str(self.pdf) if self.pdf else None,
            "pages": self.pages,
            "sources": self.sources,
            "counts": counts,
            "findings": [f.as_dict() for f in self.findings],
        }
