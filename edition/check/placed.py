"""Where each prepared photo landed in a built PDF: a prepared JPEG is embedded byte for
byte, so it is found on its pages by its content (pikepdf)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

import pikepdf

from edition.check.content import page_images
from edition.plan.model import ImageRequest


def photo_pages(
    pdf: pikepdf.Pdf, photo_files: Mapping[ImageRequest, Path]
) -> dict[ImageRequest, list[int]]:
    """The 1-based pages each prepared photo is painted on (a photo not found: no entry)."""
    by_size: dict[int, dict[str, list[ImageRequest]]] = {}
    for req, path in photo_files.items():
        try:
            data = path.read_bytes()
        except OSError:
            continue
        digest = hashlib.sha256(data).hexdigest()
        by_size.setdefault(len(data), {}).setdefault(digest, []).append(req)
    found: dict[ImageRequest, list[int]] = {}
    if not by_size:
        return found
    known: dict[tuple[int, int], list[ImageRequest]] = {}  # image object -> its photos
    for number, page in enumerate(pdf.pages, 1):
        for _, image in page_images(page):
            if image.objgen not in known:
                known[image.objgen] = _match(image, by_size)
            for req in known[image.objgen]:
                pages = found.setdefault(req, [])
                if number not in pages:
                    pages.append(number)
    return found


def _match(
    image: pikepdf.Object, by_size: dict[int, dict[str, list[ImageRequest]]]
) -> list[ImageRequest]:
    """The photos whose prepared file is this image's stream (lengths compared first: only
    an image of a prepared file's length is read)."""
    try:
        length = int(image.get("/Length", -1))
    except (TypeError, ValueError):
        return []
    candidates = by_size.get(length)
    if not candidates:
        return []
    try:
        digest = hashlib.sha256(image.read_raw_bytes()).hexdigest()
    except pikepdf.PdfError:
        return []
    return candidates.get(digest, [])
