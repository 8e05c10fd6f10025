"""Small text rules shared by the readers: spacing, label keys, sentences and headlines."""
# ruff: noqa: RUF001  (typographic dashes, quotes and colons are matched on purpose)

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile(r"[\u00ad\u200b-\u200d\u2060\ufeff]")
_TERMINAL = ".!?…\"”’')"


def normalize(text: str) -> str:
    """Collapse runs of (non-breaking) spaces, drop invisible characters, trim."""
    return _SPACES.sub(" ", _INVISIBLE.sub("", text)).strip()


def label_key(text: str) -> str:
    """Case- and punctuation-insensitive form of a short line, for label matching."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"[\s:：.,;!|»«›‹>\-–—_*#•·]+", " ", text)
    return text.strip()


def fold_word(word: str) -> str:
    return re.sub(r"['’.]", "", word.casefold())


def words_of(text: str) -> list[str]:
    return text.split()


def ends_sentence(text: str) -> bool:
    return text.rstrip().endswith(tuple(_TERMINAL))


def is_prose(text: str) -> bool:
    """A sentence-like paragraph (as opposed to a headline, label or menu)."""
    n = len(words_of(text))
    stripped = text.rstrip()
    if n >= 25:
        return True
    if n < 12:
        return False
    if stripped.endswith(("?", "!")):
        return n >= 20
    return ends_sentence(stripped)


def is_headline(text: str) -> bool:
    """Could be a headline: a few words, no full stop at the end."""
    n = len(words_of(text))
    return 3 <= n <= 30 and not text.rstrip().endswith((".", ":", ",", ";")) and len(text) <= 250


def shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
