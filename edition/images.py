"""Photos prepared once for the size they are placed at: cropped, resampled, cached on disk."""

from __future__ import annotations

import hashlib
import io
import os
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageCms, ImageOps

from .errors import EditionError, Finding, Location
from .publish import atomic_write_bytes

MM_PER_INCH = 25.4
MAX_PIXELS = 150_000_000  # 150 MP: larger than any camera, smaller than a bomb
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
CACHE_VERSION = "1"
_SRGB = ImageCms.createProfile("sRGB")


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


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def cache_key(req: ImageRequest, content_hash: str) -> str:
    raw = (f"{CACHE_VERSION}|{content_hash}|{req.width_mm:.3f}|{req.height_mm:.3f}|{req.dpi}|"
           f"{req.crop}|{req.quality}|{req.cmyk}|{req.shade}")
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def open_image(path: Path) -> Image.Image:
    """Open and fully decode an image, or raise EditionError naming the file."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(path)
            if img.width * img.height > MAX_PIXELS:
                raise Image.DecompressionBombError("too many pixels")
            img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise EditionError.single("image is too large to decode safely", path, None,
                                  f"use an image under {MAX_PIXELS // 1_000_000} megapixels",
                                  "image.too-large") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise EditionError.single(f"image cannot be read ({exc})", path, None,
                                  "replace it with a valid JPEG or PNG", "image.corrupt") from None
    return img


def _to_rgb(img: Image.Image) -> Image.Image:
    """Upright, 8-bit sRGB: EXIF orientation applied, embedded ICC profile honoured."""
    img = ImageOps.exif_transpose(img)
    icc = img.info.get("icc_profile")
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        img = img.point(lambda v: v / 256).convert("L")
    if icc:
        try:
            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            mode = "RGB" if img.mode not in ("CMYK", "L") else img.mode
            if img.mode not in ("RGB", "CMYK", "L"):
                img = img.convert("RGB")
            img = ImageCms.profileToProfile(img, src, _SRGB, outputMode="RGB",
                                            inputMode=mode if mode != "L" else "L")
        except (ImageCms.PyCMSError, OSError):
            pass  # a broken embedded profile: fall back to a plain conversion
    if img.mode in ("RGBA", "LA", "P"):
        img = img.convert("RGBA")
        flat = Image.new("RGB", img.size, "white")
        flat.paste(img, mask=img.getchannel("A"))
        img = flat
    return img.convert("RGB")


def prepare_one(req: ImageRequest, out_dir: Path, content_hash: str) -> PreparedImage:
    out = out_dir / f"{cache_key(req, content_hash)}.jpg"
    img = Image.open(req.source)
    src_w, src_h = img.size
    # draft() lets libjpeg decode at 1/2, 1/4 or 1/8 when that is still big enough.
    rotated = img.getexif().get(0x0112, 1) in (5, 6, 7, 8)
    sw, sh = (src_h, src_w) if rotated else (src_w, src_h)
    tw, th = req.target_px(sw, sh)
    if img.format == "JPEG":
        need = (th, tw) if rotated else (tw, th)
        scale = max(need[0] / src_w, need[1] / src_h)
        img.draft("RGB", (max(1, int(src_w * scale)), max(1, int(src_h * scale))))
    img = open_image(req.source) if img.format != "JPEG" else _load(img, req.source)
    img = _to_rgb(img)
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
    return PreparedImage(out, tw, th, (sw, sh), _effective_dpi(req, sw, sh), False)


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


def _load(img: Image.Image, path: Path) -> Image.Image:
    try:
        img.load()
    except (OSError, SyntaxError, ValueError) as exc:
        raise EditionError.single(f"image cannot be read ({exc})", path, None,
                                  "replace it with a valid JPEG or PNG", "image.corrupt") from None
    return img


def _effective_dpi(req: ImageRequest, sw: int, sh: int) -> float:
    """Source pixels per inch at the placed size (after the crop)."""
    box_w, box_h = req.width_mm / MM_PER_INCH, req.height_mm / MM_PER_INCH
    if req.crop:
        return min(sw / box_w, sh / box_h) if sw / sh < box_w / box_h else sh / box_h
    return min(sw / box_w, sh / box_h)


def _worker(args: tuple[ImageRequest, Path, str]) -> PreparedImage | EditionError:
    try:
        return prepare_one(*args)
    except EditionError as exc:
        return exc


def prepare_images(requests: list[ImageRequest], cache_dir: Path,
                   workers: int | None = None,
                   progress: object | None = None) -> dict[ImageRequest, PreparedImage]:
    """Prepare every requested image, reusing cached copies; errors for all bad files at once."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    results: dict[ImageRequest, PreparedImage] = {}
    todo: list[tuple[ImageRequest, Path, str]] = []
    hashes: dict[Path, str] = {}
    for req in dict.fromkeys(requests):
        if req.source not in hashes:
            hashes[req.source] = _digest(req.source)
        out = cache_dir / f"{cache_key(req, hashes[req.source])}.jpg"
        cached = _read_cached(out)
        if cached is not None:
            results[req] = PreparedImage(out, cached[0], cached[1], (0, 0), 0.0, True)
        else:
            todo.append((req, cache_dir, hashes[req.source]))
    findings: list[Finding] = []
    if todo:
        n = workers or os.cpu_count() or 1
        if n > 1 and len(todo) > 1:
            with ProcessPoolExecutor(max_workers=min(n, len(todo))) as pool:
                outcomes = list(pool.map(_worker, todo))
        else:
            outcomes = [_worker(t) for t in todo]
        for (req, _, _), outcome in zip(todo, outcomes, strict=True):
            if isinstance(outcome, EditionError):
                findings.extend(outcome.findings)
            else:
                results[req] = outcome
    if findings:
        raise EditionError(list(dict.fromkeys(findings)))
    return results


def _read_cached(path: Path) -> tuple[int, int] | None:
    """Size of a cached JPEG, or None when it is missing or corrupt (then it is rebuilt)."""
    if not path.is_file():
        return None
    try:
        with Image.open(path) as img:
            img.verify()
        with Image.open(path) as img:
            return img.size
    except (OSError, SyntaxError, ValueError):
        return None


def source_size(path: Path) -> tuple[int, int]:
    """Upright pixel size of a photo without decoding it."""
    try:
        with Image.open(path) as img:
            w, h = img.size
            if img.getexif().get(0x0112, 1) in (5, 6, 7, 8):
                w, h = h, w
            return w, h
    except (OSError, SyntaxError, ValueError) as exc:
        raise EditionError([Finding(f"image cannot be read ({exc})", Location(path),
                                    "replace it with a valid JPEG or PNG", "image.corrupt")]) from None
