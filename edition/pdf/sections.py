"""The section-by-section build: every section laid out once, on its own, wherever it goes.

WeasyPrint lays out a whole document at once and lays it out again when page numbers
(`target-counter`) move, so a 36-page edition costs more than its sections do one by one.
Here every section of the plan (the cover, each article, each ad page, Inframe, ...) is
one small document, and nothing in it depends on where it lands:

- it is laid out as if it began on a right-hand page; a section that begins on a left
  page has each page moved sideways by the difference of its mirrored margins;
- its running heads and folios are not drawn with it, and the page numbers it shows
  (contents, "Baca Juga", Populer) are laid out as hidden stand-ins of their width;
- one more document, laid out once the edition's order is known, holds what depends on
  the place: running heads and folios drawn by the layout's own page rules, the page
  numbers at the places the stand-ins took, and the bands that fill articles' last pages.
  Each of its pages is drawn over the edition's page of the same number;
- links to other sections become `edition-anchor:` links, turned into page links when
  the PDF is assembled; the bookmarks are made from the plan.

Every section is measured as it is laid out (`edition.pdf.measure`): copyfit (`refit`)
reads the measurements and may give the plan new sections; only those are laid out. A
section's PDF and measurement are cached under a hash of everything that makes it (its
HTML, which names its prepared photos by content, the layout's files, the profile), so a
rebuild lays out only what changed, and an article that grows moves what follows without
laying it out again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html as html_escape
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pikepdf

from edition import __version__
from edition.errors import EditionError, Finding
from edition.language.typography import typographic
from edition.layout.spec import Strings
from edition.pdf.assemble import LINK_SCHEME, Part, assemble, overlay_page, shift_page
from edition.pdf.fetch import FetchRules
from edition.pdf.measure import PageMeasure, Ref, SectionMeasure
from edition.pdf.pool import layout_processes
from edition.pdf.worker import Job, Laid, render_job
from edition.photos.prepare import PhotoTask, PreparedImage
from edition.plan.model import (
    AdPage,
    ArticleSection,
    ContentsSection,
    CoverSection,
    ImageRequest,
    InframeSection,
    NewsSection,
    Plan,
    Section,
    Slot,
    section_slots,
)
from edition.plan.pad import pad_plan
from edition.profiles import Profile
from edition.render.html import Renderer, fill_pages
from edition.store.atomic import atomic_write_bytes, atomic_write_text
from edition.store.seal import sealed, unsealed
from edition.workers import SECTION, call_with_ceiling, layout_workers, limit_error

CACHE_VERSION = "3"
MAX_FIT_ROUNDS = 10  # copyfit stops itself (layout.toml: fit.passes)

# What a section leaves to the overlay: the margin boxes of running heads and folios (a
# margin box that shows a running element, such as a half-page ad, stays), and page numbers.
SECTION_CSS = """
@page {
  @top-left { content: none !important; } @top-center { content: none !important; }
  @top-right { content: none !important; } @bottom-left { content: none !important; }
  @bottom-right { content: none !important; }
}
.pageref, .toc-page, .thumb-page { visibility: hidden !important; }
"""
OVERLAY_CSS = """
.edition-overlay-root { height: auto !important; min-height: 0 !important; margin: 0 !important;
  padding: 0 !important; border: 0 !important; background: none !important;
  position: static !important; columns: auto !important; break-before: auto !important;
  break-after: auto !important; }
.edition-overlay-root::before, .edition-overlay-root::after { content: none !important; }
.edition-overlay-page { position: relative; height: 0; margin: 0; padding: 0; }
.edition-overlay-line { position: absolute; white-space: nowrap; margin: 0; }
.edition-overlay-block { position: absolute; margin: 0 !important; right: auto !important;
  bottom: auto !important; white-space: nowrap; }
.edition-overlay-band { position: absolute; left: 0; right: 0; margin: 0 !important; }
"""

Refit = Callable[[Plan, Plan, Sequence[tuple[Section, SectionMeasure]]], Plan | None]
"""Copyfit: the plan as planned, the plan laid out, and each section's measurement (after
the first round, the articles' only: the others come with an empty one) -> a plan with
fitted sections, or None when nothing is to change."""

Follow = Callable[[Plan, Section, SectionMeasure], Section | None]
"""Copyfit's next step for one article: the plan as planned, a section of the round and its
measurement -> the section the next round will lay out in its place (None: it stays)."""

Kept = Callable[[Plan, Section], Callable[[SectionMeasure], bool] | None]
"""Copyfit's word on a section of a round, to its layout process: the plan as planned and
the section -> what tells from its measurement whether copyfit keeps it (its PDF is then
written), or None (always kept)."""


class MorePhotos(Protocol):
    """Photos copyfit placed anew (a lead photo of another height): `place` gives each its
    URL, and what is still to prepare; those are made by the layout process of the first
    section that shows them, in parallel with the other layouts, and handed to `made`."""

    def place(
        self, requests: list[ImageRequest]
    ) -> dict[ImageRequest, tuple[str, PhotoTask | None]]: ...

    def made(self, images: Sequence[PreparedImage]) -> None: ...


class Remember(Protocol):
    """What copyfit did to a section, as plain data, and the section it did it to again:
    an edited article is laid out as planned and, at the same time, fitted as it was
    last time (usually what copyfit decides again, so the edit costs one round)."""

    def record(self, section: Section) -> dict[str, Any] | None: ...

    def again(self, section: Section, record: dict[str, Any]) -> Section | None: ...


@dataclass
class Unit:
    """One section laid out as its own document."""

    section: Section
    anchor: str | None
    bookmark: str | None  # its entry in the PDF outline
    key: str = ""  # what it holds (its HTML, the layout, the profile)
    mkey: str = ""  # what its measurement depends on (its photos by their shape only)
    pages: int = 0
    measure: SectionMeasure = field(default_factory=SectionMeasure)


@dataclass
class SectionStats:
    rendered: int = 0  # documents laid out by this build
    reused: int = 0  # sections of the edition taken from the cache
    passes: int = 0  # rounds of laying out (the first, and one per round of copyfit)
    total: int = 0  # sections in the edition
    moved: list[str] = field(default_factory=list)  # sections that begin on another page
    fitted: list[str] = field(default_factory=list)  # sections copyfit changed
    findings: list[Finding] = field(default_factory=list)
    laid_out: list[str] = field(default_factory=list)  # the sections laid out, by name ...
    from_cache: list[str] = field(default_factory=list)  # ... and those taken from the cache


@dataclass(frozen=True)
class Placed:
    """A section at its place in the edition, as a live view shows it before the edition
    is finished and checked: its pages as they are in the edition (moved to their side,
    running heads, folios and page numbers drawn), its first page (1-based), and a key
    that changes whenever those pages do."""

    unit: Unit
    first_page: int
    pdf: bytes
    skip: int
    key: str


@dataclass
class Warm:
    """What a long-running process (`edition serve`) lends a build: layout processes kept
    warm between builds (used, never shut down here), and a call made as soon as the
    edition is assembled, before it is finished and checked. Between builds it keeps each
    section's pages (so that only what changed is cut out of the edition again) and what
    the last build knew of its sections: their PDFs, records and measurements, checked
    once when read from the cache (they are named by the hash of what made them)."""

    pool: Executor
    workers: int
    laid_out: Callable[[Plan, list[Placed]], None] | None = None
    pages: dict[str, bytes] = field(default_factory=dict)
    pdfs: dict[str, bytes] = field(default_factory=dict)
    records: dict[str, tuple[int, SectionMeasure, list[Finding]]] = field(default_factory=dict)
    measures: dict[str, tuple[int, SectionMeasure]] = field(default_factory=dict)


@dataclass(frozen=True)
class Assembled:
    """The edition assembled from its sections: the PDF, the section PDFs its pages come
    from (close them once it is saved), where each section starts (0-based page), the
    plan as fitted, and every page measured."""

    pdf: pikepdf.Pdf
    sources: list[pikepdf.Pdf]
    units: list[Unit]
    starts: dict[str, int]
    plan: Plan
    pages: list[PageMeasure]


def anchor_of(section: Section, strings: Strings) -> tuple[str | None, str | None]:
    """A section's anchor (what links to it name) and its bookmark."""
    match section:
        case CoverSection():
            return "sampul", strings.cover
        case ContentsSection():
            return "daftar-isi", strings.contents
        case NewsSection():
            return section.anchor, strings.news
        case ArticleSection():
            return section.anchor, typographic(section.article.title)  # as printed
        case InframeSection():
            return section.anchor, strings.inframe
    return None, None


def _sha(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode() if isinstance(p, str) else p)
        h.update(b"\0")
    return h.hexdigest()[:40]


def _layout_fingerprint(plan: Plan, profile: Profile) -> str:
    """The layout's files and the profile: when they change, every section is stale."""
    h = hashlib.sha256(f"{CACHE_VERSION}|{__version__}|{profile}".encode())
    for folder in plan.layout.folders:
        for f in sorted(folder.rglob("*")):
            if f.is_file():
                h.update(f.relative_to(folder).as_posix().encode())
                h.update(f.read_bytes())
    return h.hexdigest()


class _StandIn(dict):  # type: ignore[type-arg]
    """Every page number a section shows, as a stand-in of the widest width it can take."""

    def __init__(self, digits: int) -> None:
        super().__init__()
        self.number = int("8" * digits)

    def get(self, key: object, default: object = None) -> int:  # type: ignore[override]
        return self.number


@dataclass
class _Held:
    """A section's HTML as laid out, and the keys made from it."""

    section: Section
    html: str
    key: str = ""
    mkey: str = ""


class SectionBuilder:
    """Lays out a plan's sections (in worker processes), fits them, assembles the edition.

    `executor`: a process pool to lay out in (a long-lived one, kept warm between builds);
    without it the builder starts its own, and ends it when the build is done.
    """

    def __init__(
        self,
        plan: Plan,
        profile: Profile,
        fetcher: FetchRules,
        cache_dir: Path,
        workers: int | None = None,
        step: Callable[[str], None] = lambda _: None,
        progress: Callable[[int, int], None] | None = None,
        *,
        executor: Executor | None = None,
        refit: Refit | None = None,
        follow: Follow | None = None,
        kept: Kept | None = None,
        prepare: MorePhotos | None = None,
        remember: Remember | None = None,
        warm: Warm | None = None,
        before_overlay: Callable[[pikepdf.Pdf], None] | None = None,
    ) -> None:
        self.plan, self.profile, self.fetcher = plan, profile, fetcher
        self.warm = warm
        self.cache = cache_dir / "sections"
        self.cache.mkdir(parents=True, exist_ok=True)
        self.workers = layout_workers(workers)
        self.step = step
        self.progress = progress
        self.refit = refit
        self.follow = follow
        self.kept = kept
        self.prepare = prepare
        self.before_overlay = before_overlay
        self.remember = remember
        if warm is not None:  # a long-running process lends its warm layout processes
            executor, self.workers = warm.pool, warm.workers
        self._own_pool = executor is None
        self.pool: Executor | None = executor
        if self.pool is None and self.workers > 1:
            # The layout processes start now and import WeasyPrint while the rest of the
            # build goes on (WeasyPrint's import alone is a good part of a small rebuild).
            self.pool = layout_processes(self.workers)
        self.renderer: Renderer | None = None  # made once the photos' URLs are known
        self.urls: dict[ImageRequest, str] = {}
        self.strings = plan.layout.text(plan.issue.spec.language)
        self.fingerprint = _layout_fingerprint(plan, profile)
        self.stats = SectionStats()
        self._html: dict[int, _Held] = {}  # id(section) -> its HTML
        self._laid: dict[str, tuple[int, SectionMeasure]] = {}  # key -> pages, measure
        self._pdf: dict[str, bytes] = {}
        self._rendered: set[str] = set()
        self._started = False
        self._to_make: dict[str, PhotoTask] = {}  # URL -> a photo not prepared yet
        # Layouts under way, across calls of `_run`: copyfit's next steps are started as
        # soon as a measurement gives them, and a later round takes them from here.
        self._flight: dict[Future[Laid], Job] = {}
        self._following: dict[str, Section] = {}  # key -> a section whose next step to start
        self._next_steps: dict[str, Job] = {}  # next steps waiting for a free process

    # -- one section's HTML, and what is known about it

    @property
    def digits(self) -> int:
        """Digits of the largest page number the edition can have (a generous guess)."""
        return max(2, len(str(len(self.plan.sections) * 4)))

    def section_html(self, section: Section) -> str:
        """A section's HTML as it is laid out: stand-ins for page numbers, links to other
        sections by anchor, no running heads or folios."""
        return self._held(section).html

    def _held(self, section: Section) -> _Held:
        held = self._html.get(id(section))
        if held is None or held.section is not section:  # ids are reused once freed
            assert self.renderer is not None, "build() makes the renderer"
            template = self.renderer.html([section], placeholders=True, fillers_inline=False)
            html = fill_pages(template, _StandIn(self.digits), self.strings.page_ref, SECTION_CSS)
            html = html.replace('href="#', f'href="{LINK_SCHEME}')
            held = _Held(section, html)
            self._html[id(section)] = held
        return held

    def key(self, section: Section) -> str:
        held = self._held(section)
        if not held.key:
            held.key = _sha(self.fingerprint, held.html)
        return held.key

    def measure_key(self, section: Section) -> str:
        """What a section's measurement depends on: its HTML with each photo named by the
        shape of its box, not by its content (a new photo of the same shape lays out the
        same). Kept with the HTML when every photo in it has a shape."""
        held = self._held(section)
        if held.mkey:
            return held.mkey
        unknown = False

        def shape(m: re.Match[str]) -> str:
            nonlocal unknown
            url = m.group(1)
            if url not in self._shapes:
                unknown = True
            return f'src="{self._shapes.get(url, url)}"'

        mkey = _sha(self.fingerprint, "measure", re.sub(r'src="([^"]*)"', shape, held.html))
        if not unknown:
            held.mkey = mkey
        return mkey

    _shapes: dict[str, str]

    def _learn_shapes(self, plan: Plan) -> None:
        self._shapes = {}
        self._learn_slots(plan.slots)

    def _learn_slots(self, slots: Iterable[Slot]) -> None:
        for slot in slots:
            url = self.urls.get(slot.request)
            if url is None:
                continue
            req = slot.request
            shape = f"{req.width_mm}x{req.height_mm}:{req.crop}"
            if not req.crop and all(slot.source_px):
                shape += ":" + "x".join(map(str, req.target_px(*slot.source_px)))
            self._shapes[url] = f"edition-photo:{shape}"

    def _measured(self, mkey: str) -> tuple[int, SectionMeasure] | None:
        """Pages and measurement of a section laid out before, in any build."""
        if mkey in self._by_shape:
            return self._by_shape[mkey]
        if self.warm is not None and mkey in self.warm.measures:
            self._by_shape[mkey] = self.warm.measures[mkey]
            return self._by_shape[mkey]
        try:
            info = unsealed(json.loads((self.cache / f"m-{mkey}.json").read_text()))
            if info is None:
                return None  # edited: not believed
            result = (int(info["pages"]), SectionMeasure.from_dict(info["measure"]))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        self._by_shape[mkey] = result
        return result

    _by_shape: dict[str, tuple[int, SectionMeasure]]

    def _meta_path(self, key: str) -> Path:
        return self.cache / f"{key}.json"

    def _known(self, key: str) -> tuple[int, SectionMeasure] | None:
        """Pages and measurement of a section laid out before (its PDF may be gone)."""
        if key in self._laid:
            return self._laid[key]
        if self.warm is not None and key in self.warm.records:
            pages, measure, found = self.warm.records[key]
            self._laid[key] = (pages, measure)
            self._findings[key] = list(found)
            return pages, measure
        try:
            info = unsealed(json.loads(self._meta_path(key).read_text()))
            if info is None or int(info["pages"]) < 1:
                return None  # edited or damaged: laid out again
            result = (int(info["pages"]), SectionMeasure.from_dict(info["measure"]))
            found = [Finding.from_dict(d) for d in info["findings"]]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        self._laid[key] = result
        self._findings[key] = found
        return result

    _findings: dict[str, list[Finding]]

    def _cached_pdf(self, key: str) -> bytes | None:
        if key in self._pdf:
            return self._pdf[key]
        if self.warm is not None and key in self.warm.pdfs:
            self._pdf[key] = self.warm.pdfs[key]
            return self._pdf[key]
        try:
            info = unsealed(json.loads(self._meta_path(key).read_text()))
            data = (self.cache / f"{key}.pdf").read_bytes()
        except (OSError, ValueError):
            return None
        if info is None or hashlib.sha256(data).hexdigest() != info.get("sha256"):
            return None  # damaged: lay it out again
        self._pdf[key] = data
        return data

    # -- laying out

    def lay_out(
        self,
        sections: Sequence[Section],
        *,
        pdf: bool,
        also: Iterable[Section] = (),
        follow: bool = False,
    ) -> list[Unit]:
        """Units for `sections`, each measured; with `pdf`, each with its PDF at hand.
        What is neither in the cache nor laid out in this build is laid out now, in
        parallel, and with it the sections `also` (a guess of what comes next). A layout
        starts as soon as its section is found wanting: the HTML of the others is made
        while it runs. With `follow`, copyfit's next step for an article laid out now is
        started as soon as its measurement is in (see `_follow_up`)."""
        units: list[Unit] = []

        def wanting() -> Iterator[Job]:
            todo: set[str] = set()
            for s in also:
                key = self.key(s)
                if key not in todo and not self._is_known(s):
                    todo.add(key)
                    yield self._job(key, self.section_html(s), self.measure_key(s))
            for s in sections:
                anchor, bookmark = anchor_of(s, self.strings)
                unit = Unit(s, anchor, bookmark, self.key(s), self.measure_key(s))
                units.append(unit)
                if pdf:
                    if self._known(unit.key) is not None and self._cached_pdf(unit.key):
                        continue
                elif self._is_known(s):
                    continue
                if unit.key not in todo:
                    todo.add(unit.key)
                    wanted = None
                    if follow and isinstance(s, ArticleSection):
                        self._following[unit.key] = s
                        wanted = self._wanted(s)
                    yield self._job(unit.key, self.section_html(s), unit.mkey, wanted)

        self._run(wanting())
        for unit in units:
            known = self._laid.get(unit.key) or self._measured(unit.mkey)
            assert known is not None
            unit.pages, unit.measure = known
        return units

    def _run(self, jobs: Iterable[Job]) -> None:
        """Lay out `jobs` (found one after another): each process takes the first it is
        given; once all are busy the others are found, and go the largest first (they take
        longest, and the pool ends together)."""
        found = iter(jobs)
        first = next(found, None)
        if first is None:
            return
        self.stats.passes += 1
        if not self._started:
            self.step("Laying out sections")
            self._started = True
        done = 0
        # Each section is laid out under a ceiling of time and memory: an overlong word or
        # a template's loop ends in one finding, not a hang.
        if self.pool is None:
            every = [first, *found]
            for job in every:
                self._record(job, call_with_ceiling(SECTION, _task(job), None, render_job, job))
                done += 1
                if self.progress:
                    self.progress(done, len(every))
            return
        waiting: set[Future[Laid]] = set()  # this call's layouts
        pending: list[Job] = [first]
        rest: Iterator[Job] | None = found
        total = 1
        while pending or waiting or rest is not None:
            self._start_next_steps()
            while len(self._flight) < max(1, self.workers):
                if not pending and rest is not None:
                    another = next(rest, None)
                    if another is None:
                        rest = None
                    else:
                        pending.append(another)
                        total += 1
                if not pending:
                    break
                job = pending.pop(0)
                if self._done(job):  # a next step laid out ahead meanwhile
                    done += 1
                    continue
                waiting.add(self._submit(job))
            if rest is not None:  # every process busy: the others found meanwhile
                more = list(rest)
                rest = None
                total += len(more)
                pending = sorted([*pending, *more], key=lambda j: -len(j.html))
            if not waiting and not pending:
                continue
            finished, _ = wait(self._flight, return_when=FIRST_COMPLETED)
            for fut in finished:
                job = self._flight.pop(fut)
                try:
                    laid = fut.result()
                except BrokenProcessPool:  # killed: by the kernel, out of memory
                    raise limit_error(
                        "laying out a section",
                        None,
                        "memory",
                        f"{SECTION.current()[1] >> 20} MB",
                        SECTION.memory_env,
                    ) from None
                self._record(job, laid)
                self._follow_up(job, laid)
                if fut in waiting:
                    waiting.discard(fut)
                    done += 1
                    if self.progress:
                        self.progress(done, total)
        self._start_next_steps()

    def _submit(self, job: Job) -> Future[Laid]:
        """`job` laid out by a process of the pool (or the layout of it under way)."""
        assert self.pool is not None
        for fut, other in self._flight.items():
            # (a layout that may write no PDF does not do for a job that wants one)
            if other.key == job.key and (job.wanted is not None or other.wanted is None):
                return fut
        self._next_steps.pop(job.key, None)
        fut = self.pool.submit(call_with_ceiling, SECTION, _task(job), None, render_job, job)
        self._flight[fut] = job
        return fut

    def _follow_up(self, job: Job, laid: Laid) -> None:
        """Copyfit's next step for an article just measured, found now rather than when the
        round's last layout is done: it is what the next round lays out in its place (the
        step depends on the article's own measurement only, `edition.fit.follow`), and it
        goes to the first free process. A step to a try measured before is followed on
        from that try's measurement; one that copyfit keeps, measured only, has its PDF laid
        out now rather than when the edition is put together."""
        section = self._following.pop(job.key, None)
        if section is None or self.follow is None:
            return
        measure = laid.measure
        for _ in range(MAX_FIT_ROUNDS):
            after = self.follow(self.plan, section, measure)
            if after is None:
                return
            slots = section_slots(after)
            self._place([x.request for x in slots])
            self._learn_slots(slots)  # (measured by its photos' shapes, as in a round)
            key = self.key(after)
            if key in self._next_steps or any(o.key == key for o in self._flight.values()):
                return
            mkey = self.measure_key(after)
            known = self._known(key) or self._measured(mkey)
            if known is None:
                self._following[key] = after
                wanted = self._wanted(after)
                self._next_steps[key] = self._job(key, self.section_html(after), mkey, wanted)
                return
            if self.follow(self.plan, after, known[1]) is None:  # kept, as measured before
                if self._cached_pdf(key) is None:
                    self._next_steps[key] = self._job(key, self.section_html(after), mkey)
                return
            section, measure = after, known[1]

    def _wanted(self, section: Section) -> Callable[[SectionMeasure], bool] | None:
        return self.kept(self.plan, section) if self.kept is not None else None

    def _done(self, job: Job) -> bool:
        """Whether what `job` is for is at hand: its PDF, or (for a job that may do without
        one) its measurement."""
        return job.key in self._pdf or (job.wanted is not None and job.key in self._laid)

    def _start_next_steps(self) -> None:
        while self._next_steps and len(self._flight) < max(1, self.workers):
            key = next(iter(self._next_steps))
            job = self._next_steps.pop(key)
            if not self._done(job):
                self._submit(job)

    def _record(self, job: Job, laid: Laid) -> None:
        if laid.pages < 1:  # an issue's own template that writes nothing for a section
            raise EditionError.single(
                "a section was laid out on no page",
                hint="the templates must write every section of the plan",
                code="template.empty-section",
            )
        if not job.key.startswith("overlay-"):
            self.stats.rendered += 1
        self._rendered.add(job.key)
        self._findings[job.key] = list(laid.findings)
        measure = laid.measure.as_dict()
        if laid.photos:
            assert self.prepare is not None
            self.prepare.made(laid.photos)
            made = {t.path for t in job.photos}
            self._to_make = {u: t for u, t in self._to_make.items() if t.path not in made}
        if laid.pdf:  # (a try copyfit went past comes measured only: no PDF to keep)
            atomic_write_bytes(self.cache / f"{job.key}.pdf", laid.pdf)
            atomic_write_text(
                self._meta_path(job.key),
                json.dumps(
                    sealed(
                        {
                            "pages": laid.pages,
                            "findings": [f.as_dict() for f in laid.findings],
                            "sha256": hashlib.sha256(laid.pdf).hexdigest(),
                            "measure": measure,
                        }
                    )
                ),
            )
            self._pdf[job.key] = laid.pdf
        self._laid[job.key] = (laid.pages, laid.measure)
        if job.mkey:
            record = sealed({"pages": laid.pages, "measure": measure})
            atomic_write_text(self.cache / f"m-{job.mkey}.json", json.dumps(record))
            self._by_shape[job.mkey] = (laid.pages, laid.measure)

    def _job(
        self,
        key: str,
        html: str,
        mkey: str = "",
        wanted: Callable[[SectionMeasure], bool] | None = None,
    ) -> Job:
        return Job(
            key,
            html,
            str(self.plan.issue.root.resolve()) + "/",
            tuple(str(r) for r in self.fetcher.roots),
            tuple((u, str(p)) for u, p in self.fetcher.prepared.items()),
            self.profile.pdf_variant,
            mkey,
            tuple(t for u, t in self._to_make.items() if u in html),
            wanted,
        )

    # -- the build

    def build(self, photo_urls: Mapping[ImageRequest, str]) -> Assembled:
        """Lay out (or take from the cache) every section, fit them, pad the edition to
        its multiple of pages, and assemble it; `photo_urls` are the URLs of the prepared
        photos."""
        try:
            plan, _ = self._fitted(photo_urls, pdf=True)
            units = self.lay_out(plan.sections, pdf=True)
            self._gather(units)
            return self._assemble(plan, units)
        finally:
            self.close()

    def fit(self, photo_urls: Mapping[ImageRequest, str]) -> Plan:
        """The plan with its sections fitted and padded, measured section by section but not
        assembled (the one-pass editions lay it out as one document afterwards)."""
        try:
            plan, units = self._fitted(photo_urls, pdf=False)
            self._gather(units)
            return plan
        finally:
            self.close()

    def _fitted(
        self, photo_urls: Mapping[ImageRequest, str], *, pdf: bool
    ) -> tuple[Plan, list[Unit]]:
        self._findings = {}
        self._by_shape = {}
        self.urls = dict(photo_urls)
        if self.prepare is not None:  # photos not prepared first: made by the layouts
            self._place([x.request for x in self.plan.slots])
        self.renderer = Renderer(self.plan, self.profile, self.urls)
        self._learn_shapes(self.plan)
        plan = self.plan
        units = self.lay_out(
            plan.sections,
            pdf=pdf and self.refit is None,
            also=self._guesses(plan),
            follow=self.refit is not None,
        )
        measured = [(u.section, u.measure) for u in units]
        refitted = False
        for _ in range(MAX_FIT_ROUNDS):
            if self.refit is None:
                break
            fitted = self.refit(self.plan, plan, measured)
            if fitted is None:
                break
            if fitted.sections == plan.sections:
                plan = fitted  # what it says changed, not the pages
                break
            plan, refitted = self._adopt(fitted), True
            measured = self._articles_measured(plan)
        if refitted:
            units = self.lay_out(plan.sections, pdf=False)
        before = {id(s) for s in self.plan.sections}
        self.stats.fitted = [u.bookmark or "" for u in units if id(u.section) not in before]
        pad = (-sum(u.pages for u in units)) % self.profile.pad_to
        if pad:
            plan = self._adopt(pad_plan(plan, pad))
            units = self.lay_out(plan.sections, pdf=False)
        self._remember(units)
        return plan, units

    def _articles_measured(self, plan: Plan) -> list[tuple[Section, SectionMeasure]]:
        """The plan's articles laid out (or known) and measured, for copyfit's next round.
        Copyfit reads only the articles: the other sections, whose HTML may show the
        articles' photos (the contents), are laid out once it is done. Most of a round's
        articles were started as soon as the round before measured them (`_follow_up`)."""
        articles = [s for s in plan.sections if isinstance(s, ArticleSection)]
        done = {id(u.section): u.measure for u in self.lay_out(articles, pdf=False, follow=True)}
        return [(s, done.get(id(s), SectionMeasure())) for s in plan.sections]

    def _is_known(self, section: Section) -> bool:
        return (
            self._measured(self.measure_key(section)) is not None
            or self._known(self.key(section)) is not None
        )

    def _gather(self, units: list[Unit]) -> None:
        """What was found while laying out the edition's sections, whether laid out in this
        build or before (then read from the section's record: a section measured by its
        shape alone was never loaded from it)."""
        for u in units:
            found = self._findings.get(u.key)
            if found is None:
                self._known(u.key)
                found = self._findings.setdefault(u.key, [])
            self.stats.findings.extend(found)

    def _memory(self) -> Path:
        name = f"{self.plan.issue.root.resolve()}|{self.profile.name}"
        return self.cache / f"fits-{_sha(name)}.json"

    def _guesses(self, plan: Plan) -> Iterator[Section]:
        """Sections laid out as planned for the first time, fitted as copyfit fitted them
        in the last build (when their photos are ready), one after another."""
        if self.remember is None:
            return
        try:
            memory = json.loads(self._memory().read_text())
        except (OSError, ValueError):
            return
        if not isinstance(memory, dict) or not all(x.request in self.urls for x in plan.slots):
            return
        for s in plan.sections:
            anchor, _ = anchor_of(s, self.strings)
            record = memory.get(anchor) if anchor else None
            if not isinstance(record, dict) or self._measured(self.measure_key(s)) is not None:
                continue
            guess = self.remember.again(s, record)
            if guess is not None:
                yield guess

    def _remember(self, units: list[Unit]) -> None:
        if self.remember is None:
            return
        memory = {}
        for u in units:
            record = self.remember.record(u.section)
            if u.anchor and record is not None:
                memory[u.anchor] = record
        _write_if_changed(self._memory(), json.dumps(memory, sort_keys=True))

    def _adopt(self, plan: Plan) -> Plan:
        """A plan made by copyfit or padding: its new photos prepared, its renderer made."""
        self._place([s.request for s in plan.slots])
        self.renderer = Renderer(plan, self.profile, self.urls)
        self._learn_shapes(plan)
        # An article's HTML is its own (page numbers are stand-ins): kept across rounds of
        # copyfit, which hand back most articles as they were. Other sections may list
        # the plan's (the contents, the Populer page): made again.
        self._html = {k: v for k, v in self._html.items() if isinstance(v.section, ArticleSection)}
        return plan

    def _place(self, requests: list[ImageRequest]) -> None:
        """URLs for photos not prepared before the layout (the articles', and those copyfit
        placed anew); those not in the cache are made by the layout that shows them first,
        once it is kept."""
        new = [r for r in dict.fromkeys(requests) if r not in self.urls]
        if not new:
            return
        if self.prepare is None:
            raise RuntimeError("copyfit placed a photo, and no way to prepare it")
        for req, (url, task) in self.prepare.place(new).items():
            self.urls[req] = url  # (and the fetcher knows the file it will be)
            if task is not None:
                self._to_make[url] = task

    def close(self) -> None:
        for fut in self._flight:  # a next step copyfit did not take after all
            fut.cancel()
        self._flight.clear()
        self._next_steps.clear()
        if self.pool is not None and self._own_pool:
            # Nothing left to lay out: a worker still warming up is not waited for.
            self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = None if self._own_pool else self.pool

    # -- one PDF

    def _assemble(self, plan: Plan, units: list[Unit]) -> Assembled:
        used = {u.key for u in units}
        for key in self._rendered - used:
            (self.cache / f"{key}.pdf").unlink(missing_ok=True)  # its measure stays
            self._pdf.pop(key, None)
        self.stats.reused = sum(1 for u in units if u.key not in self._rendered)
        self.stats.total = len(units)
        starts_list, page = [], 0
        for u in units:
            starts_list.append(page)
            page += u.pages
        anchors = {u.anchor: s for u, s in zip(units, starts_list, strict=True) if u.anchor}
        self.stats.moved = self._moved(units, starts_list)
        for u in units:
            named = self.stats.laid_out if u.key in self._rendered else self.stats.from_cache
            named.append(unit_name(u))
        parts = []
        for u in units:
            pdf = self._pdf.get(u.key) or self._cached_pdf(u.key)
            assert pdf is not None
            rubric = None
            if isinstance(u.section, ArticleSection):
                rubric = u.section.opens_rubric or u.section.article.rubric
            parts.append(
                Part(
                    pdf,
                    0,
                    u.anchor,
                    u.bookmark,
                    rubric,
                    isinstance(u.section, ArticleSection) and bool(u.section.opens_rubric),
                )
            )
        together = None
        if self.before_overlay is not None:  # told of the edition while its overlay is laid out
            together = assemble(parts)
            self.before_overlay(together[0])
        overlay = self._overlay(plan, units, starts_list, anchors)
        drawn = pikepdf.open(io.BytesIO(overlay))
        if self.warm is not None:
            # A live view is shown the pages before the edition is put together.
            self._keep(units)
            if self.warm.laid_out is not None:
                self.warm.laid_out(plan, self._placed(units, starts_list, overlay, drawn))
        edition, sources, starts = together or assemble(parts)
        pages: list[PageMeasure] = []
        for u, first in zip(units, starts_list, strict=True):
            for k, m in enumerate(u.measure.pages):
                dx = _at_its_place(edition.pages[first + k], m, k, first + k, drawn)
                pages.append(_shifted(m, dx))
        sources.append(drawn)
        return Assembled(edition, sources, units, starts, plan, pages)

    def _keep(self, units: list[Unit]) -> None:
        """What the next build in this process may take from memory: the sections of this
        edition, and every measurement this build used (copyfit's steps)."""
        assert self.warm is not None
        used = {u.key for u in units} | {k for k in self._pdf if k.startswith("overlay-")}
        self.warm.pdfs = {k: self._pdf[k] for k in used if k in self._pdf}
        self.warm.records = {
            k: (*self._laid[k], list(self._findings.get(k, [])))
            for k in used
            if k in self._laid and k in self._findings
        }
        self.warm.measures = dict(self._by_shape)

    def _placed(
        self, units: list[Unit], starts: list[int], overlay: bytes, drawn: pikepdf.Pdf
    ) -> list[Placed]:
        """Each section's pages as they will be in the edition (moved to their side, the
        overlay drawn over them), for a live view; a section whose content, place and
        overlay are as in the last build keeps its PDF."""
        assert self.warm is not None
        kept: dict[str, bytes] = {}
        placed = []
        overlay_key = _sha(overlay)
        for u, first in zip(units, starts, strict=True):
            key = _sha(u.key, str(first), overlay_key if u.pages else "")
            data = self.warm.pages.get(key)
            if data is None:
                source = self._pdf.get(u.key) or self._cached_pdf(u.key)
                assert source is not None
                with pikepdf.open(io.BytesIO(source)) as part:
                    for k, m in enumerate(u.measure.pages):
                        _at_its_place(part.pages[k], m, k, first + k, drawn)
                    buf = io.BytesIO()
                    part.save(buf)
                data = buf.getvalue()
            kept[key] = data
            placed.append(Placed(u, first + 1, data, 0, key))
        self.warm.pages = kept
        return placed

    def _moved(self, units: list[Unit], starts: list[int]) -> list[str]:
        """Sections that begin on another page than in the last build of this edition."""
        name = f"{self.plan.issue.root.resolve()}|{self.profile.name}"
        path = self.cache / f"starts-{_sha(name)}.json"
        now = {u.bookmark: s for u, s in zip(units, starts, strict=True) if u.bookmark}
        try:
            before = json.loads(path.read_text())
        except (OSError, ValueError):
            before = {}
        if before != now:
            atomic_write_text(path, json.dumps(now))
        if not isinstance(before, dict):
            return []
        return sorted(t for t, s in now.items() if t in before and before[t] != s)

    # -- the overlay: running heads, folios, page numbers, filler bands

    def _overlay(
        self, plan: Plan, units: list[Unit], starts: list[int], anchors: dict[str, int]
    ) -> bytes:
        assert self.renderer is not None
        page = self.renderer.html([units[0].section], placeholders=True, fillers_inline=False)
        head = page.split("<body", 1)[0]
        head = head.replace("</head>", f"<style>{OVERLAY_CSS}</style>\n</head>", 1)
        body = []
        for u, first in zip(units, starts, strict=True):
            runs: list[list[tuple[int, PageMeasure]]] = []
            for k, m in enumerate(u.measure.pages):
                if runs and runs[-1][-1][1].name == m.name:
                    runs[-1].append((first + k, m))
                else:
                    runs.append([(first + k, m)])
            band = ""
            if isinstance(u.section, ArticleSection) and u.section.fit.filler is not None:
                band = str(self.renderer.filler_html(u.section, anchors))
            for run in runs:
                tag, classes, data = run[0][1].root
                tag = tag if re.fullmatch(r"[a-z][a-z0-9]*", tag or "") else "div"
                attrs = "".join(
                    f' {k}="{html_escape.escape(v)}"'
                    for k, v in data
                    if re.fullmatch(r"data-[a-z0-9-]+", k)
                )
                body.append(
                    f'<{tag} class="{html_escape.escape(classes)} edition-overlay-root"{attrs}>'
                    f'<div style="page: {run[0][1].name or "auto"}">'
                )
                for number, m in run:
                    brk = "" if number == 0 else "break-before: page; "
                    body.append(f'<div class="edition-overlay-page" style="{brk}">')
                    body.extend(_ref_html(r, m, anchors) for r in m.refs)
                    if band and m is u.measure.pages[-1]:
                        body.append(_band_html(band, m, plan))
                    body.append("</div>")
                body.append(f"</div></{tag}>")
        html = f'{head}<body class="edition-overlay">{"".join(body)}</body></html>'
        key = "overlay-" + _sha(self.fingerprint, html)
        if self._known(key) is None or self._cached_pdf(key) is None:
            self._run([self._job(key, html)])
        laid = self._pdf.get(key) or self._cached_pdf(key)
        assert laid is not None
        return laid


def _task(job: Job) -> str:
    return (
        "laying out the page overlay"
        if job.key.startswith("overlay-")
        else ("laying out a section")
    )


def _at_its_place(
    page: pikepdf.Page, measure: PageMeasure, k: int, number: int, drawn: pikepdf.Pdf
) -> float:
    """Page `k` of a section, as page `number` (0-based) of the edition: moved to its side
    and the overlay's page of that number drawn over it; returns how far it moved."""
    dx = _shift(measure, k, number)
    if dx:
        shift_page(page, dx)
    if number < len(drawn.pages):
        overlay_page(page, drawn.pages[number], f"EditionPage{number + 1}")
    return dx


def _shift(measure: PageMeasure, k: int, number: int) -> float:
    """How far page `k` (0-based) of a section, laid out as if the section began on a
    right-hand page, moves sideways as page `number` (0-based) of the edition: not at all
    when it stays on its side; by the difference of its margins when it changes sides
    (the layout's margins are mirrored, inside and outside)."""
    if k % 2 == number % 2:
        return 0.0
    left, right = measure.area[0], measure.width - measure.area[2]
    return right - left


def _shifted(m: PageMeasure, dx: float) -> PageMeasure:
    """A page's measurement moved sideways by `dx`."""
    if not dx:
        return m
    return dataclasses.replace(
        m,
        area=(m.area[0] + dx, m.area[1], m.area[2] + dx, m.area[3]),
        columns=tuple(
            dataclasses.replace(c, left=c.left + dx, right=c.right + dx) for c in m.columns
        ),
        lines=tuple(
            dataclasses.replace(ln, left=ln.left + dx, right=ln.right + dx) for ln in m.lines
        ),
        blocks=tuple(
            dataclasses.replace(b, left=b.left + dx, right=b.right + dx) for b in m.blocks
        ),
        refs=tuple(
            dataclasses.replace(r, left=r.left + dx, line_left=r.line_left + dx) for r in m.refs
        ),
    )


def _ref_html(ref: Ref, m: PageMeasure, anchors: dict[str, int]) -> str:
    """A page number drawn where its stand-in was laid out, in the same type: a box of its
    own at the stand-in's place (its line is its own strut, so the baseline is the same)."""
    page = anchors.get(ref.anchor)
    if page is None:
        return ""
    text = html_escape.escape(re.sub(r"\d+", str(page + 1), ref.text, count=1))
    cls = html_escape.escape(ref.css_class)
    style = (
        f"left: {ref.left - m.area[0]:.3f}pt; top: {ref.top - m.area[1]:.3f}pt; font: {ref.font}"
    )
    style = html_escape.escape(style)
    return f'<span class="{cls} edition-overlay-block" style="{style}">{text}</span>'


def _band_html(band: str, m: PageMeasure, plan: Plan) -> str:
    bottom = m.flow_bottom if m.flow_bottom is not None else m.bottom
    top = bottom - m.area[1]
    return f'<div class="edition-overlay-band" style="top: {top:.3f}pt">{band}</div>'


def unit_name(unit: Unit) -> str:
    """A section as the build's report names it: its bookmark, else what it is."""
    if unit.bookmark:
        return unit.bookmark
    section = unit.section
    if isinstance(section, AdPage):
        if section.ad is not None:
            return f"ad of {section.ad.spec.advertiser or section.ad.spec.artwork}"
        return f"house ad '{section.house}'"
    return section.kind


def _write_if_changed(path: Path, text: str) -> None:
    try:
        if path.read_text() == text:
            return
    except OSError:
        pass
    atomic_write_text(path, text)
