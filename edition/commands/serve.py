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
import hashlib
import io
import logging
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium

from edition.commands.build import BuildResult, build_edition
from edition.errors import EditionError, Finding
from edition.layout.spec import Layout
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
    Slot,
    section_slots,
)
from edition.profiles import Profile, get_profile
from edition.proof.pages import render_trimmed
from edition.store.paths import Output
from edition.workers import die_with_parent

log = logging.getLogger("edition.serve")

SERVE_PROFILES = ("print", "screen")
BUILDING, READY, FAILED = "building", "ready", "failed"
MM = 72 / 25.4
SIZES = {"thumb": 36, "page": 120}  # dpi of a flatplan thumbnail and of the page view
JPEG_QUALITY = 88
IMAGE_CACHE = 400  # page images kept in memory (a 64-page issue has 128 of both sizes)
DOWNLOADS = ("print", "screen", "archive")
PREVIEW = "screen-preview"  # the desk's screen edition: laid out section by section, untagged
RENDERERS = 2  # processes rendering page images (PDFium), apart from the build's


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
class _Section:
    """A laid-out section's PDF: its pages' tokens, and PDFium's view of it (opened once,
    by the build thread only)."""

    data: bytes
    doc: pdfium.PdfDocument | None = None
    _tokens: list[str] | None = None

    def open(self) -> pdfium.PdfDocument:
        if self.doc is None:
            self.doc = pdfium.PdfDocument(self.data)
        return self.doc

    def tokens(self, skip: int, count: int) -> list[str]:
        """A token for each of its `count` pages after the `skip` blank ones."""
        if self._tokens is None:
            with pikepdf.open(io.BytesIO(self.data)) as pdf:
                self._tokens = [drawing_digest(pdf.pages[skip + i]) for i in range(count)]
        return self._tokens

    def close(self) -> None:
        if self.doc is not None:
            self.doc.close()
            self.doc = None


def drawing_digest(page: pikepdf.Page) -> str:
    """What a page draws, as a digest: its content, its images and forms by their bytes,
    its graphics states, shadings and colour spaces. Fonts count by the glyphs the
    content names, not by their subset (a subset keeps its glyphs in the original
    order, so the same bytes of content name the same glyphs): a page whose drawing is
    the same after its article was laid out again keeps its token and its image."""
    h = hashlib.sha256()
    h.update(repr([repr(page.obj.get(b)) for b in ("/MediaBox", "/TrimBox", "/Rotate")]).encode())
    contents = page.obj.get("/Contents")
    streams = [contents] if isinstance(contents, pikepdf.Stream) else list(contents or [])
    for stream in streams:
        h.update(stream.read_bytes())
    _digest_resources(page.obj.get("/Resources"), h, 0)
    return h.hexdigest()[:20]


def _digest_resources(resources: object, h: hashlib._Hash, depth: int) -> None:
    if not isinstance(resources, pikepdf.Dictionary) or depth > 4:
        return
    for kind in sorted(resources.keys()):
        table = resources[kind]
        if not isinstance(table, pikepdf.Dictionary):
            h.update(f"{kind}={table!r}".encode())
            continue
        for name in sorted(table.keys()):
            h.update(f"{kind}{name}".encode())
            if kind == "/Font":
                continue
            _digest_object(table[name], h, depth + 1)


def _digest_object(obj: object, h: hashlib._Hash, depth: int) -> None:
    if depth > 6:
        return
    if isinstance(obj, pikepdf.Stream):
        h.update(hashlib.sha256(obj.read_raw_bytes()).digest())
        for key in sorted(obj.keys()):
            if key in ("/Length", "/Parent"):
                continue
            h.update(key.encode())
            if key == "/Resources":
                _digest_resources(obj[key], h, depth + 1)
            else:
                _digest_object(obj[key], h, depth + 1)
    elif isinstance(obj, pikepdf.Dictionary):
        for key in sorted(obj.keys()):
            if key != "/Parent":
                h.update(key.encode())
                _digest_object(obj[key], h, depth + 1)
    elif isinstance(obj, pikepdf.Array):
        for item in obj:
            _digest_object(item, h, depth + 1)
    else:
        h.update(repr(obj).encode())


@dataclass
class _Laid:
    """The last good build's pages: where each page is in its section's PDF."""

    plan: Plan | None = None
    placed: list[Placed] = field(default_factory=list)
    # token -> (section key, section, page index in the section's PDF)
    where: dict[str, tuple[str, _Section, int]] = field(default_factory=dict)
    sections: dict[str, _Section] = field(default_factory=dict)  # unit key -> its PDF


class Desk:
    """The live build of one issue folder for one edition."""

    def __init__(
        self,
        issue_dir: Path,
        profile: str = "print",
        out_root: Path = Path("dist"),
        *,
        workers: int | None = None,
        listener: Callable[[Snapshot], None] = lambda _: None,
    ) -> None:
        self.issue_dir = Path(issue_dir)
        self.profile_name = profile
        self.profile = preview_profile(profile)
        # The screen edition the desk lays out is not the tagged one: it is kept apart.
        self.out_root = Path(out_root)
        self.preview_root = (
            self.out_root if self.profile == get_profile(profile) else _preview_root(out_root)
        )
        self.workers = max(1, workers or min(os.cpu_count() or 1, 2))
        self.listener = listener
        self.snapshot = Snapshot()
        self._lock = threading.RLock()  # the snapshot, the laid-out pages, the images
        self._images: OrderedDict[tuple[str, str], Future[bytes]] = OrderedDict()
        self._laid = _Laid()
        self._pool: ProcessPoolExecutor | None = None
        # PDFium is not thread-safe: the build thread reads pages back (preflight, where
        # the photos are, how full the columns are) while the browser asks for page
        # images, so these are rendered in a process of their own.
        self._renderer: ProcessPoolExecutor | None = None
        self._sections: dict[str, _Section] = {}
        self._done = 0
        self.closed = False

    # -- the layout processes

    def start(self) -> None:
        """Start the layout processes and warm them up (call before other threads start:
        they are forked from this one and end with it)."""
        self._pool = self._new_pool()
        self._renderer = ProcessPoolExecutor(max_workers=RENDERERS, initializer=die_with_parent)
        for _ in range(RENDERERS):
            self._renderer.submit(time.sleep, 0)

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
            renderer.shutdown(wait=True, cancel_futures=True)

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
        started = time.perf_counter()
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
        warm = Warm(self._pool, self.workers, self._laid_out)
        return build_edition(self.issue_dir, self.profile, self.preview_root, warm=warm)

    def _internal(self, exc: BaseException, started: float) -> Snapshot:
        log.error("internal error in a build", exc_info=exc)
        finding = Finding(
            f"internal error: {type(exc).__name__}: {exc}",
            None,
            "this is a bug in edition, not in your issue: the terminal shows the details",
            "internal",
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
                changed=(),
            )
        self._publish(snap)
        return snap

    def _laid_out(self, plan: Plan, placed: list[Placed]) -> None:
        """Every section is laid out: show the new pages now, before the edition is
        assembled and checked."""
        sections: dict[str, _Section] = {}
        where: dict[str, tuple[str, _Section, int]] = {}
        pages: list[PageView] = []
        root = plan.issue.root
        for p in placed:
            sec = self._sections.get(p.unit.key) or sections.get(p.unit.key)
            if sec is None:
                sec = _Section(p.pdf)
            sections[p.unit.key] = sec
            tokens = sec.tokens(p.skip, p.unit.pages)
            for i, token in enumerate(tokens):
                where[token] = (p.unit.key, sec, p.skip + i)
                pages.append(_page_view(p, i, token, root))
        with self._lock:
            old = {pg.number: pg.token for pg in self.snapshot.pages}
            changed = tuple(pg.number for pg in pages if old.get(pg.number) != pg.token)
            stale = [s for k, s in self._sections.items() if k not in sections]
            self._laid = _Laid(plan, placed, where, sections)
            snap = dataclasses.replace(
                self.snapshot, state=BUILDING, pages=tuple(pages), changed=changed
            )
        self._sections = sections
        for s in stale:
            s.close()
        self._publish(snap)
        for number in changed:  # the browsers will ask for these first
            self._render(number, "thumb")

    def _ready(self, result: BuildResult, started: float) -> Snapshot:
        with self._lock:
            laid = self._laid
        plan = laid.plan
        pages = list(self.snapshot.pages)
        fits: list[ArticleFit] = []
        pins: list[Pin] = []
        if plan is not None:
            index = _photo_index(laid)
            pages = _mark_ads(pages, laid, plan, index)
            fits = _article_fits(laid, plan)
            found = [*result.findings, *result.preflight]
            pins = _pins(found, pages, laid, plan, index, result.pdf)
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

    def page_image(self, number: int, size: str = "page") -> tuple[bytes, str] | None:
        """The JPEG of page `number` (1-based) at `size` ("thumb" or "page"), trimmed, and
        its token; None when there is no such page."""
        found = self._render(number, size)
        if found is None:
            return None
        job, token = found
        try:
            return job.result(), token
        except (BrokenProcessPool, CancelledError, pdfium.PdfiumError):
            with self._lock:
                self._images.pop((token, size), None)
            return None

    def _render(self, number: int, size: str) -> tuple[Future[bytes], str] | None:
        """The image of a page, being rendered or rendered (each once)."""
        with self._lock:
            pages = self.snapshot.pages
            if not 1 <= number <= len(pages) or size not in SIZES or self._renderer is None:
                return None
            token = pages[number - 1].token
            where = self._laid.where.get(token)
            if where is None:
                return None
            key = (token, size)
            job = self._images.get(key)
            if job is None:
                section_key, section, index = where
                try:
                    job = self._renderer.submit(
                        render_page, section_key, section.data, index, SIZES[size]
                    )
                except RuntimeError:  # the desk is stopping
                    return None
                self._images[key] = job
                while len(self._images) > IMAGE_CACHE:
                    self._images.popitem(last=False)
            else:
                self._images.move_to_end(key)
        return job, token


_OPEN: OrderedDict[str, pdfium.PdfDocument] = OrderedDict()  # in the rendering process


def render_page(key: str, data: bytes, index: int, dpi: int) -> bytes:
    """In the rendering process: page `index` of the section PDF `data` (called `key`),
    trimmed, as a JPEG at `dpi`. The last few sections stay open."""
    doc = _OPEN.get(key)
    if doc is None:
        doc = _OPEN[key] = pdfium.PdfDocument(data)
        while len(_OPEN) > 12:
            _OPEN.popitem(last=False)[1].close()
    page = doc[index]
    try:
        image = render_trimmed(page, dpi / 72)
    finally:
        page.close()
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=JPEG_QUALITY)
    return buf.getvalue()


def _preview_root(out_root: Path) -> Path:
    return Path(out_root) / ".cache" / "desk"


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


def _pages_of(laid: _Laid) -> list[tuple[int, Placed, pdfium.PdfPage]]:
    """Every page of the edition: its number, its section, its PDFium page (close it)."""
    out = []
    for p in laid.placed:
        doc = laid.sections[p.unit.key].open()
        for i in range(p.unit.pages):
            out.append((p.first_page + i, p, doc[p.skip + i]))
    return out


def _trim(page: pdfium.PdfPage) -> tuple[float, float, float, float]:
    left, bottom, right, top = page.get_trimbox()
    return left, bottom, right, top


def _fraction(page: pdfium.PdfPage, bounds: tuple[float, float, float, float]) -> Box:
    tl, tb, tr, tt = _trim(page)
    left, bottom, right, top = bounds
    w, h = tr - tl, tt - tb
    return (
        round(max(0.0, min(1.0, (left - tl) / w)), 4),
        round(max(0.0, min(1.0, (tt - top) / h)), 4),
        round(max(0.0, min(1.0, (right - tl) / w)), 4),
        round(max(0.0, min(1.0, (tt - bottom) / h)), 4),
    )


@dataclass(frozen=True)
class _Placement:
    page: int
    box: Box
    size_mm: tuple[int, int]  # the slot's, rounded as findings give it


def _photo_index(laid: _Laid) -> dict[Path, list[_Placement]]:
    """Where each photo (and ad artwork) of the plan is on the pages: an image object of
    its section with the prepared photo's pixel size (the slots are taken in the order
    they are placed, so two photos of the same size are told apart), else placed at its
    slot's size."""
    found: dict[Path, list[_Placement]] = {}
    unused: dict[str, list[Slot]] = {p.unit.key: section_slots(p.unit.section) for p in laid.placed}
    for number, placed, page in _pages_of(laid):
        try:
            slots = unused.get(placed.unit.key, [])
            if not slots:
                continue
            for obj in page.get_objects(filter=[pdfium.raw.FPDF_PAGEOBJ_IMAGE], max_depth=3):
                bounds = obj.get_bounds()
                slot = _slot_of(slots, tuple(obj.get_px_size()), bounds)
                if slot is None:
                    continue
                slots.remove(slot)
                found.setdefault(slot.request.source, []).append(
                    _Placement(
                        number,
                        _fraction(page, bounds),
                        (round(slot.request.width_mm), round(slot.request.height_mm)),
                    )
                )
        finally:
            page.close()
    return found


def _slot_of(
    slots: list[Slot], px: tuple[int, ...], bounds: tuple[float, float, float, float]
) -> Slot | None:
    left, bottom, right, top = bounds
    by_size = None
    for slot in slots:
        req = slot.request
        if all(slot.source_px) and px == req.target_px(*slot.source_px):
            return slot
        # Placed at its slot's size (bleeding photos reach 3 mm further on each side).
        w, h = req.width_mm * MM, req.height_mm * MM
        if by_size is None and abs(right - left - w) < 7 * MM and abs(top - bottom - h) < 7 * MM:
            by_size = slot
    return by_size


def _mark_ads(
    pages: list[PageView], laid: _Laid, plan: Plan, index: dict[Path, list[_Placement]]
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
                    marks.setdefault(pg, [])
                    marks[pg] = [m for m in marks[pg] if m[0] != "half"]
                marks.setdefault(spots[0], []).append(("half", who))
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


def _article_fits(laid: _Laid, plan: Plan) -> list[ArticleFit]:
    """Each article's planned and laid-out length, the lines measured on its pages."""
    layout = plan.layout
    pages_by_unit: dict[str, list[tuple[int, pdfium.PdfPage]]] = {}
    for number, placed, page in _pages_of(laid):
        if isinstance(placed.unit.section, ArticleSection):
            pages_by_unit.setdefault(placed.unit.key, []).append((number, page))
        else:
            page.close()
    out = []
    try:
        for p in laid.placed:
            section = p.unit.section
            if not isinstance(section, ArticleSection):
                continue
            pages = pages_by_unit.get(p.unit.key, [])
            planned = estimate_pages(section, layout.estimate)
            by = "front matter" if section.article.meta.pages else "estimate"
            over = free = 0
            if pages:
                capacity = int(layout.text_height * MM // layout.page.baseline)
                if len(pages) > planned:
                    over = sum(_lines(pg, n, layout) for n, pg in pages[planned:])
                else:
                    n, last = pages[-1]
                    free = _free_lines(last, n, layout)
                    free += (planned - len(pages)) * layout.page.columns * capacity
            art = section.article
            out.append(
                ArticleFit(
                    art.slug,
                    art.title,
                    _rel(art.path, plan.issue.root) or str(art.path),
                    p.first_page,
                    planned,
                    p.unit.pages,
                    over,
                    free,
                    by,
                )
            )
    finally:
        for pages in pages_by_unit.values():
            for _, pg in pages:
                pg.close()
    return out


def _columns(page: pdfium.PdfPage, number: int, layout: Layout) -> list[tuple[float, float]]:
    """The x ranges of the text columns of page `number` (mirrored margins)."""
    tl, _, _, _ = _trim(page)
    g = layout.page
    x = tl + (g.inside if number % 2 else g.outside) * MM
    w = layout.column_width * MM
    return [
        (x + k * (w + g.gutter * MM), x + k * (w + g.gutter * MM) + w) for k in range(g.columns)
    ]


def _text_lines(page: pdfium.PdfPage, number: int, layout: Layout) -> dict[int, list[float]]:
    """Per column, the bottoms of the text lines inside the text area."""
    _, tb, _, tt = _trim(page)
    top, bottom = tt - layout.page.top * MM, tb + layout.page.bottom * MM
    cols = _columns(page, number, layout)
    out: dict[int, list[float]] = {k: [] for k in range(len(cols))}
    text = page.get_textpage()
    try:
        for r in range(text.count_rects()):
            left, low, right, high = text.get_rect(r)
            if high > top + 1 or low < bottom - 1 or high - low > 2 * layout.page.baseline:
                continue  # running heads, folios, headlines
            mid = (left + right) / 2
            for k, (x0, x1) in enumerate(cols):
                if x0 - 2 <= mid <= x1 + 2:
                    out[k].append(low)
                    break
    finally:
        text.close()
    return out


def _lines(page: pdfium.PdfPage, number: int, layout: Layout) -> int:
    """Lines of text in the columns of a page (one per baseline and column)."""
    step = layout.page.baseline / 2
    return sum(
        len({round(b / step) for b in bottoms})
        for bottoms in _text_lines(page, number, layout).values()
    )


def _free_lines(page: pdfium.PdfPage, number: int, layout: Layout) -> int:
    """Empty lines under the text of each column of a page, down to the text area's foot
    or to the top of a picture below the text (a half-page ad, a photo)."""
    _, tb, _, tt = _trim(page)
    foot = tb + layout.page.bottom * MM
    top = tt - layout.page.top * MM
    cols = _columns(page, number, layout)
    images = [
        obj.get_bounds()
        for obj in page.get_objects(filter=[pdfium.raw.FPDF_PAGEOBJ_IMAGE], max_depth=3)
    ]
    free = 0
    for k, bottoms in _text_lines(page, number, layout).items():
        x0, x1 = cols[k]
        lowest = min(bottoms) if bottoms else top
        floor = foot
        for left, _, right, high in images:
            if right > x0 + 2 and left < x1 - 2 and high <= lowest + 1:
                floor = max(floor, high)
        free += max(0, int((lowest - floor) // layout.page.baseline))
    return free


# -- findings, placed


def _pins(
    findings: list[Finding],
    pages: list[PageView],
    laid: _Laid,
    plan: Plan,
    index: dict[Path, list[_Placement]],
    pdf: Path,
) -> list[Pin]:
    """Every finding, on its page and where on it when that can be told, with the source
    file and line to edit."""
    root = plan.issue.root
    views = {p.number: p for p in pages}
    docs = {number: (placed, page) for number, placed, page in _pages_of(laid)}
    out: list[Pin] = []
    try:
        for f in dict.fromkeys(findings):
            own = _rel(f.location.path, root) if f.location else None
            if own is not None and own != _rel(pdf, root):
                source = f"{own}:{f.location.line}" if f.location and f.location.line else own
            else:
                source = None
            placements = index.get(f.location.path, []) if f.location and own else []
            size = re.search(r"(\d+) x (\d+) mm", f.message)
            if size is not None:  # the placements of the size the finding is about
                want = (int(size[1]), int(size[2]))
                placements = [w for w in placements if w.size_mm == want] or placements
            if f.code.startswith(("photo.", "ad.")) and placements:
                name = f.location.path.name if f.location else ""
                for where in placements:
                    view = views.get(where.page)
                    ref = _line_of(root, view.source if view else None, name) or _mention(
                        root, name
                    )
                    mid_x = round((where.box[0] + where.box[2]) / 2, 4)
                    mid_y = round((where.box[1] + where.box[3]) / 2, 4)
                    pinned = dataclasses.replace(f, page=where.page)
                    out.append(Pin(pinned, mid_x, mid_y, ref or source))
                continue
            if f.page and f.page in views:
                view = views[f.page]
                spot = _find_text(docs[f.page][1], f.obj) if f.obj and f.page in docs else None
                ref = source or _line_of(root, view.source, f.obj or "") or view.source
                x, y = spot if spot is not None else (None, None)
                out.append(Pin(f, x, y, ref))
                continue
            out.append(Pin(f, None, None, source))
    finally:
        for _, page in docs.values():
            page.close()
    return out


def _find_text(page: pdfium.PdfPage, snippet: str) -> tuple[float, float] | None:
    """The middle of the first place `snippet` is found on the page (fractions)."""
    words = " ".join(snippet.split()[:4])
    if not words:
        return None
    text = page.get_textpage()
    try:
        search = text.search(words, match_case=False)
        hit = search.get_next()
        if hit is None:
            return None
        start, count = hit
        boxes = [text.get_charbox(i) for i in range(start, start + min(count, 40))]
    finally:
        text.close()
    left = min(b[0] for b in boxes)
    bottom = min(b[1] for b in boxes)
    right = max(b[2] for b in boxes)
    top = max(b[3] for b in boxes)
    box = _fraction(page, (left, bottom, right, top))
    return round((box[0] + box[2]) / 2, 4), round((box[1] + box[3]) / 2, 4)


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
