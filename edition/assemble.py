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
import io
import json
import os
import re
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
from pikepdf import Name

from . import __version__
from .errors import Finding, Severity
from .fetch import FetchRules, safe_fetcher
from .plan import (
    AdPage,
    ArticleSection,
    ContentsSection,
    CoverSection,
    InframeSection,
    NewsSection,
    Plan,
    Section,
    estimate_pages,
)
from .profiles import Profile
from .publish import atomic_write_bytes, atomic_write_text, die_with_parent
from .render import Renderer, fill_pages

LINK_SCHEME = "edition-anchor:"
CACHE_VERSION = "1"
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
class _Job:
    key: str
    html: str
    base_url: str
    roots: tuple[str, ...]
    prepared: tuple[tuple[str, str], ...]
    variant: str | None


def _anchor(section: Section) -> tuple[str | None, str | None]:
    match section:
        case CoverSection():
            return "sampul", "Sampul"
        case ContentsSection():
            return "daftar-isi", "Daftar Isi"
        case NewsSection():
            return section.anchor, "Berita Terbaru"
        case ArticleSection():
            return section.anchor, section.article.title
        case InframeSection():
            return section.anchor, "Inframe"
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
    def __init__(self, plan: Plan, profile: Profile, fetcher: FetchRules, cache_dir: Path,
                 workers: int | None = None,
                 step: Callable[[str], None] = lambda _: None,
                 progress: Callable[[int, int], None] | None = None) -> None:
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
            self.pool = ProcessPoolExecutor(max_workers=self.workers,
                                            initializer=die_with_parent)
            for _ in range(self.workers):
                self.pool.submit(_warm_up)
        self.renderer = Renderer(plan, profile, cache_dir / "templates")
        self._html: dict[tuple, tuple[Section, str, int]] = {}  # holds the section too
        self._templated: dict[int, tuple[Section, str]] = {}  # holds the section too
        self.fingerprint = _layout_fingerprint(plan, profile)
        self.stats = SectionStats()
        self._done: dict[str, tuple[bytes, int, int]] = {}  # key -> pdf, pages, skip
        self._rendered: set[str] = set()
        self._known: set[str] = set()  # content keys laid out by an earlier build

    # -- the flatplan

    def units(self, pad: int) -> list[Unit]:
        sections = list(self.plan.sections)
        if pad:
            padded = Plan(self.plan.issue, self.plan.layout, self.plan.dpi, sections)
            padded.insert_padding(pad)
            sections = padded.sections
        out = []
        for s in sections:
            anchor, bookmark = _anchor(s)
            out.append(Unit(s, anchor, bookmark))
        return out

    def _template_html(self, unit: Unit) -> str:
        """The section's HTML with page numbers left as markers: made once per build."""
        key = id(unit.section)
        held = self._templated.get(key)
        if held is None or held[0] is not unit.section:  # ids are reused once freed
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
                return estimate_pages(unit.section)
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
        html = fill_pages(self._template_html(unit), anchors, css)
        if blank:
            html = re.sub(r"(<body[^>]*>)", r'\1<div class="edition-blank-lead"></div>', html,
                          count=1)
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
            self.stats.findings.extend(map(_layout_warning, info["warnings"]))
            result = (data, int(info["pages"]), int(info["skip"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        self._done[key] = result
        return result

    def build(self) -> tuple[pikepdf.Pdf, list[pikepdf.Pdf], list[Unit]]:
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
                    body = sum(u.pages for u in units
                               if not (isinstance(u.section, AdPage) and u.section.role == "pad"))
                    new_pad = (-body) % self.profile.pad_to
                starts, anchors = self._position(units)
                settled = new_pad == pad and all(
                    self._key(u, start, anchors) == u.key
                    for u, start in zip(units, starts, strict=True))
                if settled:
                    self.stats.moved = sorted(set(self.stats.moved))
                    return (*self._assemble(units), units)
                if any(before[u.content_key] != u.pages for u in units):
                    self.step("Section lengths differ from the plan: moving what follows")
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

    def _pass(self, units: list[Unit], pool: ProcessPoolExecutor | None,
              measured: dict[str, int]) -> None:
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
        inflight: dict[Future, tuple[int, _Job, int]] = {}
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
                    self._record(unit, job, skip, _render_job(job), measured)
                    tick()
                    continue
                inflight[pool.submit(_render_job, job)] = (i, job, skip)
            if inflight:
                done, _ = wait(inflight, return_when=FIRST_COMPLETED)
                for fut in done:
                    i, job, skip = inflight.pop(fut)
                    self._record(units[i], job, skip, fut.result(), measured)
                    tick()

    def _record(self, unit: Unit, job: _Job, skip: int,
                result: tuple[bytes, int, list[str], list[Finding]],
                measured: dict[str, int]) -> None:
        data, pages, warnings, refused = result
        pages -= skip
        self.stats.rendered += 1
        self._rendered.add(job.key)
        self.stats.findings.extend(refused)
        self.stats.findings.extend(map(_layout_warning, warnings))
        atomic_write_bytes(self.cache / f"{job.key}.pdf", data)
        atomic_write_text(self.cache / f"{job.key}.json", json.dumps(
            {"pages": pages, "skip": skip, "warnings": warnings,
             "sha256": hashlib.sha256(data).hexdigest()}))
        self._done[job.key] = (data, pages, skip)
        unit.pages = pages
        measured[unit.content_key] = pages

    def _job(self, key: str, html: str) -> _Job:
        return _Job(key, html, str(self.plan.issue.root.resolve()) + "/",
                    tuple(str(r) for r in self.fetcher.roots),
                    tuple((u, str(p)) for u, p in self.fetcher.prepared.items()),
                    self.profile.pdf_variant)

    # -- one PDF

    def _assemble(self, units: list[Unit]) -> tuple[pikepdf.Pdf, list[pikepdf.Pdf]]:
        self.stats.reused = sum(1 for u in units if u.key not in self._rendered)
        self.stats.total = len(units)
        sources: list[pikepdf.Pdf] = []
        out: pikepdf.Pdf | None = None
        unit_start: dict[str, int] = {}
        for u in units:
            data, _, skip = self._done[u.key]
            pdf = pikepdf.open(io.BytesIO(data))
            if u.anchor:
                unit_start[u.anchor] = len(out.pages) if out is not None else 0
            if out is None:
                out = pdf
                for _ in range(skip):
                    del out.pages[0]
            else:
                sources.append(pdf)
                out.pages.extend(pdf.pages[skip:])
        assert out is not None
        for key in ("/Outlines", "/PageMode"):
            if key in out.Root:
                del out.Root[key]
        if "/Names" in out.Root and "/Dests" in out.Root.Names:
            del out.Root.Names["/Dests"]
        _links(out, unit_start)
        _dedupe_streams(out)
        self._outline(out, units, unit_start)
        return out, sources

    def _outline(self, pdf: pikepdf.Pdf, units: list[Unit], start: dict[str, int]) -> None:
        with pdf.open_outline() as outline:
            parent = None
            for u in units:
                if not u.anchor or not u.bookmark:
                    continue
                item = pikepdf.OutlineItem(u.bookmark, start[u.anchor])
                section = u.section
                if isinstance(section, ArticleSection):
                    if section.opens_rubric:
                        parent = pikepdf.OutlineItem(section.opens_rubric, start[u.anchor])
                        outline.root.append(parent)
                    if parent is not None:
                        parent.children.append(item)
                        continue
                else:
                    parent = None
                outline.root.append(item)


def _dedupe_streams(pdf: pikepdf.Pdf) -> None:
    """Every section brings its own copy of the ICC profile (and of some fonts and images):
    keep one of each identical stream."""
    canonical: dict[str, pikepdf.Object] = {}
    dup: dict[tuple[int, int], pikepdf.Object] = {}
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Stream):
            continue
        d = obj.stream_dict
        if d.get("/Type") in (Name.XRef, Name.ObjStm, Name.Metadata) or "/Length" not in d:
            continue
        if d.get("/Subtype") == Name.Image:
            continue  # a photo is placed once: reading 20 MB of them would find nothing
        raw = obj.read_raw_bytes()
        if len(raw) < 512:
            continue
        entries = sorted((str(k), repr(v)) for k, v in d.items() if k != "/Length")
        key = _sha(raw, repr(entries))
        if key in canonical:
            dup[obj.objgen] = canonical[key]
        else:
            canonical[key] = obj
    if not dup:
        return

    def fix(container: pikepdf.Object, depth: int = 0) -> None:
        """Point references to a duplicate at its original, in `container` and the direct
        dictionaries and arrays inside it."""
        if isinstance(container, pikepdf.Stream):
            container = container.stream_dict
        if depth > 12 or not isinstance(container, pikepdf.Dictionary | pikepdf.Array):
            return
        keys = list(container.keys()) if isinstance(container, pikepdf.Dictionary) \
            else range(len(container))
        for k in keys:
            v = container[k]
            if not isinstance(v, pikepdf.Object):
                continue
            if not v.is_indirect:
                fix(v, depth + 1)
            elif v.objgen in dup:
                container[k] = dup[v.objgen]

    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary | pikepdf.Array | pikepdf.Stream):
            fix(obj)


def _write_if_changed(path: Path, text: str) -> None:
    try:
        if path.read_text() == text:
            return
    except OSError:
        pass
    atomic_write_text(path, text)


def _links(pdf: pikepdf.Pdf, start: dict[str, int]) -> None:
    """`edition-anchor:x` links -> links to the page where section x starts."""
    for page in pdf.pages:
        annots = page.obj.get("/Annots")
        if annots is None:
            continue
        keep = []
        for annot in annots:
            action = annot.get("/A")
            uri = str(action.get("/URI", "")) if action is not None else ""
            if uri.startswith(LINK_SCHEME):
                target = start.get(uri[len(LINK_SCHEME):])
                if target is None:
                    continue
                del annot["/A"]
                annot.Dest = pikepdf.Array([pdf.pages[target].obj, Name.XYZ, None, None, None])
            keep.append(annot)
        page.obj.Annots = pikepdf.Array(keep)


def _layout_warning(message: str) -> Finding:
    return Finding(message, None, None, "weasyprint", Severity.WARNING)


def _warm_up() -> None:
    """In a worker process: import WeasyPrint before there is a section to lay out."""
    import weasyprint  # noqa: F401


def _render_job(job: _Job) -> tuple[bytes, int, list[str], list[Finding]]:
    """In a worker process: one section's HTML -> PDF bytes. WeasyPrint writes it
    uncompressed (its own compression is most of what its writing costs) and qpdf
    compresses it, several times faster."""
    from weasyprint import HTML

    from .pdf import _findings_from_log, weasyprint_warnings

    rules = FetchRules([Path(r) for r in job.roots])
    for url, path in job.prepared:
        rules.prepared[url] = Path(path)
    fetcher = safe_fetcher(rules)
    with weasyprint_warnings() as records:
        document = HTML(string=job.html, base_url=job.base_url, url_fetcher=fetcher).render()
        data = document.write_pdf(pdf_variant=job.variant, uncompressed_pdf=True)
    # Compressed here, in parallel and once per section, so that assembling the edition
    # only copies streams (qpdf keeps compressed streams as they are).
    with pikepdf.open(io.BytesIO(data)) as pdf:
        buf = io.BytesIO()
        pdf.save(buf, compress_streams=True)
        data = buf.getvalue()
    warnings = [f.message for f in _findings_from_log(records)]  # kept with the section
    return data, len(document.pages), warnings, fetcher.refused
