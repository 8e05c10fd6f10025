"""How full the laid-out pages are: columns, lines, boxes and photos measured from WeasyPrint's
boxes right after layout, as plain data (points, from the trim's top left corner).

The measurement is what copyfit works from and what the page checks of the preflight read
when the build made the PDF: per page, the type area, each column's lines with their
baselines and what ends the column, the boxes and photos in the flow, the display lines
(headlines, decks, captions, subheads) and the page references to be drawn at assembly.
It is kept in the section cache with the section's PDF, so a section taken from the cache
is measured too.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

PX = 0.75  # CSS pixels -> points

# Classes of the blocks in a column flow that are not running text, and what they are.
BLOCK_KINDS = {
    "baca-juga": "box",
    "pullquote": "box",
    "sidebar": "box",
    "inline-photo": "photo",
    "quarter-ad": "ad",
    "filler": "filler",
}
# Elements whose lines are display type: they must not end on a one-word line.
DISPLAY_CLASSES = (
    "headline",
    "dek",
    "cover-title",
    "cover-dek",
    "toc-title",
    "pop-title",
    "house-title",
    "filler-title",
)
DISPLAY_TAGS = ("figcaption", "h2", "h3")
# Page references a section shows ("hlm. 12", a contents number): drawn at assembly.
REF_CLASSES = ("pageref", "toc-page", "thumb-page")


@dataclass(frozen=True)
class Line:
    """One line of text."""

    top: float
    baseline: float
    left: float
    right: float
    text: str
    column: int = -1  # index of the column on its page; -1 outside the column flow
    para: int = -1  # the paragraph (block) it belongs to, numbered in document order
    kind: str = "p"  # "p", "h2", "display" (headline, dek, caption, ...), "other"
    first: bool = False  # the first line of its paragraph
    last: bool = False  # the last line of its paragraph
    stretch: float = 0.0  # what justification added to each word space, pt


@dataclass(frozen=True)
class Block:
    """A box, photo, ad or filler in the column flow, or a photo anywhere on the page."""

    kind: str  # "box", "photo", "ad", "filler", "image"
    name: str  # its class ("baca-juga", "pullquote", ...) or an image's URL
    top: float
    bottom: float
    left: float
    right: float
    column: int = -1


@dataclass(frozen=True)
class Column:
    left: float
    right: float
    top: float
    bottom: float  # where its content ends
    last_baseline: float  # of its last line; its top when it holds no line
    lines: int
    ends: str  # what is last in it: "text", "box", "photo", "ad", "filler", "empty"


@dataclass(frozen=True)
class Ref:
    """A page reference shown on a page: where it is and how it is set."""

    anchor: str
    css_class: str
    top: float
    left: float
    line_top: float  # the line it sits on (the element's own line when it is a block)
    line_left: float
    line_height: float
    font: str  # CSS `font` of the block around it: same strut, same baseline
    inline: bool  # inside a line of text (else a block or a positioned box of its own)
    text: str = ""  # as laid out, with a stand-in number of the right width


@dataclass(frozen=True)
class PageMeasure:
    """One laid-out page."""

    width: float
    height: float
    area: tuple[float, float, float, float]  # type area: left, top, right, bottom
    anchor: str | None = None  # the section on the page (its element's id)
    flow_top: float | None = None  # where the column flow starts on the page
    columns: tuple[Column, ...] = ()
    lines: tuple[Line, ...] = ()
    blocks: tuple[Block, ...] = ()
    refs: tuple[Ref, ...] = ()
    bottom: float = 0.0  # the lowest content in the type area (text, boxes, photos, ads)
    flow_bottom: float | None = None  # where the column flow ends on the page
    name: str = ""  # the page's name (CSS `page`), "" for the default pages
    # The section's outermost element on the page: tag, classes, data-* attributes (what
    # its running heads are set from).
    root: tuple[str, str, tuple[tuple[str, str], ...]] = ("", "", ())

    @property
    def used(self) -> float:
        """The share of the type area's height that holds something (0-1)."""
        top, bottom = self.area[1], self.area[3]
        if bottom <= top:
            return 1.0
        return max(0.0, min(1.0, (self.bottom - top) / (bottom - top)))


@dataclass(frozen=True)
class SectionMeasure:
    pages: tuple[PageMeasure, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        """As plain data (what `dataclasses.asdict` gives, made faster: every field is a
        number, a string, or a tuple of them, but for the four lists of records)."""
        return {
            "pages": [
                {
                    **vars(p),
                    "columns": [dict(vars(c)) for c in p.columns],
                    "lines": [dict(vars(x)) for x in p.lines],
                    "blocks": [dict(vars(b)) for b in p.blocks],
                    "refs": [dict(vars(r)) for r in p.refs],
                }
                for p in self.pages
            ]
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SectionMeasure:
        pages = []
        for p in data["pages"]:
            pages.append(
                PageMeasure(
                    p["width"],
                    p["height"],
                    tuple(p["area"]),  # type: ignore[arg-type]
                    p.get("anchor"),
                    p.get("flow_top"),
                    tuple(Column(**c) for c in p["columns"]),
                    tuple(Line(**x) for x in p["lines"]),
                    tuple(Block(**b) for b in p["blocks"]),
                    tuple(Ref(**r) for r in p["refs"]),
                    p.get("bottom", 0.0),
                    p.get("flow_bottom"),
                    p.get("name", ""),
                    (
                        p["root"][0],
                        p["root"][1],
                        tuple((k, v) for k, v in p["root"][2]),
                    ),
                )
            )
        return cls(tuple(pages))


# -- measuring WeasyPrint's boxes (only ever called with a rendered document)


def _classes(box: Any) -> list[str]:
    element = getattr(box, "element", None)
    if element is None:
        return []
    return (element.get("class") or "").split()


def _is_multicol(box: Any) -> bool:
    style = getattr(box, "style", None)
    if style is None or not getattr(box, "children", None):
        return False
    return style["column_count"] != "auto" or style["column_width"] != "auto"


def _children(box: Any) -> list[Any]:
    return list(getattr(box, "children", None) or [])


def _is_box_of(box: Any, type_name: str) -> bool:
    return any(t.__name__ == type_name for t in type(box).__mro__)


def _text_of(line: Any) -> str:
    parts: list[str] = []

    def visit(b: Any) -> None:
        if _is_box_of(b, "TextBox"):
            parts.append(b.text)
        for c in _children(b):
            visit(c)

    visit(line)
    return "".join(parts)


def _stretch_of(line: Any) -> float:
    for b in _descendants(line):
        spacing = getattr(b, "justification_spacing", None) if _is_box_of(b, "TextBox") else None
        if spacing:
            return float(spacing) * PX
    return 0.0


def _descendants(box: Any) -> Iterator[Any]:
    stack = [box]
    while stack:
        b = stack.pop()
        yield b
        stack.extend(reversed(_children(b)))


def _font_css(style: Any) -> str:
    families = ", ".join(f'"{f}"' for f in style["font_family"])
    size = style["font_size"] * PX
    lh = style["line_height"]
    if isinstance(lh, int | float):
        height = f"{lh:.4g}"  # a factor of the font size
    elif getattr(lh, "unit", None) == "px":
        height = f"{lh.value * PX:.3f}pt"
    else:
        height = "normal"
    weight = style["font_weight"]
    italic = "italic " if style["font_style"] == "italic" else ""
    return f"{italic}{weight} {size:.3f}pt/{height} {families}"


class _Measurer:
    """Walks the pages of one document; paragraphs are numbered across pages."""

    def __init__(self) -> None:
        self.para_ids: dict[int, int] = {}  # id(element) -> number
        self.elements: list[Any] = []  # keeps the elements alive while numbering
        self.lines: list[Line] = []
        self.blocks: list[Block] = []
        self.refs: list[Ref] = []
        self.columns: list[Column] = []
        self.flow_top: float | None = None
        self.flow_bottom: float | None = None
        self.anchor: str | None = None
        self.root: tuple[str, str, tuple[tuple[str, str], ...]] = ("", "", ())
        self.bottom = 0.0

    def para(self, element: Any) -> int:
        key = id(element)
        if key not in self.para_ids:
            self.para_ids[key] = len(self.para_ids)
            self.elements.append(element)
        return self.para_ids[key]

    def page(self, page: Any) -> PageMeasure:
        box = page._page_box
        area = (
            box.content_box_x() * PX,
            box.content_box_y() * PX,
            (box.content_box_x() + box.width) * PX,
            (box.content_box_y() + box.height) * PX,
        )
        self.lines, self.blocks, self.refs, self.columns = [], [], [], []
        self.flow_top, self.flow_bottom, self.anchor, self.bottom = None, None, None, area[1]
        self.root = ("", "", ())
        for child in _children(box):
            if _is_box_of(child, "MarginBox"):
                continue  # running heads and folios: not the page's content
            self.walk(child, -1, None, "other", None)
        return PageMeasure(
            page.width * PX,
            page.height * PX,
            area,
            self.anchor,
            self.flow_top,
            tuple(self.columns),
            tuple(self.lines),
            tuple(self.blocks),
            tuple(self.refs),
            min(self.bottom, area[3]),
            self.flow_bottom,
            getattr(box.page_type, "name", "") or "",
            self.root,
        )

    def walk(self, box: Any, column: int, para: Any, kind: str, block: str | None) -> None:
        element = getattr(box, "element", None)
        classes = _classes(box)
        tag = getattr(box, "element_tag", "")
        if not self.root[0] and element is not None and tag not in ("html", "body"):
            data = tuple((k, v) for k, v in sorted(element.attrib.items()) if k.startswith("data-"))
            self.root = (tag, element.get("class") or "", data)
            self.anchor = element.get("id") or None
        style = getattr(box, "style", None)
        if _is_box_of(box, "LineBox"):
            self.line(box, column, para, kind)
            return
        if (
            element is not None
            and element.get("data-ref") is not None
            and "::" not in tag
            and any(c in REF_CLASSES for c in classes)
        ):
            self.block_ref(box, classes)
            return
        if style is not None and style["visibility"] != "visible":
            return
        if column < 0 and _is_multicol(box):
            self.multicol(box)
            return
        if tag == "img" or _is_box_of(box, "ReplacedBox"):
            top, left = box.border_box_y() * PX, box.border_box_x() * PX
            bottom, right = top + box.border_height() * PX, left + box.border_width() * PX
            src = element.get("src", "") if element is not None else ""
            self.blocks.append(Block("image", src, top, bottom, left, right, column))
            self.bottom = max(self.bottom, bottom)
            return
        if _is_box_of(box, "BlockBox") and element is not None:
            if "dropcap" in classes:
                return  # a float beside the first lines of its paragraph
            if tag in ("p", "li", "h1", "h2", "h3", "figcaption", "dt", "dd") or any(
                c in DISPLAY_CLASSES for c in classes
            ):
                para = element
                if any(c in DISPLAY_CLASSES for c in classes) or tag in DISPLAY_TAGS:
                    kind = "display"
                    if tag in ("h2", "h3") and column >= 0:
                        kind = "h2" if block is None else "other"  # subhead, or a box's label
                elif block is None and column >= 0:
                    kind = "p"
            if block is None and column >= 0:
                found = next((c for c in classes if c in BLOCK_KINDS), None)
                if found is not None:
                    top, left = box.border_box_y() * PX, box.border_box_x() * PX
                    bottom = top + box.border_height() * PX
                    right = left + box.border_width() * PX
                    block = BLOCK_KINDS[found]
                    self.blocks.append(Block(block, found, top, bottom, left, right, column))
                    self.bottom = max(self.bottom, bottom)
                    kind = "other"
        for child in _children(box):
            self.walk(child, column, para, kind, block)
        if style is not None and _is_box_of(box, "BlockBox") and _paints(style):
            self.bottom = max(self.bottom, (box.border_box_y() + box.border_height()) * PX)

    def line(self, box: Any, column: int, para: Any, kind: str) -> None:
        top = box.position_y * PX
        for b in _descendants(box):
            element = getattr(b, "element", None)
            if element is None or element.get("data-ref") is None:
                continue
            if "::" in getattr(b, "element_tag", ""):
                continue  # a ::before holding the number, inside the reference
            classes = _classes(b)
            if any(c in REF_CLASSES for c in classes) and _is_box_of(b, "InlineBox"):
                self.refs.append(
                    Ref(
                        (element.get("data-ref") or "").lstrip("#"),
                        next(c for c in classes if c in REF_CLASSES),
                        b.border_box_y() * PX,
                        b.border_box_x() * PX,
                        top,
                        box.position_x * PX,
                        box.height * PX,
                        _font_css(b.style),
                        True,
                        _text_of(b),
                    )
                )
        text = _text_of(box).rstrip()
        if box.style["visibility"] != "visible" or not text.strip():
            return
        baseline = (box.position_y + box.baseline) * PX
        left, right = box.position_x * PX, (box.position_x + box.width) * PX
        self.bottom = max(self.bottom, top + box.height * PX)
        number = self.para(para) if para is not None else -1
        self.lines.append(
            Line(top, baseline, left, right, text, column, number, kind, stretch=_stretch_of(box))
        )

    def block_ref(self, box: Any, classes: list[str]) -> None:
        """A page reference set as a block or positioned box of its own."""
        top, left = box.border_box_y() * PX, box.border_box_x() * PX
        self.refs.append(
            Ref(
                (box.element.get("data-ref") or "").lstrip("#"),
                next(c for c in classes if c in REF_CLASSES),
                top,
                left,
                top,
                left,
                box.border_height() * PX,
                _font_css(box.style),
                False,
                _text_of(box),
            )
        )

    def multicol(self, box: Any) -> None:
        top = box.content_box_y() * PX
        if self.flow_top is None:
            self.flow_top = top
        self.flow_bottom = (box.border_box_y() + box.border_height()) * PX
        for column_box in _children(box):
            index = len(self.columns)
            lines_before, blocks_before = len(self.lines), len(self.blocks)
            self.walk(column_box, index, None, "p", None)
            col_lines = [ln for ln in self.lines[lines_before:] if ln.column == index]
            col_blocks = [b for b in self.blocks[blocks_before:] if b.column == index]
            bottom = max((ln.top + LINE for ln in col_lines), default=top)
            ends = "text" if col_lines else "empty"
            for b in col_blocks:
                if b.bottom > bottom - 0.5:
                    bottom, ends = b.bottom, "photo" if b.kind == "image" else b.kind
            left = column_box.position_x * PX
            self.bottom = max(self.bottom, bottom)
            self.columns.append(
                Column(
                    left,
                    left + column_box.width * PX,
                    top,
                    bottom,
                    col_lines[-1].baseline if col_lines else top,
                    sum(1 for ln in col_lines if ln.kind in ("p", "h2")),
                    ends,
                )
            )


LINE = 12.0  # the baseline grid, pt: a line of body text ends one line below its top


def _paints(style: Any) -> bool:
    """A block that draws something of its own (a tint, a rule)."""
    if style["background_color"].alpha > 0:
        return True
    return any(style[f"border_{side}_width"] for side in ("top", "bottom", "left", "right"))


def measure_document(document: Any) -> SectionMeasure:
    """Measure every page of a rendered WeasyPrint document."""
    m = _Measurer()
    pages = tuple(m.page(p) for p in document.pages)
    return SectionMeasure(_mark_ends(pages))


_SOFT_BREAK = re.compile(r"[\u2010-]$")


def _mark_ends(pages: tuple[PageMeasure, ...]) -> tuple[PageMeasure, ...]:
    """First and last lines of every paragraph, across columns and pages."""
    first: dict[int, tuple[int, int]] = {}
    last: dict[int, tuple[int, int]] = {}
    for p, page in enumerate(pages):
        for i, line in enumerate(page.lines):
            if line.para < 0:
                continue
            first.setdefault(line.para, (p, i))
            last[line.para] = (p, i)
    firsts, lasts = set(first.values()), set(last.values())
    out = []
    for p, page in enumerate(pages):
        lines = tuple(
            dataclasses.replace(ln, first=(p, i) in firsts, last=(p, i) in lasts)
            for i, ln in enumerate(page.lines)
        )
        out.append(dataclasses.replace(page, lines=lines))
    return tuple(out)
