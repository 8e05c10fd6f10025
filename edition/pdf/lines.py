"""Each line of a column flow broken once per layout, however often WeasyPrint sets it.

WeasyPrint sets the text of a page in columns twice: once at the page's full height, to
learn whether it fits, and once for good; the last page of an article, whose columns it
balances, once more for every height it tries. Every time, each line asks Pango where
the rest of its paragraph breaks (`split_first_line`), with the same text, style and
width, and gets the same answer. Asking once instead takes a quarter off the time an
article takes to lay out.

The answer is kept for the rest of the layout (one `LayoutContext`: one document, or one
pass of the grid's measuring) under everything it depends on: the text left, the style
(by identity: a style WeasyPrint changes is a copy), the width, the justification, where
the line starts, and whether the line may end in a cut word (`edition.pdf.hyphens`).
Each caller gets its own copy of the answer's (inactive) Pango layout holder. A section
laid out with and without it draws the same pages.

The text left is a new string at every line: a long paragraph's would add up to the
square of its length, so a text longer than `_WHOLE` characters is known by its length,
its hash (randomised per process) and its two ends, not kept whole.
"""

from __future__ import annotations

import copy
import functools
import weakref
from collections.abc import Callable
from typing import Any

from edition.pdf.hyphens import may_cut

_MAX = 100_000  # answers kept at most (a long one-pass edition): then it starts again
_WHOLE = 160  # characters of text kept whole in a key
_END = 48  # characters of each end of a longer one


def _text_key(text: str) -> object:
    if len(text) <= _WHOLE:
        return text
    return (len(text), hash(text), text[:_END], text[-_END:])


class _Memo:
    """The answers of one layout: dropped when another starts, or when its context ends."""

    def __init__(self) -> None:
        self.context: weakref.ref[Any] | None = None
        # key -> (the style the key names by identity, kept alive with it; the answer)
        self.answers: dict[tuple[Any, ...], tuple[Any, tuple[Any, ...]]] = {}

    def of(self, context: Any) -> dict[tuple[Any, ...], tuple[Any, tuple[Any, ...]]]:
        if self.context is None or self.context() is not context or len(self.answers) > _MAX:
            self.answers = {}
            self.context = weakref.ref(context, self._ended)
        return self.answers

    def _ended(self, ref: weakref.ref[Any]) -> None:
        if ref is self.context:
            self.answers, self.context = {}, None


_MEMO = _Memo()


def forget() -> None:
    """Drop the answers kept (and the styles, fonts and font folders they hold on to)."""
    _MEMO.answers, _MEMO.context = {}, None


def _once(
    split_first_line: Callable[..., tuple[Any, ...]], memo: _Memo = _MEMO
) -> Callable[..., tuple[Any, ...]]:

    @functools.wraps(split_first_line)
    def split(
        text: str,
        style: Any,
        context: Any,
        max_width: float | None,
        justification_spacing: float,
        is_line_start: bool = True,
        minimum: bool = False,
    ) -> tuple[Any, ...]:
        answers = memo.of(context)
        key = (
            _text_key(text),
            id(style),
            max_width,
            justification_spacing,
            is_line_start,
            minimum,
            may_cut(),
        )
        known = answers.get(key)
        if known is None:
            answer = split_first_line(
                text, style, context, max_width, justification_spacing, is_line_start, minimum
            )
            answers[key] = (style, answer)
        else:
            answer = known[1]
        return (copy.copy(answer[0]), *answer[1:])

    split.edition_once = True  # type: ignore[attr-defined]
    return split


@functools.cache
def break_lines_once() -> None:
    """Keep each line's break for the rest of its layout (in this process)."""
    from weasyprint.layout import inline

    if not getattr(inline.split_first_line, "edition_once", False):
        inline.split_first_line = _once(inline.split_first_line)
