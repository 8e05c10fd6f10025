"""Plan the issue: sections in order, ads in their slots, boxes placed in the text, photo sizes."""

from __future__ import annotations

import dataclasses
import re

from markupsafe import Markup

from edition.errors import Finding, Location, Severity
from edition.issue.markdown import Block, markdown_blocks
from edition.issue.model import Ad, Article, Issue, Photo
from edition.layout.spec import Layout, Shade
from edition.plan.estimate import estimate_pages
from edition.plan.model import (
    AdPage,
    ArticleSection,
    ContentsEntry,
    ContentsSection,
    CoverSection,
    ImageRequest,
    InframePage,
    InframeSection,
    Insert,
    NewsItem,
    NewsSection,
    Plan,
    Related,
    Section,
    Slot,
)
from edition.plan.pad import LANDSCAPE_HEIGHT


def plan_issue(
    issue: Issue, layout: Layout, dpi: int = 300, *, quality: int = 88, cmyk: bool = False
) -> Plan:
    """Decide what goes on which pages, in order; no rendering happens here.

    `dpi`, `quality` and `cmyk` say how the photos are to be prepared for the profile.
    """
    return _Planner(issue, layout, dpi, quality, cmyk).plan()


@dataclasses.dataclass
class _Planner:
    issue: Issue
    layout: Layout
    dpi: int
    quality: int
    cmyk: bool
    notes: list[Finding] = dataclasses.field(default_factory=list)

    def slot(
        self,
        photo: Photo,
        w: float,
        h: float,
        caption: str | None = None,
        credit: str | None = None,
        crop: bool = True,
        shade: tuple[Shade, ...] = (),
    ) -> Slot:
        """`photo` placed in a box of w x h mm; what the issue (or the file) says beside it
        unless `caption` / `credit` are given."""
        request = ImageRequest(
            photo.path, round(w, 2), round(h, 2), self.dpi, crop, self.quality, self.cmyk, shade
        )
        return Slot(request, caption or photo.caption, credit or photo.credit, photo.size)

    def ad_alt(self, ad: Ad) -> str:
        strings = self.layout.text(self.issue.spec.language)
        if ad.spec.advertiser:
            return strings.ad_by.format(advertiser=ad.spec.advertiser)
        return strings.ad

    def ad_page(self, ad: Ad | None, house: str | None = None, role: str = "page") -> AdPage:
        page = self.layout.page
        art = None
        if ad is not None:
            art = self.slot(
                ad.photo,
                page.width + 2 * page.bleed,
                page.height + 2 * page.bleed,
                caption=self.ad_alt(ad),
            )
        return AdPage(ad=ad, house=house, role=role, art=art)

    def plan(self) -> Plan:
        issue, layout, spec = self.issue, self.layout, self.issue.spec
        strings = layout.text(spec.language)
        page = layout.page
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
        cover_photo = None
        if issue.cover:
            cover_photo = self.slot(
                issue.cover,
                page.width + 2 * page.bleed,
                page.height + 2 * page.bleed,
                shade=tuple(layout.photos.cover_shade),
            )
        front: list[Section] = [CoverSection(cover_photo, lead, lines)]
        front.append(
            self.ad_page(
                slot_ads.get("inside-front"),
                house=None if "inside-front" in slot_ads else layout.ads.inside_front,
                role="inside-front",
            )
        )

        # The contents (known once the rest is planned), then the issue's order.
        groups: list[tuple[str, list[ContentsEntry]]] = []
        thumbs: list[tuple[Slot, str]] = []
        body: list[Section] = []
        order = spec.order or ["news", *[r.name for r in spec.rubrics], "inframe"]
        rubric_articles = {
            r.name: [a for a in issue.articles if a.slug in r.articles] for r in spec.rubrics
        }
        fixed: list[ContentsEntry] = []  # Berita Terbaru and Inframe
        number = 0
        for name in order:
            if name == "news":
                if spec.news or spec.popular:
                    body.append(self.news())
                    fixed.append(
                        ContentsEntry(
                            strings.news,
                            "berita-terbaru",
                            strings.news_dek.format(count=len(spec.news)),
                        )
                    )
                continue
            if name == "inframe":
                if issue.inframe:
                    body.append(self.inframe())
                    fixed.append(
                        ContentsEntry(
                            strings.inframe,
                            "inframe",
                            strings.inframe_dek.format(count=len(issue.inframe)),
                        )
                    )
                continue
            entries: list[ContentsEntry] = []
            for article in rubric_articles.get(name, []):
                number += 1
                section = self.article(
                    article,
                    number,
                    on_article.get(article.slug, {}),
                    opens_rubric=None if entries else name,
                )
                body.append(section)
                entries.append(ContentsEntry(article.title, section.anchor, article.meta.dek))
                if article.lead and len(thumbs) < 3:
                    thumbs.append(
                        (
                            self.slot(
                                article.lead, layout.column_width, layout.photos.contents_thumb
                            ),
                            section.anchor,
                        )
                    )
                body.extend(self.ad_page(ad) for ad in ads_after.get(article.slug, []))
            if entries:
                groups.append((name, entries))
        # The fixed rubrics come after the news rubrics in the contents, as readers expect.
        if fixed:
            groups.append((strings.fixed_rubrics, fixed))

        back: list[Section] = []
        if "inside-back" in slot_ads:
            back.append(self.ad_page(slot_ads["inside-back"], role="inside-back"))
        back.append(
            self.ad_page(
                slot_ads.get("back-cover"),
                house=None if "back-cover" in slot_ads else layout.ads.back_cover,
                role="back-cover",
            )
        )
        sections = [*front, ContentsSection(groups, thumbs), *body, *back]
        return Plan(issue, layout, self.dpi, sections, notes=list(self.notes))

    def news(self) -> NewsSection:
        issue, layout = self.issue, self.layout
        width = (layout.text_width - 3 * layout.page.gutter) / 4
        items = []
        for n, photo in zip(issue.spec.news, issue.news_photos, strict=True):
            slot = None
            if photo is not None:
                slot = self.slot(photo, width, width * layout.photos.news_ratio, n.title)
            items.append(NewsItem(n, slot))
        popular = []
        for p in issue.spec.popular:
            art = issue.article(p.article) if p.article else None
            popular.append(
                Related(p.title or (art.title if art else ""), f"#art-{art.slug}" if art else None)
            )
        return NewsSection(items, popular)

    def inframe(self) -> InframeSection:
        """Photos where they hold their resolution: an upright photo full-bleed on its page
        when it holds `photos.full_ppi` there, else framed, smaller, on its page; landscapes
        two to a page (a landscape is never cut to an upright page), an odd one out across
        the top of a page of its own. The first page opens the section, with its label."""
        layout = self.layout
        page = layout.page
        w = page.width + 2 * page.bleed
        # The photos bleed at the top and the sides; the bottom margin holds the folio.
        full_h = page.height - page.bottom + page.bleed
        half_h = (full_h - layout.photos.inframe_gap) / 2
        framed_w = layout.photos.framed_width
        framed_h = framed_w * full_h / w
        shade = tuple(layout.photos.inframe_shade)
        pages: list[InframePage] = []
        pending: list[Photo] = []

        def add(slots: list[Photo], shape: str) -> None:
            first = not pages
            made = []
            for k, p in enumerate(slots):
                tint = shade if first and k == 0 else ()
                if shape == "single":
                    made.append(self.slot(p, w, full_h, shade=tint))
                elif shape == "framed":
                    made.append(self.slot(p, framed_w, framed_h, shade=tint))
                elif shape == "double":
                    made.append(self.slot(p, w, half_h, shade=tint))
                else:
                    made.append(self.slot(p, w, LANDSCAPE_HEIGHT, shade=tint))
            pages.append(InframePage(made, first=first, shape=shape))

        for photo in self.issue.inframe:
            sw, sh = photo.size
            if sh > sw:
                if pending and not pages:  # the first photo opens the section
                    add(pending, "landscape")
                    pending = []
                full = self.slot(photo, w, full_h)
                if full.effective_dpi >= layout.photos.full_ppi or not all(photo.size):
                    add([photo], "single")
                else:
                    add([photo], "framed")
                    self.notes.append(_smaller(photo, full.effective_dpi, layout.photos.full_ppi))
                continue
            pending.append(photo)
            if len(pending) == 2:
                add(pending, "double")
                pending = []
        if pending:  # an odd landscape out: across the top of its page
            add(pending, "landscape")
        return InframeSection(pages)

    def article(
        self, article: Article, number: int, ads: dict[str, Ad], opens_rubric: str | None
    ) -> ArticleSection:
        layout = self.layout
        blocks = _with_drop_cap(markdown_blocks(article.body))
        items: list[Block | Insert] = []
        for b in blocks:
            if b.kind == "figure" and b.figure is not None:
                w = layout.column_width
                items.append(
                    Insert(
                        "figure",
                        self.slot(
                            article.figures[b.figure.src],
                            w,
                            w * layout.photos.figure_ratio,
                            b.figure.caption,
                            b.figure.credit,
                        ),
                    )
                )
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
            other = self.issue.article(ref)
            related.append(
                Related(other.title if other else ref, f"#art-{other.slug}" if other else None)
            )
        if related:
            insert_at(0.0, Insert("baca-juga"), min_words=min(160, total // 4))
        quarter = ads.get("quarter")
        if quarter:
            art = self.slot(
                quarter.photo,
                layout.column_width,
                layout.ads.quarter_height,
                caption=self.ad_alt(quarter),
                crop=False,
            )
            insert_at(0.45, Insert("quarter-ad", slot=art, ad=quarter))
        if article.meta.pullquote:
            insert_at(0.6, Insert("pullquote"))
        if article.meta.sidebar:
            insert_at(0.8, Insert("sidebar"))
        lead = None
        if article.lead:
            lead = self.slot(article.lead, layout.text_width, layout.photos.lead)
        half = ads.get("half")
        half_art = None
        if half:
            half_art = self.slot(
                half.photo, layout.text_width, layout.ads.half_height, caption=self.ad_alt(half)
            )
        section = ArticleSection(
            article,
            number,
            lead,
            items,
            related,
            half,
            quarter,
            half_art=half_art,
            opens_rubric=opens_rubric,
        )
        # The half-page ad goes on the second page, or on the first of a one-page article.
        return dataclasses.replace(
            section, half_ad_page=min(2, estimate_pages(section, layout.estimate))
        )


def _with_drop_cap(blocks: list[Block]) -> list[Block]:
    """The first paragraph opens with a drop cap (with its opening quote, if any)."""
    blocks = list(blocks)
    for i, b in enumerate(blocks):
        if b.kind == "p":
            html = re.sub(
                r"^<p>([\u201c\u2018\"']?\w)",
                r'<p class="first"><span class="dropcap">\1</span>',
                str(b.html),
                count=1,
            )
            blocks[i] = Block(Markup(html), b.kind, b.figure, b.words)
            break
    return blocks


def _smaller(photo: Photo, dpi: float, need: int) -> Finding:
    return Finding(
        f"photo holds {dpi:.0f} ppi on a full page, under the {need} a full page needs: "
        "set smaller on its page",
        Location(photo.path),
        "use a larger original to have it full-bleed",
        "plan.photo-smaller",
        Severity.WARNING,
        obj=photo.path.name,
    )
