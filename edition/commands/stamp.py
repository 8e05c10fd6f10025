"""`edition stamp`: a subscriber's copy, made only from the edition subscribers read."""

from __future__ import annotations

from pathlib import Path

import pikepdf
from pikepdf import Name

from edition.errors import EditionError
from edition.publish.stamp import StampResult, stamp_pdf


def edition_kind(path: Path) -> str | None:
    """ "print" for a PDF/X (the printer's edition), "archive" for a PDF/A (the issue's
    record, with its sources in it), "screen" otherwise; None when it cannot be read (then
    `stamp_pdf` says why)."""
    try:
        with pikepdf.open(path) as pdf:
            intents = {str(i.get("/S")) for i in pdf.Root.get("/OutputIntents", [])}
            if str(Name.GTS_PDFX) in intents:
                return "print"
            if str(Name.GTS_PDFA1) in intents or len(pdf.attachments):
                return "archive"
            return "screen"
    except (pikepdf.PdfError, OSError, ValueError):
        return None


def stamp_copy(src: Path, out: Path, *, name: str, licence_id: str) -> StampResult:
    """Stamp a copy of a screen edition (see `publish.stamp.stamp_pdf`). A print edition
    (CMYK, bleed and crop marks, far larger) or an archive edition (the issue's sources
    embedded) is refused: neither is what a subscriber should be given."""
    kind = edition_kind(src) if src.is_file() else None
    if kind in ("print", "archive"):
        what = (
            "a print edition (PDF/X: CMYK, bleed and crop marks, for the printer)"
            if kind == "print"
            else "an archive edition (PDF/A with the issue's sources in it)"
        )
        screen = src.with_name(src.name.replace(f"-{kind}.pdf", "-screen.pdf"))
        hint = (
            f"stamp the screen edition, {screen}"
            if screen != src and screen.is_file()
            else "build the screen edition (edition build ISSUE --profile screen) and stamp it"
        )
        raise EditionError.single(
            f"this is {what}; a subscriber's copy is made from the screen edition",
            src,
            None,
            hint,
            f"stamp.{kind}-edition",
        )
    return stamp_pdf(src, out, name=name, licence_id=licence_id)
