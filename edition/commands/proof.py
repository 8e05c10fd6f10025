"""`edition proof`: PNG proofs of an issue's built PDF (pages or spreads) and its contact
sheet, built first when the PDF is missing or older than its sources."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from edition.commands.build import Progress, build_edition
from edition.proof.contact import write_contact_sheet
from edition.proof.pages import DEFAULT_DPI, check_dpi, parse_pages, render_pages, render_spreads
from edition.proof.source import open_for_rendering

# What an earlier `edition proof` wrote into the same folder (and this one may replace).
PROOF_NAMES = re.compile(r"^(p\d{3,}|spread-\d{3,}(-\d{3,})?)\.png$")


@dataclass
class ProofResult:
    pdf: Path  # the edition the proofs show
    out: Path
    images: list[Path] = field(default_factory=list)  # pages or spreads, in page order
    contact: list[Path] = field(default_factory=list)  # contact.png, contact.pdf
    removed: list[Path] = field(default_factory=list)  # proofs of an earlier run, gone
    built: bool = False  # the PDF was (re)built first


def proof_issue(
    issue_dir: Path,
    *,
    profile: str = "print",
    dist: Path = Path("dist"),
    out: Path | None = None,
    pages: str | None = None,
    spreads: bool = False,
    dpi: int = DEFAULT_DPI,
    step: Callable[[str], None] = lambda _: None,
    progress: Progress | None = None,
) -> ProofResult:
    """Build `issue_dir` for `profile` into `dist` when needed (nothing is laid out when
    nothing changed), then write PNG proofs of its pages (`pages`, e.g. "5-12"; all by
    default), or of the reader's spreads with `spreads`, at `dpi`, and the contact sheet,
    into `out` (default `dist/<issue-id>/proof`). Proof images an earlier run left there
    that this one did not write are removed, so the folder shows one PDF."""
    check_dpi(dpi)
    result = build_edition(issue_dir, profile, dist, step=step, progress=progress)
    pdf = result.pdf
    folder = out if out is not None else pdf.parent / "proof"
    if pages is not None:  # a bad range is reported before anything is written
        doc = open_for_rendering(pdf)
        try:
            parse_pages(pages, len(doc))
        finally:
            doc.close()
    step(f"Rendering {'spreads' if spreads else 'pages'} at {dpi} dpi")
    bar = progress("spreads" if spreads else "pages") if progress else None
    if spreads:
        images = render_spreads(pdf, folder, pages=pages, dpi=dpi, progress=bar)
    else:
        images = render_pages(pdf, folder, pages=pages, dpi=dpi, progress=bar)
    step("Drawing the contact sheet")
    contact = write_contact_sheet(pdf, folder)
    written = set(images)
    removed = []
    for old in sorted(folder.iterdir()):
        if PROOF_NAMES.match(old.name) and old not in written:
            old.unlink()
            removed.append(old)
    return ProofResult(pdf, folder, images, contact, removed, built=not result.unchanged)
