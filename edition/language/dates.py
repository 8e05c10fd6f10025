"""Dates as the magazine prints them, in the issue's language (Babel's CLDR data)."""

from __future__ import annotations

import datetime as dt

from babel.dates import format_date


def long_date(value: dt.date, locale: str = "id") -> str:
    """'Minggu, 19 Mei 2024'."""
    return format_date(value, "EEEE, d MMMM y", locale=locale)


def month_year(value: dt.date, locale: str = "id") -> str:
    """'Mei 2024'."""
    return format_date(value, "MMMM y", locale=locale)


def short_date(value: dt.date, locale: str = "id") -> str:
    """'19 Mei 2024'."""
    return format_date(value, "d MMMM y", locale=locale)
