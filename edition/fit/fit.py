"""Copyfit: from each article's measured pages to the next adjustment, on a ladder of steps
in the layout's own terms, chosen by measuring (never by counting words).

For each article, after every layout, in this order:

1. A last page that carries only a tail (less than `fit.stub` of its type area), or an
   article longer than the pages the editor planned for it, is pulled back: the lead
   photo made lower by whole lines of the baseline grid (each line of photo frees a line
   in every column under it), then the pull quote left out, then the in-text photos;
   only as far as the measured tail needs, and only when the ladder can reach it.
2. A last page less than `fit.half` full gets text pushed onto it by a higher lead photo,
   when a few lines do it (never past `fit.lead_max`, nor under 250 ppi).
3. Columns of the last page that end more than `fit.balance_lines` apart: the box among
   them is moved earlier or later in the text, or the lead photo is nudged by a line or
   two (which moves the text by as many lines in every column: what keeps a subhead
   with its lines, or a paragraph's last lines together, then falls elsewhere). On a
   last page that is nearly full the nudge comes first (a box moved there would shift
   the whole page); when neither reaches, the text is set a little tighter, once. A
   box moved that pushes the article onto a page more is tried in its next place first.
4. A cut word on the third line in a row ending in a hyphen is kept whole. (The line
   breaker itself cuts no third line in a row, `edition.pdf.hyphens`: this rung is
   what remains should WeasyPrint's line iterator not be there to wrap.)
5. What is still empty at the foot of a last page less than half full is filled with a
   band across the text width: the Populer list, or one of the magazine's house ads.

Each layout is scored by what preflight would say of it (pages over, a stub page, columns
apart, widows and orphans); when the ladder ends on a layout worse than one it tried, it
goes back to that one. A section whose text changed is laid out again and measured
again; the builder calls this again until nothing changes. Starting always from the
planner's section, the result depends on the sources only: two builds of the same issue
fit it the same way. An article's step depends on its own measurement alone: `follow`
gives it for one article, which the builder lays out as soon as that measurement is in,
and `kept` tells a layout process whether copyfit keeps the layout it makes (the others
are measured only).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from edition.errors import Finding, Location, Severity
from edition.fit.apply import apply_fit, lead_height, step_mm
from edition.fit.state import MM, ArticleState, article_state
from edition.layout.spec import Layout
from edition.pdf.measure import SectionMeasure
from edition.plan.model import (
    AdPage,
    ArticleFit,
    ArticleSection,
    Filler,
    ImageRequest,
    NewsSection,
    Plan,
    Section,
)

PHOTO_PPI = 250  # a photo the fit makes larger must still hold this
SLACK = 2  # lines more than the measured tail, for what keeps lines together
POPULER_LINES = (10, 22)  # the Populer band's height range, in lines


def fit_plan(
    base: Plan, plan: Plan, measured: Sequence[tuple[Section, SectionMeasure]]
) -> Plan | None:
    """The next plan: every article's next step on the ladder, from its measurement.

    `base` is the plan as planned, `plan` the one `measured` was laid out from. Returns
    None when nothing changes."""
    layout = plan.layout
    bases = {s.anchor: s for s in base.articles}
    sections: list[Section] = []
    states: dict[str, ArticleState] = {}
    settled: set[str] = set()
    for section, measure in measured:
        if not isinstance(section, ArticleSection) or not measure.pages:
            sections.append(section)
            continue
        state = article_state(measure, layout)
        states[section.anchor] = state
        following = _following(bases.get(section.anchor, section), section, state, layout)
        if following is None:
            settled.add(section.anchor)
            sections.append(section)
        else:
            sections.append(following)
    sections = _fill(plan, sections, states, settled)
    notes = [*base.notes, *_unfitted(sections, states, settled, layout)]
    if sections == plan.sections and notes == plan.notes:
        return None
    return dataclasses.replace(plan, sections=sections, notes=notes)


def follow(base: Plan, section: Section, measure: SectionMeasure) -> Section | None:
    """The section `fit_plan` puts in the place of `section` once it is measured as
    `measure`, or None when it keeps it (settled, or not an article). An article's next
    step depends on its own measurement only, so the builder lays it out as soon as that
    is in, while the round's other layouts go on."""
    if not isinstance(section, ArticleSection) or not measure.pages:
        return None
    planned = next((s for s in base.articles if s.anchor == section.anchor), section)
    return _following(planned, section, article_state(measure, base.layout), base.layout)


@dataclass(frozen=True)
class Kept:
    """Whether copyfit keeps an article as it is laid out (its measurement gives no next
    step): told in the layout process, which writes the PDF of such a layout only. A try
    copyfit goes past is measured, and its PDF never written."""

    planned: ArticleSection
    section: ArticleSection
    layout: Layout

    def __call__(self, measure: SectionMeasure) -> bool:
        if not measure.pages:
            return True
        state = article_state(measure, self.layout)
        return _following(self.planned, self.section, state, self.layout) is None


def kept(base: Plan, section: Section) -> Kept | None:
    """For an article of a round of copyfit: whether its layout is the one it keeps (None
    for the other sections, which are always kept)."""
    if not isinstance(section, ArticleSection):
        return None
    planned = next((s for s in base.articles if s.anchor == section.anchor), section)
    return Kept(planned, section, base.layout)


def _following(
    planned: ArticleSection, section: ArticleSection, state: ArticleState, layout: Layout
) -> ArticleSection | None:
    step = next_fit(planned, section, state, layout)
    return None if step is None else apply_fit(planned, step, layout)


def _lead_range(base: ArticleSection, layout: Layout) -> tuple[int, int]:
    """The steps the lead photo may take: within the layout's limits, and never to a size
    where the photo holds less than 250 ppi (or less than it did as planned)."""
    if base.lead is None:
        return 0, 0
    step = step_mm(layout)
    height = base.lead.request.height_mm
    low = math.ceil((layout.fit.lead_min - height) / step - 1e-9)
    high = math.floor((layout.fit.lead_max - height) / step + 1e-9)
    floor = min(PHOTO_PPI, base.lead.effective_dpi or PHOTO_PPI)
    while high > 0 and _dpi(base, high, layout) < floor:
        high -= 1
    return min(0, low), max(0, high)


def _dpi(base: ArticleSection, steps: int, layout: Layout) -> float:
    assert base.lead is not None
    req: ImageRequest = dataclasses.replace(
        base.lead.request, height_mm=lead_height(base, steps, layout)
    )
    sw, sh = base.lead.source_px
    return req.effective_dpi(sw, sh) if sw and sh else float("inf")


def next_fit(
    base: ArticleSection, section: ArticleSection, state: ArticleState, layout: Layout
) -> ArticleFit | None:
    """The next step of the ladder for an article laid out with `section.fit`; None when its
    text stays as it is (a band may still fill its last page). A step may change several
    rungs at once, so that an article is laid out as few times as it can be."""
    rules = layout.fit
    fit = dataclasses.replace(section.fit, filler=None, best=None)
    if base.half_ad is not None and state.pages == 1 and section.half_ad_page != 1:
        return None  # the ad moves to the only page (see _fill): its text is unchanged
    score = _score(base, state, layout)
    best = section.fit.best
    if best is None or score < best[0]:
        best = (score, fit)
    if fit.tries >= rules.passes:
        return _back_to(best, score, rules.passes)
    step = _ladder(base, fit, state, layout)
    if step is None:
        return _back_to(best, score, rules.passes)
    return _with(step, tries=fit.tries + 1, best=best)


def _score(base: ArticleSection, state: ArticleState, layout: Layout) -> float:
    """How far a layout is from what preflight passes, in lines (lower is better): pages
    over, a stub page, columns apart, widows and orphans, runs of cut lines."""
    rules = layout.fit
    planned = base.article.meta.pages
    over = max(0, state.pages - planned) if planned else 0
    score = 1000.0 * over + (1000.0 if state.stub(rules.stub) else 0.0)
    score += sum(10 * max(0.0, short - rules.balance_lines) for _, short in state.unbalanced)
    score += 50.0 * (state.widows + state.orphans) + len(state.runs)
    return score


def _back_to(best: tuple[float, ArticleFit], score: float, passes: int) -> ArticleFit | None:
    """None when the layout at hand is the best tried; else the best one again, for good."""
    if best[0] >= score:
        return None
    return _with(best[1], tries=passes, best=best)


def _ladder(
    base: ArticleSection, fit: ArticleFit, state: ArticleState, layout: Layout
) -> ArticleFit | None:
    """The next rung for the state at hand (see the module's docstring), or None."""
    rules = layout.fit
    step = _move_back(base, fit, state, layout)
    if step is None:
        step = _pages_step(base, fit, state, layout)
    if step is None and state.unbalanced:
        step = _balance(base, fit, state, layout)
    if step is None and (state.widows or state.orphans):
        # A paragraph's line alone at a column's head or foot: the text moved by a line in
        # every column (the lead photo nudged), or set a little tighter once.
        step = _nudge(base, fit, layout)
        if step is None and rules.tracking_min and not fit.tracking:
            step = _with(fit, tracking=rules.tracking_min)
    # Words cut three lines in a row are kept whole, at the first layout that changes the
    # text anyway, or in a layout of their own once (new runs may come of it: they stay).
    fresh = tuple(w for w in state.runs if w not in fit.unbreak)
    alone = rules.runs == "always" and not fit.unbreak
    if fresh and rules.runs != "never" and (step is not None or alone):
        step = _with(step or fit, unbreak=fit.unbreak + fresh)
    return step


def _pages_step(
    base: ArticleSection, fit: ArticleFit, state: ArticleState, layout: Layout
) -> ArticleFit | None:
    """A tail pulled back onto the pages before it, or text pushed onto a last page less
    than half full, as far as the ladder's rungs reach; None when they do not."""
    rules = layout.fit
    cols = state.columns
    low, high = _lead_range(base, layout)
    planned = base.article.meta.pages
    over = (state.pages - planned) if planned else int(state.stub(rules.stub))
    if over == 1:
        need = state.tail + SLACK + (SLACK if state.runs else 0)
        lead = max(0, fit.lead_steps - low) * cols
        quote = state.blocks.get("pullquote", 0.0) + 2 if fit.pullquote else 0.0
        figures = state.blocks.get("inline-photo", 0.0) + 1.5 if fit.figures else 0.0
        if lead >= need:
            return _with(fit, lead_steps=fit.lead_steps - math.ceil(need / cols))
        if lead + quote >= need:
            rest = max(0.0, need - quote)
            return _with(fit, pullquote=False, lead_steps=fit.lead_steps - math.ceil(rest / cols))
        if lead + quote + figures >= need:
            rest = max(0.0, need - quote - figures)
            return _with(
                fit,
                pullquote=False,
                figures=False,
                lead_steps=fit.lead_steps - math.ceil(rest / cols),
            )
        # A few lines over: the text a little tighter (with the lead photo as low as it
        # goes), once; when that does not do, a band fills the page.
        if state.tail <= rules.tracking_lines and rules.tracking_min and not fit.tracking:
            return _with(fit, tracking=rules.tracking_min, lead_steps=min(fit.lead_steps, low))
        return None
    if over <= 0 and state.used < rules.half and not (planned and state.pages < planned):
        lines = (layout.text_height * MM) / state.line
        deficit = math.ceil((rules.half - state.used) * lines) + 1
        if fit.lead_steps >= 0 and fit.lead_steps + deficit <= high:
            return _with(fit, lead_steps=fit.lead_steps + deficit)
    return None


_MOVES = (-2, 2, -4, 4)
_NUDGES = (-1, 1, -2, 2)
FULL = 0.75  # a last page this full is balanced by nudging first ...
NUDGE_REACH = 6  # ... when its columns end at most this many lines apart (a box moves else)


def _balance(
    base: ArticleSection, fit: ArticleFit, state: ArticleState, layout: Layout
) -> ArticleFit | None:
    """The next try at columns of the last page that end apart: a box moved, the lead
    photo nudged, or (when neither is left) the text set tighter."""
    worst = max(short for _, short in state.unbalanced)
    if state.used >= FULL and worst <= NUDGE_REACH:
        step = _nudge(base, fit, layout) or _next_move(fit, state)
    else:
        step = _next_move(fit, state) or _nudge(base, fit, layout)
    rules = layout.fit
    if step is None and rules.tracking_min and not fit.tracking:
        step = _with(fit, tracking=rules.tracking_min)
    return step


def _nudge(base: ArticleSection, fit: ArticleFit, layout: Layout) -> ArticleFit | None:
    """The lead photo a step or two lower or higher than copyfit had it (within its range:
    never under 250 ppi, never past the layout's limits), each nudge tried once."""
    low, high = _lead_range(base, layout)
    later = _NUDGES[_NUDGES.index(fit.nudge) + 1 :] if fit.nudge in _NUDGES else _NUDGES
    for n in later:
        steps = fit.lead_steps - fit.nudge + n
        if low <= steps <= high:
            return _with(fit, lead_steps=steps, nudge=n)
    return None


def _move_back(
    base: ArticleSection, fit: ArticleFit, state: ArticleState, layout: Layout
) -> ArticleFit | None:
    """A box moved to balance a last page, that pushed the article onto a page more than
    planned (or left a stub): the box's next place is tried instead (the move is undone
    after the last), before the tail is pulled back by shrinking what the article holds."""
    planned = base.article.meta.pages
    over = (state.pages > planned) if planned else state.stub(layout.fit.stub)
    if not fit.box_moves or not over:
        return None
    kind, tried = fit.box_moves[-1]
    later = _MOVES[_MOVES.index(tried) + 1 :] if tried in _MOVES else ()
    moves = dict(fit.box_moves)
    if later:
        moves[kind] = later[0]
    else:
        del moves[kind]
    return _with(fit, box_moves=tuple(sorted(moves.items())))


def _next_move(fit: ArticleFit, state: ArticleState) -> ArticleFit | None:
    """A box that unbalances the last page moved: two paragraphs earlier, then later, then
    four; the pull quote, which can go, goes when moving it does not help."""
    kinds = [k for k in state.last_boxes if k in ("sidebar", "pullquote", "baca-juga",
                                                   "quarter-ad", "inline-photo")]  # fmt: skip
    if not kinds:
        return None
    kind = {"inline-photo": "figure"}.get(kinds[0], kinds[0])
    moves = dict(fit.box_moves)
    tried = moves.get(kind, 0)
    later = _MOVES[_MOVES.index(tried) + 1 :] if tried in _MOVES else _MOVES
    if tried == 0:
        later = _MOVES
    if later:
        moves[kind] = later[0]
        return _with(fit, box_moves=tuple(sorted(moves.items())))
    if kind == "pullquote" and fit.pullquote:
        return _with(fit, pullquote=False)
    return None


def _with(fit: ArticleFit, **changes: object) -> ArticleFit:
    return dataclasses.replace(fit, **changes)  # type: ignore[arg-type]


# -- filling last pages


def _fill(
    plan: Plan,
    sections: list[Section],
    states: dict[str, ArticleState],
    settled: set[str],
) -> list[Section]:
    """A band at the foot of every settled article whose last page is less than half full,
    in plan order: the Populer list once (when its height suits it), else house ads in turn.
    A one-page article with a half-page ad carries the ad on its page."""
    layout = plan.layout
    rules = layout.fit
    popular = next((s.popular for s in sections if isinstance(s, NewsSection)), [])
    populer_used = False
    house_turn = 0
    # House ads the issue shows as pages already (the inside front cover, an unbooked
    # page) come last among the bands: the same offer twice in one issue is not news.
    pages = {s.house for s in sections if isinstance(s, AdPage) and s.house}
    bands = [h for h in rules.house_bands if h not in pages] + [
        h for h in rules.house_bands if h in pages
    ]
    out: list[Section] = []
    for s in sections:
        if not isinstance(s, ArticleSection) or s.anchor not in settled:
            out.append(s)
            continue
        state = states[s.anchor]
        if s.half_ad is not None and state.pages == 1 and s.half_ad_page != 1:
            out.append(dataclasses.replace(s, half_ad_page=1))
            continue
        filler = None
        lines = state.free - rules.filler_gap_lines
        if state.used < rules.half and lines >= rules.filler_min_lines:
            low, high = POPULER_LINES
            if "populer" in rules.fillers and popular and not populer_used and low <= lines <= high:
                filler = Filler("populer", lines, popular=tuple(popular))
                populer_used = True
            elif "house" in rules.fillers and rules.house_bands:
                house = bands[house_turn % len(bands)]
                house_turn += 1
                filler = Filler("house", lines, house=house)
        if filler != s.fit.filler:
            s = dataclasses.replace(s, fit=dataclasses.replace(s.fit, filler=filler))
        out.append(s)
    return out


def _unfitted(
    sections: list[Section], states: dict[str, ArticleState], settled: set[str], layout: Layout
) -> list[Finding]:
    """Articles the ladder could not bring to their pages: said at the article's file."""
    out = []
    for s in sections:
        if not isinstance(s, ArticleSection) or s.anchor not in settled:
            continue
        state = states[s.anchor]
        planned = s.article.meta.pages
        over = (state.pages - planned) if planned else int(state.stub(layout.fit.stub))
        if over <= 0:
            continue
        lines = state.tail if over == 1 else state.tail + (over - 1) * state.columns * 60
        if lines <= 0:
            continue  # a last page of boxes or a band only: nothing of the text to cut
        pages = state.pages - over
        words = round(lines * state.words_per_line / 10) * 10
        out.append(
            Finding(
                f"{lines} lines over its {pages} page{'s' if pages != 1 else ''}",
                Location(Path(s.article.path)),
                f"cut about {words} words, or give it {state.pages} pages",
                "fit.overflow",
                Severity.WARNING,
                obj=s.article.slug,
            )
        )
    return out


class Memory:
    """Copyfit's record of an article (its text's part of the fit, as plain data), and
    the article fitted again from it: what the section build guesses an edited article
    will need, to lay it out at the same time as the article as planned."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout

    def record(self, section: Section) -> dict[str, object] | None:
        if not isinstance(section, ArticleSection) or not section.fit.changed:
            return None
        fit = section.fit
        return {
            "lead_steps": fit.lead_steps,
            "pullquote": fit.pullquote,
            "figures": fit.figures,
            "box_moves": [list(m) for m in fit.box_moves],
            "unbreak": list(fit.unbreak),
            "tracking": fit.tracking,
            "nudge": fit.nudge,
            "tries": fit.tries,
        }

    def again(self, section: Section, record: dict[str, object]) -> Section | None:
        if not isinstance(section, ArticleSection):
            return None
        try:
            fit = ArticleFit(
                lead_steps=int(record["lead_steps"]),  # type: ignore[call-overload]
                pullquote=bool(record["pullquote"]),
                figures=bool(record["figures"]),
                box_moves=tuple((str(k), int(v)) for k, v in record["box_moves"]),  # type: ignore[attr-defined]
                unbreak=tuple(str(w) for w in record["unbreak"]),  # type: ignore[attr-defined]
                tracking=int(record.get("tracking", 0)),  # type: ignore[call-overload]
                nudge=int(record.get("nudge", 0)),  # type: ignore[call-overload]
                tries=int(record["tries"]),  # type: ignore[call-overload]
            )
        except (KeyError, TypeError, ValueError):
            return None
        if section.lead is None and fit.lead_steps:
            return None
        return apply_fit(section, fit, self.layout)
