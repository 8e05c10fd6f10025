"""Dates as news pages write them, in Indonesian and English (Babel's month and day names)."""
# ruff: noqa: RUF001  (typographic dashes, quotes and colons are matched on purpose)

from __future__ import annotations

import datetime as dt
import re

from babel.dates import get_day_names, get_month_names
from dateutil import parser as dateutil_parser

from edition.collect.text import fold_word


def _babel_names() -> tuple[dict[str, int], frozenset[str]]:
    months: dict[str, int] = {}
    days: set[str] = set()
    for locale in ("id", "en"):
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for number, name in get_month_names(width, context, locale).items():
                    months[fold_word(name)] = number
                days.update(fold_word(n) for n in get_day_names(width, context, locale).values())
    # Older Indonesian spellings and abbreviations that CLDR does not list.
    months.update({"agt": 8, "sept": 9, "pebruari": 2, "nopember": 11, "nop": 11})
    return months, frozenset(days)


MONTH_NAMES, DAY_NAMES = _babel_names()
_MONTH_RE = "|".join(sorted((re.escape(m) for m in MONTH_NAMES), key=len, reverse=True))
_DATE_PATTERNS = (
    re.compile(
        rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\.?\s+(?P<mon>{_MONTH_RE})\.?,?\s+"
        rf"(?P<y>\d{{4}})\b",
        re.I,
    ),
    re.compile(
        rf"\b(?P<mon>{_MONTH_RE})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+"
        rf"(?P<y>\d{{4}})\b",
        re.I,
    ),
    re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b"),
    re.compile(r"\b(?P<d>\d{1,2})[/.\-](?P<m>\d{1,2})[/.\-](?P<y>\d{4})\b"),
)
TIME_RE = re.compile(
    r"\b\d{1,2}[:.]\d{2}(?:[:.]\d{2})?\s*(?:wib|wita|wit|gmt|utc|am|pm|a\.m\.|p\.m\.)?"
    r"(?:\s*[+-]\d{1,2}(?::?\d{2})?)?\b\.?",
    re.I,
)
TIME_AGO_RE = re.compile(
    r"(sekitar\s+|about\s+)?\d+\s+(detik|menit|jam|hari|minggu|bulan|tahun|seconds?|minutes?|"
    r"hours?|days?|weeks?|months?)\s+(yang\s+)?(lalu|ago)",
    re.I,
)
_DATE_FILLER = frozenset(
    {
        "diterbitkan",
        "dipublikasikan",
        "dipublikasi",
        "terbit",
        "published",
        "posted",
        "updated",
        "diperbarui",
        "diperbaharui",
        "last",
        "pada",
        "on",
        "at",
        "pukul",
        "jam",
        "tanggal",
        "date",
        "publish",
        "wib",
        "wita",
        "wit",
        "gmt",
        "utc",
    }
)


def _match_date(text: str) -> tuple[dt.date, re.Match[str]] | None:
    for pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            groups = m.groupdict()
            day, year = int(groups["d"]), int(groups["y"])
            month = MONTH_NAMES[fold_word(groups["mon"])] if groups.get("mon") else int(groups["m"])
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
    rest = TIME_RE.sub(" ", text[: m.start()] + " " + text[m.end() :])
    for token in re.findall(r"[^\W\d_]+(?:['’][^\W\d_]+)?", rest):
        if fold_word(token) not in DAY_NAMES and fold_word(token) not in _DATE_FILLER:
            return None
    if re.search(r"\d", rest):
        return None
    return date


def parse_metadata_date(value: str) -> dt.date | None:
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
