"""A subscriber's copy of a screen PDF: one discreet licence line on every page, no re-render.

The line ("Dilisensikan untuk NAME · ID") is set in Inter, the magazine's sans,
embedded the way WeasyPrint embeds it (Type0, Identity-H, an OpenType/CFF
file whose glyph ids are kept, with a ToUnicode map so the text can be
searched and extracted). The subset of the font is made once per process and
shared by every copy, so a copy costs one open and one save of the PDF. The
line is marked as a pagination artifact, so a tagged PDF stays well tagged.
The subscriber is also written into the document information (/LicensedTo,
/LicenseID) and the XMP metadata (xmpRights:UsageTerms and edition:licensee).
"""

from __future__ import annotations

import functools
import io
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edition.errors import EditionError
from edition.issue.text import has_controls
from edition.share import fonts_dir
from edition.store.atomic import atomic_write_bytes

FONT_FILE = "Inter-Regular.otf"
FONT_SIZE = 6.5  # pt
GREY = 0.42  # DeviceGray: about 58 % black, readable on paper white, quiet on the page
BASELINE_MM = 6.0  # above the foot of the trimmed page, below the folio
XMP_NS = "https://edition.invalid/ns/licence/1.0/"
# Characters every copy's font carries: Latin, Latin-1, Latin Extended-A, punctuation.
BASE_CHARS = (
    "".join(chr(c) for c in (*range(0x20, 0x7F), *range(0xA0, 0x180)))
    + "\u2013\u2014\u2018\u2019\u201c\u201d\u2022\u2026\u00b7"
)


def licence_text(name: str, licence_id: str) -> str:
    return f"Dilisensikan untuk {name} \u00b7 {licence_id}"


@dataclass(frozen=True)
class StampResult:
    path: Path
    pages: int
    text: str


@dataclass(frozen=True)
class _Font:
    """Inter, subset to `chars` with its glyph ids kept: cid = gid of the full font."""

    data: bytes
    cmap: dict[int, int]  # code point -> glyph id
    widths: dict[int, int]  # glyph id -> advance, 1/1000 em
    ascent: int
    descent: int
    cap_height: int
    bbox: tuple[int, int, int, int]


@functools.lru_cache(maxsize=1)
def _font_source() -> Any:
    from fontTools.ttLib import TTFont

    path = fonts_dir() / FONT_FILE
    return TTFont(path), path.read_bytes()


@functools.lru_cache(maxsize=8)
def _subset(chars: frozenset[str]) -> _Font:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    full, data = _font_source()
    scale = 1000 / full["head"].unitsPerEm
    cmap = {
        cp: full.getGlyphID(name) for cp, name in full.getBestCmap().items() if chr(cp) in chars
    }
    hmtx = full["hmtx"]
    widths = {gid: round(hmtx[full.getGlyphName(gid)][0] * scale) for gid in cmap.values()}
    font = TTFont(io.BytesIO(data))
    options = subset.Options()
    options.retain_gids = True
    options.layout_features = []
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6]
    options.hinting = False
    options.notdef_outline = True
    sub = subset.Subsetter(options)
    sub.populate(unicodes=list(cmap))
    sub.subset(font)
    buf = io.BytesIO()
    font.save(buf)
    os2, head = full["OS/2"], full["head"]
    return _Font(
        buf.getvalue(),
        cmap,
        widths,
        round(os2.sTypoAscender * scale),
        round(os2.sTypoDescender * scale),
        round(os2.sCapHeight * scale),
        tuple(round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)),
    )


def _font_for(text: str) -> tuple[_Font, str]:
    """The font for `text` and the text it can set: characters outside BASE_CHARS widen
    the subset; characters Inter does not have become their unaccented form, else '?'."""
    full, _ = _font_source()
    have = full.getBestCmap()
    out = []
    for ch in text:
        if ord(ch) not in have:
            plain = "".join(
                c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)
            )
            ch = plain if plain and all(ord(c) in have for c in plain) else "?"
        out.append(ch)
    settable = "".join(out)
    extra = frozenset(settable) - frozenset(BASE_CHARS)
    return _subset(frozenset(BASE_CHARS) | extra), settable


def _to_unicode(pairs: dict[int, str]) -> bytes:
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        "<0000> <FFFF>",
        "endcodespacerange",
    ]
    items = sorted(pairs.items())
    for start in range(0, len(items), 100):
        chunk = items[start : start + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        for gid, ch in chunk:
            lines.append(f"<{gid:04X}> <{ch.encode('utf-16-be').hex().upper()}>")
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines).encode("ascii")


def _font_object(pdf: Any, font: _Font, used: dict[int, str]) -> Any:
    from pikepdf import Array, Dictionary, Name, Stream

    base = Name("/EDSTMP+Inter-Regular")
    descriptor = Dictionary(
        Type=Name.FontDescriptor,
        FontName=base,
        FontFamily=b"Inter",
        Flags=4,
        FontBBox=Array(font.bbox),
        ItalicAngle=0,
        Ascent=font.ascent,
        Descent=font.descent,
        CapHeight=font.cap_height,
        StemV=80,
        FontFile3=Stream(pdf, font.data, Subtype=Name.OpenType),
    )
    w: list[Any] = []
    for gid in sorted(used):
        w += [gid, Array([font.widths[gid]])]
    cid_font = Dictionary(
        Type=Name.Font,
        Subtype=Name.CIDFontType0,
        BaseFont=base,
        CIDSystemInfo=Dictionary(Registry=b"Adobe", Ordering=b"Identity", Supplement=0),
        FontDescriptor=pdf.make_indirect(descriptor),
        DW=1000,
        W=Array(w),
    )
    return pdf.make_indirect(
        Dictionary(
            Type=Name.Font,
            Subtype=Name.Type0,
            BaseFont=base,
            Encoding=Name("/Identity-H"),
            DescendantFonts=Array([pdf.make_indirect(cid_font)]),
            ToUnicode=Stream(pdf, _to_unicode(used)),
        )
    )


def _box(page: Any) -> tuple[float, float, float, float]:
    for key in ("/TrimBox", "/CropBox", "/MediaBox"):
        box = page.obj.get(key)
        if box is not None:
            x0, y0, x1, y1 = (float(v) for v in box)
            return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)
    return 0.0, 0.0, 595.276, 841.89  # A4, when a page names no box at all


def _set_metadata(pdf: Any, name: str, licence_id: str, text: str) -> None:
    from pikepdf import Name

    with pdf.open_metadata(set_pikepdf_as_editor=False) as xmp:
        xmp.register_xml_namespace(XMP_NS, "edlicence")
        xmp["xmpRights:UsageTerms"] = text
        xmp["xmpRights:Marked"] = "True"
        xmp[f"{{{XMP_NS}}}licensee"] = name
        xmp[f"{{{XMP_NS}}}licenseId"] = licence_id
    pdf.docinfo[Name("/LicensedTo")] = name
    pdf.docinfo[Name("/LicenseID")] = licence_id


def stamp_pdf(src: Path, out: Path, *, name: str, licence_id: str) -> StampResult:
    """Write a copy of `src` to `out` with the licence line on every page and the
    subscriber in its metadata. `src` is only read; `out` is written atomically."""
    import pikepdf

    name, licence_id = " ".join(name.split()), " ".join(licence_id.split())
    if not name or not licence_id:
        raise EditionError.single(
            "the subscriber's name and id may not be empty",
            hint="give --name and --id",
            code="stamp.empty",
        )
    for what, value in (("name", name), ("id", licence_id)):
        _check_text(what, value)
    if not src.is_file():
        raise EditionError.single("no such PDF", src, code="stamp.missing")
    if out.resolve() == src.resolve() or (out.exists() and os.path.samefile(out, src)):
        raise EditionError.single(
            "the copy would overwrite the original",
            out,
            hint="give --out another file name",
            code="stamp.same-file",
        )
    if out.is_dir():
        raise EditionError.single(
            "--out is a folder", out, hint="give a file name", code="stamp.out-dir"
        )
    font, settable = _font_for(licence_text(name, licence_id))
    try:
        pdf = pikepdf.open(src)
    except pikepdf.PasswordError:
        raise EditionError.single("the PDF is encrypted", src, code="stamp.encrypted") from None
    except pikepdf.PdfError as exc:
        raise EditionError.single(
            f"not a readable PDF ({exc})", src, code="stamp.not-pdf"
        ) from None
    with pdf:
        used = {font.cmap[ord(ch)]: ch for ch in settable}
        font_obj = _font_object(pdf, font, used)
        codes = "".join(f"{font.cmap[ord(ch)]:04X}" for ch in settable)
        width = sum(font.widths[font.cmap[ord(ch)]] for ch in settable) * FONT_SIZE / 1000
        for page in pdf.pages:
            x0, y0, x1, _ = _box(page)
            key = page.add_resource(font_obj, pikepdf.Name.Font, prefix="EdStamp")
            x = (x0 + x1 - width) / 2
            y = y0 + BASELINE_MM * 72 / 25.4
            ops = (
                f"Q q /Artifact <</Type /Pagination /Subtype /Footer>> BDC BT "
                f"{key} {FONT_SIZE} Tf {GREY} g {x:.2f} {y:.2f} Td <{codes}> Tj "
                f"ET EMC Q\n"
            ).encode("ascii")
            # Wrap what is there in q/Q, so no graphics state it leaves behind moves the line.
            page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)
            page.contents_add(pikepdf.Stream(pdf, ops))
        text = licence_text(name, licence_id)
        _set_metadata(pdf, name, licence_id, text)
        buf = io.BytesIO()
        pdf.save(buf, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.preserve)
        # A folder that cannot be written, a full disk, a path under a file: one line.
        atomic_write_bytes(out, buf.getvalue())
        return StampResult(out, len(pdf.pages), text)


def _check_text(what: str, value: str) -> None:
    """The subscriber's name and id are printed on every page, written into XML and shown
    on the terminal: text that is not valid Unicode (a name that was not UTF-8 on the
    command line) or holds control characters is refused, shown escaped."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise EditionError.single(
            f"the subscriber's {what} is not valid text: {_shown(value)}",
            hint=f"give --{what} as UTF-8 text",
            code="stamp.bad-text",
        ) from None
    if has_controls(value):
        raise EditionError.single(
            f"the subscriber's {what} holds control characters: {_shown(value)}",
            hint=f"give --{what} without them",
            code="stamp.bad-text",
        )


def _shown(value: str) -> str:
    return "'" + value.encode("ascii", "backslashreplace").decode("ascii") + "'"
