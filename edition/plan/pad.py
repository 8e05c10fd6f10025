"""Padding an edition to its multiple of pages with the issue's own material first.

A printed magazine is folded from sheets of four pages; what the articles leave over is
filled the way an editor would: a longer Inframe (two landscapes that shared a page each
get one), a Populer page, and only then the magazine's house ads, each at most once in the
issue and never two in a row. When the issue has not enough of any of it, a house ad is
used again (not next to itself), and the plan says so (`Plan.notes`).
"""

from __future__ import annotations

import dataclasses
import itertools

from edition.errors import Finding, Location, Severity
from edition.plan.model import (
    AdPage,
    ArticleSection,
    InframePage,
    InframeSection,
    NewsSection,
    Plan,
    PopulerPage,
    Section,
    Slot,
)

# A landscape photo alone on an Inframe page: across the page, bleeding at the top.
LANDSCAPE_HEIGHT = 160  # mm


def pad_plan(plan: Plan, count: int) -> Plan:
    """`plan` with `count` more pages, from the material `layout.fit.pad` names, in order."""
    sections = list(plan.sections)
    extra: list[Section] = []
    left = count
    for kind in plan.layout.fit.pad:
        if left <= 0:
            break
        if kind == "inframe":
            sections, added = _longer_inframe(plan, sections, left)
            left -= added
        elif kind == "populer":
            popular = next((s.popular for s in sections if isinstance(s, NewsSection)), [])
            if popular and not any(isinstance(s, PopulerPage) for s in sections):
                extra.append(PopulerPage(list(popular)))
                left -= 1
        elif kind == "house":
            houses = _house_ads(plan, sections, left)
            extra.extend(houses)
            left -= len(houses)
    notes = list(plan.notes)
    if left > 0:  # not enough of the issue's own: house ads again, spread apart
        again = [AdPage(house=h, role="pad") for h in _cycle(plan, left)]
        notes.append(
            Finding(
                f"{left} page{'s' if left > 1 else ''} padded with a house ad the issue "
                "already shows",
                Location(plan.issue.root / "issue.toml"),
                "add an article, Inframe photos or a Populer list",
                "plan.house-ad-repeated",
                Severity.WARNING,
            )
        )
        extra.extend(again)
    at = len(sections)
    while at > 0 and _is_back_cover(sections[at - 1]):
        at -= 1
    before = sections[at - 1] if at else None
    after = sections[at] if at < len(sections) else None
    ordered = _interleave(extra, before, after)
    return dataclasses.replace(plan, sections=sections[:at] + ordered + sections[at:], notes=notes)


def _is_back_cover(section: Section) -> bool:
    return isinstance(section, AdPage) and section.role in ("inside-back", "back-cover")


def _is_house(section: Section | None) -> bool:
    return isinstance(section, AdPage) and section.house is not None


def _longer_inframe(plan: Plan, sections: list[Section], want: int) -> tuple[list[Section], int]:
    """Inframe pages that hold two landscapes, split into one landscape a page (the last
    ones first), as many as `want`."""
    for i, s in enumerate(sections):
        if not isinstance(s, InframeSection):
            continue
        pages = list(s.pages)
        added = 0
        for k in range(len(pages) - 1, -1, -1):
            if added >= want:
                break
            page = pages[k]
            if len(page.photos) != 2:
                continue
            alone = [InframePage([_landscape(plan, p)], shape="landscape") for p in page.photos]
            pages[k : k + 1] = alone
            added += 1
        if added:
            sections = list(sections)
            sections[i] = dataclasses.replace(s, pages=pages)
        return sections, added
    return sections, 0


def _landscape(plan: Plan, slot: Slot) -> Slot:
    req = dataclasses.replace(slot.request, height_mm=float(LANDSCAPE_HEIGHT))
    return dataclasses.replace(slot, request=req)


def _used_houses(sections: list[Section]) -> set[str]:
    """House ads the issue shows already: as pages, and as bands at articles' feet."""
    pages = {s.house for s in sections if isinstance(s, AdPage) and s.house}
    bands = {
        s.fit.filler.house
        for s in sections
        if isinstance(s, ArticleSection) and s.fit.filler is not None and s.fit.filler.house
    }
    return pages | bands


def _house_ads(plan: Plan, sections: list[Section], want: int) -> list[AdPage]:
    used = _used_houses(sections)
    free = [h for h in plan.layout.ads.house if h not in used]
    return [AdPage(house=h, role="pad") for h in free[:want]]


def _cycle(plan: Plan, n: int) -> list[str]:
    house = plan.layout.ads.house or ["subscribe"]
    return [house[(i + 1) % len(house)] for i in range(n)]


def _interleave(
    extra: list[Section], before: Section | None, after: Section | None
) -> list[Section]:
    """The padding pages in an order with no two house ads next to each other (counting
    the pages just before and after them), the issue's own pages between them; when no
    order can, the first order."""
    for order in itertools.permutations(range(len(extra))):
        run = [before, *(extra[i] for i in order), after]
        if not any(_is_house(a) and _is_house(b) for a, b in itertools.pairwise(run)):
            return [extra[i] for i in order]
    return extra
