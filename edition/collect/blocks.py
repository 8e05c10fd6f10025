"""A source as blocks of text: the lines of a paste, or the elements trafilatura kept of a page."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from edition.collect.lines import (
    caption_parts,
    is_end_chrome,
    is_noise,
    meta_line_parts,
    promo_title,
)
from edition.collect.text import ends_sentence, normalize


@dataclass
class Block:
    text: str
    line: int | None = None
    kind: str = "p"  # "p" paragraph, "h" heading, "list" (text = items joined by "\n"), "quote"


def text_blocks(text: str) -> list[Block]:
    """One block per line of a paste; hard-wrapped prose (email style) is joined back."""
    groups: list[list[tuple[int, str]]] = [[]]
    for number, raw in enumerate(text.splitlines(), start=1):
        line = normalize(raw)
        if line:
            groups[-1].append((number, line))
        elif groups[-1]:
            groups.append([])
    blocks: list[Block] = []
    for group in groups:
        if _is_wrapped([line for _, line in group]):
            blocks.append(Block(" ".join(line for _, line in group), group[0][0]))
        else:
            blocks.extend(Block(line, number) for number, line in group)
    return blocks


def _is_special(line: str) -> bool:
    return (
        promo_title(line) is not None
        or is_end_chrome(line)
        or is_noise(line)
        or meta_line_parts(line) is not None
        or caption_parts(line) is not None
    )


def _is_wrapped(lines: list[str]) -> bool:
    if len(lines) < 2 or any(_is_special(line) for line in lines):
        return False
    if not all(40 <= len(line) <= 100 for line in lines[:-1]):
        return False
    if all(ends_sentence(line) for line in lines[:-1]):
        return False
    last_word = lines[0].split()[-1]
    return (
        len(lines) >= 3
        or lines[1][:1].islower()
        or lines[1][:1].isdigit()
        or last_word[:1].islower()
    )


def xml_blocks(xml: str) -> list[Block]:
    root = etree.fromstring(xml.encode("utf-8"))
    main = root.find("main")
    blocks: list[Block] = []
    if main is None:
        return blocks
    for element in main.iter():  # source line breaks are plain spaces in HTML; <lb/> is not
        element.text = element.text.replace("\n", " ") if element.text else element.text
        element.tail = element.tail.replace("\n", " ") if element.tail else element.tail
    for lb in main.iter("lb"):
        lb.tail = "\n" + (lb.tail or "")

    def add(text: str | None, kind: str) -> None:
        for piece in (text or "").split("\n"):
            piece = normalize(piece)
            if piece:
                blocks.append(Block(piece, kind=kind))

    add(main.text, "p")
    for element in main:
        if element.tag == "list":
            items = [normalize("".join(item.itertext())) for item in element.iter("item")]
            items = [item for item in items if item]
            if items:
                blocks.append(Block("\n".join(items), kind="list"))
        else:
            add(
                "".join(element.itertext()),
                {"head": "h", "quote": "quote"}.get(str(element.tag), "p"),
            )
        add(element.tail, "p")  # loose text between elements, e.g. a date line
    return blocks
