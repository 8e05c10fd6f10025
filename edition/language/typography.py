"""Typographic text for the page: curly quotes and dashes in plain fields, display lines
that never end on one word, and soft hyphens taken out of a word again."""

from __future__ import annotations

import html
import itertools
import re

from markupsafe import Markup, escape

from edition.language.hyphenate import ENTITY, INLINE_TAGS, SOFT_HYPHEN, WHOLE

NBSP = "\u00a0"

# What may stand before an opening quote: the start, a space, an opening bracket or dash.
_OPENERS = frozenset(" \t\n\u00a0([{\u2014\u2013-/\u201c\u2018")
_DASHES = (
    (re.compile(r"(?<!-)---(?!-)"), "\u2014"),
    (re.compile(r"(?<!-)--(?!-)"), "\u2013"),
    (re.compile(r"(?<=\S) - (?=\S)"), " \u2013 "),  # a spaced hyphen between words
    (re.compile(r"\.\.\.(?!\.)"), "\u2026"),
)


def typographic(text: str) -> str:
    """Plain text with typewriter quotes and dashes made typographic, as the Markdown of
    the articles is: double and single quotes open or close by what stands before them,
    an apostrophe between letters (Jum'at) or before a shortened year ('90-an) is U+2019,
    `--` an en dash, `---` an em dash, a hyphen with a space on both sides an en dash,
    `...` an ellipsis."""
    for pattern, replacement in _DASHES:
        text = pattern.sub(replacement, text)
    out = []
    for i, ch in enumerate(text):
        if ch not in "\"'":
            out.append(ch)
            continue
        before = text[i - 1] if i else " "
        after = text[i + 1] if i + 1 < len(text) else " "
        opens = before in _OPENERS and not after.isspace()
        if ch == '"':
            out.append("\u201c" if opens else "\u201d")
        elif before.isalnum() and after.isalnum():
            out.append("\u2019")  # an apostrophe inside a word: Jum'at, Qur'an
        elif opens and after.isdigit() and _elided_year(text, i + 1):
            out.append("\u2019")  # a year cut short: '90-an
        else:
            out.append("\u2018" if opens else "\u2019")
    return "".join(out)


def _elided_year(text: str, at: int) -> bool:
    """Do two digits start at `at` and no closing quote follows them in the same word?"""
    m = re.match(r"\d\d(?!\d)[\w-]*", text[at:])
    return m is not None and "'" not in text[at + m.end() : at + m.end() + 1]


_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)?[^>]*>")
_WORDS = re.compile(r"[^\s\u00a0]+")
_LETTERS = re.compile(r"(?:[^\W\d_]|\u00ad)+")


def _visible(fragment: str) -> tuple[str, list[int]]:
    """The text of an HTML fragment as a reader sees it (entities decoded, a line break
    for each tag that is not inline), and for each of its characters where it is in
    `fragment` (-1 for those line breaks)."""
    chars: list[str] = []
    where: list[int] = []
    pos = 0

    def text(start: int, end: int) -> None:
        at = start
        while at < end:
            entity = ENTITY.match(fragment, at, end)
            if entity:
                decoded = html.unescape(entity.group())
                chars.append(decoded[:1] or " ")
                where.append(at)
                at = entity.end()
            else:
                chars.append(fragment[at])
                where.append(at)
                at += 1

    for m in _TAG.finditer(fragment):
        text(pos, m.start())
        if (m.group(2) or "").lower() not in INLINE_TAGS:
            chars.append("\n")
            where.append(-1)
        pos = m.end()
    text(pos, len(fragment))
    return "".join(chars), where


def bind_last_words(value: str, longest: int | None = None) -> Markup:
    """Escaped `value` (or Markup as it is) with the space before its last word made a
    no-break space, so that a display line never ends on one word alone.

    Left as it is: fewer than three words, the last two already bound, or the last two
    longer than `longest` characters together (bound, they could not fit the line: the
    template knows how wide its box is). Tags and entities are not touched.
    """
    fragment = str(value) if isinstance(value, Markup) else str(escape(value))
    visible, where = _visible(fragment)
    words = list(_WORDS.finditer(visible))
    if len(words) < 3:
        return Markup(fragment)
    last, before = words[-1], words[-2]
    if longest is not None and len(before.group()) + 1 + len(last.group()) > longest:
        return Markup(fragment)
    gap = where[before.end() : last.start()]
    if -1 in gap or visible[before.end() : last.start()].strip(" "):
        return Markup(fragment)  # not a plain space between them (a tag, a no-break space)
    first, end = gap[0], gap[-1] + 1
    if fragment[first:end].strip(" "):
        return Markup(fragment)
    return Markup(fragment[:first] + NBSP + fragment[end:])


def without_breaks(fragment: str, word: str, occurrence: int | None = None) -> str:
    """`fragment` (HTML of running text) with `word` kept whole where it occurs, so that
    it is not cut at a line end: only its `occurrence`-th occurrence (0-based) when given,
    else every one. The word is wrapped in the mark `protect_html` uses (`.whole`), and
    soft hyphens in it are taken out.

    Occurrences are counted in the order of the text, as whole runs of letters spelled
    exactly as `word` once soft hyphens are ignored ("pertahanan" is not "Pertahanan",
    nor part of "pertahanannya"); a word may run on across inline tags, and is then
    wrapped piece by piece.
    """
    visible, where = _visible(fragment)
    pieces: list[list[int]] = []  # offsets in fragment of the characters to wrap, by piece
    seen = 0
    for run in _LETTERS.finditer(visible):
        if run.group().replace(SOFT_HYPHEN, "") != word:
            continue
        if occurrence is None or seen == occurrence:
            at = [where[i] for i in range(run.start(), run.end())]
            pieces.append([at[0]])
            for previous, offset in itertools.pairwise(at):
                if offset == previous + 1 or fragment[previous] == "&":
                    pieces[-1].append(offset)
                else:
                    pieces.append([offset])
        seen += 1
    out, pos = [], 0
    for piece in pieces:
        start, end = piece[0], _char_end(fragment, piece[-1])
        out += [fragment[pos:start], WHOLE[0], fragment[start:end].replace(SOFT_HYPHEN, ""),
                WHOLE[1]]  # fmt: skip
        pos = end
    out.append(fragment[pos:])
    return "".join(out)


def _char_end(fragment: str, at: int) -> int:
    """Where the character (or entity) at `at` of `fragment` ends."""
    entity = ENTITY.match(fragment, at)
    return entity.end() if entity else at + 1
