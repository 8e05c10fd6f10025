"""PDF/X-4, PDF/A-3b and PDF/UA-1, rule by rule, read back from the three editions.

Each test names what it checks: ISO 15930-7 (PDF/X-4), ISO 19005-3 (PDF/A-3, with the
veraPDF rule id, e.g. 6.2.8-t3), ISO 14289-1 (PDF/UA-1, with the veraPDF test), ISO
32000-1 (PDF 1.7). veraPDF cannot be installed here: these are the rules the editions rely
on, written again here against pikepdf, qpdf, poppler and PDFium, never with edition's own
readers. The fixture issue (with a web link and an imprint, so that the screen edition
has every kind of link) is built once in all three profiles; the sample issue where a
rule needs its size (sections, opacity, a half-page ad in a page margin, small type).

Then `edition check`: each rule broken in a copy of a clean edition is reported as an
error of the profile it breaks, with its clause; and the clean editions pass.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import math
import re
import shutil
import subprocess
import tomllib
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from conftest import FIXTURES, REPO, SAMPLE, invoke
from fontTools.ttLib import TTFont
from pikepdf import Name
from PIL import Image

from edition.check.preflight import check_pdf
from edition.errors import Severity
from edition.profiles import PROFILES

pytestmark = pytest.mark.slow

PROFILE_NAMES = ("print", "screen", "archive")
SITE, MAIL, URL = "www.uji.example", "redaksi@uji.example", "https://contoh.example/laporan"
COVER_ALT = "Langit biru di atas garis pantai yang tenang."


# ---------------------------------------------------------------- the editions


@dataclass(frozen=True)
class Editions:
    issue: Path
    out: Path

    def pdf(self, profile: str) -> Path:
        return self.out / self.issue.name / f"{self.issue.name}-{profile}.pdf"


def fixture_copy(parent: Path) -> Path:
    """The minimal fixture with a web link in an article and an imprint's site and mail."""
    issue = parent / "minimal"
    shutil.copytree(FIXTURES / "minimal", issue)
    article = issue / "articles" / "gudang-baru.md"
    article.write_text(
        article.read_text("utf-8").rstrip("\n") + f"\n\nSelengkapnya di [laporan]({URL}).\n",
        "utf-8",
    )
    toml = issue / "issue.toml"
    text = toml.read_text("utf-8").replace(
        'publisher = "PT Uji Media"',
        f'publisher = "PT Uji Media"\nwebsite = "{SITE}"\nemail = "{MAIL}"',
    )
    toml.write_text(text.replace("[cover]\n", f'[cover]\nalt = "{COVER_ALT}"\n', 1), "utf-8")
    return issue


@pytest.fixture(scope="module")
def minimal(tmp_path_factory: pytest.TempPathFactory) -> Editions:
    root = tmp_path_factory.mktemp("conformance")
    issue = fixture_copy(root)
    invoke(
        ["build", issue, "--profile", "all", "--out", root / "dist"], exit_code=1
    )  # small photos, no ISSN
    return Editions(issue, root / "dist")


@pytest.fixture(params=["minimal", "sample"])
def edition(request, minimal: Editions) -> Callable[[str], Path]:
    """The PDF of a profile, for the fixture issue and for the sample issue."""
    if request.param == "minimal":
        return minimal.pdf
    return request.getfixturevalue("sample_edition")


# Every edition of the fixture issue; of the sample, print and screen (its archive is
# assembled like its print edition and adds nothing these rules can see but time).
BUILT = [("minimal", p) for p in PROFILE_NAMES] + [("sample", "print"), ("sample", "screen")]


@pytest.fixture(params=BUILT, ids=[f"{i}-{p}" for i, p in BUILT])
def built(request, minimal: Editions) -> tuple[Path, str]:
    """(PDF, profile) of each edition in BUILT."""
    issue, profile = request.param
    if issue == "minimal":
        return minimal.pdf(profile), profile
    return request.getfixturevalue("sample_edition")(profile), profile


PRINTED = [("minimal", "print"), ("minimal", "archive"), ("sample", "print")]
PRINTED_IDS = [f"{i}-{p}" for i, p in PRINTED]


@pytest.fixture
def archive(minimal: Editions) -> Path:
    return minimal.pdf("archive")


def tool(*args: object) -> str:
    exe = shutil.which(str(args[0]))
    assert exe, f"{args[0]} is not installed (apt-get install poppler-utils qpdf)"
    proc = subprocess.run([exe, *map(str, args[1:])], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"{args}: {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def xmp_of(pdf: pikepdf.Pdf) -> str:
    return pdf.Root.Metadata.read_bytes().decode("utf-8")


def xmp_values(xmp: str, name: str) -> list[str]:
    """The values of an XMP property, written as an element or as an attribute."""
    found = re.findall(rf"<{name}>(.*?)</{name}>", xmp, re.S)
    found += re.findall(rf'{name}="([^"]*)"', xmp)
    return [re.sub(r"<[^>]+>", "", f).strip() for f in found]


def images(pdf: pikepdf.Pdf) -> Iterator[pikepdf.Stream]:
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Stream) and obj.stream_dict.get("/Subtype") == Name.Image:
            yield obj


def annotations(pdf: pikepdf.Pdf) -> Iterator[tuple[int, pikepdf.Object]]:
    for i, page in enumerate(pdf.pages, 1):
        for annot in page.obj.get("/Annots", []):
            yield i, annot


def composite_fonts(pdf: pikepdf.Pdf) -> Iterator[tuple[pikepdf.Object, pikepdf.Stream]]:
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Subtype") == Name.Type0:
            desc = obj.DescendantFonts[0].FontDescriptor
            yield obj, desc.get("/FontFile2") or desc.get("/FontFile3")


def to_unicode(font: pikepdf.Object) -> dict[int, str]:
    """Code -> text of a font's ToUnicode CMap (bfchar and bfrange)."""
    out: dict[int, str] = {}
    if "/ToUnicode" not in font:
        return out
    data = font.ToUnicode.read_bytes().decode("latin-1")
    for block in re.findall(r"beginbfchar(.*?)endbfchar", data, re.S):
        for src, dst in re.findall(r"<(\w+)>\s*<(\w*)>", block):
            out[int(src, 16)] = bytes.fromhex(dst).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", data, re.S):
        for lo, hi, dst in re.findall(r"<(\w+)>\s*<(\w+)>\s*<(\w+)>", block):
            for k, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                out[code] = chr(int(dst, 16) + k)
    return out


@dataclass
class Shown:
    """One text-showing operator, as the page draws it."""

    page: int
    size: float  # pt on the page
    fill: tuple[str, tuple[float, ...]]  # colour space kind and components
    codes: tuple[int, ...]
    font: pikepdf.Object
    marks: tuple[str, ...]  # the open marked-content tags, outermost first


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float | Decimal) else 0.0


def text_shown(pdf: pikepdf.Pdf) -> Iterator[Shown]:
    """Every text-showing operator of every page and of the forms it draws, with the font
    size on the page (CTM and text matrix), the fill colour and the open marks."""

    def run(holder, resources, ctm, page, marks, depth):
        stack = []
        fill, font, size, tm = ("gray", (0.0,)), None, 0.0, (1, 0, 0, 1, 0, 0)
        for inst in pikepdf.parse_content_stream(holder):
            if not isinstance(inst, pikepdf.ContentStreamInstruction):
                continue
            op, args = str(inst.operator), list(inst.operands)
            if op == "q":
                stack.append((ctm, fill, font, size))
            elif op == "Q" and stack:
                ctm, fill, font, size = stack.pop()
            elif op == "cm":
                a = [_number(v) for v in args]
                ctm = (
                    a[0] * ctm[0] + a[1] * ctm[2],
                    a[0] * ctm[1] + a[1] * ctm[3],
                    a[2] * ctm[0] + a[3] * ctm[2],
                    a[2] * ctm[1] + a[3] * ctm[3],
                    a[4] * ctm[0] + a[5] * ctm[2] + ctm[4],
                    a[4] * ctm[1] + a[5] * ctm[3] + ctm[5],
                )
            elif op == "cs":
                name = str(args[0])
                space = resources.get("/ColorSpace", {}).get(args[0])
                if isinstance(space, pikepdf.Array) and space[0] == Name.ICCBased:
                    name = {1: "gray", 3: "rgb", 4: "cmyk"}[int(space[1].N)]
                kind = {"/DeviceCMYK": "cmyk", "/DeviceRGB": "rgb", "/DeviceGray": "gray"}
                fill = (kind.get(name, name), ())
            elif op in ("sc", "scn") and all(isinstance(a, int | Decimal) for a in args):
                fill = (fill[0], tuple(float(a) for a in args))
            elif op in ("k", "rg", "g"):
                fill = ({"k": "cmyk", "rg": "rgb", "g": "gray"}[op], tuple(map(float, args)))
            elif op == "Tf":
                font, size = resources.Font[args[0]], float(args[1])
            elif op == "Tm":
                tm = tuple(_number(v) for v in args)
            elif op in ("BDC", "BMC"):
                marks = (*marks, str(args[0]))
            elif op == "EMC":
                marks = marks[:-1]
            elif op in ("Tj", "TJ") and font is not None:
                pieces = args[0] if isinstance(args[0], pikepdf.Array) else [args[0]]
                raw = b"".join(bytes(p) for p in pieces if isinstance(p, pikepdf.String))
                width = 2 if font.Subtype == Name.Type0 else 1
                codes = tuple(
                    int.from_bytes(raw[i : i + width], "big") for i in range(0, len(raw), width)
                )
                # the vertical scale of text space on the page
                c = tm[2] * ctm[0] + tm[3] * ctm[2]
                d = tm[2] * ctm[1] + tm[3] * ctm[3]
                yield Shown(page, size * math.hypot(c, d), fill, codes, font, marks)
            elif op == "Do" and depth < 8:
                xobj = resources.XObject[args[0]]
                if xobj.Subtype == Name.Form:
                    yield from run(
                        xobj, xobj.get("/Resources", resources), ctm, page, marks, depth + 1
                    )

    for i, page in enumerate(pdf.pages, 1):
        yield from run(page.obj, page.Resources, (1, 0, 0, 1, 0, 0), i, (), 0)


def structure(pdf: pikepdf.Pdf) -> tuple[list[pikepdf.Object], set[tuple[int, int]]]:
    """The structure elements in document order (depth first) and the set of all reached."""
    order, seen = [], set()

    def visit(node: pikepdf.Object) -> None:
        if isinstance(node, pikepdf.Array):
            for kid in node:
                visit(kid)
            return
        if not isinstance(node, pikepdf.Dictionary) or "/S" not in node:
            return
        if node.objgen in seen:
            return
        seen.add(node.objgen)
        order.append(node)
        if "/K" in node:
            visit(node.K)

    visit(pdf.Root.StructTreeRoot.K)
    return order, seen


def parent_tree(pdf: pikepdf.Pdf) -> dict[int, pikepdf.Object]:
    out, todo = {}, [pdf.Root.StructTreeRoot.ParentTree]
    while todo:
        node = todo.pop()
        nums = node.get("/Nums", [])
        out |= {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
        todo.extend(node.get("/Kids", []))
    return out


def kids(elem: pikepdf.Object) -> list[pikepdf.Object]:
    k = elem.get("/K")
    return [] if k is None else list(k) if isinstance(k, pikepdf.Array) else [k]


# ---------------------------------------------------------------- every edition


def test_qpdf_finds_no_damage(built):
    """ISO 32000-1, 7.5: a sound file (cross-reference, streams, object syntax)."""
    path, _ = built
    assert "No syntax or stream encoding errors found" in tool("qpdf", "--check", path)


def test_fonts_are_embedded_and_each_subset_has_its_own_name(built):
    """ISO 32000-1, 9.6.4 (a subset's tag names one subset); ISO 19005-3, 6.2.11.4.1-t1;
    ISO 14289-1, 7.21.4.1-t1: poppler's pdffonts and pikepdf agree."""
    path, _ = built
    listing = tool("pdffonts", path).splitlines()[2:]
    rows = [line.split() for line in listing]
    assert rows and all(r[-5] == "yes" for r in rows), listing  # emb
    with pikepdf.open(path) as pdf:
        programs: dict[str, set[str]] = {}
        for font, program in composite_fonts(pdf):
            assert program is not None, font.BaseFont
            digest = hashlib.sha256(program.read_bytes()).hexdigest()
            programs.setdefault(str(font.BaseFont), set()).add(digest)
    assert programs
    for name, found in programs.items():
        assert re.fullmatch(r"/[A-Z]{6}\+\S+", name), name
        assert len(found) == 1, f"{name} labels {len(found)} different subsets"
    faces = Counter(name.split("+", 1)[1] for name in programs)
    assert max(faces.values()) == 1, faces  # one subset per face: the sections' merged


def test_glyph_widths_agree_with_the_font_programs(built):
    """ISO 19005-3, 6.2.11.5-t1; ISO 14289-1, 7.21.5-t1: /W against the font's hmtx,
    within one unit in a thousand."""
    path, _ = built
    with pikepdf.open(path) as pdf:
        checked = 0
        for font, program in composite_fonts(pdf):
            with TTFont(io.BytesIO(program.read_bytes())) as tt:
                scale = 1000 / tt["head"].unitsPerEm
                advances = [tt["hmtx"].metrics[g][0] * scale for g in tt.getGlyphOrder()]
            w = list(font.DescendantFonts[0].W)
            for first, widths in zip(w[::2], w[1::2], strict=True):
                for k, value in enumerate(widths):
                    assert abs(advances[int(first) + k] - float(value)) <= 1, font.BaseFont
                    checked += 1
    assert checked > 50


def test_no_text_shows_the_notdef_glyph(built):
    """ISO 19005-3, 6.2.11.8-t1; ISO 14289-1, 7.21.8-t1: no glyph 0 in any text shown
    (with Identity-H, code = CID = glyph id)."""
    path, _ = built
    with pikepdf.open(path) as pdf:
        shown = list(text_shown(pdf))
    assert sum(len(s.codes) for s in shown) > 1000
    for s in shown:
        if s.font.get("/Encoding") == Name("/Identity-H"):
            assert 0 not in s.codes, (s.page, s.font.BaseFont)


def test_not_encrypted_and_no_scripts_or_automatic_actions(built):
    """ISO 19005-3, 6.1.3-t2, 6.5.1-t1, 6.5.2-t1/t2; ISO 15930-7 (no encryption, no
    JavaScript, no actions that run by themselves)."""
    path, _ = built
    info = tool("pdfinfo", path)
    assert re.search(r"^Encrypted:\s+no$", info, re.M)
    assert re.search(r"^JavaScript:\s+no$", info, re.M)
    with pikepdf.open(path) as pdf:
        assert "/Encrypt" not in pdf.trailer
        assert "/OpenAction" not in pdf.Root and "/AA" not in pdf.Root
        assert all("/AA" not in page.obj for page in pdf.pages)
        for _, annot in annotations(pdf):
            action = annot.get("/A")
            if action is not None:
                assert action.S in (Name.URI, Name.GoTo), action.S


def test_xmp_is_well_formed_and_matches_the_document_information(built):
    """ISO 19005-3, 6.6.2.1-t2/t3/t4 (no bytes or encoding attribute, well-formed XML);
    ISO 32000-1, 14.3.3 (Info and XMP say the same title, author and dates)."""
    path, _ = built
    with pikepdf.open(path) as pdf:
        raw = pdf.Root.Metadata.read_bytes()
        info = pdf.docinfo
        header = re.match(rb"<\?xpacket([^?]*)\?>", raw)
        assert header and b"bytes=" not in header[1] and b"encoding=" not in header[1]
        ET.fromstring(re.sub(rb"<\?xpacket[^?]*\?>", b"", raw))
        xmp = raw.decode("utf-8")
        assert xmp_values(xmp, "dc:title") == [str(info.Title)]
        assert xmp_values(xmp, "dc:creator") == [str(info.Author)]
        assert xmp_values(xmp, "pdf:Producer") == [str(info.Producer)]
        d = str(info.CreationDate)  # D:20240519000000+07'00
        iso = f"{d[2:6]}-{d[6:8]}-{d[8:10]}T{d[10:12]}:{d[12:14]}:{d[14:16]}{d[16:19]}:{d[20:22]}"
        assert xmp_values(xmp, "xmp:CreateDate") == [iso]


# ---------------------------------------------------------------- print: PDF/X-4


def test_print_is_identified_as_pdfx4_in_info_and_xmp(edition):
    """ISO 15930-7: GTS_PDFXVersion in the XMP (pdfxid) and in the document information,
    Trapped True or False in both; poppler recognises the subtype from them."""
    info = tool("pdfinfo", edition("print"))
    assert re.search(r"^PDF subtype:\s+PDF/X-4$", info, re.M), info
    assert re.search(r"^PDF version:\s+1\.[3-6]$", info, re.M)  # PDF/X-4 is PDF 1.6 at most
    with pikepdf.open(edition("print")) as pdf:
        assert str(pdf.docinfo.GTS_PDFXVersion) == "PDF/X-4"
        xmp = xmp_of(pdf)
        assert xmp_values(xmp, "pdfxid:GTS_PDFXVersion") == ["PDF/X-4"]
        assert str(pdf.docinfo.Trapped) == "/False"
        assert xmp_values(xmp, "pdf:Trapped") == ["False"]
        for key in ("xmpMM:DocumentID", "xmpMM:VersionID", "xmpMM:RenditionClass"):
            assert xmp_values(xmp, key), key


def test_print_output_intent_is_fogra39_cmyk(edition):
    """ISO 15930-7: one GTS_PDFX output intent, its destination profile an ICC output
    ('prtr') profile of CMYK data, named by its printing condition."""
    with pikepdf.open(edition("print")) as pdf:
        intents = [i for i in pdf.Root.OutputIntents if i.S == Name.GTS_PDFX]
        assert len(intents) == 1
        intent = intents[0]
        assert str(intent.OutputConditionIdentifier) == "FOGRA39"
        icc = intent.DestOutputProfile.read_bytes()
        assert icc[12:16] == b"prtr" and icc[16:20] == b"CMYK"
        assert int(intent.DestOutputProfile.N) == 4


def test_print_has_no_annotation_on_the_sheet(edition):
    """ISO 15930-7: only printer's marks and trap networks may lie on the printed area;
    the print edition has no links (107 of them were there)."""
    with pikepdf.open(edition("print")) as pdf:
        assert [(p, str(a.Subtype)) for p, a in annotations(pdf)] == []


def test_print_boxes_nest(edition):
    """ISO 32000-1, 14.11.2; ISO 15930-7: TrimBox inside BleedBox inside MediaBox."""
    with pikepdf.open(edition("print")) as pdf:
        for i, page in enumerate(pdf.pages, 1):
            media, bleed, trim = (
                [float(v) for v in page.obj[k]] for k in ("/MediaBox", "/BleedBox", "/TrimBox")
            )
            for inner, outer in ((trim, bleed), (bleed, media)):
                assert inner[0] >= outer[0] and inner[1] >= outer[1], i
                assert inner[2] <= outer[2] and inner[3] <= outer[3], i


@pytest.mark.parametrize("built", PRINTED, indirect=True, ids=PRINTED_IDS)
def test_no_image_asks_to_be_smoothed(built):
    """ISO 19005-3, 6.2.8-t3 (/Interpolate false or absent); the press prints the pixels
    it is given; no /Alternates or /OPI either (6.2.8-t1/t2)."""
    path, _ = built
    with pikepdf.open(path) as pdf:
        found = list(images(pdf))
        assert found
        for image in found:
            assert image.stream_dict.get("/Interpolate", False) is False, image.objgen
            assert "/Alternates" not in image.stream_dict and "/OPI" not in image.stream_dict


@pytest.mark.parametrize("built", PRINTED, indirect=True, ids=PRINTED_IDS)
def test_no_transfer_functions_or_halftones(built):
    """ISO 19005-3, 6.2.5-t1/t2/t3: no TR, no TR2 but Default, no HTP in graphics states."""
    path, _ = built
    with pikepdf.open(path) as pdf:
        for obj in pdf.objects:
            d = obj.stream_dict if isinstance(obj, pikepdf.Stream) else obj
            if not isinstance(d, pikepdf.Dictionary):
                continue
            for group in (d.get("/ExtGState"), d.get("/Resources", {}).get("/ExtGState")):
                for gs in (group or {}).values() if isinstance(group, pikepdf.Dictionary) else []:
                    assert "/TR" not in gs and "/HTP" not in gs
                    assert gs.get("/TR2", Name.Default) == Name.Default


def test_print_transparency_groups_are_not_rgb(edition):
    """ISO 15930-7: a transparency group's blending space in the print edition is CMYK
    (or grey), never an RGB space the press cannot reproduce."""
    with pikepdf.open(edition("print")) as pdf:
        groups = 0
        for obj in pdf.objects:
            d = obj.stream_dict if isinstance(obj, pikepdf.Stream) else obj
            group = d.get("/Group") if isinstance(d, pikepdf.Dictionary) else None
            if isinstance(group, pikepdf.Dictionary) and group.get("/S") == Name.Transparency:
                groups += 1
                cs = group.get("/CS")
                if isinstance(cs, pikepdf.Array):
                    assert int(cs[1].N) in (1, 4), cs
                else:
                    assert cs in (None, Name.DeviceCMYK, Name.DeviceGray), cs


def test_print_photos_are_never_enlarged(edition):
    """No image in the print edition has more pixels than the picture it comes from, and
    none exceeds 300 ppi where it is placed (seven photos were enlarged to 300 ppi)."""
    rows = [
        line.split()
        for line in tool("pdfimages", "-list", edition("print")).splitlines()[2:]
        if line.split()[2] == "image"
    ]
    folder = SAMPLE if edition("print").parent.name == SAMPLE.name else FIXTURES / "minimal"
    sources = []
    for sub in ("photos", "ads"):
        for file in (folder / sub).iterdir():
            with Image.open(file) as img:
                sources.append(img.size)
    assert rows
    for row in rows:
        width, height, x_ppi = int(row[3]), int(row[4]), int(row[12])
        assert x_ppi <= 301, row
        assert row[9] == "no", row  # pdfimages: no interpolation
        assert any(width <= w + 1 and height <= h + 1 for w, h in sources), row


def test_print_small_type_is_one_ink(sample_edition):
    """Small type (under 9 pt) in one ink: 1,409 glyphs were in two to four inks."""
    with pikepdf.open(sample_edition("print")) as pdf:
        small = [s for s in text_shown(pdf) if s.size < 8.99]
    assert sum(len(s.codes) for s in small) > 500  # there is small type to check
    multi = [
        (s.page, s.size, s.fill)
        for s in small
        if s.fill[0] == "cmyk" and sum(v > 0.005 for v in s.fill[1]) > 1
    ]
    assert multi == []


def test_print_small_reversed_type_is_not_on_photos(sample_edition):
    """White type under 9 pt does not sit on a photo (1,757 glyphs did, mostly Inframe
    captions on a see-through scrim): PDFium finds every small white character and what
    is drawn last under it."""
    doc = pdfium.PdfDocument(sample_edition("print"))
    try:
        on_photo = []
        small_white = 0
        for index in range(len(doc)):
            page = doc[index]
            objects = list(page.get_objects(max_depth=3))
            grounds = []  # (bounds, is an image), in drawing order
            for obj in objects:
                if obj.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE:
                    grounds.append((obj.get_bounds(), True))
                elif obj.type == pdfium.raw.FPDF_PAGEOBJ_PATH:
                    r, g, b, a = (pdfium.raw.c_uint() for _ in range(4))
                    pdfium.raw.FPDFPageObj_GetFillColor(obj.raw, r, g, b, a)
                    mode, stroke = pdfium.raw.c_int(), pdfium.raw.FPDF_BOOL()
                    pdfium.raw.FPDFPath_GetDrawMode(obj.raw, mode, stroke)
                    left, bottom, right, top = obj.get_bounds()
                    if a.value == 255 and mode.value and right - left > 2 and top - bottom > 2:
                        grounds.append((obj.get_bounds(), False))
                elif obj.type == pdfium.raw.FPDF_PAGEOBJ_TEXT:
                    size = pdfium.raw.c_float()
                    pdfium.raw.FPDFTextObj_GetFontSize(obj.raw, size)
                    matrix = obj.get_matrix()
                    pt = size.value * math.hypot(matrix.c, matrix.d)
                    r, g, b, a = (pdfium.raw.c_uint() for _ in range(4))
                    pdfium.raw.FPDFPageObj_GetFillColor(obj.raw, r, g, b, a)
                    if pt < 8.99 and (r.value, g.value, b.value) == (255, 255, 255):
                        small_white += 1
                        left, bottom, right, top = obj.get_bounds()
                        x, y = (left + right) / 2, (bottom + top) / 2
                        under = [
                            is_image
                            for (l0, b0, r0, t0), is_image in grounds
                            if l0 <= x <= r0 and b0 <= y <= t0
                        ]
                        if under and under[-1]:
                            on_photo.append((index + 1, round(pt, 1)))
                    grounds.append((obj.get_bounds(), False))  # type is opaque too
            page.close()
    finally:
        doc.close()
    assert small_white > 20  # rubric tabs, house ads, captions on their band
    assert on_photo == []


# ---------------------------------------------------------------- archive: PDF/A-3b


def test_archive_header_trailer_and_streams(archive):
    """ISO 19005-3, 6.1.2-t1/t2 (header and binary comment), 6.1.3-t1 (trailer /ID),
    6.1.7.1-t3 and 6.1.7.2-t1 (no external streams, no LZW)."""
    path = archive
    head = path.read_bytes()[:20].split(b"\n")
    assert re.fullmatch(rb"%PDF-1\.[0-7]\r?", head[0]), head
    assert head[1][:1] == b"%" and all(b > 127 for b in head[1][1:5]), head
    with pikepdf.open(path) as pdf:
        assert len(pdf.trailer.ID) == 2 and len(bytes(pdf.trailer.ID[0])) == 16
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream):
                d = obj.stream_dict
                assert not {"/F", "/FFilter", "/FDecodeParms"} & set(d.keys()), obj.objgen
                filters = d.get("/Filter")
                assert Name.LZWDecode not in (
                    list(filters) if isinstance(filters, pikepdf.Array) else [filters]
                )


def test_archive_is_identified_and_uses_predefined_xmp_schemas(archive):
    """ISO 19005-3, 6.6.4-t1..t5 (pdfaid part 3, conformance B), 6.6.2.3.1-t1 (only
    properties of predefined schemas, as no extension schema is declared)."""
    with pikepdf.open(archive) as pdf:
        xmp = xmp_of(pdf)
    assert xmp_values(xmp, "pdfaid:part") == ["3"]
    assert xmp_values(xmp, "pdfaid:conformance") == ["B"]
    predefined = {
        "http://purl.org/dc/elements/1.1/",
        "http://ns.adobe.com/xap/1.0/",
        "http://ns.adobe.com/xap/1.0/mm/",
        "http://ns.adobe.com/pdf/1.3/",
        "http://www.aiim.org/pdfa/ns/id/",
        "http://ns.adobe.com/xap/1.0/rights/",
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        "adobe:ns:meta/",
        "http://www.w3.org/XML/1998/namespace",
    }
    used = set(re.findall(r'xmlns:\w+="([^"]+)"', xmp))
    assert used <= predefined, used - predefined


def test_archive_output_intent_is_srgb_and_no_device_cmyk(archive):
    """ISO 19005-3, 6.2.3-t1 (a GTS_PDFA1 intent with an RGB profile), 6.2.4.3-t3 (no
    DeviceCMYK without a CMYK intent)."""
    with pikepdf.open(archive) as pdf:
        intents = list(pdf.Root.OutputIntents)
        assert [str(i.S) for i in intents] == ["/GTS_PDFA1"]
        icc = intents[0].DestOutputProfile.read_bytes()
        assert icc[12:16] in (b"mntr", b"prtr") and icc[16:20] == b"RGB "
        for obj in pdf.objects:
            d = obj.stream_dict if isinstance(obj, pikepdf.Stream) else obj
            if isinstance(d, pikepdf.Dictionary):
                assert "/DeviceCMYK" not in repr(d.get("/ColorSpace", "")), obj.objgen


def test_archive_annotations_print_and_have_no_other_appearance(archive):
    """ISO 19005-3, 6.3.1-t1 (allowed types), 6.3.2-t1/t2 (F with Print set, Hidden,
    Invisible, NoView and ToggleNoView clear), 6.3.3-t1/t2 (an appearance, of N only,
    except for links and pop-ups)."""
    with pikepdf.open(archive) as pdf:
        found = list(annotations(pdf))
        assert found  # the archive keeps its links
        for page, annot in found:
            assert annot.Subtype not in (Name("/3D"), Name.Sound, Name.Screen, Name.Movie)
            flags = int(annot.get("/F", 0))
            assert flags & 4 and not flags & (1 | 2 | 32 | 256), (page, flags)
            if "/AP" in annot:
                assert set(annot.AP.keys()) == {"/N"}, page
            else:
                assert annot.Subtype in (Name.Link, Name.Popup), page


def test_archive_embedded_files_are_associated_with_mime_types(archive):
    """ISO 19005-3, 6.8-t1..t4: each embedded file has F and UF, a MIME type (/Subtype),
    a relationship, and is listed in the catalog's /AF."""
    with pikepdf.open(archive) as pdf:
        af = {spec.objgen for spec in pdf.Root.AF}
        assert len(pdf.attachments) == len(af) > 10
        for name, spec in pdf.attachments.items():
            obj = spec.obj
            assert str(obj.F) == str(obj.UF) == name
            assert obj.AFRelationship == Name.Source
            assert obj.objgen in af
            mime = str(obj.EF.F.Subtype).lstrip("/").replace("#2f", "/")
            assert re.fullmatch(r"[a-z]+/[a-z0-9.+-]+", mime), (name, mime)


def test_archive_extracted_rebuilds_the_same_bytes(minimal, tmp_path):
    """The archive edition holds everything its issue is built from: extracted with
    poppler's pdfdetach into a folder of the issue's name, somewhere else, it builds the
    very same PDF (compared byte for byte with cmp)."""
    archive = minimal.pdf("archive")
    listing = tool("pdfdetach", "-list", archive)
    names = dict(re.findall(r"^(\d+): (.+)$", listing, re.M))
    folder = tmp_path / "extracted" / minimal.issue.name
    for index, name in names.items():
        target = folder / name
        assert folder in target.resolve().parents
        target.parent.mkdir(parents=True, exist_ok=True)
        tool("pdfdetach", "-save", index, "-o", target, archive)
    kinds = {n.split("/", 1)[0] for n in names.values()}
    assert {"issue.toml", "articles", "photos", "ads", "layouts", "edition.json"} <= kinds
    manifest = json.loads((folder / "edition.json").read_text("utf-8"))
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    out = tmp_path / "out"
    invoke(["build", folder, "--profile", "archive", "--out", out], exit_code=1)
    rebuilt = out / minimal.issue.name / f"{minimal.issue.name}-archive.pdf"
    proc = subprocess.run(["cmp", archive, rebuilt], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# ---------------------------------------------------------------- screen: PDF/UA-1


def test_screen_is_identified_marked_and_titled(edition):
    """ISO 14289-1, 5-t1/t2 (pdfuaid:part 1), 6.2-t1 (Marked true), 7.1-t4 (Suspects not
    true), 7.1-t9 (dc:title), 7.1-t10 (DisplayDocTitle), 7.2-t29 (catalog /Lang)."""
    with pikepdf.open(edition("screen")) as pdf:
        root = pdf.Root
        xmp = xmp_of(pdf)
        assert xmp_values(xmp, "pdfuaid:part") == ["1"]
        assert root.MarkInfo.Marked is True and root.MarkInfo.get("/Suspects", False) is False
        assert xmp_values(xmp, "dc:title")
        assert root.ViewerPreferences.DisplayDocTitle is True
        assert re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]+)*", str(root.Lang))
        # the bookmarks are shown when the file opens
        assert root.PageMode == Name.UseOutlines and "/Outlines" in root


def test_screen_every_structure_element_is_reached(edition):
    """ISO 14289-1, 7.1-t11/t12: the structure tree holds every element, each with its
    parent (90 running heads and folios hung outside it, and the half-page ad with them)."""
    with pikepdf.open(edition("screen")) as pdf:
        order, reached = structure(pdf)
        every = [
            o
            for o in pdf.objects
            if isinstance(o, pikepdf.Dictionary) and o.get("/Type") == Name.StructElem
        ]
        assert every and {e.objgen for e in every} <= reached
        for elem in order:
            parent = elem.P
            assert parent.get("/Type") == Name.StructTreeRoot or any(
                isinstance(k, pikepdf.Dictionary) and k.objgen == elem.objgen for k in kids(parent)
            ), elem.S


def test_screen_every_figure_has_a_real_alt_text(edition):
    """ISO 14289-1, 7.3-t1: every Figure has /Alt, the photo's caption or the alt text the
    issue wrote, never its file name ('cover')."""
    with pikepdf.open(edition("screen")) as pdf:
        order, _ = structure(pdf)
    figures = [e for e in order if Name.Figure == e.S]
    assert figures
    for figure in figures:
        alt = str(figure.get("/Alt", "")).strip()
        assert len(alt.split()) >= 2, alt
    alts = {str(f.Alt) for f in figures}
    if edition("screen").parent.name == SAMPLE.name:
        cover_alt = tomllib.loads((SAMPLE / "issue.toml").read_text("utf-8"))["cover"]["alt"]
    else:
        cover_alt = COVER_ALT
    assert cover_alt in alts


def test_screen_headings_begin_with_h1_and_skip_no_level(edition):
    """ISO 14289-1, 7.4.2-t1: the first heading is H1; going down, no level is skipped."""
    with pikepdf.open(edition("screen")) as pdf:
        order, _ = structure(pdf)
    levels = [int(str(e.S)[2:]) for e in order if re.fullmatch(r"/H[1-6]", str(e.S))]
    assert levels and levels[0] == 1, levels[:5]
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, (before, after)


def test_screen_content_is_tagged_or_artifact(edition):
    """ISO 14289-1, 7.1-t1/t2/t3: every mark painted is tagged content or an artifact,
    never one inside the other."""
    painting = {"TJ", "Tj", "'", '"', "Do", "f", "F", "f*", "B", "B*", "b", "b*", "S", "s", "sh"}
    with pikepdf.open(edition("screen")) as pdf:

        def visit(holder, resources, marks, depth):
            for inst in pikepdf.parse_content_stream(holder):
                if not isinstance(inst, pikepdf.ContentStreamInstruction):
                    continue
                op, args = str(inst.operator), list(inst.operands)
                if op in ("BDC", "BMC"):
                    tagged = (
                        op == "BDC"
                        and isinstance(args[1], pikepdf.Dictionary)
                        and "/MCID" in args[1]
                    )
                    kind = (
                        "artifact" if args[0] == Name.Artifact else "tagged" if tagged else "other"
                    )
                    assert not (kind == "artifact" and "tagged" in marks), "artifact in tagged"
                    assert not (kind == "tagged" and "artifact" in marks), "tagged in artifact"
                    marks = [*marks, kind]
                elif op == "EMC":
                    marks = marks[:-1]
                elif op == "Do":
                    xobj = resources.XObject[args[0]]
                    if xobj.Subtype == Name.Form and depth < 8:
                        visit(xobj, xobj.get("/Resources", resources), marks, depth + 1)
                        continue
                if op in painting:
                    assert {"tagged", "artifact"} & set(marks), f"untagged {op}"

        for page in pdf.pages:
            visit(page.obj, page.Resources, [], 0)


def test_screen_marked_content_is_found_from_the_tree(edition):
    """ISO 32000-1, 14.7.4.3/14.7.4.4; ISO 14289-1, 7.1 and 7.20-t2: every MCID of a page,
    and of a form it draws (a transparency group), is held by an element (with /Stm for
    a form), and the parent tree leads back from it; a form with marked content is drawn
    once."""
    with pikepdf.open(edition("screen")) as pdf:
        tree = parent_tree(pdf)
        order, _ = structure(pdf)
        held = {}  # (stream, mcid) -> element
        for elem in order:
            for kid in kids(elem):
                if isinstance(kid, int):
                    held[(elem.Pg.objgen, int(kid))] = elem
                elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == Name.MCR:
                    stream = kid.get("/Stm", kid.get("/Pg", elem.get("/Pg")))
                    held[(stream.objgen, int(kid.MCID))] = elem
        uses: Counter = Counter()
        found = 0

        def visit(holder, owner, resources, depth):
            nonlocal found
            for inst in pikepdf.parse_content_stream(holder):
                if not isinstance(inst, pikepdf.ContentStreamInstruction):
                    continue
                op, args = str(inst.operator), list(inst.operands)
                if op == "BDC" and isinstance(args[1], pikepdf.Dictionary) and "/MCID" in args[1]:
                    mcid = int(args[1].MCID)
                    key = (owner.objgen, mcid)
                    assert key in held, f"MCID {mcid} of {owner.objgen} is in no element"
                    entries = tree[int(owner.StructParents)]
                    assert entries[mcid].objgen == held[key].objgen
                    found += 1
                elif op == "Do" and depth < 8:
                    xobj = resources.XObject[args[0]]
                    if xobj.Subtype == Name.Form:
                        uses[xobj.objgen] += 1
                        visit(xobj, xobj, xobj.get("/Resources", resources), depth + 1)

        for page in pdf.pages:
            visit(page.obj, page.obj, page.Resources, 0)
        assert found > 100
        forms = {
            o.objgen
            for o in pdf.objects
            if isinstance(o, pikepdf.Stream) and "/StructParents" in o.stream_dict
        }
        assert all(uses[f] == 1 for f in forms), forms


def test_screen_running_heads_and_folios_are_artifacts(edition):
    """ISO 14289-1, 7.8: page furniture is an artifact. The folio (the page number at the
    foot of an article page) is shown inside /Artifact marked content."""
    with pikepdf.open(edition("screen")) as pdf:
        artifacts: dict[int, str] = {}
        for s in text_shown(pdf):
            if "/Artifact" in s.marks:
                text = "".join(to_unicode(s.font).get(c, "") for c in s.codes)
                artifacts[s.page] = artifacts.get(s.page, "") + " " + text
    numbered = [p for p, text in artifacts.items() if str(p) in text.split()]
    assert len(numbered) >= 6, artifacts


def test_screen_links_are_tagged_and_described(edition):
    """ISO 14289-1, 7.18.5-t1 (each link annotation under a Link element, by an OBJR),
    7.18.5-t2 (a /Contents that says where it goes, never an internal name: 60 of 122
    sat under Span, NonStruct or Figure and all said a slug), 7.18.3-t1 (Tabs /S)."""
    with pikepdf.open(edition("screen")) as pdf:
        tree = parent_tree(pdf)
        names = pdf.Root.get("/Names", {})
        slugs = set(pikepdf.NameTree(names.Dests)) if "/Dests" in names else set()
        with pdf.open_outline() as outline:
            titles, todo = set(), list(outline.root)
            while todo:
                item = todo.pop()
                titles.add(" ".join(item.title.split()))
                todo.extend(item.children)
        links = 0
        for page, annot in annotations(pdf):
            assert pdf.pages[page - 1].obj.Tabs == Name.S
            if annot.Subtype != Name.Link:
                continue
            links += 1
            elem = tree[int(annot.StructParent)]
            assert Name.Link == elem.S, (page, elem.S)
            assert any(
                isinstance(k, pikepdf.Dictionary)
                and k.get("/Type") == Name.OBJR
                and k.Obj.objgen == annot.objgen
                for k in kids(elem)
            )
            contents = str(annot.Contents).strip()
            assert contents and contents not in slugs, (page, contents)
            if "/Dest" in annot:  # says what it leads to: the title of a section or article
                assert contents in titles, (page, contents)
    assert links >= 10


def test_screen_every_glyph_has_unicode(edition):
    """ISO 14289-1, 7.21.7-t1/t2: every code shown maps to Unicode, none to U+0000,
    U+FEFF or U+FFFE."""
    with pikepdf.open(edition("screen")) as pdf:
        maps: dict[tuple[int, int], dict[int, str]] = {}
        for s in text_shown(pdf):
            cmap = maps.setdefault(s.font.objgen, to_unicode(s.font))
            for code in s.codes:
                text = cmap.get(code)
                assert text and not set(text) & {"\x00", "\ufeff", "\ufffe"}, (s.page, code)


def test_sample_screen_keeps_the_half_page_ad(sample_edition):
    """The half-page ad at the foot of an article page (a page margin box) is a Figure
    reached from the tree, with its advertiser for alt text."""
    advertiser = next(
        a["advertiser"]
        for a in tomllib.loads((SAMPLE / "issue.toml").read_text("utf-8"))["ads"]
        if a["size"] == "half"
    )
    with pikepdf.open(sample_edition("screen")) as pdf:
        order, _ = structure(pdf)
    alts = [str(e.get("/Alt", "")) for e in order if Name.Figure == e.S]
    assert any(advertiser in alt for alt in alts), alts


# ---------------------------------------------------------------- edition check


def errors(path: Path, profile: str) -> list[str]:
    return [
        f"{f.code}@{f.page}" if f.page else f.code
        for f in check_pdf(path, None, PROFILES[profile])
        if f.severity == Severity.ERROR
    ]


def test_clean_editions_pass_their_standard(built):
    """`edition check` says nothing against the standard of a clean edition."""
    path, profile = built
    assert errors(path, profile) == []


def test_sample_print_has_no_ink_warnings(sample_edition):
    found = check_pdf(sample_edition("print"), None, PROFILES["print"])
    assert [str(f) for f in found if f.code.startswith("print.")] == []


def mutate(src: Path, dest: Path, change: Callable[[pikepdf.Pdf], None]) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    with pikepdf.open(src) as pdf:
        change(pdf)
        pdf.save(dest, fix_metadata_version=False)  # the XMP exactly as changed
    return dest


def found(path: Path, profile: str, code: str) -> list[str]:
    return [str(f) for f in check_pdf(path, None, PROFILES[profile]) if f.code == code]


def test_check_reports_a_link_on_the_printed_sheet(minimal, tmp_path):
    def add_link(pdf: pikepdf.Pdf) -> None:
        page = pdf.pages[2]
        link = pdf.make_indirect(
            pikepdf.Dictionary(
                Type=Name.Annot,
                Subtype=Name.Link,
                Rect=[100, 100, 200, 120],
                A=pikepdf.Dictionary(S=Name.URI, URI=pikepdf.String(URL)),
            )
        )
        page.obj.Annots = pikepdf.Array([link])

    path = mutate(minimal.pdf("print"), tmp_path / "x.pdf", add_link)
    assert found(path, "print", "pdfx.annotation") == [
        f"{path}: page 3: error: 1 annotation(s) (Link) on the printed area (ISO 15930-7: "
        "only printer's marks and trap networks may be there) (links belong in the screen "
        "edition) [pdfx.annotation]"
    ]


@pytest.mark.parametrize("profile", ["print", "archive"])
def test_check_reports_smoothed_images(minimal, tmp_path, profile):
    def smooth(pdf: pikepdf.Pdf) -> None:
        next(images(pdf)).Interpolate = True

    path = mutate(minimal.pdf(profile), tmp_path / "x.pdf", smooth)
    assert found(path, profile, "pdf.interpolate") == [
        f"{path}: error: 1 image(s) ask to be smoothed (/Interpolate true; ISO 19005-3, "
        "6.2.8; the press must print the pixels it is given) (build again with this version "
        "of edition) [pdf.interpolate]"
    ]


def test_check_reports_a_print_edition_without_its_version_in_the_info(minimal, tmp_path):
    def drop(pdf: pikepdf.Pdf) -> None:
        del pdf.docinfo["/GTS_PDFXVersion"]

    path = mutate(minimal.pdf("print"), tmp_path / "x.pdf", drop)
    assert errors(path, "print") == ["pdfx.info-version"]


@pytest.mark.parametrize("profile", ["print", "archive"])
def test_check_reports_subsets_sharing_a_name(minimal, tmp_path, profile):
    def rename(pdf: pikepdf.Pdf) -> None:
        fonts = [f for f, _ in composite_fonts(pdf) if "Inter" in str(f.BaseFont)]
        base = fonts[0].BaseFont
        fonts[1].BaseFont = base

    path = mutate(minimal.pdf(profile), tmp_path / "x.pdf", rename)
    messages = found(path, profile, "pdf.font-subset-names")
    assert len(messages) == 1
    assert re.fullmatch(
        rf"{re.escape(str(path))}: error: the subset name [A-Z]{{6}}\+Inter\S* labels 2 "
        r"different embedded subsets \(ISO 32000-1, 9\.6\.4\) \(each subset needs a tag of "
        r"its own; a RIP that caches fonts by name draws glyphs from the wrong one\) "
        r"\[pdf\.font-subset-names\]",
        messages[0],
    )


def test_check_reports_widths_that_disagree_with_the_font(minimal, tmp_path):
    def widen(pdf: pikepdf.Pdf) -> None:
        font, _ = next(composite_fonts(pdf))
        w = font.DescendantFonts[0].W
        w[1][0] = float(w[1][0]) + 40

    path = mutate(minimal.pdf("archive"), tmp_path / "x.pdf", widen)
    assert errors(path, "archive") == ["pdf.font-widths"]


def test_check_reports_hidden_annotations_in_the_archive(minimal, tmp_path):
    def hide(pdf: pikepdf.Pdf) -> None:
        _, annot = next(annotations(pdf))
        annot.F = 2

    path = mutate(minimal.pdf("archive"), tmp_path / "x.pdf", hide)
    with pikepdf.open(minimal.pdf("archive")) as pdf:
        page = next(p for p, _ in annotations(pdf))
    assert errors(path, "archive") == [f"pdfa.annotation-flags@{page}"]


def test_check_reports_an_xmp_packet_with_an_encoding(minimal, tmp_path):
    def encode(pdf: pikepdf.Pdf) -> None:
        xmp = pdf.Root.Metadata.read_bytes().replace(
            b"<?xpacket begin", b'<?xpacket encoding="UTF-8" begin', 1
        )
        pdf.Root.Metadata = pdf.make_stream(xmp, Type=Name.Metadata, Subtype=Name.XML)

    path = mutate(minimal.pdf("archive"), tmp_path / "x.pdf", encode)
    assert errors(path, "archive") == ["pdfa.xmp-packet"]


def test_check_reports_an_embedded_file_without_its_mime_type(minimal, tmp_path):
    def strip(pdf: pikepdf.Pdf) -> None:
        del pdf.attachments["issue.toml"].obj.EF.F.stream_dict["/Subtype"]

    path = mutate(minimal.pdf("archive"), tmp_path / "x.pdf", strip)
    assert found(path, "archive", "pdfa.embedded-file") == [
        f"{path}: error: embedded file issue.toml lacks a MIME type (/Subtype) "
        "(ISO 19005-3, 6.8) [pdfa.embedded-file]"
    ]


def _screen_link_element(pdf: pikepdf.Pdf) -> tuple[pikepdf.Object, pikepdf.Object]:
    tree = parent_tree(pdf)
    _, annot = next((p, a) for p, a in annotations(pdf) if a.Subtype == Name.Link)
    return annot, tree[int(annot.StructParent)]


def test_check_reports_a_link_outside_a_link_element(minimal, tmp_path):
    def retag(pdf: pikepdf.Pdf) -> None:
        _, elem = _screen_link_element(pdf)
        elem.S = Name.Span

    path = mutate(minimal.pdf("screen"), tmp_path / "x.pdf", retag)
    assert "pdfua.link-tag" in {e.split("@")[0] for e in errors(path, "screen")}


def test_check_reports_a_link_described_by_its_slug(minimal, tmp_path):
    def slug(pdf: pikepdf.Pdf) -> None:
        annot = next(
            a for _, a in annotations(pdf) if "/Dest" in a and isinstance(a.Dest, pikepdf.String)
        )
        annot.Contents = annot.Dest

    path = mutate(minimal.pdf("screen"), tmp_path / "x.pdf", slug)
    assert [e.split("@")[0] for e in errors(path, "screen")] == ["pdfua.link-contents"]


def test_check_reports_a_first_heading_below_h1(minimal, tmp_path):
    def demote(pdf: pikepdf.Pdf) -> None:
        order, _ = structure(pdf)
        next(e for e in order if e.S == Name.H1).S = Name.H2

    path = mutate(minimal.pdf("screen"), tmp_path / "x.pdf", demote)
    assert errors(path, "screen") == ["pdfua.headings"]


def test_check_reports_an_element_cut_off_the_tree(minimal, tmp_path):
    def cut(pdf: pikepdf.Pdf) -> None:
        document = pdf.Root.StructTreeRoot.K[0]
        document.K = pikepdf.Array(list(document.K)[:-1])

    path = mutate(minimal.pdf("screen"), tmp_path / "x.pdf", cut)
    codes = {e.split("@")[0] for e in errors(path, "screen")}
    assert {"pdfua.unreachable", "pdfua.mcid"} <= codes


def test_check_reports_marked_content_in_a_form_the_tree_cannot_reach(minimal, tmp_path):
    def unlink(pdf: pikepdf.Pdf) -> None:
        form = next(
            o
            for o in pdf.objects
            if isinstance(o, pikepdf.Stream) and "/StructParents" in o.stream_dict
        )
        order, _ = structure(pdf)
        for elem in order:
            k = [
                int(kid.MCID)
                if isinstance(kid, pikepdf.Dictionary)
                and kid.get("/Stm") is not None
                and kid.Stm.objgen == form.objgen
                else kid
                for kid in kids(elem)
            ]
            elem.K = pikepdf.Array(k)

    path = mutate(minimal.pdf("screen"), tmp_path / "x.pdf", unlink)
    assert "pdfua.mcid" in {e.split("@")[0] for e in errors(path, "screen")}


def test_check_warns_of_small_type_in_four_inks(minimal, tmp_path):
    def navy(pdf: pikepdf.Pdf) -> None:
        page = pdf.pages[4]
        font = next(iter(page.Resources.Font.keys()))
        page.contents_add(
            pdf.make_stream(
                f"q BT 1 0.75 0.25 0.35 k {font} 7 Tf 100 100 Td <0024> Tj ET Q".encode()
            ),
            prepend=False,
        )

    path = mutate(minimal.pdf("print"), tmp_path / "x.pdf", navy)
    messages = found(path, "print", "print.small-type-inks")
    assert len(messages) == 1
    assert messages[0].startswith(
        f"{path}: page 5: warning: 1 glyph(s) of type under 9 pt in 4 inks"
    )
    assert messages[0].endswith(
        "at 7 pt in C+M+Y+K (small type in one ink: the plates never meet exactly) "
        "[print.small-type-inks]"
    )


# ---------------------------------------------------------------- identifiers, photos


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            'issn = "ISSN 2024-0142"',
            "'issn': 'ISSN 2024-0142' has a wrong check digit (the check digit of 2024-014 "
            "is 7: write 'ISSN 2024-0147') [issue.issn-check]",
        ),
        (
            'issn = "2024-014"',
            "'issn': '2024-014' is not an ISSN (write it as 'ISSN NNNN-NNNC': 7 digits and a "
            "check digit, 0-9 or X) [issue.issn-format]",
        ),
        (
            'ean = "9772024014001"',
            "'ean': '9772024014001' has a wrong check digit (the check digit of 977202401400 "
            "is 4: write '9772024014004') [issue.ean-check]",
        ),
        (
            'issn = "ISSN 0317-8471"\nean = "9772024014004"',
            "'ean': '9772024014004' does not carry the ISSN's digits 0317847 (a serial's "
            "EAN-13 is 977, the ISSN's first seven digits, two price digits and a check "
            "digit: '9770317847001') [issue.ean-issn]",
        ),
    ],
)
def test_issn_and_ean_are_checked_with_their_check_digits(make_issue, line, message):
    issue = make_issue("minimal")
    toml = issue / "issue.toml"
    text = toml.read_text("utf-8").replace("number = 7\n", f"number = 7\n{line}\n", 1)
    toml.write_text(text, "utf-8")
    result = invoke(["check", issue], exit_code=2)
    row = next(n for n, t in enumerate(text.splitlines(), 1) if t.startswith(line.split("\n")[-1]))
    assert f"{toml}:{row}: error: {message}" in result.output, result.output


def test_the_samples_identifiers_are_valid():
    """ISO 3297 (ISSN, mod 11) and EAN-13 (mod 10), computed here from the digits."""
    for toml in sorted((REPO / "issues").glob("*/issue.toml")):
        spec = tomllib.loads(toml.read_text("utf-8"))
        digits = re.sub(r"\D", "", spec["issn"][:-1]) + spec["issn"][-1]
        total = sum(int(d) * w for d, w in zip(digits[:7], range(8, 1, -1), strict=True))
        check = (11 - total % 11) % 11
        assert digits[7] == ("X" if check == 10 else str(check)), toml
        ean = spec["ean"]
        total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(ean[:12]))
        assert int(ean[12]) == (10 - total % 10) % 10, toml
        assert ean[:3] == "977" and ean[3:10] == digits[:7], toml


def test_a_photo_below_the_resolution_keeps_its_own_pixels(tmp_path):
    """Never upsample: a 200 x 100 px photo placed at 100 x 50 mm (51 ppi) stays 200 x 100,
    cropped to the box's shape; one with more pixels than the box needs is reduced."""
    from edition.photos.prepare import prepare_one
    from edition.plan.model import ImageRequest

    small = tmp_path / "small.jpg"
    Image.new("RGB", (200, 100), (90, 120, 150)).save(small, quality=95)
    out = prepare_one(ImageRequest(small, 100, 50, dpi=300), tmp_path, "a" * 64)
    assert (out.width_px, out.height_px) == (200, 100)
    with Image.open(out.path) as img:
        assert img.size == (200, 100)
    square = prepare_one(ImageRequest(small, 50, 50, dpi=300), tmp_path, "b" * 64)
    assert (square.width_px, square.height_px) == (100, 100)  # the middle of the photo
    big = tmp_path / "big.jpg"
    Image.new("RGB", (3000, 1500), (90, 120, 150)).save(big, quality=95)
    reduced = prepare_one(ImageRequest(big, 100, 50, dpi=300), tmp_path, "c" * 64)
    assert (reduced.width_px, reduced.height_px) == (1181, 591)  # 100 x 50 mm at 300 dpi


def test_the_text_of_a_page_read_before_is_taken_from_the_cache(minimal_pdf, tmp_path, monkeypatch):
    """The ink and font rules read every run of text; a rebuild reads again only the pages
    whose drawing changed, and gets the same runs."""
    from edition.check import inks
    from edition.check.pages import drawing_key

    profile = PROFILES["print"]
    store = tmp_path / "text-runs-print.json"
    with pikepdf.open(minimal_pdf) as pdf:
        fresh = list(inks.text_runs(pdf))
        keys = [drawing_key(page, profile) for page in pdf.pages]
        assert all(keys) and len(set(keys)) == len(keys)
        assert inks.remembered_text_runs(pdf, keys, store) == fresh
        read: list[int] = []
        real = inks._Reader.read

        def reading(self, *args, **kwargs):
            read.append(self.page)
            return real(self, *args, **kwargs)

        monkeypatch.setattr(inks._Reader, "read", reading)
        assert inks.remembered_text_runs(pdf, keys, store) == fresh
        assert read == []  # every page from the cache
        changed = [*keys[:2], "another drawing", *keys[3:]]
        assert inks.remembered_text_runs(pdf, changed, store) == fresh
        assert set(read) == {3}  # only the page whose drawing changed (and its forms)
