"""Visual regression: every page of the fixture's print edition, rendered small with PDFium,
against the reviewed images in tests/references/.

A page passes when it looks the same at a glance: few pixels differ by more than a
visible step, and the page's mean difference is small (anti-aliasing and JPEG noise stay
under both). On a failure the actual, expected and difference images are written to
tests/output/visual/ for a person to look at. References change only on purpose:

    EDITION_UPDATE_REFERENCES=1 .venv/bin/python -m pytest tests/test_visual.py

writes the current pages as the new references (then review them, and commit them).
"""

from __future__ import annotations

import os
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageChops

HERE = Path(__file__).parent
REFERENCES = HERE / "references" / "minimal-print"
OUTPUT = HERE / "output" / "visual"
DPI = 30
STEP = 48  # a difference of a pixel's channel that anyone would see
MOST = 0.01  # share of a page's pixels that may differ by more than STEP
MEAN = 2.0  # mean difference of a page, in levels of 255
UPDATE = os.environ.get("EDITION_UPDATE_REFERENCES") == "1"


def render_pages(pdf: Path) -> list[Image.Image]:
    doc = pdfium.PdfDocument(str(pdf))
    try:
        return [
            doc[i].render(scale=DPI / 72, crop=(0, 0, 0, 0)).to_pil().convert("RGB")
            for i in range(len(doc))
        ]
    finally:
        doc.close()


def difference(actual: Image.Image, expected: Image.Image) -> tuple[float, float, Image.Image]:
    """(share of pixels that differ visibly, mean difference, difference image)."""
    diff = ImageChops.difference(actual, expected)
    grey = diff.convert("L")
    histogram = grey.histogram()
    total = actual.width * actual.height
    visible = sum(histogram[STEP:]) / total
    mean = sum(level * n for level, n in enumerate(histogram)) / total
    return visible, mean, grey.point(lambda v: min(255, v * 4))


@pytest.fixture(scope="module")
def pages(minimal_pdf: Path) -> list[Image.Image]:
    return render_pages(minimal_pdf)


@pytest.mark.slow
def test_the_fixture_looks_as_reviewed(pages: list[Image.Image]):
    if UPDATE:
        REFERENCES.mkdir(parents=True, exist_ok=True)
        for old in REFERENCES.glob("page-*.png"):
            old.unlink()
        for i, img in enumerate(pages, 1):
            img.save(REFERENCES / f"page-{i:02d}.png", optimize=True)
        pytest.skip(f"wrote {len(pages)} reference pages to {REFERENCES}")
    expected = sorted(REFERENCES.glob("page-*.png"))
    assert expected, f"no reference pages in {REFERENCES} (set EDITION_UPDATE_REFERENCES=1)"
    assert len(pages) == len(expected), "the edition has another number of pages"
    failed = []
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for i, (actual, path) in enumerate(zip(pages, expected, strict=True), 1):
        with Image.open(path) as img:
            reference = img.convert("RGB")
        if reference.size != actual.size:
            failed.append(f"page {i}: {actual.size} px, the reference is {reference.size}")
            continue
        visible, mean, diff = difference(actual, reference)
        if visible > MOST or mean > MEAN:
            actual.save(OUTPUT / f"page-{i:02d}-actual.png")
            reference.save(OUTPUT / f"page-{i:02d}-expected.png")
            diff.save(OUTPUT / f"page-{i:02d}-diff.png")
            failed.append(f"page {i}: {visible:.1%} of pixels differ, mean {mean:.2f}")
    assert not failed, f"pages differ (images in {OUTPUT}):\n" + "\n".join(failed)


def test_the_comparison_sees_a_change_and_forgives_noise():
    """The tolerance is tight enough to see a moved line and loose enough for noise."""
    base = Image.new("RGB", (248, 351), "white")
    noisy = base.copy()
    noisy.putdata([(250, 250, 250) if k % 7 == 0 else (255, 255, 255) for k in range(248 * 351)])
    visible, mean, _ = difference(noisy, base)
    assert visible <= MOST and mean <= MEAN
    moved = base.copy()
    for y in range(100, 112):  # a line of text, 12 px high, across the column
        for x in range(20, 228):
            moved.putpixel((x, y), (0, 0, 0))
    visible, mean, _ = difference(moved, base)
    assert visible > MOST or mean > MEAN
