"""Photos prepared once for the size they are placed at: cropped, resampled, cached on disk."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import struct
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageCms, ImageFile, ImageOps, UnidentifiedImageError

from .errors import EditionError, Finding, Location
from .publish import HashBook, atomic_write_bytes, die_with_parent

MM_PER_INCH = 25.4
MAX_PIXELS = 150_000_000  # 150 MP: larger than any camera, smaller than a bomb
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
CACHE_VERSION = "1"
# Prepared photos are named by content, not by where the cache lives: WeasyPrint names
# images after their URL, and the PDF must not change when the output folder does.
PREPARED_SCHEME = "edition-photo"
_SRGB = ImageCms.createProfile("sRGB")
# The formats a photo or an ad may have. Left to itself Pillow tries every format it
# knows, and would hand an EPS file named .jpg to Ghostscript.
FORMATS = ("JPEG", "PNG", "TIFF", "WEBP")
_JPEG = ("JPEG", "MPO")  # the JPEG plugin opens a camera's multi-picture file as MPO
# Colour modes _to_rgb turns into sRGB; anything else (floating point, say) is refused.
MODES = {"1", "L", "LA", "La", "P", "PA", "RGB", "RGBA", "RGBa", "RGBX", "CMYK", "YCbCr",
         "LAB", "HSV", "I", "I;16", "I;16B", "I;16L", "I;16N"}


@dataclass(frozen=True)
class ImageRequest:
    """A photo and the box it fills on the page (crop to the box's shape when `crop`)."""

    source: Path
    width_mm: float
    height_mm: float
    dpi: int = 300
    crop: bool = True
    quality: int = 88
    cmyk: bool = False  # separate for print through the bundled CMYK profile
    # Darkening baked into the photo, as (edge, opacity at the edge, extent in mm, curve):
    # type on a photo needs it, and a CSS gradient would be RGB in a CMYK edition.
    shade: tuple[tuple[str, float, float, float], ...] = ()

    def target_px(self, src_w: int, src_h: int) -> tuple[int, int]:
        w = round(self.width_mm / MM_PER_INCH * self.dpi)
        h = round(self.height_mm / MM_PER_INCH * self.dpi)
        if not self.crop:  # fit inside the box, keep the shape
            scale = min(w / src_w, h / src_h)
            w, h = round(src_w * scale), round(src_h * scale)
        return max(w, 1), max(h, 1)


@dataclass(frozen=True)
class PreparedImage:
    path: Path
    width_px: int
    height_px: int
    source_px: tuple[int, int]
    effective_dpi: float  # resolution of the source's pixels at the placed size
    reused: bool


def _digest(path: Path, book: HashBook | None = None) -> str:
    try:
        return (book or HashBook(None)).sha256(path)
    except OSError as exc:
        raise _bad(path, f"image cannot be read: {exc.strerror or exc}",
                   "check that the file is there and readable", "image.unreadable") from None


def prepared_name(req: ImageRequest) -> str:
    """The file name a request's prepared photo has in the cache (and in the PDF's URL)."""
    return f"{cache_key(req, _digest(req.source))}.jpg"


def cache_key(req: ImageRequest, content_hash: str) -> str:
    raw = (f"{CACHE_VERSION}|{content_hash}|{req.width_mm:.3f}|{req.height_mm:.3f}|{req.dpi}|"
           f"{req.crop}|{req.quality}|{req.cmyk}|{req.shade}")
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def _bad(path: Path, message: str, hint: str, code: str) -> EditionError:
    return EditionError([Finding(message, Location(path), hint, code)])


def _too_large(path: Path) -> EditionError:
    mp = MAX_PIXELS // 1_000_000
    return _bad(path, f"image is too large to decode safely (over {mp} megapixels)",
                "scale it down before adding it to the issue", "image.too-large")


@contextlib.contextmanager
def _strict_decoding() -> Iterator[None]:
    """A file cut short is an error, not a photo with a grey bottom.

    WeasyPrint sets Pillow's LOAD_TRUNCATED_IMAGES when it is imported, for every
    image of the process; we turn it off while we decode, and put it back.
    """
    before = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with warnings.catch_warnings():
            # Pillow's warnings (a damaged EXIF block, say) would be stray console lines;
            # its decompression-bomb warning is an error instead.
            warnings.simplefilter("ignore")
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before


@contextlib.contextmanager
def _reading(path: Path) -> Iterator[None]:
    """Whatever Pillow raises for a bad file becomes one finding that names the file."""
    try:
        with _strict_decoding():
            yield
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_large(path) from None
    except UnidentifiedImageError:
        raise _bad(path, "not a JPEG, PNG, TIFF or WebP image",
                   "export it again as JPEG or PNG", "image.format") from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:
        if isinstance(exc, EOFError) or "truncated" in str(exc):
            raise _bad(path, "image file is cut short (truncated)",
                       "copy it again from the original", "image.truncated") from None
        raise _bad(path, f"image cannot be read ({exc})",
                   "replace it with a valid JPEG or PNG", "image.corrupt") from None


def _open(path: Path) -> Image.Image:
    """Read an image's header and refuse what must not be decoded (use inside _reading)."""
    if path.stat().st_size == 0:
        raise _bad(path, "image file is empty", "copy it again from the original",
                   "image.empty")
    img = Image.open(path, formats=FORMATS)
    if img.width * img.height > MAX_PIXELS:  # our cap; Pillow's own is twice as high
        img.close()
        raise _too_large(path)
    if img.mode not in MODES:
        img.close()
        raise _bad(path, f"image has a colour mode edition cannot print ({img.mode})",
                   "save it as 8-bit RGB, CMYK or greyscale", "image.mode")
    return img


def _rotated(img: Image.Image) -> bool:
    """Whether EXIF says the pixels are stored on their side (orientation 5 to 8)."""
    return img.getexif().get(0x0112, 1) in (5, 6, 7, 8)


def open_image(path: Path, draft: tuple[int, int] | None = None) -> Image.Image:
    """Open and fully decode an image, or raise EditionError naming the file.

    Every pixel is decoded here, before any is used: a file cut short fails now, with
    its name, and not later inside WeasyPrint. `draft` lets libjpeg decode a JPEG at
    1/2, 1/4 or 1/8 of its size when that still gives at least `draft` pixels.
    """
    with _reading(path):
        img = _open(path)
        try:
            if draft is not None and img.format in _JPEG:
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
    with _reading(path), _open(path) as img:
        w, h = img.size
        return (h, w) if _rotated(img) else (w, h)


def _lab_to_srgb() -> ImageCms.ImageCmsTransform:
    return ImageCms.buildTransform(ImageCms.createProfile("LAB"), _SRGB, "LAB", "RGB")


def _flatten(img: Image.Image) -> Image.Image:
    """Transparent parts become white, as they print on paper."""
    if img.mode in ("LA", "La"):
        grey = img.convert("LA")
        flat = Image.new("L", img.size, 255)
        flat.paste(grey.getchannel("L"), mask=grey.getchannel("A"))
        return flat
    rgba = img.convert("RGBA")
    flat = Image.new("RGB", img.size, "white")
    flat.paste(rgba, mask=rgba.getchannel("A"))
    return flat


def _to_rgb(img: Image.Image) -> Image.Image:
    """Upright, 8-bit sRGB: EXIF orientation applied, transparency on white, ICC honoured.

    Transparency goes before the ICC conversion, which would drop the alpha channel and
    print transparent pixels in whatever colour they happen to hold (often black).
    """
    img = ImageOps.exif_transpose(img)
    icc = img.info.get("icc_profile")
    if img.mode.startswith("I"):  # 16-bit grey: keep the top 8 bits
        img = img.point(lambda v: v / 256).convert("L")
    elif img.mode == "LAB":
        return ImageCms.applyTransform(img, _lab_to_srgb())
    if img.mode in ("RGBA", "RGBa", "LA", "La", "PA") or (
            img.mode == "P" and "transparency" in img.info):
        img = _flatten(img)
    if icc and img.mode in ("RGB", "CMYK", "L"):
        try:
            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            img = ImageCms.profileToProfile(img, src, _SRGB, outputMode="RGB")
        except (ImageCms.PyCMSError, OSError):
            pass  # a broken embedded profile (or one for another mode): a plain conversion
    return img.convert("RGB")


PDF_POINTS_PER_INCH = 72


def _pdf_page(path: Path):  # -> pypdfium2.PdfPage (imported only for PDF artwork)
    """The first page of an ad delivered as PDF, or one clear error."""
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(str(path))
    except (pdfium.PdfiumError, OSError) as exc:
        raise _bad(path, f"PDF artwork cannot be read ({exc})",
                   "ask the advertiser for the PDF again, or a JPEG", "image.pdf") from None
    if len(doc) == 0:
        doc.close()
        raise _bad(path, "PDF artwork has no page", "ask the advertiser for the PDF again",
                   "image.pdf")
    return doc, doc[0]


def _pdf_size(path: Path) -> tuple[int, int]:
    """A PDF ad's first page in pixels at 300 dpi (what preflight compares with its slot)."""
    doc, page = _pdf_page(path)
    try:
        w, h = page.get_size()
    finally:
        page.close()
        doc.close()
    return round(w / PDF_POINTS_PER_INCH * 300), round(h / PDF_POINTS_PER_INCH * 300)


def _render_pdf(req: ImageRequest) -> tuple[Image.Image, int, int]:
    """Rasterise a PDF ad at exactly the resolution it is placed at (vector artwork is as
    sharp as the profile's dpi allows), flattened on white."""
    doc, page = _pdf_page(req.source)
    try:
        w_pt, h_pt = page.get_size()
        sw = round(w_pt / PDF_POINTS_PER_INCH * req.dpi)
        sh = round(h_pt / PDF_POINTS_PER_INCH * req.dpi)
        tw, th = req.target_px(sw, sh)
        scale = max(tw / w_pt, th / h_pt)
        if w_pt * scale * h_pt * scale > MAX_PIXELS:
            raise _too_large(req.source)
        img = page.render(scale=scale, fill_color=(255, 255, 255, 255)).to_pil()
    finally:
        page.close()
        doc.close()
    return img.convert("RGB"), sw, sh


def prepare_one(req: ImageRequest, out_dir: Path, content_hash: str) -> PreparedImage:
    out = out_dir / f"{cache_key(req, content_hash)}.jpg"
    if req.source.suffix.lower() == ".pdf":
        img, sw, sh = _render_pdf(req)
        tw, th = req.target_px(sw, sh)
        return _finish_prepared(img, req, out, tw, th, sw, sh)
    with _reading(req.source), _open(req.source) as src:
        src_w, src_h = src.size
        rotated = _rotated(src)
        sw, sh = (src_h, src_w) if rotated else (src_w, src_h)
        tw, th = req.target_px(sw, sh)
        if src.format in _JPEG:
            # draft() lets libjpeg decode at 1/2, 1/4 or 1/8 when that is still big enough.
            need = (th, tw) if rotated else (tw, th)
            scale = max(need[0] / src_w, need[1] / src_h)
            src.draft("RGB", (max(1, int(src_w * scale)), max(1, int(src_h * scale))))
        src.load()  # every pixel decoded before any is used
        img = _to_rgb(src)
    return _finish_prepared(img, req, out, tw, th, sw, sh)


def _finish_prepared(img: Image.Image, req: ImageRequest, out: Path, tw: int, th: int,
                     sw: int, sh: int) -> PreparedImage:
    if req.crop:
        img = ImageOps.fit(img, (tw, th), Image.Resampling.LANCZOS, centering=(0.5, 0.45))
    else:
        img = img.resize((tw, th), Image.Resampling.LANCZOS)
    if req.shade:
        img = apply_shade(img, req)
    if req.cmyk:
        img = to_cmyk(img)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=req.quality, optimize=True, progressive=False,
             dpi=(req.dpi, req.dpi), subsampling="4:2:0")
    atomic_write_bytes(out, buf.getvalue())
    return PreparedImage(out, tw, th, (sw, sh), effective_dpi(req, sw, sh), False)


def apply_shade(img: Image.Image, req: ImageRequest) -> Image.Image:
    """Darken towards the given edges, as black laid over the photo at a falling opacity."""
    w, h = img.size
    keep = Image.new("L", (w, h), 255)
    px_per_mm = h / req.height_mm
    for edge, opacity, extent_mm, curve in req.shade:
        extent = max(1, round(extent_mm * px_per_mm))
        ramp = Image.new("L", (1, extent))
        for y in range(extent):
            t = y / extent  # 0 at the edge
            ramp.putpixel((0, y), round(255 * (1 - opacity * (1 - t) ** curve)))
        band = ramp.resize((w, extent))
        if edge == "bottom":
            band = band.transpose(Image.Transpose.FLIP_TOP_BOTTOM)
        box = (0, 0) if edge == "top" else (0, h - extent)
        region = keep.crop((*box, box[0] + w, box[1] + extent))
        keep.paste(ImageChops.multiply(region, band), box)
    black = Image.new("RGB", (w, h), 0)
    return Image.composite(img, black, keep)


def cmyk_profile_path() -> Path:
    from .layout import share_dir

    return share_dir("assets") / "icc" / "edition-fogra39.icc"


_TO_CMYK: dict[str, ImageCms.ImageCmsTransform] = {}


def to_cmyk(img: Image.Image) -> Image.Image:
    """sRGB -> the printing condition's CMYK (perceptual, as photos are separated)."""
    if "t" not in _TO_CMYK:
        target = ImageCms.getOpenProfile(str(cmyk_profile_path()))
        _TO_CMYK["t"] = ImageCms.buildTransform(
            _SRGB, target, "RGB", "CMYK", ImageCms.Intent.PERCEPTUAL)
    return ImageCms.applyTransform(img.convert("RGB"), _TO_CMYK["t"])


def effective_dpi(req: ImageRequest, sw: int, sh: int) -> float:
    """Source pixels per inch at the placed size.

    Cropped to fill the box, the side that fills it exactly sets the scale (the other is
    cut); fitted inside the box, the side that touches it does."""
    box_w, box_h = req.width_mm / MM_PER_INCH, req.height_mm / MM_PER_INCH
    if req.crop:
        return min(sw / box_w, sh / box_h)
    return max(sw / box_w, sh / box_h)


def _worker(args: tuple[ImageRequest, Path, str]) -> PreparedImage | EditionError:
    try:
        return prepare_one(*args)
    except EditionError as exc:
        return exc


def prepare_images(requests: list[ImageRequest], cache_dir: Path,
                   workers: int | None = None,
                   progress: Callable[[int, int], None] | None = None,
                   ) -> dict[ImageRequest, PreparedImage]:
    """Prepare every requested image, reusing cached copies; errors for all bad files at once."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    results: dict[ImageRequest, PreparedImage] = {}
    todo: list[tuple[ImageRequest, Path, str]] = []
    hashes: dict[Path, str] = {}
    book = _Ledger(cache_dir.with_name(f"{cache_dir.name}-ledger.json"),
                   cache_dir.with_name("hashes.json"))
    for req in dict.fromkeys(requests):
        if req.source not in hashes:
            hashes[req.source] = book.digest(req.source)
        out = cache_dir / f"{cache_key(req, hashes[req.source])}.jpg"
        cached = book.read_cached(out)
        if cached is not None:
            results[req] = PreparedImage(out, cached[0], cached[1], (0, 0), 0.0, True)
        else:
            todo.append((req, cache_dir, hashes[req.source]))
    findings: list[Finding] = []
    if todo:
        n = workers or os.cpu_count() or 1
        if n > 1 and len(todo) > 1:
            outcomes = []
            with ProcessPoolExecutor(max_workers=min(n, len(todo)),
                                     initializer=die_with_parent) as pool:
                for outcome in pool.map(_worker, todo):
                    outcomes.append(outcome)
                    if progress is not None:
                        progress(len(outcomes), len(todo))
        else:
            outcomes = []
            for t in todo:
                outcomes.append(_worker(t))
                if progress is not None:
                    progress(len(outcomes), len(todo))
        for (req, _, _), outcome in zip(todo, outcomes, strict=True):
            if isinstance(outcome, EditionError):
                findings.extend(outcome.findings)
            else:
                results[req] = outcome
                book.vouch(outcome.path, (outcome.width_px, outcome.height_px))
    book.save()
    if findings:  # one line per bad file, however many places it is used in
        unique: dict[tuple[object, str], Finding] = {}
        for f in findings:
            unique.setdefault((f.location, f.code), f)
        raise EditionError(list(unique.values()))
    return results


class _Ledger:
    """What the cache already knows, by file size and modification time, so a rebuild
    neither hashes every original again (`HashBook`, shared with the issue's fingerprint)
    nor decodes every prepared copy to trust it (prepared file -> pixel size). A file
    whose size or time differs is hashed or verified again in full."""

    def __init__(self, path: Path, hashes: Path) -> None:
        self.path = path
        self.hashes = HashBook(hashes)
        try:
            self.prepared: dict[str, list] = dict(json.loads(path.read_text()))
        except (OSError, ValueError, TypeError):
            self.prepared = {}
        self.changed = False

    @staticmethod
    def _stamp(path: Path) -> list[int] | None:
        try:
            st = path.stat()
        except OSError:
            return None
        return [st.st_size, st.st_mtime_ns]

    def digest(self, path: Path) -> str:
        return _digest(path, self.hashes)

    def read_cached(self, path: Path) -> tuple[int, int] | None:
        stamp, entry = self._stamp(path), self.prepared.get(path.name)
        if stamp is not None and entry and entry[:2] == stamp:
            return int(entry[2]), int(entry[3])
        size = _read_cached(path)
        if size is not None:
            self.vouch(path, size)
        return size

    def vouch(self, path: Path, size: tuple[int, int]) -> None:
        stamp = self._stamp(path)
        if stamp is not None:
            self.prepared[path.name] = [*stamp, *size]
            self.changed = True

    def save(self) -> None:
        self.hashes.save()
        if self.changed:
            atomic_write_bytes(self.path, json.dumps(self.prepared).encode())


def _read_cached(path: Path) -> tuple[int, int] | None:
    """Size of a cached JPEG, or None when it is missing or damaged (then it is made again).

    The whole file is decoded, at 1/8 scale, which is quick but still reads every byte:
    `verify()` does nothing for JPEG, and a cache file cut short by a full disk, or
    overwritten with something else, must not reach a PDF.
    """
    if not path.is_file():
        return None
    try:
        with _strict_decoding(), Image.open(path, formats=["JPEG"]) as img:
            size = img.size
            img.draft(img.mode, (max(1, size[0] // 8), max(1, size[1] // 8)))
            img.load()
        return size
    except (OSError, SyntaxError, ValueError, EOFError, struct.error,
            Image.DecompressionBombError):
        return None


def source_size(path: Path) -> tuple[int, int]:
    """Upright pixel size of a photo without decoding it (see probe_image)."""
    return probe_image(path)
