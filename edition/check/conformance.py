"""The rules of PDF/X-4, PDF/A-3b and PDF/UA-1 that can be read from the file, checked the
way a print shop's preflight and an archive's validator check them (each finding names
its clause: ISO 15930-7 for PDF/X-4, ISO 19005-3 for PDF/A-3, ISO 14289-1 for PDF/UA-1,
ISO 32000-1 for PDF itself), and the print edition's ink rules.

A broken rule of the standard a profile claims is an error: such a file is not ready for
the printer, the archive or subscribers. The ink rules are a printer's warnings.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import itertools
import re
import struct
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path

import pikepdf
from fontTools.ttLib import TTFont, TTLibError
from pikepdf import Name

from edition.check.inks import SMALL_PT, TextRun, remembered_text_runs, text_runs
from edition.errors import Finding, Location, Severity
from edition.profiles import Profile

ERROR, WARNING = Severity.ERROR, Severity.WARNING
HEAVY = ("Semi", "Bold", "Heavy", "Black", "Ultra", "Extra")  # weights that hold up reversed


def check_conformance(
    pdf: pikepdf.Pdf,
    path: Path,
    profile: Profile,
    keys: Sequence[str] | None = None,
    cache_dir: Path | None = None,
) -> list[Finding]:
    """Every rule of the profile's standard that the file breaks, and its ink rules. With
    `keys` (one per page, of what it draws) and `cache_dir`, the runs of text of a page
    read before are taken from there."""
    loc = Location(path)
    variant = profile.pdf_variant or ""
    if keys is not None and cache_dir is not None and len(keys) == len(pdf.pages):
        runs = remembered_text_runs(pdf, keys, cache_dir / f"text-runs-{profile.name}.json")
    else:
        runs = list(text_runs(pdf))
    out = _fonts(pdf, runs, loc)
    if variant.startswith(("pdf/x", "pdf/a")):
        out += _images(pdf, loc)
        out += _graphics_states(pdf, loc)
    if variant.startswith("pdf/x"):
        out += _pdfx(pdf, loc)
        out += _inks(runs, loc)
    if variant.startswith("pdf/a"):
        out += _pdfa(pdf, path, loc)
    if variant.startswith("pdf/ua"):
        out += _pdfua(pdf, runs, loc)
    return out


# --- fonts ------------------------------------------------------------------------------


def _font_programs(pdf: pikepdf.Pdf) -> Iterator[tuple[pikepdf.Dictionary, pikepdf.Stream]]:
    """(Type 0 font, embedded program) of every composite font in the file."""
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Dictionary) or obj.get("/Type") != Name.Font:
            continue
        if obj.get("/Subtype") != Name.Type0 or "/DescendantFonts" not in obj:
            continue
        desc = obj.DescendantFonts[0].get("/FontDescriptor")
        if not isinstance(desc, pikepdf.Dictionary):
            continue
        program = desc.get("/FontFile2") or desc.get("/FontFile3") or desc.get("/FontFile")
        if isinstance(program, pikepdf.Stream):
            yield obj, program


def _fonts(pdf: pikepdf.Pdf, runs: list[TextRun], loc: Location) -> list[Finding]:
    out = []
    programs: dict[str, set[str]] = {}
    for font, program in _font_programs(pdf):
        name = str(font.BaseFont).lstrip("/")
        programs.setdefault(name, set()).add(hashlib.sha256(program.read_raw_bytes()).hexdigest())
    for name, found in sorted(programs.items()):
        if "+" in name and len(found) > 1:
            out.append(
                Finding(
                    f"the subset name {name} labels {len(found)} different embedded subsets "
                    "(ISO 32000-1, 9.6.4)",
                    loc,
                    "each subset needs a tag of its own; a RIP that caches fonts by name "
                    "draws glyphs from the wrong one",
                    "pdf.font-subset-names",
                    ERROR,
                    obj=name,
                )
            )
    out += _widths(pdf, loc)
    notdef = Counter(r.page for r in runs if r.notdef)
    if notdef:
        pages = sorted(notdef)
        out.append(
            Finding(
                f"text shows the .notdef glyph on {len(pages)} page(s) (ISO 19005-3, "
                "6.2.11.8; ISO 14289-1, 7.21.8)",
                loc,
                "a character is missing from the fonts: choose a font that has it",
                "pdf.notdef",
                ERROR,
                page=pages[0],
            )
        )
    return out


def _widths(pdf: pikepdf.Pdf, loc: Location) -> list[Finding]:
    """Glyph widths in the font dictionary as in the font program (ISO 19005-3, 6.2.11.5;
    ISO 14289-1, 7.21.5), within one unit in a thousand."""
    out = []
    for font, program in _font_programs(pdf):
        advances = _program_advances(program.read_bytes())
        if advances is None:
            continue
        cid_font = font.DescendantFonts[0]
        wrong = [
            cid
            for cid, width in _w_entries(cid_font)
            if cid < len(advances) and abs(advances[cid] - width) > 1
        ]
        if wrong:
            name = str(font.BaseFont).lstrip("/")
            out.append(
                Finding(
                    f"font {name}: {len(wrong)} glyph width(s) differ from the embedded "
                    "font program (ISO 19005-3, 6.2.11.5)",
                    loc,
                    "build again; report it if it stays",
                    "pdf.font-widths",
                    ERROR,
                    obj=name,
                )
            )
    return out


@lru_cache(maxsize=64)
def _program_advances(data: bytes) -> tuple[float, ...] | None:
    """Every glyph's advance width in an embedded font program, in thousandths of an em."""
    try:
        with TTFont(io.BytesIO(data), lazy=True) as font:
            scale = 1000 / font["head"].unitsPerEm
            metrics = font["hmtx"].metrics
            return tuple(metrics[g][0] * scale for g in font.getGlyphOrder())
    except (TTLibError, KeyError, ValueError, struct.error, AssertionError):
        return None


def _w_entries(cid_font: pikepdf.Object) -> Iterator[tuple[int, float]]:
    w = list(cid_font.get("/W", []))
    i = 0
    while i + 1 < len(w):
        first = int(w[i])
        if isinstance(w[i + 1], pikepdf.Array):
            for k, v in enumerate(w[i + 1]):
                yield first + k, float(v)
            i += 2
        elif i + 2 < len(w):
            for cid in range(first, int(w[i + 1]) + 1):
                yield cid, float(w[i + 2])
            i += 3
        else:
            return


# --- images and graphics states ---------------------------------------------------------


def _images(pdf: pikepdf.Pdf, loc: Location) -> list[Finding]:
    smoothed = alternates = 0
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Stream) and obj.stream_dict.get("/Subtype") == Name.Image:
            if obj.stream_dict.get("/Interpolate") is True:
                smoothed += 1
            if "/Alternates" in obj.stream_dict or "/OPI" in obj.stream_dict:
                alternates += 1
    out = []
    if smoothed:
        out.append(
            Finding(
                f"{smoothed} image(s) ask to be smoothed (/Interpolate true; ISO 19005-3, "
                "6.2.8; the press must print the pixels it is given)",
                loc,
                "build again with this version of edition",
                "pdf.interpolate",
                ERROR,
            )
        )
    if alternates:
        out.append(
            Finding(
                f"{alternates} image(s) carry /Alternates or /OPI (ISO 19005-3, 6.2.8)",
                loc,
                None,
                "pdf.image-alternates",
                ERROR,
            )
        )
    return out


def _graphics_states(pdf: pikepdf.Pdf, loc: Location) -> list[Finding]:
    """No transfer functions or halftone phases (ISO 19005-3, 6.2.5; ISO 15930-7)."""
    states: dict[tuple[int, int], pikepdf.Dictionary] = {}
    for obj in pdf.objects:
        d = obj.stream_dict if isinstance(obj, pikepdf.Stream) else obj
        if not isinstance(d, pikepdf.Dictionary):
            continue
        if d.get("/Type") == Name.ExtGState:
            states[obj.objgen] = d
        held = d.get("/Resources")
        groups = [
            d.get("/ExtGState"),
            held.get("/ExtGState") if isinstance(held, pikepdf.Dictionary) else None,
        ]
        for group in groups:
            if isinstance(group, pikepdf.Dictionary):
                for i, gs in enumerate(group.values()):
                    if isinstance(gs, pikepdf.Dictionary):
                        states[gs.objgen if gs.is_indirect else (-obj.objgen[0], i)] = gs
    bad = 0
    for gs in states.values():
        if "/TR" in gs or "/HTP" in gs or ("/TR2" in gs and Name.Default != gs.TR2):
            bad += 1
    if not bad:
        return []
    return [
        Finding(
            f"{bad} graphics state(s) set a transfer function or halftone phase "
            "(ISO 19005-3, 6.2.5)",
            loc,
            None,
            "pdf.transfer-function",
            ERROR,
        )
    ]


# --- PDF/X-4 ----------------------------------------------------------------------------


def _box(page: pikepdf.Object, key: str) -> list[float] | None:
    value = page.get(key)
    return [float(v) for v in value] if isinstance(value, pikepdf.Array) else None


def _inside(inner: list[float], outer: list[float], slack: float = 0.01) -> bool:
    return (
        inner[0] >= outer[0] - slack
        and inner[1] >= outer[1] - slack
        and inner[2] <= outer[2] + slack
        and inner[3] <= outer[3] + slack
    )


def _pdfx(pdf: pikepdf.Pdf, loc: Location) -> list[Finding]:
    out = []
    if pdf.pdf_version > "1.6":
        out.append(
            Finding(
                f"PDF {pdf.pdf_version}: PDF/X-4 files are PDF 1.6 at most (ISO 15930-7)",
                loc,
                None,
                "pdfx.version",
                ERROR,
            )
        )
    info = pdf.docinfo
    version = str(info.get("/GTS_PDFXVersion", ""))
    xmp = _xmp(pdf)
    if version != "PDF/X-4":
        out.append(
            Finding(
                "the document information does not say GTS_PDFXVersion (PDF/X-4) as the "
                "XMP does (ISO 15930-7)",
                loc,
                "a printer's preflight reads both",
                "pdfx.info-version",
                ERROR,
            )
        )
    if str(info.get("/Trapped", "")) not in ("/True", "/False"):
        out.append(
            Finding(
                "/Trapped in the document information is neither True nor False (ISO 15930-7)",
                loc,
                None,
                "pdfx.trapped",
                ERROR,
            )
        )
    if not str(info.get("/Title", "")).strip() or "<dc:title>" not in xmp:
        out.append(
            Finding(
                "the file has no title in its document information and XMP (ISO 15930-7)",
                loc,
                None,
                "pdfx.title",
                ERROR,
            )
        )
    for key in ("xmpMM:DocumentID", "xmpMM:VersionID", "xmpMM:RenditionClass"):
        if key not in xmp:
            out.append(
                Finding(
                    f"the XMP has no {key} (ISO 15930-7)",
                    loc,
                    None,
                    "pdfx.xmp-ids",
                    ERROR,
                    obj=key,
                )
            )
    for i, page in enumerate(pdf.pages, 1):
        media = _box(page.obj, "/MediaBox")
        bleed = _box(page.obj, "/BleedBox")
        trim = _box(page.obj, "/TrimBox")
        if media and bleed and trim and not (_inside(trim, bleed) and _inside(bleed, media)):
            out.append(
                Finding(
                    "the TrimBox is not inside the BleedBox, or the BleedBox not inside the "
                    "MediaBox (ISO 32000-1, 14.11.2)",
                    loc,
                    None,
                    "pdfx.boxes",
                    ERROR,
                    page=i,
                )
            )
        area = bleed or trim or media
        annots = [
            a
            for a in page.obj.get("/Annots", [])
            if a.get("/Subtype") not in (Name.PrinterMark, Name.TrapNet)
            and area is not None
            and _overlaps(_rect(a), area)
        ]
        if annots:
            kinds = ", ".join(sorted({str(a.get("/Subtype", "?")).lstrip("/") for a in annots}))
            out.append(
                Finding(
                    f"{len(annots)} annotation(s) ({kinds}) on the printed area "
                    "(ISO 15930-7: only printer's marks and trap networks may be there)",
                    loc,
                    "links belong in the screen edition",
                    "pdfx.annotation",
                    ERROR,
                    page=i,
                )
            )
    return out


def _rect(annot: pikepdf.Object) -> list[float]:
    r = [float(v) for v in annot.get("/Rect", [0, 0, 0, 0])]
    return [min(r[0], r[2]), min(r[1], r[3]), max(r[0], r[2]), max(r[1], r[3])]


def _overlaps(a: list[float], b: list[float]) -> bool:
    return a[2] > b[0] and a[0] < b[2] and a[3] > b[1] and a[1] < b[3]


def _inks(runs: list[TextRun], loc: Location) -> list[Finding]:
    """Small type in more than one ink; small reversed type on photos, or light."""
    out = []
    by_page: dict[int, list[TextRun]] = {}
    for run in runs:
        if run.size < SMALL_PT:
            by_page.setdefault(run.page, []).append(run)
    for page, small in sorted(by_page.items()):
        multi = [r for r in small if len(r.inks) > 1]
        if multi:
            first = multi[0]
            out.append(
                Finding(
                    f"{sum(r.glyphs for r in multi)} glyph(s) of type under {SMALL_PT:g} pt "
                    f"in {len(first.inks)} inks, e.g. '{_snippet(first)}' at "
                    f"{first.size:g} pt in {'+'.join(first.inks)}",
                    loc,
                    "small type in one ink: the plates never meet exactly",
                    "print.small-type-inks",
                    WARNING,
                    page=page,
                    obj=_snippet(first),
                )
            )
        on_photo = [r for r in small if r.reversed and r.on_image]
        if on_photo:
            first = on_photo[0]
            out.append(
                Finding(
                    f"{sum(r.glyphs for r in on_photo)} glyph(s) of white type under "
                    f"{SMALL_PT:g} pt on a photo, e.g. '{_snippet(first)}' at {first.size:g} pt",
                    loc,
                    "set it on a band of one ink, or at 9 pt and more",
                    "print.reversed-type",
                    WARNING,
                    page=page,
                    obj=_snippet(first),
                )
            )
        light = [
            r
            for r in small
            if r.reversed and not r.on_image and not any(w in r.font for w in HEAVY)
        ]
        if light:
            first = light[0]
            out.append(
                Finding(
                    f"{sum(r.glyphs for r in light)} glyph(s) of white type under "
                    f"{SMALL_PT:g} pt in a light weight on a colour, e.g. '{_snippet(first)}' "
                    f"({first.font})",
                    loc,
                    "reversed small type needs a bold weight",
                    "print.reversed-light",
                    WARNING,
                    page=page,
                    obj=_snippet(first),
                )
            )
    return out


def _snippet(run: TextRun) -> str:
    return " ".join(run.text.split())[:30]


# --- PDF/A-3b ---------------------------------------------------------------------------

FORBIDDEN_ACTIONS = {
    "/Launch",
    "/Sound",
    "/Movie",
    "/ResetForm",
    "/ImportData",
    "/Hide",
    "/SetOCGState",
    "/Rendition",
    "/Trans",
    "/GoTo3DView",
    "/JavaScript",
}


def _pdfa(pdf: pikepdf.Pdf, path: Path, loc: Location) -> list[Finding]:
    out = []
    try:
        with path.open("rb") as f:
            head = f.read(32)
    except OSError:
        head = b""
    lines = head.split(b"\n")
    binary = len(lines) > 1 and lines[1][:1] == b"%" and all(b > 127 for b in lines[1][1:5])
    if not re.match(rb"%PDF-1\.[0-7]\r?$", lines[0]) or not binary:
        out.append(
            Finding(
                "the file header is not %PDF-1.n followed by a comment of four bytes above "
                "127 (ISO 19005-3, 6.1.2)",
                loc,
                None,
                "pdfa.header",
                ERROR,
            )
        )
    if "/ID" not in pdf.trailer:
        out.append(
            Finding("the trailer has no /ID (ISO 19005-3, 6.1.3)", loc, None, "pdfa.id", ERROR)
        )
    external = 0
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Stream):
            d = obj.stream_dict
            filters = d.get("/Filter")
            names = list(filters) if isinstance(filters, pikepdf.Array) else [filters]
            if any(k in d for k in ("/F", "/FFilter", "/FDecodeParms")) or Name.LZWDecode in names:
                external += 1
    if external:
        out.append(
            Finding(
                f"{external} stream(s) with external data or LZW compression (ISO 19005-3, 6.1.7)",
                loc,
                None,
                "pdfa.streams",
                ERROR,
            )
        )
    out += _annotations_pdfa(pdf, loc)
    root = pdf.Root
    for key, clause in (
        ("/AA", "6.5.2"),
        ("/NeedsRendering", "6.4.2"),
        ("/Requirements", "6.11"),
    ):
        if key in root:
            out.append(
                Finding(
                    f"the catalog has {key} (ISO 19005-3, {clause})",
                    loc,
                    None,
                    "pdfa.catalog",
                    ERROR,
                    obj=key,
                )
            )
    if "/AlternatePresentations" in root.get("/Names", {}):
        out.append(
            Finding(
                "the name dictionary has AlternatePresentations (ISO 19005-3, 6.10)",
                loc,
                None,
                "pdfa.catalog",
                ERROR,
            )
        )
    xmp_raw = pdf.Root.Metadata.read_bytes() if "/Metadata" in pdf.Root else b""
    header = re.match(rb"<\?xpacket([^?]*)\?>", xmp_raw)
    if header and (b"bytes=" in header.group(1) or b"encoding=" in header.group(1)):
        out.append(
            Finding(
                "the XMP packet header has a bytes or encoding attribute (ISO 19005-3, 6.6.2.1)",
                loc,
                None,
                "pdfa.xmp-packet",
                ERROR,
            )
        )
    if xmp_raw and not _well_formed(xmp_raw):
        out.append(
            Finding(
                "the XMP is not well-formed XML (ISO 19005-3, 6.6.2.1)",
                loc,
                None,
                "pdfa.xmp-packet",
                ERROR,
            )
        )
    out += _embedded_files(pdf, loc)
    return out


def _well_formed(xmp: bytes) -> bool:
    body = re.sub(rb"<\?xpacket[^?]*\?>", b"", xmp)
    try:
        ET.fromstring(body)
    except ET.ParseError:
        return False
    return True


def _annotations_pdfa(pdf: pikepdf.Pdf, loc: Location) -> list[Finding]:
    out = []
    for i, page in enumerate(pdf.pages, 1):
        if "/AA" in page.obj:
            out.append(
                Finding(
                    "the page has additional actions (ISO 19005-3, 6.5.2)",
                    loc,
                    None,
                    "pdfa.actions",
                    ERROR,
                    page=i,
                )
            )
        flags = appearances = actions = 0
        for annot in page.obj.get("/Annots", []):
            subtype = annot.get("/Subtype")
            f = int(annot.get("/F", 0))
            if subtype != Name.Popup and (not f & 4 or f & (1 | 2 | 32 | 256)):
                flags += 1
            ap = annot.get("/AP")
            if isinstance(ap, pikepdf.Dictionary) and set(ap.keys()) != {"/N"}:
                appearances += 1
            if subtype not in (Name.Popup, Name.Link) and ap is None:
                appearances += 1
            action = annot.get("/A")
            if (
                isinstance(action, pikepdf.Dictionary)
                and str(action.get("/S")) in FORBIDDEN_ACTIONS
            ):
                actions += 1
        if flags:
            out.append(
                Finding(
                    f"{flags} annotation(s) not flagged to print, or flagged hidden "
                    "(ISO 19005-3, 6.3.2)",
                    loc,
                    None,
                    "pdfa.annotation-flags",
                    ERROR,
                    page=i,
                )
            )
        if appearances:
            out.append(
                Finding(
                    f"{appearances} annotation(s) without a single normal appearance "
                    "(ISO 19005-3, 6.3.3)",
                    loc,
                    None,
                    "pdfa.annotation-appearance",
                    ERROR,
                    page=i,
                )
            )
        if actions:
            out.append(
                Finding(
                    f"{actions} annotation(s) with an action PDF/A forbids (ISO 19005-3, 6.5.1)",
                    loc,
                    None,
                    "pdfa.actions",
                    ERROR,
                    page=i,
                )
            )
    return out


def _embedded_files(pdf: pikepdf.Pdf, loc: Location) -> list[Finding]:
    """Each embedded file: F and UF, a MIME type, a relationship, listed in /AF (6.8)."""
    out = []
    af = {s.objgen for s in pdf.Root.get("/AF", []) if isinstance(s, pikepdf.Dictionary)}
    for name, spec in pdf.attachments.items():
        obj = spec.obj
        files = obj.get("/EF")
        stream = files.get("/F") if isinstance(files, pikepdf.Dictionary) else None
        problems = []
        if "/F" not in obj or "/UF" not in obj:
            problems.append("F and UF")
        if not isinstance(stream, pikepdf.Stream) or "/Subtype" not in stream.stream_dict:
            problems.append("a MIME type (/Subtype)")
        if "/AFRelationship" not in obj:
            problems.append("/AFRelationship")
        if obj.objgen not in af:
            problems.append("an entry in the catalog's /AF")
        if problems:
            out.append(
                Finding(
                    f"embedded file {name} lacks {', '.join(problems)} (ISO 19005-3, 6.8)",
                    loc,
                    None,
                    "pdfa.embedded-file",
                    ERROR,
                    obj=name,
                )
            )
    return out


# --- PDF/UA-1 ---------------------------------------------------------------------------


def _pdfua(pdf: pikepdf.Pdf, runs: list[TextRun], loc: Location) -> list[Finding]:
    out = []
    root = pdf.Root
    xmp = _xmp(pdf)
    mark = root.get("/MarkInfo", pikepdf.Dictionary())
    if isinstance(mark, pikepdf.Dictionary) and mark.get("/Suspects") is True:
        out.append(_ua("the file says its tags are suspect (/Suspects)", "7.1", "pdfua.suspects"))
    if not re.search(r"pdfuaid:part(>|=\")1", xmp):
        out.append(_ua("the XMP does not identify the file as PDF/UA-1", "5", "pdfua.xmp"))
    if "<dc:title>" not in xmp:
        out.append(_ua("the XMP has no dc:title", "7.1", "pdfua.title"))
    prefs = root.get("/ViewerPreferences", pikepdf.Dictionary())
    if not (isinstance(prefs, pikepdf.Dictionary) and prefs.get("/DisplayDocTitle") is True):
        out.append(_ua("the viewer is not told to show the title", "7.1", "pdfua.title"))
    if root.get("/PageMode") != Name.UseOutlines and "/Outlines" in root:
        out.append(
            Finding(
                "the bookmarks are not shown when the file opens (/PageMode /UseOutlines)",
                loc,
                "readers find their way by the bookmarks",
                "pdf.outline-hidden",
                WARNING,
            )
        )
    tree = root.get("/StructTreeRoot")
    if isinstance(tree, pikepdf.Dictionary):
        out += _structure(pdf, tree)
    unmapped = Counter(r.page for r in runs if r.unmapped)
    if unmapped:
        out.append(
            _ua(
                f"text on {len(unmapped)} page(s) has glyphs without a Unicode value",
                "7.21.7",
                "pdfua.tounicode",
                page=min(unmapped),
            )
        )
    return [dataclasses.replace(f, location=loc) if f.location is None else f for f in out]


def _ua(message: str, clause: str, code: str, *, page: int | None = None) -> Finding:
    return Finding(f"{message} (ISO 14289-1, {clause})", None, None, code, ERROR, page=page)


def _structure(pdf: pikepdf.Pdf, tree: pikepdf.Dictionary) -> list[Finding]:
    """Reachable elements, resolvable marked content, headings in order, links."""
    out = []
    parent_tree: dict[int, pikepdf.Object] = {}
    stack: list[pikepdf.Object] = [tree.get("/ParentTree", pikepdf.Dictionary())]
    while stack:
        node = stack.pop()
        nums = node.get("/Nums", pikepdf.Array())
        for i in range(0, len(nums) - 1, 2):
            parent_tree[int(nums[i])] = nums[i + 1]
        stack.extend(node.get("/Kids", []))
    pages = {p.obj.objgen: i for i, p in enumerate(pdf.pages, 1)}
    reached: set[tuple[int, int]] = set()
    headings: list[int] = []
    claimed: set[tuple[tuple[int, int], int]] = set()  # (stream, MCID) an element holds
    todo: list[pikepdf.Object] = [tree.get("/K", pikepdf.Array())]
    while todo:
        node = todo.pop()
        if isinstance(node, pikepdf.Array):
            todo.extend(reversed(list(node)))
            continue
        if not isinstance(node, pikepdf.Dictionary) or "/S" not in node:
            continue
        if node.is_indirect:
            if node.objgen in reached:
                continue
            reached.add(node.objgen)
        kind = str(node.S)
        if re.fullmatch(r"/H[1-6]", kind):
            headings.append(int(kind[2:]))
        page = node.get("/Pg")
        kids = node.get("/K")
        for kid in list(kids) if isinstance(kids, pikepdf.Array) else [kids]:
            if isinstance(kid, int) and isinstance(page, pikepdf.Dictionary):
                claimed.add((page.objgen, int(kid)))
            elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == Name.MCR:
                where = kid.get("/Stm", kid.get("/Pg", page))
                if isinstance(where, pikepdf.Object) and hasattr(where, "objgen"):
                    claimed.add((where.objgen, int(kid.MCID)))
        if kids is not None:
            todo.append(kids if isinstance(kids, pikepdf.Array) else pikepdf.Array([kids]))
    elements = [
        o
        for o in pdf.objects
        if isinstance(o, pikepdf.Dictionary) and o.get("/Type") == Name.StructElem
    ]
    lost = [e for e in elements if e.objgen not in reached]
    if lost:
        out.append(
            _ua(
                f"{len(lost)} structure element(s) cannot be reached from the structure tree",
                "7.1",
                "pdfua.unreachable",
                page=pages.get(lost[0].get("/Pg", pikepdf.Dictionary()).objgen)
                if isinstance(lost[0].get("/Pg"), pikepdf.Dictionary)
                else None,
            )
        )
    if headings and headings[0] != 1:
        out.append(_ua(f"the first heading is H{headings[0]}, not H1", "7.4.2", "pdfua.headings"))
    for before, after in itertools.pairwise(headings):
        if after > before + 1:
            out.append(
                _ua(f"heading levels skip from H{before} to H{after}", "7.4.2", "pdfua.headings")
            )
            break
    out += _marked_content(pdf, parent_tree, claimed)
    out += _links_ua(pdf, parent_tree)
    return out


def _marked_content(
    pdf: pikepdf.Pdf,
    parent_tree: dict[int, pikepdf.Object],
    claimed: set[tuple[tuple[int, int], int]],
) -> list[Finding]:
    """Every MCID on a page (or in a form it draws) found from the tree; forms holding
    marked content drawn once; no artifact in tagged content nor the reverse."""
    out = []
    form_uses: Counter[tuple[int, int]] = Counter()
    forms_with_mcids: set[tuple[int, int]] = set()
    for i, page in enumerate(pdf.pages, 1):
        lost = 0
        nested = 0
        for stream, mcid, inside_artifact in _mcids_on(page.obj, form_uses, forms_with_mcids):
            if mcid is None:
                nested += inside_artifact
                continue
            if inside_artifact:
                nested += 1
            if (stream, mcid) not in claimed:
                lost += 1
        if lost:
            out.append(
                _ua(
                    f"{lost} marked-content sequence(s) cannot be found from the structure tree",
                    "7.1; ISO 32000-1, 14.7.4",
                    "pdfua.mcid",
                    page=i,
                )
            )
        if nested:
            out.append(
                _ua(
                    f"{nested} artifact(s) inside tagged content, or the reverse",
                    "7.1",
                    "pdfua.artifact-nesting",
                    page=i,
                )
            )
    shared = [f for f in forms_with_mcids if form_uses[f] > 1]
    if shared:
        out.append(
            _ua(
                f"{len(shared)} form XObject(s) with marked content drawn more than once",
                "7.20",
                "pdfua.form-reuse",
            )
        )
    return out


def _mcids_on(
    page: pikepdf.Object,
    form_uses: Counter[tuple[int, int]],
    forms_with_mcids: set[tuple[int, int]],
) -> Iterator[tuple[tuple[int, int], int | None, bool]]:
    """(stream, MCID, nested wrongly) for the marked content of a page and of the forms it
    draws (the stream is the page or the form). MCID None marks a nesting fault alone."""
    todo: list[tuple[pikepdf.Object, pikepdf.Object, tuple[int, int], list[str], int]] = [
        (page, page.get("/Resources", pikepdf.Dictionary()), page.objgen, [], 0)
    ]
    while todo:
        holder, resources, owner, outer, depth = todo.pop()
        stack = list(outer)
        for inst in pikepdf.parse_content_stream(holder):
            if not isinstance(inst, pikepdf.ContentStreamInstruction):
                continue
            op = str(inst.operator)
            args = list(inst.operands)
            if op in ("BDC", "BMC"):
                mcid = None
                if op == "BDC" and len(args) == 2:
                    props = args[1]
                    if isinstance(props, pikepdf.Name):
                        named = resources.get("/Properties")
                        found = named.get(props) if isinstance(named, pikepdf.Dictionary) else None
                        props = found if found is not None else pikepdf.Dictionary()
                    if isinstance(props, pikepdf.Dictionary) and "/MCID" in props:
                        mcid = int(props.MCID)
                kind = (
                    "artifact"
                    if args and args[0] == Name.Artifact
                    else ("tagged" if mcid is not None else "other")
                )
                if kind == "artifact" and "tagged" in stack:
                    yield owner, None, True
                if kind == "tagged":
                    yield owner, mcid, "artifact" in stack
                stack.append(kind)
            elif op == "EMC" and stack:
                stack.pop()
            elif op == "Do" and args and depth < 8:
                xobjects = resources.get("/XObject")
                form = (
                    xobjects.get(args[0])
                    if isinstance(xobjects, pikepdf.Dictionary)
                    and isinstance(args[0], pikepdf.Name)
                    else None
                )
                if isinstance(form, pikepdf.Stream) and form.get("/Subtype") == Name.Form:
                    form_uses[form.objgen] += 1
                    if _has_mcid(form):
                        forms_with_mcids.add(form.objgen)
                    # Marked content in a form is found through a reference to the form
                    # (/Stm), never as the page's own (ISO 32000-1, 14.7.4.3).
                    todo.append(
                        (
                            form,
                            form.get("/Resources", resources),
                            form.objgen,
                            list(stack),
                            depth + 1,
                        )
                    )


def _has_mcid(form: pikepdf.Stream) -> bool:
    return b"/MCID" in form.read_bytes()


def _links_ua(pdf: pikepdf.Pdf, parent_tree: dict[int, pikepdf.Object]) -> list[Finding]:
    out = []
    names = _dest_names(pdf)
    for i, page in enumerate(pdf.pages, 1):
        annots = list(page.obj.get("/Annots", []))
        if annots and page.obj.get("/Tabs") != Name.S:
            out.append(
                _ua("a page with annotations has no /Tabs /S", "7.18.3", "pdfua.tabs", page=i)
            )
        untagged = undescribed = slugs = 0
        for annot in annots:
            if annot.get("/Subtype") != Name.Link:
                continue
            elem = parent_tree.get(int(annot.get("/StructParent", -1)))
            if not isinstance(elem, pikepdf.Dictionary) or elem.get("/S") != Name.Link:
                untagged += 1
            contents = " ".join(str(annot.get("/Contents", "")).split())
            if not contents:
                undescribed += 1
            elif contents in names or contents == str(annot.get("/Dest", "")):
                slugs += 1
        if untagged:
            out.append(
                _ua(
                    f"{untagged} link annotation(s) not under a Link structure element",
                    "7.18.5",
                    "pdfua.link-tag",
                    page=i,
                )
            )
        if undescribed or slugs:
            out.append(
                _ua(
                    f"{undescribed + slugs} link annotation(s) without a description "
                    "(/Contents empty, or a destination's internal name)",
                    "7.18.5",
                    "pdfua.link-contents",
                    page=i,
                )
            )
    return out


def _dest_names(pdf: pikepdf.Pdf) -> set[str]:
    names = pdf.Root.get("/Names")
    if not isinstance(names, pikepdf.Dictionary) or "/Dests" not in names:
        return set()
    return {str(k) for k in pikepdf.NameTree(names.Dests)}


def _xmp(pdf: pikepdf.Pdf) -> str:
    if "/Metadata" not in pdf.Root:
        return ""
    return pdf.Root.Metadata.read_bytes().decode("utf-8", "replace")
