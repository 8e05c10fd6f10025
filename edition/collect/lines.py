"""What a line of a news page is: chrome, a promo, a byline, a date, a caption, a dateline."""
# ruff: noqa: RUF001, RUF002  (typographic dashes, quotes and colons are matched on purpose)

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from edition.collect.dates import DAY_NAMES, TIME_AGO_RE, TIME_RE, parse_date_line
from edition.collect.text import ends_sentence, fold_word, label_key, words_of

_SECTION_LABELS = frozenset(
    {
        "berita terbaru",
        "berita terkait",
        "berita lainnya",
        "berita lain",
        "berita populer",
        "berita pilihan",
        "berita rekomendasi",
        "berita utama",
        "artikel terkait",
        "artikel lainnya",
        "artikel terbaru",
        "artikel populer",
        "inframe",
        "edisi terbaru",
        "edisi lainnya",
        "edisi cetak",
        "populer",
        "terpopuler",
        "paling populer",
        "terpopuler hari ini",
        "rekomendasi",
        "rekomendasi untuk anda",
        "rekomendasi berita",
        "terkini",
        "terbaru",
        "berita terkini",
        "pilihan editor",
        "pilihan redaksi",
        "headline",
        "sidebar",
        "related",
        "related news",
        "related articles",
        "related posts",
        "related stories",
        "latest news",
        "latest",
        "most popular",
        "most read",
        "popular",
        "trending",
        "trending topics",
        "topik terkait",
        "topik pilihan",
        "more stories",
        "more news",
        "you may also like",
        "you might also like",
        "komentar",
        "comments",
        "leave a comment",
        "tinggalkan komentar",
        "tinggalkan balasan",
        "share",
        "share this",
        "share this article",
        "bagikan",
        "bagikan artikel",
        "bagikan berita",
        "tag",
        "tags",
        "topik",
        "kata kunci",
        "video pilihan",
        "video terkait",
        "video terbaru",
        "foto terkait",
        "galeri",
        "galeri foto",
        "newsletter",
        "berlangganan",
        "ikuti kami",
        "follow us",
        "baca berita lainnya",
        "lihat semua",
        "lihat selengkapnya",
        "selengkapnya",
        "iklan baris",
    }
)
_END_PATTERNS = tuple(
    re.compile(p, re.I)
    for p in (
        r"(tags?|topik|topics?|kata kunci|keywords?|label)\s*[:：].*",
        # One way only to split a row of share buttons into names (a word boundary after
        # each): nested optional separators made this backtrack exponentially.
        r"(bagikan|share)(\s+(artikel|berita|this( article| post)?|ini|on|ke|via))?\s*[:：]?"
        r"(?:\W*\b(?:facebook|twitter|x|whatsapp|wa|telegram|line|linkedin|e-?mail|copy link|"
        r"salin tautan|salin link|link|fb|tw|pinterest)\b)*\W*",
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
    )
)
_NOISE_PATTERNS = tuple(
    re.compile(p, re.I)
    for p in (
        r"(advertisement|advertisment|iklan|sponsored|ads|ad|loading|memuat)\W*",
        r"scroll (to|untuk) (continue|resume|lanjut\w*)( with content| membaca)?\W*",
        r"(gulir|scroll)( ke bawah)? untuk (melanjutkan|lanjut)( membaca)?\W*",
        r"(lanjutkan|lanjut) membaca\b.{0,60}",
        r"\[?\s*gambas\s*:.*",
        TIME_AGO_RE.pattern,
        r"(font size|ukuran (font|huruf))\b.{0,80}",
        r"(print|email|e-mail|cetak|pdf|a\+|a-)(\W+(print|email|e-mail|cetak|pdf|a\+|a-))*\W*",
        r".*(adsbygoogle|googletag|window\.|document\.|function\s*\().*",
    )
)
_PROMO_RE = re.compile(
    r"^\W*(baca juga|baca pula|lihat juga|simak juga|cek juga|read also|also read|see also)\b"
    r"\s*[:：\-–—»>|]*\s*(?P<rest>.*)$",
    re.I,
)
_MENU_WORDS = frozenset(
    {
        "home",
        "beranda",
        "depan",
        "utama",
        "berita",
        "news",
        "nasional",
        "national",
        "internasional",
        "international",
        "dunia",
        "world",
        "daerah",
        "regional",
        "nusantara",
        "ekonomi",
        "bisnis",
        "business",
        "politik",
        "politics",
        "hukum",
        "olahraga",
        "sport",
        "sports",
        "teknologi",
        "tekno",
        "tech",
        "opini",
        "opinion",
        "kolom",
        "video",
        "videos",
        "foto",
        "photo",
        "photos",
        "galeri",
        "gallery",
        "indeks",
        "index",
        "kanal",
        "login",
        "masuk",
        "daftar",
        "register",
        "logout",
        "search",
        "cari",
        "pencarian",
        "menu",
        "tentang",
        "kami",
        "about",
        "us",
        "kontak",
        "contact",
        "hubungi",
        "redaksi",
        "pedoman",
        "media",
        "siber",
        "iklan",
        "advertise",
        "subscribe",
        "berlangganan",
        "live",
        "tv",
        "lifestyle",
        "gaya",
        "hidup",
        "hiburan",
        "entertainment",
        "otomotif",
        "kesehatan",
        "health",
        "travel",
        "edukasi",
        "pendidikan",
        "sains",
        "trending",
        "terkini",
        "terbaru",
        "terpopuler",
        "populer",
        "pertahanan",
        "militer",
        "alutsista",
        "matra",
        "darat",
        "laut",
        "udara",
        "geopolitik",
        "keamanan",
        "industri",
        "inframe",
        "edisi",
        "majalah",
        "magazine",
        "e-paper",
        "epaper",
        "infografis",
        "infographic",
        "podcast",
        "more",
        "lainnya",
        "selengkapnya",
        "lihat",
        "semua",
        "all",
        "dan",
        "&",
        "print",
        "email",
        "cetak",
        "font",
        "size",
        "kirim",
        "artikel",
        "karir",
        "karier",
        "privacy",
        "policy",
        "kebijakan",
        "privasi",
        "disclaimer",
        "sitemap",
        "rss",
        "network",
        "jaringan",
    }
)
_HOME_WORDS = frozenset({"home", "beranda", "index", "indeks", "depan", "halaman utama", "main"})
_BREADCRUMB_SPLIT = re.compile(r"\s*(?:/|›|»|>|\\|→)\s*")
_BYLINE_RE = re.compile(
    r"^(?P<label>penulis|ditulis oleh|oleh|reporter|pewarta|wartawan|written by|posted by|by|"
    r"kontributor|editor|redaktur|penyunting)\b\s*(?P<colon>[:：])?\s*(?P<name>\S.*)$",
    re.I,
)
AUTHOR_LABELS = frozenset(
    {
        "penulis",
        "ditulis oleh",
        "oleh",
        "reporter",
        "pewarta",
        "wartawan",
        "written by",
        "posted by",
        "by",
        "kontributor",
    }
)
SIGNOFF_RE = re.compile(
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
    r"\s*[:：.\-–—]?\s*",
    re.I,
)
_CREDIT_TAIL = re.compile(
    r"^(?P<caption>.*?)\s*\(\s*(?:(?:foto|photo|dok|dokumentasi|sumber|source|kredit|credit)"
    r"\s*[:.]?\s*)?(?P<credit>[^()]{2,60})\)\s*$",
    re.I,
)
_CREDIT_INLINE = re.compile(
    r"^(?P<caption>.*?[.!?])\s*(?:foto|photo)\s*[:：]\s*(?P<credit>[^.]{2,60})$",
    re.I,
)


# Chrome, ad leftovers, date and byline lines are short. Longer lines are not matched
# against those patterns at all: some of them take time in the square of a line's length,
# and a pasted line may be a whole article without a line break.
MAX_CHROME_LINE = 300


def _match_full(patterns: Iterable[re.Pattern[str]], text: str) -> bool:
    return any(p.fullmatch(text) for p in patterns)


def is_section_label(text: str) -> bool:
    return label_key(text) in _SECTION_LABELS


def is_end_chrome(text: str) -> bool:
    """A line where the page's chrome starts once the article text has begun."""
    if is_section_label(text):
        return True
    return (
        len(text) <= MAX_CHROME_LINE
        and len(words_of(text)) <= 25
        and _match_full(_END_PATTERNS, text)
    )


def is_noise(text: str) -> bool:
    """Ad slots and widget leftovers that can sit between two paragraphs."""
    return (
        len(text) <= MAX_CHROME_LINE
        and len(words_of(text)) <= 15
        and _match_full(_NOISE_PATTERNS, text)
    )


def is_menu(text: str) -> bool:
    tokens = [t for t in re.split(r"[\s|/•·›»>]+", label_key(text)) if t]
    return bool(tokens) and all(t in _MENU_WORDS for t in tokens)


def is_breadcrumb(text: str) -> bool:
    parts = [p for p in _BREADCRUMB_SPLIT.split(text) if p.strip()]
    if len(parts) < 2:
        return False
    if label_key(parts[0]) in _HOME_WORDS:
        return True
    return all(len(words_of(p)) <= 3 and is_menu(p) for p in parts)


def promo_title(text: str) -> str | None:
    """The promoted title of a 'Baca Juga: …' line ('' for a bare label), or None."""
    m = _PROMO_RE.match(text)
    if m is None:
        return None
    rest = m.group("rest").strip().strip("\"“”'‘’«»").strip()
    rest = re.sub(r"\s*[»›>]+$", "", rest)
    if len(words_of(rest)) > 30:
        return None
    return rest


def byline_parts(text: str) -> tuple[str, str] | None:
    """(label, name) of a byline line such as 'Penulis: Budi' or 'Oleh Budi Santoso'."""
    m = _BYLINE_RE.match(text)
    if m is None:
        return None
    name = m.group("name").strip().rstrip(",;|")
    words = words_of(name)
    if not 1 <= len(words) <= 6 or re.search(r"\d", name):
        return None
    if not m.group("colon") and not name[0].isupper():
        return None
    if name.endswith(".") and not re.search(r"\b[A-Z]\.$", name):
        return None
    return m.group("label").casefold(), name


def meta_line_parts(text: str) -> tuple[dt.date | None, str | None] | None:
    """(date, author) of a line made only of date, time and byline parts ('Oleh X | 19 Mei')."""
    date: dt.date | None = None
    author: str | None = None
    seen = False
    if len(text) > MAX_CHROME_LINE:
        return None
    for part in re.split(r"\s*[|•·]\s*", text):
        part = part.strip()
        if not part or TIME_RE.fullmatch(part) or TIME_AGO_RE.fullmatch(part):
            continue
        part_date = parse_date_line(part)
        if part_date is not None:
            date = date or part_date
            seen = True
            continue
        byline = byline_parts(part)
        if byline is None:
            return None
        seen = True
        if byline[0] in AUTHOR_LABELS:
            author = author or byline[1]
    return (date, author) if seen else None


def caption_parts(text: str) -> tuple[str | None, str | None] | None:
    """(caption, credit) of a photo caption line ('Foto: …', '… (Foto: …)', 'Ilustrasi …')."""
    if len(words_of(text)) > 60 or len(text) > 2 * MAX_CHROME_LINE:
        return None
    start = _CAPTION_START.match(text)
    tail = _CREDIT_TAIL.match(text)
    if tail is not None:
        opening = text[len(tail.group("caption")) :]
        labelled = re.match(
            r"\s*\(\s*(foto|photo|dok|dokumentasi|sumber|source|kredit|credit)\b", opening, re.I
        )
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
    if (
        start is not None
        and caption.startswith(start.group(0))
        and start.group("label").casefold() not in {"ilustrasi", "illustration"}
    ):
        caption = caption[start.end() :]
        inner = _CREDIT_INLINE.match(caption)
        if credit_part is None and inner is not None:
            caption, credit_part = inner.group("caption"), inner.group("credit").strip()
        elif credit_part is None and len(words_of(caption)) <= 5 and not ends_sentence(caption):
            caption, credit_part = "", caption
    return caption.strip().strip("()").strip() or None, credit_part or None


def dateline_parts(text: str) -> tuple[str, str | None, str] | None:
    """(place, agency, rest) of a first paragraph that opens with 'Jakarta, IDM –' & co."""
    for pattern in _DATELINE_RES:
        m = pattern.match(text)
        if m is None:
            continue
        groups = m.groupdict()
        place = m.group("place")
        agency = groups.get("agency") or groups.get("agency2")
        if label_key(place) in _SECTION_LABELS or fold_word(place.split()[0]) in DAY_NAMES:
            continue
        if place.isupper():
            place = place.title()
        if agency and agency.isupper() and len(agency) > 4:
            agency = agency.title()
        return place, agency, m.group("rest")
    return None
