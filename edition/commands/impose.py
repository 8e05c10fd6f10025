"""`edition impose`: a built PDF as a saddle-stitched booklet or as n-up proof sheets."""

from __future__ import annotations

from pathlib import Path

from edition.errors import EditionError, Finding
from edition.proof.impose import Imposition, impose_booklet, impose_nup

DEFAULT_BOOKLET_SHEET = "A3"
DEFAULT_NUP_SHEET = "A4"


def impose_pdf(
    src: Path,
    dest: Path,
    *,
    booklet: bool = False,
    nup: int | None = None,
    sheet: str | None = None,
    creep_mm: float | None = None,
    bleed: bool = False,
) -> Imposition:
    """Write `src` imposed to `dest`: a booklet (`booklet`, on A3 by default, `creep_mm`
    and `bleed` as asked) or `nup` pages a sheet (A4 by default). Exactly one of the two;
    an option that only the other one takes is an error, not ignored."""
    findings = []
    if booklet == (nup is not None):
        findings.append(
            Finding(
                "say how to impose: --booklet or --nup 4|8"
                if not booklet
                else "--booklet and --nup cannot be given together",
                None,
                "--booklet for a saddle-stitched booklet, --nup for proof sheets",
                "usage.impose",
            )
        )
    if nup is not None and (creep_mm is not None or bleed):
        findings.append(
            Finding(
                "--creep and --bleed are for a booklet, not for n-up sheets",
                None,
                "leave them out, or use --booklet",
                "usage.impose",
            )
        )
    if findings:
        raise EditionError(findings)
    if booklet:
        return impose_booklet(
            src,
            dest,
            sheet=sheet or DEFAULT_BOOKLET_SHEET,
            creep_mm=creep_mm or 0.0,
            bleed=bleed,
        )
    assert nup is not None
    return impose_nup(src, dest, nup=nup, sheet=sheet or DEFAULT_NUP_SHEET)
