"""`edition build`: one issue folder + one profile -> one PDF. The one driver of a build,
used by `build`, `archive` and `serve`."""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from edition.errors import EditionError, Finding
from edition.issue.load import load_issue
from edition.layout.load import load_layout
from edition.pdf.pool import end_processes, layout_processes
from edition.profiles import Profile, get_profile
from edition.publish.meta import read_meta, record_build
from edition.share import share_dir
from edition.store.atomic import atomic_write_bytes, atomic_write_text, disk_errors_are_findings
from edition.store.lock import output_lock
from edition.store.paths import Output, path_key
from edition.store.seal import private_cache
from edition.store.stamps import Fingerprint, HashBook, sha256_file
from edition.workers import ONE_PASS, ceiling

if TYPE_CHECKING:
    from concurrent.futures import Executor

    import pikepdf

    from edition.pdf.fetch import FetchRules
    from edition.pdf.finish import Finish
    from edition.pdf.sections import Warm
    from edition.photos.prepare import PhotoTask, PreparedImage
    from edition.plan.model import ImageRequest, Plan

Progress = Callable[[str], Callable[[int, int], None]]
logger = logging.getLogger(__name__)


@dataclass
class BuildResult:
    pdf: Path
    pages: int
    seconds: float
    photos_prepared: int = 0
    photos_reused: int = 0
    padded: int = 0
    html: Path | None = None
    findings: list[Finding] = field(default_factory=list)  # from reading and rendering
    preflight: list[Finding] = field(default_factory=list)  # from checking the result
    sections_rendered: int = 0  # section-by-section build: laid out now ...
    sections_reused: int = 0  # ... or taken from the cache
    sections_total: int = 0  # sections in the edition (pages laid out section by section)
    sections_moved: list[str] = field(default_factory=list)  # laid out again after a move
    sections_laid_out: list[str] = field(default_factory=list)  # by name, laid out now ...
    sections_from_cache: list[str] = field(default_factory=list)  # ... and from the cache
    unchanged: bool = False  # nothing it reads changed since the last build: PDF kept
    kept: bool = False  # a published archive edition left as it was (see `draft`)
    replaced: bool = False  # a published archive edition replaced (with `force`)
    published: bool = False  # the archive edition made is the published one
    fingerprint: str = ""  # of everything the build read
    sections_fitted: list[str] = field(default_factory=list)  # changed by copyfit
    plan: Plan | None = None  # the plan as copyfit left it
    measured: list | None = None  # every page as the build measured it (PageMeasure)
    stages: list[tuple[str, float]] = field(default_factory=list)  # each step, seconds
    cache: Path | None = None  # the build cache it used


# The states of an archive edition in an output folder (see `archive_state`).
NO_ARCHIVE, DRAFT, PUBLISHED = "none", "draft", "published"


class Stages:
    """The build's steps as they are announced, each timed until the next one starts."""

    def __init__(self, step: Callable[[str], None]) -> None:
        self.step = step
        self.done: list[tuple[str, float]] = []
        self.current: str | None = None
        self.started = time.perf_counter()

    def __call__(self, text: str) -> None:
        self.close()
        self.current, self.started = text, time.perf_counter()
        self.step(text)

    def close(self) -> list[tuple[str, float]]:
        if self.current is not None:
            self.done.append((self.current, time.perf_counter() - self.started))
            self.current = None
        return self.done


@disk_errors_are_findings
def build_edition(
    issue_dir: Path,
    profile: str | Profile = "print",
    out_root: Path = Path("dist"),
    *,
    html: bool = False,
    force: bool = False,
    step: Callable[[str], None] = lambda _: None,
    single_pass: bool = False,
    workers: int | None = None,
    progress: Progress | None = None,
    cache: Path | None = None,
    draft: bool = False,
    warm: Warm | None = None,
) -> BuildResult:
    """Check, plan and render `issue_dir` for `profile` into `out_root`.

    Raises EditionError (bad input) before anything is written. The issue's own
    warnings are included in the result's findings. `cache` is the build cache's folder
    (default: `store.paths.cache_folder()`). `warm` (from `edition serve`) lends the build
    its layout processes and hears of the pages first; every section is then laid out (or
    taken from the cache) even when nothing changed, for the live view.

    The archive edition is the issue's record. Made as a `draft` (`build --profile all`)
    it is replaced freely by later drafts; made otherwise (`edition publish`, `build
    --profile archive`, `edition archive`) it is the published one, and is then never
    replaced by different bytes without `force` (EditionError). A draft build leaves a
    published archive edition as it is and says so (`kept`).
    """
    prof = profile if isinstance(profile, Profile) else get_profile(profile)
    output = Output(out_root, cache)
    stages = Stages(step)
    cache_dir = output.cache
    if cache_dir.resolve().is_relative_to(Path(out_root).resolve()):
        raise EditionError.single(
            "the build cache is inside the output folder, which is published as it is",
            cache_dir,
            None,
            "give --cache (or EDITION_CACHE) a folder outside --out",
            "output.cache",
        )
    logger.debug("build cache: %s", cache_dir)
    book = HashBook(cache_dir / "hashes.json")
    # The issue's files are fingerprinted before they are read: one that changes while
    # the build runs makes the next build see a change.
    inputs = Fingerprint(book).add("issue", Path(issue_dir))
    stages(f"Reading {issue_dir}")
    issue = load_issue(issue_dir)
    layout = load_layout(issue.spec.layout, issue.root)
    fingerprint = inputs.add_build(layout.folders).hexdigest()
    logger.debug("fingerprint of what the %s build reads: %s", prof.name, fingerprint)
    output.check_writable()
    private_cache(cache_dir)  # only this user may write what the next build reuses
    book.save()
    stages(
        f"Planning {_count(len(issue.articles), 'article')}, "
        f"{_count(len(issue.inframe), 'Inframe photo')}, {_count(len(issue.ads), 'ad')}"
    )
    target = output.pdf(issue.id, prof.name)
    html_out = output.html(issue.id, prof.name) if html else None
    record = output.record(issue.id, prof.name)
    # A second build of this PDF waits here (and says so) rather than writing over it.
    with output_lock(target, stages, also=[output.html(issue.id, prof.name)]):
        state = archive_state(output, issue.id, prof.name) if prof.embed_sources else None
        logger.debug("%s: archive edition %s", target, state or "not kept")
        if state == PUBLISHED and draft and not force:
            kept = _kept(output, issue.id, prof.name, fingerprint)
            kept.findings[:0] = issue.warnings
            kept.stages, kept.cache = stages.close(), cache_dir
            return kept
        publish = bool(prof.embed_sources and not draft)
        unchanged = html_out is None and warm is None
        if unchanged and (done := _unchanged(record, fingerprint, single_pass, target)):
            logger.debug("%s: the record %s says nothing changed", target, record)
            stages("Nothing changed since the last build")
            done.findings[:0] = issue.warnings
            done.published = publish or state == PUBLISHED
            if _needs_record(output, issue.id, prof.name, done):
                record_build(
                    issue,
                    prof.name,
                    target,
                    done.pages,
                    output,
                    fingerprint,
                    published=done.published if prof.embed_sources else None,
                )
            done.stages, done.cache = stages.close(), cache_dir
            return done
        # Something is to be built: the layout processes start now, and import WeasyPrint
        # while this process imports the rest of the build and plans the issue.
        pool = layout_processes(workers) if warm is None else None
        try:
            from edition.plan.plan import plan_issue

            plan = plan_issue(
                issue, layout, dpi=prof.dpi, quality=prof.jpeg_quality, cmyk=prof.cmyk
            )
            result, photo_files = _build(
                plan,
                prof,
                output,
                target,
                html_out,
                stages,
                force=force,
                published=state == PUBLISHED,
                single_pass=single_pass,
                workers=workers,
                progress=progress,
                warm=warm,
                pool=pool,
            )
        finally:
            end_processes(pool)
        result.fingerprint = fingerprint
        plan = result.plan or plan  # as copyfit left it
        stages("Preflight")
        import pikepdf

        from edition.check.placed import photo_pages
        from edition.check.preflight import check_pdf
        from edition.check.sources import check_sources

        with pikepdf.open(target) as doc:
            on_pages = photo_pages(doc, photo_files)
        result.preflight = check_sources(plan, prof, on_pages) + check_pdf(
            target,
            plan,
            prof,
            cache_dir / "preflight" / path_key(target),
            photo_files,
            measured=result.measured,
        )
        sha = _remember(record, fingerprint, single_pass, result)
        # Replaced with `force`, a published archive edition stays the published one.
        result.published = publish or state == PUBLISHED
        record_build(
            issue,
            prof.name,
            result.pdf,
            result.pages,
            output,
            fingerprint,
            sha256=sha,
            published=result.published if prof.embed_sources else None,
        )
    result.findings[:0] = issue.warnings
    result.stages, result.cache = stages.close(), cache_dir
    return result


def archive_state(output: Output, issue_id: str, profile: str) -> str:
    """Where an archive edition stands in `output`: none yet, a draft (made by a build of
    `--profile all` and not published since), or published. A PDF that the issue's
    metadata does not vouch for (copied from elsewhere) counts as published: it is not
    replaced without being asked."""
    pdf = output.pdf(issue_id, profile)
    if not pdf.is_file():
        return NO_ARCHIVE
    entry = ((read_meta(output.meta(issue_id)) or {}).get("profiles") or {}).get(profile)
    if not isinstance(entry, dict) or entry.get("published", True) is not False:
        return PUBLISHED
    try:
        same = sha256_file(pdf) == entry.get("sha256")
    except OSError:
        return PUBLISHED
    return DRAFT if same else PUBLISHED


def _kept(output: Output, issue_id: str, profile: str, fingerprint: str) -> BuildResult:
    """A published archive edition left as it is by a draft build."""
    pdf = output.pdf(issue_id, profile)
    entry = ((read_meta(output.meta(issue_id)) or {}).get("profiles") or {}).get(profile)
    entry = entry if isinstance(entry, dict) else {}
    result = BuildResult(pdf, int(entry.get("pages") or 0), 0.0)
    result.fingerprint = str(entry.get("fingerprint") or "")
    result.published = True
    if result.fingerprint == fingerprint:
        result.unchanged = True  # what it was published from is what there is now
    else:
        result.kept = True
    if not result.pages:
        import pikepdf

        with pikepdf.open(pdf) as doc:
            result.pages = len(doc.pages)
    return result


def _needs_record(output: Output, issue_id: str, profile: str, result: BuildResult) -> bool:
    """Whether the issue's metadata must be written again for a PDF that was kept: it
    does not vouch for this PDF, or not as published when it now is."""
    entry = ((read_meta(output.meta(issue_id)) or {}).get("profiles") or {}).get(profile)
    if not isinstance(entry, dict) or entry.get("fingerprint") != result.fingerprint:
        return True
    if result.published and entry.get("published") is False:
        return True
    try:
        return entry.get("sha256") != sha256_file(result.pdf)
    except OSError:
        return True


def current_fingerprint(issue_dir: Path, output: Output) -> str | None:
    """The fingerprint a build of `issue_dir` into `output` would record now, or None when
    its issue.toml or layout cannot be read (then a build will say why)."""
    from edition.layout.load import layout_folders

    folders = layout_folders(issue_dir)
    if folders is None:
        return None
    book = HashBook(output.cache / "hashes.json")
    try:
        digest = Fingerprint(book).add("issue", issue_dir).add_build(folders).hexdigest()
    except OSError:
        return None
    book.save()
    return digest


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _build(
    plan: Plan,
    profile: Profile,
    output: Output,
    target: Path,
    html_out: Path | None,
    step: Callable[[str], None],
    *,
    force: bool,
    published: bool,
    single_pass: bool,
    workers: int | None,
    progress: Progress | None,
    warm: Warm | None = None,
    pool: Executor | None = None,
) -> tuple[BuildResult, dict[ImageRequest, Path]]:
    """Prepare the photos, lay out, finish and write the PDF (atomically)."""
    from edition.pdf.fetch import FetchRules
    from edition.pdf.finish import finish_pdf, merges_fonts
    from edition.photos.prepare import prepare_images
    from edition.render.html import render_html

    start = time.perf_counter()
    issue_root = plan.issue.root.resolve()
    step("Preparing photos")
    rules = FetchRules([issue_root, *plan.layout.folders, share_dir("assets")])
    from edition.fit import Memory, fit_plan, follow, kept
    from edition.pdf.sections import SectionBuilder
    from edition.plan.model import ArticleSection, section_slots

    more = _MorePhotos(output.cache / "images", rules)
    merging = merges_fonts(profile.pdf_variant) and not warm
    fonts = _FontsAhead(output.cache / "fonts") if merging else None
    # The one-pass editions, too, lay out the sections in these processes to measure and fit
    # them first.
    builder = SectionBuilder(
        plan,
        profile,
        rules,
        output.cache,
        workers=workers,
        step=step,
        progress=progress("sections") if progress else None,
        executor=pool,
        refit=fit_plan,
        follow=follow,
        kept=kept,
        prepare=more,
        remember=Memory(plan.layout),
        warm=warm,
        before_overlay=fonts.start if fonts is not None else None,
    )
    one_pass = profile.tagged or single_pass
    # The articles' photos are made by the layout processes, each once a layout that shows
    # it is kept (a try copyfit goes past, or an article's planned layout that copyfit
    # changes, never needs it); the other sections' photos are prepared first, here.
    elsewhere = {
        x.request
        for s in plan.sections
        if not isinstance(s, ArticleSection)
        for x in section_slots(s)
    }
    try:
        prepared = prepare_images(
            [s.request for s in plan.slots if s.request in elsewhere],
            output.cache / "images",
            progress=progress("photos prepared") if progress else None,
        )
    except BaseException:
        builder.close()
        raise
    prepared = dict(prepared)
    urls = {req: rules.add_prepared(p.path.resolve()) for req, p in prepared.items()}
    result = BuildResult(target, 0, 0.0)
    sources: list = []
    if one_pass:
        from edition.pdf.single import lay_out_one_pass

        plan = builder.fit(urls)  # the sections measured and fitted, not assembled
        prepared.update(more.finish(plan))
        urls = {req: rules.add_prepared(p.path.resolve()) for req, p in prepared.items()}
        html: str | None = render_html(plan, profile, urls)
        step("Laying out pages (one pass)")
        with ceiling(ONE_PASS, "laying out the edition", plan.issue.root):
            one = lay_out_one_pass(plan, profile, rules, urls, html)
        data: object = one.pdf
        result.pages, result.padded, result.findings = one.pages, one.padded, one.findings
        result.findings[:0] = builder.stats.findings
        result.findings = list(dict.fromkeys(result.findings))
        result.sections_fitted = builder.stats.fitted
    else:
        assembled = builder.build(urls)
        plan = assembled.plan
        prepared.update(more.finish(plan))
        urls = {req: rules.add_prepared(p.path.resolve()) for req, p in prepared.items()}
        html = render_html(plan, profile, urls) if html_out is not None else None
        data, sources = assembled.pdf, assembled.sources
        stats = builder.stats
        result.pages = len(assembled.pdf.pages)
        result.padded = sum(1 for u in assembled.units if getattr(u.section, "role", "") == "pad")
        result.findings = list(dict.fromkeys(stats.findings))
        result.sections_rendered, result.sections_reused = stats.rendered, stats.reused
        result.sections_total, result.sections_moved = stats.total, stats.moved
        result.sections_laid_out, result.sections_from_cache = stats.laid_out, stats.from_cache
        result.sections_fitted = stats.fitted
        result.measured = assembled.pages
    result.plan = plan
    result.findings += [f for f in plan.notes if f not in result.findings]
    used = {s.request for s in plan.slots}
    prepared = {req: p for req, p in prepared.items() if req in used}
    result.photos_prepared = sum(1 for p in prepared.values() if not p.reused)
    result.photos_reused = len(prepared) - result.photos_prepared
    for req, p in prepared.items():
        logger.debug(
            "photo %s at %.0f x %.0f mm: %s %s",
            req.source.name,
            req.width_mm,
            req.height_mm,
            "from the cache" if p.reused else "prepared",
            p.path.name,
        )
    step("Writing PDF")
    if fonts is not None:
        fonts.wait()
    finish = dataclasses.replace(_finish(plan, profile), cuts=output.cache / "fonts")
    final = finish_pdf(data, finish)  # type: ignore[arg-type]
    if published and target.read_bytes() != final:
        if not force:
            raise EditionError.single(
                "the archive edition was published from other sources, and is not replaced",
                target,
                None,
                f"to publish a correction, run `edition publish {plan.issue.root} --force`; "
                "or build into another --out",
                "output.archive-published",
            )
        result.replaced = True
    atomic_write_bytes(target, final)
    for src in sources:
        src.close()
    if html_out is not None and html is not None:
        from edition.render.browser import write_browser_html

        # Photos, fonts and colours resolved so that a browser shows it (render/browser.py).
        write_browser_html(html, html_out, rules.prepared, rules.roots)
        result.html = html_out
    result.seconds = time.perf_counter() - start
    return result, {req: p.path for req, p in prepared.items()}  # copyfit's photos too


class _FontsAhead:
    """The edition's merged font subsets cut while its overlay is laid out (into the folder
    `finish_pdf` takes them from), and waited for before it is finished."""

    def __init__(self, cuts: Path) -> None:
        self.cuts = cuts
        self.cutting: Callable[[], object] = lambda: None

    def start(self, edition: pikepdf.Pdf) -> None:
        from edition.pdf.subsets import cut_ahead

        self.cutting = cut_ahead(edition, self.cuts)

    def wait(self) -> None:
        self.cutting()
        self.cutting = lambda: None


class _MorePhotos:
    """The photos copyfit places anew (a lead photo of another height), prepared by the
    layout process of the first section that shows them (edition.pdf.sections.MorePhotos)."""

    def __init__(self, cache_dir: Path, rules: FetchRules) -> None:
        self.cache_dir, self.rules = cache_dir, rules
        self.prepared: dict[ImageRequest, PreparedImage] = {}
        self.tasks: dict[Path, PhotoTask] = {}

    def place(
        self, requests: list[ImageRequest]
    ) -> dict[ImageRequest, tuple[str, PhotoTask | None]]:
        from edition.photos.prepare import photo_tasks

        ready, tasks = photo_tasks(requests, self.cache_dir)
        self.prepared.update(ready)
        out: dict[ImageRequest, tuple[str, PhotoTask | None]] = {
            req: (self.rules.add_prepared(p.path.resolve()), None) for req, p in ready.items()
        }
        for task in tasks:
            self.tasks[task.path] = task
            out[task.request] = (self.rules.add_prepared(task.path.resolve()), task)
        return out

    def made(self, images: Sequence[PreparedImage]) -> None:
        from edition.photos.prepare import vouch_for

        vouch_for(list(images), self.cache_dir)
        for image in images:
            task = self.tasks.pop(image.path, None)
            if task is not None:
                self.prepared[task.request] = image

    def finish(self, plan: Plan) -> dict[ImageRequest, PreparedImage]:
        """Every photo copyfit placed that the edition shows, made now if no layout made
        it (its section's PDF came from the cache)."""
        used = {s.request for s in plan.slots}
        left = [t.request for t in self.tasks.values() if t.request in used]
        if left:
            from edition.photos.prepare import prepare_images

            self.prepared.update(prepare_images(left, self.cache_dir))
        return {req: p for req, p in self.prepared.items() if req in used}


def _finish(plan: Plan, profile: Profile) -> Finish:
    from edition.language.dates import month_year
    from edition.pdf.finish import Finish, Source, archive_sources

    issue = plan.issue
    spec = issue.spec
    sources: tuple[Source, ...] = ()
    if profile.embed_sources:
        sources = archive_sources(plan)
    title = " ".join(p for p in (spec.magazine, spec.title) if p)
    strings = plan.layout.text(spec.language)
    return Finish(
        issue.id,
        profile.name,
        spec.number,
        spec.date.isoformat(),
        title,
        spec.language,
        source=strings.issue_source.format(
            title=title, number=spec.number, month=month_year(spec.date, spec.language)
        ),
        time_zone=plan.time_zone,
        bleed_mm=plan.layout.page.bleed if profile.marks else None,
        print_intent=profile.cmyk,
        sources=sources,
    )


def _unchanged(
    record: Path, fingerprint: str, single_pass: bool, target: Path
) -> BuildResult | None:
    """The last build's result when nothing it read has changed and its PDF is intact."""
    try:
        old = json.loads(record.read_text())
        if old["fingerprint"] != fingerprint or not target.is_file():
            return None
        if old.get("single_pass", False) != single_pass:
            return None
        if sha256_file(target) != old["pdf_sha256"]:
            return None
        result = BuildResult(target, old["pages"], 0.0, 0, old["photos"], old["padded"])
        result.findings = [Finding.from_dict(d) for d in old["findings"]]
        result.preflight = [Finding.from_dict(d) for d in old["preflight"]]
        result.sections_reused = old["sections"]
        result.unchanged = True
        result.fingerprint = fingerprint
        return result
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _remember(record: Path, fingerprint: str, single_pass: bool, result: BuildResult) -> str:
    """Remember what this build read and found; returns the PDF's SHA-256."""
    sha = sha256_file(result.pdf)
    atomic_write_text(
        record,
        json.dumps(
            {
                "fingerprint": fingerprint,
                "single_pass": single_pass,
                "pdf_sha256": sha,
                "pages": result.pages,
                "photos": result.photos_prepared + result.photos_reused,
                "padded": result.padded,
                "sections": result.sections_total,
                "findings": [f.as_dict() for f in result.findings],
                "preflight": [f.as_dict() for f in result.preflight],
            }
        ),
    )
    return sha
