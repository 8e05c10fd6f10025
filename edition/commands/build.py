"""`edition build`: one issue folder + one profile -> one PDF. The one driver of a build,
used by `build`, `archive` and `serve`."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from edition.check.preflight import check_pdf
from edition.check.sources import check_sources
from edition.errors import EditionError, Finding
from edition.issue.load import load_issue
from edition.layout.load import load_layout
from edition.plan.model import ImageRequest, Plan
from edition.plan.plan import plan_issue
from edition.profiles import Profile, get_profile
from edition.share import share_dir
from edition.store.atomic import atomic_write_bytes, atomic_write_text
from edition.store.lock import output_lock
from edition.store.paths import Output
from edition.store.stamps import Fingerprint, HashBook, sha256_file

if TYPE_CHECKING:
    from edition.pdf.finish import Finish

Progress = Callable[[str], Callable[[int, int], None]]


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
    unchanged: bool = False  # nothing it reads changed since the last build: PDF kept
    fingerprint: str = ""  # of everything the build read


def build_edition(
    issue_dir: Path,
    profile: str = "print",
    out_root: Path = Path("dist"),
    *,
    html: bool = False,
    force: bool = False,
    step: Callable[[str], None] = lambda _: None,
    single_pass: bool = False,
    workers: int | None = None,
    progress: Progress | None = None,
) -> BuildResult:
    """Check, plan and render `issue_dir` for `profile` into `out_root`.

    Raises EditionError (bad input) before anything is written. The issue's own
    warnings are included in the result's findings.
    """
    prof = get_profile(profile)
    output = Output(out_root)
    book = HashBook(output.cache / "hashes.json")
    # The issue's files are fingerprinted before they are read: one that changes while
    # the build runs makes the next build see a change.
    inputs = Fingerprint(book, f"single_pass={single_pass}").add("issue", Path(issue_dir))
    step(f"Reading {issue_dir}")
    issue = load_issue(issue_dir)
    layout = load_layout(issue.spec.layout, issue.root)
    fingerprint = inputs.add_build(layout.folders).hexdigest()
    output.check_writable()
    book.save()
    step(
        f"Planning {_count(len(issue.articles), 'article')}, "
        f"{_count(len(issue.inframe), 'Inframe photo')}, {_count(len(issue.ads), 'ad')}"
    )
    plan = plan_issue(issue, layout, dpi=prof.dpi, quality=prof.jpeg_quality, cmyk=prof.cmyk)
    target = output.pdf(issue.id, prof.name)
    html_out = output.html(issue.id, prof.name) if html else None
    record = output.record(issue.id, prof.name)
    # A second build of this PDF waits here (and says so) rather than writing over it.
    with output_lock(target, step, also=[output.html(issue.id, prof.name)]):
        if html_out is None and (done := _unchanged(record, fingerprint, target)) is not None:
            step("Nothing changed since the last build")
            done.findings[:0] = issue.warnings
            return done
        result, photo_files = _build(
            plan,
            prof,
            output,
            target,
            html_out,
            step,
            force=force,
            single_pass=single_pass,
            workers=workers,
            progress=progress,
        )
        result.fingerprint = fingerprint
        step("Preflight")
        result.preflight = check_sources(plan, prof) + check_pdf(
            target, plan, prof, output.cache, photo_files
        )
        sha = _remember(record, fingerprint, result)
    result.findings[:0] = issue.warnings
    from edition.publish.meta import record_build  # the catalogue's and archive's record

    record_build(issue, prof.name, result.pdf, result.pages, output, fingerprint, sha256=sha)
    return result


def current_fingerprint(issue_dir: Path, output: Output) -> str | None:
    """The fingerprint a build of `issue_dir` into `output` would record now, or None when
    its issue.toml or layout cannot be read (then a build will say why)."""
    from edition.layout.load import layout_folders

    folders = layout_folders(issue_dir)
    if folders is None:
        return None
    book = HashBook(output.cache / "hashes.json")
    try:
        digest = (
            Fingerprint(book, "single_pass=False")
            .add("issue", issue_dir)
            .add_build(folders)
            .hexdigest()
        )
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
    single_pass: bool,
    workers: int | None,
    progress: Progress | None,
) -> tuple[BuildResult, dict[ImageRequest, Path]]:
    """Prepare the photos, lay out, finish and write the PDF (atomically)."""
    from edition.pdf.fetch import FetchRules
    from edition.pdf.finish import finish_pdf
    from edition.photos.prepare import prepare_images
    from edition.render.html import render_html

    start = time.perf_counter()
    issue_root = plan.issue.root.resolve()
    step("Preparing photos")
    rules = FetchRules([issue_root, *plan.layout.folders, share_dir("assets")])
    builder = None
    if not (profile.tagged or single_pass):
        # The layout processes start now and import WeasyPrint while photos are prepared.
        from edition.pdf.sections import SectionBuilder

        builder = SectionBuilder(
            plan,
            profile,
            rules,
            output.cache,
            workers=workers,
            step=step,
            progress=progress("sections") if progress else None,
        )
    try:
        prepared = prepare_images(
            [s.request for s in plan.slots],
            output.cache / "images",
            progress=progress("photos prepared") if progress else None,
        )
    except BaseException:
        if builder is not None:
            builder.close()
        raise
    urls = {req: rules.add_prepared(p.path.resolve()) for req, p in prepared.items()}
    made = sum(1 for p in prepared.values() if not p.reused)
    html = render_html(plan, profile, urls) if (html_out is not None or builder is None) else None
    result = BuildResult(target, 0, 0.0, made, len(prepared) - made)
    sources: list = []
    if builder is None:
        from edition.pdf.single import lay_out_one_pass

        step("Laying out pages (one pass)")
        one = lay_out_one_pass(plan, profile, rules, urls, html)
        data: object = one.pdf
        result.pages, result.padded, result.findings = one.pages, one.padded, one.findings
    else:
        assembled = builder.build(urls)
        data, sources = assembled.pdf, assembled.sources
        stats = builder.stats
        result.pages = len(assembled.pdf.pages)
        result.padded = sum(1 for u in assembled.units if getattr(u.section, "role", "") == "pad")
        result.findings = list(dict.fromkeys(stats.findings))
        result.sections_rendered, result.sections_reused = stats.rendered, stats.reused
        result.sections_total, result.sections_moved = stats.total, stats.moved
    step("Writing PDF")
    final = finish_pdf(data, _finish(plan, profile))  # type: ignore[arg-type]
    if target.exists() and profile.embed_sources and not force and target.read_bytes() != final:
        raise EditionError.single(
            "an archive PDF with different content exists",
            target,
            None,
            "use --force to replace it, or build into another --out",
            "output.archive-exists",
        )
    atomic_write_bytes(target, final)
    for src in sources:
        src.close()
    if html_out is not None and html is not None:
        atomic_write_text(html_out, html)
        result.html = html_out
    result.seconds = time.perf_counter() - start
    return result, {req: p.path for req, p in prepared.items()}


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


def _unchanged(record: Path, fingerprint: str, target: Path) -> BuildResult | None:
    """The last build's result when nothing it read has changed and its PDF is intact."""
    try:
        old = json.loads(record.read_text())
        if old["fingerprint"] != fingerprint or not target.is_file():
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


def _remember(record: Path, fingerprint: str, result: BuildResult) -> str:
    """Remember what this build read and found; returns the PDF's SHA-256."""
    sha = sha256_file(result.pdf)
    atomic_write_text(
        record,
        json.dumps(
            {
                "fingerprint": fingerprint,
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
