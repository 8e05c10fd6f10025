"""`edition collect`: turn saved web pages and text pastes into article files of an issue."""
# ruff: noqa: RUF001, RUF002  (typographic dashes, quotes and colons are matched on purpose)

from __future__ import annotations

import codecs
import datetime as dt
import itertools
import os
import re
import sys
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import tomlkit
import trafilatura
import yaml
from babel.dates import get_day_names, get_month_names
from dateutil import parser as dateutil_parser
from lxml import etree
from lxml import html as lxml_html
from tomlkit.exceptions import ParseError as TomlParseError
from tomlkit.items import AoT, Array, InlineTable, Table

from edition.errors import EditionError, Finding, Location

DEFAULT_RUBRIC = "Berita"
FRONT_MATTER_KEYS = (
    "title", "rubric", "author", "date", "dek", "dateline", "agency", "lead_photo",
    "lead_caption", "credit", "related", "pullquote", "sidebar", "source",
)
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
_NO_TEXT_HINT = "save the whole article page, or paste its text"


@dataclass
class CollectedArticle:
    """One collected source: where it goes, its front matter and Markdown body, and a report."""

    slug: str
    front_matter: dict[str, Any]
    body: str
    source: str
    word_count: int
    stripped: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- text helpers

_SPACES = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile(r"[\u00ad\u200b-\u200d\u2060\ufeff]")
_TERMINAL = ".!?…\"”’')"


def _norm(text: str) -> str:
    """Collapse runs of (non-breaking) spaces, drop invisible characters, trim."""
    return _SPACES.sub(" ", _INVISIBLE.sub("", text)).strip()


def _key(text: str) -> str:
    """Case- and punctuation-insensitive form of a short line, for label matching."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"[\s:：.,;!|»«›‹>\-–—_*#•·]+", " ", text)
    return text.strip()


def _fold(word: str) -> str:
    return re.sub(r"['’.]", "", word.casefold())


def _words(text: str) -> list[str]:
    return text.split()


def _ends_sentence(text: str) -> bool:
    return text.rstrip().endswith(tuple(_TERMINAL))


def _is_prose(text: str) -> bool:
    """A sentence-like paragraph (as opposed to a headline, label or menu)."""
    n = len(_words(text))
    stripped = text.rstrip()
    if n >= 25:
        return True
    if n < 12:
        return False
    if stripped.endswith(("?", "!")):
        return n >= 20
    return _ends_sentence(stripped)


def _is_headline(text: str) -> bool:
    """Could be a headline: a few words, no full stop at the end."""
    n = len(_words(text))
    return 3 <= n <= 30 and not text.rstrip().endswith((".", ":", ",", ";")) and len(text) <= 250


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# --------------------------------------------------------------------------- dates (Babel names)

def _babel_names() -> tuple[dict[str, int], frozenset[str]]:
    months: dict[str, int] = {}
    days: set[str] = set()
    for locale in ("id", "en"):
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for number, name in get_month_names(width, context, locale).items():
                    months[_fold(name)] = number
                days.update(_fold(n) for n in get_day_names(width, context, locale).values())
    # Older Indonesian spellings and abbreviations that CLDR does not list.
    months.update({"agt": 8, "sept": 9, "pebruari": 2, "nopember": 11, "nop": 11})
    return months, frozenset(days)


_MONTHS, _DAYS = _babel_names()
_MONTH_RE = "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True))
_DATE_PATTERNS = (
    re.compile(rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\.?\s+(?P<mon>{_MONTH_RE})\.?,?\s+"
               rf"(?P<y>\d{{4}})\b", re.I),
    re.compile(rf"\b(?P<mon>{_MONTH_RE})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+"
               rf"(?P<y>\d{{4}})\b", re.I),
    re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b"),
    re.compile(r"\b(?P<d>\d{1,2})[/.\-](?P<m>\d{1,2})[/.\-](?P<y>\d{4})\b"),
)
_TIME_RE = re.compile(
    r"\b\d{1,2}[:.]\d{2}(?:[:.]\d{2})?\s*(?:wib|wita|wit|gmt|utc|am|pm|a\.m\.|p\.m\.)?"
    r"(?:\s*[+-]\d{1,2}(?::?\d{2})?)?\b\.?", re.I,
)
_TIME_AGO_RE = re.compile(
    r"(sekitar\s+|about\s+)?\d+\s+(detik|menit|jam|hari|minggu|bulan|tahun|seconds?|minutes?|"
    r"hours?|days?|weeks?|months?)\s+(yang\s+)?(lalu|ago)", re.I,
)
_DATE_FILLER = frozenset({
    "diterbitkan", "dipublikasikan", "dipublikasi", "terbit", "published", "posted", "updated",
    "diperbarui", "diperbaharui", "last", "pada", "on", "at", "pukul", "jam", "tanggal", "date",
    "publish", "wib", "wita", "wit", "gmt", "utc",
})


def _match_date(text: str) -> tuple[dt.date, re.Match[str]] | None:
    for pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            groups = m.groupdict()
            day, year = int(groups["d"]), int(groups["y"])
            month = _MONTHS[_fold(groups["mon"])] if groups.get("mon") else int(groups["m"])
            if "mon" not in groups and month > 12 >= day:
                day, month = month, day  # 05/19/2024: month first after all
            try:
                return dt.date(year, month, day), m
            except ValueError:
                continue
    return None


def parse_date_line(text: str) -> dt.date | None:
    """The date of a line that holds only a date (with day name, time, zone, labels), else None.

    'Minggu, 19 Mei 2024', 'Kamis, 27 April 2017 | 09:51 WIB', 'Thursday, 17 January 2019 09:11',
    '19/05/2024', '19 Mei 2024 10:15 WIB', 'Diterbitkan: 19 Mei 2024'.
    """
    found = _match_date(text)
    if found is None:
        return None
    date, m = found
    rest = _TIME_RE.sub(" ", text[: m.start()] + " " + text[m.end():])
    for token in re.findall(r"[^\W\d_]+(?:['’][^\W\d_]+)?", rest):
        if _fold(token) not in _DAYS and _fold(token) not in _DATE_FILLER:
            return None
    if re.search(r"\d", rest):
        return None
    return date


def _parse_metadata_date(value: str) -> dt.date | None:
    """A date from an HTML attribute: ISO 8601 first, then a written date, then dateutil."""
    value = value.strip()
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    found = _match_date(value)
    if found is not None:
        return found[0]
    try:
        parsed: dt.datetime = dateutil_parser.parse(value)
        return parsed.date()
    except (ValueError, OverflowError):
        return None


# --------------------------------------------------------------------------- line classes

_SECTION_LABELS = frozenset({
    "berita terbaru", "berita terkait", "berita lainnya", "berita lain", "berita populer",
    "berita pilihan", "berita rekomendasi", "berita utama", "artikel terkait", "artikel lainnya",
    "artikel terbaru", "artikel populer", "inframe", "edisi terbaru", "edisi lainnya",
    "edisi cetak",
    "populer", "terpopuler", "paling populer", "terpopuler hari ini", "rekomendasi",
    "rekomendasi untuk anda", "rekomendasi berita", "terkini", "terbaru", "berita terkini",
    "pilihan editor", "pilihan redaksi", "headline", "sidebar", "related",
    "related news", "related articles", "related posts", "related stories", "latest news",
    "latest", "most popular", "most read", "popular", "trending", "trending topics",
    "topik terkait", "topik pilihan", "more stories", "more news", "you may also like",
    "you might also like", "komentar", "comments", "leave a comment", "tinggalkan komentar",
    "tinggalkan balasan", "share", "share this", "share this article", "bagikan",
    "bagikan artikel", "bagikan berita", "tag", "tags", "topik", "kata kunci", "video pilihan",
    "video terkait", "video terbaru", "foto terkait", "galeri", "galeri foto", "newsletter",
    "berlangganan", "ikuti kami", "follow us", "baca berita lainnya", "lihat semua",
    "lihat selengkapnya", "selengkapnya", "iklan baris",
})
_END_PATTERNS = tuple(re.compile(p, re.I) for p in (
    r"(tags?|topik|topics?|kata kunci|keywords?|label)\s*[:：].*",
    r"(bagikan|share)(\s+(artikel|berita|this( article| post)?|ini|on|ke|via))?\s*[:：]?"
    r"(\W*(facebook|twitter|x|whatsapp|wa|telegram|line|linkedin|e-?mail|copy link|salin tautan|"
    r"salin link|link|fb|tw|pinterest)\W*)*",
    r"(editor|redaktur|penyunting|editing|penanggung jawab)\s*[:：].*",
    r"(penulis|pewarta|reporter|wartawan|kontributor|sumber|source)\s*[:：].*",
    r"(follow|ikuti)\b.*\b(whatsapp|channel|google news|saluran|instagram|telegram|twitter|"
    r"facebook|tiktok|youtube)\b.*",
    r"rate this (item|article)\b.*",
    r"read\s+[\d.,]+\s+times?",
    r"(telah\s+)?dibaca\s*[:：]?\s*[\d.,]+(\s*kali)?",
    r"written by\b.*",
    r"\(?\s*[\d.,]+\s+votes?\s*\)?",
    r"(©|\(c\)|copyright\b|hak cipta\b).*",
    r"ads?[-_][\w-]+",
    r"(sidebar|widget)([-_ ][\w-]+)?",
    r"(artikel|berita) ini (telah )?(tayang|terbit)\b.*",
    r"(komentar|comments?)\s*\(\d+\)|\d+\s+(komentar|comments?)",
    r"[\d.,]+\s*(views?|kali dibaca|x dibaca|dilihat)",
    r"more in this category\b.*",
    r"(published in|filed under|posted in|kategori)\s*:?\s*.{1,60}",
))
_NOISE_PATTERNS = tuple(re.compile(p, re.I) for p in (
    r"(advertisement|advertisment|iklan|sponsored|ads|ad|loading|memuat)\W*",
    r"scroll (to|untuk) (continue|resume|lanjut\w*)( with content| membaca)?\W*",
    r"(gulir|scroll)( ke bawah)? untuk (melanjutkan|lanjut)( membaca)?\W*",
    r"(lanjutkan|lanjut) membaca\b.{0,60}",
    r"\[?\s*gambas\s*:.*",
    _TIME_AGO_RE.pattern,
    r"(font size|ukuran (font|huruf))\b.{0,80}",
    r"(print|email|e-mail|cetak|pdf|a\+|a-)(\W+(print|email|e-mail|cetak|pdf|a\+|a-))*\W*",
    r".*(adsbygoogle|googletag|window\.|document\.|function\s*\().*",
))
_PROMO_RE = re.compile(
    r"^\W*(baca juga|baca pula|lihat juga|simak juga|cek juga|read also|also read|see also)\b"
    r"\s*[:：\-–—»>|]*\s*(?P<rest>.*)$", re.I,
)
_MENU_WORDS = frozenset({
    "home", "beranda", "depan", "utama", "berita", "news", "nasional", "national", "internasional",
    "international", "dunia", "world", "daerah", "regional", "nusantara", "ekonomi", "bisnis",
    "business", "politik", "politics", "hukum", "olahraga", "sport", "sports", "teknologi",
    "tekno", "tech", "opini", "opinion", "kolom", "video", "videos", "foto", "photo", "photos",
    "galeri", "gallery", "indeks", "index", "kanal", "login", "masuk", "daftar", "register",
    "logout", "search", "cari", "pencarian", "menu", "tentang", "kami", "about", "us", "kontak",
    "contact", "hubungi", "redaksi", "pedoman", "media", "siber", "iklan", "advertise",
    "subscribe", "berlangganan", "live", "tv", "lifestyle", "gaya", "hidup", "hiburan",
    "entertainment", "otomotif", "kesehatan", "health", "travel", "edukasi", "pendidikan", "sains",
    "trending", "terkini", "terbaru", "terpopuler", "populer", "pertahanan", "militer",
    "alutsista", "matra", "darat", "laut", "udara", "geopolitik", "keamanan", "industri",
    "inframe", "edisi", "majalah", "magazine", "e-paper", "epaper", "infografis", "infographic",
    "podcast", "more", "lainnya", "selengkapnya", "lihat", "semua", "all", "dan", "&", "print",
    "email", "cetak", "font", "size", "kirim", "artikel", "karir", "karier", "privacy", "policy",
    "kebijakan", "privasi", "disclaimer", "sitemap", "rss", "network", "jaringan",
})
_HOME_WORDS = frozenset({"home", "beranda", "index", "indeks", "depan", "halaman utama", "main"})
_BREADCRUMB_SPLIT = re.compile(r"\s*(?:/|›|»|>|\\|→)\s*")
_BYLINE_RE = re.compile(
    r"^(?P<label>penulis|ditulis oleh|oleh|reporter|pewarta|wartawan|written by|posted by|by|"
    r"kontributor|editor|redaktur|penyunting)\b\s*(?P<colon>[:：])?\s*(?P<name>\S.*)$", re.I,
)
_AUTHOR_LABELS = frozenset({
    "penulis", "ditulis oleh", "oleh", "reporter", "pewarta", "wartawan", "written by",
    "posted by", "by", "kontributor",
})
_SIGNOFF_RE = re.compile(
    r"^(?P<text>(?:.*[.!?…\"”’)])?)\s*\((?P<who>[A-Za-z]{1,6}(?:\s?/\s?[A-Za-z]{1,6}){0,3})\)\s*$",
)
_PLACE = r"[A-Z][A-Za-z'’.\-]*(?:\s+[A-Z][A-Za-z'’.\-]*){0,3}"
_DASH = r"(?:-{1,2}|–|—|‒)"
_DATELINE_RES = (
    re.compile(
        rf"^(?P<place>{_PLACE})\s*(?:,\s*(?P<agency>[A-Za-z][\w.]*(?:\s+[A-Z][\w.]*){{0,2}})\s*"
        rf"|\(\s*(?P<agency2>[A-Za-z][\w. ]{{0,30}}?)\s*\)\s*)?{_DASH}\s+"
        rf"(?P<rest>[\"“‘'(A-Z0-9].*)$",
    ),
    re.compile(
        rf"^(?P<agency>[A-Za-z][\w-]*\.(?:com|co\.id|id|net|org|tv)),\s*(?P<place>{_PLACE})\s*"
        rf"{_DASH}\s+(?P<rest>[\"“‘'(A-Z0-9].*)$",
    ),
)
_CAPTION_START = re.compile(
    r"^\(?\s*(?P<label>foto|photo|ilustrasi|illustration|keterangan foto|caption|gambar|image)\b"
    r"\s*[:：.\-–—]?\s*", re.I,
)
_CREDIT_TAIL = re.compile(
    r"^(?P<caption>.*?)\s*\(\s*(?:(?:foto|photo|dok|dokumentasi|sumber|source|kredit|credit)"
    r"\s*[:.]?\s*)?(?P<credit>[^()]{2,60})\)\s*$", re.I,
)
_CREDIT_INLINE = re.compile(
    r"^(?P<caption>.*?[.!?])\s*(?:foto|photo)\s*[:：]\s*(?P<credit>[^.]{2,60})$", re.I,
)


def _match_full(patterns: Iterable[re.Pattern[str]], text: str) -> bool:
    return any(p.fullmatch(text) for p in patterns)


def _is_section_label(text: str) -> bool:
    return _key(text) in _SECTION_LABELS


def _is_end_chrome(text: str) -> bool:
    """A line where the page's chrome starts once the article text has begun."""
    if _is_section_label(text):
        return True
    return len(_words(text)) <= 25 and _match_full(_END_PATTERNS, text)


def _is_noise(text: str) -> bool:
    """Ad slots and widget leftovers that can sit between two paragraphs."""
    return len(_words(text)) <= 15 and _match_full(_NOISE_PATTERNS, text)


def _is_menu(text: str) -> bool:
    tokens = [t for t in re.split(r"[\s|/•·›»>]+", _key(text)) if t]
    return bool(tokens) and all(t in _MENU_WORDS for t in tokens)


def _is_breadcrumb(text: str) -> bool:
    parts = [p for p in _BREADCRUMB_SPLIT.split(text) if p.strip()]
    if len(parts) < 2:
        return False
    if _key(parts[0]) in _HOME_WORDS:
        return True
    return all(len(_words(p)) <= 3 and _is_menu(p) for p in parts)


def _promo(text: str) -> str | None:
    """The promoted title of a 'Baca Juga: …' line ('' for a bare label), or None."""
    m = _PROMO_RE.match(text)
    if m is None:
        return None
    rest = m.group("rest").strip().strip("\"“”'‘’«»").strip()
    rest = re.sub(r"\s*[»›>]+$", "", rest)
    if len(_words(rest)) > 30:
        return None
    return rest


def _byline(text: str) -> tuple[str, str] | None:
    """(label, name) of a byline line such as 'Penulis: Budi' or 'Oleh Budi Santoso'."""
    m = _BYLINE_RE.match(text)
    if m is None:
        return None
    name = m.group("name").strip().rstrip(",;|")
    words = _words(name)
    if not 1 <= len(words) <= 6 or re.search(r"\d", name):
        return None
    if not m.group("colon") and not name[0].isupper():
        return None
    if name.endswith(".") and not re.search(r"\b[A-Z]\.$", name):
        return None
    return m.group("label").casefold(), name


def _meta_line(text: str) -> tuple[dt.date | None, str | None] | None:
    """(date, author) of a line made only of date, time and byline parts ('Oleh X | 19 Mei')."""
    date: dt.date | None = None
    author: str | None = None
    seen = False
    for part in re.split(r"\s*[|•·]\s*", text):
        part = part.strip()
        if not part or _TIME_RE.fullmatch(part) or _TIME_AGO_RE.fullmatch(part):
            continue
        part_date = parse_date_line(part)
        if part_date is not None:
            date = date or part_date
            seen = True
            continue
        byline = _byline(part)
        if byline is None:
            return None
        seen = True
        if byline[0] in _AUTHOR_LABELS:
            author = author or byline[1]
    return (date, author) if seen else None


def _caption(text: str) -> tuple[str | None, str | None] | None:
    """(caption, credit) of a photo caption line ('Foto: …', '… (Foto: …)', 'Ilustrasi …')."""
    if len(_words(text)) > 60:
        return None
    start = _CAPTION_START.match(text)
    tail = _CREDIT_TAIL.match(text)
    if tail is not None:
        opening = text[len(tail.group("caption")):]
        labelled = re.match(r"\s*\(\s*(foto|photo|dok|dokumentasi|sumber|source|kredit|credit)\b",
                            opening, re.I)
        credit = tail.group("credit")
        if not (labelled or ("/" in credit and re.search(r"[A-Z]", credit))):
            tail = None
    inline = _CREDIT_INLINE.match(text)
    if start is None and tail is None and inline is None:
        return None
    caption: str = text
    credit_part: str | None = None
    if tail is not None:
        caption, credit_part = tail.group("caption"), tail.group("credit").strip()
    elif inline is not None:
        caption, credit_part = inline.group("caption"), inline.group("credit").strip()
    if start is not None and caption.startswith(start.group(0)) and \
            start.group("label").casefold() not in {"ilustrasi", "illustration"}:
        caption = caption[start.end():]
        inner = _CREDIT_INLINE.match(caption)
        if credit_part is None and inner is not None:
            caption, credit_part = inner.group("caption"), inner.group("credit").strip()
        elif credit_part is None and len(_words(caption)) <= 5 and not _ends_sentence(caption):
            caption, credit_part = "", caption
    return caption.strip().strip("()").strip() or None, credit_part or None


def _dateline(text: str) -> tuple[str, str | None, str] | None:
    """(place, agency, rest) of a first paragraph that opens with 'Jakarta, IDM –' & co."""
    for pattern in _DATELINE_RES:
        m = pattern.match(text)
        if m is None:
            continue
        groups = m.groupdict()
        place = m.group("place")
        agency = groups.get("agency") or groups.get("agency2")
        if _key(place) in _SECTION_LABELS or _fold(place.split()[0]) in _DAYS:
            continue
        if place.isupper():
            place = place.title()
        if agency and agency.isupper() and len(agency) > 4:
            agency = agency.title()
        return place, agency, m.group("rest")
    return None


# --------------------------------------------------------------------------- blocks

@dataclass
class _Block:
    text: str
    line: int | None = None
    kind: str = "p"  # "p" paragraph, "h" heading, "list" (text = items joined by "\n"), "quote"


def _text_blocks(text: str) -> list[_Block]:
    """One block per line of a paste; hard-wrapped prose (email style) is joined back."""
    groups: list[list[tuple[int, str]]] = [[]]
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _norm(raw)
        if line:
            groups[-1].append((number, line))
        elif groups[-1]:
            groups.append([])
    blocks: list[_Block] = []
    for group in groups:
        if _is_wrapped([line for _, line in group]):
            blocks.append(_Block(" ".join(line for _, line in group), group[0][0]))
        else:
            blocks.extend(_Block(line, number) for number, line in group)
    return blocks


def _is_special(line: str) -> bool:
    return (_promo(line) is not None or _is_end_chrome(line) or _is_noise(line)
            or _meta_line(line) is not None or _caption(line) is not None)


def _is_wrapped(lines: list[str]) -> bool:
    if len(lines) < 2 or any(_is_special(line) for line in lines):
        return False
    if not all(40 <= len(line) <= 100 for line in lines[:-1]):
        return False
    if all(_ends_sentence(line) for line in lines[:-1]):
        return False
    last_word = lines[0].split()[-1]
    return len(lines) >= 3 or lines[1][:1].islower() or lines[1][:1].isdigit() \
        or last_word[:1].islower()


def _xml_blocks(xml: str) -> list[_Block]:
    root = etree.fromstring(xml.encode("utf-8"))
    main = root.find("main")
    blocks: list[_Block] = []
    if main is None:
        return blocks
    for element in main.iter():  # source line breaks are plain spaces in HTML; <lb/> is not
        element.text = element.text.replace("\n", " ") if element.text else element.text
        element.tail = element.tail.replace("\n", " ") if element.tail else element.tail
    for lb in main.iter("lb"):
        lb.tail = "\n" + (lb.tail or "")

    def add(text: str | None, kind: str) -> None:
        for piece in (text or "").split("\n"):
            piece = _norm(piece)
            if piece:
                blocks.append(_Block(piece, kind=kind))

    add(main.text, "p")
    for element in main:
        if element.tag == "list":
            items = [_norm("".join(item.itertext())) for item in element.iter("item")]
            items = [item for item in items if item]
            if items:
                blocks.append(_Block("\n".join(items), kind="list"))
        else:
            add("".join(element.itertext()),
                {"head": "h", "quote": "quote"}.get(str(element.tag), "p"))
        add(element.tail, "p")  # loose text between elements, e.g. a date line
    return blocks


# --------------------------------------------------------------------------- HTML metadata

@dataclass
class _PageMeta:
    title: str | None = None
    date: dt.date | None = None
    url: str | None = None
    author: str | None = None
    related: list[str] = field(default_factory=list)
    caption: str | None = None
    credit: str | None = None


def _strip_site_suffix(title: str, site: str | None) -> str:
    parts = re.split(r"\s+[|–—-]\s+", title)
    if len(parts) > 1 and (len(_words(parts[-1])) <= 4 or (site and _key(parts[-1]) == _key(site))):
        head = title[: title.rfind(parts[-1])]
        return re.sub(r"\s+[|–—-]\s+$", "", head).strip()
    return title.strip()


def _page_meta(page: str) -> _PageMeta:
    meta = _PageMeta()
    page = re.sub(r"^\s*<\?xml[^>]*\?>", "", page)
    try:
        doc = lxml_html.document_fromstring(page)
    except (etree.ParserError, ValueError):
        return meta

    def attr(xpath: str, **names: str) -> str | None:
        for value in doc.xpath(xpath, **names):
            value = _norm(str(value))
            if value:
                return value
        return None

    def meta_content(*names: str) -> str | None:
        for name in names:
            value = attr("//meta[@property=$n or @name=$n or @itemprop=$n]/@content", n=name)
            if value:
                return value
        return None

    site = meta_content("og:site_name")
    og_title = meta_content("og:title", "twitter:title")
    page_title = _norm(doc.findtext(".//title") or "") or None
    meta.title = _page_title(doc, og_title, page_title, site)

    raw_date = meta_content("article:published_time", "og:published_time", "datePublished",
                            "pubdate", "publishdate", "publish-date", "date", "dc.date",
                            "DC.date.issued", "parsely-pub-date", "sailthru.date")
    if raw_date is None:
        for script in doc.xpath("//script[@type='application/ld+json']/text()"):
            found = re.search(r'"datePublished"\s*:\s*"([^"]+)"', str(script))
            if found:
                raw_date = found.group(1)
                break
    if raw_date is None:
        raw_date = attr("//time/@datetime")
    if raw_date is not None:
        meta.date = _parse_metadata_date(raw_date)
    if meta.date is None:
        meta.date = _visible_date(doc, meta.title)

    meta.url = attr("//link[@rel='canonical']/@href") or meta_content("og:url")
    region = _article_region(doc, meta.title)
    meta.author = _visible_author(region)
    author = meta_content("author", "article:author", "dc.creator")
    if meta.author is None and author and not re.search(r"https?:|www\.|\.com\b", author):
        meta.author = author
    meta.related = _html_promos(region)
    for element in region.iter("figcaption", "p"):  # the lead photo's, above the text
        text = _norm(element.text_content())
        if element.tag == "p" and (len(_words(text)) >= 25 or _dateline(text)):
            break
        if element.tag == "figcaption" and text:
            meta.caption, meta.credit = _caption(text) or (text, None)
            break
    return meta


_CHROME_ATTR = re.compile(r"menu|logo|brand|site-?(title|name|header)|navbar|masthead", re.I)


def _is_chrome_element(element: Any) -> bool:
    for node in [element, *element.iterancestors()]:
        if node.tag in {"nav", "aside", "footer"}:
            return True
        if _CHROME_ATTR.search(f"{node.get('class', '')} {node.get('id', '')}"):
            return True
    return False


def _page_title(doc: Any, og_title: str | None, page_title: str | None,
                site: str | None) -> str | None:
    """The headline: an <h1> that agrees with og:title / <title>, else og:title, else an <h1>."""
    h1s = [_norm(h.text_content()) for h in doc.iter("h1") if not _is_chrome_element(h)]
    h1s = [h for h in h1s if len(_words(h)) >= 2]
    titles = [t for t in (og_title, page_title) if t]
    stripped = [_strip_site_suffix(t, site) for t in titles]
    for h1 in h1s:
        if any(_key(h1) == _key(t) for t in stripped):
            return h1
    for h1 in h1s:
        if any(_key(t).startswith(_key(h1)) for t in titles):
            return h1
    if og_title:
        return _strip_site_suffix(og_title, site)
    if h1s:
        return h1s[0]
    return stripped[0] if stripped else None


def _visible_author(region: Any) -> str | None:
    """The name in the first byline of the article ('Oleh: …', 'Penulis: …'), if any."""
    for element in region.iter():
        if not isinstance(element.tag, str) or element.tag in {"script", "style"}:
            continue
        if len(list(itertools.islice(element.iterdescendants(), 5))) > 4:
            continue  # only small elements: a byline is a line, not a section
        for part in re.split(r"\s*[|•·]\s*", _norm(element.text_content())):
            byline = _byline(part) if len(part) <= 80 else None
            if byline is not None and byline[0] in _AUTHOR_LABELS:
                return byline[1]
    return None


def _article_region(doc: Any, title: str | None) -> Any:
    """The <article> holding the headline (or the longest one), else <main>, else <body>."""
    articles = list(doc.iter("article"))
    if title:
        holding = [a for a in articles
                   if any(_key(_norm(h.text_content())) == _key(title) for h in a.iter("h1"))]
        articles = holding or articles
    if articles:
        return max(articles, key=lambda a: len(a.text_content()))
    main = next(doc.iter("main"), None)
    return main if main is not None else doc.body


def _html_promos(region: Any) -> list[str]:
    """Titles of 'Baca Juga' promos in the page, which main-content extraction may drop."""
    titles: list[str] = []
    seen: set[Any] = set()  # the elements themselves: lxml proxies' id() is not stable
    for element in region.iter():
        if not isinstance(element.tag, str) or element.tag in {"script", "style"}:
            continue
        if _promo(_norm(element.text or "")) is None:
            continue
        container = element
        for _ in range(3):
            text = _norm(container.text_content())
            if container.xpath(".//a") or (_promo(text) or ""):
                break
            parent = container.getparent()
            if parent is None:
                break
            container = parent
        if container in seen:
            continue
        seen.add(container)
        links = [_norm(a.text_content()) for a in container.iter("a")]
        found = [t for t in links if t] or [_promo(_norm(container.text_content())) or ""]
        titles.extend(t for t in found if t and t not in titles)
    return titles


def _visible_date(doc: Any, title: str | None) -> dt.date | None:
    """The first date line in the page text, preferring one after the headline."""
    before: dt.date | None = None
    seen_title = title is None
    for element in doc.iter():
        if not isinstance(element.tag, str) or element.tag in {"script", "style", "noscript"}:
            continue
        text = _norm(element.text or "")
        if not text:
            continue
        if title and _key(text) == _key(title):
            seen_title = True
            continue
        date = parse_date_line(text)
        if date is not None:
            if seen_title:
                return date
            before = before or date
    return before


# --------------------------------------------------------------------------- the clean-up

@dataclass
class _Parsed:
    title: str | None = None
    title_line: int | None = None
    date: dt.date | None = None
    author: str | None = None
    dek: str | None = None
    dateline: str | None = None
    agency: str | None = None
    caption: str | None = None
    credit: str | None = None
    related: list[str] = field(default_factory=list)
    paragraphs: list[_Block] = field(default_factory=list)
    stripped: list[str] = field(default_factory=list)


def _find_body_start(blocks: Sequence[_Block], known_title: str | None) -> int:
    """Index of the article's first paragraph: the dateline paragraph, else the first prose
    paragraph that is not followed by date, byline or caption lines (then it is a standfirst)."""
    for i, block in enumerate(blocks[:40]):
        if (block.kind == "p" and (i > 0 or known_title) and _promo(block.text) is None
                and _dateline(block.text) and len(_words(block.text)) >= 12):
            return i
    i = 0
    while i < len(blocks):
        block = blocks[i]
        if block.kind == "p" and _is_prose(block.text) and _promo(block.text) is None \
                and _caption(block.text) is None and not _is_noise(block.text):
            j = i + 1
            while j < len(blocks) and (_is_noise(blocks[j].text) or _promo(blocks[j].text) == ""):
                j += 1
            follows_meta = j < len(blocks) and (
                _meta_line(blocks[j].text) is not None or _caption(blocks[j].text) is not None)
            if not follows_meta:
                return i
        i += 1
    return len(blocks)


def _parse_header(header: Sequence[_Block], known_title: str | None, out: _Parsed) -> None:
    candidates: list[_Block] = []
    separators: list[int] = []  # positions in `candidates` where a menu/section/breadcrumb line was
    chrome: list[_Block] = []
    i = 0
    while i < len(header):
        block = header[i]
        text = block.text
        i += 1
        if known_title and _key(text) == _key(known_title):
            continue
        meta = _meta_line(text)
        if meta is not None:
            out.date = out.date or meta[0]
            out.author = out.author or meta[1]
            continue
        promo = _promo(text)
        if promo is not None:
            if promo:
                out.related.append(promo)
            elif (candidates or known_title) and i < len(header) and _is_headline(header[i].text) \
                    and not _is_prose(header[i].text):
                out.related.append(header[i].text)
                i += 1
            else:
                out.stripped.append(f"empty '{text}' label")
            continue
        caption = _caption(text)
        if caption is not None and (candidates or known_title or out.date):
            out.caption = out.caption or caption[0]
            out.credit = out.credit or caption[1]
            continue
        if _is_section_label(text) or _is_breadcrumb(text) or (
                _is_menu(text) and len(_words(text)) >= 3):
            separators.append(len(candidates))
            chrome.append(block)
            continue
        if _is_end_chrome(text) or _is_noise(text) or len(_words(text)) <= 2:
            chrome.append(block)
            continue
        candidates.append(block)

    considered = candidates[separators[-1]:] if separators else candidates
    if not considered:
        considered = candidates
    used: list[_Block] = []
    rest = list(considered)
    if known_title:
        out.title = known_title
    else:
        # The last headline before the text: tickers and site names come above the headline;
        # a standfirst (a sentence) may come below it.
        headlines = [b for b in considered if _is_headline(b.text)]
        title = headlines[-1] if headlines else None
        if title is not None:
            out.title, out.title_line = title.text, title.line
            used.append(title)
            rest = considered[considered.index(title) + 1:]
    if out.title and rest and len(_words(rest[0].text)) <= 80:
        out.dek = rest[0].text
        used.append(rest[0])
    chrome.extend(b for b in candidates if all(b is not u for u in used))
    if chrome:
        first = min(chrome, key=lambda b: next(i for i, h in enumerate(header) if h is b))
        out.stripped.append(f"top chrome: {_plural(len(chrome), 'line')} "
                            f"(from '{_shorten(first.text)}')")


def _parse_body(body: Sequence[_Block], out: _Parsed) -> list[_Block]:
    """Article paragraphs; promos, ad slots and everything from the first chrome line on go."""
    paragraphs: list[_Block] = []
    promos = noise = 0
    cut: int | None = None
    i = 0
    while i < len(body):
        block = body[i]
        text = block.text
        if paragraphs and block.kind != "list" and _is_end_chrome(text):
            cut = i
            break
        promo = _promo(text) if block.kind != "list" else None
        if promo is not None:
            promos += 1
            following = body[i + 1] if i + 1 < len(body) else None
            if promo:
                out.related.append(promo)
            elif following is not None and following.kind == "list":
                out.related.extend(following.text.split("\n"))
                i += 1
            elif following is not None and _is_headline(following.text) \
                    and not _is_end_chrome(following.text):
                out.related.append(following.text)
                i += 1
            i += 1
            continue
        if block.kind != "list" and _is_noise(text):
            noise += 1
            i += 1
            continue
        signoff = _SIGNOFF_RE.match(text) if block.kind == "p" else None
        if signoff is not None and not _is_signoff(signoff.group("who"), body[i + 1:]):
            signoff = None
        if signoff is not None and (paragraphs or signoff.group("text")):
            out.author = out.author or signoff.group("who").replace(" ", "")
            out.stripped.append(f"sign-off '({signoff.group('who')})'")
            if signoff.group("text").strip():
                paragraphs.append(_Block(signoff.group("text").strip(), block.line, block.kind))
            cut = i + 1 if i + 1 < len(body) else None
            break
        paragraphs.append(block)
        i += 1
    if promos:
        out.stripped.append(f"{_plural(promos, 'Baca Juga promo')}")
    if noise:
        out.stripped.append(f"{_plural(noise, 'ad/widget line')}")
    if cut is not None:
        rest = body[cut:]
        for block in rest:
            if _is_section_label(block.text):
                break
            byline = _byline(block.text)
            if byline is not None and byline[0] in _AUTHOR_LABELS:
                out.author = out.author or byline[1]
                break
        out.stripped.append(f"site chrome from '{_shorten(rest[0].text)}' "
                            f"({_plural(len(rest), 'line')})")
    trailing = 0
    while len(paragraphs) > 1 and (paragraphs[-1].kind == "h" or (
            paragraphs[-1].kind == "p" and _is_headline(paragraphs[-1].text)
            and not _ends_sentence(paragraphs[-1].text)
            and len(_words(paragraphs[-1].text)) <= 15)):
        paragraphs.pop()
        trailing += 1
    if trailing:
        out.stripped.append(f"{_plural(trailing, 'trailing headline line')}")
    return paragraphs


def _is_signoff(who: str, after: Sequence[_Block]) -> bool:
    """'(bp)', '(rr/ant)' end an article; an all-capitals '(AFP)' only when the chrome follows,
    since mid-text it may be an acronym in brackets."""
    if "/" in who or any(ch.islower() for ch in who):
        return True
    following = next((b for b in after if not _is_noise(b.text)), None)
    return following is None or _is_end_chrome(following.text)


def _parse(blocks: list[_Block], known_title: str | None) -> _Parsed:
    out = _Parsed()
    start = _find_body_start(blocks, known_title)
    _parse_header(blocks[:start], known_title, out)
    paragraphs = _parse_body(blocks[start:], out)
    if paragraphs and paragraphs[0].kind == "p":
        found = _dateline(paragraphs[0].text)
        if found is not None:
            out.dateline, out.agency, rest = found
            prefix = paragraphs[0].text[: len(paragraphs[0].text) - len(rest)].strip()
            out.stripped.insert(0, f"dateline '{prefix}'")
            paragraphs[0] = _Block(rest, paragraphs[0].line, "p")
    out.paragraphs = paragraphs
    return out


# --------------------------------------------------------------------------- Markdown

def escape_markdown(text: str) -> str:
    """Escape what CommonMark would read as markup in a plain-text paragraph."""
    text = text.replace("\\", "\\\\")
    text = re.sub(r"([*_`<\[\]])", r"\\\1", text)
    text = re.sub(r"&(?=#?\w+;)", r"\\&", text)
    lines = []
    for line in text.split("\n"):
        if re.match(r"#{1,6}(\s|$)", line) or re.match(r"[-+>=~]", line):
            line = "\\" + line
        else:
            line = re.sub(r"^(\d{1,9})([.)])(?=\s|$)", r"\1\\\2", line)
        lines.append(line)
    return "\n".join(lines)


def _render_block(block: _Block) -> str:
    if block.kind == "h":
        return "## " + escape_markdown(block.text).lstrip("\\")
    if block.kind == "list":
        return "\n".join("- " + escape_markdown(item) for item in block.text.split("\n"))
    if block.kind == "quote":
        return "> " + escape_markdown(block.text)
    return escape_markdown(block.text)


# --------------------------------------------------------------------------- decoding and reading

def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _looks_like_text(text: str) -> bool:
    if re.search(r"[\x00-\x08\x0b\x0e-\x1f\x7f]", text):
        return False
    plain = sum(1 for ch in text if ch.isprintable() or ch.isspace())
    ascii_share = sum(1 for ch in text if ord(ch) < 128) / max(len(text), 1)
    return plain == len(text) and ascii_share >= 0.85


def decode_source(data: bytes, path: Path) -> str:
    """Text of a source: UTF-8 (with or without BOM), UTF-16 with BOM, or clean cp1252."""
    if not data.strip():
        raise EditionError.single("source is empty", path, None,
                                  "save the article text or the web page into it", "collect-empty")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as err:
            raise EditionError.single(
                "source has a UTF-16 byte-order mark but is not valid UTF-16",
                path, _line_of(data, err.start), "save it as UTF-8", "collect-encoding") from err
    nul = data.find(b"\x00")
    if nul >= 0:
        raise EditionError.single(
            "source is binary data, not text (NUL byte)", path, _line_of(data, nul),
            "collect a saved web page (.html) or a plain-text paste (.txt)", "collect-binary")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        first_error = err
    try:
        fallback = data.decode("cp1252")
    except UnicodeDecodeError:
        fallback = None
    if fallback is not None and _looks_like_text(fallback):
        return fallback
    bad = data[first_error.start]
    raise EditionError.single(
        f"source is neither UTF-8 nor cp1252 text (byte 0x{bad:02x} cannot be decoded)",
        path, _line_of(data, first_error.start), "save the file as UTF-8 text",
        "collect-encoding") from first_error


def read_source(source: str, stdin: BinaryIO | None = None) -> tuple[bytes, str]:
    """The bytes of a source (a path, or '-' for standard input) and its display name."""
    if source == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer
        return stream.read(), "stdin"
    path = Path(source)
    try:
        return path.read_bytes(), source
    except FileNotFoundError as err:
        raise EditionError.single("source file not found", path, None,
                                  "check the path; use - to read standard input",
                                  "collect-missing") from err
    except IsADirectoryError as err:
        raise EditionError.single("source is a folder, not a file", path, None,
                                  "name the saved page or text file itself",
                                  "collect-missing") from err
    except PermissionError as err:
        raise EditionError.single("source file cannot be read (permission denied)", path, None,
                                  "check the file's permissions", "collect-missing") from err


def _looks_like_html(source: str, text: str) -> bool:
    if source.lower().endswith(HTML_SUFFIXES):
        return True
    head = text.lstrip()[:5000]
    return head.startswith("<") or re.search(r"<html[\s>]", head, re.I) is not None


# --------------------------------------------------------------------------- one article

def slugify(title: str, max_words: int = 6, max_chars: int = 60) -> str:
    """Lowercase ASCII words of the title joined by '-', at most max_words / max_chars."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", re.sub(r"['’]", "", ascii_title.lower()))
    chosen: list[str] = []
    for word in words[:max_words]:
        if len("-".join([*chosen, word])) > max_chars:
            break
        chosen.append(word)
    if not chosen and words:
        chosen = [words[0][:max_chars]]
    return "-".join(chosen) or "artikel"


def collect_article(text: str | bytes, source: str) -> CollectedArticle:
    """Parse one source (a saved web page or a text paste) into an article."""
    path = Path(source)
    if isinstance(text, bytes):
        text = decode_source(text, path)
    if not text.strip():
        raise EditionError.single("source is empty", path, None,
                                  "save the article text or the web page into it", "collect-empty")
    known_title: str | None = None
    page = _PageMeta()
    html = _looks_like_html(source, text)
    if html:
        page = _page_meta(text)
        known_title = page.title
        xml = trafilatura.extract(
            re.sub(r"^\s*<\?xml[^>]*\?>", "", text), output_format="xml", include_comments=False,
            include_tables=False, include_images=False, include_links=False, with_metadata=False)
        blocks = _xml_blocks(xml) if xml else []
    else:
        blocks = _text_blocks(text)
    if not blocks:
        raise EditionError.single("no article text found", path, None, _NO_TEXT_HINT,
                                  "collect-no-body")

    parsed = _parse(blocks, known_title)
    if not parsed.paragraphs and (known_title is not None or html):
        raise EditionError.single("no article text found", path, None, _NO_TEXT_HINT,
                                  "collect-no-body")
    if not parsed.title:
        first = blocks[0].line
        raise EditionError.single(
            "no recognisable title (no headline line before the article text)", path, first,
            "put the headline on a line of its own above the text", "collect-no-title")
    if not parsed.paragraphs:
        raise EditionError.single("no article text found after the title", path, parsed.title_line,
                                  "the paste should hold the article's paragraphs",
                                  "collect-no-body")

    front: dict[str, Any] = {"title": parsed.title}
    author = parsed.author or page.author
    date = page.date or parsed.date
    for key, value in (("author", author), ("date", date.isoformat() if date else None),
                       ("dek", parsed.dek), ("dateline", parsed.dateline),
                       ("agency", parsed.agency),
                       ("lead_caption", parsed.caption or page.caption),
                       ("credit", parsed.credit or page.credit)):
        if value:
            front[key] = value
    related = list(page.related)
    related += [t for t in parsed.related if _key(t) not in {_key(r) for r in related}]
    page_only = len(related) - len(parsed.related)
    if page_only:
        parsed.stripped.append(f"{_plural(page_only, 'Baca Juga promo')} (in the page)")
    if known_title is not None:
        parsed.stripped.append("page layout around the article (trafilatura)")
    if related:
        front["related"] = related
    front["source"] = page.url or path.name

    body = "\n\n".join(_render_block(b) for b in parsed.paragraphs) + "\n"
    words = sum(len(_words(b.text)) for b in parsed.paragraphs)
    return CollectedArticle(slugify(parsed.title), front, body, source, words, parsed.stripped)


def render_article_file(article: CollectedArticle) -> str:
    """The article file: YAML front matter between '---' lines, a blank line, the body."""
    front = dict(article.front_matter)
    if isinstance(front.get("date"), str):
        front["date"] = dt.date.fromisoformat(front["date"])
    dumped: str = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=10_000)
    return "---\n" + dumped + "---\n\n" + article.body


def report_lines(article: CollectedArticle) -> list[str]:
    """What `edition collect` tells about one source."""
    fm = article.front_matter
    return [
        f"{article.source} -> articles/{article.slug}.md",
        f"  title:    {fm['title']}",
        f"  date:     {fm.get('date', '(none found)')}",
        f"  words:    {article.word_count}",
        f"  stripped: {'; '.join(article.stripped) if article.stripped else 'nothing'}",
    ]


# --------------------------------------------------------------------------- into the issue

def _add_to_rubric(doc: tomlkit.TOMLDocument, rubric: str, slugs: Sequence[str],
                   toml_path: Path) -> list[Finding]:
    def problem(message: str) -> list[Finding]:
        return [Finding(message, Location(toml_path), "fix issue.toml by hand first",
                        "collect-issue-toml")]

    rubrics = doc.get("rubrics")
    if rubrics is None:
        table = tomlkit.table()
        table["name"] = rubric
        table["articles"] = tomlkit.array()
        doc.append("rubrics", tomlkit.aot())
        doc["rubrics"].append(table)
        rubrics = doc["rubrics"]
    if not isinstance(rubrics, (AoT, Array)):
        return problem("'rubrics' is not an array of tables")
    entry: Table | InlineTable | None = None
    for item in rubrics:
        if not isinstance(item, (Table, InlineTable)):
            return problem("'rubrics' holds something that is not a table")
        if item.get("name") == rubric:
            entry = item
            break
    if entry is None:
        if isinstance(rubrics, AoT):
            entry = tomlkit.table()
            entry["name"] = rubric
            entry["articles"] = tomlkit.array()
            entry.add(tomlkit.nl())
        else:
            entry = tomlkit.inline_table()
            entry["name"] = rubric
            entry["articles"] = tomlkit.array()
        rubrics.append(entry)
        entry = rubrics[-1]
    articles = entry.get("articles")
    if articles is None:
        entry["articles"] = tomlkit.array()
        articles = entry["articles"]
    if not isinstance(articles, Array):
        return problem(f"'articles' of rubric '{rubric}' is not an array")
    everywhere = {str(s) for item in rubrics for s in (item.get("articles") or [])}
    for slug in slugs:
        if slug not in everywhere:
            articles.append(slug)
            everywhere.add(slug)
    return []


def _write_atomic(path: Path, text: str) -> None:
    """Write via a temp file in the same folder and os.replace, keeping the old file's mode."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def collect_into(sources: list[str], issue_dir: Path, rubric: str | None = None,
                 force: bool = False, stdin: BinaryIO | None = None) -> list[CollectedArticle]:
    """Collect every source into issue_dir/articles and the rubric's list in issue.toml.

    All sources are read and checked first; if anything is wrong, EditionError carries every
    finding and nothing is written.
    """
    rubric = rubric or DEFAULT_RUBRIC
    findings: list[Finding] = []
    toml_path = issue_dir / "issue.toml"
    doc: tomlkit.TOMLDocument | None = None
    if not toml_path.is_file():
        findings.append(Finding(
            "not an issue folder: issue.toml is missing", Location(issue_dir),
            "pass the issue folder with --into, e.g. --into issues/2024-05", "collect-not-issue"))
    else:
        with open(toml_path, encoding="utf-8", newline="") as handle:
            toml_text = handle.read()
        try:
            doc = tomlkit.parse(toml_text)
        except TomlParseError as err:
            findings.append(Finding(f"issue.toml is not valid TOML: {err}",
                                    Location(toml_path, err.line), "fix issue.toml first",
                                    "collect-issue-toml"))

    articles: list[CollectedArticle] = []
    for source in sources:
        try:
            data, name = read_source(source, stdin)
            articles.append(collect_article(data, name))
        except EditionError as err:
            findings.extend(err.findings)

    targets: dict[str, CollectedArticle] = {}
    for article in articles:
        target = issue_dir / "articles" / f"{article.slug}.md"
        if article.slug in targets:
            findings.append(Finding(
                f"two sources give the same article '{article.slug}' "
                f"(also from {targets[article.slug].source})", Location(Path(article.source)),
                "collect them one at a time", "collect-duplicate"))
            continue
        targets[article.slug] = article
        if target.exists() and not force:
            findings.append(Finding(
                f"article '{article.slug}' already exists", Location(target),
                "use --force to overwrite it", "collect-exists"))

    if doc is not None and articles:
        findings.extend(_add_to_rubric(doc, rubric, [a.slug for a in articles], toml_path))
    if findings:
        raise EditionError(findings)
    assert doc is not None

    (issue_dir / "articles").mkdir(exist_ok=True)
    for article in articles:
        _write_atomic(issue_dir / "articles" / f"{article.slug}.md", render_article_file(article))
    _write_atomic(toml_path, tomlkit.dumps(doc))
    return articles
