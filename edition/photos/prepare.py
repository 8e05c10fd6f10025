"""Photos prepared once for the size they are placed at: cropped, resampled, separated."""

from __future__ import annotations

import functools
import io
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageCms, ImageOps

from edition.errors import EditionError, Finding
from edition.issue.images import (
    JPEG_FORMATS,
    MAX_PIXELS,
    PDF_POINTS_PER_INCH,
    is_rotated,
    open_header,
    pdf_page,
    reading,
    too_large,
)
from edition.photos.cache import Ledger, cache_key
from edition.plan.model import ImageRequest
from edition.share import cmyk_profile_path
from edition.store.atomic import atomic_write_bytes
from edition.workers import AD_PDF, die_with_parent, run_in_child


@dataclass(frozen=True)
class PreparedImage:
    path: Path
    width_px: int
    height_px: int
    reused: bool


@functools.cache
def _srgb() -> ImageCms.core.CmsProfile:
    return ImageCms.createProfile("sRGB")


def _lab_to_srgb() -> ImageCms.ImageCmsTransform:
    return ImageCms.buildTransform(ImageCms.createProfile("LAB"), _srgb(), "LAB", "RGB")


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
    """`img` upright (turned in place: a copy of every photo otherwise), 8-bit sRGB: EXIF
    orientation applied, transparency on white, ICC honoured.

    Transparency goes before the ICC conversion, which would drop the alpha channel and
    print transparent pixels in whatever colour they happen to hold (often black).
    """
    ImageOps.exif_transpose(img, in_place=True)  # (a copy of every photo, otherwise)
    icc = img.info.get("icc_profile")
    if img.mode.startswith("I"):  # 16-bit grey: keep the top 8 bits
        img = img.point(lambda v: v / 256).convert("L")
    elif img.mode == "LAB":
        return _transformed(img, _lab_to_srgb())
    if img.mode in ("RGBA", "RGBa", "LA", "La", "PA") or (
        img.mode == "P" and "transparency" in img.info
    ):
        img = _flatten(img)
    if isinstance(icc, bytes) and icc and img.mode in ("RGB", "CMYK", "L"):
        try:
            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(img, src, _srgb(), outputMode="RGB")
            img = converted if converted is not None else img
        except (ImageCms.PyCMSError, OSError):
            pass  # a broken embedded profile (or one for another mode): a plain conversion
    return img if img.mode == "RGB" else img.convert("RGB")


def _render_pdf(req: ImageRequest) -> tuple[Image.Image, int, int]:
    """Rasterise a PDF ad at exactly the resolution it is placed at (vector artwork is as
    sharp as the profile's dpi allows), flattened on white."""
    doc, page = pdf_page(req.source)
    try:
        w_pt, h_pt = page.get_size()
        sw = round(w_pt / PDF_POINTS_PER_INCH * req.dpi)
        sh = round(h_pt / PDF_POINTS_PER_INCH * req.dpi)
        tw, th = req.target_px(sw, sh)
        scale = max(tw / w_pt, th / h_pt)
        if w_pt * scale * h_pt * scale > MAX_PIXELS:
            raise too_large(req.source)
        img = page.render(scale=scale, fill_color=(255, 255, 255, 255)).to_pil()
    finally:
        page.close()
        doc.close()
    return img.convert("RGB"), sw, sh


def prepare_one(req: ImageRequest, out_dir: Path, content_hash: str) -> PreparedImage:
    out = out_dir / f"{cache_key(req, content_hash)}.jpg"
    if req.source.suffix.lower() == ".pdf":
        # In a child process with a time and memory ceiling: a few KB of PDF can ask
        # for billions of drawing operations (edition.workers).
        img, sw, sh = run_in_child(
            AD_PDF, "rasterising the PDF artwork", req.source, _render_pdf, req
        )
        tw, th = req.target_px(sw, sh)
        # Vector artwork is drawn at the slot's size: never short of pixels.
        return _finish_prepared(img, req, out, tw, th, sw, sh, vector=True)
    with reading(req.source), open_header(req.source) as src:
        src_w, src_h = src.size
        rotated = is_rotated(src)
        sw, sh = (src_h, src_w) if rotated else (src_w, src_h)
        tw, th = req.target_px(sw, sh)
        if src.format in JPEG_FORMATS:
            # draft() lets libjpeg decode at 1/2, 1/4 or 1/8 when that is still big enough.
            need = (th, tw) if rotated else (tw, th)
            scale = max(need[0] / src_w, need[1] / src_h)
            src.draft("RGB", (max(1, int(src_w * scale)), max(1, int(src_h * scale))))
        src.load()  # every pixel decoded before any is used
        img = _to_rgb(src)
    return _finish_prepared(img, req, out, tw, th, sw, sh)


def no_upsampling(req: ImageRequest, sw: int, sh: int, tw: int, th: int) -> tuple[int, int]:
    """The prepared size: the slot's pixels at the profile's resolution, or fewer when the
    source has fewer. An enlarged photo is no sharper, and the printer's preflight would see
    the profile's resolution instead of the photo's own (preflight reports it instead)."""
    if req.crop:
        # The part of the source that fills the box, at the box's shape.
        crop_w = min(float(sw), sh * tw / th)
        if crop_w >= tw:
            return tw, th
        return max(1, round(crop_w)), max(1, round(crop_w * th / tw))
    if tw <= sw and th <= sh:
        return tw, th
    return sw, sh  # fitted inside the box: its shape is the source's


def _finish_prepared(
    img: Image.Image,
    req: ImageRequest,
    out: Path,
    tw: int,
    th: int,
    sw: int,
    sh: int,
    *,
    vector: bool = False,
) -> PreparedImage:
    if not vector:
        tw, th = no_upsampling(req, sw, sh, tw, th)
    # Bicubic: beside Lanczos, a quarter less time for what is, at these reductions
    # (from libjpeg's draft, by at most half), half a level of difference per channel.
    if req.crop:
        img = ImageOps.fit(img, (tw, th), Image.Resampling.BICUBIC, centering=(0.5, 0.45))
    else:
        img = img.resize((tw, th), Image.Resampling.BICUBIC)
    if req.shade:
        img = apply_shade(img, req)
    if req.cmyk:
        img = to_cmyk(img)
    buf = io.BytesIO()
    img.save(  # (optimised Huffman tables: 1 % smaller, a photo's encoding twice as long)
        buf,
        "JPEG",
        quality=req.quality,
        optimize=False,
        progressive=False,
        dpi=(req.dpi, req.dpi),
        subsampling="4:2:0",
    )
    atomic_write_bytes(out, buf.getvalue())
    return PreparedImage(out, tw, th, False)


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


@functools.cache
def _to_cmyk_transform() -> ImageCms.ImageCmsTransform:
    target = ImageCms.getOpenProfile(str(cmyk_profile_path()))
    return ImageCms.buildTransform(_srgb(), target, "RGB", "CMYK", ImageCms.Intent.PERCEPTUAL)


def to_cmyk(img: Image.Image) -> Image.Image:
    """sRGB -> the printing condition's CMYK (perceptual, as photos are separated)."""
    try:
        return _transformed(img.convert("RGB"), _to_cmyk_transform())
    except OSError:
        # Little CMS could not write the output profile back (Pillow attaches it to the
        # result): seen, rarely, in a worker forked from a busy process. Once more with a
        # transform and profiles made afresh.
        _srgb.cache_clear()
        _to_cmyk_transform.cache_clear()
        return _transformed(img.convert("RGB"), _to_cmyk_transform())


def _transformed(img: Image.Image, transform: ImageCms.ImageCmsTransform) -> Image.Image:
    out = ImageCms.applyTransform(img, transform)  # None only when told to work in place
    assert out is not None
    return out


def _worker(task: PhotoTask) -> PreparedImage | EditionError:
    try:
        return task.make()
    except EditionError as exc:
        return exc


@dataclass(frozen=True)
class PhotoTask:
    """A photo still to prepare, and the file it is to be: made where it is first needed
    (`make`), in whatever process that is."""

    request: ImageRequest
    path: Path
    content_hash: str

    def make(self) -> PreparedImage:
        return prepare_one(self.request, self.path.parent, self.content_hash)

    def stand_in(self) -> bytes | None:
        """A JPEG of the size and colours the photo will have, of one flat colour, made in
        a few milliseconds from the source's header: what a layout that may never be kept
        lays out with (the pixels play no part in a layout). None for artwork drawn from a
        PDF, whose size is known only once it is drawn."""
        req = self.request
        if req.source.suffix.lower() == ".pdf":
            return None
        with reading(req.source), open_header(req.source) as src:
            sw, sh = (src.height, src.width) if is_rotated(src) else src.size
        tw, th = no_upsampling(req, sw, sh, *req.target_px(sw, sh))
        buf = io.BytesIO()
        flat = Image.new("CMYK" if req.cmyk else "RGB", (tw, th))
        flat.save(buf, "JPEG", quality=req.quality, dpi=(req.dpi, req.dpi))
        return buf.getvalue()


def _ledger(cache_dir: Path) -> Ledger:
    return Ledger(
        cache_dir.with_name(f"{cache_dir.name}-ledger.json"), cache_dir.with_name("hashes.json")
    )


def _sort(
    requests: list[ImageRequest], cache_dir: Path, book: Ledger
) -> tuple[dict[ImageRequest, PreparedImage], list[PhotoTask]]:
    """The requests the cache vouches for, and those still to prepare."""
    results: dict[ImageRequest, PreparedImage] = {}
    todo: list[PhotoTask] = []
    hashes: dict[Path, str] = {}
    for req in dict.fromkeys(requests):
        if req.source not in hashes:
            hashes[req.source] = book.digest(req.source)
        out = cache_dir / f"{cache_key(req, hashes[req.source])}.jpg"
        cached = book.read_cached(out)
        if cached is not None:
            results[req] = PreparedImage(out, cached[0], cached[1], True)
        else:
            todo.append(PhotoTask(req, out, hashes[req.source]))
    return results, todo


def photo_tasks(
    requests: list[ImageRequest], cache_dir: Path
) -> tuple[dict[ImageRequest, PreparedImage], list[PhotoTask]]:
    """Of `requests`: the prepared copies in the cache, and the photos still to make
    (none is made here; `vouch_for` records them once they are)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    book = _ledger(cache_dir)
    found = _sort(requests, cache_dir, book)
    book.save()
    return found


def vouch_for(made: list[PreparedImage], cache_dir: Path) -> None:
    """Record prepared copies made elsewhere (by `PhotoTask.make`), so that the next
    build reuses them."""
    book = _ledger(cache_dir)
    for image in made:
        book.vouch(image.path, (image.width_px, image.height_px))
    book.save()


def prepare_images(
    requests: list[ImageRequest],
    cache_dir: Path,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[ImageRequest, PreparedImage]:
    """Prepare every requested image, reusing cached copies; errors for all bad files at once."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    book = _ledger(cache_dir)
    results, tasks = _sort(requests, cache_dir, book)
    # The largest first: the pool's processes then finish together, not one of them
    # left with a full-page photo at the end.
    todo = sorted(tasks, key=lambda t: -t.request.width_mm * t.request.height_mm)
    findings: list[Finding] = []
    if todo:
        n = workers or os.cpu_count() or 1
        if n > 1 and len(todo) > 1:
            outcomes = []
            with ProcessPoolExecutor(
                max_workers=min(n, len(todo)), initializer=die_with_parent
            ) as pool:
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
        for task, outcome in zip(todo, outcomes, strict=True):
            if isinstance(outcome, EditionError):
                findings.extend(outcome.findings)
            else:
                results[task.request] = outcome
                book.vouch(outcome.path, (outcome.width_px, outcome.height_px))
    book.save()
    if findings:  # one line per bad file, however many places it is used in
        unique: dict[tuple[object, str], Finding] = {}
        for f in findings:
            unique.setdefault((f.location, f.code), f)
        raise EditionError(list(unique.values()))
    return results
