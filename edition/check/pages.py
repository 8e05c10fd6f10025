"""Preflight page by page: colour, empty pages, the safety margin, bleed that stops short;
what a page was found to hold is remembered by its content, so a rebuild checks only the
pages that changed."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium

from edition.check.content import content_of, draws_rgb, image_space, page_images, resources
from edition.errors import Finding, Location, Severity
from edition.profiles import Profile
from edition.store.atomic import atomic_write_text

MM = 72 / 25.4
SAFETY_MM = 5  # text and important objects stay this far inside the trim
ERROR, WARNING = Severity.ERROR, Severity.WARNING


def check_pages(
    pdf: pikepdf.Pdf,
    doc: pdfium.PdfDocument,
    profile: Profile,
    loc: Location,
    cache_dir: Path | None,
) -> list[Finding]:
    """The checks of each page; with `cache_dir`, remembered by the page's content."""
    cache_file = cache_dir / f"preflight-pages-{profile.name}.json" if cache_dir else None
    known: dict[str, list[dict]] = {}
    if cache_file is not None:
        try:
            known = json.loads(cache_file.read_text())
        except (OSError, ValueError):
            known = {}
    seen: dict[str, list[dict]] = {}
    out: list[Finding] = []
    for i, page in enumerate(pdf.pages):
        key = _page_key(page, profile) if cache_file is not None else ""
        if key and key in known:
            found = [
                dataclasses.replace(Finding.from_dict(d), location=loc, page=i + 1)
                for d in known[key]
            ]
        else:
            found = _page_colour(page, i + 1, profile, loc)
            pdfium_page = doc[i]
            try:
                found += _page_geometry(pdfium_page, i, profile, loc)
            finally:
                pdfium_page.close()
        if key:
            seen[key] = [{**f.as_dict(), "file": None, "page": None} for f in found]
        out += found
    if cache_file is not None:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(cache_file, json.dumps(seen))
    return out


def drawing_key(page: pikepdf.Page, profile: Profile) -> str:
    """What a page draws: its key (`_page_key`) and the drawing of the forms it paints
    (what is drawn over a page at assembly is one)."""
    h = hashlib.sha256(_page_key(page, profile).encode())
    for xobj in resources(page.obj, "/XObject").values():
        if xobj.get("/Subtype") == pikepdf.Name.Form:
            try:
                h.update(content_of(xobj))
            except pikepdf.PdfError:
                return ""
    return h.hexdigest()


def _page_key(page: pikepdf.Page, profile: Profile) -> str:
    """What a page's checks depend on: its drawing, its fonts and images, its boxes."""
    h = hashlib.sha256(f"{profile}|".encode())
    try:
        h.update(content_of(page.obj))
    except pikepdf.PdfError:
        return ""
    fonts = resources(page.obj, "/Font")
    h.update(repr(sorted(str(f.get("/BaseFont", "")) for f in fonts.values())).encode())
    h.update(repr(sorted(n for n, _ in page_images(page))).encode())
    for box in ("/MediaBox", "/TrimBox", "/BleedBox"):
        h.update(repr(page.obj.get(box)).encode())
    return h.hexdigest()


def _page_colour(page: pikepdf.Page, i: int, profile: Profile, loc: Location) -> list[Finding]:
    out = []
    for name, image in page_images(page):
        if image.get("/ImageMask"):
            continue
        space = image_space(image)
        if profile.cmyk and space == "rgb":
            out.append(
                Finding(
                    f"RGB image {name} in the print edition",
                    loc,
                    "photos must be separated to CMYK for the press",
                    "pdf.rgb-image",
                    ERROR,
                    page=i,
                    obj=name,
                )
            )
        if not profile.cmyk and space == "cmyk":
            out.append(
                Finding(
                    f"CMYK image {name} in an RGB edition",
                    loc,
                    "screen and archive editions are sRGB",
                    "pdf.cmyk-image",
                    ERROR,
                    page=i,
                    obj=name,
                )
            )
    if profile.cmyk and draws_rgb(page):
        out.append(
            Finding(
                "RGB colour in the page's drawing",
                loc,
                "give the layout's colours in CMYK",
                "pdf.rgb-colour",
                ERROR,
                page=i,
            )
        )
    return out


def _page_geometry(page: pdfium.PdfPage, i: int, profile: Profile, loc: Location) -> list[Finding]:
    """Page `i` (0-based): empty, text inside the safety margin, bleed that stops short."""
    out: list[Finding] = []
    safety = SAFETY_MM * MM
    objects = list(page.get_objects(max_depth=2))
    tl, tb, tr, tt = page.get_trimbox()
    inside = [o for o in objects if _within(o.get_bounds(), (tl, tb, tr, tt))]
    if not inside:  # nothing on the page itself: crop marks are outside the trim
        return [
            Finding(
                "page is empty", loc, "fill it or remove it", "pdf.empty-page", ERROR, page=i + 1
            )
        ]
    inside_left = (i + 1) % 2 == 1  # right-hand (odd) pages bind on their left
    text = page.get_textpage()
    try:
        for r in range(text.count_rects()):
            left, bottom, right, top = text.get_rect(r)
            if right < tl or left > tr or top < tb or bottom > tt:
                continue  # outside the trim: slug, marks
            if not (
                left < tl + safety
                or right > tr - safety
                or bottom < tb + safety
                or top > tt - safety
            ):
                continue
            side = (
                "left"
                if left < tl + safety
                else "right"
                if right > tr - safety
                else "top"
                if top > tt - safety
                else "bottom"
            )
            gutter = (side == "left") == inside_left and side in ("left", "right")
            what = "in the gutter" if gutter else f"near the {side} trim"
            snippet = " ".join(text.get_text_bounded(left, bottom, right, top).split())[:40]
            out.append(
                Finding(
                    f"text '{snippet}' {what}, inside the {SAFETY_MM} mm safety margin",
                    loc,
                    "move it inwards: the trim can cut it",
                    "pdf.safety-margin",
                    WARNING,
                    page=i + 1,
                    obj=snippet or None,
                )
            )
            break  # one finding per page is enough to send the editor there
    finally:
        text.close()
    if profile.bleed:
        out += _short_of_bleed(page, objects, i + 1, loc)
    return out


def _within(
    bounds: tuple[float, float, float, float], box: tuple[float, float, float, float]
) -> bool:
    left, bottom, right, top = bounds
    return right > box[0] and left < box[2] and top > box[1] and bottom < box[3]


def _short_of_bleed(
    page: pdfium.PdfPage, objects: list, number: int, loc: Location
) -> list[Finding]:
    """An image or a filled area that reaches the trim edge but not the bleed edge."""
    tl, tb, tr, tt = page.get_trimbox()
    bl, bb, br, bt = page.get_bleedbox()
    near, short = 1.0 * MM, 0.3 * MM
    names = ("left", "bottom", "right", "top")
    stops: dict[str, str] = {}  # edge -> kind of object that stops at the trim there
    bleeds: set[str] = set()  # edges something bleeds over
    for obj in objects:
        if obj.type not in (pdfium.raw.FPDF_PAGEOBJ_IMAGE, pdfium.raw.FPDF_PAGEOBJ_PATH):
            continue
        left, bottom, right, top = obj.get_bounds()
        if right - left < 20 * MM or top - bottom < 20 * MM:
            continue  # rules, marks and small boxes
        edges = [(left, tl, bl, -1), (bottom, tb, bb, -1), (right, tr, br, 1), (top, tt, bt, 1)]
        for edge, (value, trim, bleed, sign) in zip(names, edges, strict=True):
            if (value - bleed) * sign >= -short:
                bleeds.add(edge)
            elif (value - trim) * sign >= -near:
                stops.setdefault(
                    edge, "image" if obj.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE else "area"
                )
    return [
        Finding(
            f"{kind} reaches the {edge} trim but stops short of the bleed",
            loc,
            "extend it 3 mm past the trim",
            "pdf.short-of-bleed",
            WARNING,
            page=number,
        )
        for edge, kind in stops.items()
        if edge not in bleeds
    ]
