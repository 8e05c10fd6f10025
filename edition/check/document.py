"""Preflight of the built PDF as a whole: page count, fonts, colour spaces, output intents
and XMP, tags and bookmarks, embedded sources, the rules of the standard the profile
claims (conformance.py), articles, half-page ads and photos where planned."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path

import pikepdf
from pikepdf import Name

from edition.check.conformance import check_conformance
from edition.check.content import entry, mentions_rgb, page_images, resources
from edition.check.layout import outline_of
from edition.errors import Finding, Location, Severity
from edition.pdf.finish import MANIFEST, archive_files
from edition.plan.model import AdPage, ImageRequest, Plan, Slot
from edition.profiles import Profile
from edition.share import fonts_dir

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


def _page_count(pdf: pikepdf.Pdf, profile: Profile, loc: Location) -> list[Finding]:
    n = len(pdf.pages)
    if profile.pad_to > 1 and n % profile.pad_to:
        return [
            Finding(
                f"{n} pages is not a multiple of {profile.pad_to}",
                loc,
                "a printed magazine is folded from sheets of 4 pages",
                "pdf.page-count",
            )
        ]
    return []


def _norm(name: str) -> str:
    return "".join(c for c in name.lower() if c.isalnum())


@cache
def bundled_font_names() -> frozenset[str]:
    """Names of the fonts in assets/fonts (PostScript, full, family + style), normalised:
    the only fonts an edition may use."""
    from fontTools.ttLib import TTFont

    names = set()
    for f in fonts_dir().iterdir():
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


_PANGO_WEIGHTS = {
    100: "thin",
    200: "ultralight",
    300: "light",
    350: "semilight",
    380: "book",
    400: "",
    500: "medium",
    600: "semibold",
    700: "bold",
    800: "ultrabold",
    900: "heavy",
    1000: "ultraheavy",
}


def _fonts(pdf: pikepdf.Pdf, loc: Location) -> list[Finding]:
    out = []
    allowed = bundled_font_names()
    seen: set[str] = set()
    for i, page in enumerate(pdf.pages, 1):
        fonts = resources(page.obj, "/Font")
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
            if desc is None or not any(
                k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")
            ):
                out.append(
                    Finding(
                        f"font {name} is not embedded",
                        loc,
                        "fonts must travel inside the PDF",
                        "pdf.font-not-embedded",
                        ERROR,
                        page=i,
                        obj=name,
                    )
                )
            if _norm(name) not in allowed:
                out.append(
                    Finding(
                        f"font {name} does not come from assets/fonts",
                        loc,
                        "use only the layout's bundled fonts",
                        "pdf.font-foreign",
                        ERROR,
                        page=i,
                        obj=name,
                    )
                )
    return out


def _colour_spaces(pdf: pikepdf.Pdf, profile: Profile, loc: Location) -> list[Finding]:
    """A DeviceRGB colour space anywhere in the print PDF (groups, shadings, patterns)."""
    if profile.cmyk:
        for obj in pdf.objects:
            if mentions_rgb(obj):
                return [
                    Finding(
                        "a DeviceRGB colour space remains in the print PDF",
                        loc,
                        "transparency groups and shadings must be CMYK too",
                        "pdf.rgb-space",
                        ERROR,
                        obj=f"object {obj.objgen[0]}",
                    )
                ]
    return []


def _structure(pdf: pikepdf.Pdf, profile: Profile, loc: Location) -> list[Finding]:
    out = []
    root = pdf.Root
    if pdf.is_encrypted:
        out.append(Finding("the PDF is encrypted", loc, None, "pdf.encrypted"))
    if "/JavaScript" in root.get("/Names", {}) or "/OpenAction" in root:
        out.append(
            Finding("the PDF carries JavaScript or an open action", loc, None, "pdf.javascript")
        )
    intents = list(root.get("/OutputIntents", []))
    if profile.pdf_variant == "pdf/x-4":
        pdfx = [i for i in intents if i.get("/S") == Name.GTS_PDFX]
        if not pdfx:
            out.append(
                Finding(
                    "no PDF/X output intent",
                    loc,
                    "the printer cannot know the printing condition",
                    "pdfx.no-output-intent",
                )
            )
        elif int(pdfx[0].DestOutputProfile.get("/N", 0)) != 4:
            out.append(
                Finding(
                    "the PDF/X output intent is not a CMYK profile",
                    loc,
                    None,
                    "pdfx.output-intent-not-cmyk",
                )
            )
        xmp = _xmp(pdf)
        if "PDF/X-4" not in xmp:
            out.append(Finding("XMP does not identify the file as PDF/X-4", loc, None, "pdfx.xmp"))
        for i, page in enumerate(pdf.pages, 1):
            for box in ("/TrimBox", "/BleedBox"):
                if box not in page.obj:
                    out.append(Finding(f"page has no {box[1:]}", loc, None, "pdfx.boxes", page=i))
    if profile.pdf_variant and profile.pdf_variant.startswith("pdf/a"):
        pdfa = [i for i in intents if i.get("/S") == Name.GTS_PDFA1]
        if not pdfa or int(pdfa[0].DestOutputProfile.get("/N", 0)) != 3:
            out.append(Finding("no sRGB PDF/A output intent", loc, None, "pdfa.no-output-intent"))
        xmp = _xmp(pdf)
        if 'pdfaid:part="3"' not in xmp and "<pdfaid:part>3<" not in xmp:
            out.append(Finding("XMP does not identify the file as PDF/A-3", loc, None, "pdfa.xmp"))
    if profile.tagged:
        if "/StructTreeRoot" not in root or not entry(root, "/MarkInfo").get("/Marked"):
            out.append(
                Finding(
                    "the PDF is not tagged",
                    loc,
                    "screen readers need the structure tree",
                    "pdf.untagged",
                )
            )
        else:
            out += _alt_texts(root.StructTreeRoot, loc)
        if "/Outlines" not in root:
            out.append(Finding("the PDF has no bookmarks", loc, None, "pdf.no-bookmarks"))
    if "/Lang" not in root:
        out.append(Finding("the PDF does not say its language", loc, None, "pdf.no-lang", WARNING))
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
        return [
            Finding(
                f"{missing} figure(s) without alt text (ISO 14289-1, 7.3)",
                loc,
                "give every photo a caption, or the cover an 'alt' in issue.toml",
                "pdf.no-alt",
                ERROR,
            )
        ]
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
        out.append(
            Finding(
                "no associated files (/AF) in the catalog",
                loc,
                "PDF/A-3 sources must be associated files",
                "pdfa.no-af",
            )
        )
    else:
        for spec in af:
            if "/AFRelationship" not in spec:
                out.append(
                    Finding(
                        f"embedded file {spec.get('/UF')} has no AFRelationship",
                        loc,
                        None,
                        "pdfa.af-relationship",
                    )
                )
    wanted = {"issue.toml", MANIFEST}
    if plan is not None:
        wanted |= set(archive_files(plan))
    for name in sorted(wanted - names):
        out.append(
            Finding(
                f"source {name} is not embedded",
                loc,
                "the archive PDF must rebuild the issue on its own",
                "pdfa.source-missing",
                obj=name,
            )
        )
    return out


def _article_pages(
    marks: list[tuple[int, str]], page_count: int, plan: Plan
) -> dict[str, tuple[int, int]]:
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


def _planned_pages(
    marks: list[tuple[int, str]], page_count: int, plan: Plan, loc: Location
) -> list[Finding]:
    planned = {s.article.slug: s.article.meta.pages for s in plan.articles if s.article.meta.pages}
    if not planned:
        return []
    out = []
    for slug, (first, count) in _article_pages(marks, page_count, plan).items():
        want = planned.get(slug)
        if want is None:
            continue
        # Full-page ads placed after an article are not bookmarked: do not count them.
        ads = sum(
            1
            for s in plan.sections
            if isinstance(s, AdPage) and s.ad is not None and s.ad.spec.after == slug
        )
        count -= ads
        if count > want:
            out.append(
                Finding(
                    f"article '{slug}' runs to {count} pages; the flatplan gives it "
                    f"{want}, so everything after it moved",
                    loc,
                    "cut the text or a photo, or plan more pages",
                    "plan.article-overflow",
                    ERROR,
                    page=first + 1,
                    obj=slug,
                )
            )
        elif count < want:
            out.append(
                Finding(
                    f"article '{slug}' fills {count} of its {want} planned pages",
                    loc,
                    "lengthen it, add a photo, or plan fewer pages",
                    "plan.article-short",
                    WARNING,
                    page=first + 1,
                    obj=slug,
                )
            )
    return out


def _half_ads(
    pdf: pikepdf.Pdf,
    marks: list[tuple[int, str]],
    plan: Plan,
    photo_files: Mapping[ImageRequest, Path],
    loc: Location,
) -> list[Finding]:
    """Each half-page ad on the page of its article where it was planned. The ad is found
    by its content: a prepared photo is embedded as it is, byte for byte."""
    starts = {title: page for page, title in marks}
    out = []
    for section in plan.articles:
        if not section.half_art:
            continue
        prepared = photo_files.get(section.half_art.request)
        start = starts.get(section.article.title)
        if prepared is None or start is None:
            continue  # not built here, or the article is not in the outline
        try:
            want_bytes = hashlib.sha256(prepared.read_bytes()).hexdigest()
        except OSError:
            continue
        want = start + section.half_ad_page - 1
        # Where it was planned, else anywhere (a few pages' content parsed, not all).
        order = [want, *(i for i in range(len(pdf.pages)) if i != want)]
        found = next(
            (
                i
                for i in order
                if i < len(pdf.pages)
                and any(
                    hashlib.sha256(image.read_raw_bytes()).hexdigest() == want_bytes
                    for _, image in page_images(pdf.pages[i])
                )
            ),
            None,
        )
        advertiser = section.half_ad.spec.advertiser if section.half_ad else None
        if found is None:
            out.append(
                Finding(
                    f"the half-page ad in '{section.article.slug}' does not "
                    "appear: the article is shorter than planned",
                    loc,
                    "lengthen the article or book the ad elsewhere",
                    "pdf.half-ad-missing",
                    ERROR,
                    obj=advertiser,
                )
            )
        elif found != want:
            out.append(
                Finding(
                    f"the half-page ad in '{section.article.slug}' is on page "
                    f"{found + 1}, planned for {want + 1}",
                    loc,
                    None,
                    "pdf.half-ad-moved",
                    WARNING,
                    page=found + 1,
                    obj=advertiser,
                )
            )
    return out


def check_document(
    pdf: pikepdf.Pdf,
    path: Path,
    plan: Plan | None,
    profile: Profile,
    keys: Sequence[str] | None = None,
    cache_dir: Path | None = None,
) -> list[Finding]:
    """The checks of the PDF as a whole (`keys`, one per page of what it draws, and
    `cache_dir`: the text of a page read before is not read again)."""
    loc = Location(path)
    out = _page_count(pdf, profile, loc)
    out += _fonts(pdf, loc)
    out += _colour_spaces(pdf, profile, loc)
    out += _structure(pdf, profile, loc)
    if profile.embed_sources:
        out += _sources_embedded(pdf, plan, loc)
    out += check_conformance(pdf, path, profile, keys, cache_dir)
    return out


def check_placement(
    pdf: pikepdf.Pdf, path: Path, plan: Plan, photo_files: Mapping[ImageRequest, Path]
) -> list[Finding]:
    """Articles and half-page ads where the flatplan put them."""
    loc = Location(path)
    marks = outline_of(path)
    return (
        _half_ads(pdf, marks, plan, photo_files, loc)
        + _planned_pages(marks, len(pdf.pages), plan, loc)
        + _photos(pdf, plan, photo_files, loc)
    )


def _photos(
    pdf: pikepdf.Pdf, plan: Plan, photo_files: Mapping[ImageRequest, Path], loc: Location
) -> list[Finding]:
    """Each placed photo as the PDF holds it: on which page it sits below the profile's
    resolution, never enlarged beyond its source's pixels; in the tagged edition, with an
    alt text of its own rather than its file name."""
    slots: dict[ImageRequest, Slot] = {}
    for slot in plan.slots:
        slots.setdefault(slot.request, slot)
    by_hash: dict[str, Slot] = {}
    for request, prepared in photo_files.items():
        known = slots.get(request)
        if known is None:
            continue
        try:
            by_hash.setdefault(hashlib.sha256(prepared.read_bytes()).hexdigest(), known)
        except OSError:
            continue
    out: list[Finding] = []
    reported: set[tuple[Path, int]] = set()
    for number, page in enumerate(pdf.pages, 1):
        for _, image in page_images(page):
            placed = by_hash.get(hashlib.sha256(image.read_raw_bytes()).hexdigest())
            if placed is None:
                continue
            req = placed.request
            width = int(image.get("/Width", 0))
            ppi = width / (req.width_mm / 25.4) if req.width_mm else 0.0
            name = req.source.name
            if round(ppi) < req.dpi and (req.source, number) not in reported:
                reported.add((req.source, number))
                out.append(
                    Finding(
                        f"photo {name} is placed at {ppi:.0f} ppi; the edition needs {req.dpi}",
                        loc,
                        "use a larger original, or place it smaller",
                        "pdf.low-resolution",
                        WARNING,
                        page=number,
                        obj=name,
                    )
                )
            # Vector artwork (a PDF ad) is drawn at the slot's size: it has no pixels of its own.
            source_w = 0 if req.source.suffix.lower() == ".pdf" else _source_width(placed)
            if source_w and width > source_w + 1:
                out.append(
                    Finding(
                        f"photo {name} was enlarged from {source_w} to {width} pixels across",
                        loc,
                        "an enlarged photo is no sharper, and the printer's preflight cannot "
                        "see its real resolution: place it at its own",
                        "pdf.upsampled",
                        ERROR,
                        page=number,
                        obj=name,
                    )
                )
    if "/StructTreeRoot" in pdf.Root:
        for slot in slots.values():
            if not slot.caption:
                out.append(
                    Finding(
                        f"photo {slot.request.source.name} has no caption or alt text: its "
                        "file name stands in for what it shows",
                        Location(slot.request.source),
                        "give it a caption (the cover: 'alt' under [cover] in issue.toml)",
                        "photo.no-alt",
                        WARNING,
                        obj=slot.request.source.name,
                    )
                )
    return out


def _source_width(slot: Slot) -> int:
    """Pixels across of the part of the source that fills the slot."""
    sw, sh = slot.source_px
    req = slot.request
    if not sw or not sh or not req.width_mm or not req.height_mm:
        return 0
    if req.crop:
        return round(min(float(sw), sh * req.width_mm / req.height_mm))
    return sw
