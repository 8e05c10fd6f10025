"""Imposition for office proofs: a built PDF as a saddle-stitched booklet, or n-up sheets.

The booklet puts two pages side by side on a landscape sheet, in the order that a
stack of sheets printed on both sides (duplex, flip on the short edge), folded once
and stapled in the fold, reads 1, 2, 3, ...: sheet 1 carries N | 1 on its front and
2 | N-1 on its back, sheet 2 carries N-2 | 3 and 4 | N-3, and so on, N being the page
count padded with blank pages to a multiple of 4. Each page is placed as a form
XObject, untouched: only its trim shows (bleed and marks are clipped away), or, with
`bleed`, its bleed as well on the three sides away from the fold (the fold has none).
Pages are never enlarged; on a sheet smaller than two pages they are scaled to fit.

Creep: the inner sheets of a folded stack stick out at the face and lose more there
when the booklet is trimmed. `creep_mm` shifts the pages of each sheet towards the
fold by an amount growing evenly from 0 on the outermost sheet to `creep_mm` on the
innermost, measured on the sheet, so that the face margins come out even after
trimming. What moves past the fold is cut off at the fold.

`impose_nup` puts 4 or 8 pages on each sheet in reading order, framed, each with a
small page number and the issue's title at the head of the sheet: proof sheets for
reading the issue through, not for folding.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pikepdf

from edition.errors import EditionError, Finding
from edition.proof.source import open_for_structure
from edition.share import share_dir
from edition.store.atomic import atomic_write_bytes

MM = 72 / 25.4
# Sheets as they lie in the printer's output, landscape, in mm.
SHEETS: dict[str, tuple[float, float]] = {
    "A3": (420, 297),
    "A4": (297, 210),
    "SRA3": (450, 320),
    "tabloid": (431.8, 279.4),
    "letter": (279.4, 215.9),
}
SHEET_ALIASES = {"ledger": "tabloid", "11x17": "tabloid"}
NUP_CHOICES = (4, 8)
MAX_CREEP_MM = 10.0
LABEL_FONT = "Inter-Medium.otf"
FRAME_GREY = 0.6  # DeviceGray of the hairlines around n-up pages and of fold marks
LABEL_GREY = 0.35

Box = tuple[float, float, float, float]
Matrix = tuple[float, float, float, float, float, float]
Side = tuple[int, int]


@dataclass(frozen=True)
class Imposition:
    """What an imposition wrote."""

    path: Path
    sheets: int  # sheets of paper
    sides: int  # pages of the imposed PDF: two per sheet for a booklet, one for n-up
    pages: int  # source pages placed, blanks included
    blanks: int  # blank pages added to make a booklet's count a multiple of 4
    scale: float  # of the source pages on the sheet (1.0: actual size)


def booklet_sides(pages: int) -> list[Side]:
    """(left, right) page numbers of each printed side, in printing order (front then
    back of sheet 1, then of sheet 2, ...), for a booklet of `pages` padded to a
    multiple of 4. Numbers beyond the document are blank pages."""
    total = pages + (-pages) % 4
    sides: list[Side] = []
    for k in range(total // 4):
        sides.append((total - 2 * k, 1 + 2 * k))  # front
        sides.append((2 + 2 * k, total - 1 - 2 * k))  # back
    return sides


def creep_shifts(sheets: int, creep_mm: float) -> list[float]:
    """How far (mm) the pages of each sheet, outermost first, move towards the fold."""
    if sheets < 2:
        return [0.0] * sheets
    return [creep_mm * k / (sheets - 1) for k in range(sheets)]


def impose_booklet(
    src: Path,
    dest: Path,
    *,
    sheet: str = "A3",
    creep_mm: float = 0.0,
    bleed: bool = False,
    margin_mm: float = 0.0,
) -> Imposition:
    """Write `src` as a saddle-stitch booklet on `sheet` to `dest` (the source is only
    read). `margin_mm` keeps that much of the sheet's edge free, for printers that
    cannot print to the edge; pages shrink to fit inside it."""
    size, findings = _check_sheet(sheet)
    findings += _check_output(src, dest)
    if not 0 <= creep_mm <= MAX_CREEP_MM or math.isnan(creep_mm):
        findings.append(
            Finding(
                f"a creep of {creep_mm} mm is out of range",
                None,
                f"use 0 to {MAX_CREEP_MM:g} mm (0.1 to 1 mm is usual)",
                "usage.creep",
            )
        )
    findings += _check_margin(margin_mm, size or (210, 210))
    if findings or size is None:
        raise EditionError(findings)
    sheet_w, sheet_h = size[0] * MM, size[1] * MM
    with open_for_structure(src) as source:
        out = pikepdf.new()
        forms = [_Form.of(out, page, bleed) for page in source.pages]
        if not forms:
            raise _no_pages(src)
        first = forms[0]
        room_w, room_h = sheet_w - 2 * margin_mm * MM, sheet_h - 2 * margin_mm * MM
        need_w = 2 * first.width + 2 * first.outside[0]  # the face sides' bleed
        need_h = first.height + first.outside[1] + first.outside[3]
        scale = _actual_size_or_less(room_w / need_w, room_h / need_h)
        sides = booklet_sides(len(forms))
        shifts = creep_shifts(len(sides) // 2, creep_mm)
        spine = sheet_w / 2
        for i, (left, right) in enumerate(sides):
            shift = shifts[i // 2] * MM
            ops: list[str] = []
            resources: dict[str, pikepdf.Object] = {}
            for number, on_left in ((left, True), (right, False)):
                if number > len(forms):
                    continue  # a blank page
                form = forms[number - 1]
                w, h = form.width * scale, form.height * scale
                x = spine - w + shift if on_left else spine - shift
                y = (sheet_h - h) / 2
                half = (0, 0, spine, sheet_h) if on_left else (spine, 0, sheet_w, sheet_h)
                name = f"/P{number}"
                resources[name] = form.xobject
                ops.append(form.place(name, (x, y), scale, clip=half))
            ops.append(_fold_marks(spine, sheet_h, first, scale))
            _add_sheet(out, (sheet_w, sheet_h), ops, resources)
        _copy_title(source, out)
        _save(out, dest)
    return Imposition(
        dest, len(sides) // 2, len(sides), len(sides) * 2, len(sides) * 2 - len(forms), scale
    )


def impose_nup(
    src: Path,
    dest: Path,
    *,
    nup: int = 4,
    sheet: str = "A4",
    margin_mm: float = 10.0,
    title: str | None = None,
) -> Imposition:
    """Write `src` as proof sheets of `nup` (4 or 8) pages each, in reading order, to
    `dest` (the source is only read). The sheet turns to whichever orientation holds
    the pages largest. Each sheet is headed by `title` (else the PDF's title, else
    its file name) and the pages it shows."""
    size, findings = _check_sheet(sheet)
    findings += _check_output(src, dest)
    if nup not in NUP_CHOICES:
        findings.append(
            Finding(
                f"{nup} pages per sheet is not offered",
                None,
                f"use one of: {', '.join(map(str, NUP_CHOICES))}",
                "usage.nup",
            )
        )
    findings += _check_margin(margin_mm, size or (210, 210))
    if findings or size is None:
        raise EditionError(findings)
    with open_for_structure(src) as source:
        out = pikepdf.new()
        forms = [_Form.of(out, page, bleed=False) for page in source.pages]
        if not forms:
            raise _no_pages(src)
        heading = title or _title(source) or src.stem
        grid = _NupGrid.fit(nup, size, margin_mm, forms[0])
        count = len(forms)
        sheets = math.ceil(count / nup)
        for s in range(sheets):
            ops = [_text(heading, grid.margin, grid.head_y, 8, "left", LABEL_GREY)]
            numbers = range(s * nup + 1, min(count, (s + 1) * nup) + 1)
            ops.append(
                _text(
                    f"{numbers[0]}\u2013{numbers[-1]} / {count}",
                    grid.width - grid.margin,
                    grid.head_y,
                    8,
                    "right",
                    LABEL_GREY,
                )
            )
            resources: dict[str, pikepdf.Object] = {}
            for k, number in enumerate(numbers):
                form = forms[number - 1]
                x, y = grid.cell_origin(k)
                w, h = form.width * grid.scale, form.height * grid.scale
                x += (grid.cell_w - w) / 2
                y += grid.label_h + (grid.cell_h - h) / 2
                name = f"/P{number}"
                resources[name] = form.xobject
                ops.append(form.place(name, (x, y), grid.scale))
                ops.append(f"q {FRAME_GREY} G 0.3 w {x:.3f} {y:.3f} {w:.3f} {h:.3f} re S Q")
                ops.append(_text(str(number), x + w / 2, y - 3.2 * MM, 7, "centre", LABEL_GREY))
            _add_sheet(out, (grid.width, grid.height), ops, resources)
        _copy_title(source, out)
        _save(out, dest)
    return Imposition(dest, sheets, sheets, count, 0, grid.scale)


def sheet_size(name: str) -> tuple[float, float]:
    """The landscape size (mm) of the sheet called `name` (any case), or a
    `usage.sheet` error naming the sheets offered."""
    key = name.strip().lower()
    key = SHEET_ALIASES.get(key, key)
    for known, size in SHEETS.items():
        if known.lower() == key:
            return size
    raise EditionError(
        [
            Finding(
                f"unknown sheet '{name}'", None, f"use one of: {', '.join(SHEETS)}", "usage.sheet"
            )
        ]
    )


# -- placing pages


@dataclass(frozen=True)
class _Form:
    """A source page as a form XObject of the output, and where its trim lies in it."""

    xobject: pikepdf.Object
    trim: Box  # in the form's outer space (its /Matrix applied: /Rotate turned)
    shown: Box  # the part that may show: the trim, or the trim and bleed

    @classmethod
    def of(cls, out: pikepdf.Pdf, page: pikepdf.Page, bleed: bool) -> _Form:
        """`page` made a form XObject of `out`, clipped to its trim (or bleed box)."""
        visible = _intersect(_box(page.cropbox), _box(page.mediabox)) or _box(page.mediabox)
        trim = _intersect(_box(page.trimbox), visible) or visible
        shown = (_intersect(_box(page.bleedbox), visible) or trim) if bleed else trim
        form = page.as_form_xobject(handle_transformations=True)
        form.BBox = pikepdf.Array(shown)
        a, b, c, d, e, f = (float(v) for v in form.get("/Matrix", [1, 0, 0, 1, 0, 0]))
        matrix = (a, b, c, d, e, f)
        return cls(out.copy_foreign(form), _transform(matrix, trim), _transform(matrix, shown))

    @property
    def width(self) -> float:
        return self.trim[2] - self.trim[0]

    @property
    def height(self) -> float:
        return self.trim[3] - self.trim[1]

    @property
    def outside(self) -> Box:
        """How far what shows reaches beyond the trim: left, bottom, right, top."""
        return (
            self.trim[0] - self.shown[0],
            self.trim[1] - self.shown[1],
            self.shown[2] - self.trim[2],
            self.shown[3] - self.trim[3],
        )

    def place(
        self, name: str, at: tuple[float, float], scale: float, clip: Box | None = None
    ) -> str:
        """Content that draws this page at `scale` with its trim's lower left at `at`."""
        tx, ty = at[0] - scale * self.trim[0], at[1] - scale * self.trim[1]
        cut = ""
        if clip is not None:
            x0, y0, x1, y1 = clip
            cut = f"{x0:.3f} {y0:.3f} {x1 - x0:.3f} {y1 - y0:.3f} re W n "
        return f"q {cut}{scale:.6f} 0 0 {scale:.6f} {tx:.3f} {ty:.3f} cm {name} Do Q"


def _actual_size_or_less(*fits: float) -> float:
    """The largest scale that fits, never above 1; a hair below 1 (A3 holds two A4
    pages but for the rounding of their boxes) is 1."""
    scale = min(1.0, *fits)
    return 1.0 if scale > 0.9999 else scale


def _fold_marks(spine: float, sheet_h: float, page: _Form, scale: float) -> str:
    """Short hairlines on the fold above and below the pages, where the sheet has room."""
    h = page.height * scale
    y_top = (sheet_h + h) / 2 + page.outside[3] * scale
    y_bottom = (sheet_h - h) / 2 - page.outside[1] * scale
    gap, length = 2 * MM, 5 * MM
    lines = []
    if sheet_h - y_top >= gap + 2 * MM:
        end = min(sheet_h, y_top + gap + length)
        lines.append(f"{spine:.3f} {y_top + gap:.3f} m {spine:.3f} {end:.3f} l S")
    if y_bottom >= gap + 2 * MM:
        end = max(0.0, y_bottom - gap - length)
        lines.append(f"{spine:.3f} {y_bottom - gap:.3f} m {spine:.3f} {end:.3f} l S")
    return f"q {FRAME_GREY} G 0.3 w {' '.join(lines)} Q" if lines else ""


def _add_sheet(
    out: pikepdf.Pdf, size: tuple[float, float], ops: list[str], xobjects: dict[str, pikepdf.Object]
) -> None:
    page = out.add_blank_page(page_size=size)
    page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(xobjects))
    page.obj.Contents = out.make_stream("\n".join(op for op in ops if op).encode())


@dataclass(frozen=True)
class _NupGrid:
    """Cells for n-up pages on one sheet, each with room for a page number below."""

    width: float
    height: float
    cols: int
    rows: int
    scale: float
    cell_w: float
    cell_h: float
    margin: float
    gap: float
    label_h: float
    head_h: float  # the sheet's heading, above the cells

    @classmethod
    def fit(cls, nup: int, size_mm: tuple[float, float], margin_mm: float, page: _Form) -> _NupGrid:
        margin, gap, label_h, head_h = margin_mm * MM, 5 * MM, 6 * MM, 8 * MM
        best: _NupGrid | None = None
        for w_mm, h_mm in (size_mm, size_mm[::-1]):
            width, height = w_mm * MM, h_mm * MM
            for cols in (c for c in range(1, nup + 1) if nup % c == 0):
                rows = nup // cols
                cell_w = (width - 2 * margin - (cols - 1) * gap) / cols
                cell_h = (height - 2 * margin - head_h - (rows - 1) * gap) / rows - label_h
                scale = _actual_size_or_less(cell_w / page.width, cell_h / page.height)
                if scale > 0 and (best is None or scale > best.scale + 1e-9):
                    best = cls(
                        width,
                        height,
                        cols,
                        rows,
                        scale,
                        cell_w,
                        cell_h,
                        margin,
                        gap,
                        label_h,
                        head_h,
                    )
        if best is None:
            raise EditionError(
                [
                    Finding(
                        "the margin leaves no room for the pages",
                        None,
                        "use a smaller margin",
                        "usage.margin",
                    )
                ]
            )
        return best

    @property
    def head_y(self) -> float:
        """Baseline of the sheet's heading."""
        return self.height - self.margin - 2.5 * MM

    def cell_origin(self, k: int) -> tuple[float, float]:
        """Lower left of cell `k` (reading order: rows from the top, left to right),
        label strip included."""
        row, col = divmod(k, self.cols)
        x = self.margin + col * (self.cell_w + self.gap)
        top = self.height - self.margin - self.head_h
        y = top - (row + 1) * (self.cell_h + self.label_h) - row * self.gap
        return x, y


# -- small page numbers and headings, drawn as outlines of Inter


@cache
def _label_font() -> Any:
    from fontTools.ttLib import TTFont

    return TTFont(share_dir("assets") / "fonts" / LABEL_FONT)


def _text(text: str, x: float, y: float, size: float, align: str, grey: float) -> str:
    """Content that fills `text` in Inter at `size` pt, its baseline at `y`, aligned
    left, centre or right on `x`. Glyphs are outlines: no font to embed, nothing to
    substitute, and proofs print the same everywhere."""
    from fontTools.pens.basePen import BasePen
    from fontTools.pens.transformPen import TransformPen

    font = _label_font()
    glyphs, cmap = font.getGlyphSet(), font.getBestCmap()
    scale = size / font["head"].unitsPerEm
    names = [cmap.get(ord(ch)) or cmap.get(ord("?")) for ch in text]
    advance = sum(glyphs[n].width for n in names) * scale
    x -= {"left": 0.0, "centre": advance / 2, "right": advance}[align]
    ops: list[str] = []

    class PathPen(BasePen):  # type: ignore[misc]
        def _moveTo(self, p: tuple[float, float]) -> None:
            ops.append(f"{p[0]:.2f} {p[1]:.2f} m")

        def _lineTo(self, p: tuple[float, float]) -> None:
            ops.append(f"{p[0]:.2f} {p[1]:.2f} l")

        def _curveToOne(
            self, a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]
        ) -> None:
            ops.append(f"{a[0]:.2f} {a[1]:.2f} {b[0]:.2f} {b[1]:.2f} {c[0]:.2f} {c[1]:.2f} c")

        def _closePath(self) -> None:
            ops.append("h")

    pen = PathPen(glyphs)
    for name in names:
        glyphs[name].draw(TransformPen(pen, (scale, 0, 0, scale, x, y)))
        x += glyphs[name].width * scale
    return f"q {grey} g {' '.join(ops)} f Q" if ops else ""


# -- the document


def _check_sheet(name: str) -> tuple[tuple[float, float] | None, list[Finding]]:
    try:
        return sheet_size(name), []
    except EditionError as exc:
        return None, exc.findings


def _check_output(src: Path, dest: Path) -> list[Finding]:
    if dest.resolve() == src.resolve():
        return [
            Finding(
                "the imposed PDF would replace the PDF it is made from",
                None,
                "write it to another file",
                "usage.output",
            )
        ]
    return []


def _no_pages(src: Path) -> EditionError:
    return EditionError.single("the PDF has no pages to impose", src, code="input.pdf")


def _check_margin(margin_mm: float, size: tuple[float, float]) -> list[Finding]:
    if not 0 <= margin_mm < min(size) / 4 or math.isnan(margin_mm):
        return [
            Finding(
                f"a margin of {margin_mm} mm is out of range",
                None,
                f"use 0 to {min(size) / 4:g} mm",
                "usage.margin",
            )
        ]
    return []


def _title(pdf: pikepdf.Pdf) -> str | None:
    title = pdf.docinfo.get("/Title")
    if title is None:
        return None
    return " ".join(str(title).split()) or None


def _copy_title(source: pikepdf.Pdf, out: pikepdf.Pdf) -> None:
    title = _title(source)
    if title:
        out.docinfo["/Title"] = title


def _save(out: pikepdf.Pdf, dest: Path) -> None:
    buf = io.BytesIO()
    out.save(buf, deterministic_id=True)
    atomic_write_bytes(dest, buf.getvalue())


def _box(values: Any) -> Box:
    x0, y0, x1, y1 = (float(v) for v in values)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _intersect(a: Box, b: Box) -> Box | None:
    box = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    return box if box[0] < box[2] and box[1] < box[3] else None


def _transform(m: Matrix, box: Box) -> Box:
    """The axis-aligned box around `box` mapped through the PDF matrix `m`."""
    xs, ys = [], []
    for x in (box[0], box[2]):
        for y in (box[1], box[3]):
            xs.append(m[0] * x + m[2] * y + m[4])
            ys.append(m[1] * x + m[3] * y + m[5])
    return min(xs), min(ys), max(xs), max(ys)
