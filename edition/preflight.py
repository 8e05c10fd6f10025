"""Preflight: what a print shop (or an archive, or a screen reader) would send back.

Two halves, both returning findings with a severity, the page and the object:
- `check_sources(plan, profile)`: the issue as planned: photo resolution at the placed size,
  captions and credits, ad artwork against its slot;
- `check_pdf(path, plan, profile)`: the built PDF, read back with pikepdf and PDFium: page
  count, empty pages, fonts, colour spaces, boxes, output intent, safety margins and
  bleed, half-page ads where they were planned, embedded sources, tags and bookmarks.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
from pikepdf import Name

from .errors import Finding, Location, Severity
from .images import (
    PREPARED_SCHEME,
    ImageRequest,
    effective_dpi,
    prepared_name,
    source_size,
)
from .layout import share_dir
from .plan import AdPage, ArticleSection, InframeSection, Plan, Slot
from .profiles import Profile, get_profile

MM = 72 / 25.4
SAFETY_MM = 5  # text and important objects stay this far inside the trim
ASPECT_TOLERANCE = 0.02
ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


STANDARDS = {"print": ("PDF/X-4, CMYK FOGRA39, 3 mm bleed", "the printer"),
             "screen": ("tagged PDF/UA-1, RGB, 150 dpi", "subscribers"),
             "archive": ("PDF/A-3b, sources embedded", "the archive")}


@dataclass
class Report:
    issue_dir: Path
    profile: str
    pdf: Path | None
    pages: int | None
    findings: list[Finding] = field(default_factory=list)
    sources: str = ""  # what the issue holds, in a few words

    @property
    def standard(self) -> str:
        return STANDARDS.get(self.profile, ("", ""))[0]

    @property
    def audience(self) -> str:
        return STANDARDS.get(self.profile, ("", "use"))[1]

    def as_dict(self) -> dict[str, object]:
        counts = {s.value: sum(f.severity == s for f in self.findings) for s in Severity}
        return {"profile": self.profile, "standard": self.standard,
                "pdf": str(self.pdf) if self.pdf else None, "pages": self.pages,
                "sources": self.sources,
                "counts": counts, "findings": [f.as_dict() for f in self.findings]}


def preflight_issue(issue_dir: Path, profile_name: str, out_root: Path) -> Report:
    """Check an issue's sources for a profile, and its built PDF under `out_root` if any.

    Raises EditionError when the issue itself cannot be read (bad input).
    """
    from .build import output_path
    from .layout import load_layout
    from .load import load_issue
    from .plan import plan_issue

    profile = get_profile(profile_name)
    issue = load_issue(issue_dir)
    layout = load_layout(issue.spec.layout, issue.root)
    plan = plan_issue(issue, layout, dpi=profile.dpi, quality=profile.jpeg_quality,
                      cmyk=profile.cmyk)
    findings = list(issue.warnings) + check_sources(plan, profile)
    pdf = output_path(out_root, issue.id, profile.name)
    pages = None
    if pdf.is_file():
        newest = max(p.stat().st_mtime for p in issue.root.rglob("*") if p.is_file())
        if pdf.stat().st_mtime < newest:
            findings.append(Finding("the PDF is older than its sources", Location(pdf),
                                    f"run `edition build {issue_dir} --profile {profile.name}`"
                                    " and check again", "pdf.stale", WARNING))
        findings += check_pdf(pdf, plan, profile)
        with pikepdf.open(pdf) as doc:
            pages = len(doc.pages)
    else:
        findings.append(Finding("not built yet: only the sources were checked", Location(pdf),
                                f"run `edition build {issue_dir} --profile {profile.name}`",
                                "pdf.not-built", INFO))
        pdf = None
    held = (f"{len(issue.articles)} articles, {len(issue.inframe)} Inframe photos, "
            f"{len(issue.ads)} ads")
    return Report(issue_dir, profile.name, pdf, pages, findings, held)


# ---------------------------------------------------------------- sources


def check_sources(plan: Plan, profile: Profile) -> list[Finding]:
    out: list[Finding] = []
    seen: set[tuple[Path, float, float]] = set()
    for slot in plan.slots:
        req = slot.request
        key = (req.source, req.width_mm, req.height_mm)
        if key in seen:
            continue
        seen.add(key)
        out.extend(_resolution(req, profile))
    out.extend(_captions(plan))
    out.extend(_ads(plan))
    return out


def _resolution(req: ImageRequest, profile: Profile) -> list[Finding]:
    sw, sh = source_size(req.source)
    dpi = effective_dpi(req, sw, sh)
    if dpi >= profile.dpi * 0.97:  # a few dpi short is below what anyone can see
        return []
    severity = ERROR if dpi < profile.dpi / 2 else WARNING
    return [Finding(f"photo has {dpi:.0f} dpi at its placed size of {req.width_mm:.0f} x "
                    f"{req.height_mm:.0f} mm; the {profile.name} edition needs {profile.dpi}",
                    Location(req.source), "use a larger original, or place it smaller",
                    "photo.low-resolution", severity, obj=req.source.name)]


def _captions(plan: Plan) -> list[Finding]:
    out = []
    for section in plan.sections:
        slots: list[tuple[Slot, str]] = []
        if isinstance(section, ArticleSection) and section.lead:
            slots.append((section.lead, f"lead photo of '{section.article.slug}'"))
        if isinstance(section, InframeSection):
            slots += [(p, "Inframe photo") for page in section.pages for p in page.photos]
        for slot, what in slots:
            name = slot.request.source.name
            if not slot.caption:
                out.append(Finding(f"{what} has no caption, so no alt text either",
                                   Location(slot.request.source), "add a caption",
                                   "photo.no-caption", WARNING, obj=name))
            if not slot.credit:
                out.append(Finding(f"{what} has no credit", Location(slot.request.source),
                                   "add the photographer or agency", "photo.no-credit",
                                   WARNING, obj=name))
    return out


def _ads(plan: Plan) -> list[Finding]:
    out = []
    for slot, size in _ad_slots(plan):
        sw, sh = source_size(slot.request.source)
        want = slot.request.width_mm / slot.request.height_mm
        have = sw / sh
        diff = abs(have - want) / want
        if diff > ASPECT_TOLERANCE:
            out.append(Finding(
                f"{size} ad artwork is {sw} x {sh} px (shape {have:.3f}); its slot is "
                f"{slot.request.width_mm:.0f} x {slot.request.height_mm:.0f} mm (shape "
                f"{want:.3f}), {diff:.0%} off, so it would be cropped or letterboxed",
                Location(slot.request.source), "ask the advertiser for artwork of the slot's size",
                "ad.aspect", ERROR, obj=slot.request.source.name))
    return out


def _ad_slots(plan: Plan) -> Iterator[tuple[Slot, str]]:
    for s in plan.sections:
        if isinstance(s, AdPage) and s.art:
            yield s.art, "full-page"
        if isinstance(s, ArticleSection):
            if s.half_art:
                yield s.half_art, "half-page"
            for item in s.items:
                if getattr(item, "kind", None) == "quarter-ad" and item.slot:  # type: ignore[union-attr]
                    yield item.slot, "quarter-page"  # type: ignore[union-attr]


# ---------------------------------------------------------------- the built PDF


def check_pdf(path: Path, plan: Plan | None, profile: Profile,
              cache_dir: Path | None = None) -> list[Finding]:
    """Preflight of a built PDF. With `cache_dir`, what was found on a page is remembered
    by the page's content, so a rebuild checks only the pages that changed."""
    loc = Location(path)
    out: list[Finding] = []
    try:
        pdf = pikepdf.open(path)
    except pikepdf.PdfError as exc:
        return [Finding(f"the PDF cannot be read ({exc})", loc, "build it again",
                        "pdf.unreadable")]
    doc = pdfium.PdfDocument(str(path))
    try:
        with pdf:
            out += _page_count(pdf, profile, loc)
            out += _fonts(pdf, loc)
            out += _colour_spaces(pdf, profile, loc)
            out += _structure(pdf, profile, loc)
            if profile.name == "archive":
                out += _sources_embedded(pdf, plan, loc)
            out += _each_page(pdf, doc, profile, loc, cache_dir)
            if plan is not None:
                marks = _bookmarks(path)
                out += _half_ads(pdf, marks, plan, loc)
                out += _planned_pages(marks, len(pdf.pages), plan, loc)
    finally:
        doc.close()
    return out


def _page_count(pdf: pikepdf.Pdf, profile: Profile, loc: Location) -> list[Finding]:
    n = len(pdf.pages)
    if profile.pad_to > 1 and n % profile.pad_to:
        return [Finding(f"{n} pages is not a multiple of {profile.pad_to}", loc,
                        "a printed magazine is folded from sheets of 4 pages",
                        "pdf.page-count")]
    return []


def _norm(name: str) -> str:
    return "".join(c for c in name.lower() if c.isalnum())


@cache
def bundled_font_names() -> frozenset[str]:
    """Names of the fonts in assets/fonts (PostScript, full, family + style), normalised:
    the only fonts an edition may use."""
    from fontTools.ttLib import TTFont

    names = set()
    for f in (share_dir("assets") / "fonts").iterdir():
        if f.suffix.lower() in (".ttf", ".otf"):
            with TTFont(f, lazy=True) as font:
                table = font["name"]
                for ids in ((6,), (4,), (1, 2), (16, 17), (1,)):
                    parts = [table.getDebugName(i) for i in ids]
                    if all(parts):
                        names.add(_norm("".join(parts)))  # type: ignore[arg-type]
                # WeasyPrint names a font after Pango's description: family + weight name.
                family = table.getDebugName(16) or table.getDebugName(1) or ""
                weight = _PANGO_WEIGHTS.get(font["OS/2"].usWeightClass, "")
                italic = "italic" if font["OS/2"].fsSelection & 1 else ""
                names.add(_norm(family + weight + italic))
    return frozenset(names)


_PANGO_WEIGHTS = {100: "thin", 200: "ultralight", 300: "light", 350: "semilight",
                  380: "book", 400: "", 500: "medium", 600: "semibold", 700: "bold",
                  800: "ultrabold", 900: "heavy", 1000: "ultraheavy"}


def _fonts(pdf: pikepdf.Pdf, loc: Location) -> list[Finding]:
    out = []
    allowed = bundled_font_names()
    seen: set[str] = set()
    for i, page in enumerate(pdf.pages, 1):
        fonts = page.obj.get("/Resources", {}).get("/Font", {})
        for font in fonts.values():
            base = str(font.get("/BaseFont", "?")).lstrip("/")
            name = base.split("+", 1)[-1]
            if name in seen:
                continue
            seen.add(name)
            target = font
            if "/DescendantFonts" in font:
                target = font.DescendantFonts[0]
            desc = target.get("/FontDescriptor")
            if desc is None or not any(k in desc for k in
                                       ("/FontFile", "/FontFile2", "/FontFile3")):
                out.append(Finding(f"font {name} is not embedded", loc,
                                   "fonts must travel inside the PDF", "pdf.font-not-embedded",
                                   ERROR, page=i, obj=name))
            if _norm(name) not in allowed:
                out.append(Finding(f"font {name} does not come from assets/fonts", loc,
                                   "use only the layout's bundled fonts", "pdf.font-foreign",
                                   ERROR, page=i, obj=name))
    return out


def _image_space(image: pikepdf.Object) -> str:
    cs = image.get("/ColorSpace")
    if isinstance(cs, pikepdf.Array) and len(cs) and cs[0] == Name.ICCBased:
        return {1: "gray", 3: "rgb", 4: "cmyk"}.get(int(cs[1].get("/N", 0)), "?")
    return {"/DeviceRGB": "rgb", "/DeviceCMYK": "cmyk", "/DeviceGray": "gray"}.get(
        str(cs), "other")


def _page_colour(page: pikepdf.Page, i: int, profile: Profile,
                 loc: Location) -> list[Finding]:
    out = []
    for name, image in _page_images(page):
        if image.get("/ImageMask"):
            continue
        space = _image_space(image)
        if profile.cmyk and space == "rgb":
            out.append(Finding(f"RGB image {name} in the print edition", loc,
                               "photos must be separated to CMYK for the press",
                               "pdf.rgb-image", ERROR, page=i, obj=name))
        if not profile.cmyk and space == "cmyk":
            out.append(Finding(f"CMYK image {name} in an RGB edition", loc,
                               "screen and archive editions are sRGB",
                               "pdf.cmyk-image", ERROR, page=i, obj=name))
    if profile.cmyk and _draws_rgb(page):
        out.append(Finding("RGB colour in the page's drawing", loc,
                           "give the layout's colours in CMYK", "pdf.rgb-colour",
                           ERROR, page=i))
    return out


def _colour_spaces(pdf: pikepdf.Pdf, profile: Profile, loc: Location) -> list[Finding]:
    """A DeviceRGB colour space anywhere in the print PDF (groups, shadings, patterns)."""
    if profile.cmyk:
        for obj in pdf.objects:
            if _mentions_rgb(obj):
                return [Finding("a DeviceRGB colour space remains in the print PDF", loc,
                                "transparency groups and shadings must be CMYK too",
                                "pdf.rgb-space", ERROR, obj=f"object {obj.objgen[0]}")]
    return []


def _each_page(pdf: pikepdf.Pdf, doc: pdfium.PdfDocument, profile: Profile, loc: Location,
               cache_dir: Path | None) -> list[Finding]:
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
            found = [dataclasses.replace(Finding.from_dict(d), location=loc, page=i + 1)
                     for d in known[key]]
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
        from .publish import atomic_write_text

        cache_file.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(cache_file, json.dumps(seen))
    return out


def _page_key(page: pikepdf.Page, profile: Profile) -> str:
    """What a page's checks depend on: its drawing, its fonts and images, its boxes."""
    h = hashlib.sha256(f"{profile}|".encode())
    try:
        h.update(_content(page.obj))
    except pikepdf.PdfError:
        return ""
    fonts = page.obj.get("/Resources", {}).get("/Font", {})
    h.update(repr(sorted(str(f.get("/BaseFont", "")) for f in fonts.values())).encode())
    h.update(repr(sorted(n for n, _ in _page_images(page))).encode())
    for box in ("/MediaBox", "/TrimBox", "/BleedBox"):
        h.update(repr(page.obj.get(box)).encode())
    return h.hexdigest()


def _mentions_rgb(obj: pikepdf.Object) -> bool:
    try:
        target = obj.stream_dict if isinstance(obj, pikepdf.Stream) else obj
        if not isinstance(target, pikepdf.Dictionary):
            return False
        return "/DeviceRGB" in repr(target)
    except (pikepdf.PdfError, RecursionError):
        return False


_DO = re.compile(rb"/([^\s/\[\]()<>{}%]+)\s+Do\b")
_RGB_OP = re.compile(rb"(?:^|\s)(?:rg|RG)(?:\s|$)|/DeviceRGB\b")


def _content(obj: pikepdf.Object) -> bytes:
    """A page's or a form's drawing instructions, decoded."""
    contents = obj.get("/Contents") if not isinstance(obj, pikepdf.Stream) else obj
    if contents is None:
        return b""
    if isinstance(contents, pikepdf.Array):
        return b"\n".join(c.read_bytes() for c in contents)
    return contents.read_bytes()


def _draws_rgb(page: pikepdf.Page) -> bool:
    """RGB colour set in a page's drawing, or in a form it paints (`rg`, `RG`, or a
    colour space named /DeviceRGB for `cs`/`CS`)."""
    stack = [page.obj]
    seen: set[tuple[int, int]] = set()
    while stack:
        obj = stack.pop()
        try:
            if _RGB_OP.search(_content(obj)):
                return True
        except pikepdf.PdfError:
            continue
        xobjects = obj.get("/Resources", {}).get("/XObject", {})
        for xobj in xobjects.values():
            if xobj.get("/Subtype") == Name.Form and xobj.objgen not in seen:
                seen.add(xobj.objgen)
                stack.append(xobj)
    return False


def _page_images(page: pikepdf.Page) -> Iterator[tuple[str, pikepdf.Object]]:
    """The images a page really paints (`Do` in its content, through nested forms);
    WeasyPrint shares one resource dictionary between all pages."""
    stack: list[tuple[pikepdf.Object, pikepdf.Object]] = [
        (page.obj, page.obj.get("/Resources", {}))]
    seen: set[tuple[int, int]] = set()
    while stack:
        content, resources = stack.pop()
        xobjects = resources.get("/XObject", {})
        try:
            data = _content(content)
        except pikepdf.PdfError:
            continue
        for match in _DO.finditer(data):
            name = "/" + match.group(1).decode("latin-1")
            xobj = xobjects.get(name)
            if xobj is None or xobj.objgen in seen:
                continue
            seen.add(xobj.objgen)
            if xobj.get("/Subtype") == Name.Image:
                yield name.lstrip("/"), xobj
            elif xobj.get("/Subtype") == Name.Form:
                stack.append((xobj, xobj.get("/Resources", resources)))


def _structure(pdf: pikepdf.Pdf, profile: Profile, loc: Location) -> list[Finding]:
    out = []
    root = pdf.Root
    if pdf.is_encrypted:
        out.append(Finding("the PDF is encrypted", loc, None, "pdf.encrypted"))
    if "/JavaScript" in root.get("/Names", {}) or "/OpenAction" in root:
        out.append(Finding("the PDF carries JavaScript or an open action", loc, None,
                           "pdf.javascript"))
    intents = list(root.get("/OutputIntents", []))
    if profile.pdf_variant == "pdf/x-4":
        pdfx = [i for i in intents if i.get("/S") == Name.GTS_PDFX]
        if not pdfx:
            out.append(Finding("no PDF/X output intent", loc,
                               "the printer cannot know the printing condition",
                               "pdfx.no-output-intent"))
        elif int(pdfx[0].DestOutputProfile.get("/N", 0)) != 4:
            out.append(Finding("the PDF/X output intent is not a CMYK profile", loc, None,
                               "pdfx.output-intent-not-cmyk"))
        xmp = _xmp(pdf)
        if "PDF/X-4" not in xmp:
            out.append(Finding("XMP does not identify the file as PDF/X-4", loc, None,
                               "pdfx.xmp"))
        for i, page in enumerate(pdf.pages, 1):
            for box in ("/TrimBox", "/BleedBox"):
                if box not in page.obj:
                    out.append(Finding(f"page has no {box[1:]}", loc, None, "pdfx.boxes",
                                       page=i))
    if profile.pdf_variant and profile.pdf_variant.startswith("pdf/a"):
        pdfa = [i for i in intents if i.get("/S") == Name.GTS_PDFA1]
        if not pdfa or int(pdfa[0].DestOutputProfile.get("/N", 0)) != 3:
            out.append(Finding("no sRGB PDF/A output intent", loc, None,
                               "pdfa.no-output-intent"))
        xmp = _xmp(pdf)
        if 'pdfaid:part="3"' not in xmp and "<pdfaid:part>3<" not in xmp:
            out.append(Finding("XMP does not identify the file as PDF/A-3", loc, None,
                               "pdfa.xmp"))
    if profile.tagged:
        if "/StructTreeRoot" not in root or not root.get("/MarkInfo", {}).get("/Marked"):
            out.append(Finding("the PDF is not tagged", loc,
                               "screen readers need the structure tree", "pdf.untagged"))
        else:
            out += _alt_texts(root.StructTreeRoot, loc)
        if "/Outlines" not in root:
            out.append(Finding("the PDF has no bookmarks", loc, None, "pdf.no-bookmarks"))
    if "/Lang" not in root:
        out.append(Finding("the PDF does not say its language", loc, None, "pdf.no-lang",
                           WARNING))
    return out


def _alt_texts(tree: pikepdf.Object, loc: Location) -> list[Finding]:
    missing = 0
    stack = [tree]
    seen = set()
    while stack:
        node = stack.pop()
        if not isinstance(node, pikepdf.Dictionary):
            if isinstance(node, pikepdf.Array):
                stack.extend(node)
            continue
        if node.is_indirect:
            if node.objgen in seen:
                continue
            seen.add(node.objgen)
        if node.get("/S") == Name.Figure and not str(node.get("/Alt", "")).strip():
            missing += 1
        kids = node.get("/K")
        if kids is not None:
            stack.append(kids)
    if missing:
        return [Finding(f"{missing} figure(s) without alt text", loc,
                        "give every photo a caption", "pdf.no-alt", WARNING)]
    return []


def _xmp(pdf: pikepdf.Pdf) -> str:
    if "/Metadata" not in pdf.Root:
        return ""
    return pdf.Root.Metadata.read_bytes().decode("utf-8", "replace")


def _sources_embedded(pdf: pikepdf.Pdf, plan: Plan | None, loc: Location) -> list[Finding]:
    names = set(pdf.attachments)
    af = pdf.Root.get("/AF")
    out = []
    if af is None or not len(af):
        out.append(Finding("no associated files (/AF) in the catalog", loc,
                           "PDF/A-3 sources must be associated files", "pdfa.no-af"))
    else:
        for spec in af:
            if "/AFRelationship" not in spec:
                out.append(Finding(f"embedded file {spec.get('/UF')} has no AFRelationship",
                                   loc, None, "pdfa.af-relationship"))
    wanted = {"issue.toml"}
    if plan is not None:
        root = plan.issue.root.resolve()
        wanted |= {a.path.resolve().relative_to(root).as_posix() for a in plan.issue.articles}
    for name in sorted(wanted - names):
        out.append(Finding(f"source {name} is not embedded", loc,
                           "the archive PDF must rebuild the issue on its own",
                           "pdfa.source-missing", obj=name))
    return out


def _page_geometry(page: pdfium.PdfPage, i: int, profile: Profile,
                   loc: Location) -> list[Finding]:
    """Page `i` (0-based): empty, text inside the safety margin, bleed that stops short."""
    out: list[Finding] = []
    safety = SAFETY_MM * MM
    objects = list(page.get_objects(max_depth=2))
    tl, tb, tr, tt = page.get_trimbox()
    inside = [o for o in objects if _within(o.get_bounds(), (tl, tb, tr, tt))]
    if not inside:  # nothing on the page itself: crop marks are outside the trim
        return [Finding("page is empty", loc, "fill it or remove it", "pdf.empty-page",
                        ERROR, page=i + 1)]
    inside_left = (i + 1) % 2 == 1  # right-hand (odd) pages bind on their left
    text = page.get_textpage()
    try:
        for r in range(text.count_rects()):
            left, bottom, right, top = text.get_rect(r)
            if right < tl or left > tr or top < tb or bottom > tt:
                continue  # outside the trim: slug, marks
            if not (left < tl + safety or right > tr - safety
                    or bottom < tb + safety or top > tt - safety):
                continue
            side = ("left" if left < tl + safety else "right" if right > tr - safety
                    else "top" if top > tt - safety else "bottom")
            gutter = (side == "left") == inside_left and side in ("left", "right")
            what = "in the gutter" if gutter else f"near the {side} trim"
            snippet = " ".join(text.get_text_bounded(left, bottom, right, top).split())[:40]
            out.append(Finding(f"text '{snippet}' {what}, inside the {SAFETY_MM} mm "
                               "safety margin", loc, "move it inwards: the trim can cut it",
                               "pdf.safety-margin", WARNING, page=i + 1,
                               obj=snippet or None))
            break  # one finding per page is enough to send the editor there
    finally:
        text.close()
    if profile.bleed:
        out += _short_of_bleed(page, objects, i + 1, loc)
    return out


def _within(bounds: tuple[float, float, float, float],
            box: tuple[float, float, float, float]) -> bool:
    left, bottom, right, top = bounds
    return right > box[0] and left < box[2] and top > box[1] and bottom < box[3]


def _short_of_bleed(page: pdfium.PdfPage, objects: list, number: int,
                    loc: Location) -> list[Finding]:
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
                stops.setdefault(edge, "image" if obj.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE
                                 else "area")
    return [Finding(f"{kind} reaches the {edge} trim but stops short of the bleed", loc,
                    "extend it 3 mm past the trim", "pdf.short-of-bleed", WARNING, page=number)
            for edge, kind in stops.items() if edge not in bleeds]


def _bookmarks(pdf_path: Path) -> list[tuple[int, str]]:
    """(0-based page, title) of every bookmark of the PDF, in order, nested ones included."""
    from pypdf import PdfReader

    reader = PdfReader(pdf_path)
    marks: list[tuple[int, str]] = []

    def walk(items: list) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                marks.append((reader.get_destination_page_number(item),
                              " ".join(str(item.title).split())))

    walk(reader.outline)
    return marks


def _article_pages(marks: list[tuple[int, str]], page_count: int,
                   plan: Plan) -> dict[str, tuple[int, int]]:
    """Slug -> (first page, page count) of each article, from the bookmarks."""
    starts = sorted({p for p, _ in marks} | {page_count})
    by_title = {t: p for p, t in marks}
    out = {}
    for section in plan.articles:
        first = by_title.get(section.article.title)
        if first is None:
            continue
        # An article ends where the next bookmarked section begins.
        end = next(s for s in starts if s > first) if first < page_count else first
        out[section.article.slug] = (first, end - first)
    return out


def _planned_pages(marks: list[tuple[int, str]], page_count: int, plan: Plan,
                   loc: Location) -> list[Finding]:
    planned = {s.article.slug: s.article.meta.pages for s in plan.articles
               if s.article.meta.pages}
    if not planned:
        return []
    out = []
    for slug, (first, count) in _article_pages(marks, page_count, plan).items():
        want = planned.get(slug)
        if want is None:
            continue
        # Full-page ads placed after an article are not bookmarked: do not count them.
        ads = sum(1 for s in plan.sections if isinstance(s, AdPage) and s.ad is not None
                  and s.ad.spec.after == slug)
        count -= ads
        if count > want:
            out.append(Finding(f"article '{slug}' runs to {count} pages; the flatplan gives it "
                               f"{want}, so everything after it moved", loc,
                               "cut the text or a photo, or plan more pages",
                               "plan.article-overflow", ERROR, page=first + 1, obj=slug))
        elif count < want:
            out.append(Finding(f"article '{slug}' fills {count} of its {want} planned pages",
                               loc, "lengthen it, add a photo, or plan fewer pages",
                               "plan.article-short", WARNING, page=first + 1, obj=slug))
    return out


def _half_ads(pdf: pikepdf.Pdf, marks: list[tuple[int, str]], plan: Plan,
              loc: Location) -> list[Finding]:
    """Each half-page ad on the page of its article where it was planned."""
    starts = {title: page for page, title in marks}
    out = []
    for section in plan.articles:
        if not section.half_art:
            continue
        url = f"{PREPARED_SCHEME}:{prepared_name(section.half_art.request)}"
        digest = hashlib.md5(url.encode(), usedforsecurity=False)
        prefix = f"i{digest.hexdigest()}"
        start = starts.get(section.article.title)
        if start is None:
            continue
        want = start + section.half_ad_page - 1
        # Where it was planned, else anywhere (a few pages' content parsed, not all).
        order = [want, *(i for i in range(len(pdf.pages)) if i != want)]
        found = next((i for i in order if i < len(pdf.pages) and any(
            name.startswith(prefix) for name, _ in _page_images(pdf.pages[i]))), None)
        advertiser = section.half_ad.spec.advertiser if section.half_ad else None
        if found is None:
            out.append(Finding(f"the half-page ad in '{section.article.slug}' does not "
                               "appear: the article is shorter than planned", loc,
                               "lengthen the article or book the ad elsewhere",
                               "pdf.half-ad-missing", ERROR, obj=advertiser))
        elif found != want:
            out.append(Finding(f"the half-page ad in '{section.article.slug}' is on page "
                               f"{found + 1}, planned for {want + 1}", loc, None,
                               "pdf.half-ad-moved", WARNING, page=found + 1,
                               obj=advertiser))
    return out
