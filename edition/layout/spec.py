"""What a layout is, as layout.toml says it: page geometry, photo slots, ads, colours in CMYK,
fonts, house strings in each language, the estimates a first flatplan uses."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from edition.share import fonts_dir

Mm = Annotated[int | float, Field(ge=0)]  # ints stay ints: "210mm", not "210.0mm"
Percent = Annotated[int | float, Field(ge=0, le=100)]


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PageGeometry(_Table):
    width: Mm = 210
    height: Mm = 297
    bleed: Mm = 3
    top: Mm = 14
    bottom: Mm = 18
    inside: Mm = 18
    outside: Mm = 13
    columns: int = Field(default=3, ge=1, le=6)
    gutter: Mm = 4.5
    baseline: Annotated[int | float, Field(gt=0)] = 12  # pt


Number = int | float
Shade = tuple[str, Number, Number, Number]  # edge, opacity at the edge, extent in mm, curve


class PhotoSizes(_Table):
    lead: Mm = 112  # height of an opener's lead photo
    figure_ratio: Annotated[float, Field(gt=0)] = 0.68  # height / width of an in-text photo
    news_ratio: Annotated[float, Field(gt=0)] = 0.62
    contents_thumb: Mm = 30
    inframe_gap: Mm = 3  # between two photos on one Inframe page
    framed_width: Mm = 150  # an upright Inframe photo too small for a full page, framed
    full_ppi: int = Field(default=240, ge=1)  # what a full-page or full-bleed photo holds
    # Darkening baked into photos that carry type (a CSS gradient would be RGB in print).
    cover_shade: list[Shade] = Field(default_factory=list)
    inframe_shade: list[Shade] = Field(default_factory=list)


class AdGeometry(_Table):
    half_height: Mm = 128  # the artwork of a half-page ad, across the text width
    half_gap: Mm = 12  # between the text above it and its label
    half_folio: Mm = 9  # the folio's distance from the foot of a page with a half-page ad
    quarter_height: Mm = 120  # the box a quarter-page ad fits in, one column wide
    # House ads fill the pages no advertiser booked, in this order.
    house: list[str] = Field(default_factory=lambda: ["subscribe", "next", "digital", "archive"])
    inside_front: str = "subscribe"
    back_cover: str = "next"


class Estimate(_Table):
    """A section's length before it has ever been laid out, in words of body text a page
    holds: only a first guess, replaced by what the section really took once laid out."""

    opener_words: int = Field(default=380, gt=0)  # an article's first page under a lead photo
    opener_words_no_photo: int = Field(default=760, gt=0)
    page_words: int = Field(default=950, gt=0)
    figure_words: int = Field(default=150, ge=0)
    quarter_ad_words: int = Field(default=330, ge=0)
    half_ad_words: int = Field(default=475, ge=0)
    subhead_words: int = Field(default=25, ge=0)
    related_words: int = Field(default=22, ge=0)


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


class FontSpec(_Table):
    family: str = Field(min_length=1)
    files: dict[str, str]  # "400", "400i", "700" ... -> a file in assets/fonts


Cmyk = Annotated[list[Percent], Field(min_length=4, max_length=4)]


class LayoutFile(BaseModel):
    """One layout.toml as written (every key optional: `extends` fills in the rest)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    extends: str | None = None
    stylesheets: list[str] = Field(default_factory=list)
    time_zone: str = Field(default="+07:00", pattern=r"^[+-](0\d|1[0-4]):[0-5]\d$")
    page: PageGeometry = Field(default_factory=PageGeometry)
    photos: PhotoSizes = Field(default_factory=PhotoSizes)
    ads: AdGeometry = Field(default_factory=AdGeometry)
    estimate: Estimate = Field(default_factory=Estimate)
    fit: FitRules = Field(default_factory=FitRules)
    strings: dict[str, Strings] = Field(default_factory=lambda: {"id": Strings()})
    colors: dict[str, Cmyk] = Field(default_factory=dict)
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
