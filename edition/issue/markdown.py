"""Article text: Markdown to safe HTML blocks (markdown-it, then an nh3 allow-list)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup


class _AnyLink(MarkdownIt):
    """The parser that takes every link target, even `file:` and `javascript:` ones: an
    image the page would drop as text is still one the loader must name and refuse."""

    def validateLink(self, url: str) -> bool:
        return True


@functools.cache
def _parser() -> MarkdownIt:
    """Raw HTML in Markdown is off: contributors write Markdown, and whatever HTML slips
    through is escaped by markdown-it and then cleaned again by nh3."""
    md = MarkdownIt("commonmark", {"html": False, "typographer": True}).enable(
        ["replacements", "smartquotes"]
    )
    md.options["quotes"] = "\u201c\u201d\u2018\u2019"
    return md


@functools.cache
def _link_parser() -> MarkdownIt:
    return _AnyLink("commonmark", {"html": False})


ALLOWED_TAGS = {
    "p",
    "em",
    "strong",
    "a",
    "h2",
    "h3",
    "h4",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
    "br",
    "sup",
    "sub",
    "hr",
}
ALLOWED_ATTRS = {"a": {"href"}}
ALLOWED_SCHEMES = {"http", "https", "mailto"}


def _keep_href(tag: str, attribute: str, value: str) -> str | None:
    """Links may go to the web, to an e-mail address or to a place in the edition.

    A relative link (`[a](../notes.txt)`) would become a link to a file on the
    machine that built the PDF, so it is dropped like a `file:` one.
    """
    if attribute != "href" or value.startswith("#"):
        return value
    try:
        scheme = urlsplit(value).scheme.lower()
    except ValueError:  # e.g. "http://[" : not a URL anyone can follow
        return None
    return value if scheme in ALLOWED_SCHEMES else None


def sanitize(html: str) -> str:
    """Keep only the small set of tags an article body may use."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRS,
        attribute_filter=_keep_href,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="noopener",
    )


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
    for group in _group(_parser().parse(source, env)):
        first = group[0]
        inline = next((t for t in group if t.type == "inline"), None)
        if (
            first.type == "paragraph_open"
            and inline is not None
            and inline.children
            and [c.type for c in inline.children if c.type != "softbreak"] == ["image"]
        ):
            img = inline.children[0]
            caption = img.content or ""
            credit = img.attrs.get("title")
            fig = Figure(_image_path(img), caption, str(credit) if credit else None)
            blocks.append(Block(Markup(""), "figure", fig))
            continue
        html = sanitize(_parser().renderer.render(group, _parser().options, env))
        kind = {
            "paragraph_open": "p",
            "heading_open": "h2",
            "bullet_list_open": "list",
            "ordered_list_open": "list",
            "blockquote_open": "quote",
        }.get(first.type, "other")
        words = len(_WORD.findall(inline.content)) if inline is not None else 0
        if kind == "list":
            words = sum(len(_WORD.findall(t.content)) for t in group if t.type == "inline")
        blocks.append(Block(Markup(html), kind, None, words))
    return blocks


def _image_path(image: Token) -> str:
    """The file an image token names, as written: markdown-it percent-encodes its URL."""
    return unquote(str(image.attrs.get("src", "")))


def image_refs(source: str) -> list[tuple[str, int]]:
    """Every image of a Markdown body as (path, line), line counted from 0 in `source`.

    Taken from the parser `markdown_blocks` uses, not from a pattern, so that
    reference-style images (`![x][ref]` ... `[ref]: path`) and `<path with spaces>`
    are seen exactly as the page will use them, and images in code are not: the
    loader checks each one before anything reads it. Images with a `file:` or
    `javascript:` target, which the page would print as text, are listed too, so
    that the editor is told.
    """
    refs = []
    lines = source.split("\n")
    for tok in _link_parser().parse(source, {}):
        if tok.type != "inline" or not tok.children:
            continue
        start, end = tok.map if tok.map else (0, 1)
        for child in tok.children:
            if child.type == "image":
                path = _image_path(child)
                at = next(
                    (
                        n
                        for n in range(start, min(end, len(lines)))
                        if path in lines[n] or str(child.attrs.get("src")) in lines[n]
                    ),
                    start,
                )
                refs.append((path, at))
    return refs


def inline_markdown(source: str) -> Markup:
    """Markdown for one line (a caption, a dek): inline markup only, no <p>."""
    return Markup(sanitize(_parser().renderInline(source)))


def block_markdown(source: str) -> Markup:
    return Markup(sanitize(_parser().render(source)))
