"""The flatplan's nouns: photo slots, the sections of an edition in order, and the plan.

Everything here is decided before anything is laid out and is not changed afterwards:
a later stage that needs more (the prepared photos, the pages each section took) keeps
it beside the plan."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from edition.errors import Finding
from edition.issue.markdown import Block
from edition.issue.model import Ad, Article, Issue, NewsSpec
from edition.layout.spec import Layout

MM_PER_INCH = 25.4


@dataclass(frozen=True)
class ImageRequest:
    """A photo and the box it fills on the page (crop to the box's shape when `crop`)."""

    source: Path
    width_mm: float
    height_mm: float
    dpi: int = 300
    crop: bool = True
    quality: int = 88
    cmyk: bool = False  # separate for print through the bundled CMYK profile
    # Darkening baked into the photo, as (edge, opacity at the edge, extent in mm, curve):
    # type on a photo needs it, and a CSS gradient would be RGB in a CMYK edition.
    shade: tuple[tuple[str, float, float, float], ...] = ()

    def target_px(self, src_w: int, src_h: int) -> tuple[int, int]:
        w = round(self.width_mm / MM_PER_INCH * self.dpi)
        h = round(self.height_mm / MM_PER_INCH * self.dpi)
        if not self.crop:  # fit inside the box, keep the shape
            scale = min(w / src_w, h / src_h)
            w, h = round(src_w * scale), round(src_h * scale)
        return max(w, 1), max(h, 1)

    def effective_dpi(self, sw: int, sh: int) -> float:
        """Source pixels per inch at the placed size.

        Cropped to fill the box, the side that fills it exactly sets the scale (the other
        is cut); fitted inside the box, the side that touches it does."""
        box_w, box_h = self.width_mm / MM_PER_INCH, self.height_mm / MM_PER_INCH
        if self.crop:
            return min(sw / box_w, sh / box_h)
        return max(sw / box_w, sh / box_h)


@dataclass(frozen=True)
class Slot:
    """A photo placed on a page, with what is printed beside it and its source's size."""

    request: ImageRequest
    caption: str | None = None
    credit: str | None = None
    source_px: tuple[int, int] = (0, 0)  # upright pixels of the original

    @property
    def alt(self) -> str:
        return self.caption or self.request.source.stem.replace("-", " ")

    @property
    def effective_dpi(self) -> float:
        return self.request.effective_dpi(*self.source_px) if all(self.source_px) else 0.0


@dataclass(frozen=True)
class Related:
    title: str
    anchor: str | None  # "#art-slug" when the article is in this issue


@dataclass(frozen=True)
class Insert:
    """Something set in the column flow between paragraphs."""

    kind: str  # "baca-juga", "pullquote", "sidebar", "quarter-ad", "figure"
    slot: Slot | None = None  # a figure's photo or a quarter ad's artwork
    ad: Ad | None = None


@dataclass(frozen=True)
class ArticleFit:
    """What copyfit changed in an article, in the layout's terms (the section's lead photo
    and items already show it; this is the record, and what a rebuild starts from)."""

    lead_steps: int = 0  # the lead photo's height, in baseline steps from the layout's
    pullquote: bool = True  # the pull quote is set
    figures: bool = True  # the in-text photos are set
    # Boxes moved in the text: (kind, paragraphs; later when positive).
    box_moves: tuple[tuple[str, int], ...] = ()
    filler: Filler | None = None
    unbreak: tuple[str, ...] = ()  # words set without their soft hyphens (hyphen runs)
    tracking: int = 0  # letter-spacing of the text, in thousandths of an em (tighter < 0)
    # Of lead_steps, the steps taken to balance the last page's columns (each step moves
    # the text by a line in every column under the photo).
    nudge: int = 0
    tries: int = 0  # layouts copyfit asked for (the ladder stops at the layout's `passes`)
    # The best layout tried so far, with its score (lower is better): what the ladder goes
    # back to when its last try is worse. Not part of what the fit is.
    best: tuple[float, ArticleFit] | None = field(default=None, compare=False)

    @property
    def changed(self) -> bool:
        return self != ArticleFit()


@dataclass(frozen=True)
class ArticleSection:
    article: Article
    number: int
    lead: Slot | None
    items: list[Block | Insert]
    related: list[Related]
    half_ad: Ad | None
    quarter_ad: Ad | None
    half_ad_page: int = 2  # which page of the article carries the half-page ad
    kind: str = "article"
    half_art: Slot | None = None
    opens_rubric: str | None = None  # the rubric's name on its first article (bookmarks)
    fit: ArticleFit = ArticleFit()

    @property
    def anchor(self) -> str:
        return f"art-{self.article.slug}"

    @property
    def page_name(self) -> str:
        return f"story{self.number}"


@dataclass(frozen=True)
class AdPage:
    """A full page: an advertiser's ad, or one of the magazine's house ads."""

    ad: Ad | None = None
    house: str | None = None
    role: str = "page"  # "inside-front", "inside-back", "back-cover", "pad", "page"
    kind: str = "ad"
    art: Slot | None = None  # the ad's artwork, prepared like a photo


@dataclass(frozen=True)
class CoverSection:
    photo: Slot | None
    lead: Article | None
    lines: list[Article]
    kind: str = "cover"


@dataclass(frozen=True)
class ContentsEntry:
    title: str
    anchor: str
    dek: str | None = None


@dataclass(frozen=True)
class ContentsSection:
    groups: list[tuple[str, list[ContentsEntry]]]
    thumbs: list[tuple[Slot, str]]  # photo and the anchor it points to
    kind: str = "contents"


@dataclass(frozen=True)
class NewsItem:
    spec: NewsSpec
    photo: Slot | None


@dataclass(frozen=True)
class NewsSection:
    items: list[NewsItem]
    popular: list[Related]
    kind: str = "news"
    anchor: str = "berita-terbaru"


@dataclass(frozen=True)
class Filler:
    """A band across the text width at an article's foot, filling its last page: one of
    the magazine's house ads, the Populer list, or Berita Terbaru briefs."""

    kind: str  # "house", "populer", "brief"
    lines: int  # its height in lines of the baseline grid
    house: str | None = None  # which house ad
    popular: tuple[Related, ...] = ()  # the Populer list it shows
    briefs: tuple[NewsItem, ...] = ()  # the Berita Terbaru items it holds


@dataclass(frozen=True)
class InframePage:
    photos: list[Slot]
    first: bool = False
    shape: str = ""  # "single", "double", "landscape" (one landscape across the top)

    def __post_init__(self) -> None:
        if not self.shape:
            object.__setattr__(self, "shape", "double" if len(self.photos) == 2 else "single")


@dataclass(frozen=True)
class InframeSection:
    pages: list[InframePage]
    kind: str = "inframe"
    anchor: str = "inframe"


@dataclass(frozen=True)
class PopulerPage:
    """A page of the issue's Populer list, set large: material of its own that pads the
    edition before any house ad does."""

    popular: list[Related]
    kind: str = "populer-page"


Section = (
    CoverSection
    | AdPage
    | ContentsSection
    | NewsSection
    | ArticleSection
    | InframeSection
    | PopulerPage
)


@dataclass(frozen=True)
class Plan:
    issue: Issue
    layout: Layout
    dpi: int
    sections: list[Section] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)  # what the planner settled for

    @property
    def time_zone(self) -> str:
        """The time zone of the issue's date: the issue's own, else the layout's."""
        return self.issue.spec.time_zone or self.layout.time_zone

    @property
    def slots(self) -> list[Slot]:
        return [s for section in self.sections for s in section_slots(section)]

    @property
    def articles(self) -> list[ArticleSection]:
        return [s for s in self.sections if isinstance(s, ArticleSection)]


def section_slots(section: Section) -> list[Slot]:
    """Every photo a section places, in order."""
    out: list[Slot] = []
    match section:
        case CoverSection(photo=p) if p:
            out.append(p)
        case AdPage(art=art) if art:
            out.append(art)
        case ContentsSection(thumbs=thumbs):
            out.extend(t for t, _ in thumbs)
        case NewsSection(items=items):
            out.extend(i.photo for i in items if i.photo)
        case ArticleSection(lead=lead, items=items, half_art=half):
            out.extend(s for s in (lead, half) if s)
            out.extend(i.slot for i in items if isinstance(i, Insert) and i.slot)
        case InframeSection(pages=pages):
            out.extend(p for page in pages for p in page.photos)
    return out
