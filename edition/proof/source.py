"""Opening a built PDF for proofing: one clear error for a file that is missing or not a PDF."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pypdfium2 as pdfium

from edition.errors import EditionError

PASSWORD = "it is encrypted with a password"
DAMAGED = "it is damaged, has no pages, or is not a PDF"


def _unreadable(path: Path, why: str) -> EditionError:
    return EditionError.single(
        f"cannot read the PDF: {why}",
        path,
        hint="give the path of a PDF made by `edition build`",
        code="input.pdf",
    )


def open_for_rendering(path: Path) -> pdfium.PdfDocument:
    """`path` opened with PDFium, the renderer of every proof image."""
    if not path.is_file():
        raise _unreadable(path, "no such file")
    try:
        return pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        # PDFium's reasons are terse ("Data format error", even "Success" for a PDF
        # without pages); a password is the one worth telling apart.
        locked = "password" in str(exc).lower()
        raise _unreadable(path, PASSWORD if locked else DAMAGED) from None


def open_for_structure(path: Path) -> pikepdf.Pdf:
    """`path` opened with pikepdf (read only: nothing is ever saved back to it)."""
    if not path.is_file():
        raise _unreadable(path, "no such file")
    try:
        return pikepdf.open(path)
    except pikepdf.PasswordError:
        raise _unreadable(path, PASSWORD) from None
    except pikepdf.PdfError:
        raise _unreadable(path, DAMAGED) from None
