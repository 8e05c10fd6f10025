"""The edition laid out as one document: the tagged screen edition, or `--single-pass`.

Tags (the structure tree) span the whole document, so the screen edition cannot be put
together from sections. House-ad padding is laid out on its own and spliced in, so the
edition is still laid out only once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from edition.errors import Finding
from edition.pdf.engine import font_config, weasyprint
from edition.pdf.fetch import FetchRules, refusals_end_in_a_finding, safe_fetcher
from edition.pdf.grid import render_on_grid
from edition.pdf.styles import lift_stylesheets
from edition.pdf.worker import findings_from_log, weasyprint_warnings
from edition.plan.model import ImageRequest, Plan
from edition.plan.pad import pad_plan
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
    """Lay out `html` (the whole edition, rendered from `plan` when not given) in one pass.

    The section build pads the plan to the profile's multiple of pages before; when the
    one pass still comes out short, the padded plan is laid out again (its photos must be
    among `photo_urls`)."""
    root = plan.issue.root.resolve()
    if html is None:
        html = Renderer(plan, profile, photo_urls).html()
    html_class = weasyprint().HTML
    fetcher = safe_fetcher(rules)
    fonts = font_config(tuple(str(r) for r in rules.roots))
    with weasyprint_warnings() as records, refusals_end_in_a_finding():
        document = _lay_out(
            html_class(string=html, base_url=str(root) + "/", url_fetcher=fetcher), fetcher, fonts
        )
        padded = (-len(document.pages)) % profile.pad_to
        if padded:
            more = pad_plan(plan, padded)
            if all(s.request in photo_urls for s in more.slots):
                html = Renderer(more, profile, photo_urls).html()
                document = _lay_out(
                    html_class(string=html, base_url=str(root) + "/", url_fetcher=fetcher),
                    fetcher,
                    fonts,
                )
        pages = list(document.pages)
        data = document.copy(pages).write_pdf(
            pdf_identifier=f"{plan.issue.id}-{profile.name}".encode(),
            pdf_variant=profile.pdf_variant,
            pdf_tags=profile.tagged,
            uncompressed_pdf=True,
        )
    return OnePass(data, len(pages), padded, [*rules.refused, *findings_from_log(records)])


def _lay_out(html: Any, fetcher: Any, fonts: Any) -> Any:
    lifted = lift_stylesheets(html, fetcher, fonts)
    return render_on_grid(html, font_config=fonts, **lifted.options())
