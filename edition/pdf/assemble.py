"""Sections' PDFs -> one PDF: pages in order, links between sections, one outline, shared
streams (the ICC profile, fonts) kept once."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

import pikepdf
from pikepdf import Name

LINK_SCHEME = "edition-anchor:"


@dataclass(frozen=True)
class Part:
    """One section's laid-out PDF, as it goes into the edition."""

    pdf: bytes
    skip: int  # blank pages at its start that only put it on the right side of a spread
    anchor: str | None  # what links to it point at ("art-slug", "inframe", ...)
    bookmark: str | None  # its entry in the outline
    rubric: str | None = None  # an article's rubric: articles are grouped under it
    opens_rubric: bool = False  # the first article of its rubric


def assemble(parts: list[Part]) -> tuple[pikepdf.Pdf, list[pikepdf.Pdf], dict[str, int]]:
    """The edition as one PDF, the section PDFs its pages come from (to be closed once it
    is saved), and the 0-based first page of each anchor."""
    sources: list[pikepdf.Pdf] = []
    out: pikepdf.Pdf | None = None
    start: dict[str, int] = {}
    for part in parts:
        pdf = pikepdf.open(io.BytesIO(part.pdf))
        if part.anchor:
            start[part.anchor] = len(out.pages) if out is not None else 0
        if out is None:
            out = pdf
            for _ in range(part.skip):
                del out.pages[0]
        else:
            sources.append(pdf)
            out.pages.extend(pdf.pages[part.skip :])
    if out is None:
        raise ValueError("nothing to assemble")
    for key in ("/Outlines", "/PageMode"):
        if key in out.Root:
            del out.Root[key]
    if "/Names" in out.Root and "/Dests" in out.Root.Names:
        del out.Root.Names["/Dests"]
    _links(out, start)
    _dedupe_streams(out)
    _outline(out, parts, start)
    return out, sources, start


def shift_page(page: pikepdf.Page, dx: float) -> None:
    """Move everything drawn on `page`, and its links, `dx` points sideways (the page's
    boxes stay)."""
    page.contents_coalesce()
    contents = page.obj.Contents
    data = contents.read_bytes()
    contents.write(b"q 1 0 0 1 %.4f 0 cm\n" % dx + data + b"\nQ\n")
    for annot in page.obj.get("/Annots", []):
        rect = annot.get("/Rect")
        if rect is not None and len(rect) == 4:
            annot.Rect = pikepdf.Array(
                [float(rect[0]) + dx, float(rect[1]), float(rect[2]) + dx, float(rect[3])]
            )


def overlay_page(target: pikepdf.Page, drawn: pikepdf.Page, name: str) -> None:
    """Draw page `drawn` (of another PDF, the same size) over `target`, as a form named
    `name` (a name of its own for every page: pages may share their resources)."""
    formx = drawn.as_form_xobject()
    placed = target.add_resource(formx, Name.XObject, Name("/" + name))
    rect = pikepdf.Rectangle(target.trimbox)
    placement = target.calc_form_xobject_placement(formx, placed, rect, allow_expand=True)
    target.contents_add(b"q\n", prepend=True)
    target.contents_add(b"Q\n" + placement, prepend=False)
    target.contents_coalesce()


def _outline(pdf: pikepdf.Pdf, parts: list[Part], start: dict[str, int]) -> None:
    """Sections at the top level; articles under their rubric."""
    with pdf.open_outline() as outline:
        parent = None
        for part in parts:
            if not part.anchor or not part.bookmark:
                continue
            item = pikepdf.OutlineItem(part.bookmark, start[part.anchor])
            if part.rubric is not None:
                if part.opens_rubric:
                    parent = pikepdf.OutlineItem(part.rubric, start[part.anchor])
                    outline.root.append(parent)
                if parent is not None:
                    parent.children.append(item)
                    continue
            else:
                parent = None
            outline.root.append(item)


def _sha(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode() if isinstance(p, str) else p)
        h.update(b"\0")
    return h.hexdigest()[:40]


def _dedupe_streams(pdf: pikepdf.Pdf) -> None:
    """Every section brings its own copy of the ICC profile (and of some fonts and images):
    keep one of each identical stream."""
    canonical: dict[str, pikepdf.Object] = {}
    dup: dict[tuple[int, int], pikepdf.Object] = {}
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Stream):
            continue
        d = obj.stream_dict
        if d.get("/Type") in (Name.XRef, Name.ObjStm, Name.Metadata) or "/Length" not in d:
            continue
        if d.get("/Subtype") == Name.Image:
            continue  # a photo is placed once: reading 20 MB of them would find nothing
        raw = obj.read_raw_bytes()
        if len(raw) < 512:
            continue
        entries = sorted((str(k), repr(v)) for k, v in d.items() if k != "/Length")
        key = _sha(raw, repr(entries))
        if key in canonical:
            dup[obj.objgen] = canonical[key]
        else:
            canonical[key] = obj
    if not dup:
        return

    def fix(container: pikepdf.Object, depth: int = 0) -> None:
        """Point references to a duplicate at its original, in `container` and the direct
        dictionaries and arrays inside it."""
        if isinstance(container, pikepdf.Stream):
            container = container.stream_dict
        if depth > 12 or not isinstance(container, pikepdf.Dictionary | pikepdf.Array):
            return
        keys = (
            list(container.keys())
            if isinstance(container, pikepdf.Dictionary)
            else range(len(container))
        )
        for k in keys:
            v = container[k]
            if not isinstance(v, pikepdf.Object):
                continue
            if not v.is_indirect:
                fix(v, depth + 1)
            elif v.objgen in dup:
                container[k] = dup[v.objgen]

    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary | pikepdf.Array | pikepdf.Stream):
            fix(obj)


def _links(pdf: pikepdf.Pdf, start: dict[str, int]) -> None:
    """`edition-anchor:x` links -> links to the page where section x starts."""
    for page in pdf.pages:
        annots = page.obj.get("/Annots")
        if annots is None:
            continue
        keep = []
        for annot in annots:
            action = annot.get("/A")
            uri = str(action.get("/URI", "")) if action is not None else ""
            if uri.startswith(LINK_SCHEME):
                target = start.get(uri[len(LINK_SCHEME) :])
                if target is None:
                    continue
                del annot["/A"]
                annot.Dest = pikepdf.Array([pdf.pages[target].obj, Name.XYZ, None, None, None])
            keep.append(annot)
        page.obj.Annots = pikepdf.Array(keep)
