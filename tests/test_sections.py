"""The section-by-section build: caches that invalidate exactly what they must, a flatplan
that moves what follows, and an assembled PDF equal to the one-pass PDF."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pytest
from conftest import SAMPLE, invoke
from PIL import Image
from pypdf import PdfReader

from edition.commands.build import BuildResult, build_edition
from edition.issue.load import load_issue
from edition.layout.load import load_layout
from edition.plan.model import ArticleSection, ImageRequest, section_slots
from edition.plan.plan import plan_issue

FIXTURE = Path(__file__).parent / "fixtures" / "issues" / "minimal"
pytestmark = pytest.mark.slow


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


@dataclass(frozen=True)
class First:
    """The fixture's first build with an empty cache of its own."""

    cache: Path
    result: BuildResult


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory) -> First:
    root = tmp_path_factory.mktemp("sections")
    issue = root / "minimal"
    shutil.copytree(FIXTURE, issue)
    cache = root / "cache"
    return First(cache, build_edition(issue, "print", root / "out", cache=cache, workers=2))


@pytest.fixture
def cache(first: First, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the cache the first build left, this test's own: what a test lays out
    again is then what its own changes call for, never what other tests did."""
    own = tmp_path / "cache"
    shutil.copytree(first.cache, own)
    monkeypatch.setenv("EDITION_CACHE", str(own))
    return own


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


def test_the_first_build_lays_out_every_section_and_keeps_only_those_it_used(first: First):
    result = first.result
    assert result.sections_total >= 9
    assert result.sections_rendered >= result.sections_total  # some, maybe, twice
    assert result.sections_reused == 0 and result.sections_from_cache == []
    # Its first guesses at lengths corrected are not news: nothing "moved".
    assert result.sections_moved == []
    # A section laid out at a place it did not keep (a first guess of a length was
    # wrong) is not left in the cache: every section PDF there is one the edition uses,
    # besides the one layer of running heads and folios drawn over the assembled pages.
    kept = [p.name for p in (first.cache / "sections").glob("*.pdf")]
    sections = [name for name in kept if not name.startswith("overlay-")]
    assert len(sections) == result.sections_total
    assert len(kept) - len(sections) <= 1


def test_assembled_pdf_equals_the_one_pass_pdf(issue: Path, tmp_path: Path, cache: Path):
    sections = build(issue, tmp_path / "a")
    single = build(issue, tmp_path / "b", single_pass=True)
    assert sections.sections_total > 0 and single.sections_total == 0
    assert sections.pages == single.pages
    # Same words on the same pages (folios, contents numbers, Baca Juga pages included).
    assert page_texts(sections.pdf) == page_texts(single.pdf)
    assert outline(sections.pdf) == outline(single.pdf)


def test_links_of_the_assembled_pdf_go_to_the_pages_they_name(
    issue: Path, tmp_path: Path, cache: Path
):
    # The archive edition: assembled from sections like print, and it keeps its links.
    result = build_edition(issue, "archive", tmp_path / "out", cache=cache)
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


@pytest.mark.slow
def test_copyfits_next_steps_are_found_as_each_article_is_measured(
    first: First, issue: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """An article's next step is found as soon as its own layout is measured, before the
    round's other layouts are done, and laid out then: the edition is the one a build makes
    whose rounds each wait for the round before, in as many layouts (none wasted). A try
    copyfit goes past is measured only."""
    import edition.fit

    events: list[str] = []
    real_follow, real_fit = edition.fit.follow, edition.fit.fit_plan

    def found_only(base, section, measure):
        if real_follow(base, section, measure) is not None:
            events.append(f"step {section.anchor}")
        return None  # not laid out before the round's end

    def fit_plan(*args):
        events.append("round")
        return real_fit(*args)

    from edition.pdf.sections import SectionBuilder

    real_record = SectionBuilder._record

    def record(self, job, laid):
        events.append("measured" if not laid.pdf else "laid out")
        return real_record(self, job, laid)

    monkeypatch.setattr(edition.fit, "follow", found_only)
    monkeypatch.setattr(edition.fit, "fit_plan", fit_plan)
    monkeypatch.setattr(SectionBuilder, "_record", record)
    waited = build(issue, tmp_path / "out", cache=tmp_path / "cache", workers=2)
    assert "round" in events and events[0] in ("laid out", "measured")
    assert next(e for e in events if e != "laid out" and e != "measured").startswith("step ")
    assert waited.sections_fitted and waited.sections_rendered == first.result.sections_rendered
    assert waited.pdf.read_bytes() == first.result.pdf.read_bytes()
    # The tries copyfit went past were measured, and no PDF of them written.
    assert events.count("measured") >= 2


def test_one_paragraph_edit_lays_out_only_that_article(issue: Path, tmp_path: Path, cache: Path):
    out = tmp_path / "out"
    first = build(issue, out)
    word = first_body_word(issue, "gudang-baru")
    edit_article(issue, "gudang-baru", word, word.upper())
    second = build(issue, out)
    assert first.sections_rendered == 0 and first.sections_reused >= 9  # all in the cache
    # That article only: as planned, and fitted as last time at the same time (copyfit
    # then finds it needs what it needed before).
    assert 1 <= second.sections_rendered <= 2
    assert second.sections_laid_out == ["Gudang Bahan Bakar Baru di Pelabuhan Kecil"]
    assert second.sections_reused >= 8  # every other section of the 16 pages
    assert second.photos_prepared == 0
    assert second.sections_moved == []
    assert word.upper() in "".join(page_texts(second.pdf))


def test_a_layout_makes_the_photos_it_is_given_to_make(tmp_path: Path):
    """A photo copyfit places anew is made by the layout process of the section that
    shows it (`Job.photos`), laid out with it, and vouched for afterwards: the next build
    finds it in the cache."""
    import io

    from edition.pdf.fetch import FetchRules
    from edition.pdf.worker import Job, render_job
    from edition.photos.prepare import photo_tasks, vouch_for

    source = tmp_path / "lead.jpg"
    Image.new("RGB", (1200, 800), (30, 90, 160)).save(source, quality=90)
    req = ImageRequest(source, 60, 40, 150, True, 85, False, ())
    images = tmp_path / "cache" / "images"
    ready, tasks = photo_tasks([req], images)
    assert not ready and [t.request for t in tasks] == [req] and not tasks[0].path.exists()
    rules = FetchRules([tmp_path])
    url = rules.add_prepared(tasks[0].path)
    html = f'<html><body><img src="{url}" style="width: 60mm; height: 40mm"></body></html>'
    job = Job(
        "key",
        html,
        tmp_path.as_uri() + "/",
        (str(tmp_path),),
        tuple((u, str(p)) for u, p in rules.prepared.items()),
        None,
        photos=tuple(tasks),
    )
    laid = render_job(job)
    assert [p.path for p in laid.photos] == [tasks[0].path] and tasks[0].path.is_file()
    made = laid.photos[0]
    assert (made.width_px, made.height_px) == (354, 236)  # 60 x 40 mm at 150 dpi
    with pikepdf.open(io.BytesIO(laid.pdf)) as pdf:
        shown = [
            (int(x.Width), int(x.Height)) for page in pdf.pages for x in page.get_images().values()
        ]
    assert shown == [(354, 236)]
    assert not laid.findings
    vouch_for(list(laid.photos), images)
    ready, tasks = photo_tasks([req], images)
    assert not tasks and ready[req].path == made.path and ready[req].reused


@pytest.mark.parametrize("stand_in", ["of its size", "of another size"])
def test_a_try_lays_out_with_stand_ins_and_makes_its_photos_only_if_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stand_in: str
):
    """A layout that may not be kept lays out with a stand-in of each photo it is to make
    (the photo's size, one flat colour): a try copyfit goes past never makes its photos;
    one it keeps makes them, and its PDF shows them, not the stand-ins. A stand-in of
    another size than the photo (which would misdraw it) has the section laid out again."""
    import io

    from edition.pdf.fetch import FetchRules
    from edition.pdf.worker import Job, render_job
    from edition.photos.prepare import PhotoTask, photo_tasks

    if stand_in == "of another size":
        real = PhotoTask.stand_in

        def wrong(self: PhotoTask) -> bytes | None:
            data = real(self)
            assert data is not None
            with Image.open(io.BytesIO(data)) as img:
                buf = io.BytesIO()
                img.resize((img.width - 7, img.height)).save(buf, "JPEG")
            return buf.getvalue()

        monkeypatch.setattr(PhotoTask, "stand_in", wrong)
    source = tmp_path / "lead.jpg"
    Image.new("RGB", (1200, 800), (30, 90, 160)).save(source, quality=90)
    req = ImageRequest(source, 60, 40, 150, True, 85, True, ())
    images = tmp_path / "cache" / "images"
    _, tasks = photo_tasks([req], images)
    rules = FetchRules([tmp_path])
    url = rules.add_prepared(tasks[0].path)
    html = f'<html><body><img src="{url}" style="width: 60mm; height: 40mm"></body></html>'
    prepared = tuple((u, str(p)) for u, p in rules.prepared.items())
    args = ("key", html, tmp_path.as_uri() + "/", (str(tmp_path),), prepared, None)

    passed = render_job(Job(*args, photos=tuple(tasks), wanted=lambda m: False))
    assert passed.pdf == b"" and passed.photos == () and not tasks[0].path.exists()
    kept = render_job(Job(*args, photos=tuple(tasks), wanted=lambda m: True))
    assert [p.path for p in kept.photos] == [tasks[0].path] and tasks[0].path.is_file()
    assert kept.measure == passed.measure
    with pikepdf.open(io.BytesIO(kept.pdf)) as pdf:
        shown = [x for page in pdf.pages for x in page.get_images().values()]
        assert len(shown) == 1 and shown[0].Filter == pikepdf.Name.DCTDecode
        assert (int(shown[0].Width), int(shown[0].Height)) == (354, 236)
        assert shown[0].ColorSpace == pikepdf.Name.DeviceCMYK
        assert shown[0].read_raw_bytes() == tasks[0].path.read_bytes()
    assert not list(tmp_path.glob("**/edition-stand-ins-*"))


@pytest.mark.slow
def test_the_build_makes_only_the_photos_the_edition_shows(tmp_path: Path, cold_cache: Path):
    """Every photo of an article a build makes is one its edition shows: an article's
    planned photo that copyfit replaces (its lead photo made lower or higher), and the
    photos of the tries copyfit goes past, are never made."""
    from edition.photos.prepare import photo_tasks
    from edition.profiles import get_profile

    issue = tmp_path / SAMPLE.name
    shutil.copytree(SAMPLE, issue)
    result = build(issue, tmp_path / "out", cache=cold_cache)
    assert result.plan is not None
    profile = get_profile("print")
    loaded = load_issue(issue)
    planned = plan_issue(
        loaded,
        load_layout(loaded.spec.layout, loaded.root),
        dpi=profile.dpi,
        quality=profile.jpeg_quality,
        cmyk=profile.cmyk,
    )
    fitted = {a.anchor: a for a in result.plan.articles}
    replaced = [
        a.lead.request
        for a in planned.articles
        if a.lead is not None and a.lead.request != fitted[a.anchor].lead.request  # type: ignore[union-attr]
    ]
    assert replaced, "copyfit changed no lead photo of the sample: the test shows nothing"
    images = cold_cache / "images"
    shown, missing = photo_tasks([x.request for x in result.plan.slots], images)
    assert not missing and result.photos_prepared == len(shown) and result.photos_reused == 0
    made = set(images.glob("*.jpg"))
    assert not photo_tasks(replaced, images)[0]  # never made
    # Besides what the edition shows, only photos the planner placed in other sections than
    # the articles, prepared before the layout (padding may change such a section: the
    # sample's Inframe grows by a page, its photos placed anew).
    others = [
        x.request
        for s in planned.sections
        if not isinstance(s, ArticleSection)
        for x in section_slots(s)
    ]
    before = {p.path for p in photo_tasks(others, images)[0].values()}
    assert made - {p.path for p in shown.values()} <= before


def test_a_section_carries_its_colour_profile_compressed_as_every_other_does(tmp_path: Path):
    """The print edition's CMYK profile, which every section embeds, comes out of each
    layout compressed, whole, and in the same bytes as in every other section (so the
    assembly keeps one copy)."""
    import io

    from edition.pdf.worker import Job, render_job
    from edition.share import cmyk_profile_path

    icc = cmyk_profile_path()
    head = (
        f'<style>@color-profile device-cmyk {{ src: url("{icc.as_uri()}"); '
        "components: c, m, y, k; } p { color: device-cmyk(0 0 0 1); }</style>"
    )
    copies = []
    for text in ("Satu.", "Dua, tiga."):
        html = f"<html><head>{head}</head><body><p>{text}</p></body></html>"
        roots = (str(tmp_path), str(icc.parent))
        laid = render_job(Job(text, html, tmp_path.as_uri() + "/", roots, (), "pdf/x-4"))
        with pikepdf.open(io.BytesIO(laid.pdf)) as pdf:
            profiles = [
                o for o in pdf.objects if isinstance(o, pikepdf.Stream) and "/N" in o.stream_dict
            ]
            assert profiles, "no colour profile in the section"
            for profile in profiles:
                assert profile.stream_dict.get("/Filter") == pikepdf.Name.FlateDecode
                whole = profile.read_bytes()  # an ICC profile, of CMYK, all of it
                assert whole[36:40] == b"acsp" and whole[16:20] == b"CMYK"
                assert int.from_bytes(whole[:4], "big") == len(whole)
                copies.append(profile.read_raw_bytes())
    assert len(set(copies)) == 1 and len(copies[0]) < len(whole)


def test_a_layout_whose_pdf_is_not_wanted_is_measured_only(tmp_path: Path):
    """A job says, from its measurement, whether its PDF is wanted (copyfit's tries that it
    goes past are not): without it the layout is measured all the same."""
    from edition.pdf.worker import Job, render_job

    body = "".join(f"<p>Paragraf {i}.</p>" for i in range(60))
    html = f"<html><head><style>@page {{ size: A6 }}</style></head><body>{body}</body></html>"
    asked: list[int] = []

    def on(pages: int):
        def wanted(measure) -> bool:
            asked.append(len(measure.pages))
            return len(measure.pages) == pages

        return wanted

    args = ("k", html, tmp_path.as_uri() + "/", (str(tmp_path),), (), None)
    whole = render_job(Job(*args))
    assert whole.pages >= 2 and whole.pdf.startswith(b"%PDF")
    kept = render_job(Job(*args, wanted=on(whole.pages)))
    dropped = render_job(Job(*args, wanted=on(whole.pages + 1)))
    assert kept.pdf.startswith(b"%PDF") and dropped.pdf == b""
    assert asked == [whole.pages, whole.pages]
    assert dropped.measure == kept.measure == whole.measure and dropped.pages == whole.pages


def test_nothing_changed_keeps_the_pdf(issue: Path, tmp_path: Path, cache: Path):
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
    for record in (cache / "builds").iterdir():
        record.unlink()
    again = build(issue, out)
    assert not again.unchanged and again.sections_rendered == 0
    assert again.pdf.read_bytes() == data


def test_a_changed_photo_invalidates_its_sections_only(issue: Path, tmp_path: Path, cache: Path):
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


def test_an_article_that_grows_moves_what_follows(issue: Path, tmp_path: Path, cache: Path):
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
    said = invoke(["build", issue, "--out", out], exit_code=1).output
    second = build(issue, out)  # nothing changed since: the last build's result
    assert second.unchanged
    after = outline(second.pdf)
    old = {t: p for _, t, p in before}
    new = {t: p for _, t, p in after}
    grown = load_issue(issue).article("patroli-utara").title
    later = [t for t in new if new[t] > new[grown] and t in old]
    assert later, "nothing follows the article in the fixture"
    assert all(new[t] > old[t] for t in later)  # everything after it moved on ...
    # ... and was laid out again at its new place, and the build says which.
    line = next(ln for ln in said.splitlines() if ln.startswith("moved by a change of length"))
    moved = line.split(": ", 1)[1].split(", ")
    assert set(later) <= set(moved) | {"Laporan Utama", "Internasional", "Rubrik Tetap"}
    assert grown not in moved  # it grew; it was not moved
    # And the pages still say the truth: equal to a one-pass build of the same sources.
    single = build(issue, tmp_path / "single", single_pass=True)
    assert page_texts(second.pdf) == page_texts(single.pdf)


def test_a_damaged_section_in_the_cache_is_laid_out_again(issue: Path, tmp_path: Path, cache: Path):
    out = tmp_path / "out"
    first = build(issue, out)
    data = first.pdf.read_bytes()
    cached = sorted(
        p for p in (cache / "sections").glob("*.pdf") if not p.name.startswith("overlay-")
    )
    # Only sections this edition uses are in the cache (see the test of the first build),
    # so whichever is damaged, it is one the next build needs.
    assert len(cached) == first.sections_total
    cached[0].write_bytes(cached[0].read_bytes()[: len(cached[0].read_bytes()) // 2])
    for record in (cache / "builds").iterdir():
        record.unlink()  # not "nothing changed": the sections are consulted
    second = build(issue, out)
    assert second.sections_rendered == 1
    assert second.pdf.read_bytes() == data


def test_planned_pages_overflow_is_an_error_and_fewer_a_warning(
    issue: Path, tmp_path: Path, cache: Path
):
    edit_article(issue, "patroli-utara", "title:", "pages: 1\ntitle:")
    edit_article(issue, "latihan-gabungan", "title:", "pages: 9\ntitle:")
    result = build(issue, tmp_path / "out")
    starts = {t: p for _, t, p in outline(result.pdf)}
    over = [f for f in result.preflight if f.code == "plan.article-overflow"]
    assert [(f.obj, f.page, f.severity.value) for f in over] == [
        ("patroli-utara", starts["Patroli di Perairan Utara"], "error")
    ]
    short = [f for f in result.preflight if f.code == "plan.article-short"]
    assert [(f.obj, f.page, f.severity.value) for f in short] == [
        ("latihan-gabungan", starts["Latihan Gabungan Tiga Bulanan"], "warning")
    ]
    assert short[0].message.startswith("article 'latihan-gabungan' fills ")
    assert short[0].message.endswith(" of its 9 planned pages")


def test_planned_pages_respected_is_clean(issue: Path, tmp_path: Path, cache: Path):
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


def test_preflight_remembered_by_page_equals_a_fresh_preflight(
    issue: Path, tmp_path: Path, cache: Path
):
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
