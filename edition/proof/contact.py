"""The contact sheet: a whole issue as a flatplan on one landscape sheet, PNG and PDF.

Every page is a thumbnail cut to the trim, laid out in reader's spreads as a flatplan
is drawn (page 1 alone on the right of the first row). Under each page: its number
and the section it belongs to, read from the PDF's bookmarks. A page belongs to the
innermost bookmark whose range covers it; a range runs from the bookmark's page to
the page before the next bookmark begins. The bookmarks do not know where the ads
are, so a page that begins no bookmark and says it is an advertisement (an "Iklan"
label line, as every ad page of the magazine carries, and little other text) is
labelled as an ad instead of as the article before it. A colour bar under the
pages, one colour per top-level section, shows at a glance where each one runs.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFont

from edition.errors import EditionError, Finding
from edition.proof.pages import check_dpi, reading_spreads, render_trimmed, trim_size
from edition.proof.source import open_for_rendering, open_for_structure
from edition.share import share_dir
from edition.store.atomic import atomic_write_bytes

MM_PER_INCH = 25.4
PAPERS: dict[str, tuple[float, float]] = {"A3": (420, 297), "A4": (297, 210)}  # landscape, mm
DEFAULT_PAPER = "A3"
DEFAULT_DPI = 200  # sharp enough to read 6 pt labels on the printed sheet

INK = (30, 30, 30)
MUTED = (120, 120, 120)
FAINT = (165, 165, 165)
FRAME = (196, 196, 196)
AD_GREY = (150, 150, 150)
# One colour per top-level section, in order of appearance: distinct, quiet, good on paper.
SECTION_COLOURS = [
    (31, 78, 121),
    (192, 57, 43),
    (46, 125, 50),
    (211, 120, 20),
    (106, 27, 154),
    (0, 131, 143),
    (141, 110, 99),
    (173, 20, 87),
    (84, 110, 122),
    (130, 130, 30),
]
AD_WORDS = ("IKLAN", "ADVERTISEMENT", "ADVERTORIAL", "SPONSORED")
AD_TEXT_LIMIT = 800  # characters (spaces aside): more than an ad's own copy holds
SEPARATOR = " \u203a "

WORDS = {
    "id": {"ad": "Iklan", "pages": "halaman", "from": "dari"},
    "en": {"ad": "Advertisement", "pages": "pages", "from": "from"},
}


@dataclass(frozen=True)
class PageLabel:
    """What a page belongs to, as the flatplan names it."""

    number: int  # 1-based
    path: tuple[str, ...]  # outermost bookmark first, e.g. ("Laporan Utama", "Menjaga ...")
    starts: bool = False  # a bookmark begins on this page
    ad: bool = False  # the page says it is an advertisement (its path is then the ad word)

    @property
    def text(self) -> str:
        return SEPARATOR.join(self.path)


def page_labels(pdf: Path) -> list[PageLabel]:
    """The label of every page of `pdf`, from its bookmarks and, for ads, its text."""
    doc = open_for_rendering(pdf)
    try:
        with open_for_structure(pdf) as structure:
            return _labels(structure, doc)
    finally:
        doc.close()


def contact_sheet(
    pdf: Path,
    *,
    paper: str = DEFAULT_PAPER,
    dpi: int = DEFAULT_DPI,
    title: str | None = None,
) -> Image.Image:
    """The contact sheet of `pdf` on `paper` (A3 or A4, landscape) at `dpi`. The header
    names the issue (`title`, else the PDF's title, else its file name)."""
    return _draw(pdf, paper, dpi, title)[0]


def write_contact_sheet(
    pdf: Path,
    out_dir: Path,
    *,
    paper: str = DEFAULT_PAPER,
    dpi: int = DEFAULT_DPI,
    title: str | None = None,
) -> list[Path]:
    """Write the contact sheet of `pdf` as `out_dir/contact.png` and as a one-page
    `out_dir/contact.pdf` of the paper's size. Returns both paths."""
    image, heading = _draw(pdf, paper, dpi, title)
    png, sheet_pdf = out_dir / "contact.png", out_dir / "contact.pdf"
    buf = io.BytesIO()
    image.save(buf, format="PNG", dpi=(dpi, dpi))
    atomic_write_bytes(png, buf.getvalue())
    atomic_write_bytes(sheet_pdf, _one_page_pdf(image, _paper(paper), heading))
    return [png, sheet_pdf]


def _draw(pdf: Path, paper: str, dpi: int, title: str | None) -> tuple[Image.Image, str]:
    size_mm = _paper(paper)
    check_dpi(dpi)
    doc = open_for_rendering(pdf)
    try:
        with open_for_structure(pdf) as structure:
            labels = _labels(structure, doc)
            words = _words(structure)
            heading = title or _title(structure) or pdf.stem
        return _Sheet(doc, labels, size_mm, dpi, words).draw(heading, pdf.name), heading
    finally:
        doc.close()


# -- labels


def _labels(structure: pikepdf.Pdf, doc: pdfium.PdfDocument) -> list[PageLabel]:
    count = len(doc)
    entries = sorted(_bookmarks(structure), key=lambda e: e[0])  # stable: parents first
    starts = {page for page, _ in entries}
    ad_word = _words(structure)["ad"]
    labels: list[PageLabel] = []
    k = 0
    path: tuple[str, ...] = ()
    for index in range(count):
        while k < len(entries) and entries[k][0] <= index:
            path = entries[k][1]
            k += 1
        begins = index in starts
        if not begins and _says_ad(_page_text(doc, index)):
            labels.append(PageLabel(index + 1, (ad_word,), ad=True))
        else:
            labels.append(PageLabel(index + 1, path, starts=begins))
    return labels


def _bookmarks(pdf: pikepdf.Pdf) -> list[tuple[int, tuple[str, ...]]]:
    """(0-based page, path of titles) of every bookmark that points into `pdf`, in
    outline order (a parent before its children)."""
    index = {page.obj.objgen: i for i, page in enumerate(pdf.pages)}
    found: list[tuple[int, tuple[str, ...]]] = []

    def walk(items: list[pikepdf.OutlineItem], parent: tuple[str, ...]) -> None:
        for item in items:
            path = (*parent, " ".join(str(item.title or "").split()))
            page = _destination_page(pdf, item, index)
            if page is not None:
                found.append((page, path))
            walk(item.children, path)

    try:
        with pdf.open_outline(max_depth=8) as outline:
            walk(outline.root, ())
    except pikepdf.OutlineStructureError:
        pass  # a looping outline: keep what was read before the loop
    return found


def _destination_page(
    pdf: pikepdf.Pdf,
    item: pikepdf.OutlineItem,
    index: dict[tuple[int, int], int],
) -> int | None:
    dest: pikepdf.Object | int | None = item.destination
    action = item.action
    if dest is None and action is not None and action.get("/S") == pikepdf.Name.GoTo:
        dest = action.get("/D")
    if isinstance(dest, (pikepdf.String, pikepdf.Name)):
        dest = _named_destination(pdf, dest)
    if isinstance(dest, pikepdf.Dictionary):
        dest = dest.get("/D")
    if not isinstance(dest, pikepdf.Array) or len(dest) == 0:
        return None
    target = dest[0]
    if isinstance(target, pikepdf.Dictionary):
        return index.get(target.objgen)
    if isinstance(target, int) and 0 <= target < len(pdf.pages):
        return target
    return None


def _named_destination(pdf: pikepdf.Pdf, name: pikepdf.Object) -> pikepdf.Object | None:
    key = str(name)
    names = pdf.Root.get("/Names")
    if isinstance(names, pikepdf.Dictionary) and "/Dests" in names:
        tree = pikepdf.NameTree(names.Dests)
        if key in tree:
            return tree[key]
    dests = pdf.Root.get("/Dests")
    if isinstance(dests, pikepdf.Dictionary):
        return dests.get("/" + key.lstrip("/"))
    return None


def _page_text(doc: pdfium.PdfDocument, index: int) -> str:
    page = doc[index]
    try:
        textpage = page.get_textpage()
        try:
            return str(textpage.get_text_bounded())
        finally:
            textpage.close()
    finally:
        page.close()


def _says_ad(text: str) -> bool:
    """An ad page: one of its lines is an ad label (letter-spacing ignored) and the
    rest of its text is too short to be editorial."""
    if len(re.sub(r"\s", "", text)) > AD_TEXT_LIMIT:
        return False
    for line in text.splitlines():
        squeezed = re.sub(r"\s", "", line).upper()
        if any(squeezed == w or squeezed.startswith(w + "LAYANAN") for w in AD_WORDS):
            return True
    return False


def _words(pdf: pikepdf.Pdf) -> dict[str, str]:
    """The sheet's own words in the language of the PDF (/Lang), Indonesian unless it
    says otherwise: the magazine's language."""
    lang = pdf.Root.get("/Lang")
    english = lang is not None and not str(lang).lower().startswith("id")
    return WORDS["en" if english else "id"]


def _title(pdf: pikepdf.Pdf) -> str | None:
    title = pdf.docinfo.get("/Title")
    if title is not None and str(title).strip():
        return " ".join(str(title).split())
    return None


def _paper(name: str) -> tuple[float, float]:
    for known, size in PAPERS.items():
        if known.lower() == name.strip().lower():
            return size
    raise EditionError(
        [
            Finding(
                f"unknown paper '{name}' for the contact sheet",
                None,
                f"use one of: {', '.join(PAPERS)}",
                "usage.paper",
            )
        ]
    )


# -- drawing


@cache
def _font(name: str, px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(share_dir("assets") / "fonts" / name), px)


class _Sheet:
    """One contact sheet being drawn; every length is in pixels unless it says mm."""

    def __init__(
        self,
        doc: pdfium.PdfDocument,
        labels: list[PageLabel],
        size_mm: tuple[float, float],
        dpi: int,
        words: dict[str, str],
    ) -> None:
        self.doc, self.labels, self.dpi, self.words = doc, labels, dpi, words
        self.width, self.height = (round(v / MM_PER_INCH * dpi) for v in size_mm)
        self.type_scale = min(1.0, size_mm[0] / PAPERS["A3"][0])  # smaller paper, smaller head
        self.colours = self._section_colours()
        self.aspect = 210 / 297
        if len(doc):
            first = doc[0]
            trim_w, trim_h = trim_size(first)
            self.aspect = trim_w / trim_h
            first.close()

    def px(self, mm: float) -> int:
        return round(mm / MM_PER_INCH * self.dpi)

    def pt(self, points: float) -> int:
        return max(1, round(points / 72 * self.dpi))

    def draw(self, heading: str, source: str) -> Image.Image:
        sheet = Image.new("RGB", (self.width, self.height), "white")
        pen = ImageDraw.Draw(sheet)
        margin = self.px(12)
        title_font = _font("InterDisplay-Bold.otf", self.pt(22 * self.type_scale))
        title_h = -round(title_font.getbbox(heading, anchor="ls")[1])  # above the baseline
        info_drop = self.pt(15 * self.type_scale)  # title baseline to info baseline
        rule_drop = self.pt(7 * self.type_scale)  # info baseline to the rule
        header_h = title_h + info_drop + rule_drop
        gap = self.px(7 * self.type_scale)
        spreads = reading_spreads(len(self.labels))
        area_w = self.width - 2 * margin
        area_h = self.height - 2 * margin - header_h - gap
        grid = _Grid.fit(self, len(spreads), area_w, area_h)
        # Header and grid form one block, centred on the sheet: the header spans the
        # grid's width, so that title, rule and pages share their left and right edges.
        x0 = margin + (area_w - grid.width) // 2
        y0 = margin + max(0, (area_h - grid.height) // 2)
        right = x0 + grid.width
        baseline = y0 + title_h
        pen.text((x0, baseline), heading, font=title_font, fill=INK, anchor="ls")
        info_font = _font("Inter-Regular.otf", self.pt(9 * self.type_scale))
        count = f"{len(self.labels)} {self.words['pages']}"
        pen.text((x0, baseline + info_drop), count, font=info_font, fill=MUTED, anchor="ls")
        pen.text((right, baseline + info_drop), source, font=info_font, fill=MUTED, anchor="rs")
        rule_y = y0 + header_h
        pen.line([(x0, rule_y), (right, rule_y)], fill=INK, width=self.pt(0.75))
        self._spreads(sheet, pen, spreads, grid, (x0, rule_y + gap))
        return sheet

    def _spreads(
        self,
        sheet: Image.Image,
        pen: ImageDraw.ImageDraw,
        spreads: list[tuple[int | None, int | None]],
        grid: _Grid,
        origin: tuple[int, int],
    ) -> None:
        for i, (left, right) in enumerate(spreads):
            row, col = divmod(i, grid.per_row)
            x = origin[0] + col * (2 * grid.page_w + grid.gap_x)
            y = origin[1] + row * (grid.page_h + grid.label_h + grid.gap_y)
            for number, page_x in ((left, x), (right, x + grid.page_w)):
                if number is not None:
                    self._page(sheet, pen, number, page_x, y, grid)
            if left is not None and right is not None:
                fold = x + grid.page_w
                pen.line([(fold, y), (fold, y + grid.page_h - 1)], fill=FRAME, width=1)

    def label_height(self, text_pt: float) -> int:
        """Bar, space, then three lines: folio and section, and a two-line title."""
        return self.px(1.2) + self.pt(3) + 3 * self.pt(text_pt * 1.3)

    def _page(
        self,
        sheet: Image.Image,
        pen: ImageDraw.ImageDraw,
        number: int,
        x: int,
        y: int,
        grid: _Grid,
    ) -> None:
        w, h, text_pt = grid.page_w, grid.page_h, grid.text_pt
        page = self.doc[number - 1]
        try:
            trim_w, trim_h = trim_size(page)
            thumb = render_trimmed(page, min(w / trim_w, h / trim_h))
        finally:
            page.close()
        tx, ty = x + (w - thumb.width) // 2, y + (h - thumb.height) // 2
        sheet.paste(thumb, (tx, ty))
        pen.rectangle([tx - 1, ty - 1, tx + thumb.width, ty + thumb.height], outline=FRAME)
        label = self.labels[number - 1]
        colour = self._colour(label)
        bar_y = y + h + self.pt(2)
        if colour is not None:
            # Where a section or an ad begins, its bar starts a hair apart from the last.
            gap = max(1, self.px(0.25)) if label.starts or label.ad else 0
            pen.rectangle([x + gap, bar_y, x + w - 1, bar_y + self.px(1.2) - 1], fill=colour)
        line_h = self.pt(text_pt * 1.3)
        ty = bar_y + self.px(1.2) + self.pt(2.5)
        bold = _font("Inter-Bold.otf", self.pt(text_pt))
        semi = _font("Inter-SemiBold.otf", self.pt(text_pt))
        regular = _font("Inter-Regular.otf", self.pt(text_pt))
        room = w - self.px(2)  # labels of facing pages keep apart
        folio = str(number)
        pen.text((x, ty), folio, font=bold, fill=INK, anchor="lt")
        indent = round(bold.getlength(folio + "  "))
        fresh = (
            label.starts or label.ad or number == 1 or self.labels[number - 2].path != label.path
        )
        if label.path:
            head = _fit_lines(label.path[0], semi, room - indent, 1)[0]
            pen.text(
                (x + indent, ty),
                head,
                font=semi,
                fill=colour if fresh and colour else FAINT,
                anchor="lt",
            )
        if len(label.path) > 1:
            for k, line in enumerate(_fit_lines(label.path[-1], regular, room, 2)):
                pen.text(
                    (x, ty + (k + 1) * line_h),
                    line,
                    font=regular,
                    fill=INK if fresh else FAINT,
                    anchor="lt",
                )

    def _section_colours(self) -> dict[str, tuple[int, int, int]]:
        colours: dict[str, tuple[int, int, int]] = {}
        for label in self.labels:
            if label.path and not label.ad and label.path[0] not in colours:
                colours[label.path[0]] = SECTION_COLOURS[len(colours) % len(SECTION_COLOURS)]
        return colours

    def _colour(self, label: PageLabel) -> tuple[int, int, int] | None:
        if label.ad:
            return AD_GREY
        return self.colours.get(label.path[0]) if label.path else None


@dataclass(frozen=True)
class _Grid:
    """Where the spreads go: so many per row, pages of one size, labels under them."""

    per_row: int
    rows: int
    page_w: int
    page_h: int
    text_pt: float
    label_h: int
    gap_x: int
    gap_y: int

    @property
    def width(self) -> int:
        return self.per_row * 2 * self.page_w + (self.per_row - 1) * self.gap_x

    @property
    def height(self) -> int:
        return self.rows * (self.page_h + self.label_h) + (self.rows - 1) * self.gap_y

    @classmethod
    def fit(cls, sheet: _Sheet, spreads: int, area_w: int, area_h: int) -> _Grid:
        """The grid with the largest pages that fits `area_w` x `area_h`."""
        gap_x, gap_y = sheet.px(6), sheet.px(5)
        best = cls(1, 1, 1, 1, 4.5, sheet.label_height(4.5), gap_x, gap_y)
        for per_row in range(1, max(1, spreads) + 1):
            rows = max(1, math.ceil(spreads / per_row))
            page_w = (area_w - (per_row - 1) * gap_x) / (2 * per_row)
            # Labels grow with the pages, within what reads on paper and what fits.
            text_pt = min(7.5, max(4.5, page_w / sheet.dpi * MM_PER_INCH * 0.19))
            label_h = sheet.label_height(text_pt)
            page_h = min(page_w / sheet.aspect, (area_h - (rows - 1) * gap_y) / rows - label_h)
            if page_h > best.page_h:
                best = cls(
                    per_row,
                    rows,
                    int(page_h * sheet.aspect),
                    int(page_h),
                    text_pt,
                    label_h,
                    gap_x,
                    gap_y,
                )
        return best


def _fit_lines(text: str, font: ImageFont.FreeTypeFont, width: int, lines: int) -> list[str]:
    """`text` broken into at most `lines` lines of `width`, the last cut with an ellipsis."""
    out: list[str] = []
    words = text.split()
    while words and len(out) < lines:
        line = words.pop(0)
        while words and font.getlength(f"{line} {words[0]}") <= width:
            line = f"{line} {words.pop(0)}"
        out.append(line)
    if out and (words or font.getlength(out[-1]) > width):
        last = out[-1]
        while last and font.getlength(last + "\u2026") > width:
            last = last[:-1].rstrip()
        out[-1] = last + "\u2026"
    return out


def _one_page_pdf(image: Image.Image, size_mm: tuple[float, float], title: str) -> bytes:
    """`image` as the one page of a PDF exactly `size_mm`, for printing the sheet."""
    jpeg = io.BytesIO()
    image.save(jpeg, format="JPEG", quality=92, subsampling=0)
    pdf = pikepdf.new()
    w, h = (v / MM_PER_INCH * 72 for v in size_mm)
    picture = pikepdf.Stream(
        pdf,
        jpeg.getvalue(),
        Type=pikepdf.Name.XObject,
        Subtype=pikepdf.Name.Image,
        Width=image.width,
        Height=image.height,
        ColorSpace=pikepdf.Name.DeviceRGB,
        BitsPerComponent=8,
        Filter=pikepdf.Name.DCTDecode,
    )
    page = pdf.add_blank_page(page_size=(w, h))
    page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Sheet=picture))
    page.obj.Contents = pdf.make_stream(f"q {w:.4f} 0 0 {h:.4f} 0 0 cm /Sheet Do Q".encode())
    pdf.docinfo["/Title"] = title
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True)
    return out.getvalue()
