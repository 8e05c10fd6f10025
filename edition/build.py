"""One issue folder + one profile -> one PDF: the unit of work of `build` and `archive`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .layout import load_layout
from .load import load_issue
from .lock import output_lock
from .pdf import BuildResult, build_pdf, check_output_dir
from .plan import plan_issue
from .preflight import check_pdf, check_sources
from .profiles import get_profile


def output_path(out_root: Path, issue_id: str, profile: str) -> Path:
    """Where a profile's PDF of an issue goes: OUT/<issue-id>/<issue-id>-<profile>.pdf."""
    return out_root / issue_id / f"{issue_id}-{profile}.pdf"


def build_edition(issue_dir: Path, profile: str = "print", out_root: Path = Path("dist"), *,
                  html: bool = False, force: bool = False,
                  step: Callable[[str], None] = lambda _: None, single_pass: bool = False,
                  workers: int | None = None) -> BuildResult:
    """Check, plan and render `issue_dir` for `profile` into `out_root`.

    Raises EditionError (bad input) before anything is written. The issue's own
    warnings are included in the result's findings.
    """
    prof = get_profile(profile)
    step(f"Reading {issue_dir}")
    issue = load_issue(issue_dir)
    layout = load_layout(issue.spec.layout, issue.root)
    check_output_dir(out_root)
    step(f"Planning {len(issue.articles)} articles, {len(issue.inframe)} Inframe "
         f"photos, {len(issue.ads)} ads")
    plan = plan_issue(issue, layout, dpi=prof.dpi, quality=prof.jpeg_quality, cmyk=prof.cmyk)
    target = output_path(out_root, issue.id, prof.name)
    html_out = target.with_suffix(".html") if html else None
    # A second build of this PDF waits here (and says so) rather than writing over it.
    with output_lock(target, step, also=[target.with_suffix(".html")]):
        result = build_pdf(plan, prof, target, out_root / ".cache", html_out, step, force=force,
                           single_pass=single_pass, workers=workers)
        step("Preflight")
        result.preflight = check_sources(plan, prof) + check_pdf(target, plan, prof)
    result.findings[:0] = issue.warnings
    from .meta import record_build  # OUT/<issue-id>/<issue-id>.json: catalogue and archive

    record_build(issue, prof.name, result.pdf, result.pages, out_root)
    return result
