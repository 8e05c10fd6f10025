"""Preflight: every finding made to happen (in an issue or a PDF crafted for it), and not
happening in the clean case; `edition check`'s JSON report and exit codes.

`clean` is the minimal fixture with its photos enlarged enough for the screen edition
(150 dpi), built once in the screen and archive profiles; the print PDF is conftest's
session-wide `minimal_pdf`. Broken cases are copies changed with pikepdf or in the issue
folder: the builds are shared, never changed in place.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pytest
from conftest import ENLARGE, FIXTURES, LAST, PRODUCED, REPO, SAMPLE, enlarge_photos, invoke
from pikepdf import Name
from PIL import Image
from pypdf import PdfReader

from edition.check.preflight import check_pdf
from edition.issue.load import load_issue
from edition.layout.load import load_layout
from edition.photos.cache import prepared_files
from edition.plan.plan import plan_issue
from edition.profiles import PROFILES
from edition.store.paths import cache_folder

pytestmark = pytest.mark.slow

MM = 72 / 25.4
W, H = 210 * MM, 297 * MM
BLEED = 3 * MM
ISSUE_ID = "minimal"
LAYOUT = REPO / "layouts" / "classic"  # embedded in the archive edition with the sources
FINDING_KEYS = {"severity", "code", "message", "file", "line", "page", "object"}


# ---------------------------------------------------------------- helpers


def check(issue: Path, out: Path, *args: str, exit_code: int = 0) -> dict:
    """`edition check --format json`, parsed."""
    result = invoke(["check", issue, "--out", out, "--format", "json", *args], exit_code=exit_code)
    return json.loads(result.stdout)


def findings(report: dict, profile: str | None = None) -> list[dict]:
    return [f for p in report["profiles"] if profile in (None, p["profile"]) for f in p["findings"]]


def codes(found: list) -> set[str]:
    return {f["code"] if isinstance(f, dict) else f.code for f in found}


def with_code(found: list, code: str) -> list:
    return [f for f in found if (f["code"] if isinstance(f, dict) else f.code) == code]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), "utf-8")


def copy_issue(src: Path, parent: Path) -> Path:
    """A copy of an issue folder (same folder name, so the same issue id)."""
    dest = parent / src.name
    shutil.copytree(src, dest)
    return dest


def copy_pdf(src: Path, out: Path, profile: str) -> Path:
    """Put a copy of a built PDF where `edition check --out OUT` looks for it."""
    dest = out / ISSUE_ID / f"{ISSUE_ID}-{profile}.pdf"
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dest)
    return dest


@dataclass
class Clean:
    issue: Path
    out: Path
    output: dict[str, str]  # profile -> what `edition build` printed

    def pdf(self, profile: str) -> Path:
        return self.out / ISSUE_ID / f"{ISSUE_ID}-{profile}.pdf"


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Clean:
    root = tmp_path_factory.mktemp("clean")
    issue = root / ISSUE_ID
    shutil.copytree(FIXTURES / ISSUE_ID, issue)
    toml = issue / "issue.toml"  # the cover's alt text: the screen edition has all of them
    text = toml.read_text("utf-8").replace(
        "[cover]\n", '[cover]\nalt = "Langit di atas pantai."\n', 1
    )
    toml.write_text(text, "utf-8")
    enlarge_photos(issue)
    out = root / "dist"
    output = {
        p: invoke(["build", issue, "--profile", p, "--out", out]).output
        for p in ("screen", "archive")
    }
    return Clean(issue, out, output)


def _page(pdf: pikepdf.Pdf, content: bytes) -> pikepdf.Page:
    """An A4 print page (trim, 3 mm bleed, slug) with a non-embedded Helvetica and an
    8 x 8 grey image to draw with."""
    pdf.add_blank_page(page_size=(W, H))
    page = pdf.pages[-1]
    page.obj.MediaBox = pikepdf.Array([-36, -36, W + 36, H + 36])
    page.obj.TrimBox = pikepdf.Array([0, 0, W, H])
    page.obj.BleedBox = pikepdf.Array([-BLEED, -BLEED, W + BLEED, H + BLEED])
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=Name.Font,
            Subtype=Name.Type1,
            BaseFont=Name.Helvetica,
            Encoding=Name.WinAnsiEncoding,
        )
    )
    image = pdf.make_stream(
        bytes([128]) * 64,
        Type=Name.XObject,
        Subtype=Name.Image,
        Width=8,
        Height=8,
        ColorSpace=Name.DeviceGray,
        BitsPerComponent=8,
    )
    page.obj.Resources = pikepdf.Dictionary(
        Font=pikepdf.Dictionary(F1=font), XObject=pikepdf.Dictionary(Im1=image)
    )
    page.obj.Contents = pdf.make_stream(content)
    return page


def craft(path: Path, *contents: bytes) -> Path:
    """A PDF of one crafted page per content stream."""
    with pikepdf.new() as pdf:
        for content in contents:
            _page(pdf, content)
        pdf.save(path)
    return path


def mutate(src: Path, dest: Path, change, **save: object) -> Path:
    """A copy of `src` changed by `change(pdf)` (and saved with pikepdf's `save` options)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with pikepdf.open(src) as pdf:
        change(pdf)
        pdf.save(dest, **save)  # type: ignore[arg-type]
    return dest


# ---------------------------------------------------------------- the sources


def test_low_resolution_photo_names_the_file_and_its_dpi(make_issue, tmp_path, clean):
    report = check(
        make_issue(), tmp_path / "empty", "--profile", "print", "--profile", "screen", exit_code=1
    )
    layout = tomllib.loads((REPO / "layouts" / "classic" / "layout.toml").read_text("utf-8"))
    # lead-a.jpg (900 x 560 px) fills the text width (179 mm) x the lead height: the crop
    # keeps its full height, so its resolution there is 560 px over the lead's height.
    lead_mm = layout["photos"]["lead"]
    dpi = round(560 / (lead_mm / 25.4))
    assert dpi == 127
    for profile, severity in (("print", "error"), ("screen", "warning")):
        found = [
            f
            for f in with_code(findings(report, profile), "photo.low-resolution")
            if f["object"] == "lead-a.jpg"
        ]
        assert len(found) == 1, profile
        f = found[0]
        assert f["file"].endswith("photos/lead-a.jpg")
        assert f"{dpi} dpi" in f["message"] and str(PROFILES[profile].dpi) in f["message"]
        assert f["severity"] == severity  # under half the profile's dpi is an error
    # every photo of the fixture is too small for print, each named once
    names = {f["object"] for f in with_code(findings(report, "print"), "photo.low-resolution")}
    assert names == {Path(p).name for p in ENLARGE}
    # the clean issue's photos are large enough for the screen edition
    clean_report = check(clean.issue, clean.out, "--profile", "screen")
    assert not with_code(findings(clean_report), "photo.low-resolution")


def test_every_finding_has_the_documented_keys(make_issue, tmp_path):
    report = check(make_issue(), tmp_path / "empty", "--profile", "all", exit_code=1)
    assert set(report) == {"issue", "status", "profiles"}
    assert [p["profile"] for p in report["profiles"]] == ["print", "screen", "archive"]
    assert findings(report)
    for f in findings(report):
        assert set(f) >= FINDING_KEYS, f
        assert f["severity"] in ("error", "warning", "info")


@pytest.fixture
def unlabelled(clean, tmp_path) -> Path:
    """The clean issue with a lead photo and an Inframe photo uncaptioned, and the other
    lead photo uncredited."""
    issue = copy_issue(clean.issue, tmp_path)
    edit(
        issue / "articles" / "patroli-utara.md",
        'lead_caption: "Langit senja di atas perairan yang tenang."\n',
        "",
    )
    edit(issue / "issue.toml", 'caption = "Warna hangat senja dalam bingkai tegak."\n', "")
    edit(issue / "articles" / "gudang-baru.md", 'credit: "Fotografer Uji"\n', "")
    return issue


def test_missing_caption_and_credit(unlabelled, tmp_path, clean):
    found = findings(check(unlabelled, tmp_path / "empty", "--profile", "screen", exit_code=1))
    no_caption = with_code(found, "photo.no-caption")
    assert {f["object"] for f in no_caption} == {"lead-a.jpg", "inframe-2.jpg"}
    assert all(f["severity"] == "warning" for f in no_caption)
    assert {Path(f["file"]).name for f in no_caption} == {"lead-a.jpg", "inframe-2.jpg"}
    no_credit = with_code(found, "photo.no-credit")
    assert [f["object"] for f in no_credit] == ["lead-b.jpg"]
    clean_found = findings(check(clean.issue, clean.out, "--profile", "screen"))
    assert not codes(clean_found) & {"photo.no-caption", "photo.no-credit"}


@pytest.mark.parametrize(
    ("off", "reported"), [(0.03, True), (-0.03, True), (0.01, False), (-0.01, False)]
)
def test_ad_artwork_of_the_wrong_shape(make_issue, tmp_path, off, reported):
    issue = make_issue()
    # the half-page ad's slot is the text width (210 - 18 - 13 mm) x 128 mm
    want = (210 - 18 - 13) / 128
    width = 1400
    Image.new("RGB", (width, round(width / (want * (1 + off)))), "navy").save(
        issue / "ads" / "half.png"
    )
    found = with_code(
        findings(check(issue, tmp_path / "empty", "--profile", "screen", exit_code=1)), "ad.aspect"
    )
    assert bool(found) == reported
    if reported:
        assert found[0]["object"] == "half.png" and found[0]["severity"] == "error"
        assert "half-page" in found[0]["message"] and "3%" in found[0]["message"]


def bookmarks(pdf: Path) -> dict[str, int]:
    """Title -> 1-based page of every bookmark (read with pypdf)."""
    reader = PdfReader(pdf)
    out: dict[str, int] = {}

    def walk(items: list) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                out[" ".join(str(item.title).split())] = (
                    reader.get_destination_page_number(item) + 1
                )

    walk(reader.outline)
    return out


def test_photo_findings_name_the_placement_and_the_page(minimal_build):
    """Once the edition is built, each photo's finding says where it is placed and on
    which page; the pages are those the bookmarks give for what holds the photo."""
    pdf = minimal_build.pdf("print")
    report = check(minimal_build.issue, minimal_build.out, "--profile", "print", exit_code=1)
    low = with_code(findings(report), "photo.low-resolution")
    places = {f["message"].split(" has ")[0]: f for f in low}
    marks = bookmarks(pdf)
    patrol = marks["Patroli di Perairan Utara"]
    with pikepdf.open(pdf) as doc:
        last = len(doc.pages)
    assert {what: f["page"] for what, f in places.items()} == {
        "cover photo": 1,
        "lead photo of 'patroli-utara'": patrol,
        "half-page ad in 'patroli-utara'": patrol + 1,  # the article's second page
        "lead photo of 'gudang-baru'": marks["Gudang Bahan Bakar Baru di Pelabuhan Kecil"],
        "Inframe page 1": marks["Inframe"],
        "Inframe page 2": marks["Inframe"] + 1,
        "full-page ad on the back cover": last,
    }
    # Text and JSON name the same files, as the issue folder was given.
    assert places["cover photo"]["file"] == f"{minimal_build.issue}/photos/cover.jpg"
    text = invoke(
        ["check", minimal_build.issue, "--out", minimal_build.out, "--profile", "print"], 1
    ).output
    for f in low:
        assert f"{f['file']}: page {f['page']}: error: {f['message']}" in text


# ---------------------------------------------------------------- the PDF, crafted


def test_page_count_not_a_multiple_of_4(minimal_pdf, tmp_path):
    assert not with_code(check_pdf(minimal_pdf, None, PROFILES["print"]), "pdf.page-count")
    short = mutate(minimal_pdf, tmp_path / "short.pdf", lambda pdf: pdf.pages.__delitem__(-1))
    with pikepdf.open(short) as pdf:
        pages = len(pdf.pages)
    assert pages % 4 == 3
    found = with_code(check_pdf(short, None, PROFILES["print"]), "pdf.page-count")
    assert len(found) == 1 and f"{pages} pages" in found[0].message
    # the screen edition is not folded: any count will do
    assert not with_code(check_pdf(short, None, PROFILES["screen"]), "pdf.page-count")


def test_empty_page(clean, tmp_path):
    assert not with_code(check_pdf(clean.pdf("screen"), None, PROFILES["screen"]), "pdf.empty-page")

    def blank_second_page(pdf: pikepdf.Pdf) -> None:
        pdf.pages[1].obj.Contents = pdf.make_stream(b"")

    blank = mutate(clean.pdf("screen"), tmp_path / "blank.pdf", blank_second_page)
    found = with_code(check_pdf(blank, None, PROFILES["screen"]), "pdf.empty-page")
    assert [f.page for f in found] == [2]


def _marks_only(pdf: pikepdf.Pdf, index: int) -> None:
    """Page `index` as a blank page looks after finishing: crop marks outside the bleed."""
    b, s = BLEED + 0.5 * MM, BLEED + 6.5 * MM
    lines = []
    for x in (0, W):
        lines += [(x, -b, x, -s), (x, H + b, x, H + s)]
    for y in (0, H):
        lines += [(-b, y, -s, y), (W + b, y, W + s, y)]
    ops = ["q", "0.25 w", "0 0 0 1 K"]
    ops += [f"{ax:.3f} {ay:.3f} m {bx:.3f} {by:.3f} l S" for ax, ay, bx, by in lines]
    ops.append("Q")
    pdf.pages[index].obj.Contents = pdf.make_stream("\n".join(ops).encode())


def test_empty_page_with_crop_marks_in_the_print_edition(minimal_pdf, tmp_path):
    blank = mutate(minimal_pdf, tmp_path / "blank.pdf", lambda pdf: _marks_only(pdf, 5))
    found = with_code(check_pdf(blank, None, PROFILES["print"]), "pdf.empty-page")
    assert [f.page for f in found] == [6]


def test_font_not_embedded_and_not_bundled(tmp_path, minimal_pdf, clean):
    pdf = craft(tmp_path / "helvetica.pdf", b"BT /F1 12 Tf 100 400 Td (Helvetica) Tj ET")
    found = check_pdf(pdf, None, PROFILES["screen"])
    for code in ("pdf.font-not-embedded", "pdf.font-foreign"):
        hits = with_code(found, code)
        assert [(f.obj, f.page, f.severity.value) for f in hits] == [("Helvetica", 1, "error")]
    for good, profile in (
        (minimal_pdf, "print"),
        (clean.pdf("screen"), "screen"),
        (clean.pdf("archive"), "archive"),
    ):
        assert not codes(check_pdf(good, None, PROFILES[profile])) & {
            "pdf.font-not-embedded",
            "pdf.font-foreign",
        }, profile


def test_rgb_in_the_print_edition(clean, minimal_pdf):
    rgb = {"pdf.rgb-image", "pdf.rgb-colour", "pdf.rgb-space"}
    assert not codes(check_pdf(minimal_pdf, None, PROFILES["print"])) & rgb
    found = check_pdf(clean.pdf("screen"), None, PROFILES["print"])
    images = with_code(found, "pdf.rgb-image")
    assert images and 1 in {f.page for f in images}  # the cover photo
    assert with_code(found, "pdf.rgb-colour")  # the text and rules of the layout
    # ... and an RGB PDF is fine for the screen edition
    assert not codes(check_pdf(clean.pdf("screen"), None, PROFILES["screen"])) & rgb


def _rgb_in_a_form(pdf: pikepdf.Pdf) -> None:
    page = pdf.pages[1]
    form = pdf.make_stream(
        b"1 0 0 rg 100 100 200 200 re f", Type=Name.XObject, Subtype=Name.Form, BBox=[0, 0, W, H]
    )
    name = page.add_resource(form, Name.XObject, prefix="Fx")
    page.contents_add(pdf.make_stream(f"q {name} Do Q".encode()), prepend=False)


def _rgb_through_cs(pdf: pikepdf.Pdf) -> None:
    pdf.pages[1].contents_add(
        pdf.make_stream(b"q /DeviceRGB cs 1 0 0 sc 100 100 200 200 re f Q"), prepend=False
    )


def _rgb_operator(pdf: pikepdf.Pdf) -> None:
    pdf.pages[1].contents_add(pdf.make_stream(b"q 1 0 0 rg 100 100 200 200 re f Q"), prepend=False)


@pytest.mark.parametrize(
    "change",
    [
        _rgb_operator,
        _rgb_in_a_form,
        _rgb_through_cs,
    ],
)
def test_rgb_drawing_added_to_a_print_page_is_reported(minimal_pdf, tmp_path, change):
    changed = mutate(minimal_pdf, tmp_path / "rgb.pdf", change)
    found = check_pdf(changed, None, PROFILES["print"])
    assert codes(found) & {"pdf.rgb-colour", "pdf.rgb-space"}, [str(f) for f in found]


def _rgb_group(pdf: pikepdf.Pdf) -> None:
    pdf.pages[1].obj.Group = pikepdf.Dictionary(
        Type=Name.Group, S=Name.Transparency, CS=Name.DeviceRGB
    )


def test_an_rgb_colour_space_anywhere_in_the_print_edition(minimal_pdf, tmp_path):
    changed = mutate(minimal_pdf, tmp_path / "group.pdf", _rgb_group)
    found = with_code(check_pdf(changed, None, PROFILES["print"]), "pdf.rgb-space")
    assert len(found) == 1 and found[0].obj and found[0].obj.startswith("object ")


def test_encrypted_or_scripted_pdf(minimal_pdf, tmp_path):
    assert not codes(check_pdf(minimal_pdf, None, PROFILES["print"])) & {
        "pdf.encrypted",
        "pdf.javascript",
    }
    locked = tmp_path / "locked.pdf"
    with pikepdf.open(minimal_pdf) as pdf:
        pdf.save(locked, encryption=pikepdf.Encryption(owner="pemilik", user=""))
    assert len(with_code(check_pdf(locked, None, PROFILES["print"]), "pdf.encrypted")) == 1

    def open_action(pdf: pikepdf.Pdf) -> None:
        pdf.Root.OpenAction = pikepdf.Dictionary(S=Name.JavaScript, JS="app.alert(1)")

    scripted = mutate(minimal_pdf, tmp_path / "scripted.pdf", open_action)
    assert len(with_code(check_pdf(scripted, None, PROFILES["print"]), "pdf.javascript")) == 1


def test_a_file_that_is_no_pdf(tmp_path):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n" + b"\x00" * 64)
    found = check_pdf(broken, None, PROFILES["print"])
    assert [(f.code, f.severity.value) for f in found] == [("pdf.unreadable", "error")]
    assert found[0].message.startswith("the PDF cannot be read (")


def _print_plan(issue: Path):
    plan = plan_issue(load_issue(issue), load_layout("classic", issue), dpi=300, cmyk=True)
    files = prepared_files([s.request for s in plan.slots], cache_folder() / "images")
    return plan, files


def test_half_page_ad_missing_or_moved(minimal_build, tmp_path):
    """The half-page ad is found by its bytes: on its planned page, elsewhere, or not."""
    from edition.check import document

    pdf = minimal_build.pdf("print")
    plan, files = _print_plan(minimal_build.issue)
    assert any(s.half_art and s.half_art.request in files for s in plan.articles)
    with pikepdf.open(pdf) as doc:
        found = document.check_placement(doc, pdf, plan, files)
    # Every article and ad where it was planned: the fixture's photos, small on purpose,
    # are all there is to say of the PDF as built.
    assert codes(found) <= {"pdf.low-resolution"}, found
    start = bookmarks(pdf)["Patroli di Perairan Utara"]
    ad_page = start  # 0-based index of the article's second page

    def swap(doc: pikepdf.Pdf) -> None:
        doc.pages[ad_page], doc.pages[ad_page + 1] = doc.pages[ad_page + 1], doc.pages[ad_page]

    def drop(doc: pikepdf.Pdf) -> None:
        del doc.pages[ad_page]

    moved = mutate(pdf, tmp_path / "moved.pdf", swap)
    with pikepdf.open(moved) as doc:
        found = with_code(document.check_placement(doc, moved, plan, files), "pdf.half-ad-moved")
    assert [(f.page, f.message) for f in found] == [
        (
            ad_page + 2,
            f"the half-page ad in 'patroli-utara' is on page {ad_page + 2}, planned for "
            f"{ad_page + 1}",
        )
    ]
    gone = mutate(pdf, tmp_path / "gone.pdf", drop)
    with pikepdf.open(gone) as doc:
        found = with_code(document.check_placement(doc, gone, plan, files), "pdf.half-ad-missing")
    assert len(found) == 1 and found[0].severity.value == "error"


def test_cmyk_image_in_the_archive_edition(minimal_pdf, clean):
    found = with_code(check_pdf(minimal_pdf, None, PROFILES["archive"]), "pdf.cmyk-image")
    assert found and 1 in {f.page for f in found}
    assert not with_code(
        check_pdf(clean.pdf("archive"), None, PROFILES["archive"]), "pdf.cmyk-image"
    )


def _drop(key: str, page: int | None = None):
    def change(pdf: pikepdf.Pdf) -> None:
        target = pdf.Root if page is None else pdf.pages[page - 1].obj
        del target[key]

    return change


def _xmp_without_pdfx(pdf: pikepdf.Pdf) -> None:
    xmp = pdf.Root.Metadata.read_bytes().replace(b"PDF/X-4", b"PDF/X-0")
    pdf.Root.Metadata = pdf.make_stream(xmp, Type=Name.Metadata, Subtype=Name.XML)


def _rgb_intent(pdf: pikepdf.Pdf) -> None:
    pdf.Root.OutputIntents[0].DestOutputProfile.N = 3


@pytest.mark.parametrize(
    ("change", "code", "page"),
    [
        (_drop("/OutputIntents"), "pdfx.no-output-intent", None),
        (_rgb_intent, "pdfx.output-intent-not-cmyk", None),
        (_drop("/TrimBox", page=3), "pdfx.boxes", 3),
        (_drop("/BleedBox", page=6), "pdfx.boxes", 6),
        (_xmp_without_pdfx, "pdfx.xmp", None),
        (_drop("/Lang"), "pdf.no-lang", None),
    ],
)
def test_pdfx_requirements(minimal_pdf, tmp_path, change, code, page):
    assert not codes(check_pdf(minimal_pdf, None, PROFILES["print"])) & {
        "pdfx.no-output-intent",
        "pdfx.output-intent-not-cmyk",
        "pdfx.boxes",
        "pdfx.xmp",
        "pdf.no-lang",
    }
    changed = mutate(minimal_pdf, tmp_path / "changed.pdf", change)
    found = with_code(check_pdf(changed, None, PROFILES["print"]), code)
    assert len(found) == 1
    assert found[0].page == page


def _no_alt_on_one_figure(pdf: pikepdf.Pdf) -> None:
    stack, seen = [pdf.Root.StructTreeRoot], set()
    while stack:
        node = stack.pop()
        if isinstance(node, pikepdf.Array):
            stack.extend(node)
        elif isinstance(node, pikepdf.Dictionary):
            if node.is_indirect and node.objgen in seen:
                continue
            if node.is_indirect:
                seen.add(node.objgen)
            if node.get("/S") == Name.Figure and "/Alt" in node:
                del node["/Alt"]
                return
            if "/K" in node:
                stack.append(node.K)
    raise AssertionError("no figure with alt text")


def _not_marked(pdf: pikepdf.Pdf) -> None:
    pdf.Root.MarkInfo.Marked = False


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (_drop("/StructTreeRoot"), "pdf.untagged"),
        (_not_marked, "pdf.untagged"),
        (_no_alt_on_one_figure, "pdf.no-alt"),
        (_drop("/Outlines"), "pdf.no-bookmarks"),
    ],
)
def test_screen_requirements(clean, tmp_path, change, code):
    assert not codes(check_pdf(clean.pdf("screen"), None, PROFILES["screen"])) & {
        "pdf.untagged",
        "pdf.no-alt",
        "pdf.no-bookmarks",
    }
    changed = mutate(clean.pdf("screen"), tmp_path / "changed.pdf", change)
    found = with_code(check_pdf(changed, None, PROFILES["screen"]), code)
    assert len(found) == 1
    if code == "pdf.no-alt":
        assert found[0].message.startswith("1 figure")


def test_sources_missing_from_the_archive(clean, tmp_path):
    pdfa = {
        "pdfa.no-af",
        "pdfa.source-missing",
        "pdfa.af-relationship",
        "pdfa.no-output-intent",
        "pdfa.xmp",
    }
    report = check(clean.issue, clean.out, "--profile", "archive")
    assert not codes(findings(report)) & pdfa

    def drop_one(pdf: pikepdf.Pdf) -> None:
        spec = pdf.attachments["articles/gudang-baru.md"].obj
        pdf.Root.AF = pikepdf.Array([s for s in pdf.Root.AF if s.objgen != spec.objgen])
        del pdf.attachments["articles/gudang-baru.md"]

    out = tmp_path / "one"
    mutate(clean.pdf("archive"), out / ISSUE_ID / f"{ISSUE_ID}-archive.pdf", drop_one)
    found = findings(check(clean.issue, out, "--profile", "archive", exit_code=1))
    assert [f["object"] for f in with_code(found, "pdfa.source-missing")] == [
        "articles/gudang-baru.md"
    ]
    assert not with_code(found, "pdfa.no-af")

    def drop_all(pdf: pikepdf.Pdf) -> None:
        for name in list(pdf.attachments):
            del pdf.attachments[name]
        if "/AF" in pdf.Root:
            del pdf.Root["/AF"]

    out = tmp_path / "none"
    mutate(clean.pdf("archive"), out / ISSUE_ID / f"{ISSUE_ID}-archive.pdf", drop_all)
    found = findings(check(clean.issue, out, "--profile", "archive", exit_code=1))
    assert len(with_code(found, "pdfa.no-af")) == 1
    missing = sorted(f["object"] for f in with_code(found, "pdfa.source-missing"))
    assert missing == [
        "ads/full.png",
        "ads/half.png",
        "articles/gudang-baru.md",
        "articles/latihan-gabungan.md",
        "articles/patroli-utara.md",
        "edition.json",
        "issue.toml",
        *sorted(
            f"layouts/classic/{p.relative_to(LAYOUT).as_posix()}"
            for p in LAYOUT.rglob("*")
            if p.is_file()
        ),
        "photos/cover.jpg",
        "photos/inframe-1.jpg",
        "photos/inframe-2.jpg",
        "photos/lead-a.jpg",
        "photos/lead-b.jpg",
    ]


def test_embedded_source_without_its_relationship(clean, tmp_path):
    def no_relationship(pdf: pikepdf.Pdf) -> None:
        del pdf.Root.AF[0]["/AFRelationship"]

    changed = mutate(clean.pdf("archive"), tmp_path / "af.pdf", no_relationship)
    found = with_code(check_pdf(changed, None, PROFILES["archive"]), "pdfa.af-relationship")
    assert len(found) == 1
    assert not with_code(
        check_pdf(clean.pdf("archive"), None, PROFILES["archive"]), "pdfa.af-relationship"
    )


def test_archive_intent_and_xmp(clean, tmp_path):
    def no_intent(pdf: pikepdf.Pdf) -> None:
        del pdf.Root["/OutputIntents"]

    def not_pdfa3(pdf: pikepdf.Pdf) -> None:
        xmp = pdf.Root.Metadata.read_bytes().replace(b'pdfaid:part="3"', b'pdfaid:part="2"')
        pdf.Root.Metadata = pdf.make_stream(xmp, Type=Name.Metadata, Subtype=Name.XML)

    for change, code in ((no_intent, "pdfa.no-output-intent"), (not_pdfa3, "pdfa.xmp")):
        changed = mutate(clean.pdf("archive"), tmp_path / f"{code}.pdf", change)
        assert len(with_code(check_pdf(changed, None, PROFILES["archive"]), code)) == 1, code


# ---------------------------------------------------------------- the standards' rules


def _light_font(page: pikepdf.Page) -> str:
    """The resource name of a composite font of the page in a light weight."""
    heavy = ("Semi", "Bold", "Heavy", "Black", "Ultra", "Extra")
    return next(
        str(name)
        for name, font in page.Resources.Font.items()
        if font.Subtype == Name.Type0 and not any(w in str(font.BaseFont) for w in heavy)
    )


def _draw(content: str, image: bool = False):
    """A change that draws `content` on page 5 (`{font}`: a light font of the page; with
    `image`, `/EditionTestIm` is a small CMYK photo)."""

    def change(pdf: pikepdf.Pdf) -> None:
        page = pdf.pages[4]
        if image:
            page.Resources.XObject.EditionTestIm = pdf.make_stream(
                bytes([40, 20, 10, 30]) * 16,
                Type=Name.XObject,
                Subtype=Name.Image,
                Width=4,
                Height=4,
                ColorSpace=Name.DeviceCMYK,
                BitsPerComponent=8,
            )
        text = content.format(font=_light_font(page))
        page.contents_add(pdf.make_stream(text.encode()), prepend=False)

    return change


def _opi(pdf: pikepdf.Pdf) -> None:
    """An image that names a high-resolution version to put in its place (OPI)."""
    image = next(
        o
        for o in pdf.objects
        if isinstance(o, pikepdf.Stream) and o.stream_dict.get("/Subtype") == Name.Image
    )
    image.stream_dict.OPI = pikepdf.Dictionary()


def _transfer_function(pdf: pikepdf.Pdf) -> None:
    states = pdf.pages[0].Resources.ExtGState
    states.EditionTestTR = pikepdf.Dictionary(Type=Name.ExtGState, TR=Name.Identity)


def _docinfo_without(key: str):
    def change(pdf: pikepdf.Pdf) -> None:
        del pdf.docinfo[key]

    return change


def _xmp_renamed(old: bytes, new: bytes):
    def change(pdf: pikepdf.Pdf) -> None:
        xmp = pdf.Root.Metadata.read_bytes()
        assert old in xmp
        pdf.Root.Metadata = pdf.make_stream(
            xmp.replace(old, new), Type=Name.Metadata, Subtype=Name.XML
        )

    return change


WHITE_ON_BLACK = (
    "q 0 0 0 1 k 100 100 200 40 re f 0 0 0 0 k BT {font} 7 Tf 110 110 Td <0024> Tj ET Q"
)
WHITE_ON_PHOTO = (
    "q 200 0 0 40 100 100 cm /EditionTestIm Do Q "
    "q 0 0 0 0 k BT {font} 7 Tf 110 110 Td <0024> Tj ET Q"
)


@pytest.mark.parametrize(
    ("change", "save", "code", "page"),
    [
        pytest.param(_opi, {}, "pdf.image-alternates", None, id="pdf.image-alternates"),
        pytest.param(
            _transfer_function, {}, "pdf.transfer-function", None, id="pdf.transfer-function"
        ),
        pytest.param(
            lambda pdf: None, {"force_version": "1.7"}, "pdfx.version", None, id="pdfx.version"
        ),
        pytest.param(_docinfo_without("/Trapped"), {}, "pdfx.trapped", None, id="pdfx.trapped"),
        pytest.param(_docinfo_without("/Title"), {}, "pdfx.title", None, id="pdfx.title"),
        pytest.param(
            _xmp_renamed(b"xmpMM:VersionID", b"xmpMM:VersionNo"),
            {},
            "pdfx.xmp-ids",
            None,
            id="pdfx.xmp-ids",
        ),
        pytest.param(
            _draw("BT {font} 12 Tf 100 100 Td <0000> Tj ET"), {}, "pdf.notdef", 5, id="pdf.notdef"
        ),
        pytest.param(
            _draw(WHITE_ON_BLACK), {}, "print.reversed-light", 5, id="print.reversed-light"
        ),
        pytest.param(
            _draw(WHITE_ON_PHOTO, image=True),
            {},
            "print.reversed-type",
            5,
            id="print.reversed-type",
        ),
    ],
)
def test_print_rules_broken_in_a_copy(minimal_pdf, tmp_path, change, save, code, page):
    """Each rule of PDF/X-4 and of the print edition's inks, broken in a copy of the built
    print edition, is one finding of its code: an error of the standard, a printer's
    warning of the inks."""
    assert not with_code(check_pdf(minimal_pdf, None, PROFILES["print"]), code)
    changed = mutate(minimal_pdf, tmp_path / "changed.pdf", change, **save)
    found = with_code(check_pdf(changed, None, PROFILES["print"]), code)
    assert [(f.page, f.severity.value) for f in found] == [
        (page, "warning" if code.startswith("print.") else "error")
    ]


def _page_action(pdf: pikepdf.Pdf) -> None:
    pdf.pages[0].obj.AA = pikepdf.Dictionary(O=pikepdf.Dictionary(S=Name.Named, N=Name.NextPage))


def _link_with_a_down_appearance(pdf: pikepdf.Pdf) -> None:
    annot = next(a for p in pdf.pages for a in p.get("/Annots", []) if a.Subtype == Name.Link)
    look = pdf.make_stream(b"", Type=Name.XObject, Subtype=Name.Form, BBox=[0, 0, 1, 1])
    annot.AP = pikepdf.Dictionary(N=look, D=look)


def _needs_rendering(pdf: pikepdf.Pdf) -> None:
    pdf.Root.NeedsRendering = True


def _external_stream(pdf: pikepdf.Pdf) -> None:
    pdf.Root.EditionTest = pdf.make_stream(b"x", FFilter=Name.FlateDecode)


def _rewritten(path: Path, pattern: bytes, blank: bool = False) -> None:
    """`path` with the last match of `pattern` overwritten in place (same length, so that
    every offset stays right): with spaces, or its digits with letters."""
    data = path.read_bytes()
    match = list(re.finditer(pattern, data, re.S))[-1]
    old = match.group(0)
    new = b" " * len(old) if blank else re.sub(rb"[\x80-\xff]", b"a", old)
    assert new != old
    path.write_bytes(data[: match.start()] + new + data[match.end() :])


@pytest.mark.parametrize(
    ("change", "code", "page"),
    [
        (_page_action, "pdfa.actions", 1),
        (_needs_rendering, "pdfa.catalog", None),
        (_external_stream, "pdfa.streams", None),
    ],
)
def test_archive_rules_broken_in_a_copy(clean, tmp_path, change, code, page):
    """Each rule of PDF/A-3b broken in a copy of the built archive edition is one error
    of its code."""
    assert not with_code(check_pdf(clean.pdf("archive"), None, PROFILES["archive"]), code)
    changed = mutate(clean.pdf("archive"), tmp_path / "changed.pdf", change)
    found = with_code(check_pdf(changed, None, PROFILES["archive"]), code)
    assert [(f.page, f.severity.value) for f in found] == [(page, "error")]


def test_archive_annotation_with_more_than_its_normal_appearance(clean, tmp_path):
    changed = mutate(clean.pdf("archive"), tmp_path / "ap.pdf", _link_with_a_down_appearance)
    with pikepdf.open(changed) as pdf:
        page = next(n for n, p in enumerate(pdf.pages, 1) if "/Annots" in p)
    found = with_code(check_pdf(changed, None, PROFILES["archive"]), "pdfa.annotation-appearance")
    assert [f.page for f in found] == [page]


def test_archive_header_and_trailer_id(clean, tmp_path):
    """ISO 19005-3, 6.1.2 and 6.1.3: the binary comment after the header, the trailer's
    /ID. Both are changed in the file's bytes (pikepdf writes them right)."""
    header = tmp_path / "header.pdf"
    shutil.copy(clean.pdf("archive"), header)
    _rewritten(header, rb"\A%PDF-1\.\d\r?\n%[^\n]{4}")
    assert len(with_code(check_pdf(header, None, PROFILES["archive"]), "pdfa.header")) == 1
    no_id = mutate(
        clean.pdf("archive"),
        tmp_path / "id.pdf",
        lambda pdf: None,
        object_stream_mode=pikepdf.ObjectStreamMode.disable,
    )
    _rewritten(no_id, rb"/ID\s*\[\s*<[0-9a-fA-F]*>\s*<[0-9a-fA-F]*>\s*\]", blank=True)
    with pikepdf.open(no_id) as pdf:
        assert "/ID" not in pdf.trailer
    assert len(with_code(check_pdf(no_id, None, PROFILES["archive"]), "pdfa.id")) == 1
    for code in ("pdfa.header", "pdfa.id"):
        assert not with_code(check_pdf(clean.pdf("archive"), None, PROFILES["archive"]), code)


def test_screen_bookmarks_hidden_when_it_opens(clean, tmp_path):
    assert not with_code(
        check_pdf(clean.pdf("screen"), None, PROFILES["screen"]), "pdf.outline-hidden"
    )
    changed = mutate(clean.pdf("screen"), tmp_path / "mode.pdf", _drop("/PageMode"))
    found = with_code(check_pdf(changed, None, PROFILES["screen"]), "pdf.outline-hidden")
    assert [f.severity.value for f in found] == ["warning"]


def test_a_photo_enlarged_beyond_its_pixels(minimal_build, tmp_path):
    """A prepared photo with more pixels across than its source has (as an edition that
    upsampled would have made it) is found in the PDF by its bytes, and is an error."""
    from edition.check import document

    pdf = minimal_build.pdf("print")
    plan, files = _print_plan(minimal_build.issue)
    slot = next(s for s in plan.slots if s.request in files and s.request.source.suffix == ".jpg")
    req = slot.request
    prepared = files[req].read_bytes()
    enlarged = tmp_path / "enlarged.jpg"
    with Image.open(files[req]) as img:
        img.resize((img.width * 2, img.height * 2)).save(enlarged, quality=90)
    with Image.open(enlarged) as img:
        size = img.size

    def swap(doc: pikepdf.Pdf) -> None:
        for obj in doc.objects:
            if isinstance(obj, pikepdf.Stream) and obj.read_raw_bytes() == prepared:
                obj.write(enlarged.read_bytes(), filter=Name.DCTDecode)
                obj.Width, obj.Height = size

    changed = mutate(pdf, tmp_path / "upsampled.pdf", swap)
    with pikepdf.open(changed) as doc:
        found = with_code(
            document.check_placement(doc, changed, plan, {**files, req: enlarged}),
            "pdf.upsampled",
        )
    assert len(found) >= 1 and {f.obj for f in found} == {req.source.name}
    assert all(f.severity.value == "error" and f.page for f in found)
    assert found[0].message.startswith(f"photo {req.source.name} was enlarged from ")


# text 2 mm inside the left trim; text well inside
NEAR_TRIM = b"BT /F1 12 Tf 5.67 420 Td (Tepi kiri) Tj ET"
INSIDE = b"BT /F1 12 Tf 80 420 Td (Di tengah) Tj ET"
# an image from the left trim (x = 0) into the page, and one from the left bleed edge
IMAGE_AT_TRIM = b"q 300 0 0 400 0 200 cm /Im1 Do Q"
IMAGE_BLEEDING = f"q {300 + BLEED:.3f} 0 0 400 {-BLEED:.3f} 200 cm /Im1 Do Q".encode()
# a filled box from the bottom trim up, and one from the bottom bleed edge
AREA_AT_TRIM = b"0 0 0 0.2 k 100 0 300 200 re f"
AREA_BLEEDING = f"0 0 0 0.2 k 100 {-BLEED:.3f} 300 {200 + BLEED:.3f} re f".encode()


def test_text_inside_the_safety_margin(tmp_path, minimal_pdf):
    pdf = craft(tmp_path / "margin.pdf", NEAR_TRIM, INSIDE, b"q Q " + NEAR_TRIM)
    found = with_code(check_pdf(pdf, None, PROFILES["print"]), "pdf.safety-margin")
    assert [f.page for f in found] == [1, 3]
    assert all(f.severity.value == "warning" and "Tepi kiri" in f.message for f in found)
    # page 1 is a right-hand page: its left edge is the gutter
    assert "gutter" in found[0].message
    assert not with_code(check_pdf(minimal_pdf, None, PROFILES["print"]), "pdf.safety-margin")


@pytest.mark.parametrize(
    ("short", "bleeding", "edge", "kind"),
    [
        (IMAGE_AT_TRIM, IMAGE_BLEEDING, "left", "image"),
        (AREA_AT_TRIM, AREA_BLEEDING, "bottom", "area"),
    ],
)
def test_short_of_bleed(tmp_path, short, bleeding, edge, kind):
    pdf = craft(tmp_path / "bleed.pdf", short, bleeding)
    found = with_code(check_pdf(pdf, None, PROFILES["print"]), "pdf.short-of-bleed")
    assert [f.page for f in found] == [1]
    assert found[0].message.startswith(f"{kind} reaches the {edge} trim")
    # the screen edition has no bleed: nothing to fall short of
    assert not with_code(check_pdf(pdf, None, PROFILES["screen"]), "pdf.short-of-bleed")


def test_real_print_pdf_has_nothing_short_of_the_bleed(minimal_pdf):
    assert not with_code(check_pdf(minimal_pdf, None, PROFILES["print"]), "pdf.short-of-bleed")


# ---------------------------------------------------------------- built or not, stale


def test_never_built_is_not_ready(clean, tmp_path):
    """Sources without a fault, but no PDF: only the sources were checked, and that is
    said (information), and the verdict is "not built", exit 1."""
    report = check(clean.issue, tmp_path / "nothing-here", "--profile", "screen", exit_code=1)
    found = findings(report)
    assert [(f["code"], f["severity"]) for f in found] == [("pdf.not-built", "info")]
    assert report["status"] == "findings" and report["profiles"][0]["pdf"] is None
    assert report["profiles"][0]["verdict"] == "not-built"
    text = invoke(
        ["check", clean.issue, "--out", tmp_path / "nothing-here", "--profile", "screen"],
        exit_code=1,
    ).output
    assert text.rstrip().endswith(
        f"screen: 0 errors, 0 warnings: not built (run `edition build {clean.issue} "
        "--profile screen`)"
    )
    assert "ready for" not in text
    built = check(clean.issue, clean.out, "--profile", "screen")
    assert not with_code(findings(built), "pdf.not-built")
    assert built["profiles"][0]["verdict"] == "ready"


def test_stale_pdf(clean, tmp_path):
    issue = copy_issue(clean.issue, tmp_path / "issue")
    out = tmp_path / "out"
    shutil.copytree(clean.out, out)  # the PDFs with the record of what they were built from
    pdf = out / ISSUE_ID / f"{ISSUE_ID}-screen.pdf"
    # The same sources in another folder, the PDF in another output folder: up to date.
    report = check(issue, out, "--profile", "screen")
    assert not with_code(findings(report), "pdf.stale")
    assert report["profiles"][0]["verdict"] == "ready"
    article = issue / "articles" / "gudang-baru.md"
    later = time.time() + 60
    os.utime(article, (later, later))  # a new time alone changes nothing that is printed
    assert not with_code(findings(check(issue, out, "--profile", "screen")), "pdf.stale")
    article.write_text(article.read_text() + "\nSatu kalimat lagi.\n")
    report = check(issue, out, "--profile", "screen", exit_code=1)
    found = with_code(findings(report), "pdf.stale")
    assert len(found) == 1
    assert found[0]["severity"] == "error" and Path(found[0]["file"]) == pdf
    assert report["profiles"][0]["verdict"] == "stale"
    text = invoke(["check", issue, "--out", out, "--profile", "screen"], exit_code=1).output
    assert text.rstrip().endswith(
        f"screen: 1 error, 0 warnings: stale: rebuild (run `edition build {issue} "
        "--profile screen`)"
    )


def test_a_pdf_nothing_vouches_for_is_stale(clean, tmp_path):
    """A PDF copied in from elsewhere, without the metadata its build wrote: nothing says
    it was made from these sources, so it is not called ready."""
    out = tmp_path / "out"
    copy_pdf(clean.pdf("screen"), out, "screen")
    report = check(clean.issue, out, "--profile", "screen", exit_code=1)
    found = with_code(findings(report), "pdf.unrecorded")
    assert [(f["severity"], f["file"]) for f in found] == [
        ("error", str(out / ISSUE_ID / f"{ISSUE_ID}-screen.pdf"))
    ]
    assert report["profiles"][0]["verdict"] == "stale"
    # The metadata of another PDF does not vouch for this one either.
    shutil.copy2(clean.out / ISSUE_ID / f"{ISSUE_ID}.json", out / ISSUE_ID)
    mutate(clean.pdf("screen"), out / ISSUE_ID / f"{ISSUE_ID}-screen.pdf", lambda pdf: None)
    found = findings(check(clean.issue, out, "--profile", "screen", exit_code=1))
    assert len(with_code(found, "pdf.unrecorded")) == 1
    # With its own metadata beside it, the same PDF is up to date.
    shutil.copy2(clean.pdf("screen"), out / ISSUE_ID)
    assert check(clean.issue, out, "--profile", "screen")["profiles"][0]["verdict"] == "ready"


# ---------------------------------------------------------------- exit codes


def test_clean_built_issue_passes_strict(clean):
    report = check(clean.issue, clean.out, "--profile", "screen", "--strict")
    assert report["status"] == "ok"
    # Nothing that counts, even under --strict: notes (info, such as a loose line for the
    # art director to look at) may remain.
    assert [f for f in findings(report) if f["severity"] != "info"] == []
    assert report["profiles"][0]["pdf"] == str(clean.pdf("screen"))


def test_warning_fails_only_with_strict(unlabelled, tmp_path):
    out = tmp_path / "out"
    built = invoke(["build", unlabelled, "--profile", "screen", "--out", out]).output
    assert built.rstrip().splitlines()[-1].endswith(": ready for subscribers")
    strict = invoke(["build", unlabelled, "--profile", "screen", "--out", out, "--strict"], 1)
    assert strict.output.rstrip().splitlines()[-1].endswith(": not ready for subscribers")
    report = check(unlabelled, out, "--profile", "screen")
    assert report["status"] == "ok" and report["profiles"][0]["verdict"] == "ready"
    assert {f["severity"] for f in with_code(findings(report), "photo.no-caption")} == {"warning"}
    report = check(unlabelled, out, "--profile", "screen", "--strict", exit_code=1)
    assert report["status"] == "findings" and report["profiles"][0]["verdict"] == "not-ready"
    assert {f["severity"] for f in with_code(findings(report), "photo.no-caption")} == {"error"}
    text = invoke(
        ["check", unlabelled, "--out", out, "--profile", "screen", "--strict"], exit_code=1
    ).output
    assert "[photo.no-caption]" in text
    assert text.rstrip().endswith(": not ready for subscribers")
    # information is not promoted
    report = check(unlabelled, tmp_path / "none", "--profile", "screen", "--strict", exit_code=1)
    assert {f["severity"] for f in with_code(findings(report), "pdf.not-built")} == {"info"}


def test_bad_input_exits_2_and_still_prints_json(make_issue, tmp_path):
    issue = make_issue()
    toml = issue / "issue.toml"
    edit(toml, "number = 7", 'number = "tujuh"')
    line = toml.read_text("utf-8").splitlines().index('number = "tujuh"') + 1
    report = check(issue, tmp_path / "empty", exit_code=2)
    assert report["status"] == "bad-input"
    assert report["issue"] == str(issue)
    found = report["findings"]
    assert found and all(f["severity"] == "error" for f in found)
    assert Path(found[0]["file"]) == toml and found[0]["line"] == line
    text = invoke(["check", issue, "--out", tmp_path / "empty"], exit_code=2).output
    assert f"{toml}:{line}: error:" in text and "Traceback" not in text


def test_broken_toml_syntax_exits_2(make_issue, tmp_path):
    issue = make_issue()
    (issue / "issue.toml").write_text("number = 7\ndate = \n", "utf-8")
    report = check(issue, tmp_path / "empty", "--profile", "all", exit_code=2)
    assert report["status"] == "bad-input" and report["findings"]


# ---------------------------------------------------------------- the build's summary


def test_build_prints_the_preflight_summary(clean):
    for profile, output in clean.output.items():
        report = check(clean.issue, clean.out, "--profile", profile)
        counts = report["profiles"][0]["counts"]
        errors, warnings = counts["error"], counts["warning"]
        summary = (
            f"preflight: {errors} error{'s' * (errors != 1)}, "
            f"{warnings} warning{'s' * (warnings != 1)}: ready for "
        )
        line = next(ln for ln in output.splitlines() if ln.startswith(f"{profile}: "))
        assert summary in line, (line, summary)
    # the clean issue is clean for the screen edition, not for the 300-dpi archive
    assert (
        clean.output["screen"]
        .rstrip()
        .endswith("preflight: 0 errors, 0 warnings: ready for subscribers")
    )
    archive = next(ln for ln in clean.output["archive"].splitlines() if ln.startswith("archive: "))
    assert re.search(
        r"preflight: 0 errors, [1-9]\d* warnings?: ready for the archive \(published\)$", archive
    ), archive


# ---------------------------------------------------------------- every code, some test


def finding_codes(paths: list[Path]) -> set[str]:
    """The codes the Findings made in these files carry (string constants given as the
    fourth argument or as `code=`)."""
    import ast

    found = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            code = node.args[3] if name == "Finding" and len(node.args) > 3 else None
            code = next((k.value for k in node.keywords if k.arg == "code"), code)
            if isinstance(code, ast.Constant) and isinstance(code.value, str):
                found.add(code.value)
    return found


PREFLIGHT_SOURCES = [
    *sorted((REPO / "edition" / "check").glob("*.py")),
    REPO / "edition" / "commands" / "check.py",
]


def test_every_code_is_written_in_one_style():
    codes_ = finding_codes(sorted((REPO / "edition").rglob("*.py")))
    assert {"pdf.page-count", "front-matter.yaml", "collect.exists"} <= codes_
    odd = sorted(
        c for c in codes_ if not re.fullmatch(r"[a-z]+(-[a-z]+)*(\.[a-z0-9]+(-[a-z0-9]+)*)+", c)
    )
    assert odd == []


def test_every_preflight_code_is_made_to_happen_by_a_test(request):
    """Run last (conftest puts it there): every code a preflight can report was reported
    somewhere in this session. Only a run of the whole suite can tell."""
    config = request.config
    ran = {Path(str(item.fspath)).name for item in request.session.items}
    everything = {p.name for p in (REPO / "tests").glob("test_*.py")}
    if config.option.keyword or config.option.markexpr or ran != everything:
        pytest.skip("only a run of the whole suite shows which codes its tests made happen")
    assert request.node.name == LAST
    expected = finding_codes(PREFLIGHT_SOURCES)
    assert {"pdf.page-count", "photo.low-resolution", "pdf.stale"} <= expected
    assert sorted(expected - PRODUCED) == []


def test_work_alongside_comes_back_from_another_process_or_is_done_here():
    """What runs alongside gives its result back from another process; when that process
    ends without one, the work is done again in this one."""
    from edition.workers import alongside

    here = os.getpid()
    assert alongside(os.getpid)() != here

    def dies_elsewhere() -> str:
        if os.getpid() != here:
            os._exit(3)
        return "done here"

    assert alongside(dies_elsewhere)() == "done here"


def test_work_alongside_that_hangs_is_stopped_and_done_here(monkeypatch: pytest.MonkeyPatch):
    """A forked process that does not answer in time (stuck on a lock another thread held
    at the fork) is killed, and the work is done in this process."""
    import edition.workers as workers

    monkeypatch.setattr(workers, "ALONGSIDE_SECONDS", 0.5)
    here = os.getpid()

    def hangs_elsewhere() -> int:
        if os.getpid() != here:
            time.sleep(30)
        return os.getpid()

    started = time.monotonic()
    assert workers.alongside(hangs_elsewhere)() == here
    assert time.monotonic() - started < 10


def test_preflight_finds_the_same_with_half_of_it_in_another_process(
    sample_pdf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The document's checks and half the pages read back in a forked process give what
    the whole preflight in this process gives: the same findings in the same order, and
    the same pages remembered for the next build."""
    import edition.check.preflight as preflight

    issue = load_issue(SAMPLE)
    plan = plan_issue(issue, load_layout(issue.spec.layout, issue.root))
    runs = {}
    for fork in (False, True):
        monkeypatch.setattr(preflight, "may_fork", lambda fork=fork: fork)
        cache = tmp_path / f"fork-{fork}"
        found = check_pdf(sample_pdf, plan, PROFILES["print"], cache)
        again = check_pdf(sample_pdf, plan, PROFILES["print"], cache)  # pages remembered
        remembered = json.loads((cache / "layout-pages.json").read_text())
        runs[fork] = ([str(f) for f in found], [str(f) for f in again], remembered)
    assert runs[True] == runs[False]
    assert runs[True][0], "nothing found: the comparison would prove nothing"
    assert len(runs[True][2]) == len(pikepdf.open(sample_pdf).pages)
