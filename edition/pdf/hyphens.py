"""WeasyPrint hyphenates Indonesian by edition's own rules, not by pyphen's `id` patterns.

With `hyphens: auto`, WeasyPrint asks pyphen where the word that overflows a line may
be cut. pyphen's Indonesian patterns are wrong about one word in forty (de-ng-an,
mi-l-iter, ASE-AN), so the dictionary pyphen keeps for Indonesian is replaced, in each
process that lays out, by one that answers with `edition.language.hyphenate`. It is
asked about the word alone; the renderer marks the few words whose breaks depend on
what stands around them (kapal-kapal, an e-mail address) so that they are not asked
about (`edition.language.hyphenate.protect_html`).

Soft hyphens written into the text would do the same, but WeasyPrint tries each soft
hyphen of the rest of the paragraph at every line that overflows, with a new layout
each time: the sample edition took half as long again to lay out that way (the figures
are in bench/README.md).

No more than two lines in a row end in a cut word (the house rule, InDesign's "hyphen
limit"): WeasyPrint breaks a paragraph's lines one after another, and while it sets the
line after two cut ones, the rules answer that no word may be cut. WeasyPrint has no
such setting, so its line iterator is wrapped to keep count; a paragraph that goes on
in the next column starts counting again, as the preflight counts by column.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

from edition.language.hyphenate import hyphenate


@functools.lru_cache(maxsize=65536)
def _breaks(word: str) -> tuple[int, ...]:
    return tuple(hyphenate(word))


RUN_LIMIT = 2  # lines in a row that may end in a cut word


class _Line:
    """Whether the line being set may end in a cut word."""

    may_cut = True


def may_cut() -> bool:
    """Whether the line being set may end in a cut word (what its break depends on)."""
    return _Line.may_cut


class _Rules:
    """What pyphen's HyphDict offers WeasyPrint: `positions(word)`, as pyphen's ints."""

    def __init__(self, data_int: type) -> None:
        self._data_int = data_int

    def positions(self, word: str) -> list[Any]:
        if not _Line.may_cut:
            return []
        return [self._data_int(i) for i in _breaks(word)]


def _ends_cut(line: Any) -> bool:
    """Whether a laid-out line box ends in a word cut by hyphenation."""
    last = None
    for box in line.descendants():
        if getattr(box, "text", None):
            last = box
    if last is None:
        return False
    mark = last.style["hyphenate_character"]
    return bool(mark) and last.text.endswith(mark)


def _limit_runs(iter_line_boxes: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
    """WeasyPrint's line iterator, telling the rules when a line may not be cut."""

    @functools.wraps(iter_line_boxes)
    def lines(*args: Any, **kwargs: Any) -> Iterator[Any]:
        run = 0
        boxes = iter_line_boxes(*args, **kwargs)
        while True:
            outer, _Line.may_cut = _Line.may_cut, run < RUN_LIMIT
            try:
                item = next(boxes)
            except StopIteration:
                return
            finally:
                _Line.may_cut = outer  # (a nested paragraph, in an inline block)
            run = run + 1 if _ends_cut(item[0]) else 0
            yield item

    lines.edition_limited = True  # type: ignore[attr-defined]
    return lines


@functools.cache
def use_indonesian_rules() -> None:
    """Make pyphen's dictionary for Indonesian (`id`, `id_ID`) edition's rules, and no more
    than RUN_LIMIT lines in a row end in a cut word."""
    import pyphen

    rules = _Rules(pyphen.DataInt)
    for key, path in pyphen.LANGUAGES.items():
        if pyphen.language_fallback(key) in ("id", "id_ID"):
            pyphen.hdcache[path] = rules
    from weasyprint.layout import block

    if not getattr(block.iter_line_boxes, "edition_limited", False):
        block.iter_line_boxes = _limit_runs(block.iter_line_boxes)
