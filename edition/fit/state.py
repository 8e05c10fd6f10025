"""What a measured article's pages say, in lines of the baseline grid: how full its last
page is, whether its columns are balanced, where words are cut three lines in a row."""

from __future__ import annotations

import math
import re
from collections import OrderedDict
from dataclasses import dataclass, field

from edition.layout.spec import Layout
from edition.pdf.measure import Line, PageMeasure, SectionMeasure

MM = 72 / 25.4
CUT = ("\u2010", "-")  # a line that ends in a cut word (soft hyphen) or at a hyphen


@dataclass(frozen=True)
class ArticleState:
    """An article as laid out."""

    pages: int
    line: float  # the baseline grid, pt
    columns: int  # text columns of the layout
    used: float  # share of the last page's type area that holds something (0-1)
    free: int  # whole lines between the foot of the text and the foot of the type area
    tail: int  # lines of text and boxes on the last page (summed over its columns)
    flow_bottom: float  # where the last page's columns end, pt from the top
    unbalanced: tuple[tuple[int, float], ...] = ()  # (column, lines short of the next one)
    last_boxes: tuple[str, ...] = ()  # boxes and photos on the last page ("sidebar", ...)
    widows: int = 0
    orphans: int = 0
    runs: tuple[str, ...] = ()  # a word cut in each run of more than two cut lines
    words_per_line: float = 5.0
    blocks: dict[str, float] = field(default_factory=dict)  # kind -> lines it takes

    def stub(self, share: float) -> bool:
        return self.pages > 1 and self.used < share


_KNOWN: OrderedDict[tuple[int, int], tuple[SectionMeasure, Layout, ArticleState]]
_KNOWN = OrderedDict()  # copyfit reads the same measurements round after round


def article_state(measure: SectionMeasure, layout: Layout) -> ArticleState:
    """The state of an article from its measurement (worked out once per measurement)."""
    key = (id(measure), id(layout))
    known = _KNOWN.get(key)
    if known is not None and known[0] is measure and known[1] is layout:
        return known[2]
    state = _article_state(measure, layout)
    _KNOWN[key] = (measure, layout, state)  # (held: their ids are not given again)
    while len(_KNOWN) > 512:
        _KNOWN.popitem(last=False)
    return state


def _article_state(measure: SectionMeasure, layout: Layout) -> ArticleState:
    line = float(layout.page.baseline)
    cols = layout.page.columns
    pages = measure.pages
    last = pages[-1]
    full = layout.text_height * MM
    top, bottom = last.area[1], last.area[3]
    # What is below the page's own type area (a half-page ad in a deeper margin) is used.
    below = max(0.0, top + full - bottom)
    used = min(1.0, max(0.0, (last.bottom - top + below) / full))
    flow_bottom = last.flow_bottom if last.flow_bottom is not None else last.bottom
    free = max(0, math.floor((bottom - max(flow_bottom, last.bottom) + 0.5) / line))
    tail = sum(max(0, round((c.bottom - c.top) / line)) for c in last.columns)
    unbalanced = []
    cols_on = list(last.columns)
    for i in range(len(cols_on) - 1):
        short = (cols_on[i + 1].bottom - cols_on[i].bottom) / line
        if short > layout.fit.balance_lines + 0.25:
            unbalanced.append((i, short))
    blocks: dict[str, float] = {}
    for page in pages:
        for b in page.blocks:
            if b.kind != "image":
                blocks[b.name] = blocks.get(b.name, 0.0) + (b.bottom - b.top) / line
    widows, orphans = _widows_orphans(pages)
    body = [ln for p in pages for ln in p.lines if ln.kind == "p"]
    words = sum(len(ln.text.split()) for ln in body)
    return ArticleState(
        pages=len(pages),
        line=line,
        columns=cols,
        used=used,
        free=free,
        tail=tail,
        flow_bottom=flow_bottom,
        unbalanced=tuple(unbalanced),
        last_boxes=tuple(b.name for b in last.blocks if b.kind != "image"),
        widows=widows,
        orphans=orphans,
        runs=_runs(pages),
        words_per_line=words / len(body) if body else 5.0,
        blocks=blocks,
    )


def _column_lines(page: PageMeasure) -> list[list[Line]]:
    out: list[list[Line]] = [[] for _ in page.columns]
    for ln in page.lines:
        if 0 <= ln.column < len(out):
            out[ln.column].append(ln)
    for col in out:
        col.sort(key=lambda ln: ln.baseline)
    return out


def _widows_orphans(pages: tuple[PageMeasure, ...]) -> tuple[int, int]:
    widows = orphans = 0
    for page in pages:
        for col in _column_lines(page):
            body = [ln for ln in col if ln.kind == "p"]
            if not body:
                continue
            if body[0].last and not body[0].first:
                widows += 1
            if body[-1].first and not body[-1].last:
                orphans += 1
    return widows, orphans


_WORD_END = re.compile(r"(\w+)[\u2010-]$")
_WORD_START = re.compile(r"^(\w+)")


def _runs(pages: tuple[PageMeasure, ...]) -> tuple[str, ...]:
    """For every run of more than two lines in a row ending in a cut, the word cut at its
    third line (whole: the part before the cut and the part after it)."""
    words: list[str] = []
    for page in pages:
        for col in _column_lines(page):
            run = 0
            for i, ln in enumerate(col):
                if ln.kind == "p" and ln.text.endswith(CUT):
                    run += 1
                    if run == 3 and ln.text.endswith(CUT[0]) and i + 1 < len(col):
                        head = _WORD_END.search(ln.text)
                        tail = _WORD_START.search(col[i + 1].text)
                        if head and tail:
                            words.append(head.group(1) + tail.group(1))
                else:
                    run = 0
    return tuple(dict.fromkeys(words))
