"""The section-by-section build: caches that invalidate exactly what they must, a flatplan
that moves what follows, and an assembled PDF equal to the one-pass PDF."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest
from PIL import Image
from pypdf import PdfReader

from edition.commands.build import build_edition
from edition.issue.load import load_issue
from edition.layout.load import load_layout
from edition.plan.model import ImageRequest
from edition.plan.plan import plan_issue

FIXTURE = Path(__file__).parent / "fixtures" / "issues" / "minimal"


def page_texts(pdf: Path) -> list[str]:
    out = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    # Spaces removed: pdftotext guesses them from glyph positions, differently from one
    # font subset to another in letter-spaced type; the glyphs themselves must be equal.
    return ["".join(p.split()) for p in out.split("\f")][:-1]


def outline(pdf: Path) -> list[tuple[int, str, int]]:
    """(level, title, 1-based page) of every bookmark."""
    reader = PdfReader(pdf)
    out: list[tuple[int, str, int]] = []

    def walk(items: list, level: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
            else:
                out.append(
                    (
                        level,
                        " ".join(str(item.title).split()),
                        reader.get_destination_page_number(item) + 1,
                    )
                )

    walk(reader.outline, 1)
    return out


@pytest.fixture
def issue(tmp_path: Path) -> Path:
    dest = tmp_path / "src" / "minimal"
    shutil.copytree(FIXTURE, dest)
    return dest


def build(issue: Path, out: Path, **kw):
    return build_edition(issue, "print", out, **kw)


def edit_article(issue: Path, slug: str, old: str, new: str) -> None:
    path = issue / "articles" / f"{slug}.md"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def first_body_word(issue: Path, slug: str) -> str:
    body = (issue / "articles" / f"{slug}.md").read_text().split("---", 2)[2]
    return next(w for w in body.split() if w.isalpha() and len(w) > 5)


def test_assembled_pdf_equals_the_one_pass_pdf(issue: Path, tmp_path: Path):
    sections = build(issue, tmp_path / "a")
    single = build(issue, tmp_path / "b", single_pass=True)
    assert sections.sections_rendered > 0 and single.sections_rendered == 0
    assert sections.pages == single.pages
    # Same words on the same pages (folios, contents numbers, Baca Juga pages included).
    assert page_texts(sections.pdf) == page_texts(single.pdf)
    assert outline(sections.pdf) == outline(single.pdf)


def test_links_of_the_assembled_pdf_go_to_the_pages_they_name(issue: Path, tmp_path: Path):
    # The archive edition: assembled from sections like print, and it keeps its links.
    result = build_edition(issue, "archive", tmp_path / "out")
    starts = {title: page for _, title, page in outline(result.pdf)}
    spec = load_issue(issue)
    article_starts = {a.title: starts[a.title] for a in spec.articles}
    with pikepdf.open(result.pdf) as pdf:
        index = {p.objgen: i + 1 for i, p in enumerate(pdf.pages)}
        targets = []
        for page in pdf.pages:
            for annot in page.obj.get("/Annots", []):
                assert "/URI" not in annot.get("/A", {}) or not str(annot.A.URI).startswith(
                    "edition-anchor:"
                ), "an unresolved section link"
                if "/Dest" in annot:
                    targets.append(index[annot.Dest[0].objgen])
    # Every article start is the target of at least one link (contents, cover lines).
    assert set(article_starts.values()) <= set(targets)


def test_one_paragraph_edit_lays_out_only_that_article(issue: Path, tmp_path: Path):
    out = tmp_path / "out"
    first = build(issue, out)
    word = first_body_word(issue, "gudang-baru")
    edit_article(issue, "gudang-baru", word, word.upper())
    second = build(issue, out)
    assert first.sections_rendered >= 9
    assert second.sections_rendered == 1
    assert second.sections_reused >= 8  # every other section of the 16 pages
    assert second.photos_prepared == 0
    assert second.sections_moved == []
    assert word.upper() in "".join(page_texts(second.pdf))


def test_nothing_changed_keeps_the_pdf(issue: Path, tmp_path: Path):
    out = tmp_path / "out"
    first = build(issue, out)
    data, mtime = first.pdf.read_bytes(), first.pdf.stat().st_mtime_ns
    again = build(issue, out)
    assert again.unchanged and again.pages == first.pages
    assert first.pdf.stat().st_mtime_ns == mtime and first.pdf.read_bytes() == data
    assert [str(f) for f in again.preflight] == [str(f) for f in first.preflight]
    # Touched but not changed: what is read is the same, so nothing is done.
    (issue / "issue.toml").touch()
    assert build(issue, out).unchanged
    # With the record of the last build gone, the PDF is made again from the caches, to
    # the same bytes.
    for record in (out / ".cache" / "builds").iterdir():
        record.unlink()
    again = build(issue, out)
    assert not again.unchanged and again.sections_rendered == 0
    assert again.pdf.read_bytes() == data


def test_a_changed_photo_invalidates_its_sections_only(issue: Path, tmp_path: Path):
    out = tmp_path / "out"
    build(issue, out)
    lead = issue / "photos" / "lead-a.jpg"
    with Image.open(lead) as img:
        Image.new("RGB", img.size, (200, 40, 40)).save(lead, quality=90)
    second = build(issue, out)
    plan = plan_issue(load_issue(issue), load_layout("classic", issue))
    uses = {s.request for s in plan.slots if s.request.source.name == "lead-a.jpg"}
    assert second.photos_prepared == len(uses)  # each placed size of that photo, no other
    # Its article and the contents (where it is a thumbnail) are laid out again.
    assert 1 <= second.sections_rendered <= 2


def test_an_article_that_grows_moves_what_follows(issue: Path, tmp_path: Path):
    out = tmp_path / "out"
    first = build(issue, out)
    before = outline(first.pdf)
    path = issue / "articles" / "patroli-utara.md"
    text = path.read_text()
    extra = "\n\n".join(
        [
            "Paragraf tambahan tentang patroli, cuaca, mesin, dan awak kapal "
            "yang bekerja bergantian siang dan malam di perairan utara."
        ]
        * 40
    )
    path.write_text(text.rstrip() + "\n\n" + extra + "\n")
    second = build(issue, out)
    after = outline(second.pdf)
    old = {t: p for _, t, p in before}
    new = {t: p for _, t, p in after}
    grown = load_issue(issue).article("patroli-utara").title
    later = [t for t in new if new[t] > new[grown] and t in old]
    assert later, "nothing follows the article in the fixture"
    assert all(new[t] > old[t] for t in later)  # everything after it moved on ...
    # ... and was laid out again at its new place (the build says which).
    assert {t for t in later if t != "Inframe"} <= set(second.sections_moved) | {
        "Laporan Utama",
        "Internasional",
        "Rubrik Tetap",
    }
    # And the pages still say the truth: equal to a one-pass build of the same sources.
    single = build(issue, tmp_path / "single", single_pass=True)
    assert page_texts(second.pdf) == page_texts(single.pdf)


def test_a_damaged_section_in_the_cache_is_laid_out_again(issue: Path, tmp_path: Path):
    out = tmp_path / "out"
    first = build(issue, out)
    data = first.pdf.read_bytes()
    cached = sorted((out / ".cache" / "sections").glob("*.pdf"))
    assert cached
    cached[0].write_bytes(cached[0].read_bytes()[: len(cached[0].read_bytes()) // 2])
    for record in (out / ".cache" / "builds").iterdir():
        record.unlink()  # not "nothing changed": the sections are consulted
    second = build(issue, out)
    assert second.sections_rendered == 1
    assert second.pdf.read_bytes() == data


def test_planned_pages_overflow_is_an_error(issue: Path, tmp_path: Path):
    edit_article(issue, "patroli-utara", "title:", "pages: 1\ntitle:")
    result = build(issue, tmp_path / "out")
    codes = {f.code for f in result.preflight}
    assert "plan.article-overflow" in codes
    finding = next(f for f in result.preflight if f.code == "plan.article-overflow")
    assert finding.obj == "patroli-utara" and finding.page


def test_planned_pages_respected_is_clean(issue: Path, tmp_path: Path):
    first = build(issue, tmp_path / "probe")
    pages = {t: p for _, t, p in outline(first.pdf)}
    spec = load_issue(issue)
    titles = [a.title for a in spec.articles]
    # The first article's real length, from where the next bookmark starts.
    starts = sorted(set(pages.values()))
    start = pages[titles[0]]
    length = next(p for p in starts if p > start) - start
    edit_article(issue, spec.articles[0].slug, "title:", f"pages: {length}\ntitle:")
    result = build(issue, tmp_path / "out")
    assert not {"plan.article-overflow", "plan.article-short"} & {f.code for f in result.preflight}


@pytest.mark.parametrize(
    ("size", "box", "crop", "dpi"),
    [
        ((3000, 2000), (254, 169.33), True, 300),  # same shape: 3000 px over 10 in
        ((6000, 2000), (254, 169.33), True, 300),  # wider: cut at the sides, height decides
        ((3000, 4000), (254, 169.33), True, 300),  # taller: cut at top and bottom, width decides
        ((1000, 1000), (50.8, 25.4), False, 1000),  # fitted: 1 in square inside 2 x 1 in
        ((1000, 1000), (25.4, 50.8), False, 1000),
    ],
)
def test_effective_dpi_at_the_placed_size(size, box, crop, dpi):
    req = ImageRequest(Path("x.jpg"), box[0], box[1], 300, crop)
    assert req.effective_dpi(*size) == pytest.approx(dpi, rel=0.01)


def test_preflight_remembered_by_page_equals_a_fresh_preflight(issue: Path, tmp_path: Path):
    from edition.check.preflight import check_pdf
    from edition.profiles import PROFILES

    out = tmp_path / "out"
    build(issue, out)
    word = first_body_word(issue, "gudang-baru")
    edit_article(issue, "gudang-baru", word, word.upper())
    rebuilt = build(issue, out)
    plan = plan_issue(load_issue(issue), load_layout("classic", issue), quality=88, cmyk=True)
    # Checked against the archive's rules, every page with a photo has a finding (its
    # images are CMYK): page-level findings the memory must give back, with their pages.
    archive = PROFILES["archive"]
    cache = tmp_path / "preflight-cache"
    fresh = check_pdf(rebuilt.pdf, plan, archive)
    first = check_pdf(rebuilt.pdf, plan, archive, cache)  # remembers
    again = check_pdf(rebuilt.pdf, plan, archive, cache)  # recalls
    assert (cache / "preflight-pages-archive.json").is_file()
    paged = [f for f in fresh if f.code == "pdf.cmyk-image"]
    assert len({f.page for f in paged}) >= 3
    assert sorted(map(str, first)) == sorted(map(str, fresh))
    assert sorted(map(str, again)) == sorted(map(str, fresh))
