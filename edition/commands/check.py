"""`edition check`: preflight of an issue's sources, and of its built PDF when there is one,
with a verdict: ready only for a PDF built from these very sources that passed."""

from __future__ import annotations

import logging
from pathlib import Path

import pikepdf

from edition.check.placed import photo_pages
from edition.check.preflight import check_pdf
from edition.check.report import NOT_BUILT, READY, STALE, Report
from edition.check.sources import check_sources
from edition.errors import Finding, Location, Severity
from edition.issue.load import load_issue
from edition.layout.load import load_layout
from edition.photos.cache import prepared_files
from edition.plan.plan import plan_issue
from edition.profiles import get_profile
from edition.publish.meta import read_meta
from edition.store.paths import Output
from edition.store.stamps import sha256_file

logger = logging.getLogger(__name__)


def preflight_issue(
    issue_dir: Path, profile_name: str, out_root: Path, cache: Path | None = None
) -> Report:
    """Check an issue's sources for a profile, and its built PDF under `out_root` if any.

    Whether the PDF is up to date is decided by content: the fingerprint of what its
    build read, recorded in OUT/<issue-id>/<issue-id>.json with the PDF's SHA-256, against
    the fingerprint of the sources now. A PDF that file does not vouch for (none, or
    another SHA-256: copied from elsewhere) cannot be said to come from these sources and
    is STALE like one built from other sources. Raises EditionError when the issue itself
    cannot be read (bad input).
    """
    from edition.commands.build import current_fingerprint

    profile = get_profile(profile_name)
    output = Output(out_root, cache)
    logger.debug("preflight of %s for %s, its PDF in %s", issue_dir, profile_name, out_root)
    issue = load_issue(issue_dir)
    layout = load_layout(issue.spec.layout, issue.root)
    plan = plan_issue(
        issue, layout, dpi=profile.dpi, quality=profile.jpeg_quality, cmyk=profile.cmyk
    )
    logger.debug("%d sections planned, %d photos placed", len(plan.sections), len(plan.slots))
    findings = list(issue.warnings)
    pdf: Path | None = output.pdf(issue.id, profile.name)
    assert pdf is not None
    pages = None
    built = NOT_BUILT
    build = f"edition build {issue_dir} --profile {profile.name}"
    if pdf.is_file():
        built = READY
        entry = ((read_meta(output.meta(issue.id)) or {}).get("profiles") or {}).get(profile.name)
        entry = entry if isinstance(entry, dict) else {}
        if entry.get("sha256") != sha256_file(pdf):
            built = STALE
            findings.append(
                Finding(
                    "nothing says which sources this PDF was built from (it is not the one "
                    f"the last build recorded in {output.meta(issue.id).name})",
                    Location(pdf),
                    f"run `{build}`",
                    "pdf.unrecorded",
                    Severity.ERROR,
                )
            )
        elif entry.get("fingerprint") != current_fingerprint(issue.root, output):
            built = STALE
            findings.append(
                Finding(
                    "the PDF was built from other sources than these (or another layout "
                    "or edition)",
                    Location(pdf),
                    f"run `{build}` and check again",
                    "pdf.stale",
                    Severity.ERROR,
                )
            )
        logger.debug("%s: %s", pdf, built)
        photo_files = prepared_files([s.request for s in plan.slots], output.cache / "images")
        with pikepdf.open(pdf) as doc:
            pages = len(doc.pages)
            on_pages = photo_pages(doc, photo_files)
        findings += check_sources(plan, profile, on_pages)
        findings += check_pdf(pdf, plan, profile, photo_files=photo_files)
    else:
        findings += check_sources(plan, profile)
        findings.append(
            Finding(
                "not built yet: only the sources were checked",
                Location(pdf),
                f"run `{build}`",
                "pdf.not-built",
                Severity.INFO,
            )
        )
        pdf = None
    held = (
        f"{_count(len(issue.articles), 'article')}, "
        f"{_count(len(issue.inframe), 'Inframe photo')}, {_count(len(issue.ads), 'ad')}"
    )
    return Report(issue_dir, profile.name, pdf, pages, findings, held, built)


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
