"""An article section with a fit applied: the planner's section, changed only in the
layout's own terms (a new section, the planner's is never touched)."""

from __future__ import annotations

import dataclasses
import re

from markupsafe import Markup

from edition.issue.markdown import Block
from edition.layout.spec import Layout
from edition.plan.model import ArticleFit, ArticleSection, Insert

MM = 72 / 25.4
MOVABLE = ("baca-juga", "pullquote", "sidebar", "quarter-ad", "figure")


def step_mm(layout: Layout) -> float:
    """One step of a photo's height: a line of the baseline grid, in mm."""
    return layout.page.baseline / MM


def lead_height(base: ArticleSection, steps: int, layout: Layout) -> float:
    assert base.lead is not None
    return round(base.lead.request.height_mm + steps * step_mm(layout), 2)


def apply_fit(base: ArticleSection, fit: ArticleFit, layout: Layout) -> ArticleSection:
    """`base` (as planned) with `fit`."""
    lead = base.lead
    if lead is not None and fit.lead_steps:
        request = dataclasses.replace(
            lead.request, height_mm=lead_height(base, fit.lead_steps, layout)
        )
        lead = dataclasses.replace(lead, request=request)
    items = list(base.items)
    if not fit.pullquote:
        items = [i for i in items if not (isinstance(i, Insert) and i.kind == "pullquote")]
    if not fit.figures:
        items = [i for i in items if not (isinstance(i, Insert) and i.kind == "figure")]
    for kind, by in fit.box_moves:
        items = _move(items, kind, by)
    if fit.unbreak:
        items = [_unbroken(i, fit.unbreak) if isinstance(i, Block) else i for i in items]
    return dataclasses.replace(base, lead=lead, items=items, fit=fit)


def _move(items: list, kind: str, by: int) -> list:
    """The first insert of `kind` moved `by` paragraphs (later when positive), never
    before the first paragraph nor next to another insert."""
    at = next((k for k, i in enumerate(items) if isinstance(i, Insert) and i.kind == kind), None)
    if at is None or not by:
        return items
    box = items[at]
    rest = items[:at] + items[at + 1 :]
    # Places after a paragraph, in order: index in `rest` to insert at.
    places = [
        k + 1
        for k, i in enumerate(rest)
        if isinstance(i, Block) and i.kind == "p" and not isinstance(_at(rest, k + 1), Insert)
    ]
    if not places:
        return items
    here = max((n for n, p in enumerate(places) if p <= at), default=0)
    target = places[max(0, min(len(places) - 1, here + by))]
    return [*rest[:target], box, *rest[target:]]


def _at(items: list, k: int) -> object:
    return items[k] if 0 <= k < len(items) else None


def _unbroken(block: Block, words: tuple[str, ...]) -> Block:
    """`block` with each of `words` kept whole (no cut inside it)."""
    text = str(block.html)
    changed = text
    for word in words:
        changed = _sub_text(changed, word)
    if changed == text:
        return block
    return Block(Markup(changed), block.kind, block.figure, block.words)


def _soft(word: str) -> str:
    """A pattern of `word` that also matches it with soft hyphens in it."""
    return "\u00ad?".join(re.escape(c) for c in word)


def _sub_text(markup: str, word: str) -> str:
    """Wrap every occurrence of `word` in the text (not in tags) of `markup`."""
    pattern = re.compile(r"(?<![\w\u00ad])(" + _soft(word) + r")(?![\w\u00ad])", re.IGNORECASE)
    parts = re.split(r"(<[^>]*>)", markup)
    out = []
    for part in parts:
        if part.startswith("<"):
            out.append(part)
        else:
            out.append(
                pattern.sub(
                    lambda m: f'<span class="nobreak">{m.group(1).replace(chr(0xAD), "")}</span>',
                    part,
                )
            )
    return "".join(out)
