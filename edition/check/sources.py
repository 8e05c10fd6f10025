"""Preflight of the issue as planned: photo resolution at the placed size, captions and
credits, ad artwork against its slot."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from edition.errors import Finding, Location, Severity
from edition.plan.model import AdPage, ArticleSection, InframeSection, Plan, Slot
from edition.profiles import Profile

ASPECT_TOLERANCE = 0.02
ERROR, WARNING = Severity.ERROR, Severity.WARNING


def check_sources(plan: Plan, profile: Profile) -> list[Finding]:
    out: list[Finding] = []
    seen: set[tuple[Path, float, float]] = set()
    for slot in plan.slots:
        req = slot.request
        key = (req.source, req.width_mm, req.height_mm)
        if key in seen:
            continue
        seen.add(key)
        out.extend(_resolution(slot, profile))
    out.extend(_captions(plan))
    out.extend(_ads(plan))
    return out


def _resolution(slot: Slot, profile: Profile) -> list[Finding]:
    req = slot.request
    dpi = slot.effective_dpi
    if round(dpi) >= profile.dpi:  # anything short is reported: the printer sees it too
        return []
    severity = ERROR if dpi < profile.dpi / 2 else WARNING
    return [
        Finding(
            f"photo has {dpi:.0f} dpi at its placed size of {req.width_mm:.0f} x "
            f"{req.height_mm:.0f} mm; the {profile.name} edition needs {profile.dpi}",
            Location(req.source),
            "use a larger original, or place it smaller",
            "photo.low-resolution",
            severity,
            obj=req.source.name,
        )
    ]


def _captions(plan: Plan) -> list[Finding]:
    out = []
    for section in plan.sections:
        slots: list[tuple[Slot, str]] = []
        if isinstance(section, ArticleSection) and section.lead:
            slots.append((section.lead, f"lead photo of '{section.article.slug}'"))
        if isinstance(section, InframeSection):
            slots += [(p, "Inframe photo") for page in section.pages for p in page.photos]
        for slot, what in slots:
            name = slot.request.source.name
            if not slot.caption:
                out.append(
                    Finding(
                        f"{what} has no caption, so no alt text either",
                        Location(slot.request.source),
                        "add a caption",
                        "photo.no-caption",
                        WARNING,
                        obj=name,
                    )
                )
            if not slot.credit:
                out.append(
                    Finding(
                        f"{what} has no credit",
                        Location(slot.request.source),
                        "add the photographer or agency",
                        "photo.no-credit",
                        WARNING,
                        obj=name,
                    )
                )
    return out


def _ads(plan: Plan) -> list[Finding]:
    out = []
    for slot, size in _ad_slots(plan):
        sw, sh = slot.source_px
        want = slot.request.width_mm / slot.request.height_mm
        have = sw / sh
        diff = abs(have - want) / want
        if diff > ASPECT_TOLERANCE:
            out.append(
                Finding(
                    f"{size} ad artwork is {sw} x {sh} px (shape {have:.3f}); its slot is "
                    f"{slot.request.width_mm:.0f} x {slot.request.height_mm:.0f} mm (shape "
                    f"{want:.3f}), {diff:.0%} off, so it would be cropped or letterboxed",
                    Location(slot.request.source),
                    "ask the advertiser for artwork of the slot's size",
                    "ad.aspect",
                    ERROR,
                    obj=slot.request.source.name,
                )
            )
    return out


def _ad_slots(plan: Plan) -> Iterator[tuple[Slot, str]]:
    for s in plan.sections:
        if isinstance(s, AdPage) and s.art:
            yield s.art, "full-page"
        if isinstance(s, ArticleSection):
            if s.half_art:
                yield s.half_art, "half-page"
            for item in s.items:
                if getattr(item, "kind", None) == "quarter-ad" and item.slot:  # type: ignore[union-attr]
                    yield item.slot, "quarter-page"  # type: ignore[union-attr]
