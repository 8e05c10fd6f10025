"""Captions and credits carried by the photo itself, the way newsroom photos arrive.

Agencies and photographers write them into the file: IPTC IIM (Caption-Abstract 2:120,
By-line 2:80, Credit 2:110) and XMP (dc:description, dc:creator, photoshop:Credit).
They are used only where the issue gives none: an explicit caption in the issue wins.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, IptcImagePlugin

NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
}
MAX_XMP = 256 * 1024  # a caption does not need more; a hostile packet gets no further


@dataclass(frozen=True)
class PhotoText:
    caption: str | None = None
    credit: str | None = None


def _text(value: object) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if not isinstance(value, bytes) or not value:
        return None
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        text = value.decode("latin-1")
    text = " ".join(text.split())
    return text or None


def _iptc(img: Image.Image) -> PhotoText:
    try:
        info = IptcImagePlugin.getiptcinfo(img) or {}  # type: ignore[arg-type]
    except (OSError, SyntaxError, ValueError, IndexError):
        return PhotoText()
    credit = _text(info.get((2, 110))) or _text(info.get((2, 80)))
    return PhotoText(_text(info.get((2, 120))), credit)


def _xmp(img: Image.Image) -> PhotoText:
    raw = img.info.get("xmp") or img.info.get("XML:com.adobe.xmp")
    if not raw:
        return PhotoText()
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "replace")
    if not isinstance(raw, bytes):
        return PhotoText()  # a TIFF tag of another type where XMP belongs
    if len(raw) > MAX_XMP or b"<!ENTITY" in raw or b"<!DOCTYPE" in raw:
        return PhotoText()  # no entity games in a photo's metadata
    start = raw.find(b"<x:xmpmeta")
    end = raw.rfind(b"</x:xmpmeta>")
    if start < 0 or end < 0:
        return PhotoText()
    try:
        root = ET.fromstring(raw[start : end + len("</x:xmpmeta>")])
    except ET.ParseError:
        return PhotoText()

    def first(path: str) -> str | None:
        for el in root.iterfind(f".//{path}", NS):
            text = " ".join("".join(el.itertext()).split())
            if text:
                return text
        return None

    def attr(name: str) -> str | None:
        prefix, local = name.split(":")
        key = f"{{{NS[prefix]}}}{local}"
        for el in root.iter(f"{{{NS['rdf']}}}Description"):
            if el.get(key):
                return " ".join(el.get(key, "").split()) or None
        return None

    caption = first("dc:description/rdf:Alt/rdf:li") or first("dc:description")
    credit = (
        first("photoshop:Credit") or attr("photoshop:Credit") or first("dc:creator/rdf:Seq/rdf:li")
    )
    return PhotoText(caption, credit)


def text_of(img: Image.Image) -> PhotoText:
    """The caption and credit an opened image carries (IPTC first, then XMP), if any."""
    iptc, xmp = _iptc(img), _xmp(img)
    return PhotoText(iptc.caption or xmp.caption, iptc.credit or xmp.credit)


def photo_text(path: Path) -> PhotoText:
    """The caption and credit written in `path` (IPTC first, then XMP), if any."""
    try:
        with Image.open(path) as img:
            return text_of(img)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return PhotoText()  # the image checks report unreadable files
