"""What a layout is, as layout.toml says it: page geometry, photo slots, ads, colours in CMYK,
fonts, house strings in each language, the estimates a first flatplan uses."""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from edition.share import fonts_dir

# Every length has a ceiling as well as a floor: a layout.toml may come with an issue,
# from anyone, and a page a kilometre wide or a photo of 1e308 mm is a hang or a crash
# further on, not a layout. (ints stay ints: "210mm", not "210.0mm"; no inf, no nan.)
Mm = Annotated[int | float, Field(ge=0, le=1000)]
Percent = Annotated[int | float, Field(ge=0, le=100)]
Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,40}$")]  # a CSS identifier


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class PageGeometry(_Table):
    width: Annotated[int | float, Field(ge=50, le=1200)] = 210
    height: Annotated[int | float, Field(ge=50, le=1200)] = 297
    bleed: Annotated[int | float, Field(ge=0, le=20)] = 3
    top: Mm = 14
    bottom: Mm = 18
    inside: Mm = 18
    outside: Mm = 13
    columns: int = Field(default=3, ge=1, le=6)
    gutter: Annotated[int | float, Field(ge=0, le=50)] = 4.5
    baseline: Annotated[int | float, Field(ge=4, le=72)] = 12  # pt

    @model_validator(mode="after")
    def _room_for_text(self) -> PageGeometry:
        width = self.width - self.inside - self.outside
        height = self.height - self.top - self.bottom
        if width < 40 or height < 60:
            raise ValueError(
                f"the margins leave {width:g} x {height:g} mm for text "
                "(leave at least 40 mm across and 60 mm down)"
            )
        if (width - (self.columns - 1) * self.gutter) / self.columns < 15:
            raise ValueError(
                "the columns are less than 15 mm wide (use fewer columns or narrower gutters)"
            )
        return self


Number = int | float
Ratio = Annotated[float, Field(ge=0.1, le=10, allow_inf_nan=False)]
# edge, opacity at the edge, extent in mm, curve
Shade = tuple[
    Literal["top", "bottom"],
    Annotated[Number, Field(ge=0, le=1, allow_inf_nan=False)],
    Annotated[Number, Field(ge=0, le=500, allow_inf_nan=False)],
    Annotated[Number, Field(ge=0.1, le=10, allow_inf_nan=False)],
]


class PhotoSizes(_Table):
    lead: Annotated[int | float, Field(ge=0, le=400)] = 112  # height of an opener's lead photo
    figure_ratio: Ratio = 0.68  # height / width of an in-text photo
    news_ratio: Ratio = 0.62
    contents_thumb: Annotated[int | float, Field(ge=0, le=200)] = 30
    inframe_gap: Annotated[int | float, Field(ge=0, le=50)] = 3  # between two Inframe photos
    # An upright Inframe photo too small for a full page is framed this wide (mm).
    framed_width: Annotated[int | float, Field(gt=0, le=400)] = 150
    full_ppi: int = Field(default=240, ge=1, le=2400)  # what a full-page or full-bleed photo holds
    # Darkening baked into photos that carry type (a CSS gradient would be RGB in print).
    cover_shade: list[Shade] = Field(default_factory=list)
    inframe_shade: list[Shade] = Field(default_factory=list)


class AdGeometry(_Table):
    half_height: Annotated[int | float, Field(ge=10, le=400)] = 128  # half-page ad artwork
    half_gap: Annotated[int | float, Field(ge=0, le=100)] = 12  # text above it to its label
    half_folio: Annotated[int | float, Field(ge=0, le=100)] = 9  # folio to the foot, that page
    quarter_height: Annotated[int | float, Field(ge=10, le=400)] = 120  # one column wide
    # House ads fill the pages no advertiser booked, in this order.
    house: list[Name] = Field(
        default_factory=lambda: ["subscribe", "next", "digital", "archive"],
        min_length=1,
        max_length=20,
    )
    inside_front: Name = "subscribe"
    back_cover: Name = "next"


class Estimate(_Table):
    """A section's length before it has ever been laid out, in words of body text a page
    holds: only a first guess, replaced by what the section really took once laid out."""

    opener_words: int = Field(default=380, gt=0, le=10_000)  # a first page under a lead photo
    opener_words_no_photo: int = Field(default=760, gt=0, le=10_000)
    page_words: int = Field(default=950, gt=0, le=10_000)
    figure_words: int = Field(default=150, ge=0, le=10_000)
    quarter_ad_words: int = Field(default=330, ge=0, le=10_000)
    half_ad_words: int = Field(default=475, ge=0, le=10_000)
    subhead_words: int = Field(default=25, ge=0, le=10_000)
    related_words: int = Field(default=22, ge=0, le=10_000)


Share = Annotated[float, Field(ge=0, le=1)]
FillerKind = Literal["populer", "brief", "house"]
PadKind = Literal["inframe", "populer", "house"]
FILLER_KINDS: tuple[FillerKind, ...] = ("populer", "brief", "house")
PAD_KINDS: tuple[PadKind, ...] = ("inframe", "populer", "house")


class FitRules(_Table):
    """Copyfit: what makes an article's pages good enough, and what the build may change
    to get there, in the layout's own terms (grid lines of the baseline, photo heights)."""

    stub: Share = 1 / 3  # a last page with less of its type area used carries only a tail
    half: Share = 0.5  # an article's last page is at least this full, or filled
    balance_lines: int = Field(default=2, ge=0)  # a column may end this far above the next
    # The lead photo's height may move by whole baseline steps between these (mm).
    lead_min: Mm = 84
    lead_max: Mm = 140
    # A filler band at an article's foot: its height in lines, and the line above it.
    filler_min_lines: int = Field(default=8, ge=2)
    filler_gap_lines: int = Field(default=1, ge=0)
    # What fills an article's last page, in order: "populer", "brief", "house".
    fillers: list[FillerKind] = Field(default_factory=lambda: list(FILLER_KINDS))
    # House ads set as bands at an article's foot, in turn.
    house_bands: list[str] = Field(
        default_factory=lambda: ["subscribe", "digital", "archive", "next"]
    )
    briefs_keep: int = Field(default=6, ge=0)  # Berita Terbaru items the news page keeps
    # What pads the edition to its multiple of pages, in order: a longer Inframe, a
    # Populer page, house ads.
    pad: list[PadKind] = Field(default_factory=lambda: list(PAD_KINDS))
    passes: int = Field(default=3, ge=0, le=8)  # layouts of one article while fitting
    # Words cut three lines in a row are kept whole: in a layout of their own ("always"),
    # only when the article is laid out again for something else ("with-others"), or not.
    runs: Literal["always", "with-others", "never"] = "always"
    # A tail of a few lines no other rung reaches: the text set this much tighter
    # (thousandths of an em, 0 = never), and up to how many lines it is tried for.
    tracking_min: int = Field(default=-10, ge=-30, le=0)
    tracking_lines: int = Field(default=8, ge=0)


class Strings(_Table):
    """What the layout writes itself (bookmarks, contents entries, alt texts), per language.
    `{number}`, `{month}`, `{count}`, `{title}`, `{advertiser}` are filled in."""

    cover: str = "Sampul"
    contents: str = "Daftar Isi"
    news: str = "Berita Terbaru"
    news_dek: str = "{count} kabar singkat dan artikel terpopuler"
    inframe: str = "Inframe"
    inframe_dek: str = "{count} foto pilihan bulan ini"
    fixed_rubrics: str = "Rubrik Tetap"
    edition: str = "Edisi {number} · {month}"
    issue_source: str = "{title}, edisi {number}"
    ad: str = "Iklan"
    ad_by: str = "Iklan {advertiser}"
    page_ref: str = "hlm. {page}"  # where a referred article starts ("Baca Juga", Populer)

    @model_validator(mode="after")
    def _fields_filled_in(self) -> Strings:
        """A string may name only the fields that are filled into it, and only by name:
        `{nomor}` would fail every build, `{number.__class__}` would read Python's insides."""
        for key, allowed in FORMAT_FIELDS.items():
            text = getattr(self, key)
            try:
                names = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
            except ValueError:
                raise ValueError(
                    f"'{key}' has an unmatched '{{' or '}}' (write a brace as '{{{{' or '}}}}')"
                ) from None
            if names - allowed:
                raise ValueError(
                    f"'{key}' names {', '.join(sorted(names - allowed))}, which is not filled in "
                    f"(it may use {', '.join('{' + a + '}' for a in sorted(allowed))})"
                )
        return self


FORMAT_FIELDS = {
    "news_dek": {"count"},
    "inframe_dek": {"count"},
    "edition": {"number", "month"},
    "issue_source": {"title", "number", "month"},
    "ad_by": {"advertiser"},
    "page_ref": {"page"},
}


class FontSpec(_Table):
    family: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9 ._-]+$")
    # "400", "400i", "700" ... -> a file in assets/fonts
    files: dict[
        Annotated[str, Field(pattern=r"^[1-9]00i?$")],
        Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")],
    ]


Cmyk = Annotated[list[Percent], Field(min_length=4, max_length=4)]


class LayoutFile(BaseModel):
    """One layout.toml as written (every key optional: `extends` fills in the rest)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str | None = None
    extends: str | None = None
    stylesheets: list[str] = Field(default_factory=list)
    time_zone: str = Field(default="+07:00", pattern=r"^[+-](0\d|1[0-4]):[0-5]\d$")
    page: PageGeometry = Field(default_factory=PageGeometry)
    photos: PhotoSizes = Field(default_factory=PhotoSizes)
    ads: AdGeometry = Field(default_factory=AdGeometry)
    estimate: Estimate = Field(default_factory=Estimate)
    fit: FitRules = Field(default_factory=FitRules)
    strings: dict[Annotated[str, Field(pattern=r"^[a-z]{2,3}([_-][A-Za-z]{2,4})?$")], Strings] = (
        Field(default_factory=lambda: {"id": Strings()})
    )
    colors: dict[Name, Cmyk] = Field(default_factory=dict)  # CSS custom properties
    rubric_accents: dict[str, Cmyk] = Field(default_factory=dict)
    fonts: list[FontSpec] = Field(default_factory=list)


@dataclass
class Layout:
    name: str
    folders: list[Path]  # this layout first, then the layouts it extends
    page: PageGeometry
    photos: PhotoSizes
    ads: AdGeometry
    estimate: Estimate
    strings: dict[str, Strings]
    colors: dict[str, list[float]]
    accents: dict[str, list[float]]
    fonts: list[FontSpec]
    time_zone: str = "+07:00"
    stylesheets: list[Path] = field(default_factory=list)
    fit: FitRules = field(default_factory=FitRules)

    @property
    def text_width(self) -> float:
        return self.page.width - self.page.inside - self.page.outside

    @property
    def text_height(self) -> float:
        return self.page.height - self.page.top - self.page.bottom

    @property
    def column_width(self) -> float:
        p = self.page
        return (self.text_width - (p.columns - 1) * p.gutter) / p.columns

    def font_files(self) -> list[Path]:
        return [fonts_dir() / f for font in self.fonts for f in font.files.values()]

    def text(self, language: str) -> Strings:
        """The house strings in `language` ("id_ID" falls back to "id"), else in the
        layout's first language."""
        for key in (language, language.split("_")[0].split("-")[0]):
            if key in self.strings:
                return self.strings[key]
        return next(iter(self.strings.values()), Strings())


def merged(files: list[dict[str, Any]]) -> dict[str, Any]:
    """Tables of a layout.toml given as written (parents first), merged key by key."""
    out: dict[str, Any] = {}
    for data in files:
        for key, value in data.items():
            if isinstance(value, dict) and isinstance(out.get(key), dict):
                out[key] = {**out[key], **value}
            else:
                out[key] = value
    return out
