"""The reader of saved web pages: what the page's markup says (title, date, author, promos)."""
# ruff: noqa: RUF001  (typographic dashes, quotes and colons are matched on purpose)

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from lxml import html as lxml_html

from edition.collect.dates import parse_date_line, parse_metadata_date
from edition.collect.lines import (
    AUTHOR_LABELS,
    byline_parts,
    caption_parts,
    dateline_parts,
    promo_title,
)
from edition.collect.text import label_key, normalize, words_of


@dataclass
class PageMeta:
    title: str | None = None
    date: dt.date | None = None
    url: str | None = None
    author: str | None = None
    related: list[str] = field(default_factory=list)
    caption: str | None = None
    credit: str | None = None


def _strip_site_suffix(title: str, site: str | None) -> str:
    parts = re.split(r"\s+[|–—-]\s+", title)
    if len(parts) > 1 and (
        len(words_of(parts[-1])) <= 4 or (site and label_key(parts[-1]) == label_key(site))
    ):
        head = title[: title.rfind(parts[-1])]
        return re.sub(r"\s+[|–—-]\s+$", "", head).strip()
    return title.strip()


def read_page_meta(page: str) -> PageMeta:
    meta = PageMeta()
    page = re.sub(r"^\s*<\?xml[^>]*\?>", "", page)
    try:
        doc = lxml_html.document_fromstring(page)
    except (etree.ParserError, ValueError):
        return meta

    def attr(xpath: str, **names: str) -> str | None:
        for value in doc.xpath(xpath, **names):
            value = normalize(str(value))
            if value:
                return value
        return None

    def meta_content(*names: str) -> str | None:
        for name in names:
            value = attr("//meta[@property=$n or @name=$n or @itemprop=$n]/@content", n=name)
            if value:
                return value
        return None

    site = meta_content("og:site_name")
    og_title = meta_content("og:title", "twitter:title")
    page_title = normalize(doc.findtext(".//title") or "") or None
    meta.title = _page_title(doc, og_title, page_title, site)

    raw_date = meta_content(
        "article:published_time",
        "og:published_time",
        "datePublished",
        "pubdate",
        "publishdate",
        "publish-date",
        "date",
        "dc.date",
        "DC.date.issued",
        "parsely-pub-date",
        "sailthru.date",
    )
    if raw_date is None:
        for script in doc.xpath("//script[@type='application/ld+json']/text()"):
            found = re.search(r'"datePublished"\s*:\s*"([^"]+)"', str(script))
            if found:
                raw_date = found.group(1)
                break
    if raw_date is None:
        raw_date = attr("//time/@datetime")
    if raw_date is not None:
        meta.date = parse_metadata_date(raw_date)
    if meta.date is None:
        meta.date = _visible_date(doc, meta.title)

    meta.url = attr("//link[@rel='canonical']/@href") or meta_content("og:url")
    region = _article_region(doc, meta.title)
    meta.author = _visible_author(region)
    author = meta_content("author", "article:author", "dc.creator")
    if meta.author is None and author and not re.search(r"https?:|www\.|\.com\b", author):
        meta.author = author
    meta.related = _html_promos(region)
    for element in region.iter("figcaption", "p"):  # the lead photo's, above the text
        text = normalize(element.text_content())
        if element.tag == "p" and (len(words_of(text)) >= 25 or dateline_parts(text)):
            break
        if element.tag == "figcaption" and text:
            meta.caption, meta.credit = caption_parts(text) or (text, None)
            break
    return meta


_CHROME_ATTR = re.compile(r"menu|logo|brand|site-?(title|name|header)|navbar|masthead", re.I)


def _is_chrome_element(element: Any) -> bool:
    for node in [element, *element.iterancestors()]:
        if node.tag in {"nav", "aside", "footer"}:
            return True
        if _CHROME_ATTR.search(f"{node.get('class', '')} {node.get('id', '')}"):
            return True
    return False


def _page_title(
    doc: Any, og_title: str | None, page_title: str | None, site: str | None
) -> str | None:
    """The headline: an <h1> that agrees with og:title / <title>, else og:title, else an <h1>."""
    h1s = [normalize(h.text_content()) for h in doc.iter("h1") if not _is_chrome_element(h)]
    h1s = [h for h in h1s if len(words_of(h)) >= 2]
    titles = [t for t in (og_title, page_title) if t]
    stripped = [_strip_site_suffix(t, site) for t in titles]
    for h1 in h1s:
        if any(label_key(h1) == label_key(t) for t in stripped):
            return h1
    for h1 in h1s:
        if any(label_key(t).startswith(label_key(h1)) for t in titles):
            return h1
    if og_title:
        return _strip_site_suffix(og_title, site)
    if h1s:
        return h1s[0]
    return stripped[0] if stripped else None


def _visible_author(region: Any) -> str | None:
    """The name in the first byline of the article ('Oleh: …', 'Penulis: …'), if any."""
    for element in region.iter():
        if not isinstance(element.tag, str) or element.tag in {"script", "style"}:
            continue
        if len(list(itertools.islice(element.iterdescendants(), 5))) > 4:
            continue  # only small elements: a byline is a line, not a section
        for part in re.split(r"\s*[|•·]\s*", normalize(element.text_content())):
            byline = byline_parts(part) if len(part) <= 80 else None
            if byline is not None and byline[0] in AUTHOR_LABELS:
                return byline[1]
    return None


def _article_region(doc: Any, title: str | None) -> Any:
    """The <article> holding the headline (or the longest one), else <main>, else <body>."""
    articles = list(doc.iter("article"))
    if title:
        holding = [
            a
            for a in articles
            if any(label_key(normalize(h.text_content())) == label_key(title) for h in a.iter("h1"))
        ]
        articles = holding or articles
    if articles:
        return max(articles, key=lambda a: len(a.text_content()))
    main = next(doc.iter("main"), None)
    return main if main is not None else doc.body


def _html_promos(region: Any) -> list[str]:
    """Titles of 'Baca Juga' promos in the page, which main-content extraction may drop."""
    titles: list[str] = []
    seen: set[Any] = set()  # the elements themselves: lxml proxies' id() is not stable
    for element in region.iter():
        if not isinstance(element.tag, str) or element.tag in {"script", "style"}:
            continue
        if promo_title(normalize(element.text or "")) is None:
            continue
        container = element
        for _ in range(3):
            text = normalize(container.text_content())
            if container.xpath(".//a") or (promo_title(text) or ""):
                break
            parent = container.getparent()
            if parent is None:
                break
            container = parent
        if container in seen:
            continue
        seen.add(container)
        links = [normalize(a.text_content()) for a in container.iter("a")]
        found = [t for t in links if t] or [promo_title(normalize(container.text_content())) or ""]
        titles.extend(t for t in found if t and t not in titles)
    return titles


def _visible_date(doc: Any, title: str | None) -> dt.date | None:
    """The first date line in the page text, preferring one after the headline."""
    before: dt.date | None = None
    seen_title = title is None
    for element in doc.iter():
        if not isinstance(element.tag, str) or element.tag in {"script", "style", "noscript"}:
            continue
        text = normalize(element.text or "")
        if not text:
            continue
        if title and label_key(text) == label_key(title):
            seen_title = True
            continue
        date = parse_date_line(text)
        if date is not None:
            if seen_title:
                return date
            before = before or date
    return before
