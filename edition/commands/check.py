"""`edition check`: preflight of an issue's sources, and of its built PDF when there is one."""

from __future__ import annotations

import json
from pathlib import Path

import pikepdf

from edition.check.preflight import check_pdf
from edition.check.report import Report
from edition.check.sources import check_sources
from edition.errors import Finding, Location, Severity
from edition.issue.load import load_issue
from edition.layout.load import load_layout
from edition.photos.cache import prepared_files
from edition.plan.plan import plan_issue
from edition.profiles import get_profile
from edition.store.paths import Output


def preflight_issue(issue_dir: Path, profile_name: str, out_root: Path) -> Report:
    """Check an issue's sources for a profile, and its built PDF under `out_root` if any.

    Raises EditionError when the issue itself cannot be read (bad input).
    """
    from edition.commands.build import current_fingerprint

    profile = get_profile(profile_name)
    output = Output(out_root)
    issue = load_issue(issue_dir)
    layout = load_layout(issue.spec.layout, issue.root)
    plan = plan_issue(
        issue, layout, dpi=profile.dpi, quality=profile.jpeg_quality, cmyk=profile.cmyk
    )
    findings = list(issue.warnings) + check_sources(plan, profile)
    pdf: Path | None = output.pdf(issue.id, profile.name)
    assert pdf is not None
    pages = None
    if pdf.is_file():
        built_from = _built_from(output.record(issue.id, profile.name))
        if built_from is not None and built_from != current_fingerprint(issue.root, output):
            findings.append(
                Finding(
                    "the PDF was built from other sources than these",
                    Location(pdf),
                    f"run `edition build {issue_dir} --profile {profile.name}` and check again",
                    "pdf.stale",
                    Severity.WARNING,
                )
            )
        photo_files = prepared_files([s.request for s in plan.slots], output.cache / "images")
        findings += check_pdf(pdf, plan, profile, photo_files=photo_files)
        with pikepdf.open(pdf) as doc:
            pages = len(doc.pages)
    else:
        findings.append(
            Finding(
                "not built yet: only the sources were checked",
                Location(pdf),
                f"run `edition build {issue_dir} --profile {profile.name}`",
                "pdf.not-built",
                Severity.INFO,
            )
        )
        pdf = None
    held = (
        f"{len(issue.articles)} articles, {len(issue.inframe)} Inframe photos, {len(issue.ads)} ads"
    )
    return Report(issue_dir, profile.name, pdf, pages, findings, held)


def _built_from(record: Path) -> str | None:
    """The fingerprint the last build of a PDF recorded."""
    try:
        value = json.loads(record.read_text())["fingerprint"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return value if isinstance(value, str) else None
