"""What a build returns, and the check of its output folder: no WeasyPrint needed here."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import EditionError, Finding, Location


@dataclass
class BuildResult:
    pdf: Path
    pages: int
    seconds: float
    photos_prepared: int = 0
    photos_reused: int = 0
    padded: int = 0
    html: Path | None = None
    findings: list[Finding] = field(default_factory=list)  # from reading and rendering
    preflight: list[Finding] = field(default_factory=list)  # from checking the result
    sections_rendered: int = 0  # section-by-section build: laid out now ...
    sections_reused: int = 0  # ... or taken from the cache
    sections_total: int = 0  # sections in the edition (pages laid out section by section)
    sections_moved: list[str] = field(default_factory=list)  # laid out again after a move
    unchanged: bool = False  # nothing it reads changed since the last build: PDF kept


def check_output_dir(out_dir: Path) -> None:
    """Fail early, with one line, when the output folder cannot be written."""
    probe = out_dir
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise EditionError([Finding("output path is not a folder", Location(probe),
                                    "choose another --out", "output.not-dir")])
    if not os.access(probe, os.W_OK):
        raise EditionError([Finding("output folder is not writable", Location(probe),
                                    "choose another --out or fix its permissions",
                                    "output.not-writable")])
