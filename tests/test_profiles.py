"""The three PDF profiles (print, screen, archive) read back with tools that did not write them.

The fixture issue `minimal` is built once in all three profiles (module fixture `built`);
every property is then read back with pikepdf/pypdf/pypdfium2 for structure and with the
poppler command-line tools (`pdfinfo`, `pdffonts`, `pdfimages`, `pdfdetach`) and
`qpdf --check`, which CI installs. Expected values come from the issue's own files
(issue.toml and the articles' front matter, read here with tomllib and PyYAML), from
assets/ and from the profile table of DESIGN.md, not from edition's code.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
import yaml
from conftest import FIXTURES, REPO, invoke
from fontTools.ttLib import TTFont
from PIL import Image, ImageCms
from pypdf import PdfReader

pytestmark = pytest.mark.slow

MM = 72 / 25.4
A4 = (0.0, 0.0, 210 * MM, 297 * MM)
BLEED = 3 * MM  # 8.504 pt
PROFILE_NAMES = ("print", "screen", "archive")
# DESIGN.md: print and archive 300 dpi (JPEG q88), screen 150 dpi at JPEG q80.
DPI = {"print": 300, "screen": 150, "archive": 300}
QUALITY = {"print": 88, "screen": 80, "archive": 88}
ISSUE_ID = "minimal"
# Added to the fixture's copy so that the screen edition has URLs to make clickable.
ARTICLE_URL = "https://contoh.example/latihan-gabungan"
IMPRINT_SITE = "www.uji-media.example"
IMPRINT_MAIL = "redaksi@uji-media.example"


# ---------------------------------------------------------------- helpers


def tool(*args: object) -> str:
    """Run a poppler/qpdf tool; its stdout (it must be installed: README, Quick start)."""
    exe = shutil.which(str(args[0]))
    assert exe, f"{args[0]} is not installed (apt-get install poppler-utils qpdf)"
    proc = subprocess.run([exe, *map(str, args[1:])], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"{args} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def pdfinfo(pdf: Path) -> dict[str, str]:
    """The document's entries; indented lines describe the PDF subtype (its standard's
    title, for PDF/X), not the document."""
    out = {}
    for line in tool("pdfinfo", pdf).splitlines():
        if line[:1].isspace():
            continue
        key, _, value = line.partition(":")
        out[key.strip()] = value.strip()
    return out


def page_boxes(pdf: Path) -> dict[int, dict[str, tuple[float, ...]]]:
    """Every page's boxes as `pdfinfo -box` reports them (it fills in absent boxes)."""
    text = tool("pdfinfo", "-box", "-f", 1, "-l", 100000, pdf)
    boxes: dict[int, dict[str, tuple[float, ...]]] = {}
    for m in re.finditer(
        r"^Page\s+(\d+)\s+(\w+Box):\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*$", text, re.M
    ):
        boxes.setdefault(int(m[1]), {})[m[2]] = tuple(float(m[i]) for i in range(3, 7))
    return boxes


def table(text: str) -> list[dict[str, str]]:
    """A poppler table (pdffonts, pdfimages -list): columns cut where the dashes are."""
    lines = text.splitlines()
    sep = next(i for i, line in enumerate(lines) if line.startswith("---"))
    starts = [m.start() for m in re.finditer(r"-+", lines[sep])]
    bounds = list(zip(starts, [*starts[1:], None], strict=True))
    names = [lines[sep - 1][a:b].strip() for a, b in bounds]
    return [
        {n: line[a:b].strip() for n, (a, b) in zip(names, bounds, strict=True)}
        for line in lines[sep + 1 :]
        if line.strip()
    ]


def pdfimages(pdf: Path) -> list[dict[str, str]]:
    rows = []
    lines = tool("pdfimages", "-list", pdf).splitlines()
    header = lines[0].replace("object ID", "object gen").split()
    for line in lines[2:]:
        if line.strip():
            rows.append(dict(zip(header, line.split(), strict=True)))
    return rows


def close(a: float, b: float, tol: float = 0.02) -> bool:
    return abs(a - b) <= tol


def norm(text: str) -> str:
    return " ".join(text.split())


def page_text(doc: pdfium.PdfDocument, index: int) -> str:
    page = doc[index]
    tp = page.get_textpage()
    try:
        return norm(tp.get_text_range())
    finally:
        tp.close()
        page.close()


def rect_text(doc: pdfium.PdfDocument, index: int, rect: list[float]) -> str:
    x0, y0, x1, y1 = (float(v) for v in rect)
    page = doc[index]
    tp = page.get_textpage()
    try:
        return norm(
            tp.get_text_bounded(min(x0, x1) - 1, min(y0, y1) - 1, max(x0, x1) + 1, max(y0, y1) + 1)
        )
    finally:
        tp.close()
        page.close()


def headline_page(doc: pdfium.PdfDocument, title: str, after: int) -> int:
    """1-based page after page `after` where `title` is set large (a headline, >= 20 pt)."""
    words = " ".join(title.split()[:3])
    for i in range(after, len(doc)):
        page = doc[i]
        tp = page.get_textpage()
        try:
            search = tp.search(words, match_case=True)
            while (found := search.get_next()) is not None:
                _, bottom, _, top = tp.get_charbox(found[0], loose=True)
                if top - bottom >= 20:
                    return i + 1
        finally:
            tp.close()
            page.close()
    raise AssertionError(f"headline {title!r} not found after page {after}")


def page_index(pdf: pikepdf.Pdf) -> dict[tuple[int, int], int]:
    return {p.obj.objgen: i + 1 for i, p in enumerate(pdf.pages)}


def link_target(pdf: pikepdf.Pdf, annot: pikepdf.Dictionary) -> int | str | None:
    """A link annotation's 1-based destination page, its URI, or None."""
    dest = annot.get("/Dest")
    action = annot.get("/A")
    if action is not None:
        if action.get("/S") == pikepdf.Name.URI:
            return str(action.URI)
        if action.get("/S") == pikepdf.Name.GoTo:
            dest = action.get("/D")
    if isinstance(dest, pikepdf.String | pikepdf.Name):
        key = str(dest).lstrip("/")
        dest = None
        if "/Names" in pdf.Root and "/Dests" in pdf.Root.Names:
            tree = pikepdf.NameTree(pdf.Root.Names.Dests)
            dest = tree.get(key)
        if dest is None and "/Dests" in pdf.Root:
            dest = pdf.Root.Dests.get("/" + key)
        if isinstance(dest, pikepdf.Dictionary):
            dest = dest.get("/D")
    if isinstance(dest, pikepdf.Array) and len(dest):
        return page_index(pdf).get(dest[0].objgen)
    return None


def links(pdf: pikepdf.Pdf) -> list[tuple[int, list[float], int | str | None]]:
    """(page, rect, target) of every link annotation."""
    out = []
    for i, page in enumerate(pdf.pages, 1):
        for annot in page.obj.get("/Annots", []):
            if annot.get("/Subtype") == pikepdf.Name.Link:
                out.append((i, [float(v) for v in annot.Rect], link_target(pdf, annot)))
    return out


def outline(pdf_path: Path) -> list[tuple[str, int, list[tuple[str, int]]]]:
    """Top-level bookmarks as (title, page, [(child title, page)]), read with pypdf."""
    reader = PdfReader(pdf_path)
    out: list[tuple[str, int, list[tuple[str, int]]]] = []
    for item in reader.outline:
        if isinstance(item, list):
            assert out, "children before any top-level bookmark"
            for child in item:
                assert not isinstance(child, list), "bookmarks nested deeper than two levels"
                out[-1][2].append(
                    (norm(child.title), reader.get_destination_page_number(child) + 1)
                )
        else:
            out.append((norm(item.title), reader.get_destination_page_number(item) + 1, []))
    return out


def front_matter(path: Path) -> dict:
    text = path.read_text("utf-8")
    return yaml.safe_load(text.split("---", 2)[1])


@dataclass
class Issue:
    """What the fixture issue says, read from its files with tomllib and PyYAML."""

    root: Path
    spec: dict
    articles: dict[str, dict]  # slug -> front matter, in the order of the rubrics

    @classmethod
    def read(cls, root: Path) -> Issue:
        spec = tomllib.loads((root / "issue.toml").read_text("utf-8"))
        articles = {
            slug: front_matter(root / "articles" / f"{slug}.md")
            for rubric in spec["rubrics"]
            for slug in rubric["articles"]
        }
        return cls(root, spec, articles)

    def title(self, slug: str) -> str:
        return self.articles[slug]["title"]


@dataclass
class Built:
    issue: Path
    out: Path

    def pdf(self, profile: str) -> Path:
        return self.out / ISSUE_ID / f"{ISSUE_ID}-{profile}.pdf"


def make_fixture_copy(dest_parent: Path) -> Path:
    """The minimal fixture, plus a web link in an article and a website in the imprint."""
    issue = dest_parent / ISSUE_ID
    shutil.copytree(FIXTURES / ISSUE_ID, issue)
    article = issue / "articles" / "latihan-gabungan.md"
    article.write_text(
        article.read_text("utf-8").rstrip("\n")
        + f"\n\nLaporan lengkap ada di [situs latihan]({ARTICLE_URL}).\n",
        "utf-8",
    )
    toml = issue / "issue.toml"
    text = toml.read_text("utf-8").replace(
        'publisher = "PT Uji Media"',
        f'publisher = "PT Uji Media"\nwebsite = "{IMPRINT_SITE}"\nemail = "{IMPRINT_MAIL}"',
    )
    assert IMPRINT_SITE in text
    toml.write_text(text, "utf-8")
    return issue


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = tmp_path_factory.mktemp("profiles")
    issue = make_fixture_copy(root / "first")
    out = root / "dist-first"
    # Exit 1: the fixture's photos are too small for print and it has no ISSN.
    invoke(["build", issue, "--profile", "all", "--out", out], exit_code=1)
    return Built(issue, out)


@pytest.fixture(scope="module")
def issue(built: Built) -> Issue:
    return Issue.read(built.issue)


# ---------------------------------------------------------------- every profile


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_qpdf_check_passes(built, profile):
    out = tool("qpdf", "--check", built.pdf(profile))
    assert "No syntax or stream encoding errors found" in out


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_not_encrypted_and_no_javascript(built, profile):
    info = pdfinfo(built.pdf(profile))
    assert info["Encrypted"] == "no" and info["JavaScript"] == "no"
    with pikepdf.open(built.pdf(profile)) as pdf:
        assert not pdf.is_encrypted
        assert "/OpenAction" not in pdf.Root and "/AA" not in pdf.Root
        assert "/JavaScript" not in pdf.Root.get("/Names", {})
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary):
                assert obj.get("/S") != pikepdf.Name.JavaScript and "/JS" not in obj, obj.objgen
                assert "/AA" not in obj, obj.objgen  # no additional (triggered) actions


def bundled_fonts() -> dict[str, float]:
    """PostScript name -> font revision of every font in assets/fonts."""
    out = {}
    for f in sorted((REPO / "assets" / "fonts").glob("*.[ot]tf")):
        with TTFont(f, lazy=True) as font:
            out[font["name"].getDebugName(6)] = round(font["head"].fontRevision, 3)
    return out


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_fonts_embedded_and_only_from_assets(built, profile):
    rows = table(tool("pdffonts", built.pdf(profile)))
    assert rows, "no fonts"
    for row in rows:
        assert row["emb"] == "yes", row
        assert "Type 3" not in row["type"], row
    # The embedded font programs themselves: each one's PostScript name and revision are
    # those of a file in assets/fonts (a system font of the same family would differ).
    bundled = bundled_fonts()
    programs = 0
    with pikepdf.open(built.pdf(profile)) as pdf:
        for obj in pdf.objects:
            if not (
                isinstance(obj, pikepdf.Dictionary)
                and obj.get("/Type") == pikepdf.Name.FontDescriptor
            ):
                continue
            files = [obj[k] for k in ("/FontFile", "/FontFile2", "/FontFile3") if k in obj]
            assert files, f"{obj.FontName} has no font program"
            with TTFont(io.BytesIO(files[0].read_bytes())) as font:
                ps = font["name"].getDebugName(6)
                assert ps in bundled, (str(obj.FontName), ps)
                assert round(font["head"].fontRevision, 3) == bundled[ps], ps
            programs += 1
    assert programs == len(rows)


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_images_colour_resolution_and_jpeg_quality(built, profile):
    rows = [r for r in pdfimages(built.pdf(profile)) if r["type"] == "image"]
    sizes = []  # of every picture of the issue, upright
    for folder in ("photos", "ads"):
        for file in sorted((built.issue / folder).iterdir()):
            with Image.open(file) as img:
                rotated = img.getexif().get(0x0112, 1) in (5, 6, 7, 8)
                sizes.append(img.size[::-1] if rotated else img.size)
    assert len(rows) >= 9  # cover, 2 thumbs, 2 leads, half ad, 2 Inframe, back-cover ad
    colours = {"print": {"cmyk"}, "screen": {"rgb", "gray"}, "archive": {"rgb", "gray"}}
    for row in rows:
        assert row["color"] in colours[profile], row
        assert row["enc"] == "jpeg", row
        # Photos are resampled to the size they are placed at, at the profile's resolution
        # or at their own when they have less (the fixture's originals are far smaller:
        # they are never enlarged, and preflight reports them).
        assert int(row["x-ppi"]) <= DPI[profile] + 1, row
        assert int(row["y-ppi"]) <= DPI[profile] + 1, row
        w, h = int(row["width"]), int(row["height"])
        assert any(w <= sw + 1 and h <= sh + 1 for sw, sh in sizes), (row, sizes)
    # JPEG quality: the quantisation tables are libjpeg's at the profile's quality.
    ref = io.BytesIO()
    Image.new("RGB", (8, 8)).save(ref, "JPEG", quality=QUALITY[profile])
    with Image.open(ref) as img:
        want = img.quantization[0]
    seen = 0
    with pikepdf.open(built.pdf(profile)) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == pikepdf.Name.Image:
                assert obj.get("/Filter") == pikepdf.Name.DCTDecode
                with Image.open(io.BytesIO(obj.read_raw_bytes())) as img:
                    assert img.quantization[0] == want, obj.objgen
                seen += 1
    assert seen == len(rows)


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_identity_in_info_and_xmp(built, issue, profile):
    info = pdfinfo(built.pdf(profile))
    number = issue.spec["number"]
    assert info["Title"].startswith(f"{issue.spec['magazine']} Edisi {number}")
    assert info["Author"]
    with pikepdf.open(built.pdf(profile)) as pdf:
        assert str(pdf.Root.Lang) == "id"
        meta = pdf.open_metadata()
        assert meta["dc:identifier"] == ISSUE_ID
        assert list(meta["dc:date"]) == [issue.spec["date"].isoformat()]
        assert "id" in set(meta["dc:language"])
        assert meta["dc:title"] == info["Title"] == str(pdf.docinfo.Title)
        assert list(meta["dc:creator"]) == [info["Author"]]


def test_xmp_source_of_an_issue_without_title_has_no_none(built, issue):
    assert "title" not in issue.spec
    with pikepdf.open(built.pdf("archive")) as pdf:
        source = str(pdf.open_metadata()["dc:source"])
    assert "None" not in source, source


# ---------------------------------------------------------------- print


def test_print_output_intent_is_pdfx_fogra39(built):
    icc = (REPO / "assets" / "icc" / "edition-fogra39.icc").read_bytes()
    with pikepdf.open(built.pdf("print")) as pdf:
        intents = list(pdf.Root.OutputIntents)
        assert [str(i.S) for i in intents] == ["/GTS_PDFX"]
        intent = intents[0]
        assert str(intent.OutputConditionIdentifier) == "FOGRA39"
        profile = intent.DestOutputProfile
        assert int(profile.N) == 4
        data = profile.read_bytes()
        assert data[12:20] == b"prtrCMYK"  # the ICC header: an output profile, CMYK
        # WeasyPrint writes the profile back through LittleCMS, so the bytes are not the
        # file's; the profile is: same name, and it separates colours exactly as the file.
        embedded = ImageCms.ImageCmsProfile(io.BytesIO(data))
        bundled = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        assert ImageCms.getProfileDescription(embedded) == ImageCms.getProfileDescription(bundled)
        swatch = Image.new("RGB", (4, 1))
        swatch.putdata([(255, 0, 0), (0, 128, 255), (30, 30, 30), (250, 240, 200)])
        srgb = ImageCms.createProfile("sRGB")
        assert (
            ImageCms.profileToProfile(swatch, srgb, embedded, outputMode="CMYK").tobytes()
            == ImageCms.profileToProfile(swatch, srgb, bundled, outputMode="CMYK").tobytes()
        )
        assert pdf.pdf_version >= "1.6"  # PDF/X-4 is based on PDF 1.6
        assert pdf.open_metadata()["pdfxid:GTS_PDFXVersion"] == "PDF/X-4"


def _colour_ops(pdf: pikepdf.Pdf) -> tuple[set[str], set[str]]:
    """Every operator and colour space name used in any content stream: the pages', and
    those of form XObjects (nested groups, annotation appearances), tiling patterns and
    Type 3 glyphs, wherever they hang."""
    streams: list[pikepdf.Object] = [page.obj for page in pdf.pages]
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary) and "/CharProcs" in obj:
            streams.extend(obj.CharProcs.values())
        if isinstance(obj, pikepdf.Stream) and (
            obj.stream_dict.get("/Subtype") == pikepdf.Name.Form
            or "/PatternType" in obj.stream_dict
        ):
            streams.append(obj)
    ops: set[str] = set()
    spaces: set[str] = set()
    for stream in streams:
        for operands, op in pikepdf.parse_content_stream(stream):
            ops.add(str(op))
            if str(op) in ("cs", "CS") and operands:
                spaces.add(str(operands[0]))
    return ops, spaces


def test_print_has_no_rgb_anywhere(built):
    with pikepdf.open(built.pdf("print")) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream):
                assert "/DeviceRGB" not in repr(obj.stream_dict), obj.objgen
                assert obj.stream_dict.get("/N") != 3, f"RGB ICC profile {obj.objgen}"
            elif isinstance(obj, pikepdf.Dictionary | pikepdf.Array):
                assert "/DeviceRGB" not in repr(obj), obj.objgen
        ops, spaces = _colour_ops(pdf)
        assert not ops & {"rg", "RG"}, "RGB colour operators in the content"
        assert "/DeviceRGB" not in spaces
        for page in pdf.pages:
            for name, cs in page.obj.Resources.get("/ColorSpace", {}).items():
                if isinstance(cs, pikepdf.Array) and cs[0] == pikepdf.Name.ICCBased:
                    assert int(cs[1].N) == 4, name


def test_print_boxes_bleed_and_marks(built):
    boxes = page_boxes(built.pdf("print"))
    assert boxes and len(boxes) == int(pdfinfo(built.pdf("print"))["Pages"])
    for n, b in boxes.items():
        trim, bleed, media = b["TrimBox"], b["BleedBox"], b["MediaBox"]
        assert all(close(a, e) for a, e in zip(trim, A4, strict=True)), (n, trim)
        want = (trim[0] - BLEED, trim[1] - BLEED, trim[2] + BLEED, trim[3] + BLEED)
        assert all(close(a, e) for a, e in zip(bleed, want, strict=True)), (n, bleed)
        # the MediaBox is wider than the bleed on every side: room for the crop marks
        assert media[0] < bleed[0] - 1 and media[1] < bleed[1] - 1, (n, media)
        assert media[2] > bleed[2] + 1 and media[3] > bleed[3] + 1, (n, media)


def test_print_crop_marks_outside_the_bleed_on_the_trim_lines(built):
    doc = pdfium.PdfDocument(built.pdf("print"))
    try:
        for i in range(len(doc)):
            page = doc[i]
            tl, tb, tr, tt = page.get_trimbox()
            bl, bb, br, bt = page.get_bleedbox()
            xs, ys = set(), set()
            for obj in page.get_objects(max_depth=3):
                if obj.type != pdfium.raw.FPDF_PAGEOBJ_PATH:
                    continue
                left, bottom, right, top = obj.get_bounds()
                outside = right <= bl or left >= br or top <= bb or bottom >= bt
                if not outside:
                    continue
                if right - left < 1:  # a vertical mark: at a vertical trim line
                    xs.add(round((left + right) / 2, 1))
                if top - bottom < 1:
                    ys.add(round((top + bottom) / 2, 1))
            page.close()
            assert {round(tl, 1), round(tr, 1)} <= xs, (i + 1, xs)
            assert {round(tb, 1), round(tt, 1)} <= ys, (i + 1, ys)
    finally:
        doc.close()


@pytest.mark.parametrize("profile", ["print", "archive"])
def test_page_count_multiple_of_4(built, profile):
    pages = int(pdfinfo(built.pdf(profile))["Pages"])
    assert pages % 4 == 0 and pages >= 12


# ---------------------------------------------------------------- screen


def test_screen_has_no_bleed_and_no_marks(built):
    boxes = page_boxes(built.pdf("screen"))
    assert boxes
    for n, b in boxes.items():
        for name in ("MediaBox", "TrimBox", "BleedBox", "CropBox"):
            assert all(close(a, e) for a, e in zip(b[name], A4, strict=True)), (n, name, b)


def test_screen_is_tagged_pdf_ua(built, issue):
    assert pdfinfo(built.pdf("screen"))["Tagged"] == "yes"
    with pikepdf.open(built.pdf("screen")) as pdf:
        root = pdf.Root
        assert "/StructTreeRoot" in root and root.MarkInfo.Marked is True
        assert pdf.open_metadata()["pdfuaid:part"] == "1"
        assert root.ViewerPreferences.DisplayDocTitle is True
        figures, stack, seen = [], [root.StructTreeRoot], set()
        while stack:
            node = stack.pop()
            if isinstance(node, pikepdf.Array):
                stack.extend(node)
                continue
            if not isinstance(node, pikepdf.Dictionary):
                continue
            if node.is_indirect:
                if node.objgen in seen:
                    continue
                seen.add(node.objgen)
            if node.get("/S") == pikepdf.Name.Figure:
                figures.append(node)
            if "/K" in node:
                stack.append(node.K)
    assert figures
    alts = [str(f.get("/Alt", "")).strip() for f in figures]
    assert all(alts), alts
    # the captions of the issue are the alt texts of its photos
    captions = {a["lead_caption"] for a in issue.articles.values() if "lead_caption" in a}
    captions |= {p["caption"] for p in issue.spec["inframe"]}
    assert captions <= set(alts), captions - set(alts)


def test_screen_bookmarks(built, issue):
    marks = outline(built.pdf("screen"))
    rubrics = [r["name"] for r in issue.spec["rubrics"]]
    assert [t for t, _, _ in marks] == [
        "Sampul",
        "Daftar Isi",
        "Berita Terbaru",
        *rubrics,
        "Inframe",
    ]
    doc = pdfium.PdfDocument(built.pdf("screen"))
    try:
        by_title = {t: (page, kids) for t, page, kids in marks}
        assert by_title["Sampul"][0] == 1
        contents = by_title["Daftar Isi"][0]
        assert "Daftar Isi" in page_text(doc, contents - 1)
        assert (
            "BERITATERBARU"
            in re.sub(r"\s", "", page_text(doc, by_title["Berita Terbaru"][0] - 1)).upper()
        )
        for rubric in issue.spec["rubrics"]:
            page, kids = by_title[rubric["name"]]
            want = [
                (norm(issue.title(s)), headline_page(doc, issue.title(s), contents))
                for s in rubric["articles"]
            ]
            assert kids == want, rubric["name"]
            assert page == want[0][1]  # a rubric's bookmark opens on its first article
        for title in ("Sampul", "Daftar Isi", "Berita Terbaru", "Inframe"):
            assert by_title[title][1] == [], title
        inframe = page_text(doc, by_title["Inframe"][0] - 1)
        assert "INFRAME" in inframe.upper() and issue.spec["inframe"][0]["caption"] in inframe
    finally:
        doc.close()


def test_screen_contents_entries_link_to_the_headlines(built, issue):
    marks = {t: p for t, p, _ in outline(built.pdf("screen"))}
    contents = marks["Daftar Isi"]
    doc = pdfium.PdfDocument(built.pdf("screen"))
    try:
        with pikepdf.open(built.pdf("screen")) as pdf:
            on_contents = [(rect, target) for page, rect, target in links(pdf) if page == contents]
            for slug in issue.articles:
                title = issue.title(slug)
                start = headline_page(doc, title, contents)
                words = " ".join(title.split()[:2])
                hits = [t for rect, t in on_contents if words in rect_text(doc, contents - 1, rect)]
                assert hits, f"no link on the contents page for {title!r}"
                assert start in hits, (title, start, hits)
            for section in ("Berita Terbaru", "Inframe"):
                hits = [
                    t for rect, t in on_contents if section in rect_text(doc, contents - 1, rect)
                ]
                assert marks[section] in hits, (section, hits)
    finally:
        doc.close()


def test_screen_baca_juga_links_go_to_the_related_articles(built, issue):
    marks = {t: p for t, p, _ in outline(built.pdf("screen"))}
    contents = marks["Daftar Isi"]
    doc = pdfium.PdfDocument(built.pdf("screen"))
    try:
        starts = {s: headline_page(doc, issue.title(s), contents) for s in issue.articles}
        with pikepdf.open(built.pdf("screen")) as pdf:
            all_links = links(pdf)
        checked = 0
        for slug, meta in issue.articles.items():
            related = [r for r in meta.get("related", []) if r in issue.articles]
            if not related:
                continue
            first = starts[slug]
            last = min([p for p in starts.values() if p > first], default=len(doc) + 1) - 1
            for other in related:
                hits = [
                    rect_text(doc, page - 1, rect)
                    for page, rect, target in all_links
                    if first <= page <= last and target == starts[other]
                ]
                assert hits, f"no link from {slug} to {other} (page {starts[other]})"
                assert any(h and h.split()[0] in issue.title(other) for h in hits), hits
                checked += 1
        assert checked >= 3
    finally:
        doc.close()


def test_screen_links_all_resolve_and_urls_are_clickable(built):
    with pikepdf.open(built.pdf("screen")) as pdf:
        all_links = links(pdf)
        pages = len(pdf.pages)
    assert all_links
    for page, rect, target in all_links:
        assert target is not None, f"link on page {page} at {rect} goes nowhere"
        if isinstance(target, int):
            assert 1 <= target <= pages
    uris = {t for _, _, t in all_links if isinstance(t, str)}
    assert ARTICLE_URL in uris
    doc = pdfium.PdfDocument(built.pdf("screen"))
    try:
        texts = [rect_text(doc, p - 1, r) for p, r, t in all_links if t == ARTICLE_URL]
    finally:
        doc.close()
    assert any("situs" in t for t in texts), texts  # the link's words (it may be hyphenated)


def test_screen_links_are_in_the_structure_tree(built):
    """PDF/UA-1: each link annotation is reachable from the structure tree (/StructParent),
    has a description (/Contents), and pages with annotations use structure tab order."""
    with pikepdf.open(built.pdf("screen")) as pdf:
        seen = 0
        for i, page in enumerate(pdf.pages, 1):
            annots = [
                a for a in page.obj.get("/Annots", []) if a.get("/Subtype") == pikepdf.Name.Link
            ]
            if annots:
                assert page.obj.get("/Tabs") == pikepdf.Name.S, i
            for annot in annots:
                assert "/StructParent" in annot, i
                assert str(annot.get("/Contents", "")).strip(), i
                seen += 1
    assert seen


def test_screen_imprint_website_and_email_are_clickable(built):
    with pikepdf.open(built.pdf("screen")) as pdf:
        uris = {t for _, _, t in links(pdf) if isinstance(t, str)}
    assert any(IMPRINT_SITE in u for u in uris), uris
    assert any(u == f"mailto:{IMPRINT_MAIL}" for u in uris), uris


@pytest.fixture(scope="module")
def sample_screen_pdf(sample_edition) -> Path:
    return sample_edition("screen")


def test_sample_screen_pdf_is_at_most_a_quarter_of_the_print_pdf(sample_pdf, sample_screen_pdf):
    # README: "about a fifth of the print PDF's size for the sample" (3.6 of 16.8 MB).
    screen, printed = sample_screen_pdf.stat().st_size, sample_pdf.stat().st_size
    assert screen * 4 <= printed, (screen, printed)
    assert int(pdfinfo(sample_screen_pdf)["Pages"]) >= int(pdfinfo(sample_pdf)["Pages"]) - 3


# ---------------------------------------------------------------- archive


def test_archive_is_pdfa3b_with_srgb_intent(built):
    with pikepdf.open(built.pdf("archive")) as pdf:
        intents = list(pdf.Root.OutputIntents)
        assert [str(i.S) for i in intents] == ["/GTS_PDFA1"]
        profile = intents[0].DestOutputProfile
        assert int(profile.N) == 3
        data = profile.read_bytes()
        assert data[16:20] == b"RGB "
        description = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(data)))
        assert "sRGB" in description
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "3" and meta["pdfaid:conformance"] == "B"
        assert "/ID" in pdf.trailer


def test_archive_has_no_cmyk(built):
    rows = pdfimages(built.pdf("archive"))
    assert rows and all(r["color"] != "cmyk" for r in rows)
    with pikepdf.open(built.pdf("archive")) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream):
                assert obj.stream_dict.get("/N") != 4, obj.objgen
                assert "/DeviceCMYK" not in repr(obj.stream_dict), obj.objgen


def archive_wanted(root: Path, issue: Issue) -> dict[str, Path]:
    """Every file the issue is built from, by its name in the archive: issue.toml, the
    articles, the pictures issue.toml and the articles name, the layout's files."""
    wanted = {"issue.toml": root / "issue.toml"}
    named = [issue.spec.get("cover", {}).get("photo")]
    named += [i["photo"] for i in issue.spec.get("inframe", [])]
    named += [n.get("photo") for n in issue.spec.get("news", [])]
    named += [a["artwork"] for a in issue.spec.get("ads", [])]
    for slug, meta in issue.articles.items():
        wanted[f"articles/{slug}.md"] = root / "articles" / f"{slug}.md"
        named.append(meta.get("lead_photo"))
        body = (root / "articles" / f"{slug}.md").read_text("utf-8").split("---", 2)[2]
        named += re.findall(r"!\[[^\]]*\]\(([^)\s]+)", body)
    wanted |= {rel: root / rel for rel in named if rel}
    layout = REPO / "layouts" / "classic"
    for path in sorted(layout.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            wanted[f"layouts/classic/{path.relative_to(layout).as_posix()}"] = path
    return wanted


def test_archive_embeds_the_sources_as_associated_files(built, issue, tmp_path):
    wanted = archive_wanted(built.issue, issue)
    listing = tool("pdfdetach", "-list", built.pdf("archive"))
    names = dict(re.findall(r"^(\d+): (.+)$", listing, re.M))
    # ...and a manifest of the programs and bundled assets the build used
    assert sorted(names.values()) == sorted([*wanted, "edition.json"])
    for index, name in names.items():
        target = tmp_path / f"{index}.bin"
        tool("pdfdetach", "-save", index, "-o", target, built.pdf("archive"))
        if name == "edition.json":
            manifest = json.loads(target.read_text("utf-8"))
            assert manifest["files"] == {
                n: hashlib.sha256(p.read_bytes()).hexdigest() for n, p in wanted.items()
            }
            fonts = REPO / "assets" / "fonts" / "Inter-Bold.otf"
            assert (
                manifest["assets"]["fonts/Inter-Bold.otf"]
                == hashlib.sha256(fonts.read_bytes()).hexdigest()
            )
            wanted["edition.json"] = target
            continue
        assert target.read_bytes() == wanted[name].read_bytes(), name
    day = issue.spec["date"].strftime("D:%Y%m%d")
    with pikepdf.open(built.pdf("archive")) as pdf:
        af = [spec.objgen for spec in pdf.Root.AF]
        assert len(af) == len(wanted)
        for name, spec in pdf.attachments.items():
            assert spec.obj.objgen in af, name
            assert spec.obj.AFRelationship == pikepdf.Name.Source, name
            stream = spec.obj.EF.F
            params = stream.Params
            data = wanted[name].read_bytes()
            assert stream.read_bytes() == data
            assert int(params.Size) == len(data)
            assert bytes(params.CheckSum) == hashlib.md5(data, usedforsecurity=False).digest()
            # the dates are the issue's, not the build's: rebuilds give the same bytes
            assert str(params.ModDate).startswith(day), (name, params.ModDate)
            assert str(params.CreationDate).startswith(day), (name, params.CreationDate)
            assert "/Subtype" in stream.stream_dict, name  # a MIME type, as PDF/A-3 wants


# ---------------------------------------------------------------- reproducible builds


@pytest.fixture(scope="module")
def rebuilt(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same issue built again: from a copy in another parent folder (same folder name,
    so the same issue id), into another output folder, from another working folder, with
    the clock stopped 7 years later and in another time zone (in-process: time.time,
    time.localtime and WeasyPrint's own `from time import localtime` frozen, TZ set)."""
    import weasyprint.pdf.pdfx

    root = tmp_path_factory.mktemp("rebuilt")
    issue = root / "another" / "parent" / ISSUE_ID
    shutil.copytree(built.issue, issue)
    out = root / "elsewhere-out"
    when = 1_950_000_000.0  # 2031-10-17
    real_localtime = time.localtime

    def localtime(secs: float | None = None) -> time.struct_time:
        return real_localtime(when if secs is None else secs)

    with pytest.MonkeyPatch.context() as m:
        m.setattr(time, "time", lambda: when)
        m.setattr(time, "localtime", localtime)
        m.setattr(weasyprint.pdf.pdfx, "localtime", localtime)
        m.setenv("TZ", "Asia/Jayapura")
        m.setenv("EDITION_CACHE", str(root / "cache"))  # laid out again, not taken from a cache
        m.chdir(root)
        time.tzset()
        try:
            invoke(["build", issue, "--profile", "all", "--out", out], exit_code=1)
        finally:
            m.undo()
            time.tzset()
    return out


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_rebuild_elsewhere_at_another_time_is_byte_identical(built, rebuilt, profile):
    again = rebuilt / ISSUE_ID / f"{ISSUE_ID}-{profile}.pdf"
    assert again.read_bytes() == built.pdf(profile).read_bytes()


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_rebuild_differs_at_most_in_the_trailer_id(built, rebuilt, profile):
    """Everything but the trailer's /ID, object by object (narrows a failure above down)."""
    again = rebuilt / ISSUE_ID / f"{ISSUE_ID}-{profile}.pdf"
    with pikepdf.open(built.pdf(profile)) as a, pikepdf.open(again) as b:
        assert len(a.objects) == len(b.objects)
        for x, y in zip(a.objects, b.objects, strict=True):
            assert x.objgen == y.objgen
            if isinstance(x, pikepdf.Stream):
                assert isinstance(y, pikepdf.Stream), x.objgen
                assert x.read_raw_bytes() == y.read_raw_bytes(), x.objgen
                assert repr(x.stream_dict) == repr(y.stream_dict), x.objgen
            else:
                assert repr(x) == repr(y), x.objgen
        assert a.open_metadata()["xmpMM:DocumentID"] == b.open_metadata()["xmpMM:DocumentID"]


def test_rebuild_writes_the_same_metadata_json(built, rebuilt):
    name = f"{ISSUE_ID}.json"  # documented: sorted keys, no timestamps, no paths
    assert (rebuilt / ISSUE_ID / name).read_bytes() == (built.out / ISSUE_ID / name).read_bytes()


@pytest.fixture(scope="module")
def faked(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same issue built in another process under libfaketime (which also stops the
    clock for C code and datetime), in another time zone; skipped without `faketime`."""
    faketime = shutil.which("faketime")
    if faketime is None:
        pytest.skip("faketime is not installed (apt-get install faketime)")
    root = tmp_path_factory.mktemp("faked")
    issue = root / "faked" / ISSUE_ID
    shutil.copytree(built.issue, issue)
    out = root / "faked-out"
    # A cache of its own: laid out again, not taken from the session's cache.
    env = {**os.environ, "TZ": "Asia/Jayapura", "NO_COLOR": "1", "EDITION_CACHE": str(root / "c")}
    proc = subprocess.run(
        [
            faketime,
            "2033-03-03 03:03:03",
            sys.executable,
            "-m",
            "edition.cli",
            "build",
            str(issue),
            "--profile",
            "all",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr  # preflight errors, as above
    return out


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_rebuild_in_another_process_under_faketime_is_byte_identical(built, faked, profile):
    again = faked / ISSUE_ID / f"{ISSUE_ID}-{profile}.pdf"
    assert again.read_bytes() == built.pdf(profile).read_bytes()


def test_archive_with_other_bytes_is_replaced_only_with_force(built, tmp_path):
    issue = tmp_path / "f" / ISSUE_ID
    shutil.copytree(built.issue, issue)
    out = tmp_path / "f-out"
    target = out / ISSUE_ID / f"{ISSUE_ID}-archive.pdf"
    target.parent.mkdir(parents=True)
    shutil.copyfile(built.pdf("archive"), target)  # as a build of the unchanged issue left it
    old = target.read_bytes()
    article = issue / "articles" / "gudang-baru.md"
    changed = article.read_text("utf-8") + "\nSatu paragraf tambahan setelah terbit.\n"
    article.write_text(changed, "utf-8")

    result = invoke(["build", issue, "--profile", "archive", "--out", out], exit_code=2)
    assert "--force" in result.output
    assert target.read_bytes() == old

    invoke(["build", issue, "--profile", "archive", "--out", out, "--force"], exit_code=1)
    new = target.read_bytes()
    assert new != old
    with pikepdf.open(target) as pdf:
        embedded = pdf.attachments["articles/gudang-baru.md"].get_file().read_bytes()
    assert embedded == changed.encode("utf-8")
