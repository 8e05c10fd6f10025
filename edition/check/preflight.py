"""Preflight of a built PDF: the document checks and the page checks, read back with pikepdf
and PDFium, never with the code that wrote it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium

from edition.check import document, layout, pages
from edition.errors import Finding, Location
from edition.pdf.measure import PageMeasure
from edition.plan.model import ImageRequest, Plan
from edition.profiles import Profile
from edition.workers import alongside, may_fork


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

            # The document's checks and the page checks read the PDF each on their own:
            # on a machine with a second core, a long edition has them run side by side,
            # the other process also reading back some of the pages the layout checks read.
            todo: list[int] = []
            if len(pdf.pages) >= ALONGSIDE_PAGES and may_fork():
                todo = layout.unread(doc, keys, cache_dir) if plan is not None else []
                # (two fifths of the pages to read: the document's checks take longer)
                mine = len(todo) * 3 // 5
                later = _alongside(path, plan, profile, keys, cache_dir, todo[mine:])
                todo = todo[:mine]
            else:
                found = document.check_document(pdf, path, plan, profile, keys, cache_dir)
                later = lambda: (found, {})  # noqa: E731
            out = pages.check_pages(pdf, doc, profile, loc, cache_dir)
            if plan is not None:
                out += document.check_placement(pdf, path, plan, photo_files or {})
            here = layout.read_here(doc, todo)  # this side's share, while the other reads its own
            first, read = later()
            if plan is not None:
                read = {**read, **here}
                out += layout.check_layout(path, doc, plan, measured, keys, cache_dir, read)
            out[:0] = first
    finally:
        doc.close()
    return out


ALONGSIDE_PAGES = 12


def _alongside(
    path: Path,
    plan: Plan | None,
    profile: Profile,
    keys: list[str] | None,
    cache_dir: Path | None,
    pages_to_read: list[int],
) -> Callable[[], tuple[list[Finding], dict[int, layout.ReadPage]]]:
    """The document's checks, and reading back `pages_to_read` for the layout checks, in a
    forked process (`workers.alongside`). Each side opens the PDF itself: a file shared
    with a fork shares its offset. What comes back is plain data, made again here (as
    every cached finding is)."""

    def elsewhere() -> tuple[list[dict], dict[int, dict]]:
        with pikepdf.open(path) as own:
            found = document.check_document(own, path, plan, profile, keys, cache_dir)
        return [f.as_dict() for f in found], layout.read_some(path, pages_to_read)

    got = alongside(elsewhere)

    def result() -> tuple[list[Finding], dict[int, layout.ReadPage]]:
        found, read = got()
        return [Finding.from_dict(d) for d in found], layout.from_plain(read)

    return result
