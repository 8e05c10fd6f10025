"""The edition laid out as one document: the tagged screen edition, or `--single-pass`.

Tags (the structure tree) span the whole document, so the screen edition cannot be put
together from sections. House-ad padding is laid out on its own and spliced in, so the
edition is still laid out only once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from edition.errors import Finding
from edition.pdf.engine import weasyprint
from edition.pdf.fetch import FetchRules, safe_fetcher
from edition.pdf.grid import render_on_grid
from edition.pdf.worker import findings_from_log, weasyprint_warnings
from edition.plan.model import AdPage, ImageRequest, Plan, Section
from edition.profiles import Profile
from edition.render.html import Renderer


@dataclass(frozen=True)
class OnePass:
    pdf: bytes
    pages: int
    padded: int  # house-ad pages added to reach the profile's multiple
    findings: list[Finding]


def lay_out_one_pass(
    plan: Plan,
    profile: Profile,
    rules: FetchRules,
    photo_urls: Mapping[ImageRequest, str],
    html: str | None = None,
) -> OnePass:
    """Lay out `html` (the whole edition, rendered from `plan` when not given) in one pass."""
    root = plan.issue.root.resolve()
    if html is None:
        html = Renderer(plan, profile, photo_urls).html()
    html_class = weasyprint().HTML
    fetcher = safe_fetcher(rules)
    with weasyprint_warnings() as records:
        document = render_on_grid(
            html_class(string=html, base_url=str(root) + "/", url_fetcher=fetcher)
        )
        pages = list(document.pages)
        padded = (-len(pages)) % profile.pad_to
        if padded:
            pages = _pad(plan, profile, fetcher, photo_urls, root, pages, padded)
        data = document.copy(pages).write_pdf(
            pdf_identifier=f"{plan.issue.id}-{profile.name}".encode(),
            pdf_variant=profile.pdf_variant,
            pdf_tags=profile.tagged,
            uncompressed_pdf=True,
        )
    return OnePass(data, len(pages), padded, [*rules.refused, *findings_from_log(records)])


def _pad(
    plan: Plan,
    profile: Profile,
    fetcher: object,
    photo_urls: Mapping[ImageRequest, str],
    root: Path,
    pages: list,
    count: int,
) -> list:
    """House-ad pages up to a multiple of the profile's page count, before the covers at the end.

    Nothing after the insertion point carries a folio or is referred to by page number.
    """
    trailing = 0
    for s in reversed(plan.sections):
        if isinstance(s, AdPage) and s.role in ("inside-back", "back-cover"):
            trailing += 1
        else:
            break
    pads: list[Section] = [
        s for s in plan.padded(count) if isinstance(s, AdPage) and s.role == "pad"
    ]
    html = Renderer(plan, profile, photo_urls).html(pads)
    extra = (
        weasyprint().HTML(string=html, base_url=str(root) + "/", url_fetcher=fetcher).render().pages
    )
    at = len(pages) - trailing
    return pages[:at] + list(extra) + pages[at:]
