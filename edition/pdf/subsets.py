"""One embedded subset per font: the sections' subsets of a face merged into one.

Each section of an edition is laid out as its own document, so each brings its own subset
of every face it uses, and WeasyPrint names a subset after the face alone: in the
assembled PDF, `ABCDEF+Inter-Bold` labelled ten to seventeen different font programs.
ISO 32000-1, 9.6.4 wants different subsets to have different tags, and a printer's RIP or
preflight that caches fonts by name may draw one section's text with another's glyphs.

WeasyPrint keeps glyph ids when it subsets (CID = glyph id), so the union of the glyphs the
sections use is cut once from the bundled font, and every section's text points to that
one font with the widths and Unicode map of all of them. A face whose subsets cannot be
merged (a glyph given two widths or two meanings, an original not found in assets/fonts)
keeps its subsets, each with a tag of its own.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import json
import re
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import fontTools
import pikepdf
from fontTools import subset
from fontTools.ttLib import TTFont, TTLibError
from pikepdf import Name

from edition.errors import EditionError
from edition.share import fonts_dir
from edition.store.atomic import atomic_write_bytes, atomic_write_text
from edition.store.seal import sealed, unsealed
from edition.workers import alongside, may_fork

# Tables a PDF renderer never reads: layout features are applied before the PDF is written.
DROP_TABLES = ["GSUB", "GPOS", "GDEF", "BASE", "JSTF", "MATH", "kern", "STAT", "DSIG", "SVG "]
_HEX = re.compile(rb"<([0-9A-Fa-f]+)>")


@dataclass
class _Face:
    """The Type 0 fonts of one face (the name after the tag), as the sections wrote them."""

    name: str
    fonts: list[pikepdf.Dictionary] = field(default_factory=list)


def merge_font_subsets(pdf: pikepdf.Pdf, cuts: Path | None = None) -> None:
    """Give every face one subset (or, failing that, every subset its own tag). `cuts` is
    a folder where the subsets cut are kept for the next build (the build cache's)."""
    maps = list(_font_maps(pdf))
    unions: list[_Union] = []
    for face in _faces(maps):
        if not _several(face):
            continue
        union = _union(face)
        if union is None:
            _retag(face)
        else:
            unions.append(union)
    cut = _cut_all([(u.original, u.gids) for u in unions], cuts)
    replace: dict[tuple[int, int], pikepdf.Object] = {}
    for union, program in zip(unions, cut, strict=True):
        if program is None:
            _retag(union.face)
            continue
        merged = _merged(pdf, union, program)
        for font in union.face.fonts:
            replace[font.objgen] = merged
    if not replace:
        return
    for fonts in maps:
        for key, obj in list(fonts.items()):
            if isinstance(obj, pikepdf.Dictionary) and obj.objgen in replace:
                fonts[key] = replace[obj.objgen]


def cut_ahead(pdf: pikepdf.Pdf, cuts: Path) -> Callable[[], object]:
    """Start cutting the merged subsets `merge_font_subsets` will want for `pdf`, in a
    process beside this one, and keep them in `cuts`; returns what waits for it. Given the
    edition before its overlay is drawn (the overlay seldom brings a glyph the pages do not
    have), the cutting runs while the overlay is laid out. A face whose glyphs turn out
    otherwise is cut when merging, as it would have been."""
    unions = [u for face in _faces(list(_font_maps(pdf))) if _several(face) and (u := _union(face))]
    wanted = [(u.original, u.gids) for u in unions if _from_cache(u.original, u.gids, cuts) is None]
    if not wanted or not may_fork():
        return lambda: None
    cutting = alongside(lambda: [_cut_and_keep(*w, cuts) is not None for w in wanted])
    # Meanwhile, here, the widths the merged fonts are given (read from the originals);
    # started after the fork, so that the other process inherits no lock of this thread's.
    originals = sorted({u.original for u in unions})
    reading = threading.Thread(target=lambda: [_advances(p) for p in originals], daemon=True)
    reading.start()

    def done() -> object:
        reading.join()
        return cutting()

    return done


def _faces(maps: list[pikepdf.Dictionary]) -> list[_Face]:
    """The Type 0 fonts of the font resources `maps`, by face."""
    faces: dict[str, _Face] = {}
    seen: set[tuple[int, int]] = set()
    for fonts in maps:
        for _, font in fonts.items():
            if not isinstance(font, pikepdf.Dictionary) or not font.is_indirect:
                continue
            if not _is_cid_font(font) or font.objgen in seen:
                continue
            seen.add(font.objgen)
            name = str(font.BaseFont).lstrip("/").split("+", 1)[-1]
            faces.setdefault(name, _Face(name)).fonts.append(font)
    return list(faces.values())


def _several(face: _Face) -> bool:
    """Whether `face` comes in more than one subset (else there is nothing to merge)."""
    return len({p.objgen for f in face.fonts if (p := _program(f)) is not None}) > 1


def _font_maps(pdf: pikepdf.Pdf) -> Iterator[pikepdf.Dictionary]:
    """Every /Font resource dictionary of the file (pages, forms, patterns, appearances)."""
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Stream):
            d = obj.stream_dict
        elif isinstance(obj, pikepdf.Dictionary):
            d = obj
        else:
            continue
        if d.get("/Type") in (Name.Font, Name.ExtGState):
            continue  # a font, or a graphics state's [font size] array
        fonts = d.get("/Font")
        if isinstance(fonts, pikepdf.Dictionary):
            yield fonts
        resources = d.get("/Resources")
        if isinstance(resources, pikepdf.Dictionary) and not resources.is_indirect:
            fonts = resources.get("/Font")
            if isinstance(fonts, pikepdf.Dictionary):
                yield fonts


def _is_cid_font(font: object) -> bool:
    return (
        isinstance(font, pikepdf.Dictionary)
        and font.get("/Subtype") == Name.Type0
        and "/DescendantFonts" in font
        and _program(font) is not None
    )


def _program(font: pikepdf.Dictionary) -> pikepdf.Stream | None:
    desc = font.DescendantFonts[0].get("/FontDescriptor")
    if not isinstance(desc, pikepdf.Dictionary):
        return None
    program = desc.get("/FontFile2") or desc.get("/FontFile3")
    return program if isinstance(program, pikepdf.Stream) else None


def _widths(cid_font: pikepdf.Dictionary) -> dict[int, float]:
    """CID -> width from a CIDFont's /W array (both of its forms)."""
    out: dict[int, float] = {}
    w = list(cid_font.get("/W", []))
    i = 0
    while i < len(w):
        first = int(w[i])
        if isinstance(w[i + 1], pikepdf.Array):
            for k, v in enumerate(w[i + 1]):
                out[first + k] = float(v)
            i += 2
        else:
            last, value = int(w[i + 1]), float(w[i + 2])
            for cid in range(first, last + 1):
                out[cid] = value
            i += 3
    return out


def unicode_map(cmap: bytes) -> dict[int, str]:
    """Code -> text of a ToUnicode CMap (bfchar and bfrange sections)."""
    out: dict[int, str] = {}
    for section in re.finditer(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        values = _HEX.findall(section.group(1))
        for src, dst in zip(values[::2], values[1::2], strict=False):
            out[int(src, 16)] = _utf16(dst)
    for section in re.finditer(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
        for line in section.group(1).splitlines():
            parts = _HEX.findall(line)
            if len(parts) == 3 and b"[" not in line:
                lo, hi, start = int(parts[0], 16), int(parts[1], 16), int(parts[2], 16)
                for k, code in enumerate(range(lo, hi + 1)):
                    out[code] = chr(start + k) if start + k < 0x110000 else ""
            elif len(parts) >= 3:
                lo = int(parts[0], 16)
                for k, dst in enumerate(parts[2:]):
                    out[lo + k] = _utf16(dst)
    return out


def _utf16(hex_bytes: bytes) -> str:
    raw = bytes.fromhex(hex_bytes.decode())
    return raw.decode("utf-16-be", "replace")


@functools.cache
def _originals() -> dict[str, Path]:
    """PostScript name -> file of every bundled font."""
    out: dict[str, Path] = {}
    for path in sorted(fonts_dir().iterdir()):
        if path.suffix.lower() in (".otf", ".ttf"):
            with TTFont(path, lazy=True) as font:
                ps = font["name"].getDebugName(6)
                if ps:
                    out.setdefault(ps, path)
    return out


def _original(program: bytes) -> Path | None:
    try:
        with TTFont(io.BytesIO(program), lazy=True) as font:
            ps = font["name"].getDebugName(6) if "name" in font else None
    except (TTLibError, KeyError, ValueError, struct.error):
        return None  # not a font fontTools can read: its subsets keep tags of their own
    return _originals().get(ps) if ps else None


@dataclass(frozen=True)
class _Union:
    """What the subsets of one face hold together: the glyphs to cut from its original."""

    face: _Face
    original: Path
    gids: tuple[int, ...]
    widths: dict[int, float]
    text: dict[int, str]


def _union(face: _Face) -> _Union | None:
    """The union of `face`'s subsets, or None when they cannot be merged."""
    widths: dict[int, float] = {}
    text: dict[int, str] = {}
    for font in face.fonts:
        if font.get("/Encoding") != Name("/Identity-H"):
            return None  # glyphs missing from the face were given codes of their own
        cid_font = font.DescendantFonts[0]
        assert isinstance(cid_font, pikepdf.Dictionary)
        for cid, w in _widths(cid_font).items():
            # The renderer rounds each section's widths on its own: a unit apart is the
            # same glyph (the merged font takes its widths from the font program).
            if abs(widths.setdefault(cid, w) - w) > 1.5:
                return None
        if "/ToUnicode" in font:
            for cid, t in unicode_map(font.ToUnicode.read_bytes()).items():
                if text.setdefault(cid, t) != t:
                    return None
    first_program = _program(face.fonts[0])
    original = _original(first_program.read_bytes()) if first_program is not None else None
    if original is None:
        return None
    return _Union(face, original, tuple(sorted({0, *widths, *text})), widths, text)


def _merged(pdf: pikepdf.Pdf, union: _Union, program: bytes) -> pikepdf.Dictionary:
    """One Type 0 font for all of the face's subsets, with `program` (the union cut)."""
    face, widths, text = union.face, union.widths, union.text
    first = face.fonts[0]
    tag = _tag(face.name, program)
    base = Name(f"/{tag}+{face.name}")
    cid_font = first.DescendantFonts[0]
    old_desc = cid_font.FontDescriptor
    desc = pikepdf.Dictionary({k: v for k, v in old_desc.items() if k not in _FONT_FILES})
    desc_boxes = [f.DescendantFonts[0].FontDescriptor.FontBBox for f in face.fonts]
    desc.FontName = base
    boxes = [[float(v) for v in box] for box in desc_boxes]
    desc.FontBBox = pikepdf.Array(
        [
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        ]
    )
    if "/FontFile3" in old_desc:
        desc.FontFile3 = pdf.make_stream(program, Subtype=Name.OpenType)
    else:
        desc.FontFile2 = pdf.make_stream(program, Length1=len(program))
    new_cid = pikepdf.Dictionary({k: v for k, v in cid_font.items() if k != "/W"})
    new_cid.BaseFont = base
    new_cid.FontDescriptor = pdf.make_indirect(desc)
    advances = _advances(union.original)
    new_cid.W = _w_array({cid: advances[cid] for cid in widths})
    font = pikepdf.Dictionary(
        Type=Name.Font,
        Subtype=Name.Type0,
        BaseFont=base,
        Encoding=Name("/Identity-H"),
        DescendantFonts=pikepdf.Array([pdf.make_indirect(new_cid)]),
    )
    if text:
        font.ToUnicode = pdf.make_stream(to_unicode_cmap(text))
    return pdf.make_indirect(font)  # type: ignore[no-any-return]


_FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3", "/CIDSet", "/FontName", "/FontBBox")


def _cut_all(wanted: list[tuple[Path, tuple[int, ...]]], cuts: Path | None) -> list[bytes | None]:
    """`_cut` of each (font, glyphs), kept in `cuts` between builds (cutting a face takes a
    fifth of a second): named by the font file, its size and time, the glyphs and
    fontTools' version, and sealed, so that a file planted in the cache is not taken into a
    PDF. Those not kept from an earlier build are cut half here and half in a process
    beside this one, the largest fonts shared out first."""
    found = [_from_cache(path, gids, cuts) for path, gids in wanted]
    todo = [i for i, data in enumerate(found) if data is None]
    theirs: list[int] = []
    if len(todo) > 1 and may_fork():
        ours: list[int] = []
        load = [0, 0]
        for i in sorted(todo, key=lambda i: -_size(wanted[i][0])):
            side = 0 if load[0] <= load[1] else 1
            (ours, theirs)[side].append(i)
            load[side] += _size(wanted[i][0])
        later = alongside(lambda: [_cut_and_keep(*wanted[i], cuts) for i in theirs])
        todo = ours
    for i in todo:
        found[i] = _cut_and_keep(*wanted[i], cuts)
    if theirs:
        for i, data in zip(theirs, later(), strict=True):
            found[i] = data
    return found


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _kept_names(path: Path, gids: tuple[int, ...], cuts: Path | None) -> tuple[Path, Path] | None:
    """The program and the record of the cut in `cuts`, or None when none is kept."""
    if cuts is None:
        return None
    try:
        st = path.stat()
    except OSError:
        return None
    name = _sha(str(path.resolve()), st.st_size, st.st_mtime_ns, gids, fontTools.version)
    return cuts / f"{name}.ttf", cuts / f"{name}.json"


def _from_cache(path: Path, gids: tuple[int, ...], cuts: Path | None) -> bytes | None:
    names = _kept_names(path, gids, cuts)
    if names is None:
        return None
    program, record = names
    try:
        info = unsealed(json.loads(record.read_text()))
        kept = program.read_bytes()
        digest = hashlib.sha256(kept).hexdigest()
        if info is not None and info.get("name") == program.stem and info.get("sha256") == digest:
            return kept
    except (OSError, ValueError):
        pass
    return None


def _cut_and_keep(path: Path, gids: tuple[int, ...], cuts: Path | None) -> bytes | None:
    data = _cut(path, gids)
    names = _kept_names(path, gids, cuts)
    if data is not None and names is not None:
        program, record = names
        with contextlib.suppress(OSError, EditionError):  # a cache not written is no cache
            program.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(program, data)
            digest = hashlib.sha256(data).hexdigest()
            atomic_write_text(record, json.dumps(sealed({"name": program.stem, "sha256": digest})))
    return data


def _sha(*parts: object) -> str:
    return hashlib.sha256(json.dumps([str(p) for p in parts]).encode()).hexdigest()[:40]


@functools.lru_cache(maxsize=64)
def _cut(path: Path, gids: tuple[int, ...]) -> bytes | None:
    """The glyphs `gids` of the font at `path`, glyph ids kept, for embedding in a PDF."""
    options = subset.Options()
    options.retain_gids = True
    options.desubroutinize = True
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.layout_features = []
    options.drop_tables = [*options.drop_tables, *DROP_TABLES]
    options.recalc_timestamp = False  # the head table keeps the font's own date
    with TTFont(path, recalcTimestamp=False, lazy=True) as font:
        if max(gids) >= font["maxp"].numGlyphs:
            return None  # not the font the subsets were cut from
        for tag in DROP_TABLES:
            if tag in font:
                del font[tag]  # before the subsetter reads them: most of its time goes there
        subsetter = subset.Subsetter(options)
        subsetter.populate(gids=list(gids))
        subsetter.subset(font)
        out = io.BytesIO()
        font.save(out)
    return out.getvalue()


@functools.cache
def _advances(path: Path) -> tuple[float, ...]:
    """Every glyph's advance width in the font at `path`, in thousandths of an em."""
    with TTFont(path, lazy=True) as font:
        scale = 1000 / font["head"].unitsPerEm
        metrics = font["hmtx"].metrics
        return tuple(metrics[name][0] * scale for name in font.getGlyphOrder())


def _tag(name: str, program: bytes) -> str:
    """Six capital letters derived from the subset (ISO 32000-1, 9.6.4)."""
    digest = hashlib.sha256(name.encode() + b"\0" + program).digest()
    return "".join(chr(65 + b % 26) for b in digest[:6])


def _w_array(widths: dict[int, float]) -> pikepdf.Array:
    out: list[object] = []
    run: list[float] = []
    start = prev = -2
    for cid in sorted(widths):
        if cid != prev + 1:
            if run:
                out += [start, pikepdf.Array(run)]
            start, run = cid, []
        run.append(_number(widths[cid]))
        prev = cid
    if run:
        out += [start, pikepdf.Array(run)]
    return pikepdf.Array(out)


def _number(value: float) -> float:
    return int(value) if value == int(value) else round(value, 3)


def to_unicode_cmap(text: dict[int, str]) -> bytes:
    """A ToUnicode CMap for 2-byte codes."""
    lines = [
        b"/CIDInit /ProcSet findresource begin",
        b"12 dict begin",
        b"begincmap",
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        b"/CMapName /Adobe-Identity-UCS def",
        b"/CMapType 2 def",
        b"1 begincodespacerange",
        b"<0000> <ffff>",
        b"endcodespacerange",
    ]
    items = sorted(text.items())
    for i in range(0, len(items), 100):
        batch = items[i : i + 100]
        lines.append(f"{len(batch)} beginbfchar".encode())
        for code, chars in batch:
            lines.append(f"<{code:04x}> <{chars.encode('utf-16-be').hex()}>".encode())
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return b"\n".join(lines) + b"\n"


def _retag(face: _Face) -> None:
    """Each different subset of `face` named with a tag of its own."""
    for font in face.fonts:
        program = _program(font)
        if program is None:
            continue
        base = Name(f"/{_tag(face.name, program.read_raw_bytes())}+{face.name}")
        font.BaseFont = base
        cid_font = font.DescendantFonts[0]
        cid_font.BaseFont = base
        cid_font.FontDescriptor.FontName = base
