"""Article text: Markdown to safe HTML blocks, and Indonesian dates (Babel)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import nh3
from babel.dates import format_date
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup, escape

# Raw HTML in Markdown is off: contributors write Markdown, and whatever HTML
# slips through is escaped by markdown-it and then cleaned again by nh3.
_md = MarkdownIt("commonmark", {"html": False, "typographer": True}).enable(
    ["replacements", "smartquotes"]
)
_md.options["quotes"] = "\u201c\u201d\u2018\u2019"

ALLOWED_TAGS = {"p", "em", "strong", "a", "h2", "h3", "h4", "ul", "ol", "li", "blockquote",
                "code", "br", "sup", "sub", "hr"}
ALLOWED_ATTRS = {"a": {"href"}}
ALLOWED_SCHEMES = {"http", "https", "mailto"}


def sanitize(html: str) -> str:
    """Keep only the small set of tags an article body may use."""
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRS,
                     url_schemes=ALLOWED_SCHEMES, link_rel="noopener")


@dataclass(frozen=True)
class Figure:
    """A photo placed in the text: `![caption](path "credit")`."""

    src: str
    caption: str
    credit: str | None


@dataclass(frozen=True)
class Block:
    """One top-level block of an article body: safe HTML, or a figure."""

    html: Markup
    kind: str  # "p", "h2", "list", "quote", "figure", "other"
    figure: Figure | None = None
    words: int = 0


def _group(tokens: list[Token]) -> list[list[Token]]:
    groups: list[list[Token]] = []
    current: list[Token] = []
    depth = 0
    for tok in tokens:
        current.append(tok)
        depth += tok.nesting
        if depth == 0:
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    return groups


_WORD = re.compile(r"\w+", re.UNICODE)


def markdown_blocks(source: str) -> list[Block]:
    """Split a Markdown body into top-level blocks of sanitised HTML."""
    env: dict[str, object] = {}
    blocks = []
    for group in _group(_md.parse(source, env)):
        first = group[0]
        inline = next((t for t in group if t.type == "inline"), None)
        if (first.type == "paragraph_open" and inline is not None and inline.children
                and [c.type for c in inline.children if c.type != "softbreak"] == ["image"]):
            img = inline.children[0]
            caption = img.content or ""
            credit = img.attrs.get("title")
            fig = Figure(str(img.attrs.get("src", "")), caption,
                         str(credit) if credit else None)
            blocks.append(Block(Markup(""), "figure", fig))
            continue
        html = sanitize(_md.renderer.render(group, _md.options, env))
        kind = {"paragraph_open": "p", "heading_open": "h2", "bullet_list_open": "list",
                "ordered_list_open": "list", "blockquote_open": "quote"}.get(first.type, "other")
        words = len(_WORD.findall(inline.content)) if inline is not None else 0
        if kind == "list":
            words = sum(len(_WORD.findall(t.content)) for t in group if t.type == "inline")
        blocks.append(Block(Markup(html), kind, None, words))
    return blocks


def inline_markdown(source: str) -> Markup:
    """Markdown for one line (a caption, a dek): inline markup only, no <p>."""
    return Markup(sanitize(_md.renderInline(source)))


def block_markdown(source: str) -> Markup:
    return Markup(sanitize(_md.render(source)))


def long_date(value: dt.date, locale: str = "id") -> str:
    """'Minggu, 19 Mei 2024'."""
    return format_date(value, "EEEE, d MMMM y", locale=locale)


def month_year(value: dt.date, locale: str = "id") -> str:
    """'Mei 2024'."""
    return format_date(value, "MMMM y", locale=locale)


def short_date(value: dt.date, locale: str = "id") -> str:
    """'19 Mei 2024'."""
    return format_date(value, "d MMMM y", locale=locale)


def text_escape(value: str) -> Markup:
    return escape(value)
