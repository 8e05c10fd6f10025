"""Preflight of the issue as planned: photo resolution at the placed size, captions and
credits, ad artwork against its slot. Each finding names the photo's placement ("lead photo
of 'slug'", "Inframe page 2") and, once the edition is built, its page."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from edition.errors import Finding, Location, Severity
from edition.plan.model import (
    AdPage,
    ArticleSection,
    ContentsSection,
    CoverSection,
    ImageRequest,
    InframeSection,
    Insert,
    NewsSection,
    Plan,
    Slot,
)
from edition.profiles import Profile

ASPECT_TOLERANCE = 0.02
ERROR, WARNING = Severity.ERROR, Severity.WARNING
# The issue's ISSN printed on the cover when issue.toml gives none: a placeholder that
# must never go to the printer.
PLACEHOLDER_ISSN = "ISSN 0000-0000"


@dataclass(frozen=True)
class Placement:
    """A photo or an ad's artwork where the flatplan put it, in words."""

    slot: Slot
    what: str  # "lead photo of 'slug'", "Inframe page 2", "half-page ad in 'slug'"
    ad: str | None = None  # the ad's size, for ad artwork: "full-page", "half-page", ...
    caption_needed: bool = False  # its caption is also the alt text of the PDF


def placements(plan: Plan) -> list[Placement]:
    """Every photo and ad artwork of the plan, in page order, with where it is."""
    out: list[Placement] = []
    for section in plan.sections:
        match section:
            case CoverSection(photo=photo) if photo:
                out.append(Placement(photo, "cover photo"))
            case AdPage(art=art, ad=ad) if art and ad:
                where = {
                    "inside-front": "on the inside front cover",
                    "inside-back": "on the inside back cover",
                    "back-cover": "on the back cover",
                }.get(section.role)
                if where is None:
                    where = f"after '{ad.spec.after}'" if ad.spec.after else "on a page"
                out.append(Placement(art, f"full-page ad {where}", "full-page"))
            case ContentsSection(thumbs=thumbs):
                out.extend(
                    Placement(slot, f"contents thumbnail of '{anchor.removeprefix('art-')}'")
                    for slot, anchor in thumbs
                )
            case NewsSection(items=items):
                out.extend(
                    Placement(i.photo, f"photo of the news item '{i.spec.title}'")
                    for i in items
                    if i.photo
                )
            case ArticleSection():
                slug = section.article.slug
                if section.lead:
                    out.append(Placement(section.lead, f"lead photo of '{slug}'", None, True))
                for item in section.items:
                    if isinstance(item, Insert) and item.slot is not None:
                        if item.kind == "quarter-ad":
                            out.append(
                                Placement(item.slot, f"quarter-page ad in '{slug}'", "quarter-page")
                            )
                        else:
                            out.append(Placement(item.slot, f"photo in '{slug}'"))
                if section.half_art:
                    out.append(
                        Placement(section.half_art, f"half-page ad in '{slug}'", "half-page")
                    )
            case InframeSection(pages=pages):
                out.extend(
                    Placement(photo, f"Inframe page {n}", None, True)
                    for n, page in enumerate(pages, 1)
                    for photo in page.photos
                )
    return out


def check_sources(
    plan: Plan, profile: Profile, pages: Mapping[ImageRequest, Sequence[int]] | None = None
) -> list[Finding]:
    """The checks of the sources for `profile`; `pages` are the pages of the built PDF each
    prepared photo was found on (see `check.placed.photo_pages`), when there is one."""
    out: list[Finding] = []
    seen: set[tuple[ImageRequest, str]] = set()
    for place in placements(plan):
        key = (place.slot.request, place.what)
        if key in seen:
            continue
        seen.add(key)
        on = list((pages or {}).get(place.slot.request, ()))
        out.extend(_resolution(place, profile, on))
        out.extend(_captions(place, on))
        out.extend(_aspect(place, on))
    out.extend(_issn(plan, profile))
    return out


def _finding(
    place: Placement, on: list[int], message: str, hint: str, *, code: str, severity: Severity
) -> Finding:
    """A finding about a placed photo: the photo's file, its first page, and the other
    pages it is on, if any, in the message."""
    if len(on) > 1:
        message += f" (also on page{'s' * (len(on) > 2)} {', '.join(map(str, on[1:]))})"
    source = place.slot.request.source
    return Finding(
        message, Location(source), hint, code, severity, page=on[0] if on else None, obj=source.name
    )


def _resolution(place: Placement, profile: Profile, on: list[int]) -> list[Finding]:
    req = place.slot.request
    dpi = place.slot.effective_dpi
    if round(dpi) >= profile.dpi:  # anything short is reported: the printer sees it too
        return []
    severity = ERROR if dpi < profile.dpi / 2 else WARNING
    return [
        _finding(
            place,
            on,
            f"{place.what} has {dpi:.0f} dpi at its placed size of {req.width_mm:.0f} x "
            f"{req.height_mm:.0f} mm; the {profile.name} edition needs {profile.dpi}",
            "use a larger original, or place it smaller",
            code="photo.low-resolution",
            severity=severity,
        )
    ]


def _captions(place: Placement, on: list[int]) -> list[Finding]:
    if not place.caption_needed:
        return []
    out = []
    if not place.slot.caption:
        out.append(
            _finding(
                place,
                on,
                f"{place.what} has no caption, so no alt text either",
                "add a caption",
                code="photo.no-caption",
                severity=WARNING,
            )
        )
    if not place.slot.credit:
        out.append(
            _finding(
                place,
                on,
                f"{place.what} has no credit",
                "add the photographer or agency",
                code="photo.no-credit",
                severity=WARNING,
            )
        )
    return out


def _aspect(place: Placement, on: list[int]) -> list[Finding]:
    if place.ad is None:
        return []
    slot = place.slot
    sw, sh = slot.source_px
    if not (sw and sh):
        return []
    want = slot.request.width_mm / slot.request.height_mm
    have = sw / sh
    diff = abs(have - want) / want
    if diff <= ASPECT_TOLERANCE:
        return []
    return [
        _finding(
            place,
            on,
            f"{place.ad} ad artwork is {sw} x {sh} px (shape {have:.3f}); its slot "
            f"({place.what}) is {slot.request.width_mm:.0f} x {slot.request.height_mm:.0f} mm "
            f"(shape {want:.3f}), {diff:.0%} off, so it would be cropped or letterboxed",
            "ask the advertiser for artwork of the slot's size",
            code="ad.aspect",
            severity=ERROR,
        )
    ]


def _issn(plan: Plan, profile: Profile) -> Iterator[Finding]:
    """The cover's ISSN and barcode: a placeholder must not go to the printer."""
    if not profile.marks:  # the printer's edition: crop marks, bleed
        return
    issn = (plan.issue.spec.issn or "").strip()
    if issn and issn != PLACEHOLDER_ISSN:
        return
    toml = plan.issue.root / "issue.toml"
    said = "gives no ISSN" if not issn else f"gives the placeholder '{PLACEHOLDER_ISSN}'"
    yield Finding(
        f"issue.toml {said}: the cover's barcode box would print '{PLACEHOLDER_ISSN}'",
        Location(toml, _key_line(toml, "issn")),
        'add the magazine\'s ISSN to issue.toml, e.g. issn = "ISSN 1234-5679"',
        "cover.placeholder-issn",
        ERROR,
        page=1,
    )


def _key_line(path: Path, key: str) -> int | None:
    """The line of a top-level `key = ...` in a TOML file, if it is there."""
    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    for number, line in enumerate(lines, 1):
        if line.startswith("["):
            return None  # past the top-level keys
        name, eq, _ = line.partition("=")
        if eq and name.strip() == key:
            return number
    return None
