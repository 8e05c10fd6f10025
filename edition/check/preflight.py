"""Preflight of a built PDF: the document checks and the page checks, read back with pikepdf
and PDFium, never with the code that wrote it."""

from __future__ import annotations

import multiprocessing
import os
import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
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

            def whole() -> list[Finding]:
                with pikepdf.open(path) as own:  # (a file shared with a fork shares its offset)
                    return document.check_document(own, path, plan, profile, keys, cache_dir)

            # The document's checks and the page checks read the PDF each on their own:
            # on a machine with a second core, a long edition has them run side by side.
            if len(pdf.pages) >= ALONGSIDE_PAGES and _may_fork():
                first = _alongside(whole)
            else:
                found = document.check_document(pdf, path, plan, profile, keys, cache_dir)
                first = lambda: found  # noqa: E731
            out = pages.check_pages(pdf, doc, profile, loc, cache_dir)
            if plan is not None:
                out += document.check_placement(pdf, path, plan, photo_files or {})
                out += layout.check_layout(path, doc, plan, measured, keys, cache_dir)
            out[:0] = first()
    finally:
        doc.close()
    return out


ALONGSIDE_PAGES = 12


def _may_fork() -> bool:
    """A second core, and the build on the main thread: a command's other thread (the
    heartbeat) holds nothing the document's checks use; a desk's threads are left alone."""
    return (os.cpu_count() or 1) > 1 and threading.current_thread() is threading.main_thread()


def _alongside(work: Callable[[], list[Finding]]) -> Callable[[], list[Finding]]:
    """`work` started in a forked process; returns what waits for its findings. Should
    that process end without them (killed, or an answer that cannot be sent), the work
    is done again here."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)

    def child() -> None:
        try:
            send.send([f.as_dict() for f in work()])  # made again here (`Finding.from_dict`)
        except BaseException:
            os._exit(1)  # quietly: the parent does the work again, and says what is wrong
        send.close()

    process = context.Process(target=child, daemon=True)
    with warnings.catch_warnings():
        # Python 3.12 warns of forking a process with threads; see `_may_fork`.
        warnings.simplefilter("ignore", DeprecationWarning)
        process.start()
    send.close()

    def findings() -> list[Finding]:
        try:
            return [Finding.from_dict(d) for d in receive.recv()]
        except (EOFError, OSError):
            return work()
        finally:
            receive.close()
            process.join()

    return findings
