"""One source -> one article: front matter, Markdown body and a report of what was stripped."""
# ruff: noqa: RUF001  (typographic dashes, quotes and colons are matched on purpose)

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trafilatura
import yaml

from edition.collect.blocks import text_blocks, xml_blocks
from edition.collect.markdown import render_block
from edition.collect.page import PageMeta, read_page_meta
from edition.collect.parse import parse_blocks
from edition.collect.source import decode_source, looks_like_html
from edition.collect.text import label_key, plural, words_of
from edition.errors import EditionError
from edition.issue.model import ArticleMeta
from edition.issue.text import strip_controls

FRONT_MATTER_KEYS = tuple(ArticleMeta.model_fields)  # what an article file may say
_NO_TEXT_HINT = "save the whole article page, or paste its text"


@dataclass
class CollectedArticle:
    """One collected source: where it goes, its front matter and Markdown body, and a report."""

    slug: str
    front_matter: dict[str, Any]
    body: str
    source: str
    word_count: int
    stripped: list[str] = field(default_factory=list)


def slugify(title: str, max_words: int = 6, max_chars: int = 60) -> str:
    """Lowercase ASCII words of the title joined by '-', at most max_words / max_chars."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", re.sub(r"['’]", "", ascii_title.lower()))
    chosen: list[str] = []
    for word in words[:max_words]:
        if len("-".join([*chosen, word])) > max_chars:
            break
        chosen.append(word)
    if not chosen and words:
        chosen = [words[0][:max_chars]]
    return "-".join(chosen) or "artikel"


def collect_article(text: str | bytes, source: str) -> CollectedArticle:
    """Parse one source (a saved web page or a text paste) into an article."""
    path = Path(source)
    if isinstance(text, bytes):
        text = decode_source(text, path)
    # Control characters (an escape sequence in a page's title, a form feed in a paste)
    # would reach the terminal, the feed and the PDF's metadata: a page break becomes a
    # line break, the rest is left out.
    text = strip_controls(text.replace("\x0c", "\n").replace("\x0b", "\n"))
    if looks_like_html(source, text):  # `&#27;` is an escape character once parsed
        text = _CONTROL_REFERENCE.sub(_drop_controls, text)
    if not text.strip():
        raise EditionError.single(
            "source is empty",
            path,
            None,
            "save the article text or the web page into it",
            "collect.empty",
        )
    known_title: str | None = None
    page = PageMeta()
    html = looks_like_html(source, text)
    if html:
        page = read_page_meta(text)
        known_title = page.title
        xml = trafilatura.extract(
            re.sub(r"^\s*<\?xml[^>]*\?>", "", text),
            output_format="xml",
            include_comments=False,
            include_tables=False,
            include_images=False,
            include_links=False,
            with_metadata=False,
        )
        blocks = xml_blocks(xml) if xml else []
    else:
        blocks = text_blocks(text)
    if not blocks:
        raise EditionError.single(
            "no article text found", path, None, _NO_TEXT_HINT, "collect.no-body"
        )

    parsed = parse_blocks(blocks, known_title)
    if not parsed.paragraphs and (known_title is not None or html):
        raise EditionError.single(
            "no article text found", path, None, _NO_TEXT_HINT, "collect.no-body"
        )
    if not parsed.title:
        first = blocks[0].line
        raise EditionError.single(
            "no recognisable title (no headline line before the article text)",
            path,
            first,
            "put the headline on a line of its own above the text",
            "collect.no-title",
        )
    if not parsed.paragraphs:
        raise EditionError.single(
            "no article text found after the title",
            path,
            parsed.title_line,
            "the paste should hold the article's paragraphs",
            "collect.no-body",
        )

    front: dict[str, Any] = {"title": parsed.title}
    author = parsed.author or page.author
    date = page.date or parsed.date
    for key, value in (
        ("author", author),
        ("date", date.isoformat() if date else None),
        ("dek", parsed.dek),
        ("dateline", parsed.dateline),
        ("agency", parsed.agency),
        ("lead_caption", parsed.caption or page.caption),
        ("credit", parsed.credit or page.credit),
    ):
        if value:
            front[key] = value
    related = list(page.related)
    related += [t for t in parsed.related if label_key(t) not in {label_key(r) for r in related}]
    page_only = len(related) - len(parsed.related)
    if page_only:
        parsed.stripped.append(f"{plural(page_only, 'Baca Juga promo')} (in the page)")
    if known_title is not None:
        parsed.stripped.append("page layout around the article (trafilatura)")
    if related:
        front["related"] = related
    front["source"] = page.url or path.name

    body = "\n\n".join(render_block(b) for b in parsed.paragraphs) + "\n"
    words = sum(len(words_of(b.text)) for b in parsed.paragraphs)
    # What a page's markup held as character references (`&#27;`) is text only now.
    front = {k: _clean(v) for k, v in front.items()}
    return CollectedArticle(
        slugify(front["title"]),
        front,
        strip_controls(body),
        source,
        words,
        [strip_controls(s) for s in parsed.stripped],
    )


_CONTROL_REFERENCE = re.compile(r"&#(?:[xX]0*([0-9a-fA-F]{1,6})|0*([0-9]{1,7}));?")


def _drop_controls(m: re.Match[str]) -> str:
    code = int(m.group(1), 16) if m.group(1) else int(m.group(2))
    try:
        return "" if code > 0x10FFFF or strip_controls(chr(code)) == "" else m.group()
    except ValueError:
        return ""


def _clean(value: Any) -> Any:
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return strip_controls(value) if isinstance(value, str) else value


def render_article_file(article: CollectedArticle) -> str:
    """The article file: YAML front matter between '---' lines, a blank line, the body."""
    front = dict(article.front_matter)
    if isinstance(front.get("date"), str):
        front["date"] = dt.date.fromisoformat(front["date"])
    dumped: str = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=10_000)
    return "---\n" + dumped + "---\n\n" + article.body


def report_lines(article: CollectedArticle) -> list[str]:
    """What `edition collect` tells about one source."""
    fm = article.front_matter
    return [
        f"{article.source} -> articles/{article.slug}.md",
        f"  title:    {fm['title']}",
        f"  date:     {fm.get('date', '(none found)')}",
        f"  words:    {article.word_count}",
        f"  stripped: {'; '.join(article.stripped) if article.stripped else 'nothing'}",
    ]
