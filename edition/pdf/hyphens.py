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
"""

from __future__ import annotations

import functools
from typing import Any

from edition.language.hyphenate import hyphenate


@functools.lru_cache(maxsize=65536)
def _breaks(word: str) -> tuple[int, ...]:
    return tuple(hyphenate(word))


class _Rules:
    """What pyphen's HyphDict offers WeasyPrint: `positions(word)`, as pyphen's ints."""

    def __init__(self, data_int: type) -> None:
        self._data_int = data_int

    def positions(self, word: str) -> list[Any]:
        return [self._data_int(i) for i in _breaks(word)]


@functools.cache
def use_indonesian_rules() -> None:
    """Make pyphen's dictionary for Indonesian (`id`, `id_ID`) edition's rules."""
    import pyphen

    rules = _Rules(pyphen.DataInt)
    for key, path in pyphen.LANGUAGES.items():
        if pyphen.language_fallback(key) in ("id", "id_ID"):
            pyphen.hdcache[path] = rules
