"""Boxes in the text columns padded to whole lines, so that body text keeps one baseline grid.

A box set between paragraphs (a Baca Juga box, a pull quote, a photo with its caption,
an article's head above its columns) is as tall as its content makes it: a caption of
three lines at 9 pt leading is 27 pt, and every line of the column below it would sit
3 pt off the lines of the column beside it. CSS cannot round a height to a multiple of
the line, so the document is laid out twice: first with only the boxes marked
`grid-box` (everything around them hidden, so this pass is cheap), to measure them; then
for good, each box with its bottom padding grown by what brings its border box to a
whole number of its parent's lines (`grid-box grid-center` shares the extra space
between top and bottom padding). A box's margins must be whole lines themselves.

The layout decides which boxes are grid boxes; this module knows nothing of the layout
beyond the two class names.

What the measuring pass finds depends only on what it lays out: the document's head and
stylesheets, the grid boxes and the elements around them. A process keeps it under
those, so that a document whose boxes are as before (an article whose text was edited,
or laid out again by copyfit with a box moved between paragraphs) is laid out once. Boxes
that show a file by another name than a prepared photo's (named by its content) are
measured every time.
"""

from __future__ import annotations

import hashlib
import math
from collections import OrderedDict
from typing import Any
from xml.etree import ElementTree

GRID_BOX = "grid-box"
GRID_CENTER = "grid-center"
# Below this, a box is taken to be on the grid already (WeasyPrint's float arithmetic).
_EPSILON = 0.01  # px


def _classes(element: Any) -> list[str]:
    return str(element.get("class") or "").split()


def _grid_elements(root: Any) -> list[Any]:
    return [e for e in root.iter() if isinstance(e.tag, str) and GRID_BOX in _classes(e)]


def _parents(root: Any) -> dict[int, Any]:
    return {id(child): parent for parent in root.iter() for child in parent}


def _hide_all_but(
    root: Any, keep: list[Any], parents: dict[int, Any]
) -> list[tuple[Any, str | None]]:
    """Hide (by a style attribute) every element of the body that is neither a grid box,
    inside one, nor around one, and fill the columns of those around one without
    balancing them; return what to restore."""
    around: set[int] = set()
    for element in keep:
        node = parents.get(id(element))
        while node is not None and id(node) not in around:
            around.add(id(node))
            node = parents.get(id(node))
    kept = {id(e) for e in keep}
    changed: list[tuple[Any, str | None]] = []
    body = next((e for e in root.iter() if e.tag == "body"), None)
    if body is None:
        return changed

    def walk(node: Any) -> None:
        for child in node:
            if not isinstance(child.tag, str) or id(child) in kept:
                continue
            style = child.get("style")
            changed.append((child, style))
            if id(child) in around:
                # Columns filled one after the other: balancing them would lay the
                # boxes out again and again for nothing (their heights stay the same).
                child.set(
                    "style",
                    f"{style}; column-fill: auto !important"
                    if style
                    else "column-fill: auto !important",
                )
                walk(child)
            else:
                child.set("style", "display: none !important")

    walk(body)
    return changed


def _restore(changed: list[tuple[Any, str | None]]) -> None:
    for element, style in changed:
        if style is None:
            del element.attrib["style"]
        else:
            element.set("style", style)


def _line_height(box: Any) -> float | None:
    """A box's computed line height in px, or None for `normal`."""
    value = box.style["line_height"]
    if value == "normal":
        return None
    if hasattr(value, "unit"):
        return float(value.value) if value.unit == "px" else None
    return float(value) * float(box.style["font_size"])


def _measure(page_boxes: list[Any], wanted: set[int]) -> dict[int, tuple[Any, float, float]]:
    """Each grid element laid out in one piece: (its box, border-box height, parent's
    line height), by id of the element. A box split across columns or pages is left
    out, and so is a grid box inside another (the outer one keeps the grid)."""
    found: dict[int, list[tuple[Any, float]]] = {}

    def walk(box: Any, step: float | None, inside: bool) -> None:
        for child in getattr(box, "children", ()):
            if not hasattr(child, "style"):
                continue
            here = inside
            if (
                not inside
                and id(getattr(child, "element", None)) in wanted
                and step
                and not child.element_tag.endswith(("::before", "::after", "::marker"))
            ):
                found.setdefault(id(child.element), []).append((child, step))
                here = True  # its anonymous boxes carry its element too
            walk(child, _line_height(child) or step, here)

    for page in page_boxes:
        walk(page, None, False)
    out = {}
    for key, boxes in found.items():
        if len(boxes) == 1:
            box, step = boxes[0]
            out[key] = (box, float(box.border_height()), step)
    return out


def grid_padding(height: float, step: float) -> float:
    """What brings `height` up to a whole number of `step`s (0 when it is one already)."""
    lines = math.ceil(height / step - _EPSILON / step)
    return max(0.0, lines * step - height)


def _padding_rule(element: Any, box: Any, extra: float) -> str:
    top, bottom = float(box.padding_top), float(box.padding_bottom)
    if GRID_CENTER in _classes(element):
        top, bottom = top + extra / 2, bottom + extra / 2
    else:
        bottom += extra
    return f"padding-top: {top:.4f}px !important; padding-bottom: {bottom:.4f}px !important"


_KEPT = 256  # measurements a process keeps
_MEASURED: OrderedDict[str, tuple[tuple[Any, ...], tuple[str | None, ...]]] = OrderedDict()
_SAFE_URL = "edition-photo:"  # a prepared photo's URL names its content


def _measuring_key(
    root: Any, boxes: list[Any], parents: dict[int, Any], sheets: tuple[Any, ...]
) -> str | None:
    """What the measuring pass lays out, as a hash: the head, each grid box with the
    elements around it; None when a box shows a file that may change under its name."""
    digest = hashlib.sha256()
    head = root.find("head")
    if head is not None:
        digest.update(ElementTree.tostring(head))
    digest.update(repr(sorted(root.attrib.items())).encode())
    for element in boxes:
        for inner in element.iter():
            for name in ("src", "href", "data"):
                url = inner.get(name)
                if url and not url.startswith((_SAFE_URL, "#")):
                    return None
        chain = []
        node = parents.get(id(element))
        while node is not None:
            chain.append((node.tag, sorted(node.attrib.items())))
            node = parents.get(id(node))
        digest.update(repr(chain).encode())
        digest.update(ElementTree.tostring(element))
    digest.update(repr([id(s) for s in sheets]).encode())  # kept alive with the entry
    return digest.hexdigest()


def _paddings(
    html: Any, root: Any, boxes: list[Any], parents: dict[int, Any], **options: Any
) -> list[str | None]:
    """The measuring pass: each box's padding rule (None: on the grid already)."""
    hidden = _hide_all_but(root, boxes, parents)
    try:
        first = html.render(**options)
    finally:
        _restore(hidden)
    measured = _measure([p._page_box for p in first.pages], {id(e) for e in boxes})
    rules: list[str | None] = []
    for element in boxes:
        rule = None
        if id(element) in measured:
            box, height, step = measured[id(element)]
            extra = grid_padding(height, step)
            if extra > _EPSILON:
                rule = _padding_rule(element, box, extra)
        rules.append(rule)
    return rules


def render_on_grid(html: Any, **options: Any) -> Any:
    """`html` (a weasyprint.HTML) laid out with its grid boxes padded to whole lines: the
    weasyprint Document. Without grid boxes, one plain layout.

    The padding is written into the elements' style attributes of `html`'s tree, so the
    same object laid out again keeps it.
    """
    root = html.etree_element
    boxes = _grid_elements(root)
    if not boxes:
        return html.render(**options)
    options.setdefault("cache", {})  # photos decoded once for both passes
    parents = _parents(root)
    sheets = tuple(options.get("stylesheets") or ())
    key = _measuring_key(root, boxes, parents, sheets)
    known = _MEASURED.get(key) if key else None
    if known is not None:
        _MEASURED.move_to_end(key)  # type: ignore[arg-type]
        rules = list(known[1])
    else:
        rules = _paddings(html, root, boxes, parents, **options)
        if key:
            _MEASURED[key] = (sheets, tuple(rules))
            while len(_MEASURED) > _KEPT:
                _MEASURED.popitem(last=False)
    for element, rule in zip(boxes, rules, strict=True):
        if rule is not None:
            style = element.get("style")
            element.set("style", f"{style}; {rule}" if style else rule)
    return html.render(**options)
