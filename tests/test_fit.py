"""Copyfit: measurements of laid-out pages, the ladder of adjustments, padding with the
issue's own material, and the page checks of the preflight (unit tests on small data, and
one build of the fixture read back with PDFium)."""

from __future__ import annotations

import dataclasses
import itertools
import shutil
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from edition.check.layout import PdfLine, ReadPage, check_read_pages
from edition.fit.apply import apply_fit, step_mm
from edition.fit.fit import fit_plan, follow, next_fit
from edition.fit.state import article_state
from edition.issue.load import load_issue
from edition.layout.load import load_layout
from edition.pdf.engine import weasyprint
from edition.pdf.measure import Block, Column, Line, PageMeasure, SectionMeasure, measure_document
from edition.plan.model import (
    AdPage,
    ArticleFit,
    ArticleSection,
    InframeSection,
    Insert,
    PopulerPage,
)
from edition.plan.pad import pad_plan
from edition.plan.plan import plan_issue

FIXTURE = Path(__file__).parent / "fixtures" / "issues" / "minimal"
MM = 72 / 25.4
LINE = 12.0


@pytest.fixture(scope="module")
def plan():
    issue = load_issue(FIXTURE)
    return plan_issue(issue, load_layout(issue.spec.layout, issue.root))


def article(plan, slug: str) -> ArticleSection:
    return next(s for s in plan.articles if s.article.slug == slug)


# -- measuring a laid-out page


def test_measure_reads_columns_lines_paragraphs_and_references():
    words = " ".join(f"kata{i % 7}" for i in range(260))
    html = f"""<html lang="id"><head><style>
      @page {{ size: 120mm 100mm; margin: 10mm; }}
      body {{ font: 9pt/12pt serif; }} .cols {{ columns: 2; column-gap: 5mm; }}
      p {{ margin: 0; orphans: 2; widows: 2; }}
    </style></head><body><article id="art-x" class="story">
      <div class="cols"><p>{words}</p><p>Kalimat terakhir yang pendek
      <span class="pageref" data-ref="#art-y">hlm. 88</span></p></div>
    </article></body></html>"""
    measure = measure_document(weasyprint().HTML(string=html).render())
    first = measure.pages[0]
    assert first.anchor == "art-x"
    assert first.root[0] == "article" and first.root[1] == "story"
    assert len(first.columns) == 2
    area_top = 10 * MM
    assert first.area[1] == pytest.approx(area_top)
    # Lines sit on the 12 pt grid of the column, top to bottom.
    col = [ln for ln in first.lines if ln.column == 0]
    assert [round(b.baseline - a.baseline, 3) for a, b in itertools.pairwise(col)] == [12.0] * (
        len(col) - 1
    )
    paragraphs = {ln.para for p in measure.pages for ln in p.lines}
    assert len(paragraphs) == 2
    firsts = [ln for p in measure.pages for ln in p.lines if ln.first]
    lasts = [ln for p in measure.pages for ln in p.lines if ln.last]
    assert len(firsts) == 2 and len(lasts) == 2
    assert firsts[0].text.startswith("kata0")
    refs = [r for p in measure.pages for r in p.refs]
    assert [(r.anchor, r.css_class, r.inline, r.text) for r in refs] == [
        ("art-y", "pageref", True, "hlm. 88")
    ]
    # A measurement survives the cache as plain data.
    assert SectionMeasure.from_dict(measure.as_dict()) == measure


# -- the ladder, on measurements made up for it


def page(area_bottom: float, columns: list[float], *, boxes=(), top=40.0, lines=()) -> PageMeasure:
    cols = tuple(
        Column(
            51 + i * 173,
            212 + i * 173,
            top,
            bottom,
            bottom - 3,
            round((bottom - top) / LINE),
            "text",
        )
        for i, bottom in enumerate(columns)
    )
    return PageMeasure(
        595.3,
        841.9,
        (51.0, top, 558.0, area_bottom),
        "art-x",
        top,
        cols,
        tuple(lines),
        tuple(boxes),
        (),
        max(columns),
        max(columns),
    )


def measure(*pages: PageMeasure) -> SectionMeasure:
    return SectionMeasure(tuple(pages))


def full_page() -> PageMeasure:
    return page(791.0, [790.0, 790.0, 790.0])


def test_a_tail_is_pulled_back_by_a_lower_lead_photo(plan):
    section = article(plan, "patroli-utara")
    assert section.lead is not None
    tail = page(791.0, [40 + 2 * LINE, 40 + 2 * LINE, 40 + LINE])  # 5 lines on the last page
    state = article_state(measure(full_page(), full_page(), tail), plan.layout)
    assert state.stub(plan.layout.fit.stub) and state.tail == 5
    step = next_fit(section, section, state, plan.layout)
    # 5 lines + 2 to spare, 3 columns under the photo: 3 steps of 12 pt each.
    assert step == ArticleFit(lead_steps=-3, tries=1)
    fitted = apply_fit(section, step, plan.layout)
    assert fitted.lead is not None and section.lead is not None
    assert fitted.lead.request.height_mm == pytest.approx(
        section.lead.request.height_mm - 3 * step_mm(plan.layout), abs=0.01
    )
    assert section.fit == ArticleFit()  # the planner's section is not touched


def test_a_tail_the_ladder_cannot_reach_gets_a_band(plan):
    section = article(plan, "patroli-utara")
    tail = page(791.0, [40 + 20 * LINE, 40 + 20 * LINE, 40 + 19 * LINE])  # 59 lines
    state = article_state(measure(full_page(), tail), plan.layout)
    assert next_fit(section, section, state, plan.layout) is None  # no rung reaches
    fitted = fit_plan(plan, plan, _measured(plan, {section.anchor: measure(full_page(), tail)}))
    assert fitted is not None
    band = article(fitted, "patroli-utara").fit.filler
    assert band is not None and band.kind in ("house", "populer")
    # The band fills the page under the text, on the baseline grid, one line below it.
    assert band.lines == (791 - (40 + 20 * LINE)) // LINE - plan.layout.fit.filler_gap_lines
    over = [f for f in fitted.notes if f.code == "fit.overflow"]
    assert [str(f) for f in over] == [
        f"{section.article.path}: warning: 59 lines over its 1 page (cut about "
        f"{over[0].hint.split()[2]} words, or give it 2 pages) [fit.overflow]"
    ]


def _measured(plan, measures: dict[str, SectionMeasure]):
    out = []
    for s in plan.sections:
        anchor = getattr(s, "anchor", None)
        out.append((s, measures.get(anchor, SectionMeasure())))
    return out


def test_an_articles_next_step_is_known_from_its_own_measurement(plan):
    """`follow` gives, from one article's measurement alone, the section the next round of
    `fit_plan` puts in its place (what the builder starts before the round's other articles
    are measured); None for an article that keeps its text (a band may still come)."""
    tail = page(791.0, [40 + 2 * LINE, 40 + 2 * LINE, 40 + LINE])
    sidebar = Block("box", "sidebar", 200.0, 400.0, 224.0, 385.0, 1)
    apart = page(791.0, [40 + 30 * LINE, 40 + 34 * LINE, 40 + 34 * LINE], boxes=[sidebar])
    short = page(791.0, [40 + 10 * LINE, 40 + 10 * LINE, 40 + 10 * LINE])
    shapes = [
        measure(full_page(), full_page(), tail),
        measure(full_page(), apart),
        measure(full_page(), short),
    ]
    assert len(plan.articles) >= 3
    measures = {a.anchor: m for a, m in zip(plan.articles, itertools.cycle(shapes))}
    laid, steps = plan, 0
    for _ in range(3):  # each round measuring as the one before: the ladder goes on
        fitted = fit_plan(plan, laid, _measured(laid, measures))
        if fitted is None:
            break
        for before, after in zip(laid.sections, fitted.sections, strict=True):
            m = measures.get(getattr(before, "anchor", ""), SectionMeasure())
            step = follow(plan, before, m)
            if not isinstance(before, ArticleSection):
                assert step is None and after == before
            elif dataclasses.replace(after.fit, filler=None) == dataclasses.replace(
                before.fit, filler=None
            ):
                assert step is None  # settled: its text stays (a band may come)
            else:
                assert step == after
                steps += 1
        laid = fitted
    assert steps >= 3


def test_an_unbalanced_last_page_moves_its_box(plan):
    section = article(plan, "patroli-utara")
    sidebar = Block("box", "sidebar", 200.0, 400.0, 224.0, 385.0, 1)
    last = page(791.0, [40 + 30 * LINE, 40 + 34 * LINE, 40 + 34 * LINE], boxes=[sidebar])
    state = article_state(measure(full_page(), last), plan.layout)
    assert state.unbalanced == ((0, 4.0),)
    step = next_fit(section, section, state, plan.layout)
    assert step == ArticleFit(box_moves=(("sidebar", -2),), tries=1)
    moved = apply_fit(section, step, plan.layout)
    kinds = [i.kind for i in moved.items if isinstance(i, Insert)]
    assert sorted(kinds) == sorted(i.kind for i in section.items if isinstance(i, Insert))
    before = next(k for k, i in enumerate(section.items) if getattr(i, "kind", "") == "sidebar")
    after = next(k for k, i in enumerate(moved.items) if getattr(i, "kind", "") == "sidebar")
    assert after < before


def test_a_box_move_that_overflows_tries_the_box_elsewhere(plan):
    """Moving the box earlier pushed the article onto a stub page: the box goes later
    instead, not the lead photo lower; after its last place, the move is undone."""
    section = article(plan, "patroli-utara")
    stub = page(791.0, [40 + 2 * LINE, 40 + LINE, 40 + LINE])
    state = article_state(measure(full_page(), full_page(), stub), plan.layout)
    assert state.stub(plan.layout.fit.stub)
    moved = dataclasses.replace(section, fit=ArticleFit(box_moves=(("sidebar", -2),), tries=1))
    step = next_fit(section, moved, state, plan.layout)
    assert step is not None and step.box_moves == (("sidebar", 2),) and step.lead_steps == 0
    last = dataclasses.replace(section, fit=ArticleFit(box_moves=(("sidebar", 4),), tries=3))
    step = next_fit(section, last, state, plan.layout)
    assert step is not None and step.box_moves == () and step.lead_steps == 0


def test_a_third_cut_line_in_a_row_keeps_its_word_whole(plan):
    section = article(plan, "gudang-baru")
    lines = [
        Line(40 + k * LINE, 49 + k * LINE, 51, 212, text, 0, 1, "p")
        for k, text in enumerate(
            ["dan kapal pa\u2010", "troli yang ber\u2010", "ada di perair\u2010", "an utara itu"]
        )
    ]
    last = page(791.0, [790.0, 790.0, 790.0], lines=lines)
    state = article_state(measure(last), plan.layout)
    assert state.runs == ("perairan",)
    step = next_fit(section, section, state, plan.layout)
    assert step is not None and step.unbreak == ("perairan",)
    fitted = apply_fit(section, step, plan.layout)
    html = "".join(str(i.html) for i in fitted.items if hasattr(i, "html"))
    original = "".join(str(i.html) for i in section.items if hasattr(i, "html"))
    assert html.count('<span class="nobreak">perairan</span>') == original.count("perairan")
    # Once tried, the ladder stops at the layout's number of passes.
    done = dataclasses.replace(section, fit=ArticleFit(tries=plan.layout.fit.passes))
    assert next_fit(section, done, state, plan.layout) is None


# -- padding to a multiple of four


def test_padding_uses_the_issues_own_material_before_house_ads(plan):
    padded = pad_plan(plan, 2)
    added = [s for s in padded.sections if s not in plan.sections]
    # Inframe in the fixture holds two upright photos (nothing to split): a Populer page
    # first, then one house ad the issue does not show yet.
    assert any(isinstance(s, PopulerPage) for s in added)
    houses = [s.house for s in padded.sections if isinstance(s, AdPage) and s.house]
    assert len(houses) == len(set(houses))
    assert padded.notes == plan.notes  # nothing to say about the padding


def test_padding_never_sets_two_house_ads_in_a_row_nor_one_twice(plan):
    padded = pad_plan(plan, 3)
    pages = padded.sections
    house = [isinstance(s, AdPage) and s.house is not None for s in pages]
    assert not any(a and b for a, b in itertools.pairwise(house))
    names = [s.house for s in pages if isinstance(s, AdPage) and s.house]
    assert len(names) == len(set(names))


def test_padding_beyond_the_issues_material_says_so(plan):
    padded = pad_plan(plan, 6)
    notes = [f for f in padded.notes if f not in plan.notes]
    assert [f.code for f in notes] == ["plan.house-ad-repeated"]
    # Populer and the three house ads the covers do not use: two pages short.
    assert str(notes[0]) == (
        f"{FIXTURE / 'issue.toml'}: warning: 2 pages padded with a house ad the issue already "
        "shows (add an article, Inframe photos or a Populer list) [plan.house-ad-repeated]"
    )


def test_a_longer_inframe_splits_a_page_of_two_landscapes(plan):
    inframe = next(s for s in plan.sections if isinstance(s, InframeSection))
    photo = inframe.pages[0].photos[0]
    two = dataclasses.replace(
        inframe,
        pages=[
            *inframe.pages,
            dataclasses.replace(
                inframe.pages[0], photos=[photo, photo], shape="double", first=False
            ),
        ],
    )
    sections = [two if s is inframe else s for s in plan.sections]
    padded = pad_plan(dataclasses.replace(plan, sections=sections), 1)
    longer = next(s for s in padded.sections if isinstance(s, InframeSection))
    assert len(longer.pages) == len(two.pages) + 1
    assert [p.shape for p in longer.pages[-2:]] == ["landscape", "landscape"]
    assert not any(
        isinstance(s, (PopulerPage, AdPage)) and s not in plan.sections for s in padded.sections
    )


# -- the page checks, on pages made up for them


def read_page(number: int, lines: list[PdfLine], images=()) -> ReadPage:
    return ReadPage(number, 595.3, 841.9, lines, list(images), [])


def body(text: str, left: float, top: float, right: float | None = None) -> PdfLine:
    return PdfLine(text, left, right if right is not None else left + 158, top, top + 9, top + 11,
                   "Noto-Serif", 9.25, (3.0,) * max(0, len(text.split()) - 1))  # fmt: skip


def test_page_checks_find_a_stub_an_unbalanced_page_and_a_bad_hyphen(plan):
    section = article(plan, "gudang-baru")
    left = 13 * MM  # page 2 is a left page
    cols = [left + i * (plan.layout.column_width + plan.layout.page.gutter) * MM for i in range(3)]
    top = 14 * MM
    opener = [
        body(f"baris {k} kata kata kata", cols[c], top + k * LINE)
        for c in range(3)
        for k in range(60)
    ]
    tail = [
        body("kalimat yang dipotong di ma\u2010", cols[0], top),
        body("na tidak boleh.", cols[0], top + LINE, cols[0] + 60),
    ]
    pages = [read_page(1, opener), read_page(2, tail)]
    outline = [(0, section.article.title)]
    found = check_read_pages(Path("x.pdf"), pages, plan, outline)
    by_code = {f.code: str(f) for f in found}
    assert by_code["layout.stub-page"] == (
        f"{section.article.path}: page 2: error: page holds only the tail of the article "
        "(3% of the type area) (cut the article or let the build fit it to one page less) "
        "[layout.stub-page]"
    )
    assert by_code["layout.bad-hyphen"] == (
        f"{section.article.path}: page 2: warning: column 1: 'ma-na' is cut where Indonesian "
        "hyphenation does not allow it (rebuild with the bundled hyphenation, or rewrite the "
        "line) [layout.bad-hyphen]"
    )


def test_page_checks_find_a_widow_and_a_loose_line(plan):
    section = article(plan, "gudang-baru")
    left = 18 * MM
    width = plan.layout.column_width * MM
    step = (plan.layout.column_width + plan.layout.page.gutter) * MM
    top = 14 * MM
    col1 = [body(f"kata kata kata kata {k}", left, top + k * LINE) for k in range(61)]
    col2 = [body("akhir paragraf.", left + step, top, left + step + 70)]  # a widow
    col2 += [body("kata kata kata kata baru", left + step + 9, top + LINE)]
    col2 += [body(f"kata kata kata kata {k}", left + step, top + (k + 2) * LINE) for k in range(59)]
    loose = PdfLine("jarak yang sangat lebar", left + 2 * step, left + 2 * step + width, top,
                    top + 9, top + 11, "Noto-Serif", 9.25, (9.0, 9.0, 9.0))  # fmt: skip
    col3 = [loose] + [
        body(f"kata kata kata kata {k}", left + 2 * step, top + (k + 1) * LINE) for k in range(60)
    ]
    found = check_read_pages(
        Path("x.pdf"), [read_page(1, col1 + col2 + col3)], plan, [(0, section.article.title)]
    )
    messages = [str(f) for f in found if f.code in ("layout.widow", "layout.loose-line")]
    assert messages == [
        f"{section.article.path}: page 1: error: column 2: widow 'akhir paragraf.' (the last "
        "line of a paragraph at the top of a column) (fit the article so the paragraph breaks "
        "elsewhere) [layout.widow]",
        f"{section.article.path}: page 1: info: column 3: loose line 'jarak yang sangat "
        "lebar' (word spaces 3.0 times the usual) (rewrite the paragraph or allow a break in "
        "its long words) [layout.loose-line]",
    ]


# -- one build of the fixture, read back with PDFium


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    from edition.commands.build import build_edition

    root = tmp_path_factory.mktemp("fit")
    issue = root / "minimal"
    shutil.copytree(FIXTURE, issue)
    return build_edition(issue, "print", root / "out")


@pytest.mark.slow
def test_the_fixture_builds_without_stub_pages_unbalanced_columns_widows_or_orphans(built):
    codes = [f.code for f in built.preflight]
    for code in ("layout.stub-page", "layout.unbalanced", "layout.widow", "layout.orphan"):
        assert code not in codes
    assert built.pages % 4 == 0


@pytest.mark.slow
def test_every_article_ends_on_a_page_at_least_half_used(built):
    """Read back independently: the lowest text or image in the type area of each article's
    last page, below the middle of the type area."""
    from edition.check.layout import outline_of

    plan = built.plan
    marks = dict((t, p) for p, t in outline_of(built.pdf))
    starts = sorted(marks.values())
    doc = pdfium.PdfDocument(str(built.pdf))
    top, bottom = 14 * MM, (297 - 18) * MM
    try:
        for section in plan.articles:
            first = marks[section.article.title]
            end = next((s for s in starts if s > first), len(doc))
            last = doc[end - 1]
            trim_top = last.get_trimbox()[3]
            lowest = 0.0
            for obj in last.get_objects(max_depth=3):
                left, bot, right, _ = obj.get_bounds()
                y = trim_top - bot  # from the top of the trim
                if top < y <= bottom + 1 and right - left > 20:
                    lowest = max(lowest, y)
            assert (lowest - top) / (bottom - top) >= 0.5, section.article.slug
    finally:
        doc.close()


@pytest.mark.slow
def test_pages_read_back_once_are_remembered_by_what_they_draw(built, tmp_path: Path):
    import pikepdf

    from edition.check.layout import check_layout
    from edition.check.pages import drawing_key
    from edition.profiles import get_profile

    profile = get_profile("print")
    with pikepdf.open(built.pdf) as pdf:
        keys = [drawing_key(page, profile) for page in pdf.pages]
    assert len(set(keys)) == len(keys)  # every page draws something of its own
    doc = pdfium.PdfDocument(str(built.pdf))
    try:
        fresh = check_layout(built.pdf, doc, built.plan)
        first = check_layout(built.pdf, doc, built.plan, None, keys, tmp_path)
        again = check_layout(built.pdf, doc, built.plan, None, keys, tmp_path)
    finally:
        doc.close()
    assert (tmp_path / "layout-pages.json").is_file()
    assert [str(f) for f in first] == [str(f) for f in fresh] == [str(f) for f in again]
