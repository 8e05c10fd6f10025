"""The section-by-section build: a flatplan, sections laid out in parallel and cached, one PDF.

WeasyPrint lays out a whole document at once and lays it out again when page numbers
(`target-counter`) move, so a 36-page edition costs more than its sections do one by one.
Here every section of the plan (the cover, each article, each ad page, Inframe, ...) is
one small document:

- its first page number comes from the flatplan (the page counts of what precedes it),
  and it starts on a left page by laying out one blank page first and dropping it;
- page numbers it shows (contents, "Baca Juga", Populer) are written into its HTML;
- its links to other sections become `edition-anchor:` links, turned into page links
  when the PDF is assembled; the bookmarks are made from the plan.

A section's PDF is cached under a hash of everything that makes it (its HTML, which
names its prepared photos by content, the layout's files, the profile), so a rebuild lays
out only what changed. A section's page count does not depend on where it starts, so
when one grows the plan moves what follows, and only the sections whose page numbers
changed are laid out again.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf

from edition import __version__
from edition.errors import Finding
from edition.language.typography import typographic
from edition.layout.spec import Strings
from edition.pdf.assemble import LINK_SCHEME, Part, assemble
from edition.pdf.fetch import FetchRules
from edition.pdf.worker import Job, Laid, render_job, warm_up
from edition.plan.estimate import estimate_pages
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
)
from edition.profiles import Profile
from edition.render.html import Renderer, fill_pages
from edition.store.atomic import atomic_write_bytes, atomic_write_text
from edition.workers import die_with_parent

CACHE_VERSION = "2"
MAX_PASSES = 4


@dataclass
class Unit:
    """One section laid out as its own document."""

    section: Section
    anchor: str | None
    bookmark: str | None  # its entry in the PDF outline
    content_key: str = ""  # what it holds, wherever it goes
    key: str = ""  # what it holds, where it goes and which page numbers it shows
    pages: int = 0


@dataclass
class SectionStats:
    rendered: int = 0
    reused: int = 0
    passes: int = 0
    total: int = 0  # sections in the edition
    moved: list[str] = field(default_factory=list)  # sections laid out again after a move
    findings: list[Finding] = field(default_factory=list)


@dataclass(frozen=True)
class Assembled:
    """The edition assembled from its sections: the PDF, the section PDFs its pages come
    from (close them once it is saved), where each section starts (0-based page)."""

    pdf: pikepdf.Pdf
    sources: list[pikepdf.Pdf]
    units: list[Unit]
    starts: dict[str, int]


def _anchor(section: Section, strings: Strings) -> tuple[str | None, str | None]:
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


class SectionBuilder:
    def __init__(
        self,
        plan: Plan,
        profile: Profile,
        fetcher: FetchRules,
        cache_dir: Path,
        workers: int | None = None,
        step: Callable[[str], None] = lambda _: None,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.plan, self.profile, self.fetcher = plan, profile, fetcher
        self.cache = cache_dir / "sections"
        self.cache.mkdir(parents=True, exist_ok=True)
        self.workers = workers or min(os.cpu_count() or 1, 4)
        self.step = step
        self.progress = progress
        # The layout processes start now and import WeasyPrint while the rest of the
        # build goes on (WeasyPrint's import alone is a good part of a small rebuild).
        self.pool: ProcessPoolExecutor | None = None
        if self.workers > 1:
            self.pool = ProcessPoolExecutor(max_workers=self.workers, initializer=die_with_parent)
            for _ in range(self.workers):
                self.pool.submit(warm_up)
        self.renderer: Renderer | None = None  # made once the photos' URLs are known
        self.strings = plan.layout.text(plan.issue.spec.language)
        self._html: dict[tuple, tuple[Section, str, int]] = {}  # holds the section too
        self._templated: dict[int, tuple[Section, str]] = {}  # holds the section too
        self.fingerprint = _layout_fingerprint(plan, profile)
        self.stats = SectionStats()
        self._done: dict[str, tuple[bytes, int, int]] = {}  # key -> pdf, pages, skip
        self._rendered: set[str] = set()
        self._known: set[str] = set()  # content keys laid out by an earlier build

    # -- the flatplan

    def units(self, pad: int) -> list[Unit]:
        sections = self.plan.padded(pad) if pad else list(self.plan.sections)
        out = []
        for s in sections:
            anchor, bookmark = _anchor(s, self.strings)
            out.append(Unit(s, anchor, bookmark))
        return out

    def _template_html(self, unit: Unit) -> str:
        """The section's HTML with page numbers left as markers: made once per build."""
        key = id(unit.section)
        held = self._templated.get(key)
        if held is None or held[0] is not unit.section:  # ids are reused once freed
            assert self.renderer is not None, "build() makes the renderer"
            held = (unit.section, self.renderer.html([unit.section], placeholders=True))
            self._templated[key] = held
        return held[1]

    def _content_key(self, unit: Unit) -> str:
        return _sha(self.fingerprint, self._template_html(unit))

    def _count(self, unit: Unit) -> int:
        """A section's page count: known when this content was laid out before; else what
        the same section took in the last build (an edit seldom changes it); else a guess."""
        path = self.cache / f"count-{unit.content_key}.json"
        try:
            pages = int(json.loads(path.read_text())["pages"])
        except (OSError, ValueError, KeyError, TypeError):
            try:
                return int(json.loads(self._last(unit).read_text())["pages"])
            except (OSError, ValueError, KeyError, TypeError):
                return estimate_pages(unit.section, self.plan.layout.estimate)
        self._known.add(unit.content_key)  # laid out before, maybe elsewhere
        return pages

    def _last(self, unit: Unit) -> Path:
        name = f"{self.plan.issue.root.resolve()}|{self.profile.name}|{unit.anchor or ''}"
        return self.cache / f"last-{_sha(name)}.json"

    # -- one pass: position every unit from the current counts, lay out what is missing

    def _position(self, units: list[Unit]) -> tuple[list[int], dict[str, int]]:
        starts, page = [], 1
        for u in units:
            starts.append(page)
            page += u.pages
        anchors = {u.anchor: s for u, s in zip(units, starts, strict=True) if u.anchor}
        return starts, anchors

    def _unit_html(self, unit: Unit, start: int, anchors: dict[str, int]) -> tuple[str, int]:
        memo = (id(unit.section), start, tuple(sorted(anchors.items())))
        held = self._html.get(memo)
        if held is None or held[0] is not unit.section:  # ids are reused once freed
            held = (unit.section, *self._make_html(unit, start, anchors))
            self._html[memo] = held
        return held[1], held[2]

    def _make_html(self, unit: Unit, start: int, anchors: dict[str, int]) -> tuple[str, int]:
        blank = start % 2 == 0  # a left page: lay out a blank right page first
        first = start - 1 if blank else start
        css = f"@page :first {{ counter-reset: page {first}; }}"
        if blank:
            css += "\n.edition-blank-lead { break-after: page; }"
        html = fill_pages(self._template_html(unit), anchors, self.strings.page_ref, css)
        if blank:
            html = re.sub(
                r"(<body[^>]*>)", r'\1<div class="edition-blank-lead"></div>', html, count=1
            )
        html = html.replace('href="#', f'href="{LINK_SCHEME}')
        return html, int(blank)

    def _cached(self, key: str) -> tuple[bytes, int, int] | None:
        if key in self._done:
            return self._done[key]
        pdf, meta = self.cache / f"{key}.pdf", self.cache / f"{key}.json"
        try:
            info = json.loads(meta.read_text())
            data = pdf.read_bytes()
            if hashlib.sha256(data).hexdigest() != info["sha256"]:
                return None  # damaged: lay it out again
            found = [Finding.from_dict(d) for d in info["findings"]]
            result = (data, int(info["pages"]), int(info["skip"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        self.stats.findings.extend(found)  # refusals and warnings survive the cache
        self._done[key] = result
        return result

    def build(self, photo_urls: Mapping[ImageRequest, str]) -> Assembled:
        """Lay out (or take from the cache) every section at its place and assemble them;
        `photo_urls` are the URLs of the prepared photos."""
        self.renderer = Renderer(self.plan, self.profile, photo_urls)
        base = self.units(0)
        for u in base:
            u.content_key = self._content_key(u)
            u.pages = self._count(u)
        measured: dict[str, int] = {}  # content key -> pages, as laid out in this build
        pool = self.pool
        try:
            # House-ad padding from the expected lengths, so that the covers at the end are
            # laid out where they will be (exact when the lengths are known from before).
            pad = (-sum(u.pages for u in base)) % self.profile.pad_to
            for attempt in range(1, MAX_PASSES + 1):
                self.stats.passes = attempt
                units = self.units(pad) if pad else base
                for u in units:
                    if not u.content_key:
                        u.content_key = self._content_key(u)
                    u.pages = measured.get(u.content_key) or self._count(u)
                before = {u.content_key: u.pages for u in units}
                self._pass(units, pool, measured)
                for u in units:
                    record = json.dumps({"pages": u.pages})
                    _write_if_changed(self.cache / f"count-{u.content_key}.json", record)
                    if u.anchor:
                        _write_if_changed(self._last(u), record)
                new_pad = pad
                if self.profile.pad_to > 1:
                    body = sum(
                        u.pages
                        for u in units
                        if not (isinstance(u.section, AdPage) and u.section.role == "pad")
                    )
                    new_pad = (-body) % self.profile.pad_to
                starts, anchors = self._position(units)
                settled = new_pad == pad and all(
                    self._key(u, start, anchors) == u.key
                    for u, start in zip(units, starts, strict=True)
                )
                if settled:
                    self.stats.moved = sorted(set(self.stats.moved))
                    self._forget_unused(units)
                    return self._assemble(units)
                if any(
                    before[u.content_key] != u.pages and u.content_key in self._known for u in units
                ):
                    self.step("A section changed its length: moving what follows")
                pad = new_pad
        finally:
            self.close()
        raise RuntimeError("section page counts did not settle")

    def close(self) -> None:
        if self.pool is not None:
            # Nothing left to lay out: a worker still warming up is not waited for.
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None

    def _key(self, unit: Unit, start: int, anchors: dict[str, int]) -> str:
        html, _ = self._unit_html(unit, start, anchors)
        return _sha(self.fingerprint, html)

    def _pass(
        self, units: list[Unit], pool: ProcessPoolExecutor | None, measured: dict[str, int]
    ) -> None:
        """Lay out every unit not in the cache at its current position, in plan order, each
        placed with the page counts known by the time it starts (sections that show other
        sections' page numbers go last, when those are known)."""
        shows_numbers = (ContentsSection, NewsSection)

        def order(i: int) -> tuple[int, int]:
            # The contents and Berita Terbaru show everyone's page numbers, so they go
            # last, when those are known; but at the front of the issue their length moves
            # everything, so the first time they are laid out first, to learn it.
            u = units[i]
            if not isinstance(u.section, shows_numbers):
                return (1, i)
            known = u.content_key in measured or u.content_key in self._known
            return (2 if known else 0, i)

        pending = deque(sorted(range(len(units)), key=order))
        inflight: dict[Future[Laid], tuple[int, Job, int]] = {}
        started = False
        total, handled = len(pending), 0

        def tick() -> None:
            nonlocal handled
            handled += 1
            if self.progress is not None and started:
                self.progress(handled, total)

        while pending or inflight:
            while pending and len(inflight) < max(1, self.workers):
                i = pending.popleft()
                unit = units[i]
                starts, anchors = self._position(units)
                html, skip = self._unit_html(unit, starts[i], anchors)
                unit.key = _sha(self.fingerprint, html)
                cached = self._cached(unit.key)
                if cached is not None:
                    unit.pages = cached[1]
                    tick()
                    continue
                if not started:
                    self.step("Laying out sections")
                    started = True
                if unit.bookmark and unit.content_key in self._known:
                    # Same content as in an earlier build, new place or new page numbers:
                    # moved by a change elsewhere. (Corrections of this build's own first
                    # guesses at lengths are not news to the editor.)
                    self.stats.moved.append(unit.bookmark)
                job = self._job(unit.key, html)
                if pool is None:
                    self._record(unit, job, skip, render_job(job), measured)
                    tick()
                    continue
                inflight[pool.submit(render_job, job)] = (i, job, skip)
            if inflight:
                done, _ = wait(inflight, return_when=FIRST_COMPLETED)
                for fut in done:
                    i, job, skip = inflight.pop(fut)
                    self._record(units[i], job, skip, fut.result(), measured)
                    tick()

    def _record(
        self, unit: Unit, job: Job, skip: int, laid: Laid, measured: dict[str, int]
    ) -> None:
        data, pages = laid.pdf, laid.pages - skip
        self.stats.rendered += 1
        self._rendered.add(job.key)
        self.stats.findings.extend(laid.findings)
        atomic_write_bytes(self.cache / f"{job.key}.pdf", data)
        atomic_write_text(
            self.cache / f"{job.key}.json",
            json.dumps(
                {
                    "pages": pages,
                    "skip": skip,
                    "findings": [f.as_dict() for f in laid.findings],
                    "sha256": hashlib.sha256(data).hexdigest(),
                }
            ),
        )
        self._done[job.key] = (data, pages, skip)
        unit.pages = pages
        measured[unit.content_key] = pages

    def _job(self, key: str, html: str) -> Job:
        return Job(
            key,
            html,
            str(self.plan.issue.root.resolve()) + "/",
            tuple(str(r) for r in self.fetcher.roots),
            tuple((u, str(p)) for u, p in self.fetcher.prepared.items()),
            self.profile.pdf_variant,
        )

    def _forget_unused(self, units: list[Unit]) -> None:
        """Sections this build laid out at a place they did not keep (a first guess of a
        length was wrong) are not left in the cache."""
        for key in self._rendered - {u.key for u in units}:
            for suffix in (".pdf", ".json"):
                (self.cache / f"{key}{suffix}").unlink(missing_ok=True)
            self._done.pop(key, None)

    # -- one PDF

    def _assemble(self, units: list[Unit]) -> Assembled:
        self.stats.reused = sum(1 for u in units if u.key not in self._rendered)
        self.stats.total = len(units)
        parts = []
        for u in units:
            data, _, skip = self._done[u.key]
            rubric = None
            if isinstance(u.section, ArticleSection):
                rubric = u.section.opens_rubric or u.section.article.rubric
            parts.append(
                Part(
                    data,
                    skip,
                    u.anchor,
                    u.bookmark,
                    rubric,
                    isinstance(u.section, ArticleSection) and bool(u.section.opens_rubric),
                )
            )
        pdf, sources, starts = assemble(parts)
        return Assembled(pdf, sources, units, starts)


def _write_if_changed(path: Path, text: str) -> None:
    try:
        if path.read_text() == text:
            return
    except OSError:
        pass
    atomic_write_text(path, text)
