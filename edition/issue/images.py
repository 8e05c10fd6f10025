"""The issue's pictures read safely: formats and sizes checked from the header, every pixel
decoded before use, a bad file one finding that names it; captions and credits that the
photo itself carries."""

from __future__ import annotations

import contextlib
import struct
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageFile, UnidentifiedImageError

from edition.errors import EditionError, Finding, Location
from edition.issue.photometa import PhotoText, text_of

MAX_PIXELS = 150_000_000  # 150 MP: larger than any camera, smaller than a bomb
# The formats a photo or an ad may have. Left to itself Pillow tries every format it
# knows, and would hand an EPS file named .jpg to Ghostscript.
FORMATS = ("JPEG", "PNG", "TIFF", "WEBP")
JPEG_FORMATS = ("JPEG", "MPO")  # the JPEG plugin opens a camera's multi-picture file as MPO
# Colour modes _to_rgb turns into sRGB; anything else (floating point, say) is refused.
MODES = {
    "1",
    "L",
    "LA",
    "La",
    "P",
    "PA",
    "RGB",
    "RGBA",
    "RGBa",
    "RGBX",
    "CMYK",
    "YCbCr",
    "LAB",
    "HSV",
    "I",
    "I;16",
    "I;16B",
    "I;16L",
    "I;16N",
}


@dataclass(frozen=True)
class ImageInfo:
    """What the loader learns from a picture's header: its upright size in pixels (a PDF
    ad's first page at 300 dpi) and the caption and credit written into it."""

    size: tuple[int, int]
    text: PhotoText


def bad_image(path: Path, message: str, hint: str, code: str) -> EditionError:
    return EditionError([Finding(message, Location(path), hint, code)])


def too_large(path: Path) -> EditionError:
    mp = MAX_PIXELS // 1_000_000
    return bad_image(
        path,
        f"image is too large to decode safely (over {mp} megapixels)",
        "scale it down before adding it to the issue",
        "image.too-large",
    )


@contextlib.contextmanager
def strict_decoding() -> Iterator[None]:
    """A file cut short is an error, not a photo with a grey bottom.

    WeasyPrint sets Pillow's LOAD_TRUNCATED_IMAGES when it is imported, for every
    image of the process; we turn it off while we decode, and put it back.
    """
    before = ImageFile.LOAD_TRUNCATED_IMAGES
    cap = Image.MAX_IMAGE_PIXELS
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow warns above this, errs above twice it
    try:
        with warnings.catch_warnings():
            # Pillow's warnings (a damaged EXIF block, say) would be stray console lines;
            # its decompression-bomb warning is an error instead.
            warnings.simplefilter("ignore")
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before
        Image.MAX_IMAGE_PIXELS = cap


# What Pillow's decoders raise, besides OSError and ValueError, on fields of the wrong type
# or size (a TIFF whose XMP tag is a number, say): the file's fault, not a bug of ours.
_DECODER_SLIPS = (TypeError, IndexError, KeyError, ZeroDivisionError, OverflowError)


@contextlib.contextmanager
def reading(path: Path) -> Iterator[None]:
    """Whatever Pillow raises for a bad file becomes one finding that names the file."""
    try:
        with strict_decoding():
            yield
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_large(path) from None
    except UnidentifiedImageError:
        raise bad_image(
            path,
            "not a JPEG, PNG, TIFF or WebP image",
            "export it again as JPEG or PNG",
            "image.format",
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, *_DECODER_SLIPS) as exc:
        if isinstance(exc, EOFError) or "truncated" in str(exc):
            raise bad_image(
                path,
                "image file is cut short (truncated)",
                "copy it again from the original",
                "image.truncated",
            ) from None
        raise bad_image(
            path,
            f"image cannot be read ({exc})",
            "replace it with a valid JPEG or PNG",
            "image.corrupt",
        ) from None


def open_header(path: Path) -> Image.Image:
    """Read an image's header and refuse what must not be decoded (use inside `reading`)."""
    if path.stat().st_size == 0:
        raise bad_image(
            path, "image file is empty", "copy it again from the original", "image.empty"
        )
    img = Image.open(path, formats=FORMATS)
    if img.width * img.height > MAX_PIXELS:  # our cap; Pillow's own is twice as high
        img.close()
        raise too_large(path)
    if img.mode not in MODES:
        img.close()
        raise bad_image(
            path,
            f"image has a colour mode edition cannot print ({img.mode})",
            "save it as 8-bit RGB, CMYK or greyscale",
            "image.mode",
        )
    return img


def is_rotated(img: Image.Image) -> bool:
    """Whether EXIF says the pixels are stored on their side (orientation 5 to 8)."""
    return img.getexif().get(0x0112, 1) in (5, 6, 7, 8)


def open_image(path: Path, draft: tuple[int, int] | None = None) -> Image.Image:
    """Open and fully decode an image, or raise EditionError naming the file.

    Every pixel is decoded here, before any is used: a file cut short fails now, with
    its name, and not later inside WeasyPrint. `draft` lets libjpeg decode a JPEG at
    1/2, 1/4 or 1/8 of its size when that still gives at least `draft` pixels.
    """
    with reading(path):
        img = open_header(path)
        try:
            if draft is not None and img.format in JPEG_FORMATS:
                img.draft("RGB", draft)
            img.load()
        except BaseException:
            img.close()
            raise
    return img


def probe_image(path: Path) -> tuple[int, int]:
    """Upright pixel size of a photo from its header alone; EditionError when it is unusable.

    Cheap enough for the loader to run on every photo, so that `edition check` reports
    a text file named .png or a bomb together with every other problem of the issue.
    """
    if path.suffix.lower() == ".pdf":
        return _pdf_size(path)
    return inspect_image(path).size


def inspect_image(path: Path) -> ImageInfo:
    """A picture's upright size and the caption and credit it carries, from one opening of
    its header; EditionError when it is unusable (not an image, empty, a bomb...)."""
    if path.suffix.lower() == ".pdf":
        return ImageInfo(_pdf_size(path), PhotoText())
    with reading(path), open_header(path) as img:
        w, h = img.size
        size = (h, w) if is_rotated(img) else (w, h)
        return ImageInfo(size, text_of(img))


PDF_POINTS_PER_INCH = 72


def pdf_page(path: Path) -> tuple[Any, Any]:
    """The document and first page of an ad delivered as PDF (pypdfium2, imported only for
    PDF artwork), or one clear error. The caller closes both."""
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(str(path))
    except (pdfium.PdfiumError, OSError) as exc:
        raise bad_image(
            path,
            f"PDF artwork cannot be read ({exc})",
            "ask the advertiser for the PDF again, or a JPEG",
            "image.pdf",
        ) from None
    if len(doc) == 0:
        doc.close()
        raise bad_image(
            path, "PDF artwork has no page", "ask the advertiser for the PDF again", "image.pdf"
        )
    return doc, doc[0]


def _pdf_size(path: Path) -> tuple[int, int]:
    """A PDF ad's first page in pixels at 300 dpi (what preflight compares with its slot).

    Read with qpdf (pikepdf), which reads the page's boxes without its drawing: opening a
    page in PDFium interprets its content, and a few KB of nested forms take minutes and
    gigabytes there (that happens only in a child process with a ceiling, see
    edition.workers)."""
    import pikepdf

    try:
        with pikepdf.open(path) as pdf:
            if len(pdf.pages) == 0:
                raise bad_image(
                    path,
                    "PDF artwork has no page",
                    "ask the advertiser for the PDF again",
                    "image.pdf",
                )
            page = pdf.pages[0]
            x0, y0, x1, y1 = (float(v) for v in page.cropbox)
            rotate = int(page.obj.get("/Rotate", 0)) % 180 if "/Rotate" in page.obj else 0
    except pikepdf.PasswordError:
        raise bad_image(
            path,
            "PDF artwork is encrypted",
            "ask the advertiser for a PDF without a password",
            "image.pdf",
        ) from None
    except (pikepdf.PdfError, OSError, ValueError, TypeError) as exc:
        raise bad_image(
            path,
            f"PDF artwork cannot be read ({exc})",
            "ask the advertiser for the PDF again, or a JPEG",
            "image.pdf",
        ) from None
    w, h = abs(x1 - x0), abs(y1 - y0)
    if rotate:
        w, h = h, w
    if not (1 <= w <= 14_400 and 1 <= h <= 14_400):  # PDF's own limit: 200 inches
        raise bad_image(
            path,
            f"PDF artwork has an impossible page size ({w:g} x {h:g} pt)",
            "ask the advertiser for the PDF again",
            "image.pdf",
        )
    return round(w / PDF_POINTS_PER_INCH * 300), round(h / PDF_POINTS_PER_INCH * 300)
