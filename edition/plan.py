"""Plan the issue: sections in order, ads in their slots, boxes placed in the text, photo sizes."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import Markup

from .images import ImageRequest, source_size
from .layout import Layout
from .model import Ad, Article, Issue, NewsSpec, Photo
from .photometa import photo_text
from .text import Block, markdown_blocks

HOUSE_ADS = ("subscribe", "next", "digital", "archive")


@dataclass
class Slot:
    """A photo placed on a page: the prepared file's URL is filled in before rendering."""

    request: ImageRequest
    caption: str | None = None
    credit: str | None = None
    src: str = ""

    @property
    def alt(self) -> str:
        return self.caption or self.request.source.stem.replace("-", " ")


@dataclass
class Related:
    title: str
    anchor: str | None  # "#art-slug" when the article is in this issue


@dataclass
class Insert:
    """Something set in the column flow between paragraphs."""

    kind: str  # "baca-juga", "pullquote", "sidebar", "quarter-ad", "figure"
    slot: Slot | None = None  # a figure's photo or a quarter ad's artwork
    ad: Ad | None = None


@dataclass
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

    @property
    def anchor(self) -> str:
        return f"art-{self.article.slug}"

    @property
    def page_name(self) -> str:
        return f"story{self.number}"


@dataclass
class AdPage:
    """A full page: an advertiser's ad, or one of the magazine's house ads."""

    ad: Ad | None = None
    house: str | None = None
    role: str = "page"  # "inside-front", "inside-back", "back-cover", "pad", "page"
    kind: str = "ad"
    art: Slot | None = None  # the ad's artwork, prepared like a photo


@dataclass
class CoverSection:
    photo: Slot | None
    lead: Article | None
    lines: list[Article]
    kind: str = "cover"


@dataclass
class ContentsEntry:
    title: str
    anchor: str
    dek: str | None = None


@dataclass
class ContentsSection:
    groups: list[tuple[str, list[ContentsEntry]]]
    thumbs: list[tuple[Slot, str]]  # photo and the anchor it points to
    kind: str = "contents"


@dataclass
class NewsItem:
    spec: NewsSpec
    photo: Slot | None


@dataclass
class NewsSection:
    items: list[NewsItem]
    popular: list[Related]
    kind: str = "news"
    anchor: str = "berita-terbaru"


@dataclass
class InframePage:
    photos: list[Slot]
    first: bool = False


@dataclass
class InframeSection:
    pages: list[InframePage]
    kind: str = "inframe"
    anchor: str = "inframe"


Section = CoverSection | AdPage | ContentsSection | NewsSection | ArticleSection | InframeSection


@dataclass
class Plan:
    issue: Issue
    layout: Layout
    dpi: int
    sections: list[Section] = field(default_factory=list)

    @property
    def slots(self) -> list[Slot]:
        out: list[Slot] = []
        for s in self.sections:
            match s:
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

    @property
    def articles(self) -> list[ArticleSection]:
        return [s for s in self.sections if isinstance(s, ArticleSection)]

    def insert_padding(self, count: int) -> None:
        """Fill `count` pages with house ads, before the inside back and back cover."""
        at = len(self.sections)
        while at > 0 and isinstance(self.sections[at - 1], AdPage) and \
                self.sections[at - 1].role in ("inside-back", "back-cover"):
            at -= 1
        for i in range(count):
            self.sections.insert(at + i, AdPage(house=HOUSE_ADS[(i + 1) % len(HOUSE_ADS)],
                                                role="pad"))


INFRAME_GAP = 3  # mm between two photos on one page
HALF_AD_HEIGHT = 128  # mm, the artwork of a half-page ad (the full text width)
QUARTER_AD_HEIGHT = 120  # mm, the box a quarter-page ad's artwork fits in (one column)


def plan_issue(issue: Issue, layout: Layout, dpi: int = 300, *, quality: int = 88,
               cmyk: bool = False) -> Plan:
    """Decide what goes on which pages, in order; no rendering happens here.

    `dpi`, `quality` and `cmyk` say how the photos are to be prepared for the profile.
    """
    plan = Plan(issue, layout, dpi)
    spec = issue.spec
    page = layout.page
    full_bleed = (page.width + 2 * page.bleed, page.height + 2 * page.bleed)

    def slot(photo: Photo | Path, w: float, h: float, caption: str | None = None,
             credit: str | None = None, crop: bool = True,
             shade: tuple[tuple[str, float, float, float], ...] = ()) -> Slot:
        path = photo.path if isinstance(photo, Photo) else photo
        if isinstance(photo, Photo):
            caption = caption or photo.caption
            credit = credit or photo.credit
        if not caption or not credit:  # what the photographer wrote into the file
            own = photo_text(path)
            caption, credit = caption or own.caption, credit or own.credit
        return Slot(ImageRequest(path, round(w, 2), round(h, 2), dpi, crop, quality, cmyk,
                                 shade), caption, credit)

    def ad_page(ad: Ad | None, **kw: str | None) -> AdPage:
        art = slot(ad.path, *full_bleed, caption=_ad_alt(ad)) if ad else None
        return AdPage(ad=ad, art=art, **kw)  # type: ignore[arg-type]

    ads_after: dict[str, list[Ad]] = {}
    slot_ads: dict[str, Ad] = {}
    on_article: dict[str, dict[str, Ad]] = {}
    for ad in issue.ads:
        if ad.spec.slot:
            slot_ads[ad.spec.slot] = ad
        elif ad.spec.after:
            ads_after.setdefault(ad.spec.after, []).append(ad)
        elif ad.spec.article:
            on_article.setdefault(ad.spec.article, {})[ad.size] = ad

    # Cover and the inside front cover.
    cover_spec = spec.cover
    lead = issue.article(cover_spec.lead) if cover_spec and cover_spec.lead else None
    if lead is None and issue.articles:
        lead = issue.articles[0]
    lines = [a for s in (cover_spec.lines if cover_spec else []) if (a := issue.article(s))]
    if not lines:
        lines = [a for a in issue.articles if a is not lead][:3]
    cover_shade = tuple(tuple(s) for s in layout.photos.cover_shade)
    plan.sections.append(CoverSection(
        slot(issue.cover, *full_bleed, shade=cover_shade) if issue.cover else None,
        lead, lines))
    plan.sections.append(ad_page(slot_ads.get("inside-front"),
                                 house=None if "inside-front" in slot_ads else "subscribe",
                                 role="inside-front"))

    # Contents, then the sections in the issue's order.
    contents = ContentsSection([], [])
    plan.sections.append(contents)
    order = spec.order or ["news", *[r.name for r in spec.rubrics], "inframe"]
    rubric_articles = {r.name: [a for a in issue.articles if a.slug in r.articles]
                       for r in spec.rubrics}
    thumb_w = layout.column_width
    number = 0
    for name in order:
        if name == "news":
            if spec.news or spec.popular:
                plan.sections.append(_news(issue, layout, slot))
                contents.groups.append(("Rubrik Tetap", [ContentsEntry(
                    "Berita Terbaru", "berita-terbaru",
                    f"{len(spec.news)} kabar singkat dan artikel terpopuler")]))
            continue
        if name == "inframe":
            if issue.inframe:
                plan.sections.append(_inframe(issue, layout, slot))
                group = next((g for g in contents.groups if g[0] == "Rubrik Tetap"), None)
                entry = ContentsEntry("Inframe", "inframe",
                                      f"{len(issue.inframe)} foto pilihan bulan ini")
                if group:
                    group[1].append(entry)
                else:
                    contents.groups.append(("Rubrik Tetap", [entry]))
            continue
        entries = []
        for article in rubric_articles.get(name, []):
            number += 1
            section = _article(issue, layout, article, number, on_article.get(article.slug, {}),
                               slot)
            if not entries:
                section.opens_rubric = name
            plan.sections.append(section)
            entries.append(ContentsEntry(article.title, section.anchor, article.meta.dek))
            if article.lead and len(contents.thumbs) < 3:
                contents.thumbs.append((slot(article.lead, thumb_w,
                                             layout.photos.contents_thumb), section.anchor))
            for ad in ads_after.get(article.slug, []):
                plan.sections.append(ad_page(ad))
        if entries:
            contents.groups.append((name, entries))
    # Keep the fixed rubrics after the news rubrics in the contents, as readers expect.
    contents.groups.sort(key=lambda g: g[0] == "Rubrik Tetap")

    if "inside-back" in slot_ads:
        plan.sections.append(ad_page(slot_ads["inside-back"], role="inside-back"))
    plan.sections.append(ad_page(slot_ads.get("back-cover"),
                                 house=None if "back-cover" in slot_ads else "next",
                                 role="back-cover"))
    return plan


def _news(issue: Issue, layout: Layout, slot) -> NewsSection:
    width = (layout.text_width - 3 * layout.page.gutter) / 4
    items = [NewsItem(n, slot(issue.root / n.photo, width, width * layout.photos.news_ratio,
                              n.title) if n.photo else None)
             for n in issue.spec.news]
    popular = []
    for p in issue.spec.popular:
        art = issue.article(p.article) if p.article else None
        popular.append(Related(p.title or (art.title if art else ""),
                               f"#art-{art.slug}" if art else None))
    return NewsSection(items, popular)


def _inframe(issue: Issue, layout: Layout, slot) -> InframeSection:
    """One full-bleed opener, then landscapes two to a page and portraits alone."""
    page = layout.page
    w = page.width + 2 * page.bleed
    # The photos bleed at the top and the sides; the bottom margin holds the folio.
    full_h = page.height - page.bottom + page.bleed
    half_h = (full_h - INFRAME_GAP) / 2
    pages: list[InframePage] = []
    photos = list(issue.inframe)
    pending: list[Photo] = []
    for i, photo in enumerate(photos):
        sw, sh = source_size(photo.path)
        portrait = sh > sw
        if i == 0 or portrait:
            shade = tuple(tuple(s) for s in layout.photos.inframe_shade) if i == 0 else ()
            pages.append(InframePage([slot(photo, w, full_h, shade=shade)], first=i == 0))
            continue
        pending.append(photo)
        if len(pending) == 2:
            pages.append(InframePage([slot(p, w, half_h) for p in pending]))
            pending = []
    if pending:  # an odd landscape out: alone, full bleed
        pages.append(InframePage([slot(pending[0], w, full_h)]))
    return InframeSection(pages)


_PARA = re.compile(r"^<p>")


def _article(issue: Issue, layout: Layout, article: Article, number: int,
             ads: dict[str, Ad], slot) -> ArticleSection:
    blocks = markdown_blocks(article.body)
    # Drop cap on the first paragraph.
    for i, b in enumerate(blocks):
        if b.kind == "p":
            html = re.sub(r"^<p>([\u201c\u2018\"']?\w)",
                          r'<p class="first"><span class="dropcap">\1</span>',
                          str(b.html), count=1)
            blocks[i] = Block(Markup(html), b.kind, b.figure, b.words)
            break
    items: list[Block | Insert] = []
    for b in blocks:
        if b.kind == "figure" and b.figure is not None:
            w = layout.column_width
            items.append(Insert("figure", slot(issue.root / b.figure.src, w,
                                               w * layout.photos.figure_ratio,
                                               b.figure.caption, b.figure.credit)))
        else:
            items.append(b)
    total = sum(b.words for b in blocks) or 1

    def insert_at(fraction: float, insert: Insert, min_words: int = 0) -> None:
        """Put `insert` after the paragraph where `fraction` of the words are reached."""
        seen = 0
        for i, item in enumerate(items):
            if isinstance(item, Block):
                seen += item.words
                if seen >= max(total * fraction, min_words) and item.kind == "p":
                    nxt = items[i + 1] if i + 1 < len(items) else None
                    if isinstance(nxt, Insert):
                        continue
                    items.insert(i + 1, insert)
                    return
        items.append(insert)

    related = []
    for ref in article.meta.related:
        other = issue.article(ref)
        related.append(Related(other.title if other else ref,
                               f"#art-{other.slug}" if other else None))
    if related:
        insert_at(0.0, Insert("baca-juga"), min_words=min(160, total // 4))
    if ads.get("quarter"):
        art = slot(ads["quarter"].path, layout.column_width, QUARTER_AD_HEIGHT,
                   caption=_ad_alt(ads["quarter"]), crop=False)
        insert_at(0.45, Insert("quarter-ad", slot=art, ad=ads["quarter"]))
    if article.meta.pullquote:
        insert_at(0.6, Insert("pullquote"))
    if article.meta.sidebar:
        insert_at(0.8, Insert("sidebar"))
    lead = None
    if article.lead:
        lead = slot(article.lead, layout.text_width, layout.photos.lead)
    half_art = None
    if ads.get("half"):
        half_art = slot(ads["half"].path, layout.text_width, HALF_AD_HEIGHT,
                        caption=_ad_alt(ads["half"]))
    section = ArticleSection(article, number, lead, items, related, ads.get("half"),
                             ads.get("quarter"), half_art=half_art)
    # The half-page ad goes on the second page, or on the first of a one-page article.
    section.half_ad_page = min(2, estimate_pages(section))
    return section


def _ad_alt(ad: Ad) -> str:
    return f"Iklan {ad.spec.advertiser}" if ad.spec.advertiser else "Iklan"


# A section's length before it has ever been laid out, in words of body text a page
# holds, fitted on the three sample issues in the classic layout (20 of 21 right). Only
# a first guess: what a section really takes is remembered after its first layout.
OPENER_WORDS = 380  # an article's first page under a lead photo
OPENER_WORDS_NO_PHOTO = 760
PAGE_WORDS = 950
FIGURE_WORDS, QUARTER_AD_WORDS, HALF_AD_WORDS = 150, 330, 475
SUBHEAD_WORDS, RELATED_WORDS = 25, 22


def estimate_pages(section: Section) -> int:
    """A first guess of a section's length, before it has ever been laid out."""
    if isinstance(section, InframeSection):
        return len(section.pages)
    if not isinstance(section, ArticleSection):
        return 1
    meta = section.article.meta
    if meta.pages:
        return meta.pages
    kinds = [getattr(i, "kind", "") for i in section.items]
    words = sum(getattr(i, "words", 0) for i in section.items)
    words += FIGURE_WORDS * kinds.count("figure") + QUARTER_AD_WORDS * kinds.count("quarter-ad")
    words += SUBHEAD_WORDS * kinds.count("h2")
    if meta.sidebar:
        words += len(meta.sidebar.body.split()) + len(meta.sidebar.title.split()) + 8
    words += 2 * len((meta.pullquote or "").split())
    if meta.related:
        words += RELATED_WORDS * len(meta.related) + 30
    if section.half_ad is not None:
        words += HALF_AD_WORDS
    opener = OPENER_WORDS if section.lead else OPENER_WORDS_NO_PHOTO
    if words <= opener:
        return 1
    return 1 + math.ceil((words - opener) / PAGE_WORDS)
