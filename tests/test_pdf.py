"""The built print PDF read back with pypdf and pypdfium2, not trusted from the code that
wrote it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from edition.issue.load import load_issue
from edition.share import share_dir

MM = 72 / 25.4
pytestmark = pytest.mark.slow


def bundled_font_names() -> set[str]:
    """PostScript names of the fonts in assets/fonts, normalised like WeasyPrint writes them."""
    names = set()
    for f in (share_dir("assets") / "fonts").glob("*.[ot]tf"):
        font = TTFont(f)
        for rec in font["name"].names:
            if rec.nameID in (1, 4, 6, 16, 17):
                names.add(norm(rec.toUnicode()))
    return names


def norm(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())


def page_texts(pdf: Path) -> list[str]:
    doc = pdfium.PdfDocument(pdf)
    return [" ".join(p.get_textpage().get_text_range().split()) for p in doc]


def region_text(pdf: Path, index: int, left: float, bottom: float, right: float, top: float) -> str:
    page = pdfium.PdfDocument(pdf)[index]
    return page.get_textpage().get_text_bounded(left, bottom, right, top)


@pytest.fixture(scope="module", params=["minimal", "sample"])
def built(request, minimal_pdf, sample_pdf):
    from conftest import SAMPLE

    if request.param == "minimal":
        return minimal_pdf, load_issue(minimal_pdf.parent.parent.parent / "minimal")
    return sample_pdf, load_issue(SAMPLE)


def test_page_count_multiple_of_4(built):
    pdf, _ = built
    assert len(PdfReader(pdf).pages) % 4 == 0


def test_trim_and_bleed_boxes_3mm_apart_on_every_page(built):
    pdf, _ = built
    for i, page in enumerate(PdfReader(pdf).pages):
        trim, bleed = page.trimbox, page.bleedbox
        assert round(float(trim.width) / MM) == 210 and round(float(trim.height) / MM) == 297, i
        for a, b in (
            (trim.left, bleed.left),
            (bleed.right, trim.right),
            (trim.bottom, bleed.bottom),
            (bleed.top, trim.top),
        ):
            assert abs((float(a) - float(b)) / MM - 3) < 0.05, (i, trim, bleed)
        media = page.mediabox
        assert float(media.left) <= float(bleed.left) and float(media.top) >= float(bleed.top)


def test_every_font_embedded_and_bundled(built):
    pdf, _ = built
    allowed = bundled_font_names()
    seen = set()
    for page in PdfReader(pdf).pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            base = str(font["/BaseFont"]).split("+", 1)[-1]
            seen.add(base)
            descendants = font.get("/DescendantFonts")
            desc = (descendants[0].get_object() if descendants else font)["/FontDescriptor"]
            assert any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")), base
            assert norm(base) in allowed or any(norm(base).startswith(a) for a in allowed), base
    assert seen, "no fonts found"
    assert not any("dejavu" in norm(s) or "liberation" in norm(s) for s in seen)


def _start_pages(pdf: Path, issue) -> dict[str, int]:
    """1-based page where each article's headline is, from the PDF's outline (the articles
    are bookmarked under their rubrics)."""
    reader = PdfReader(pdf)
    out = {}

    def walk(items: list) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
                continue
            out[" ".join(str(item.title).split())] = reader.get_destination_page_number(item) + 1

    walk(reader.outline)
    return {a.slug: out[a.title] for a in issue.articles}


def test_contents_page_numbers_match_article_starts(built):
    pdf, issue = built
    texts = page_texts(pdf)
    starts = _start_pages(pdf, issue)
    contents_index = next(i for i, t in enumerate(texts) if "Daftar Isi" in t)
    doc = pdfium.PdfDocument(pdf)
    textpage = doc[contents_index].get_textpage()
    for article in issue.articles:
        first_words = " ".join(article.title.split()[:2])
        searcher = textpage.search(first_words, match_case=True)
        found = searcher.get_next()
        assert found is not None, f"{article.title!r} not on the contents page"
        rect = textpage.get_charbox(found[0])
        left, bottom, _right, top = rect
        number = textpage.get_text_bounded(left - 13 * MM, bottom - 4, left - 0.5, top + 4)
        printed = int(re.findall(r"\d+", number)[0])
        assert printed == starts[article.slug], article.slug
        # and the headline really is on that page
        assert " ".join(article.title.split()) in texts[printed - 1], article.slug


def test_baca_juga_page_numbers_are_real_start_pages(built):
    pdf, issue = built
    texts = page_texts(pdf)
    starts = _start_pages(pdf, issue)
    checked = 0
    for article in issue.articles:
        expected = [starts[o.slug] for ref in article.meta.related if (o := issue.article(ref))]
        if not expected:
            continue
        start = starts[article.slug]
        # letter-spaced labels come out as "B A C A": compare without spaces
        compact = [re.sub(r"\s", "", t).upper() for t in texts[start - 1 :]]
        page = next(t for t in compact if "BACAJUGA" in t)
        box = page.split("BACAJUGA", 1)[1]
        numbers = [int(n) for n in re.findall(r"HLM\.(\d+)", box)][: len(expected)]
        assert numbers == expected, article.slug
        checked += 1
    assert checked >= 1


def test_folio_is_the_pdf_page_number(built):
    pdf, _ = built
    doc = pdfium.PdfDocument(pdf)
    reader = PdfReader(pdf)
    with_folio = 0
    for i, page in enumerate(doc):
        trim = reader.pages[i].trimbox
        tp = page.get_textpage()
        # the bottom 14 mm of the trimmed page
        foot = tp.get_text_bounded(
            float(trim.left), float(trim.bottom), float(trim.right), float(trim.bottom) + 14 * MM
        ).split()
        if i == 0:
            assert foot == [] or not any(w.isdigit() for w in foot), "folio on the cover"
        if (foot and foot[0].isdigit()) or (foot and foot[-1].isdigit()):
            number = int(foot[0] if foot[0].isdigit() else foot[-1])
            assert number == i + 1, (i, foot)
            with_folio += 1
    assert with_folio >= len(doc) // 2


def test_language_title_and_cover(built):
    pdf, issue = built
    reader = PdfReader(pdf)
    assert str(reader.trailer["/Root"]["/Lang"]) == "id"
    assert str(reader.metadata["/Title"]).startswith(f"IDM Edisi {issue.spec.number}")
    cover = page_texts(pdf)[0]
    assert f"EDISI {issue.spec.number}" in cover.upper()
    # The issue's own date in Indonesian (names written out here, not taken from Babel).
    days = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]
    months = "Januari Februari Maret April Mei Juni Juli Agustus September Oktober November"
    month = [*months.split(), "Desember"][issue.spec.date.month - 1]
    date = issue.spec.date
    assert f"{days[date.weekday()]}, {date.day} {month} {date.year}" in cover


# Two builds in one process, as the desk and the tests make them: one issue's screen edition
# laid out in one pass in this process, then another issue's print edition section by
# section in worker processes forked from this one, which already holds WeasyPrint's fonts.
TWO_BUILDS = """
import sys
from edition.cli import main
out = sys.argv[1]
for issue, profile in zip(sys.argv[2:], ("screen", "print")):
    try:
        main(["build", issue, "--profile", profile, "--out", out, "-q"])
    except SystemExit as exc:
        assert exc.code in (0, 1, None), exc.code
"""


def test_a_build_leaves_nothing_in_the_temporary_folder(tmp_path, make_issue):
    """What WeasyPrint writes for a document (the @font-face files) must go with the
    process that laid it out, not pile up build after build; what a killed process left
    is removed by the next build, what a live one holds is not."""
    first = make_issue("minimal")
    second = first.with_name("minimal-2")
    shutil.copytree(first, second)
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    # What a killed process left (its number is free now), and what a live one holds.
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (temporary / f"edition-fonts-{gone}-abc123").mkdir()
    (temporary / f"edition-fonts-{gone}-abc123" / "0d28813a").write_bytes(b"font")
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    held = temporary / f"edition-fonts-{alive.pid}-def456"
    held.mkdir()
    env = {**os.environ, "TMPDIR": str(temporary), "EDITION_CACHE": str(tmp_path / "cache")}
    out = tmp_path / "dist"
    try:
        done = subprocess.run(
            [sys.executable, "-c", TWO_BUILDS, str(out), str(first), str(second)],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
    finally:
        alive.kill()
        alive.wait()
    assert done.returncode == 0, done.stderr
    assert (out / "minimal" / "minimal-screen.pdf").is_file()
    assert (out / "minimal-2" / "minimal-2-print.pdf").is_file()
    assert sorted(p.name for p in temporary.iterdir()) == [held.name]
