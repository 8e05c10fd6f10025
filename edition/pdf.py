"""HTML -> PDF for a profile via WeasyPrint, reading only files the issue may use."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from . import fonts as _fonts  # noqa: F401  (must come before WeasyPrint loads fonts)
from .assemble import SectionBuilder
from .errors import EditionError, Finding, Severity
from .fetch import FetchRules, safe_fetcher
from .finish import Finish, finish_pdf, issue_sources
from .images import ImageRequest, PreparedImage, prepare_images
from .layout import share_dir
from .plan import AdPage, Plan
from .profiles import Profile
from .publish import atomic_write_bytes, atomic_write_text
from .render import render_html
from .result import BuildResult, check_output_dir  # noqa: F401  (re-exported)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def weasyprint_warnings() -> Iterator[list[logging.LogRecord]]:
    """Catch WeasyPrint's own warnings so they become findings instead of stray log lines."""
    handler = _Collect()
    logger = logging.getLogger("weasyprint")
    old = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)
        logger.propagate = old


def _findings_from_log(records: list[logging.LogRecord]) -> list[Finding]:
    out = []
    for r in records:
        msg = r.getMessage()
        if msg.startswith("Failed to load") and "refused" in msg:
            continue  # already reported by the fetcher
        out.append(Finding(msg.splitlines()[0][:300], None, None, "weasyprint",
                           Severity.WARNING))
    return out


def prepare_photos(plan: Plan, cache_dir: Path, fetcher: FetchRules,
                   progress: Callable[[int, int], None] | None = None) -> tuple[int, int]:
    """Prepare every placed photo and give its slot the prepared file's URL."""
    slots = plan.slots
    requests: list[ImageRequest] = [s.request for s in slots]
    prepared: dict[ImageRequest, PreparedImage] = prepare_images(requests, cache_dir,
                                                                 progress=progress)
    for s in slots:
        s.src = fetcher.add_prepared(prepared[s.request].path.resolve())
    reused = sum(1 for p in prepared.values() if p.reused)
    return len(prepared) - reused, reused


def build_pdf(plan: Plan, profile: Profile, out: Path, cache_dir: Path,
              html_out: Path | None = None,
              step: Callable[[str], None] = lambda _: None, *,
              force: bool = False, single_pass: bool = False,
              workers: int | None = None,
              progress: Callable[[str], Callable[[int, int], None]] | None = None,
              ) -> BuildResult:
    """Render `plan` to `out` (written atomically); returns what was done."""
    start = time.perf_counter()
    issue_root = plan.issue.root.resolve()
    step("Preparing photos")
    # WeasyPrint is imported only when something is laid out here (one pass); the
    # section build lays out in worker processes, warmed up while photos are prepared.
    fetcher = FetchRules([issue_root, *plan.layout.folders, share_dir("assets")])
    builder = None
    if not (profile.tagged or single_pass):
        builder = SectionBuilder(plan, profile, fetcher, cache_dir, workers=workers,
                                 step=step,
                                 progress=progress("sections") if progress else None)
    try:
        made, reused = prepare_photos(plan, cache_dir / "images", fetcher,
                                      progress("photos prepared") if progress else None)
    except BaseException:
        if builder is not None:
            builder.close()
        raise
    html = render_html(plan, profile) if (html_out is not None or single_pass
                                          or profile.tagged) else ""
    sources: list = []
    stats = None
    with weasyprint_warnings() as records:
        if profile.tagged or single_pass:
            # Tags (the structure tree) span the whole document: one pass.
            step("Laying out pages (one pass)")
            from weasyprint import HTML

            weasy = safe_fetcher(fetcher)
            document = HTML(string=html, base_url=str(issue_root) + "/",
                            url_fetcher=weasy).render()
            pages = list(document.pages)
            padded = (-len(pages)) % profile.pad_to
            if padded:
                pages = _pad(plan, profile, fetcher, issue_root, pages, padded)
            step("Writing PDF")
            data = document.copy(pages).write_pdf(
                pdf_identifier=f"{plan.issue.id}-{profile.name}".encode(),
                pdf_variant=profile.pdf_variant, pdf_tags=profile.tagged,
                uncompressed_pdf=True,
            )
            page_count = len(pages)
        else:
            assert builder is not None
            assembled, sources, units = builder.build()
            stats = builder.stats
            step("Writing PDF")
            data = assembled
            page_count = len(assembled.pages)
            padded = sum(1 for u in units if getattr(u.section, "role", "") == "pad")
    data = finish_pdf(data, _finish(plan, profile))
    if (out.exists() and profile.embed_sources and not force
            and out.read_bytes() != data):
        raise EditionError.single(
                "an archive PDF with different content exists", out, None,
                "use --force to replace it, or build into another --out", "output.archive-exists")
    atomic_write_bytes(out, data)
    for src in sources:
        src.close()
    html_path = None
    if html_out is not None:
        atomic_write_text(html_out, html)
        html_path = html_out
    findings = fetcher.refused + _findings_from_log(records)
    result = BuildResult(out, page_count, time.perf_counter() - start, made, reused, padded,
                         html_path, findings)
    if stats is not None:
        result.findings += [f for f in dict.fromkeys(stats.findings)]
        result.sections_rendered, result.sections_reused = stats.rendered, stats.reused
        result.sections_total = stats.total
        result.sections_moved = stats.moved
    return result


def _finish(plan: Plan, profile: Profile) -> Finish:
    spec = plan.issue.spec
    sources = ()
    if profile.embed_sources:
        sources = issue_sources(plan.issue.root, [a.path for a in plan.issue.articles])
    return Finish(plan.issue.id, profile.name, spec.number, spec.date.isoformat(),
                  " ".join(p for p in (spec.magazine, spec.title) if p), spec.language,
                  bleed_mm=plan.layout.page.bleed if profile.marks else None,
                  print_intent=profile.cmyk, sources=sources)


def _pad(plan: Plan, profile: Profile, fetcher: FetchRules, root: Path,
         pages: list, count: int) -> list:
    """House-ad pages up to a multiple of the profile's page count, before the covers at the end.

    The padding is laid out on its own and spliced in, so the edition is laid out only once;
    nothing after the insertion point carries a folio or is referred to by page number.
    """
    trailing = 0
    for s in reversed(plan.sections):
        if isinstance(s, AdPage) and s.role in ("inside-back", "back-cover"):
            trailing += 1
        else:
            break
    pad_plan = Plan(plan.issue, plan.layout, plan.dpi, [])
    pad_plan.insert_padding(count)
    html = render_html(pad_plan, profile)
    from weasyprint import HTML

    extra = HTML(string=html, base_url=str(root) + "/",
                 url_fetcher=safe_fetcher(fetcher)).render().pages
    at = len(pages) - trailing
    return pages[:at] + list(extra) + pages[at:]
