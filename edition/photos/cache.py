"""The prepared-photo cache: named by the source's content and the request, verified on reuse."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from edition.errors import EditionError
from edition.issue.images import bad_image
from edition.plan.model import ImageRequest
from edition.store.atomic import atomic_write_bytes
from edition.store.seal import sealed, unsealed
from edition.store.stamps import HashBook, sha256_file

CACHE_VERSION = "3"  # 2: photos below the resolution no longer enlarged; 3: bicubic, no optimize
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
    """What the cache already knows: the SHA-256 of every original by its stamp
    (`HashBook`, shared with the issue's fingerprint), and of every prepared copy with its
    pixel size, sealed (edition.store.seal). A prepared copy is reused only when its bytes
    still have the SHA-256 recorded when it was made: one damaged in place, replaced by
    another photo or given back its old time is made again; so is one the ledger does not
    know (or whose record was edited), since nothing else vouches for what it shows."""

    def __init__(self, path: Path, hashes: Path) -> None:
        self.path = path
        self.hashes = HashBook(hashes)
        try:
            self.prepared: dict[str, Any] = dict(json.loads(path.read_text()))
        except (OSError, ValueError, TypeError):
            self.prepared = {}
        self.changed = False

    def digest(self, path: Path) -> str:
        return digest(path, self.hashes)

    def read_cached(self, path: Path) -> tuple[int, int] | None:
        """The pixel size of a prepared copy that is exactly what was made, else None."""
        record = unsealed(self.prepared.get(path.name))
        if record is None or record.get("name") != path.name:
            return None
        try:
            data = path.read_bytes()
        except OSError:
            return None
        if hashlib.sha256(data).hexdigest() != record.get("sha256"):
            return None
        try:
            return int(record["width"]), int(record["height"])
        except (KeyError, TypeError, ValueError):
            return None

    def vouch(self, path: Path, size: tuple[int, int]) -> None:
        """Record a prepared copy just made (its SHA-256 and size)."""
        try:
            sha = sha256_file(path)
        except OSError:
            return
        self.prepared[path.name] = sealed(
            {"name": path.name, "sha256": sha, "width": size[0], "height": size[1]}
        )
        self.changed = True

    def save(self) -> None:
        self.hashes.save()
        if self.changed:
            atomic_write_bytes(self.path, json.dumps(self.prepared).encode())


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
