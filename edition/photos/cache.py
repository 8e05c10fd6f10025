"""The prepared-photo cache: named by the source's content and the request, verified on reuse."""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path

from PIL import Image

from edition.errors import EditionError
from edition.issue.images import bad_image, strict_decoding
from edition.plan.model import ImageRequest
from edition.store.atomic import atomic_write_bytes
from edition.store.stamps import HashBook

CACHE_VERSION = "2"  # 2: photos below the resolution are no longer enlarged
# Prepared photos are named by content, not by where the cache lives: WeasyPrint names
# images after their URL, and the PDF must not change when the output folder does.


def digest(path: Path, book: HashBook | None = None) -> str:
    """The SHA-256 of a source photo, or one finding when it cannot be read."""
    try:
        return (book or HashBook(None)).sha256(path)
    except OSError as exc:
        raise bad_image(
            path,
            f"image cannot be read: {exc.strerror or exc}",
            "check that the file is there and readable",
            "image.unreadable",
        ) from None


def prepared_name(req: ImageRequest) -> str:
    """The file name a request's prepared photo has in the cache (and in the PDF's URL)."""
    return f"{cache_key(req, digest(req.source))}.jpg"


def cache_key(req: ImageRequest, content_hash: str) -> str:
    raw = (
        f"{CACHE_VERSION}|{content_hash}|{req.width_mm:.3f}|{req.height_mm:.3f}|{req.dpi}|"
        f"{req.crop}|{req.quality}|{req.cmyk}|{req.shade}"
    )
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


class Ledger:
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
        return digest(path, self.hashes)

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
        with strict_decoding(), Image.open(path, formats=["JPEG"]) as img:
            size = img.size
            img.draft(img.mode, (max(1, size[0] // 8), max(1, size[1] // 8)))
            img.load()
        return size
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, Image.DecompressionBombError):
        return None


def prepared_files(requests: list[ImageRequest], cache_dir: Path) -> dict[ImageRequest, Path]:
    """The prepared photos of `requests` that are in the cache (as an earlier build left
    them), without preparing any."""
    out = {}
    for req in requests:
        try:
            path = cache_dir / prepared_name(req)
        except EditionError:
            continue
        if path.is_file():
            out[req] = path
    return out
