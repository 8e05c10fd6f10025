"""Photos: every odd but valid file comes out right, every bad one is one line naming it."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import zlib
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
from conftest import invoke
from PIL import Image, ImageCms

from edition.errors import EditionError
from edition.issue.images import probe_image
from edition.photos.prepare import prepare_images
from edition.plan.model import ImageRequest

RED, BLUE = (220, 20, 30), (20, 40, 220)


# --- making test images -----------------------------------------------------------


def red_over_blue(size: tuple[int, int] = (600, 400)) -> Image.Image:
    """A landscape photo whose top half is red and bottom half blue, as it should be seen."""
    img = Image.new("RGB", size, BLUE)
    img.paste(RED, (0, 0, size[0], size[1] // 2))
    return img


def save_rotated(path: Path, orientation: int, size: tuple[int, int] = (600, 400)) -> None:
    """Store red_over_blue() the way a camera held sideways does: pixels turned, EXIF says how.

    Orientation 6 means "turn 90° clockwise to view", 8 "turn 90° anticlockwise", 3 "turn 180°".
    """
    turn = {
        3: Image.Transpose.ROTATE_180,
        6: Image.Transpose.ROTATE_90,
        8: Image.Transpose.ROTATE_270,
    }[orientation]
    exif = Image.Exif()
    exif[0x0112] = orientation
    red_over_blue(size).transpose(turn).save(path, "JPEG", quality=95, exif=exif.tobytes())


def chunk(kind: bytes, body: bytes) -> bytes:
    """One PNG chunk: length, type, data, CRC."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_header_only(path: Path, width: int, height: int) -> None:
    """A tiny PNG that claims to be width x height pixels: what a decompression bomb looks like."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * (width + 1) * 4))
        + chunk(b"IEND", b"")
    )


def png_rgb16(path: Path, size: tuple[int, int], colour16: tuple[int, int, int]) -> None:
    """A 16-bit-per-channel RGB PNG (as scanners and raw converters write), by hand:
    Pillow cannot write one."""
    w, h = size
    row = b"\0" + struct.pack(">HHH", *colour16) * w
    ihdr = struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(row * h))
        + chunk(b"IEND", b"")
    )


def noisy_jpeg(path: Path, size: tuple[int, int] = (600, 400)) -> None:
    Image.effect_noise(size, 60).convert("RGB").save(path, "JPEG", quality=90)


def truncated_jpeg(path: Path) -> None:
    noisy_jpeg(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


SRGB_ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def half_transparent(mode: str, colour: object, **save: object) -> Callable[[Path], None]:
    """Left half fully transparent (black underneath), right half opaque `colour`."""

    def make(path: Path) -> None:
        img = Image.new(mode, (600, 400), colour)  # type: ignore[arg-type]
        clear = (0, 0) if mode == "LA" else (0, 0, 0, 0)
        img.paste(clear, (0, 0, 300, 400))  # type: ignore[arg-type]
        img.save(path, **save)  # type: ignore[arg-type]

    return make


def palette_with_transparency(path: Path) -> None:
    img = Image.new("P", (600, 400), 1)
    img.putpalette([0, 0, 0, *RED] + [0] * 762)
    img.paste(0, (0, 0, 300, 400))
    img.save(path, transparency=0)


def prepare(path: Path, tmp_path: Path, **kw: object) -> Image.Image:
    """Prepare `path` for a 60 x 40 mm box at 100 dpi (fit, not cropped) and open the result."""
    req = ImageRequest(path, 60, 40, dpi=100, crop=False, **kw)  # type: ignore[arg-type]
    prepared = prepare_images([req], tmp_path / "cache", workers=1)[req]
    with Image.open(prepared.path) as img:
        img.load()
        return img.convert("RGB")


def near(pixel: tuple[int, ...], colour: tuple[int, ...], tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


# --- odd but valid files: a correct result -------------------------------------------


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_exif_rotated_photo_comes_out_upright(tmp_path: Path, orientation: int):
    src = tmp_path / f"rotated-{orientation}.jpg"
    save_rotated(src, orientation)
    assert probe_image(src) == (600, 400)  # what the planner and preflight see
    img = prepare(src, tmp_path)
    w, h = img.size
    assert w > h, f"came out {w} x {h}: the EXIF orientation was not applied"
    for x in (5, w - 5):
        assert near(img.getpixel((x, 5)), RED), (x, img.getpixel((x, 5)))
        assert near(img.getpixel((x, h - 5)), BLUE), (x, img.getpixel((x, h - 5)))


def lab_red(path: Path) -> None:
    # sRGB (220, 20, 30) is about L* 47, a* 72, b* 50; Pillow stores L scaled to 0-255, a/b +128.
    Image.new("LAB", (600, 400), (120, 200, 178)).save(path)


GOOD: dict[str, tuple[Callable[[Path], None], list[tuple[tuple[int, int], tuple[int, ...]]]]] = {
    # name: (how to make it, [(where in a 0-100 % grid, expected RGB)])
    "cmyk.jpg": (
        lambda p: Image.new("CMYK", (600, 400), (0, 255, 255, 0)).save(p, quality=95),
        [((50, 50), (237, 28, 36))],
    ),
    "cmyk.tif": (
        lambda p: Image.new("CMYK", (600, 400), (255, 200, 0, 0)).save(p),
        [((50, 50), (0, 55, 255))],
    ),
    "grey16.png": (
        lambda p: Image.new("I;16", (600, 400), 40000).save(p),
        [((50, 50), (156, 156, 156))],
    ),
    "grey16.tif": (
        lambda p: Image.new("I;16", (600, 400), 10000).save(p),
        [((50, 50), (39, 39, 39))],
    ),
    "rgb16.png": (
        lambda p: png_rgb16(p, (600, 400), (56000, 5000, 8000)),
        [((50, 50), (218, 19, 31))],
    ),
    "grey.jpg": (lambda p: Image.new("L", (600, 400), 128).save(p), [((50, 50), (128,) * 3)]),
    "bilevel.png": (lambda p: Image.new("1", (600, 400), 1).save(p), [((50, 50), (255,) * 3)]),
    "palette.png": (palette_with_transparency, [((10, 50), (255, 255, 255)), ((90, 50), RED)]),
    "rgba-with-icc.png": (
        half_transparent("RGBA", (*RED, 255), icc_profile=SRGB_ICC),
        [((10, 50), (255, 255, 255)), ((90, 50), RED)],
    ),
    "grey-alpha.png": (
        half_transparent("LA", (60, 255)),
        [((10, 50), (255, 255, 255)), ((90, 50), (60, 60, 60))],
    ),
    "lab.tif": (lab_red, [((50, 50), RED)]),
    "photo.webp": (
        lambda p: red_over_blue().save(p, quality=95),
        [((50, 10), RED), ((50, 90), BLUE)],
    ),
}


@pytest.mark.parametrize("name", GOOD)
def test_odd_but_valid_images_come_out_right(tmp_path: Path, name: str):
    make, expected = GOOD[name]
    src = tmp_path / name
    make(src)
    probe_image(src)  # what the loader does: no complaint
    img = prepare(src, tmp_path)
    assert img.size == (236, 157)
    for (px, py), colour in expected:
        at = (round(px / 100 * (img.width - 1)), round(py / 100 * (img.height - 1)))
        assert near(img.getpixel(at), colour), (at, img.getpixel(at), colour)


# --- bad files: one line naming the file, nothing in the cache ---------------------------


def eps_named_jpg(path: Path) -> None:
    """PostScript: Pillow would hand it to Ghostscript if it were allowed to guess formats."""
    path.write_text("%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 100 100\nshowpage\n")


BAD: dict[str, tuple[Callable[[Path], None], str, bool]] = {
    # name: (how to make it, the whole finding after "path: ", seen by the header check?)
    "truncated.jpg": (
        truncated_jpeg,
        "error: image file is cut short (truncated) (copy it "
        "again from the original) [image.truncated]",
        False,
    ),
    "text.png": (
        lambda p: p.write_text("this is not a picture\n"),
        "error: not a JPEG, PNG, TIFF or WebP image (export it again as JPEG or PNG) "
        "[image.format]",
        True,
    ),
    "empty.jpg": (
        lambda p: p.write_bytes(b""),
        "error: image file is empty (copy it again from the original) [image.empty]",
        True,
    ),
    "bomb-over-our-cap.png": (
        lambda p: png_header_only(p, 13_000, 13_000),
        "error: image is too large to decode safely (over 150 "
        "megapixels) (scale it down before adding it to the issue) "
        "[image.too-large]",
        True,
    ),
    "bomb-over-pillows-limit.png": (
        lambda p: png_header_only(p, 20_000, 20_000),
        "error: image is too large to decode safely (over 150 "
        "megapixels) (scale it down before adding it to the "
        "issue) [image.too-large]",
        True,
    ),
    "float.tif": (
        lambda p: Image.new("F", (60, 40), 0.5).save(p),
        "error: image has a colour mode edition cannot print (F) (save it as 8-bit "
        "RGB, CMYK or greyscale) [image.mode]",
        True,
    ),
    "postscript.jpg": (
        eps_named_jpg,
        "error: not a JPEG, PNG, TIFF or WebP image (export it "
        "again as JPEG or PNG) [image.format]",
        True,
    ),
}


@pytest.mark.parametrize("name", BAD)
def test_bad_image_is_one_finding_naming_the_file(tmp_path: Path, name: str):
    make, expected, in_header = BAD[name]
    src = tmp_path / name
    make(src)
    if in_header:
        with pytest.raises(EditionError) as probed:
            probe_image(src)
        assert [str(f) for f in probed.value.findings] == [f"{src}: {expected}"]
    else:
        probe_image(src)  # the header is fine; only decoding every pixel finds it
    # Used in two places (a lead photo and its contents thumbnail): still one line.
    requests = [ImageRequest(src, 60, 40, dpi=100), ImageRequest(src, 20, 10, dpi=100)]
    with pytest.raises(EditionError) as info:
        prepare_images(requests, tmp_path / "cache", workers=1)
    assert [str(f) for f in info.value.findings] == [f"{src}: {expected}"]
    assert list((tmp_path / "cache").iterdir()) == []


# --- the cache ------------------------------------------------------------------------------


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty", "png"])
def test_damaged_cache_entry_is_detected_and_made_again(tmp_path: Path, damage: str):
    src = tmp_path / "photo.jpg"
    noisy_jpeg(src, (1200, 800))
    req = ImageRequest(src, 60, 40, dpi=300)
    cache = tmp_path / "cache"
    first = prepare_images([req], cache, workers=1)[req]
    good = first.path.read_bytes()
    assert not first.reused and prepare_images([req], cache, workers=1)[req].reused
    if damage == "truncate":
        first.path.write_bytes(good[: len(good) * 2 // 3])
    elif damage == "garbage":
        first.path.write_bytes(b"\xff\xd8\xff" + bytes(range(256)) * 40)
    elif damage == "empty":
        first.path.write_bytes(b"")
    else:
        buf = io.BytesIO()
        Image.new("RGB", (10, 10)).save(buf, "PNG")
        first.path.write_bytes(buf.getvalue())
    again = prepare_images([req], cache, workers=1)[req]
    assert not again.reused, "a damaged cache file was reused"
    assert again.path.read_bytes() == good
    assert [p.name for p in cache.iterdir()] == [first.path.name]  # no temporaries left


# --- through the command line: exit 2, one line, the previous PDF untouched ----------------


slow = pytest.mark.slow


@slow
def test_bad_photo_stops_the_build_and_keeps_the_previous_pdf(make_issue, tmp_path: Path):
    root = make_issue()
    out = tmp_path / "dist"
    invoke(["build", root, "--out", out], exit_code=1)  # the fixture has preflight errors
    pdf = out / "minimal" / "minimal-print.pdf"
    before = pdf.read_bytes()
    files = sorted(p.name for p in pdf.parent.iterdir() if not p.name.startswith("."))
    photo = root / "photos" / "lead-b.jpg"  # a lead photo and a contents thumbnail
    for name in ("truncated.jpg", "text.png", "empty.jpg", "bomb-over-our-cap.png"):
        make, expected, _ = BAD[name]
        make(photo)
        result = invoke(["build", root, "--out", out], exit_code=2)
        problems = [ln for ln in result.output.splitlines() if ": error: " in ln]
        assert problems == [f"{photo}: {expected}"], (name, result.output)
        assert "Traceback" not in result.output and "internal error" not in result.output
        assert pdf.read_bytes() == before, name
        assert (
            sorted(p.name for p in pdf.parent.iterdir() if not p.name.startswith(".")) == files
        ), name
        assert not list(out.rglob("*.tmp")), name


def quadrants(img: Image.Image) -> list[tuple[int, ...]]:
    """Average colour of the top-left, top-right, bottom-left and bottom-right quarters."""
    small = img.convert("RGB").resize((2, 2), Image.Resampling.BOX)
    return [small.getpixel(xy) for xy in ((0, 0), (1, 0), (0, 1), (1, 1))]


@slow
def test_rotated_and_odd_photos_are_right_in_the_pdf(make_issue, tmp_path: Path):
    root = make_issue()
    save_rotated(root / "photos" / "lead-a.jpg", 6, (1800, 1200))
    save_rotated(root / "photos" / "lead-b.jpg", 8, (1800, 1200))
    Image.new("CMYK", (900, 1200), (0, 255, 255, 0)).save(root / "photos" / "inframe-2.jpg")
    half_transparent("RGBA", (*RED, 255), icc_profile=SRGB_ICC)(root / "ads" / "half.png")
    invoke(["build", root, "--out", tmp_path / "dist"], exit_code=1)
    pdf = pikepdf.open(tmp_path / "dist" / "minimal" / "minimal-print.pdf")
    seen = []
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image":
            corners = quadrants(pikepdf.PdfImage(obj).as_pil_image())  # CMYK, read back
            seen.append(
                [
                    "red"
                    if near(c, RED, 60)
                    else "blue"
                    if near(c, BLUE, 70)
                    else "white"
                    if near(c, (255, 255, 255), 20)
                    else "other"
                    for c in corners
                ]
            )
    # The two leads and a contents thumbnail (identical images are stored once).
    assert seen.count(["red", "red", "blue", "blue"]) >= 3, seen
    assert ["red", "blue", "red", "blue"] not in seen and ["blue", "red", "blue", "red"] not in seen
    assert ["red"] * 4 in seen  # the CMYK JPEG
    assert ["white", "red", "white", "red"] in seen  # the half-page ad: transparent is paper


@slow
def test_pdf_ad_artwork_is_placed_at_the_slot_resolution_in_cmyk(make_issue, tmp_path: Path):
    """Advertisers deliver PDFs: the first page is rasterised at the placed size and
    separated like any photo; its shape is checked against the slot."""
    import pikepdf
    from weasyprint import HTML

    issue = make_issue()
    ad = issue / "ads" / "vector.pdf"
    HTML(
        string="<style>@page { size: 216mm 303mm; margin: 0 } body { margin: 0; "
        "background: rgb(10 60 140) } h1 { color: white; font: 700 60pt sans-serif; "
        "margin: 40mm 20mm }</style><h1>IKLAN VEKTOR</h1>"
    ).write_pdf(ad)
    toml = issue / "issue.toml"
    toml.write_text(toml.read_text().replace('"ads/full.png"', '"ads/vector.pdf"'))
    out = tmp_path / "dist"
    invoke(["build", issue, "--out", out], exit_code=1)
    report = json.loads(
        invoke(["check", issue, "--out", out, "--format", "json"], exit_code=1).output
    )
    ad_findings = [
        f for p in report["profiles"] for f in p["findings"] if f["object"] == "vector.pdf"
    ]
    assert ad_findings == []  # the right shape, and sharp at 300 dpi
    pdf = out / issue.name / f"{issue.name}-print.pdf"
    listing = subprocess.run(
        ["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    full_page = [row.split() for row in listing if int(row.split()[3]) >= 2500]
    assert full_page, "the PDF ad is not in the edition at full-page size"
    assert all(row[5] == "cmyk" for row in full_page)
    with pikepdf.open(pdf) as doc:
        assert len(doc.pages) % 4 == 0
