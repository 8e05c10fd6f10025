"""The clean-up: where the article starts and ends, what above it is header, what is chrome."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from edition.collect.blocks import Block
from edition.collect.lines import (
    AUTHOR_LABELS,
    SIGNOFF_RE,
    byline_parts,
    caption_parts,
    dateline_parts,
    is_breadcrumb,
    is_end_chrome,
    is_menu,
    is_noise,
    is_section_label,
    meta_line_parts,
    promo_title,
)
from edition.collect.text import (
    ends_sentence,
    is_headline,
    is_prose,
    label_key,
    plural,
    shorten,
    words_of,
)


@dataclass
class _Parsed:
    title: str | None = None
    title_line: int | None = None
    date: dt.date | None = None
    author: str | None = None
    dek: str | None = None
    dateline: str | None = None
    agency: str | None = None
    caption: str | None = None
    credit: str | None = None
    related: list[str] = field(default_factory=list)
    paragraphs: list[Block] = field(default_factory=list)
    stripped: list[str] = field(default_factory=list)


def _find_body_start(blocks: Sequence[Block], known_title: str | None) -> int:
    """Index of the article's first paragraph: the dateline paragraph, else the first prose
    paragraph that is not followed by date, byline or caption lines (then it is a standfirst)."""
    for i, block in enumerate(blocks[:40]):
        if (
            block.kind == "p"
            and (i > 0 or known_title)
            and promo_title(block.text) is None
            and dateline_parts(block.text)
            and len(words_of(block.text)) >= 12
        ):
            return i
    i = 0
    while i < len(blocks):
        block = blocks[i]
        if (
            block.kind == "p"
            and is_prose(block.text)
            and promo_title(block.text) is None
            and caption_parts(block.text) is None
            and not is_noise(block.text)
        ):
            j = i + 1
            while j < len(blocks) and (
                is_noise(blocks[j].text) or promo_title(blocks[j].text) == ""
            ):
                j += 1
            follows_meta = j < len(blocks) and (
                meta_line_parts(blocks[j].text) is not None
                or caption_parts(blocks[j].text) is not None
            )
            if not follows_meta:
                return i
        i += 1
    return len(blocks)


def _parse_header(header: Sequence[Block], known_title: str | None, out: _Parsed) -> None:
    candidates: list[Block] = []
    separators: list[int] = []  # positions in `candidates` where a menu/section/breadcrumb line was
    chrome: list[Block] = []
    i = 0
    while i < len(header):
        block = header[i]
        text = block.text
        i += 1
        if known_title and label_key(text) == label_key(known_title):
            continue
        meta = meta_line_parts(text)
        if meta is not None:
            out.date = out.date or meta[0]
            out.author = out.author or meta[1]
            continue
        promo = promo_title(text)
        if promo is not None:
            if promo:
                out.related.append(promo)
            elif (
                (candidates or known_title)
                and i < len(header)
                and is_headline(header[i].text)
                and not is_prose(header[i].text)
            ):
                out.related.append(header[i].text)
                i += 1
            else:
                out.stripped.append(f"empty '{text}' label")
            continue
        caption = caption_parts(text)
        if caption is not None and (candidates or known_title or out.date):
            out.caption = out.caption or caption[0]
            out.credit = out.credit or caption[1]
            continue
        if (
            is_section_label(text)
            or is_breadcrumb(text)
            or (is_menu(text) and len(words_of(text)) >= 3)
        ):
            separators.append(len(candidates))
            chrome.append(block)
            continue
        if is_end_chrome(text) or is_noise(text) or len(words_of(text)) <= 2:
            chrome.append(block)
            continue
        candidates.append(block)

    considered = candidates[separators[-1] :] if separators else candidates
    if not considered:
        considered = candidates
    used: list[Block] = []
    rest = list(considered)
    if known_title:
        out.title = known_title
    else:
        # The last headline before the text: tickers and site names come above the headline;
        # a standfirst (a sentence) may come below it.
        headlines = [b for b in considered if is_headline(b.text)]
        title = headlines[-1] if headlines else None
        if title is not None:
            out.title, out.title_line = title.text, title.line
            used.append(title)
            rest = considered[considered.index(title) + 1 :]
    if out.title and rest and len(words_of(rest[0].text)) <= 80:
        out.dek = rest[0].text
        used.append(rest[0])
    chrome.extend(b for b in candidates if all(b is not u for u in used))
    if chrome:
        first = min(chrome, key=lambda b: next(i for i, h in enumerate(header) if h is b))
        out.stripped.append(
            f"top chrome: {plural(len(chrome), 'line')} (from '{shorten(first.text)}')"
        )


def _parse_body(body: Sequence[Block], out: _Parsed) -> list[Block]:
    """Article paragraphs; promos, ad slots and everything from the first chrome line on go."""
    paragraphs: list[Block] = []
    promos = noise = 0
    cut: int | None = None
    i = 0
    while i < len(body):
        block = body[i]
        text = block.text
        if paragraphs and block.kind != "list" and is_end_chrome(text):
            cut = i
            break
        promo = promo_title(text) if block.kind != "list" else None
        if promo is not None:
            promos += 1
            following = body[i + 1] if i + 1 < len(body) else None
            if promo:
                out.related.append(promo)
            elif following is not None and following.kind == "list":
                out.related.extend(following.text.split("\n"))
                i += 1
            elif (
                following is not None
                and is_headline(following.text)
                and not is_end_chrome(following.text)
            ):
                out.related.append(following.text)
                i += 1
            i += 1
            continue
        if block.kind != "list" and is_noise(text):
            noise += 1
            i += 1
            continue
        signoff = SIGNOFF_RE.match(text) if block.kind == "p" else None
        if signoff is not None and not _is_signoff(signoff.group("who"), body[i + 1 :]):
            signoff = None
        if signoff is not None and (paragraphs or signoff.group("text")):
            out.author = out.author or signoff.group("who").replace(" ", "")
            out.stripped.append(f"sign-off '({signoff.group('who')})'")
            if signoff.group("text").strip():
                paragraphs.append(Block(signoff.group("text").strip(), block.line, block.kind))
            cut = i + 1 if i + 1 < len(body) else None
            break
        paragraphs.append(block)
        i += 1
    if promos:
        out.stripped.append(f"{plural(promos, 'Baca Juga promo')}")
    if noise:
        out.stripped.append(f"{plural(noise, 'ad/widget line')}")
    if cut is not None:
        rest = body[cut:]
        for block in rest:
            if is_section_label(block.text):
                break
            byline = byline_parts(block.text)
            if byline is not None and byline[0] in AUTHOR_LABELS:
                out.author = out.author or byline[1]
                break
        out.stripped.append(
            f"site chrome from '{shorten(rest[0].text)}' ({plural(len(rest), 'line')})"
        )
    trailing = 0
    while len(paragraphs) > 1 and (
        paragraphs[-1].kind == "h"
        or (
            paragraphs[-1].kind == "p"
            and is_headline(paragraphs[-1].text)
            and not ends_sentence(paragraphs[-1].text)
            and len(words_of(paragraphs[-1].text)) <= 15
        )
    ):
        paragraphs.pop()
        trailing += 1
    if trailing:
        out.stripped.append(f"{plural(trailing, 'trailing headline line')}")
    return paragraphs


def _is_signoff(who: str, after: Sequence[Block]) -> bool:
    """'(bp)', '(rr/ant)' end an article; an all-capitals '(AFP)' only when the chrome follows,
    since mid-text it may be an acronym in brackets."""
    if "/" in who or any(ch.islower() for ch in who):
        return True
    following = next((b for b in after if not is_noise(b.text)), None)
    return following is None or is_end_chrome(following.text)


def parse_blocks(blocks: list[Block], known_title: str | None) -> _Parsed:
    out = _Parsed()
    start = _find_body_start(blocks, known_title)
    _parse_header(blocks[:start], known_title, out)
    paragraphs = _parse_body(blocks[start:], out)
    if paragraphs and paragraphs[0].kind == "p":
        found = dateline_parts(paragraphs[0].text)
        if found is not None:
            out.dateline, out.agency, rest = found
            prefix = paragraphs[0].text[: len(paragraphs[0].text) - len(rest)].strip()
            out.stripped.insert(0, f"dateline '{prefix}'")
            paragraphs[0] = Block(rest, paragraphs[0].line, "p")
    out.paragraphs = paragraphs
    return out
