"""Proofs from a built PDF: page and spread images, the contact sheet, booklet and n-up sheets.

The PDFs are made here, small and fast: every page is filled with a colour that names
it (so a rendered pixel tells which page landed where), has a black marker square near
the top left of its trim, magenta bleed and black crop marks outside the trim like the
print edition. Results are read back with Pillow, pypdf and PDFium, never through
the code under test.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageChops, ImageStat
from pypdf import PdfReader

from edition.errors import EditionError
from edition.proof.contact import PageLabel, contact_sheet, page_labels, write_contact_sheet
from edition.proof.impose import booklet_sides, creep_shifts, impose_booklet, impose_nup
from edition.proof.pages import parse_pages, reading_spreads, render_pages, render_spreads

MM = 72 / 25.4
W, H = 210 * MM, 297 * MM  # A4 trim, points
BLEED, SLUG = 3 * MM, 13 * MM
MARKER = (20 * MM, 20 * MM, 15 * MM)  # from the trim's left, from its top, side
MAGENTA = (255, 0, 255)
WHITE = (255, 255, 255)
BLACK = (0, 0, 0)
PASTEBOARD = (226, 226, 226)


def colour(n: int) -> tuple[int, int, int]:
    """The colour that fills page `n`'s trim."""
    return (8 * n, 255 - 8 * n, 96)


def page_of(rgb: Sequence[int]) -> int | None:
    """The page whose colour `rgb` is, or None."""
    n = round(rgb[0] / 8)
    if 1 <= n <= 30 and all(abs(a - b) <= 2 for a, b in zip(rgb[:3], colour(n), strict=True)):
        return n
    return None


def _rgb(values: Sequence[int]) -> str:
    return " ".join(f"{v / 255:.6f}" for v in values)


def make_pdf(
    path: Path,
    count: int,
    *,
    bleed: bool = True,
    texts: dict[int, list[str]] | None = None,
    rotate: dict[int, int] | None = None,
    crop: bool = False,
    title: str = "Uji Edisi 1",
) -> Path:
    """A PDF of `count` A4 pages; with `bleed`, boxes and marks like the print edition."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.Type1,
            BaseFont=pikepdf.Name.Helvetica,
            Encoding=pikepdf.Name.WinAnsiEncoding,
        )
    )
    for n in range(1, count + 1):
        ops = []
        if bleed:
            ops.append(
                f"q {_rgb(MAGENTA)} rg {-BLEED} {-BLEED} {W + 2 * BLEED} {H + 2 * BLEED} re f Q"
            )
        ops.append(f"q {_rgb(colour(n))} rg 0 0 {W} {H} re f Q")
        left, top, side = MARKER
        ops.append(f"q 0 g {left} {H - top - side} {side} {side} re f Q")
        if bleed:  # crop marks in the slug, at the trim lines
            start, end = BLEED + 1 * MM, BLEED + 7 * MM
            for x in (0, W):
                ops.append(
                    f"q 0 G 0.5 w {x} {-start} m {x} {-end} l S "
                    f"{x} {H + start} m {x} {H + end} l S Q"
                )
        for k, line in enumerate((texts or {}).get(n, [])):
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"BT /F1 9 Tf 60 {H - 80 - 11 * k} Td ({escaped}) Tj ET")
        page = pdf.add_blank_page(page_size=(W, H))
        page.obj.Contents = pdf.make_stream("\n".join(ops).encode())
        page.obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
        if bleed:
            page.obj.MediaBox = pikepdf.Array([-SLUG, -SLUG, W + SLUG, H + SLUG])
            page.obj.BleedBox = pikepdf.Array([-BLEED, -BLEED, W + BLEED, H + BLEED])
            page.obj.TrimBox = pikepdf.Array([0, 0, W, H])
        if crop:
            page.obj.MediaBox = pikepdf.Array([-SLUG, -SLUG, W + SLUG, H + SLUG])
            page.obj.CropBox = pikepdf.Array([0, 0, W, H])
        if rotate and n in rotate:
            page.obj.Rotate = rotate[n]
    pdf.docinfo["/Title"] = title
    pdf.save(path)
    return path


@pytest.fixture
def print_pdf(tmp_path: Path):
    def make(count: int, **kw) -> Path:
        return make_pdf(tmp_path / f"print-{count}.pdf", count, **kw)

    return make


def open_png(path: Path) -> Image.Image:
    """The image at `path`, read whole and the file closed."""
    with Image.open(path) as image:
        image.load()
        return image.copy()


def render(pdf: Path, index: int, dpi: float) -> Image.Image:
    """A page of `pdf` rendered whole (MediaBox) by PDFium."""
    doc = pdfium.PdfDocument(pdf)
    try:
        return doc[index].render(scale=dpi / 72).to_pil().convert("RGB")
    finally:
        doc.close()


def colour_box(image: Image.Image, rgb: Sequence[int]) -> tuple[int, int, int, int] | None:
    """The bounding box of the pixels of exactly `rgb` (within 2)."""
    bands = [
        band.point(lambda v, c=c: 255 if abs(v - c) <= 2 else 0)
        for band, c in zip(image.split(), rgb, strict=True)
    ]
    return ImageChops.multiply(ImageChops.multiply(bands[0], bands[1]), bands[2]).getbbox()


def has_colour(image: Image.Image, rgb: Sequence[int]) -> bool:
    return colour_box(image, rgb) is not None


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def messages(exc: pytest.ExceptionInfo[EditionError]) -> list[str]:
    return [str(f) for f in exc.value.findings]


# -- page ranges and spreads


@pytest.mark.parametrize(
    ("spec", "count", "pages"),
    [
        ("5-12", 36, list(range(5, 13))),
        ("1,3,5-7", 36, [1, 3, 5, 6, 7]),
        (" 2 - 3 , 7 ", 8, [2, 3, 7]),
        ("5-7,3-6,6", 8, [3, 4, 5, 6, 7]),
        ("30-", 32, [30, 31, 32]),
        ("4", 4, [4]),
    ],
)
def test_page_ranges_name_pages_in_order_each_once(spec, count, pages):
    assert parse_pages(spec, count) == pages


def test_every_bad_part_of_a_page_range_is_reported_together():
    with pytest.raises(EditionError) as exc:
        parse_pages("0,12-5,x,40,3-,,2", 36)
    assert messages(exc) == [
        "error: pages '0,12-5,x,40,3-,,2': '0': pages are numbered from 1 "
        "(write pages like 5, 5-12, 30- (to the end) or 1,3,5-7) [usage.pages]",
        "error: pages '0,12-5,x,40,3-,,2': '12-5' runs backwards (write it as 5-12) [usage.pages]",
        "error: pages '0,12-5,x,40,3-,,2': 'x' is not a page or a range of pages "
        "(write pages like 5, 5-12, 30- (to the end) or 1,3,5-7) [usage.pages]",
        "error: pages '0,12-5,x,40,3-,,2': '40' goes past the last page "
        "(the PDF has 36 pages) [usage.pages]",
        "error: pages '0,12-5,x,40,3-,,2': an empty entry between commas "
        "(write pages like 5, 5-12, 30- (to the end) or 1,3,5-7) [usage.pages]",
    ]
    with pytest.raises(EditionError) as exc:
        parse_pages("  ", 4)
    assert messages(exc) == [
        "error: pages '  ': no page given (write pages like 5, 5-12, "
        "30- (to the end) or 1,3,5-7) [usage.pages]"
    ]


def test_spreads_pair_pages_as_the_bound_magazine_does():
    assert reading_spreads(8) == [(None, 1), (2, 3), (4, 5), (6, 7), (8, None)]
    assert reading_spreads(7) == [(None, 1), (2, 3), (4, 5), (6, 7)]
    assert reading_spreads(1) == [(None, 1)]
    assert reading_spreads(0) == []
    for count in range(1, 40):
        pages = [n for spread in reading_spreads(count) for n in spread if n]
        assert pages == list(range(1, count + 1))
        assert all(left is None or left % 2 == 0 for left, _ in reading_spreads(count))


# -- page and spread images


def test_pages_are_cut_to_the_trim_at_the_resolution_asked(print_pdf, tmp_path):
    pdf = print_pdf(4)
    before = digest(pdf)
    out = tmp_path / "proofs"
    calls: list[tuple[int, int]] = []
    written = render_pages(
        pdf, out, pages="2-3", dpi=72, progress=lambda done, total: calls.append((done, total))
    )
    assert calls == [(1, 2), (2, 2)]
    assert written == [out / "p002.png", out / "p003.png"]
    assert sorted(p.name for p in out.iterdir()) == ["p002.png", "p003.png"]  # no leftovers
    for n, path in zip((2, 3), written, strict=True):
        image = open_png(path)
        assert abs(image.width - W) <= 1 and abs(image.height - H) <= 1
        assert image.info["dpi"] == pytest.approx((72, 72), abs=0.01)
        image = image.convert("RGB")
        assert not has_colour(image, MAGENTA)  # no bleed
        for corner in (
            (2, 2),
            (image.width - 3, 2),
            (2, image.height - 3),
            (image.width - 3, image.height - 3),
        ):
            assert page_of(image.getpixel(corner)) == n  # no crop marks, no slug
        # The marker is where it is on the trimmed page: 20 mm in, 20 mm down.
        left, top, side = (round(v) for v in MARKER)
        assert image.getpixel((left + side // 2, top + side // 2)) == BLACK
        assert colour_box(image, BLACK) == pytest.approx(
            (left, top, left + side, top + side), abs=2
        )
    assert digest(pdf) == before


def test_a_pdf_without_trimbox_shows_its_cropbox_or_mediabox(tmp_path):
    screen = make_pdf(tmp_path / "screen.pdf", 1, bleed=False)
    cropped = make_pdf(tmp_path / "cropped.pdf", 1, bleed=False, crop=True)
    for pdf in (screen, cropped):
        (path,) = render_pages(pdf, tmp_path / pdf.stem, dpi=36)
        image = open_png(path).convert("RGB")
        assert abs(image.width - W / 2) <= 1 and abs(image.height - H / 2) <= 1
        assert page_of(image.getpixel((1, 1))) == 1
        assert page_of(image.getpixel((image.width - 2, image.height - 2))) == 1


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_a_turned_page_is_trimmed_as_it_is_shown(tmp_path, turn):
    pdf = make_pdf(tmp_path / "turned.pdf", 1, rotate={1: turn})
    with pikepdf.open(pdf, allow_overwriting_input=True) as doc:  # a slug unequal all round
        doc.pages[0].obj.MediaBox = pikepdf.Array([-30 * MM, -5 * MM, W + 13 * MM, H + 20 * MM])
        doc.save(pdf)
    (path,) = render_pages(pdf, tmp_path / "out", dpi=72)
    image = open_png(path).convert("RGB")
    size = (H, W) if turn in (90, 270) else (W, H)
    assert image.size == pytest.approx(size, abs=1)
    assert not has_colour(image, MAGENTA)
    # Where the marker near the top left corner of the page goes as the page turns.
    left, top, side = MARKER
    expected = {
        90: (H - top - side, left, H - top, left + side),
        180: (W - left - side, H - top - side, W - left, H - top),
        270: (top, W - left - side, top + side, W - left),
    }[turn]
    assert colour_box(image, BLACK) == pytest.approx(expected, abs=2)


def test_spreads_are_named_to_sort_and_show_the_pages_side_by_side(print_pdf, tmp_path):
    pdf = print_pdf(6)
    out = tmp_path / "spreads"
    written = render_spreads(pdf, out, dpi=36)
    names = [p.name for p in written]
    assert names == ["spread-001.png", "spread-002-003.png", "spread-004-005.png", "spread-006.png"]
    assert sorted(names) == names
    expected = [(None, 1), (2, 3), (4, 5), (6, None)]
    for path, (left, right) in zip(written, expected, strict=True):
        image = open_png(path).convert("RGB")
        page_w = image.width // 2
        assert abs(image.width - 2 * W / 2) <= 2 and abs(image.height - H / 2) <= 1
        assert not has_colour(image, MAGENTA)
        for number, x in ((left, page_w // 2), (right, page_w + page_w // 2)):
            pixel = image.getpixel((x, image.height - 5))
            if number is None:
                assert pixel == PASTEBOARD  # the empty side is not a white page
            else:
                assert page_of(pixel) == number
        fold = image.getpixel((page_w, image.height // 2 + 40))
        if left and right:  # a faint hairline at the fold, darker than both pages
            assert sum(fold) < sum(colour(left)) and sum(fold) < sum(colour(right))
            assert page_of(image.getpixel((page_w - 2, image.height - 5))) == left
            assert page_of(image.getpixel((page_w + 2, image.height - 5))) == right


def test_spreads_for_a_page_range_are_written_whole(print_pdf, tmp_path):
    pdf = print_pdf(7)
    calls: list[tuple[int, int]] = []
    written = render_spreads(
        pdf,
        tmp_path / "s",
        pages="3,6",
        dpi=20,
        fold_line=False,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert [p.name for p in written] == ["spread-002-003.png", "spread-006-007.png"]
    assert calls == [(1, 2), (2, 2)]
    image = open_png(written[0]).convert("RGB")
    assert page_of(image.getpixel((image.width // 2, 40))) == 3  # no hairline asked for
    assert page_of(image.getpixel((image.width // 2 - 1, 40))) == 2


def test_unreadable_input_and_bad_options_are_one_line_each(tmp_path):
    not_pdf = tmp_path / "notes.pdf"
    not_pdf.write_text("not a PDF")
    with pytest.raises(EditionError) as exc:
        render_pages(tmp_path / "missing.pdf", tmp_path / "out")
    assert messages(exc) == [
        f"{tmp_path / 'missing.pdf'}: error: cannot read the PDF: no such file "
        "(give the path of a PDF made by `edition build`) [input.pdf]"
    ]
    with pytest.raises(EditionError) as exc:
        render_spreads(not_pdf, tmp_path / "out")
    assert messages(exc) == [
        f"{not_pdf}: error: cannot read the PDF: it is damaged, has no pages, or is not a PDF "
        "(give the path of a PDF made by `edition build`) [input.pdf]"
    ]
    with pytest.raises(EditionError) as exc_impose:
        impose_booklet(not_pdf, tmp_path / "out" / "b.pdf")
    assert messages(exc_impose) == messages(exc)  # one message, whichever library reads
    with pytest.raises(EditionError) as exc:
        render_pages(not_pdf, tmp_path / "out", dpi=0)
    assert messages(exc) == [
        "error: a resolution of 0 dpi is out of range (use 10 to 1200 dpi) [usage.dpi]"
    ]
    assert not (tmp_path / "out").exists()


# -- the contact sheet


def _outline(pdf_path: Path) -> None:
    """Bookmarks as the build writes them, one reached through a named GoTo action."""
    with pikepdf.open(pdf_path, allow_overwriting_input=True) as pdf:
        with pdf.open_outline() as outline:
            rubric = pikepdf.OutlineItem("Laporan Utama", 3)
            rubric.children += [
                pikepdf.OutlineItem("Artikel Satu", 3),
                pikepdf.OutlineItem("Artikel Dua", 5),
            ]
            outline.root += [
                pikepdf.OutlineItem("Sampul", 0),
                pikepdf.OutlineItem("Daftar Isi", 2),
                rubric,
                pikepdf.OutlineItem("Inframe", 0),
            ]
        last = pdf.Root.Outlines.Last
        del last["/Dest"]
        last.A = pikepdf.Dictionary(S=pikepdf.Name.GoTo, D=pikepdf.String("inframe"))
        pdf.Root.Names = pikepdf.Dictionary(
            Dests=pdf.make_indirect(
                pikepdf.Dictionary(
                    Names=pikepdf.Array(
                        [
                            pikepdf.String("inframe"),
                            pikepdf.Array([pdf.pages[8].obj, pikepdf.Name.Fit]),
                        ]
                    )
                )
            )
        )
        pdf.save(pdf_path)


@pytest.fixture
def issue_pdf(tmp_path: Path) -> Path:
    """Ten pages: cover, an ad, contents, a rubric of two articles (the second with a
    half-page ad on its last page), Inframe."""
    long_text = ["Kapal patroli berlayar di perairan utara sepanjang malam. " * 2] * 9
    pdf = make_pdf(
        tmp_path / "issue.pdf",
        10,
        texts={
            2: ["I K L A N"],
            8: [*long_text, "Iklan"],
        },
    )
    _outline(pdf)
    return pdf


def test_each_page_is_labelled_by_the_innermost_bookmark_covering_it(issue_pdf):
    rubric = "Laporan Utama"
    assert page_labels(issue_pdf) == [
        PageLabel(1, ("Sampul",), starts=True),
        PageLabel(2, ("Iklan",), ad=True),  # says so, and says little else
        PageLabel(3, ("Daftar Isi",), starts=True),
        PageLabel(4, (rubric, "Artikel Satu"), starts=True),
        PageLabel(5, (rubric, "Artikel Satu")),
        PageLabel(6, (rubric, "Artikel Dua"), starts=True),
        PageLabel(7, (rubric, "Artikel Dua")),
        PageLabel(8, (rubric, "Artikel Dua")),  # an article page carrying a half-page ad
        PageLabel(9, ("Inframe",), starts=True),  # reached through a named destination
        PageLabel(10, ("Inframe",)),
    ]
    assert page_labels(issue_pdf)[4].text == "Laporan Utama \u203a Artikel Satu"


def test_the_ad_label_is_in_the_language_of_the_pdf(issue_pdf):
    with pikepdf.open(issue_pdf, allow_overwriting_input=True) as pdf:
        pdf.Root.Lang = pikepdf.String("en-GB")
        pdf.save(issue_pdf)
    assert page_labels(issue_pdf)[1] == PageLabel(2, ("Advertisement",), ad=True)


def test_pages_before_any_bookmark_have_no_label(tmp_path):
    pdf = make_pdf(tmp_path / "late.pdf", 3)
    with pikepdf.open(pdf, allow_overwriting_input=True) as doc:
        with doc.open_outline() as outline:
            outline.root.append(pikepdf.OutlineItem("Inframe", 2))
        doc.save(pdf)
    assert [label.path for label in page_labels(pdf)] == [(), (), ("Inframe",)]


def _below(image: Image.Image, box: tuple[int, int, int, int], depth: int) -> tuple[int, ...]:
    """The first colour under the middle of `box` that is neither paper nor frame."""
    x = (box[0] + box[2]) // 2
    for y in range(box[3] + 1, min(image.height, box[3] + depth)):
        pixel = image.getpixel((x, y))
        if min(pixel) < 190 or max(pixel) - min(pixel) > 30:
            return pixel
    raise AssertionError(f"nothing under {box}")


def test_the_contact_sheet_is_the_flatplan_in_spreads(issue_pdf, tmp_path):
    before = digest(issue_pdf)
    image = contact_sheet(issue_pdf, paper="A4", dpi=100)
    assert image.size == (round(297 / 25.4 * 100), round(210 / 25.4 * 100))
    boxes = {n: colour_box(image, colour(n)) for n in range(1, 11)}
    assert all(boxes.values()), boxes
    one, two, three = boxes[1], boxes[2], boxes[3]
    page_w = one[2] - one[0]
    assert page_w / (one[3] - one[1]) == pytest.approx(W / H, abs=0.02)
    # Page 1 alone on the right of the first spread, then 2-3 touching, on one row.
    assert one[1] == pytest.approx(two[1], abs=1) == pytest.approx(three[1], abs=1)
    assert three[0] - two[0] == pytest.approx(page_w, abs=2)
    assert two[0] - one[0] > page_w + 10
    blank = image.crop((one[0] - page_w + 5, one[1] + 5, one[0] - 5, one[3] - 5))
    assert blank.getcolors() == [(blank.width * blank.height, WHITE)]
    # Reading order: row by row, left to right.
    order = sorted(boxes, key=lambda n: (round(boxes[n][1] / 20), boxes[n][0]))
    assert order == list(range(1, 11))
    # The colour bar: one colour per top-level section, the ad in neutral grey.
    bars = {n: _below(image, box, 40) for n, box in boxes.items()}
    assert bars[4] == bars[5] == bars[6] == bars[8]
    assert len({bars[1], bars[3], bars[4], bars[9]}) == 4
    assert bars[2][0] == bars[2][1] == bars[2][2]
    # A label under each page: ink a little below the bar.
    for box in boxes.values():
        label = image.crop((box[0], box[3] + 12, box[2], box[3] + 30)).convert("L")
        assert label.getextrema()[0] < 100
    assert digest(issue_pdf) == before


def test_the_contact_sheet_is_written_as_png_and_a_one_page_pdf(issue_pdf, tmp_path):
    out = tmp_path / "sheet"
    written = write_contact_sheet(issue_pdf, out, dpi=60)
    assert written == [out / "contact.png", out / "contact.pdf"]
    png = open_png(written[0])
    assert png.size == (round(420 / 25.4 * 60), round(297 / 25.4 * 60))  # A3 landscape
    reader = PdfReader(written[1])
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx((420 * MM, 297 * MM), abs=0.01)
    assert reader.metadata.title == "Uji Edisi 1"
    printed = render(written[1], 0, 60)  # the PDF's page is the PNG, JPEG aside
    assert printed.size == pytest.approx(png.size, abs=1)
    difference = ImageChops.difference(printed.resize(png.size), png.convert("RGB"))
    assert max(ImageStat.Stat(difference).mean) < 4


def test_the_contact_sheet_refuses_an_unknown_paper(issue_pdf, tmp_path):
    with pytest.raises(EditionError) as exc:
        write_contact_sheet(issue_pdf, tmp_path, paper="B5")
    assert messages(exc) == [
        "error: unknown paper 'B5' for the contact sheet (use one of: A3, A4) [usage.paper]"
    ]
    assert list(tmp_path.glob("contact.*")) == []


# -- booklet imposition


def test_saddle_stitch_order():
    assert booklet_sides(8) == [(8, 1), (2, 7), (6, 3), (4, 5)]
    assert booklet_sides(6) == booklet_sides(8)  # padded with blank pages 7 and 8
    assert booklet_sides(1) == [(4, 1), (2, 3)]
    for pages in range(1, 41):
        sides = booklet_sides(pages)
        total = len(sides) * 2
        assert total % 4 == 0 and total - pages < 4
        assert sorted(n for side in sides for n in side) == list(range(1, total + 1))
        assert all(left + right == total + 1 for left, right in sides)  # facing in print
        for front, back in zip(sides[::2], sides[1::2], strict=True):
            assert front[1] + 1 == back[0]  # a leaf's back follows its front


def test_creep_grows_evenly_from_the_outermost_sheet():
    assert creep_shifts(1, 1.5) == [0.0]
    assert creep_shifts(5, 2.0) == pytest.approx([0, 0.5, 1.0, 1.5, 2.0])


def _halves(sheet: Image.Image) -> tuple[int | None, int | None]:
    """Which page shows in the middle of the left and the right half of a sheet."""
    y = sheet.height * 3 // 4
    return (
        page_of(sheet.getpixel((sheet.width // 4, y))),
        page_of(sheet.getpixel((sheet.width * 3 // 4, y))),
    )


def test_a_booklet_puts_each_page_on_its_side_and_half(print_pdf, tmp_path):
    pdf = print_pdf(6)
    before = digest(pdf)
    dest = tmp_path / "out" / "booklet.pdf"
    result = impose_booklet(pdf, dest, sheet="A3")
    assert (result.path, result.sheets, result.sides, result.pages, result.blanks) == (
        dest,
        2,
        4,
        8,
        2,
    )
    assert result.scale == 1.0  # A3 holds two A4 pages at their own size
    reader = PdfReader(dest)
    assert len(reader.pages) == 4
    for page in reader.pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(
            (420 * MM, 297 * MM), abs=0.01
        )
    placed = [_halves(render(dest, i, 20)) for i in range(4)]
    assert placed == [(None, 1), (2, None), (6, 3), (4, 5)]
    for i in range(4):
        assert not has_colour(render(dest, i, 20), MAGENTA)  # bleed and marks clipped
    assert render(dest, 0, 20).getpixel((20, 100)) == WHITE  # the blank page 8
    assert digest(pdf) == before
    assert sorted(p.name for p in dest.parent.iterdir()) == ["booklet.pdf"]


def test_a_booklet_on_a4_is_scaled_to_fit(print_pdf, tmp_path):
    dest = tmp_path / "a4.pdf"
    result = impose_booklet(print_pdf(4), dest, sheet="a4")
    assert result.scale == pytest.approx(297 / 420, abs=0.001)
    sheet = render(dest, 0, 72)
    assert sheet.size == pytest.approx((297 * MM, 210 * MM), abs=1)
    box = colour_box(sheet, colour(1))
    assert box[2] - box[0] == pytest.approx(W * result.scale, abs=2)
    assert box[0] == pytest.approx(sheet.width / 2, abs=1)  # right of the fold
    assert _halves(sheet) == (4, 1)


def test_a_booklet_can_keep_the_bleed_except_at_the_fold(print_pdf, tmp_path):
    pdf = print_pdf(4)
    impose_booklet(pdf, tmp_path / "trim.pdf", sheet="SRA3")
    result = impose_booklet(pdf, tmp_path / "bleed.pdf", sheet="SRA3", bleed=True)
    assert result.scale == 1.0  # SRA3 has room for the bleed
    for name, outside in (("bleed.pdf", MAGENTA), ("trim.pdf", WHITE)):
        sheet = render(tmp_path / name, 0, 72)
        spine, mid = sheet.width // 2, sheet.height // 2
        head = round((sheet.height - H) / 2)
        away = 1.5 * MM  # beyond the trim, inside the bleed
        assert sheet.getpixel((round(spine - W - away), mid)) == outside  # face, left
        assert sheet.getpixel((round(spine + W + away), mid)) == outside  # face, right
        assert sheet.getpixel((spine + 100, round(head - away))) == outside  # head
        assert sheet.getpixel((spine - 100, round(sheet.height - head + away))) == outside
        assert page_of(sheet.getpixel((spine - 2, mid))) == 4  # no bleed at the fold
        assert page_of(sheet.getpixel((spine + 2, mid))) == 1
    bleed_box = colour_box(render(tmp_path / "bleed.pdf", 0, 72), MAGENTA)
    assert bleed_box[0] == pytest.approx(spine - W - BLEED, abs=1.5)
    assert bleed_box[2] == pytest.approx(spine + W + BLEED, abs=1.5)


def test_creep_moves_inner_pages_towards_the_fold(print_pdf, tmp_path):
    dest = tmp_path / "creep.pdf"
    impose_booklet(print_pdf(12), dest, sheet="A3", creep_mm=2.0)  # 3 sheets
    dpi = 144
    px = dpi / 72
    for sheet_no, shift_mm in enumerate((0.0, 1.0, 2.0)):
        front = render(dest, 2 * sheet_no, dpi)
        spine = front.width / 2
        shift = shift_mm * MM * px
        left_page, right_page = 12 - 2 * sheet_no, 1 + 2 * sheet_no
        assert _halves(front) == (left_page, right_page)
        markers = [box for box in _black_boxes(front)]
        assert len(markers) == 2
        (left_marker, _, _, _), (right_marker, _, _, _) = sorted(markers)
        assert left_marker == pytest.approx(spine - W * px + shift + MARKER[0] * px, abs=1.5)
        assert right_marker == pytest.approx(spine - shift + MARKER[0] * px, abs=1.5)
        y = front.height // 2
        # The page's fold side goes under the fold, its face side leaves paper bare.
        assert page_of(front.getpixel((round(spine + 2), y))) == right_page
        assert page_of(front.getpixel((round(spine - 3), y))) == left_page
        if shift_mm:
            face = front.getpixel((round(spine + W * px - shift / 2), y))
            assert face == WHITE
        else:
            assert page_of(front.getpixel((round(spine + W * px - 3), y))) == right_page


def _black_boxes(image: Image.Image) -> Iterable[tuple[int, int, int, int]]:
    """Bounding boxes of black in the left and the right half of `image`."""
    half = image.width // 2
    for x0 in (0, half):
        box = colour_box(image.crop((x0, 0, x0 + half, image.height)), BLACK)
        if box:
            yield (box[0] + x0, box[1], box[2] + x0, box[3])


def test_imposition_refuses_bad_options_all_at_once(print_pdf, tmp_path):
    pdf = print_pdf(4)
    with pytest.raises(EditionError) as exc:
        impose_booklet(pdf, pdf, sheet="B4", creep_mm=-1)
    assert messages(exc) == [
        "error: unknown sheet 'B4' (use one of: A3, A4, SRA3, tabloid, letter) [usage.sheet]",
        "error: the imposed PDF would replace the PDF it is made from "
        "(write it to another file) [usage.output]",
        "error: a creep of -1 mm is out of range (use 0 to 10 mm (0.1 to 1 mm is usual)) "
        "[usage.creep]",
    ]
    with pytest.raises(EditionError) as exc:
        impose_nup(pdf, tmp_path / "n.pdf", nup=6, margin_mm=-2)
    assert messages(exc) == [
        "error: 6 pages per sheet is not offered (use one of: 4, 8) [usage.nup]",
        "error: a margin of -2 mm is out of range (use 0 to 52.5 mm) [usage.margin]",
    ]
    assert impose_booklet(pdf, tmp_path / "t.pdf", sheet="Tabloid").scale == pytest.approx(
        min(1, 279.4 / 297), abs=0.001
    )
    assert not (tmp_path / "n.pdf").exists()


# -- n-up proof sheets


def test_nup_sheets_show_pages_in_reading_order_with_their_numbers(print_pdf, tmp_path):
    pdf = print_pdf(10)
    dest = tmp_path / "nup4.pdf"
    result = impose_nup(pdf, dest, nup=4, sheet="A4")
    assert (result.sheets, result.sides, result.pages) == (3, 3, 10)
    reader = PdfReader(dest)
    assert len(reader.pages) == 3
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(
        (210 * MM, 297 * MM), abs=0.01
    )  # upright
    for s, pages in enumerate(([1, 2, 3, 4], [5, 6, 7, 8], [9, 10])):
        sheet = render(dest, s, 72)
        boxes = {n: colour_box(sheet, colour(n)) for n in range(1, 11)}
        assert [n for n, b in boxes.items() if b] == pages
        first = boxes[pages[0]]
        assert first[2] - first[0] == pytest.approx(W * result.scale, abs=2)
        if len(pages) == 4:  # two rows of two
            a, b, c, d = (boxes[n] for n in pages)
            assert a[1] == pytest.approx(b[1], abs=1) and c[1] == pytest.approx(d[1], abs=1)
            assert a[0] < b[0] and c[0] < d[0] and a[1] < c[1]
        for n in pages:  # a small page number under each page
            x0, _, x1, y1 = boxes[n]
            label = sheet.crop((x0, y1 + 3, x1, y1 + 14)).convert("L")
            assert label.getextrema()[0] < 160
    assert not has_colour(render(dest, 0, 72), MAGENTA)


def test_eight_up_fills_a_landscape_sheet_in_rows(print_pdf, tmp_path):
    dest = tmp_path / "nup8.pdf"
    result = impose_nup(print_pdf(8), dest, nup=8, sheet="A3")
    assert result.sheets == 1
    sheet = render(dest, 0, 36)
    assert sheet.width > sheet.height
    boxes = [colour_box(sheet, colour(n)) for n in range(1, 9)]
    rows = [boxes[:4], boxes[4:]]
    for row in rows:
        assert [b[0] for b in row] == sorted(b[0] for b in row)
        assert max(b[1] for b in row) - min(b[1] for b in row) <= 1
    assert rows[0][0][3] < rows[1][0][1]


# -- a real edition


@pytest.mark.slow
def test_proofs_of_a_built_edition(minimal_pdf, tmp_path):
    reader = PdfReader(minimal_pdf)
    count = len(reader.pages)
    bookmarks: list[tuple[int, str]] = []

    def walk(items: list) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                bookmarks.append((reader.get_destination_page_number(item), item.title))

    walk(reader.outline)
    assert len(bookmarks) > 5
    labels = page_labels(minimal_pdf)
    assert len(labels) == count
    assert labels[0].path == ("Sampul",)
    for index, title in bookmarks:  # every bookmark starts a label that names it
        assert labels[index].starts and title in labels[index].path
    assert [label.number for label in labels if label.starts] == sorted(
        {index + 1 for index, _ in bookmarks}
    )
    trim = reader.pages[0].trimbox
    (page,) = render_pages(minimal_pdf, tmp_path / "p", pages="1", dpi=50)
    assert open_png(page).size == pytest.approx(
        (float(trim.width) * 50 / 72, float(trim.height) * 50 / 72), abs=1
    )
    spreads = render_spreads(minimal_pdf, tmp_path / "s", dpi=20)
    assert len(spreads) == len(reading_spreads(count))
    _, sheet_pdf = write_contact_sheet(minimal_pdf, tmp_path / "c", dpi=50)
    assert len(PdfReader(sheet_pdf).pages) == 1
    booklet = impose_booklet(minimal_pdf, tmp_path / "b.pdf", sheet="A4")
    assert booklet.sides == len(PdfReader(tmp_path / "b.pdf").pages) == count // 2
    assert booklet.blanks == 0  # the print edition is a multiple of 4 already


# -- on the command line: edition proof, edition impose


@pytest.mark.slow
def test_edition_proof_writes_the_pages_asked_and_the_contact_sheet(minimal_pdf, tmp_path):
    from conftest import invoke

    issue, dist = minimal_pdf.parent.parent.parent / "minimal", minimal_pdf.parent.parent
    before = digest(minimal_pdf)
    out = tmp_path / "proof"
    result = invoke(["proof", issue, "--dist", dist, "--pages", "2-3", "--dpi", "40", "--out", out])
    assert digest(minimal_pdf) == before  # nothing changed: nothing built again
    assert sorted(p.name for p in out.iterdir()) == [
        "contact.pdf",
        "contact.png",
        "p002.png",
        "p003.png",
    ]
    assert result.output.splitlines()[-1] == (
        f"2 pages (p002.png … p003.png) and the contact sheet of minimal-print.pdf at 40 dpi "
        f"in {out}"
    )
    reader = PdfReader(minimal_pdf)
    trim = reader.pages[1].trimbox
    image = open_png(out / "p002.png")
    assert image.size == pytest.approx(
        (float(trim.width) * 40 / 72, float(trim.height) * 40 / 72), abs=1
    )
    # The PNG is page 2 as PDFium draws it, cut to the trim.
    doc = pdfium.PdfDocument(minimal_pdf)
    try:
        page = doc[1]
        left, bottom, right, top = page.get_trimbox()
        media = page.get_mediabox()
        crop = (left - media[0], bottom - media[1], media[2] - right, media[3] - top)
        want = page.render(scale=40 / 72, crop=crop, draw_annots=False).to_pil().convert("RGB")
    finally:
        doc.close()
    assert ImageStat.Stat(ImageChops.difference(image, want.resize(image.size))).mean[0] < 3
    assert len(PdfReader(out / "contact.pdf").pages) == 1
    # Spreads next time: the single pages of the first run go, the sheet stays.
    result = invoke(["proof", issue, "--dist", dist, "--spreads", "--dpi", "20", "--out", out])
    names = sorted(p.name for p in out.iterdir())
    assert names[:2] == ["contact.pdf", "contact.png"]
    assert "p002.png" not in names
    assert len(names) - 2 == len(reading_spreads(len(reader.pages)))
    assert "removed 2 proofs of an earlier run" in result.output


def test_edition_proof_refuses_a_bad_range_before_writing(minimal_pdf, tmp_path):
    from conftest import invoke

    issue, dist = minimal_pdf.parent.parent.parent / "minimal", minimal_pdf.parent.parent
    count = len(PdfReader(minimal_pdf).pages)
    result = invoke(
        ["proof", issue, "--dist", dist, "--pages", f"2-{count + 1}", "--out", tmp_path / "p"], 2
    )
    assert result.output.splitlines()[-2] == (
        f"error: pages '2-{count + 1}': '2-{count + 1}' goes past the last page "
        f"(the PDF has {count} pages) [usage.pages]"
    )
    assert not (tmp_path / "p").exists()


@pytest.mark.slow
def test_edition_impose_booklet_and_nup_read_back(minimal_pdf, tmp_path):
    from conftest import invoke

    count = len(PdfReader(minimal_pdf).pages)
    booklet = tmp_path / "booklet.pdf"
    result = invoke(["impose", minimal_pdf, "--booklet", "--creep", "0.4", "--out", booklet])
    sides = PdfReader(booklet).pages
    assert len(sides) == count // 2
    for side in sides:  # A3 landscape
        assert float(side.mediabox.width) == pytest.approx(420 * MM, abs=0.5)
        assert float(side.mediabox.height) == pytest.approx(297 * MM, abs=0.5)
    # Sheet 1's front carries the last page on the left and page 1 on the right, trimmed
    # and at actual size: an A4 trim fills each half of the A3 side.
    front = render(booklet, 0, 20)
    half = front.width // 2
    for number, box in (
        (count, (0, 0, half, front.height)),
        (1, (half, 0, front.width, front.height)),
    ):
        doc = pdfium.PdfDocument(minimal_pdf)
        try:
            page = doc[number - 1]
            left, bottom, right, top = page.get_trimbox()
            media = page.get_mediabox()
            crop = (left - media[0], bottom - media[1], media[2] - right, media[3] - top)
            want = page.render(scale=20 / 72, crop=crop).to_pil().convert("RGB")
        finally:
            doc.close()
        got = front.crop(box).resize(want.size)
        assert ImageStat.Stat(ImageChops.difference(got, want)).mean[0] < 8, number
    assert result.output.strip() == (
        f"wrote {booklet}: booklet of {count} pages on {count // 4} sheets ({count // 2} "
        "sides), actual size"
    )
    nup = tmp_path / "nup.pdf"
    invoke(["impose", minimal_pdf, "--nup", "8", "--out", nup])
    assert len(PdfReader(nup).pages) == -(-count // 8)
    errors = invoke(["impose", minimal_pdf, "--out", tmp_path / "x.pdf"], 2).output
    assert errors.splitlines()[0] == (
        "error: say how to impose: --booklet or --nup 4|8 (--booklet for a saddle-stitched "
        "booklet, --nup for proof sheets) [usage.impose]"
    )
    errors = invoke(
        ["impose", minimal_pdf, "--nup", "4", "--bleed", "--out", tmp_path / "x.pdf"], 2
    ).output
    assert errors.splitlines()[0] == (
        "error: --creep and --bleed are for a booklet, not for n-up sheets (leave them out, "
        "or use --booklet) [usage.impose]"
    )
    assert not (tmp_path / "x.pdf").exists()
