"""The issue as the loader validates it: plain pydantic models, nouns only."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from edition.errors import Finding
from edition.issue.text import is_email, web_url

AdSize = Literal["full", "half", "quarter"]
AdSlot = Literal["inside-front", "inside-back", "back-cover"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, str_strip_whitespace=True)


class Sidebar(Strict):
    title: str
    body: str


class ArticleMeta(Strict):
    """Front matter of an article file, exactly as the editor may write it."""

    title: str = Field(min_length=1)
    rubric: str | None = None
    author: str | None = None
    date: dt.date | None = None
    dek: str | None = None
    dateline: str | None = None
    agency: str | None = None
    lead_photo: str | None = None
    lead_caption: str | None = None
    credit: str | None = None
    related: list[str] = Field(default_factory=list)
    pullquote: str | None = None
    sidebar: Sidebar | None = None
    source: str | None = None
    # Pages the flatplan gives the article (its opener included). Optional: when given,
    # the build plans with it and preflight reports an article that runs longer or shorter.
    pages: int | None = Field(default=None, ge=1, le=40)


class CoverSpec(Strict):
    photo: str
    credit: str | None = None
    # What the photo shows, for readers who cannot see it (the cover prints no caption).
    alt: str | None = None
    lead: str | None = None
    lines: list[str] = Field(default_factory=list)


class RubricSpec(Strict):
    name: str = Field(min_length=1)
    articles: list[str] = Field(default_factory=list)
    accent: str | None = None


class InframeSpec(Strict):
    photo: str
    title: str | None = None
    caption: str | None = None
    credit: str | None = None


class NewsSpec(Strict):
    title: str
    text: str
    dateline: str | None = None
    date: dt.date | None = None
    photo: str | None = None


class PopularSpec(Strict):
    title: str | None = None
    article: str | None = None


class StaffSpec(Strict):
    role: str
    name: str


class ImprintSpec(Strict):
    publisher: str | None = None
    address: str | None = None
    website: str | None = None
    email: str | None = None
    staff: list[StaffSpec] = Field(default_factory=list)

    @field_validator("website")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        # Printed as a link: only an http(s) address may become one (never `javascript:`).
        if value is not None and web_url(value) is None:
            raise ValueError(f"not a web address: {value!r} (write it as https://example.org)")
        return value

    @field_validator("email")
    @classmethod
    def _email_address(cls, value: str | None) -> str | None:
        if value is not None and not is_email(value):
            raise ValueError(f"not an e-mail address: {value!r} (write it as name@example.org)")
        return value


class AdSpec(Strict):
    artwork: str
    size: AdSize
    advertiser: str | None = None
    after: str | None = None
    slot: AdSlot | None = None
    article: str | None = None


class IssueSpec(Strict):
    """issue.toml, as written."""

    number: int = Field(ge=1)
    date: dt.date
    title: str | None = None
    magazine: str = "IDM"
    tagline: str | None = None
    price: str | None = None
    issn: str | None = None
    ean: str | None = None  # the EAN-13 of the cover's barcode (977 + ISSN for a serial)
    language: str = "id"
    # The time zone of the issue's date ("+07:00"), for the PDF's dates; else the layout's.
    time_zone: str | None = Field(default=None, pattern=r"^[+-](0\d|1[0-4]):[0-5]\d$")
    layout: str = "classic"
    order: list[str] | None = None
    cover: CoverSpec | None = None
    rubrics: list[RubricSpec] = Field(default_factory=list)
    inframe: list[InframeSpec] = Field(default_factory=list)
    news: list[NewsSpec] = Field(default_factory=list)
    popular: list[PopularSpec] = Field(default_factory=list)
    imprint: ImprintSpec | None = None
    ads: list[AdSpec] = Field(default_factory=list)

    @field_validator("issn")
    @classmethod
    def _valid_issn(cls, value: str | None) -> str | None:
        if value is not None:
            issn_digits(value)
        return value

    @field_validator("ean")
    @classmethod
    def _valid_ean(cls, value: str | None, info: ValidationInfo) -> str | None:
        """A valid EAN-13; a serial's (977) carries the ISSN's first seven digits."""
        if value is None:
            return value
        ean = ean13_digits(value)
        issn = info.data.get("issn")
        if issn and ean.startswith("977"):
            seven = issn_digits(issn)[:7]
            if ean[3:10] != seven:
                want = "977" + seven + ean[10:12]
                raise PydanticCustomError(
                    "ean_issn",
                    "{value} does not carry the ISSN's digits {issn}",
                    {
                        "value": repr(value),
                        "issn": seven,
                        "hint": "a serial's EAN-13 is 977, the ISSN's first seven digits, "
                        f"two price digits and a check digit: '{want}{ean13_check(want)}'",
                    },
                )
        return value


ISSN_FORMAT = re.compile(r"^(?:ISSN\s+)?(\d{4})-?(\d{3}[\dXx])$")


def issn_check(seven: str) -> str:
    """The ISSN check digit of its first seven digits (ISO 3297: weights 8 to 2, mod 11)."""
    rest = sum(int(d) * w for d, w in zip(seven, range(8, 1, -1), strict=True)) % 11
    check = (11 - rest) % 11
    return "X" if check == 10 else str(check)


def issn_digits(value: str) -> str:
    """The eight characters of a valid ISSN ("ISSN 2024-0147" or "2024-0147"), or a
    PydanticCustomError that says what is wrong and gives the right check digit."""
    m = ISSN_FORMAT.match(value.strip())
    if m is None:
        raise PydanticCustomError(
            "issn_format",
            "{value} is not an ISSN",
            {
                "value": repr(value),
                "hint": "write it as 'ISSN NNNN-NNNC': 7 digits and a check digit, 0-9 or X",
            },
        )
    digits = (m.group(1) + m.group(2)).upper()
    want = issn_check(digits[:7])
    if digits[7] != want:
        raise PydanticCustomError(
            "issn_check",
            "{value} has a wrong check digit",
            {
                "value": repr(value),
                "hint": f"the check digit of {digits[:4]}-{digits[4:7]} is {want}: "
                f"write 'ISSN {digits[:4]}-{digits[4:7]}{want}'",
            },
        )
    return digits


def ean13_check(twelve: str) -> str:
    """The EAN-13 check digit of its first twelve digits (weights 1 and 3, mod 10)."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(twelve))
    return str((10 - total % 10) % 10)


def ean13_digits(value: str) -> str:
    """The thirteen digits of a valid EAN-13 (spaces and hyphens allowed between them), or
    a PydanticCustomError that says what is wrong and gives the right check digit."""
    digits = re.sub(r"[\s-]", "", value)
    if not re.fullmatch(r"\d{13}", digits):
        raise PydanticCustomError(
            "ean_format",
            "{value} is not an EAN-13 (13 digits)",
            {"value": repr(value), "hint": "write the 13 digits under the barcode"},
        )
    want = ean13_check(digits[:12])
    if digits[12] != want:
        raise PydanticCustomError(
            "ean_check",
            "{value} has a wrong check digit",
            {
                "value": repr(value),
                "hint": f"the check digit of {digits[:12]} is {want}: write '{digits[:12]}{want}'",
            },
        )
    return digits


# --- resolved objects (paths checked, articles parsed) -----------------------


class Photo(BaseModel):
    """A picture file of the issue, with what is printed beside it: the caption and credit
    the issue gives, else those written in the file; its upright size in pixels."""

    path: Path
    caption: str | None = None
    credit: str | None = None
    size: tuple[int, int] = (0, 0)

    @property
    def name(self) -> str:
        return self.path.name


class Article(BaseModel):
    slug: str
    path: Path
    meta: ArticleMeta
    rubric: str
    body: str  # Markdown
    body_line: int  # first line of the body in the file
    lead: Photo | None = None
    figures: dict[str, Photo] = Field(default_factory=dict)  # in the text, by the path written

    @property
    def title(self) -> str:
        return self.meta.title


class Ad(BaseModel):
    spec: AdSpec
    photo: Photo  # the artwork, placed like a photo; its caption is the alt text
    index: int

    @property
    def path(self) -> Path:
        return self.photo.path

    @property
    def size(self) -> AdSize:
        return self.spec.size


class Issue(BaseModel):
    """A validated issue folder, ready to plan."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    root: Path
    spec: IssueSpec
    articles: list[Article]
    cover: Photo | None
    inframe: list[Photo]
    ads: list[Ad]
    news_photos: list[Photo | None] = Field(default_factory=list)  # one per item of spec.news
    warnings: list[Finding] = Field(default_factory=list)

    @property
    def id(self) -> str:
        return self.root.name

    def article(self, key: str) -> Article | None:
        """Find an article by slug or by (case-insensitive) title."""
        for a in self.articles:
            if a.slug == key:
                return a
        folded = key.casefold().strip()
        for a in self.articles:
            if a.title.casefold().strip() == folded:
                return a
        return None
