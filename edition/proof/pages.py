"""Page and spread proofs: PNG images of a built PDF, cut to the trim, to pin on the wall.

Any edition will do. A print PDF's bleed and crop marks lie outside its TrimBox and
are cut away; a PDF without a TrimBox is shown as its CropBox (else MediaBox) shows it.
Spreads pair the pages as the bound magazine does: page 1 alone on the right, then
2-3, 4-5, ..., and an even last page alone on the left. The empty side of such a
spread is pasteboard grey, so that it is not mistaken for a blank white page, and a
faint hairline marks the fold where two pages meet.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image

from edition.errors import EditionError, Finding
from edition.proof.source import open_for_rendering
from edition.store.atomic import atomic_write_bytes

DEFAULT_DPI = 100
MIN_DPI, MAX_DPI = 10, 1200
PASTEBOARD = (226, 226, 226)  # where a spread has no page
FOLD_SHADE = 0.22  # the fold hairline: this much black over whatever the pages show there
RANGE_HINT = "write pages like 5, 5-12, 30- (to the end) or 1,3,5-7"

Spread = tuple[int | None, int | None]
Progress = Callable[[int, int], None]  # (files done, files in all)
Box = tuple[float, float, float, float]


def parse_pages(spec: str, count: int) -> list[int]:
    """The 1-based page numbers that `spec` names ("5-12", "1,3,5-7", "30-"), in
    ascending order, each once. Every bad part is reported, together (`usage.pages`)."""
    findings: list[Finding] = []
    pages: set[int] = set()

    def bad(message: str, hint: str = RANGE_HINT) -> None:
        findings.append(Finding(f"pages '{spec}': {message}", None, hint, "usage.pages"))

    if not spec.strip():
        bad("no page given")
    else:
        for part in (p.strip() for p in spec.split(",")):
            m = re.fullmatch(r"(\d+)(?:\s*-\s*(\d*))?", part)
            if m is None:
                bad(
                    f"'{part}' is not a page or a range of pages"
                    if part
                    else "an empty entry between commas"
                )
                continue
            first = int(m[1])
            last = first if m[2] is None else int(m[2]) if m[2] else count
            if first < 1:
                bad(f"'{part}': pages are numbered from 1")
            elif last < first:
                bad(f"'{part}' runs backwards", f"write it as {last}-{first}")
            elif last > count:
                bad(f"'{part}' goes past the last page", f"the PDF has {count} pages")
            else:
                pages.update(range(first, last + 1))
    if findings:
        raise EditionError(findings)
    return sorted(pages)


def reading_spreads(count: int) -> list[Spread]:
    """The spreads of a bound magazine of `count` pages, as (left, right) page numbers:
    (None, 1), (2, 3), ..., and (count, None) when `count` is even."""
    if count < 1:
        return []
    return [(None, 1)] + [(n, n + 1 if n < count else None) for n in range(2, count + 1, 2)]


def render_trimmed(page: pdfium.PdfPage, scale: float) -> Image.Image:
    """`page` as printed and trimmed: rendered at `scale` pixels per point, cut to its
    TrimBox, without annotations or form fields (the paper has neither)."""
    bitmap = page.render(
        scale=scale, crop=_trim_crop(page), draw_annots=False, may_draw_forms=False
    )
    return bitmap.to_pil().convert("RGB")


def trim_size(page: pdfium.PdfPage) -> tuple[float, float]:
    """Width and height of `page` trimmed, in points, as it is shown (/Rotate applied)."""
    visible = _visible(page)
    left, bottom, right, top = _trim_crop(page)
    width = visible[2] - visible[0] - left - right
    height = visible[3] - visible[1] - bottom - top
    return (height, width) if page.get_rotation() % 180 else (width, height)


def _visible(page: pdfium.PdfPage) -> Box:
    media = _box(page.get_mediabox())
    return _intersect(_box(page.get_cropbox()), media) or media


def _trim_crop(page: pdfium.PdfPage) -> Box:
    """What to cut from each side (left, bottom, right, top) of the rendered page, in
    points, to leave its TrimBox."""
    visible = _visible(page)
    trim = _intersect(_box(page.get_trimbox()), visible) or visible
    left, bottom = trim[0] - visible[0], trim[1] - visible[1]
    right, top = visible[2] - trim[2], visible[3] - trim[3]
    # PDFium crops the bitmap after /Rotate has turned the page; turn the margins with it.
    return {
        90: (bottom, right, top, left),
        180: (right, top, left, bottom),
        270: (top, left, bottom, right),
    }.get(page.get_rotation() % 360, (left, bottom, right, top))


def render_pages(
    pdf: Path,
    out_dir: Path,
    *,
    pages: str | None = None,
    dpi: int = DEFAULT_DPI,
    progress: Progress | None = None,
) -> list[Path]:
    """Write each page (or the `pages` named, e.g. "5-12") as `out_dir/p005.png`, cut to
    the trim, at `dpi`. `progress(done, total)` is called after each file. Returns the
    paths written, in page order."""
    check_dpi(dpi)
    doc = open_for_rendering(pdf)
    try:
        count = len(doc)
        wanted = parse_pages(pages, count) if pages is not None else range(1, count + 1)
        digits = _digits(count)
        written = []
        for n in wanted:
            path = out_dir / f"p{n:0{digits}d}.png"
            atomic_write_bytes(path, _png(_render(doc, n, dpi), dpi))
            written.append(path)
            if progress:
                progress(len(written), len(wanted))
        return written
    finally:
        doc.close()


def render_spreads(
    pdf: Path,
    out_dir: Path,
    *,
    pages: str | None = None,
    dpi: int = DEFAULT_DPI,
    fold_line: bool = True,
    progress: Progress | None = None,
) -> list[Path]:
    """Write each reader's spread as `out_dir/spread-004-005.png` (`spread-001.png` for
    the cover alone), cut to the trim, at `dpi`. With `pages`, only the spreads showing
    one of those pages are written, each whole. `fold_line` draws a faint hairline
    where the two pages meet. `progress(done, total)` is called after each file.
    Returns the paths written, in page order."""
    check_dpi(dpi)
    doc = open_for_rendering(pdf)
    try:
        count = len(doc)
        wanted = set(parse_pages(pages, count)) if pages is not None else None
        spreads = [s for s in reading_spreads(count) if wanted is None or set(s) & wanted]
        digits = _digits(count)
        written = []
        for left, right in spreads:
            image = compose_spread(
                _render(doc, left, dpi) if left else None,
                _render(doc, right, dpi) if right else None,
                fold_line=fold_line,
                line_width=max(1, round(dpi / 100)),
            )
            name = "-".join(f"{n:0{digits}d}" for n in (left, right) if n)
            path = out_dir / f"spread-{name}.png"
            atomic_write_bytes(path, _png(image, dpi))
            written.append(path)
            if progress:
                progress(len(written), len(spreads))
        return written
    finally:
        doc.close()


def compose_spread(
    left: Image.Image | None,
    right: Image.Image | None,
    *,
    fold_line: bool = True,
    line_width: int = 1,
) -> Image.Image:
    """Two trimmed pages side by side, touching at the fold; a missing side is
    pasteboard of the other page's size. Pages of unequal height are centred."""
    either = left or right
    if either is None:
        raise ValueError("a spread needs at least one page")
    lw = left.width if left else either.width
    rw = right.width if right else either.width
    height = max(im.height for im in (left, right) if im)
    canvas = Image.new("RGB", (lw + rw, height), PASTEBOARD)
    for image, x in ((left, 0), (right, lw)):
        if image:
            canvas.paste(image, (x, (height - image.height) // 2))
    if fold_line and left and right:
        x0 = max(0, lw - line_width // 2)
        box = (x0, 0, min(lw + rw, x0 + line_width), height)
        strip = canvas.crop(box)
        canvas.paste(Image.blend(strip, Image.new("RGB", strip.size), FOLD_SHADE), box)
    return canvas


def check_dpi(dpi: int) -> None:
    """Refuse a resolution no proof needs (`usage.dpi`)."""
    if not MIN_DPI <= dpi <= MAX_DPI:
        raise EditionError(
            [
                Finding(
                    f"a resolution of {dpi} dpi is out of range",
                    None,
                    f"use {MIN_DPI} to {MAX_DPI} dpi",
                    "usage.dpi",
                )
            ]
        )


def _render(doc: pdfium.PdfDocument, number: int, dpi: int) -> Image.Image:
    page = doc[number - 1]
    try:
        return render_trimmed(page, dpi / 72)
    finally:
        page.close()


def _png(image: Image.Image, dpi: int) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG", dpi=(dpi, dpi))  # prints at the page's own size
    return buf.getvalue()


def _digits(count: int) -> int:
    """Width of the page numbers in file names: 3, or more so that names still sort."""
    return max(3, len(str(count)))


def _box(values: tuple[float, ...]) -> Box:
    x0, y0, x1, y1 = values
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _intersect(a: Box, b: Box) -> Box | None:
    box = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    return box if box[0] < box[2] and box[1] < box[3] else None
