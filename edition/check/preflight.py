"""Preflight of a built PDF: the document checks and the page checks, read back with pikepdf
and PDFium, never with the code that wrote it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium

from edition.check import document, layout, pages
from edition.errors import Finding, Location
from edition.pdf.measure import PageMeasure
from edition.plan.model import ImageRequest, Plan
from edition.profiles import Profile


def check_pdf(
    path: Path,
    plan: Plan | None,
    profile: Profile,
    cache_dir: Path | None = None,
    photo_files: Mapping[ImageRequest, Path] | None = None,
    measured: Sequence[PageMeasure | None] | None = None,
) -> list[Finding]:
    """Preflight of a built PDF. With `cache_dir`, what was found on a page is remembered
    by the page's content, so a rebuild checks only the pages that changed.
    `photo_files` are the prepared photos the build placed (to find them in the PDF);
    `measured`, the build's own measurement of each page (see `check.layout`)."""
    loc = Location(path)
    try:
        pdf = pikepdf.open(path)
    except pikepdf.PdfError as exc:
        return [Finding(f"the PDF cannot be read ({exc})", loc, "build it again", "pdf.unreadable")]
    doc = pdfium.PdfDocument(str(path))
    try:
        with pdf:
            keys = [pages.drawing_key(page, profile) for page in pdf.pages] if cache_dir else None
            out = document.check_document(pdf, path, plan, profile, keys, cache_dir)
            out += pages.check_pages(pdf, doc, profile, loc, cache_dir)
            if plan is not None:
                out += document.check_placement(pdf, path, plan, photo_files or {})
                out += layout.check_layout(path, doc, plan, measured, keys, cache_dir)
    finally:
        doc.close()
    return out
