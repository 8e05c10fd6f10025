"""A section's length before it has ever been laid out: a first guess from word counts.

Only the first build of a section uses it; afterwards the pages a section really took are
remembered. The words a page holds come from the layout (`[estimate]` in layout.toml)."""

from __future__ import annotations

import math

from edition.layout.spec import Estimate
from edition.plan.model import ArticleSection, InframeSection, Section


def estimate_pages(section: Section, words_per: Estimate) -> int:
    """A first guess of a section's length in pages."""
    if isinstance(section, InframeSection):
        return len(section.pages)
    if not isinstance(section, ArticleSection):
        return 1
    meta = section.article.meta
    if meta.pages:
        return meta.pages
    return article_pages(section, words_per)


def article_pages(section: ArticleSection, words_per: Estimate) -> int:
    """The pages an article's words, boxes and photos need, by the layout's estimates."""
    meta = section.article.meta
    kinds = [getattr(i, "kind", "") for i in section.items]
    words = sum(getattr(i, "words", 0) for i in section.items)
    words += words_per.figure_words * kinds.count("figure")
    words += words_per.quarter_ad_words * kinds.count("quarter-ad")
    words += words_per.subhead_words * kinds.count("h2")
    if meta.sidebar:
        words += len(meta.sidebar.body.split()) + len(meta.sidebar.title.split()) + 8
    words += 2 * len((meta.pullquote or "").split())
    if meta.related:
        words += words_per.related_words * len(meta.related) + 30
    if section.half_ad is not None:
        words += words_per.half_ad_words
    opener = words_per.opener_words if section.lead else words_per.opener_words_no_photo
    if words <= opener:
        return 1
    return 1 + math.ceil((words - opener) / words_per.page_words)
