"""Indonesian hyphenation after PUEBI and KBBI: syllables, affix boundaries, soft hyphens.

Where a careful Indonesian typesetter cuts a word:

* Between syllables (PUEBI, "Pemenggalan Kata"). One consonant between vowels opens the
  next syllable (mi-li-ter); of two, the first closes a syllable (ser-san, Ap-ril); of
  three or more, the first does when the others can open one (in-struk-si, ul-tra),
  else the cut moves right (sank-si); k-s before another consonant, the x of the source
  word, is not cut (eks-por, teks-til, eks-tra). `ng`, `ny`, `sy` and `kh` are one
  consonant (de-ngan, ma-sya-ra-kat, a-khir); `ai`, `au`, `ei`, `oi` one vowel (pan-tai,
  ka-lau, sur-vei) unless a consonant closes their syllable (ma-in, la-ut) or a
  morpheme boundary falls between them (ke-in-dah-an). Greek and Latin elements keep
  their clusters (pro-gram, de-mo-kra-si, trans-por-ta-si), as in PUEBI's bi-o-gra-fi.
* Between a known root and its affixes (PUEBI: "di antara bentuk dasar dan unsur
  pembentuknya"): meng-am-bil, per-a-lat-an, ke-ku-at-an, la-pang-an, di-a-bai-kan,
  and after a bound form (non-ak-tif, pas-ca-o-pe-ra-si). Where meN-/peN- replaces the
  root's first consonant (tulis, menulis) the word is cut by its syllables (me-nu-lis),
  as PUEBI asks; -i takes the root's last consonant (me-mi-li-ki). A word the dictionary
  lists whole is cut by its syllables (ka-wa-san, pe-la-jar). The roots, and the affixes
  each takes, come from hunspell-id (assets/hyphenation/id-roots.txt); words in
  id-exceptions.txt are cut as written there.
* Never in: all capitals or mixed case (ASEAN, TNI, iPad), digits, hyphens, an
  apostrophe between letters, a soft hyphen already there, URLs, e-mail addresses,
  letters outside a-z, and unknown words spelled like no Indonesian word (q, x, th, oo,
  a closing consonant pair, ...).

When the readings of a word disagree (mengukur: meng+ukur or meN+kukur) only the breaks
they share are kept: a missed break costs a looser line, a wrong one is a misprint.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable, Collection, Iterator
from itertools import pairwise
from pathlib import Path

SOFT_HYPHEN = "\u00ad"
LEFT = 2
"""Fewest letters before a break."""
RIGHT = 3
"""Fewest letters after a break."""

_VOWELS = frozenset("aeiou")
_DIGRAPHS = frozenset({"ng", "ny", "sy", "kh"})
_DIPHTHONGS = frozenset({"ai", "au", "ei", "oi"})
# Consonant clusters that may open a syllable inside a word (in loanwords).
_ONSETS = frozenset(
    {"pr", "br", "tr", "dr", "kr", "gr", "fr", "cr", "pl", "bl", "kl", "gl", "fl", "sp", "st", "sk",
     "str", "spr", "skr", "spl"}
)  # fmt: skip
# Greek and Latin elements that keep their cluster after a vowel (PUEBI: bi-o-gra-fi,
# ki-lo-gram): pro-gram, de-mo-kra-si, te-le-skop; and at the start of a word.
_ELEMENT = re.compile(r"gra[fm]|kra[st]|skop")
_FIRST_ELEMENTS = ("mikro", "makro", "hidro")
# Bound forms written together with the word they qualify, cut off from it (PUEBI: pasca-
# panen): non-ak-tif, in-ter-ak-si, an-tar-ang-kat-an.
_BOUND = ("antar", "anti", "infra", "inter", "kontra", "multi", "nir", "non", "pasca", "pra",
          "swa", "ultra")  # fmt: skip
# Clusters that may begin an Indonesian word; any other makes an unknown word foreign.
_INITIALS = _ONSETS | {"sl", "sm", "sn", "sw", "kw", "ps", "ts"}
_FOREIGN = re.compile(
    r"[qx]|th|ch|ph|sh|gh|dh|ck|wh|dj|tj|sj|sc|ff|oe|ee|oo|ou|eu|ae|ie|ue|c$|y(?![aeiou])|w(?![aeiou])"
)

# Clitics, outermost last: possessive -nya/-ku/-mu, then the particles -lah/-kah/-pun.
_POSSESSIVES = ("nya", "ku", "mu")
_PARTICLES = ("lah", "kah", "pun")
_SUFFIXES = (("", ""), ("kan", "k"), ("an", "a"), ("i", "i"))
# A prefix before another (memper-, keber-, diper-, ...): its form, its code, and the
# codes of the prefixes it may stand before.
_OUTER = {
    "di": ("D", "RBKS"),
    "ke": ("K", "BTPMRS"),
    "se": ("S", "RK"),
    "ber": ("B", "KSP"),
    "ter": ("T", "KS"),
    "per": ("R", "KS"),
    "mem": ("M", "RB"),
    "pem": ("P", "RB"),
}
# meN-, di- and ter- verbs take -kan and -i, never -an (mengatakan is meN+kata+kan).
_NO_AN = frozenset("MDT")
# Prefixes that need no licence: they end in a vowel, so they cannot pull a vowel-initial
# root's first syllable to them, and hunspell-id misses many (seiring, seusai).
_FREE = frozenset("DKS")
_MIN_ROOT = 3

_RUN = re.compile(r"[^\W\d_]+")
_CHUNK = re.compile(r"\S+")
# A chunk (text between spaces) that is or holds a URL, an e-mail address or a path.
_UNSAFE = re.compile(r"@|://|www\.|[/\\_=#%&+~|<>]|[.:](?=\w)")
_APOSTROPHES = frozenset("'\u2018\u2019`")
_PUNCTUATION = _APOSTROPHES | frozenset(
    '.,;:!?"\u201c\u201d\u201e\u00ab\u00bb()[]{}\u2014\u2013\u2026*'
)


# -- data -------------------------------------------------------------------------------


def _data_dir() -> Path:
    from edition.share import share_dir

    return share_dir("assets") / "hyphenation"


@functools.cache
def _roots() -> dict[str, str]:
    """Root word → the affix codes hunspell-id gives it (see make_roots.py)."""
    roots: dict[str, str] = {}
    with (_data_dir() / "id-roots.txt").open(encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("#"):
                continue
            word, _, codes = line.strip().partition(" ")
            if word:
                roots[word] = codes
    return roots


@functools.cache
def _exceptions() -> dict[str, frozenset[int]]:
    """Words cut as listed in id-exceptions.txt, by hand, instead of by the rules."""
    words: dict[str, frozenset[int]] = {}
    with (_data_dir() / "id-exceptions.txt").open(encoding="utf-8") as lines:
        for line in lines:
            entry = line.partition("#")[0].strip().lower()
            if entry:
                parts = entry.split("-")
                ends = [sum(len(p) for p in parts[: i + 1]) for i in range(len(parts) - 1)]
                words["".join(parts)] = frozenset(ends)
    return words


# -- syllables ----------------------------------------------------------------------------


def _units(s: str) -> list[str]:
    """Letters of `s`, with ng, ny, sy and kh as one consonant."""
    units: list[str] = []
    i = 0
    while i < len(s):
        step = 2 if s[i : i + 2] in _DIGRAPHS else 1
        units.append(s[i : i + step])
        i += step
    return units


def _coda(consonants: list[str]) -> int:
    """How many of the consonants between two vowels stay with the first syllable."""
    n = len(consonants)
    if n < 3:
        return n // 2
    for j in range(1, n):
        onset = "".join(consonants[j:])
        if consonants[j - 1] == "k" and consonants[j] == "s" and n - j > 1:
            continue  # eks-por, teks-til: k-s spells x and is not cut
        if n - j == 1 or onset in _ONSETS:
            return j
    return n - 1


def _syllables(s: str, strict: bool = False) -> list[int]:
    """Offsets in `s` (lower case, a-z) where a syllable ends and the next begins.

    `strict` keeps ai/au/ei/oi whole even where a root would split them (ma-in): for
    words the dictionary does not know.
    """
    if s.startswith("trans") and s[5:6] not in _VOWELS:
        # The Latin prefix keeps its s, as in KBBI: trans-por-ta-si, trans-mi-si.
        return [5, *(5 + b for b in _syllables(s[5:], strict))]
    units = _units(s)
    nuclei: list[tuple[int, int]] = []
    k = 0
    while k < len(units):
        if units[k] not in _VOWELS:
            k += 1
            continue
        end = k
        if k + 1 < len(units) and units[k] + units[k + 1] in _DIPHTHONGS:
            after = units[k + 2 : k + 4]
            open_ = not after or after[0] in _VOWELS or (len(after) == 2 and after[1] in _VOWELS)
            if strict or open_:
                end = k + 1
        nuclei.append((k, end))
        k = end + 1
    starts = [0]
    for u in units:
        starts.append(starts[-1] + len(u))
    breaks = []
    for (_, a), (b, _) in pairwise(nuclei):
        at = starts[a + 1]
        whole = b - a == 3 and (
            _ELEMENT.match(s, at) is not None or (at == 2 and s.startswith(_FIRST_ELEMENTS))
        )
        breaks.append(at if whole else starts[a + 1 + _coda(units[a + 1 : b])])
    return breaks


def _reading(prefixes: list[str], root: str, suffix: str) -> frozenset[int]:
    """Breaks of prefixes + root + suffix: at each boundary and each one's syllables.

    -i after a consonant takes that consonant (milik+i: mi-li-ki, baik+i: ba-i-ki).
    """
    breaks: set[int] = set()
    pos = 0
    for part in [*prefixes, root]:
        if pos:
            breaks.add(pos)
        breaks.update(pos + b for b in _syllables(part))
        pos += len(part)
    if suffix == "i" and root[-1] not in _VOWELS:
        breaks.add(pos - len(_units(root)[-1]))
    elif suffix:
        breaks.add(pos)
    return frozenset(breaks)


# -- affixes ------------------------------------------------------------------------------


def _nasal(stem: str, nasal: str) -> Iterator[tuple[list[str], str, str]]:
    """meN-/peN- (`nasal` "me" or "pe") at the start of `stem`: (segments, root, surface)."""
    tail = stem[len(nasal) :]
    if tail.startswith("nge"):
        yield [nasal + "nge"], tail[3:], tail[3:]  # mengebom, pengecat: one-syllable roots
    if tail.startswith("ny") and tail[2:3] in _VOWELS:
        yield [nasal], "s" + tail[2:], tail  # sapu: me-nya-pu
    if tail.startswith("ng"):
        rest = tail[2:]
        if rest[:1] in _VOWELS:
            yield [nasal + "ng"], rest, rest  # ambil: meng-am-bil
            yield [nasal], "k" + rest, tail  # kirim: me-ngi-rim
        elif rest[:1] in ("g", "h", "k"):
            yield [nasal + "ng"], rest, rest  # menggali, mengkaji, mengkritik
    elif tail.startswith("m"):
        rest = tail[1:]
        if rest[:1] in _VOWELS:
            yield [nasal], "p" + rest, tail  # pakai: me-ma-kai
        elif rest[:1] in ("b", "f", "v", "p"):
            yield [nasal + "m"], rest, rest  # membangun, memproses, mempunyai
    elif tail.startswith("n") and not tail.startswith("ny"):
        rest = tail[1:]
        if rest[:1] in _VOWELS:
            yield [nasal], "t" + rest, tail  # tulis: me-nu-lis
        elif rest[:1] in ("c", "d", "j", "z", "t") or rest[:2] in ("sy", "sk", "sp", "st"):
            yield [nasal + "n"], rest, rest  # mendengar, mentransfer, mensyukuri
    if tail[:1] in ("l", "m", "n", "r", "w", "y"):
        yield [nasal], tail, tail  # melihat, menanti, menyanyi


def _attach(stem: str) -> Iterator[tuple[list[str], str, str, str]]:
    """Ways a prefix can begin `stem`: (prefix segments, code, root, surface of the root)."""
    if stem.startswith("me"):
        for segments, root, surface in _nasal(stem, "me"):
            yield segments, "M", root, surface
    if stem.startswith("pe"):
        for segments, root, surface in _nasal(stem, "pe"):
            yield segments, "P", root, surface
    for long, code in (("ber", "B"), ("ter", "T"), ("per", "R")):
        short = long[:2]
        if stem.startswith(long) and stem[3:4] != "r":
            yield [long], code, stem[3:], stem[3:]
        if stem.startswith(short + "r"):
            yield [short], code, stem[2:], stem[2:]  # be-rantai, te-rasa, pe-rawat
    if re.match(r"be[^aeiou]er", stem):
        yield ["be"], "B", stem[2:], stem[2:]  # bekerja, beternak
    if stem.startswith("pe") and stem[2:3] not in _VOWELS:
        yield ["pe"], "P", stem[2:], stem[2:]  # pegunungan, petinju: pe- without a nasal
    for short, code in (("di", "D"), ("ke", "K"), ("se", "S")):
        if stem.startswith(short):
            yield [short], code, stem[2:], stem[2:]
    if stem[1:2] == "e" and stem[:1] == stem[2:3] and stem[:1] not in _VOWELS:
        yield [stem[:2]], "", stem[2:], stem[2:]  # de-daun-an, pe-po-hon-an: reduplication


def _prefixes(stem: str) -> Iterator[tuple[list[str], str, str, str, str]]:
    """(prefix segments, code next to the root, outermost code, root, its surface)."""
    yield [], "", "", stem, stem
    for segments, code, root, surface in _attach(stem):
        yield segments, code, code, root, surface
    for form, (outer, inner) in _OUTER.items():
        if stem.startswith(form):
            for segments, code, root, surface in _attach(stem[len(form) :]):
                if code in inner:
                    yield [form, *segments], code, outer, root, surface


def _derivations(base: str, roots: dict[str, str]) -> Iterator[tuple[frozenset[int], bool]]:
    """Readings of `base` as prefixes + known root + suffix: (breaks, licensed).

    A reading is licensed when hunspell-id says the root takes that prefix (or it is
    di-, ke- or se-) and that suffix.
    """
    for suffix, suffix_code in _SUFFIXES:
        if not base.endswith(suffix):
            continue
        stem = base[: len(base) - len(suffix)]
        for prefixes, code, outer, root, surface in _prefixes(stem):
            if root == base or len(root) < _MIN_ROOT or root not in roots:
                continue
            if suffix == "an" and outer in _NO_AN:
                continue
            codes = roots[root]
            licensed = (not code or code in codes or code in _FREE) and (
                not suffix_code or suffix_code in codes
            )
            yield _reading(prefixes, surface, suffix), licensed


def _clitics(word: str) -> Iterator[tuple[str, frozenset[int]]]:
    """`word` without its clitics, and where each clitic begins; fewest clitics first."""
    yield word, frozenset()
    endings: list[tuple[str, ...]] = [(c,) for c in _PARTICLES + _POSSESSIVES]
    endings += [(p, c) for c in _PARTICLES for p in _POSSESSIVES]
    for ending in endings:
        tail = "".join(ending)
        base = word[: len(word) - len(tail)]
        if word.endswith(tail) and len(base) >= _MIN_ROOT:
            yield base, frozenset({len(base), len(base) + len(ending[0])} - {len(word)})


def _looks_foreign(word: str) -> bool:
    """Spelling that Indonesian words do not have: leave such a word whole."""
    if _FOREIGN.search(word):
        return True
    head = re.match(r"[^aeiou]*", word)
    initial = head.group() if head else ""
    if len(initial) > 1 and initial not in _INITIALS and initial not in _DIGRAPHS:
        return True
    last = word[-2:]
    return not (set(last) & _VOWELS) and last not in ("ng", "kh", "ks")


def _known(word: str) -> tuple[frozenset[int], bool] | None:
    """Breaks of a word built of a known root and affixes, and whether it is listed whole.

    A word the dictionary lists whole is cut by its syllables, where its affixed
    readings agree (pegunungan is also pe+gunung+an, so not pegunu-ngan).
    """
    exceptions, roots = _exceptions(), _roots()
    readings = list(_clitics(word))
    for base, clitics in readings:
        if base in exceptions:
            return exceptions[base] | clitics, True
        if base in roots:
            known = frozenset(_syllables(base))
            for breaks, licensed in _derivations(base, roots):
                if licensed:
                    known &= breaks
            return known | clitics, True
    found = [
        breaks | clitics
        for base, clitics in readings
        for breaks, licensed in _derivations(base, roots)
        if licensed
    ]
    return (frozenset.intersection(*found), False) if found else None


def _compound(word: str) -> frozenset[int] | None:
    """Breaks of a bound form before a known word (non-ak-tif, pas-ca-ben-ca-na), or None."""
    for form in _BOUND:
        rest = word[len(form) :]
        if word.startswith(form) and len(rest) >= _MIN_ROOT:
            known = _known(rest)
            if known is not None:
                start = frozenset({*_syllables(form), len(form)})
                return start | {len(form) + b for b in known[0]}
    return None


@functools.lru_cache(maxsize=1 << 16)
def _word_breaks(word: str, capitalised: bool = False) -> frozenset[int]:
    """All syllable and morpheme breaks of a lower-case a-z word, before LEFT/RIGHT.

    A `capitalised` word the dictionary does not list may be a name (Tarakan is not
    tarak+an): there, affixes only confirm the breaks of its syllables.
    """
    compound = _compound(word)
    if compound is not None:
        return compound
    known = _known(word)
    plain = frozenset(_syllables(word, strict=True))
    if known is not None:
        breaks, listed = known
        return breaks & plain if capitalised and not listed else breaks
    unlicensed = [
        breaks | clitics
        for base, clitics in _clitics(word)
        for breaks, _ in _derivations(base, _roots())
    ]
    if unlicensed or not _looks_foreign(word):
        return plain.intersection(*unlicensed)
    return frozenset()


# -- words and text -----------------------------------------------------------------------


def _eligible(run: str, left: int, right: int) -> bool:
    """A plain word: a-z, long enough, lower case after its first letter (not ASEAN, iPad)."""
    return len(run) >= left + right and run.isascii() and run[1:].islower()


def _attached(text: str, i: int, step: int) -> bool:
    """Is the character at `i` (just outside a run of letters) part of the same token?"""
    if i < 0 or i >= len(text) or text[i].isspace():
        return False
    c = text[i]
    if c in _APOSTROPHES:  # Qur'an: an apostrophe between letters joins them
        j = i + step
        return 0 <= j < len(text) and text[j].isalpha()
    return c not in _PUNCTUATION


def _breaks_in(text: str, left: int, right: int, before: str = "", after: str = "") -> list[int]:
    """Offsets in `text` where a soft hyphen may go; `before`/`after`: the text around it."""
    left, right = max(left, 1), max(right, 1)
    full = before + text + after
    lo, hi = len(before), len(before) + len(text)
    found: list[int] = []
    for chunk in _CHUNK.finditer(full):
        if chunk.end() <= lo or chunk.start() >= hi or _UNSAFE.search(chunk.group()):
            continue
        for run in _RUN.finditer(full, chunk.start(), chunk.end()):
            s, e = run.span()
            word = run.group()
            if s < lo or e > hi or not _eligible(word, left, right):
                continue
            if _attached(full, s - 1, -1) or _attached(full, e, 1):
                continue
            breaks = _word_breaks(word.lower(), word[0].isupper())
            found += sorted(s - lo + b for b in breaks if left <= b <= len(word) - right)
    return found


def hyphenate(word: str, *, left: int = LEFT, right: int = RIGHT) -> list[int]:
    """Offsets in `word` where it may be cut, in order; [] if it must stay whole.

    `word` may carry punctuation around it ("(militer),"); offsets count from its start.
    """
    return _breaks_in(word, left, right)


def hyphenated(word: str, hyphen: str = "-", *, left: int = LEFT, right: int = RIGHT) -> str:
    """`word` with `hyphen` at each allowed break: "militer" → "mi-li-ter"."""
    return _insert(word, hyphenate(word, left=left, right=right), hyphen)


def allowed_break(word: str, offset: int, *, left: int = LEFT, right: int = RIGHT) -> bool:
    """Would the hyphenator cut `word` after its first `offset` characters?"""
    return offset in hyphenate(word, left=left, right=right)


def _insert(text: str, offsets: list[int], mark: str) -> str:
    pieces = [text[a:b] for a, b in pairwise([0, *offsets, len(text)])]
    return mark.join(pieces)


def hyphenate_text(text: str, *, left: int = LEFT, right: int = RIGHT) -> str:
    """`text` with a soft hyphen (U+00AD) at every allowed break of every eligible word.

    Words that already hold a soft hyphen are left as they are, so a second pass changes
    nothing.
    """
    return _insert(text, _breaks_in(text, left, right), SOFT_HYPHEN)


# -- HTML ---------------------------------------------------------------------------------

_TAG = re.compile(r"""<(?:[^>"']|"[^"]*"|'[^']*')*>|<!--.*?-->""", re.S)
_TAG_NAME = re.compile(r"<\s*(/?)\s*([A-Za-z][A-Za-z0-9]*)")
ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]*);")
"""A character reference in HTML (named, decimal or hexadecimal)."""
# Tags inside a line of text: a word may run on across them (<em>Indo</em>nesia).
INLINE_TAGS = frozenset(
    {"a", "abbr", "b", "cite", "code", "em", "i", "kbd", "mark", "q", "s", "samp", "small",
     "span", "strong", "sub", "sup", "time", "u", "var"}
)  # fmt: skip
NO_HYPHENS = frozenset(
    {"code", "kbd", "pre", "samp", "script", "style", "h1", "h2", "h3", "h4", "h5", "h6"}
)
"""Elements whose text is never hyphenated: code, and headings (display type)."""


def _decode(raw: str) -> tuple[str, list[int]]:
    """The text of an HTML text node, and for each of its characters where it starts in raw."""
    if "&" not in raw:
        return raw, list(range(len(raw) + 1))
    chars: list[str] = []
    where: list[int] = []
    pos = 0
    for m in ENTITY.finditer(raw):
        chars += raw[pos : m.start()]
        where += range(pos, m.start())
        decoded = html.unescape(m.group())
        chars += decoded
        where += [m.start()] * len(decoded)
        pos = m.end()
    chars += raw[pos:]
    where += range(pos, len(raw) + 1)
    return "".join(chars), where


def _rewrite_text(
    fragment: str,
    skip: Collection[str],
    rewrite: Callable[[str, str, list[int], str, str], str],
) -> str:
    """`fragment` with each text node outside the `skip` elements replaced by
    `rewrite(raw, text, where, before, after)`: its raw HTML, its decoded text, where each
    character of the text starts in the raw HTML, and the text of the same line that a
    word may run on from or into (across inline tags)."""
    pieces: list[tuple[str, str]] = []  # (tag name or "" for text, raw)
    pos = 0
    for m in _TAG.finditer(fragment):
        if m.start() > pos:
            pieces.append(("", fragment[pos : m.start()]))
        found = _TAG_NAME.match(m.group())
        name = (found.group(1) + found.group(2).lower()) if found else "!"
        pieces.append((name, m.group()))
        pos = m.end()
    if pos < len(fragment):
        pieces.append(("", fragment[pos:]))

    texts = {i: _decode(raw) for i, (tag, raw) in enumerate(pieces) if not tag}
    # The text a word may run on into: the next or previous text node in the same line.
    neighbour: dict[int, tuple[str, str]] = {}
    last: int | None = None
    for i, (tag, _) in enumerate(pieces):
        if not tag:
            prev_text = texts[last][0] if last is not None else ""
            neighbour[i] = (prev_text, "")
            if last is not None:
                neighbour[last] = (neighbour[last][0], texts[i][0])
            last = i
        elif tag.lstrip("/") not in INLINE_TAGS:
            last = None

    out: list[str] = []
    depth = 0
    for i, (tag, raw) in enumerate(pieces):
        if tag:
            name = tag.lstrip("/")
            if name in skip and not raw.endswith("/>"):
                depth = max(0, depth - 1) if tag.startswith("/") else depth + 1
            out.append(raw)
        elif depth:
            out.append(raw)
        else:
            text, where = texts[i]
            out.append(rewrite(raw, text, where, *neighbour[i]))
    return "".join(out)


def hyphenate_html(
    fragment: str,
    *,
    left: int = LEFT,
    right: int = RIGHT,
    skip: Collection[str] = NO_HYPHENS,
) -> str:
    """A sanitised HTML fragment with soft hyphens in the words of its text nodes.

    Tags, attributes and entities are copied as they are, and nothing inside the
    elements named in `skip` changes; removing every U+00AD from the result gives
    back the fragment. Idempotent.
    """

    def insert(raw: str, text: str, where: list[int], before: str, after: str) -> str:
        offsets = _breaks_in(text, left, right, before, after)
        raw_offsets = [where[k] for k in offsets if where[k] != where[k - 1]]
        return _insert(raw, raw_offsets, SOFT_HYPHEN)

    return _rewrite_text(fragment, skip, insert)


@functools.lru_cache(maxsize=1 << 16)
def _breaks_alone(word: str, left: int, right: int) -> tuple[int, ...]:
    """`_breaks_in` of a run of letters asked about alone (the same words come again and
    again)."""
    return tuple(_breaks_in(word, left, right))


WHOLE = ('<span class="whole">', "</span>")
"""What `protect_html` wraps a run of text in that must not be cut (the layout's CSS
gives it `hyphens: manual`)."""


def protect_html(
    fragment: str,
    *,
    left: int = LEFT,
    right: int = RIGHT,
    skip: Collection[str] = NO_HYPHENS,
    mark: tuple[str, str] = WHOLE,
) -> str:
    """A sanitised HTML fragment with the words a hyphenator asked about each word alone
    would cut, but that must stay whole where they stand, wrapped in `mark`.

    A layout engine that hyphenates by dictionary (WeasyPrint with `hyphens: auto`) sees
    a word without what surrounds it: `kapal` in kapal-kapal, `redaksi` in an e-mail
    address, `nesia` after <em>Indo</em>. Each run of text between spaces whose words
    (runs of letters, each asked alone) would get a break that `hyphenate_text` does not
    make in that place is wrapped whole. Text inside the `skip` elements and text already
    inside `mark` stays as it is. Idempotent.
    """
    if mark[0] in fragment:
        return fragment  # protected already

    def wrap(raw: str, text: str, where: list[int], before: str, after: str) -> str:
        allowed = set(_breaks_in(text, left, right, before, after))
        spans = []
        for chunk in _CHUNK.finditer(text):
            alone = {
                run.start() + b
                for run in _RUN.finditer(text, chunk.start(), chunk.end())
                for b in _breaks_alone(run.group(), left, right)
            }
            if not alone <= allowed:
                spans.append((where[chunk.start()], where[chunk.end()]))
        out, pos = [], 0
        for start, end in spans:
            out += [raw[pos:start], mark[0], raw[start:end], mark[1]]
            pos = end
        out.append(raw[pos:])
        return "".join(out)

    return _rewrite_text(fragment, skip, wrap)
