"""Laid-out sections read back for a live flatplan: what each page draws (a digest, so that
a page laid out again but drawn the same is known to be the same), where the photos are,
how full an article's columns are, where a finding's text sits.

A `SectionPdf` is one section's PDF as the section build made it. It is read with pikepdf
(the digest) and PDFium (geometry), each page once: what is read is kept with it, so a
flatplan rebuilt after an edit reads only the sections that changed. PDFium is not
thread-safe: one thread uses a `SectionPdf`.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf
import pypdfium2 as pdfium

from edition.layout.spec import Layout
from edition.plan.model import Slot

MM = 72 / 25.4
Rect = tuple[float, float, float, float]  # left, bottom, right, top in points (PDF space)
Box = tuple[float, float, float, float]  # left, top, right, bottom: fractions of the trim


class SectionPdf:
    """One laid-out section's PDF, read lazily, page by page."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._doc: pdfium.PdfDocument | None = None
        self._tokens: list[str] | None = None
        self._pages: dict[int, pdfium.PdfPage] = {}
        self._rects: dict[int, list[Rect]] = {}
        self._images: dict[int, list[tuple[Rect, tuple[int, int]]]] = {}

    def tokens(self, skip: int, count: int) -> list[str]:
        """A digest of what each of its `count` pages after `skip` blank ones draws."""
        if self._tokens is None:
            with pikepdf.open(io.BytesIO(self.data)) as pdf:
                self._tokens = [drawing_digest(pdf.pages[skip + i]) for i in range(count)]
        return self._tokens

    def page(self, index: int) -> pdfium.PdfPage:
        if index not in self._pages:
            if self._doc is None:
                self._doc = pdfium.PdfDocument(self.data)
            self._pages[index] = self._doc[index]
        return self._pages[index]

    def trim(self, index: int) -> Rect:
        left, bottom, right, top = self.page(index).get_trimbox()
        return left, bottom, right, top

    def text_rects(self, index: int) -> list[Rect]:
        """The rectangles of its text (about one per line and column), as PDFium finds them."""
        if index not in self._rects:
            text = self.page(index).get_textpage()
            try:
                self._rects[index] = [text.get_rect(r) for r in range(text.count_rects())]
            finally:
                text.close()
        return self._rects[index]

    def images(self, index: int) -> list[tuple[Rect, tuple[int, int]]]:
        """Each image on the page: where it is drawn and its size in pixels."""
        if index not in self._images:
            page = self.page(index)
            found = []
            for obj in page.get_objects(filter=[pdfium.raw.FPDF_PAGEOBJ_IMAGE], max_depth=3):
                w, h = obj.get_px_size()
                found.append((obj.get_bounds(), (int(w), int(h))))
            self._images[index] = found
        return self._images[index]

    def find(self, index: int, snippet: str) -> Rect | None:
        """Where the first words of `snippet` are on the page, or None."""
        words = " ".join(snippet.split()[:4])
        if not words:
            return None
        text = self.page(index).get_textpage()
        try:
            hit = text.search(words, match_case=False).get_next()
            if hit is None:
                return None
            start, count = hit
            boxes = [text.get_charbox(i) for i in range(start, start + min(count, 40))]
        finally:
            text.close()
        return (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )

    def close(self) -> None:
        for page in self._pages.values():
            page.close()
        self._pages.clear()
        if self._doc is not None:
            self._doc.close()
            self._doc = None


@dataclass(frozen=True)
class PageRef:
    """A page of the edition: its number, and where it is in its section's PDF."""

    number: int
    section: SectionPdf
    index: int

    @property
    def trim(self) -> Rect:
        return self.section.trim(self.index)

    def box(self, rect: Rect) -> Box:
        """`rect` as fractions of the trimmed page, from its top left."""
        tl, tb, tr, tt = self.trim
        left, bottom, right, top = rect
        w, h = tr - tl, tt - tb

        def clamp(v: float) -> float:
            return round(max(0.0, min(1.0, v)), 4)

        return (
            clamp((left - tl) / w),
            clamp((tt - top) / h),
            clamp((right - tl) / w),
            clamp((tt - bottom) / h),
        )


def drawing_digest(page: pikepdf.Page) -> str:
    """What a page draws, as a digest: its boxes, its content, its images and forms by
    their bytes, its graphics states, shadings and colour spaces. Fonts count by the
    glyphs the content names, not by their subset: a subset keeps its glyphs in the
    font's order, so the same content bytes name the same glyphs."""
    h = hashlib.sha256()
    h.update(repr([repr(page.obj.get(b)) for b in ("/MediaBox", "/TrimBox", "/Rotate")]).encode())
    contents = page.obj.get("/Contents")
    streams = [contents] if isinstance(contents, pikepdf.Stream) else list(contents or [])
    for stream in streams:
        h.update(stream.read_bytes())
    _digest_resources(page.obj.get("/Resources"), h, 0)
    return h.hexdigest()[:20]


def _digest_resources(resources: object, h: Any, depth: int) -> None:
    if not isinstance(resources, pikepdf.Dictionary) or depth > 4:
        return
    for kind in sorted(resources.keys()):
        table = resources[kind]
        if not isinstance(table, pikepdf.Dictionary):
            h.update(f"{kind}={table!r}".encode())
            continue
        for name in sorted(table.keys()):
            h.update(f"{kind}{name}".encode())
            if kind != "/Font":
                _digest_object(table[name], h, depth + 1)


def _digest_object(obj: object, h: Any, depth: int) -> None:
    if depth > 6:
        return
    if isinstance(obj, pikepdf.Stream):
        h.update(hashlib.sha256(obj.read_raw_bytes()).digest())
    if isinstance(obj, pikepdf.Stream | pikepdf.Dictionary):
        for key in sorted(obj.keys()):
            if key in ("/Length", "/Parent"):
                continue
            h.update(key.encode())
            if key == "/Resources":
                _digest_resources(obj[key], h, depth + 1)
            else:
                _digest_object(obj[key], h, depth + 1)
    elif isinstance(obj, pikepdf.Array):
        for item in obj:
            _digest_object(item, h, depth + 1)
    else:
        h.update(repr(obj).encode())


# -- where the photos are


@dataclass(frozen=True)
class Placement:
    """A photo (or ad artwork) on a page."""

    page: int
    box: Box
    size_mm: tuple[int, int]  # its slot's, rounded as findings give it


def photo_index(sections: list[tuple[list[Slot], list[PageRef]]]) -> dict[Path, list[Placement]]:
    """Where each slot's photo is, section by section: an image of the section with the
    prepared photo's pixel size (the slots are taken in the order they are placed, so two
    photos of one size are told apart), else one drawn at its slot's size."""
    found: dict[Path, list[Placement]] = {}
    for slots, pages in sections:
        unused = list(slots)
        for ref in pages:
            if not unused:
                break
            for rect, px in ref.section.images(ref.index):
                slot = _slot_of(unused, px, rect)
                if slot is None:
                    continue
                unused.remove(slot)
                size = (round(slot.request.width_mm), round(slot.request.height_mm))
                found.setdefault(slot.request.source, []).append(
                    Placement(ref.number, ref.box(rect), size)
                )
    return found


def _slot_of(slots: list[Slot], px: tuple[int, int], rect: Rect) -> Slot | None:
    left, bottom, right, top = rect
    by_size = None
    for slot in slots:
        req = slot.request
        if all(slot.source_px) and px == req.target_px(*slot.source_px):
            return slot
        # Drawn at its slot's size (a bleeding photo reaches 3 mm further on each side).
        w, h = req.width_mm * MM, req.height_mm * MM
        if by_size is None and abs(right - left - w) < 7 * MM and abs(top - bottom - h) < 7 * MM:
            by_size = slot
    return by_size


# -- how full the columns are


def columns(ref: PageRef, layout: Layout) -> list[tuple[float, float]]:
    """The x ranges of the page's text columns (margins mirrored: odd pages are right-hand
    pages, bound on their left)."""
    g = layout.page
    x = ref.trim[0] + (g.inside if ref.number % 2 else g.outside) * MM
    w = layout.column_width * MM
    step = w + g.gutter * MM
    return [(x + k * step, x + k * step + w) for k in range(g.columns)]


def column_lines(ref: PageRef, layout: Layout) -> list[list[float]]:
    """Per column, the bottoms of the text lines inside the text area (running heads,
    folios and display type left out)."""
    _, tb, _, tt = ref.trim
    top, foot = tt - layout.page.top * MM, tb + layout.page.bottom * MM
    cols = columns(ref, layout)
    out: list[list[float]] = [[] for _ in cols]
    for left, low, right, high in ref.section.text_rects(ref.index):
        if high > top + 1 or low < foot - 1 or high - low > 2 * layout.page.baseline:
            continue
        mid = (left + right) / 2
        for k, (x0, x1) in enumerate(cols):
            if x0 - 2 <= mid <= x1 + 2:
                out[k].append(low)
                break
    return out


def lines_on(ref: PageRef, layout: Layout) -> int:
    """Lines of text in the page's columns (one per baseline and column)."""
    step = layout.page.baseline / 2
    return sum(len({round(b / step) for b in col}) for col in column_lines(ref, layout))


def free_lines(ref: PageRef, layout: Layout) -> int:
    """Empty lines under the text of each column, down to the foot of the text area or to
    the top of a picture under the text (a half-page ad, a photo)."""
    _, tb, _, tt = ref.trim
    foot, top = tb + layout.page.bottom * MM, tt - layout.page.top * MM
    images = [rect for rect, _ in ref.section.images(ref.index)]
    free = 0
    for (x0, x1), bottoms in zip(columns(ref, layout), column_lines(ref, layout), strict=True):
        lowest = min(bottoms) if bottoms else top
        floor = foot
        for left, _, right, high in images:
            if right > x0 + 2 and left < x1 - 2 and high <= lowest + 1:
                floor = max(floor, high)
        free += max(0, int((lowest - floor) // layout.page.baseline))
    return free


def column_capacity(layout: Layout) -> int:
    """Lines a full column of the text area holds."""
    return int(layout.text_height * MM // layout.page.baseline)
