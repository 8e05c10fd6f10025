"""The live build behind `edition serve`: warm layout processes, one build at a time, and
each build's pages known (which changed, what they belong to) before the edition is
assembled, finished and checked.

`Desk` holds what the browser is shown: a `Snapshot` (build number, state, pages,
findings, the length of each article), replaced whole after each step of a build, and
page images rendered on demand from the laid-out sections' PDFs. It knows nothing of
HTTP: `edition.serve` puts it on the web.
"""

from __future__ import annotations

import dataclasses
import heapq
import io
import itertools
import logging
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent import futures
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image

from edition.commands.build import BuildResult, build_edition
from edition.errors import EditionError, Finding
from edition.pdf.sections import Placed, Warm
from edition.plan.estimate import estimate_pages
from edition.plan.model import (
    AdPage,
    ArticleSection,
    ContentsSection,
    CoverSection,
    InframeSection,
    Insert,
    NewsSection,
    Plan,
    section_slots,
)
from edition.profiles import Profile, get_profile
from edition.proof.flatplan import (
    PageRef,
    Placement,
    SectionPdf,
    column_capacity,
    free_lines,
    lines_on,
    photo_index,
)
from edition.proof.pages import render_trimmed
from edition.store.paths import Output, cache_folder, path_key
from edition.workers import die_with_parent

log = logging.getLogger("edition.serve")

SERVE_PROFILES = ("print", "screen")
BUILDING, READY, FAILED = "building", "ready", "failed"
MM = 72 / 25.4
SIZES = {"thumb": 36, "page": 120}  # dpi of a flatplan thumbnail and of the page view
JPEG_QUALITY = 88
IMAGE_CACHE = 400  # page images kept in memory (a 64-page issue has 128 in both sizes)
DOWNLOADS = ("print", "screen", "archive")
PREVIEW = "screen-preview"  # the desk's screen edition: laid out section by section, untagged
RENDERERS = 2  # processes rendering page images (PDFium), apart from the build's
URGENT_ONLY = 1  # ... and one more kept for the pages looked at or just changed
PRERENDER = 8  # pages changed by an edit rendered before they are asked for, at most
PIXELS_FIRST = 1.0  # s the build waits for them before it goes on


@dataclass(frozen=True)
class Pin:
    """A finding as the page view shows it: where on the page (fractions of the trimmed
    page from its top left, when known) and the source file and line to edit."""

    finding: Finding
    x: float | None = None
    y: float | None = None
    source: str | None = None  # "articles/kri.md:12", relative to the issue folder

    def as_dict(self) -> dict[str, object]:
        return {**self.finding.as_dict(), "x": self.x, "y": self.y, "source": self.source}


@dataclass(frozen=True)
class PageView:
    """One page of the edition as the flatplan shows it."""

    number: int  # 1-based
    token: str  # changes whenever what the page shows may have changed
    kind: str  # cover, contents, news, article, inframe, ad, house-ad
    section: str  # what the flatplan calls it: an article's title, "Daftar Isi", ...
    rubric: str | None = None
    first: bool = False  # the section starts on this page
    ads: tuple[str, ...] = ()  # "full", "half", "quarter" (the ad sizes on this page)
    advertiser: str | None = None
    source: str | None = None  # the file to edit for this page, relative to the issue

    def as_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self) | {"ads": list(self.ads)}


@dataclass(frozen=True)
class ArticleFit:
    """An article's length: planned and laid out, in pages and in lines of its columns."""

    slug: str
    title: str
    source: str
    first_page: int
    planned_pages: int
    pages: int
    lines_over: int  # lines beyond the planned pages
    lines_free: int  # empty lines left in the columns of its last planned page (or more)
    planned_by: str  # "front matter" (pages: N) or "estimate" (from its words)

    @property
    def verdict(self) -> str:
        if self.lines_over:
            return f"{self.lines_over} lines over"
        if self.lines_free:
            return f"{self.lines_free} lines free"
        return "fits"

    def as_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self) | {"verdict": self.verdict}


@dataclass(frozen=True)
class Snapshot:
    """Everything the browser is shown, as of one moment."""

    build: int = 0  # finished builds (ready or failed) since the desk started
    state: str = BUILDING
    pages: tuple[PageView, ...] = ()
    pins: tuple[Pin, ...] = ()  # findings of the last good build, placed
    errors: tuple[Finding, ...] = ()  # why the last build failed (its pages are the last good)
    articles: tuple[ArticleFit, ...] = ()
    seconds: float = 0.0  # of the last finished build
    pages_seconds: float = 0.0  # from its start to its pages pushed
    changed: tuple[int, ...] = ()  # pages whose image changed with the last push

    def as_dict(self, issue_root: Path) -> dict[str, object]:
        return {
            "build": self.build,
            "state": self.state,
            "pages": [p.as_dict() for p in self.pages],
            "changed": list(self.changed),
            "findings": [p.as_dict() for p in self.pins],
            "errors": [_error_dict(f, issue_root) for f in self.errors],
            "articles": [a.as_dict() for a in self.articles],
            "seconds": round(self.seconds, 3),
            "pages_seconds": round(self.pages_seconds, 3),
        }


def _error_dict(f: Finding, root: Path) -> dict[str, object]:
    d = f.as_dict()
    d["text"] = _relative_line(str(f), root)
    return d


def _relative_line(line: str, root: Path) -> str:
    prefix = str(root.resolve()) + os.sep
    return line.replace(prefix, "")


def preview_profile(name: str) -> Profile:
    """The profile the desk lays out. A tagged edition (screen) needs one pass over the
    whole issue for its structure tree; the desk shows the same pages laid out section by
    section, without tags, so that an edit lays out one article."""
    if name not in SERVE_PROFILES:
        raise EditionError.single(
            f"the desk shows the print or screen edition, not '{name}'",
            None,
            None,
            f"use one of: {', '.join(SERVE_PROFILES)}",
            "usage.profile",
        )
    profile = get_profile(name)
    if profile.tagged:
        profile = dataclasses.replace(profile, tagged=False, pdf_variant=None)
    return profile


def _warm_worker(job: object | None) -> None:
    """In a layout process, once: end with the desk, import WeasyPrint and lay out one
    real section, so that fonts, Pango and the layout's CSS are loaded before an edit."""
    die_with_parent()
    from edition.pdf.worker import Job, render_job, warm_up

    warm_up()
    if isinstance(job, Job):
        try:
            render_job(job)
        except Exception:  # a warm-up only: the build reports what is wrong
            log.debug("warm-up layout failed", exc_info=True)


@dataclass
class _Laid:
    """The last good build's pages: where each page is in its section's PDF."""

    plan: Plan | None = None
    placed: list[Placed] = field(default_factory=list)
    # token -> (section key, section, page index in the section's PDF)
    where: dict[str, tuple[str, SectionPdf, int]] = field(default_factory=dict)
    sections: dict[str, SectionPdf] = field(default_factory=dict)  # unit key -> its PDF

    def pages(self) -> list[tuple[Placed, list[PageRef]]]:
        """Each section with its pages in the edition."""
        return [
            (
                p,
                [
                    PageRef(p.first_page + i, self.sections[p.key], p.skip + i)
                    for i in range(p.unit.pages)
                ],
            )
            for p in self.placed
        ]


class Desk:
    """The live build of one issue folder for one edition."""

    def __init__(
        self,
        issue_dir: Path,
        profile: str = "print",
        out_root: Path = Path("dist"),
        *,
        workers: int | None = None,
        cache: Path | None = None,
        listener: Callable[[Snapshot], None] = lambda _: None,
    ) -> None:
        self.issue_dir = Path(issue_dir)
        self.cache = cache  # the build cache's folder (None: the default one)
        self.profile_name = profile
        self.profile = preview_profile(profile)
        # The screen edition the desk lays out is not the tagged one: it is kept apart.
        self.out_root = Path(out_root)
        self.preview_root = (
            self.out_root
            if self.profile == get_profile(profile)
            else _preview_root(self.out_root, cache)
        )
        self.workers = max(1, workers or min(os.cpu_count() or 1, 2))
        self.listener = listener
        self.snapshot = Snapshot()
        self._lock = threading.RLock()  # the snapshot, the laid-out pages, the images
        self._images: OrderedDict[tuple[str, str], Future[dict[str, bytes]]] = OrderedDict()
        self._laid = _Laid()
        self._pool: ProcessPoolExecutor | None = None
        self._warm: Warm | None = None
        # PDFium is not thread-safe: the build thread reads pages back (preflight, where
        # the photos are, how full the columns are) while the browser asks for page
        # images, so these are rendered in a process of their own.
        self._renderer: _Renderers | None = None
        self._sections: dict[str, SectionPdf] = {}
        self._done = 0
        self._started = 0.0  # when the build under way started
        self.closed = False

    # -- the layout processes

    def start(self) -> None:
        """Start the layout processes and warm them up (call before other threads start:
        they are forked from this one and end with it)."""
        self._pool = self._new_pool()
        self._renderer = _Renderers(RENDERERS, URGENT_ONLY)

    def _new_pool(self) -> ProcessPoolExecutor:
        pool = ProcessPoolExecutor(
            max_workers=self.workers, initializer=_warm_worker, initargs=(self._warm_job(),)
        )
        for _ in range(self.workers):
            pool.submit(time.sleep, 0)  # forks every worker now, from this thread
        return pool

    def _warm_job(self) -> object | None:
        """A real section of this issue to lay out once in each process, if it loads."""
        try:
            from edition.issue.load import load_issue
            from edition.layout.load import load_layout
            from edition.pdf.fetch import FetchRules
            from edition.pdf.worker import Job
            from edition.plan.plan import plan_issue
            from edition.render.html import Renderer
            from edition.share import share_dir

            issue = load_issue(self.issue_dir)
            layout = load_layout(issue.spec.layout, issue.root)
            prof = self.profile
            plan = plan_issue(
                issue, layout, dpi=prof.dpi, quality=prof.jpeg_quality, cmyk=prof.cmyk
            )
            section = next(iter(plan.articles), None) or plan.sections[0]
            html = Renderer(plan, prof, {}).html([section])
            rules = FetchRules([issue.root.resolve(), *layout.folders, share_dir("assets")])
            return Job(
                "warm-up",
                html,
                str(issue.root.resolve()) + "/",
                tuple(str(r) for r in rules.roots),
                (),
                prof.pdf_variant,
            )
        except (EditionError, OSError, StopIteration, IndexError):
            return None

    def close(self) -> None:
        """Stop the layout processes and wait for them to end."""
        self.closed = True
        self._stop_pool()
        renderer, self._renderer = self._renderer, None
        if renderer is not None:
            renderer.close()

    def _stop_pool(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            processes = list(getattr(pool, "_processes", {}).values())
            pool.shutdown(wait=True, cancel_futures=True)
            for p in processes:  # a worker stuck in a layout does not outlive the desk
                p.join(timeout=5)
                if p.is_alive():
                    p.kill()

    # -- building

    def build(self) -> Snapshot:
        """Build the issue once: pages pushed as soon as they are laid out, then the
        findings. A build that fails keeps the last good pages and says why."""
        if self.closed:
            return self.snapshot
        if self._pool is None:
            self.start()
        renderer = self._renderer
        if renderer is not None:
            renderer.hold(True)  # until the changed pages are shown (`_laid_out`)
        try:
            return self._build()
        finally:
            if renderer is not None:
                renderer.hold(False)

    def _build(self) -> Snapshot:
        started = self._started = time.perf_counter()
        self._publish(dataclasses.replace(self.snapshot, state=BUILDING, changed=()))
        try:
            result = self._build_once()
        except EditionError as exc:
            return self._failed(list(exc.findings), started)
        except BrokenProcessPool:
            if self.closed:
                return self.snapshot
            # A layout process died (killed, or out of memory): start fresh ones, once.
            self._stop_pool()
            self._pool = self._new_pool()
            try:
                result = self._build_once()
            except EditionError as exc:
                return self._failed(list(exc.findings), started)
            except Exception as exc:
                return self._internal(exc, started)
        except Exception as exc:  # the one place a failed build becomes a message
            if self.closed:
                return self.snapshot
            return self._internal(exc, started)
        return self._ready(result, started)

    def _build_once(self) -> BuildResult:
        assert self._pool is not None
        if self._warm is None or self._warm.pool is not self._pool:
            # Kept from build to build: the sections' pages, PDFs and measurements.
            self._warm = Warm(self._pool, self.workers, self._laid_out)
        return build_edition(
            self.issue_dir, self.profile, self.preview_root, warm=self._warm, cache=self.cache
        )

    def _internal(self, exc: BaseException, started: float) -> Snapshot:
        log.error("internal error in a build", exc_info=exc)
        finding = Finding(
            f"internal error: {type(exc).__name__}: {exc}",
            None,
            "this is a bug in edition, not in your issue: the terminal shows the details",
            "internal.error",
        )
        return self._failed([finding], started)

    def _failed(self, findings: list[Finding], started: float) -> Snapshot:
        with self._lock:
            self._done += 1
            snap = dataclasses.replace(
                self.snapshot,
                build=self._done,
                state=FAILED,
                errors=tuple(findings),
                seconds=time.perf_counter() - started,
                pages_seconds=self.snapshot.pages_seconds,
                changed=(),
            )
        self._publish(snap)
        return snap

    def _laid_out(self, plan: Plan, placed: list[Placed]) -> None:
        """Every section is laid out: show the new pages now, before the edition is
        assembled and checked."""
        sections: dict[str, SectionPdf] = {}
        where: dict[str, tuple[str, SectionPdf, int]] = {}
        pages: list[PageView] = []
        root = plan.issue.root
        for p in placed:
            sec = self._sections.get(p.key) or sections.get(p.key)
            if sec is None:
                sec = SectionPdf(p.pdf)
            sections[p.key] = sec
            tokens = sec.tokens(p.skip, p.unit.pages)
            for i, token in enumerate(tokens):
                where[token] = (p.key, sec, p.skip + i)
                pages.append(_page_view(p, i, token, root))
        with self._lock:
            old = {pg.number: pg.token for pg in self.snapshot.pages}
            changed = tuple(pg.number for pg in pages if old.get(pg.number) != pg.token)
            stale = [s for k, s in self._sections.items() if k not in sections]
            self._laid = _Laid(plan, placed, where, sections)
            snap = dataclasses.replace(
                self.snapshot,
                state=BUILDING,
                pages=tuple(pages),
                changed=changed,
                pages_seconds=time.perf_counter() - self._started,
            )
        self._sections = sections
        for s in stale:
            s.close()
        self._publish(snap)
        if old and len(changed) <= PRERENDER:  # an edit: the browsers will ask for these
            jobs = [self._render(number, ("page", "thumb")) for number in changed]
            # The pixels first: the build goes on (writing, preflight) once they are
            # there, rather than share the processor and the interpreter with them.
            futures.wait([j[0] for j in jobs if j is not None], timeout=PIXELS_FIRST)
        if self._renderer is not None:
            self._renderer.hold(False)  # the thumbnails still wanted, while the build goes on

    def _ready(self, result: BuildResult, started: float) -> Snapshot:
        with self._lock:
            laid = self._laid
        plan = laid.plan
        pages = list(self.snapshot.pages)
        fits: list[ArticleFit] = []
        pins: list[Pin] = []
        if plan is not None:
            sections = laid.pages()
            index = photo_index([(section_slots(p.unit.section), refs) for p, refs in sections])
            pages = _mark_ads(pages, laid, index)
            fits = _article_fits(sections, plan)
            found = [*result.findings, *result.preflight]
            pins = _pins(found, pages, sections, plan, index, result.pdf)
        with self._lock:
            self._done += 1
            snap = Snapshot(
                build=self._done,
                state=READY,
                pages=tuple(pages),
                pins=tuple(pins),
                errors=(),
                articles=tuple(fits),
                seconds=time.perf_counter() - started,
                changed=(),
            )
        self._publish(snap)
        return snap

    def _publish(self, snap: Snapshot) -> None:
        with self._lock:
            self.snapshot = snap
        self.listener(snap)

    # -- what the browser asks for

    def status(self) -> dict[str, object]:
        """`GET /status.json`: the snapshot, with where the editions' PDFs are."""
        with self._lock:
            snap, plan = self.snapshot, self._laid.plan
        data = snap.as_dict(self.issue_dir)
        data["issue"] = str(self.issue_dir)
        data["title"] = None
        if plan is not None:
            spec = plan.issue.spec
            data["title"] = f"{spec.magazine} {spec.number} \u00b7 {spec.title or spec.date}"
        data["profile"] = self.profile_name
        data["downloads"] = self.downloads()
        return data

    def downloads(self) -> list[dict[str, object]]:
        """The editions' PDFs in the output folder, and whether each is newer than every
        file of the issue; for the screen edition, also the desk's own untagged one."""
        out: list[dict[str, object]] = []
        for name in (*DOWNLOADS, PREVIEW):
            pdf = self.pdf_path(name)
            if pdf is None:
                continue
            out.append(
                {
                    "profile": name,
                    "href": f"/pdf/{name}",
                    "bytes": pdf.stat().st_size,
                    "current": self._current(pdf),
                }
            )
        return out

    def _current(self, pdf: Path) -> bool:
        """Whether `pdf` is newer than every file of the issue."""
        try:
            made = pdf.stat().st_mtime
            newest = max(
                (f.stat().st_mtime for f in self.issue_dir.rglob("*") if f.is_file()), default=0
            )
        except OSError:
            return False
        return made >= newest

    def pdf_path(self, name: str) -> Path | None:
        """The PDF offered as `name` (an edition, or `screen-preview`), if it is there."""
        issue_id = self.issue_dir.resolve().name
        if name in DOWNLOADS:
            pdf = Output(self.out_root).pdf(issue_id, name)
        elif name == PREVIEW and self.preview_root != self.out_root:
            pdf = Output(self.preview_root).pdf(issue_id, self.profile.name)
        else:
            return None
        return pdf if pdf.is_file() else None

    def page_image(
        self, number: int, size: str = "page"
    ) -> tuple[Future[dict[str, bytes]], str] | None:
        """The JPEG of page `number` (1-based) at `size` ("thumb" or "page"), trimmed, as a
        job that gives it (the images of the sizes rendered with it, by size), and its
        token; None when there is no such page. It does not wait for the image: a server
        awaits the job, and a page asked for while thumbnails are still rendered is not
        kept waiting for a thread."""
        if size not in SIZES:
            return None
        # A thumbnail alone is quick; a page at reading size brings its thumbnail along.
        sizes = (size,) if size == "thumb" else (size, *(s for s in SIZES if s != size))
        return self._render(number, sizes)

    def image_failed(self, token: str, size: str) -> None:
        """Forget an image whose rendering failed (its section's PDF gone, say): the next
        request renders it again."""
        with self._lock:
            self._images.pop((token, size), None)

    def _render(
        self, number: int, sizes: tuple[str, ...]
    ) -> tuple[Future[dict[str, bytes]], str] | None:
        """The image of a page in the first of `sizes`, being rendered or rendered (each
        once). When it is to be rendered, the other `sizes` are made from it too: a page
        with photos costs their decoding, whatever its size."""
        with self._lock:
            pages = self.snapshot.pages
            if not 1 <= number <= len(pages) or self._renderer is None:
                return None
            token = pages[number - 1].token
            where = self._laid.where.get(token)
            if where is None:
                return None
            job = self._images.get((token, sizes[0]))
            if job is None:
                section_key, section, index = where
                # A page looked at (or just changed) before the thumbnails still to come.
                urgent = "page" in sizes
                job = self._renderer.submit(urgent, section_key, section.data, index, sizes)
                for size in sizes:
                    self._images.setdefault((token, size), job)
                while len(self._images) > IMAGE_CACHE:
                    self._images.popitem(last=False)
            else:
                self._images.move_to_end((token, sizes[0]))
        return job, token


_Item = tuple[int, int, "Future[dict[str, bytes]] | None", tuple]


class _Renderers:
    """The processes that render page images, fed one job each at a time, the most
    urgent first: a page the editor looks at, or that just changed, goes before the
    thumbnails a flatplan still waits for. `urgent` processes more take only those, so
    that one is free for them however many thumbnails are under way. While an edit is laid
    out (`hold`), only urgent jobs are taken: the thumbnails wait rather than share the
    processor with it."""

    def __init__(self, count: int, urgent: int = 0) -> None:
        self.pool = ProcessPoolExecutor(max_workers=count + urgent, initializer=die_with_parent)
        for _ in range(count + urgent):
            self.pool.submit(time.sleep, 0)  # forks them now, from the calling thread
        self.jobs: list[_Item] = []  # a heap
        self.ready = threading.Condition()
        self.held = False
        self.order = itertools.count()
        self.feeders = [
            threading.Thread(target=self._feed, args=(i >= count,), name="desk-render", daemon=True)
            for i in range(count + urgent)
        ]
        for t in self.feeders:
            t.start()

    def submit(self, urgent: bool, *args: object) -> Future[dict[str, bytes]]:
        """Urgent jobs go first, the newest first (the page looked at now); the others in
        the order they came (a flatplan fills from its top)."""
        job: Future[dict[str, bytes]] = Future()
        n = next(self.order)
        self._put((0, -n, job, args) if urgent else (1, n, job, args))
        return job

    def _put(self, item: _Item) -> None:
        with self.ready:
            heapq.heappush(self.jobs, item)
            self.ready.notify_all()  # (a feeder for urgent jobs only may not take it)

    def hold(self, held: bool) -> None:
        with self.ready:
            self.held = held
            self.ready.notify_all()

    def _next(self, urgent_only: bool) -> _Item:
        with self.ready:
            while not self.jobs or ((self.held or urgent_only) and self.jobs[0][0] > 0):
                self.ready.wait()
            return heapq.heappop(self.jobs)

    def _feed(self, urgent_only: bool) -> None:
        while True:
            _, _, job, args = self._next(urgent_only)
            if job is None:
                return
            if not job.set_running_or_notify_cancel():
                continue
            try:
                job.set_result(self.pool.submit(render_page, *args).result())
            except BaseException as exc:  # handed to whoever waits for the image
                job.set_exception(exc)

    def close(self) -> None:
        for _ in self.feeders:
            self._put((-1, 0, None, ()))
        self.pool.shutdown(wait=True, cancel_futures=True)
        for t in self.feeders:
            t.join(timeout=5)
        with self.ready:
            left, self.jobs = self.jobs, []
        for _, _, job, _ in left:
            if job is not None:
                job.cancel()


_OPEN: OrderedDict[str, pdfium.PdfDocument] = OrderedDict()  # in the rendering process


def render_page(
    key: str, data: bytes, index: int, sizes: tuple[str, ...] = tuple(SIZES)
) -> dict[str, bytes]:
    """In a rendering process: page `index` of the section PDF `data` (called `key`),
    trimmed, as a JPEG in each of `sizes` (rendered once, at the largest, the others
    scaled down from it). The last few sections stay open."""
    doc = _OPEN.get(key)
    if doc is None:
        doc = _OPEN[key] = pdfium.PdfDocument(data)
        while len(_OPEN) > 12:
            _OPEN.popitem(last=False)[1].close()
    page = doc[index]
    largest = max(SIZES[s] for s in sizes)
    try:
        image = render_trimmed(page, largest / 72)
    finally:
        page.close()
    out = {}
    for size in sizes:
        dpi, sized = SIZES[size], image
        if dpi != largest:
            w, h = (max(1, round(v * dpi / largest)) for v in image.size)
            sized = image.resize((w, h), Image.Resampling.LANCZOS, reducing_gap=2.0)
        buf = io.BytesIO()
        sized.save(buf, format="JPEG", quality=JPEG_QUALITY)
        out[size] = buf.getvalue()
    return out


def _preview_root(out_root: Path, cache: Path | None) -> Path:
    """Where the desk writes an edition it lays out otherwise than `edition build` (the
    screen edition, untagged): in the build cache, since only what is published goes
    into the output folder."""
    return cache_folder(cache) / "desk" / path_key(Path(out_root))


def _rel(path: Path | None, root: Path) -> str | None:
    if path is None:
        return None
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except (ValueError, OSError):
        return None


def _page_view(p: Placed, i: int, token: str, root: Path) -> PageView:
    section = p.unit.section
    number, first, name = p.first_page + i, i == 0, p.unit.bookmark or ""
    if isinstance(section, ArticleSection):
        art = section.article
        ads: tuple[str, ...] = ()
        advertiser = None
        if section.half_ad is not None and i + 1 == section.half_ad_page:
            ads, advertiser = ("half",), section.half_ad.spec.advertiser
        source = _rel(art.path, root)
        return PageView(
            number, token, "article", art.title, art.rubric, first, ads, advertiser, source
        )
    if isinstance(section, AdPage):
        if section.ad is not None:
            who = section.ad.spec.advertiser
            return PageView(
                number, token, "ad", who or "", None, True, ("full",), who, "issue.toml"
            )
        house = f"{section.house} (house ad)"
        return PageView(number, token, "house-ad", house, None, True, ("full",), None, "issue.toml")
    kind = {
        CoverSection: "cover",
        ContentsSection: "contents",
        NewsSection: "news",
        InframeSection: "inframe",
    }.get(type(section), "other")
    return PageView(number, token, kind, name or kind, None, first, (), None, "issue.toml")


# -- reading the laid-out pages back (PDFium, under the desk's PDFium lock)


Box = tuple[float, float, float, float]  # left, top, right, bottom as fractions of the trim


def _mark_ads(
    pages: list[PageView], laid: _Laid, index: dict[Path, list[Placement]]
) -> list[PageView]:
    """Quarter-page ads on the page where they landed, half-page ads where they are."""
    marks: dict[int, list[tuple[str, str | None]]] = {}
    for p in laid.placed:
        section = p.unit.section
        if not isinstance(section, ArticleSection):
            continue
        span = range(p.first_page, p.first_page + p.unit.pages)
        for item in section.items:
            if isinstance(item, Insert) and item.kind == "quarter-ad" and item.slot:
                who = item.ad.spec.advertiser if item.ad else None
                for where in index.get(item.slot.request.source, []):
                    if where.page in span:
                        marks.setdefault(where.page, []).append(("quarter", who))
        if section.half_art is not None:
            spots = [
                w.page for w in index.get(section.half_art.request.source, []) if w.page in span
            ]
            if spots:
                who = section.half_ad.spec.advertiser if section.half_ad else None
                for pg in span:  # where it really is, not where it was planned
                    marks[pg] = [m for m in marks.get(pg, []) if m[0] != "half"]
                marks[spots[0]].append(("half", who))
    out = []
    for page in pages:
        extra = marks.get(page.number)
        if extra is None:
            out.append(page)
            continue
        ads = tuple(a for a in page.ads if a != "half") + tuple(a for a, _ in extra)
        who = next((w for _, w in extra if w), page.advertiser)
        out.append(dataclasses.replace(page, ads=ads, advertiser=who))
    return out


def _article_fits(sections: list[tuple[Placed, list[PageRef]]], plan: Plan) -> list[ArticleFit]:
    """Each article's planned and laid-out length, the lines measured on its pages."""
    layout = plan.layout
    capacity = column_capacity(layout)
    out = []
    for p, refs in sections:
        section = p.unit.section
        if not isinstance(section, ArticleSection) or not refs:
            continue
        planned = estimate_pages(section, layout.estimate)
        over = free = 0
        if len(refs) > planned:
            over = sum(lines_on(ref, layout) for ref in refs[planned:])
        else:
            free = free_lines(refs[-1], layout)
            free += (planned - len(refs)) * layout.page.columns * capacity
        art = section.article
        out.append(
            ArticleFit(
                art.slug,
                art.title,
                _rel(art.path, plan.issue.root) or str(art.path),
                p.first_page,
                planned,
                len(refs),
                over,
                free,
                "front matter" if art.meta.pages else "estimate",
            )
        )
    return out


def _pins(
    findings: list[Finding],
    pages: list[PageView],
    sections: list[tuple[Placed, list[PageRef]]],
    plan: Plan,
    index: dict[Path, list[Placement]],
    pdf: Path,
) -> list[Pin]:
    """Every finding, on its page and where on it when that can be told, with the source
    file and line to edit."""
    root = plan.issue.root
    views = {p.number: p for p in pages}
    refs = {ref.number: ref for _, section in sections for ref in section}
    out: list[Pin] = []
    for f in dict.fromkeys(findings):
        own = _rel(f.location.path, root) if f.location else None
        source = None
        if own is not None and own != _rel(pdf, root):
            source = f"{own}:{f.location.line}" if f.location and f.location.line else own
        placements = index.get(f.location.path, []) if f.location and own else []
        size = re.search(r"(\d+) x (\d+) mm", f.message)
        if size is not None:  # the placements of the size the finding is about
            want = (int(size[1]), int(size[2]))
            placements = [w for w in placements if w.size_mm == want] or placements
        if f.code.startswith(("photo.", "ad.")) and placements:
            name = f.location.path.name if f.location else ""
            for where in placements:
                view = views.get(where.page)
                ref = _line_of(root, view.source if view else None, name)
                mid_x = round((where.box[0] + where.box[2]) / 2, 4)
                mid_y = round((where.box[1] + where.box[3]) / 2, 4)
                pinned = dataclasses.replace(f, page=where.page)
                out.append(Pin(pinned, mid_x, mid_y, ref or _mention(root, name) or source))
            continue
        if f.page and f.page in views:
            view = views[f.page]
            x: float | None = None
            y: float | None = None
            page = refs.get(f.page)
            rect = page.section.find(page.index, f.obj) if page and f.obj else None
            if page is not None and rect is not None:
                box = page.box(rect)
                x, y = round((box[0] + box[2]) / 2, 4), round((box[1] + box[3]) / 2, 4)
            ref = source or _line_of(root, view.source, f.obj or "")
            if ref is None and f.code.startswith("plan.article"):
                # A length against the plan: where the article's planned pages are set.
                ref = _line_of(root, view.source, "pages:") or _line_of(root, view.source, "title:")
            out.append(Pin(f, x, y, ref or view.source))
            continue
        out.append(Pin(f, None, None, source))
    return out


def _line_of(root: Path, source: str | None, needle: str) -> str | None:
    """`source:line` of the first line of `source` (relative to `root`) holding the first
    words of `needle`, or None."""
    words = [w for w in needle.replace("\u2010", "").split() if w][:3]
    if not source or not words:
        return None
    try:
        lines = (root / source).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    want = " ".join(words).casefold()
    for n, line in enumerate(lines, 1):
        if want in " ".join(line.split()).casefold():
            return f"{source}:{n}"
    return None


def _mention(root: Path, name: str) -> str | None:
    """Where the issue names a file: issue.toml first, then the articles."""
    for path in [root / "issue.toml", *sorted((root / "articles").glob("*.md"))]:
        found = _line_of(root, path.relative_to(root).as_posix(), name)
        if found:
            return found
    return None
