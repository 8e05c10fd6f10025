"""The layout's stylesheets parsed once per process, not once per document.

WeasyPrint parses every `<style>` and `<link rel="stylesheet">` of a document again for
each document it lays out, and compiles every selector: a fifth of the time a section
takes, twice per section with the baseline grid's measuring pass. Here the stylesheets
in a document's `<head>` are taken out of it and handed to WeasyPrint already parsed,
from a cache kept for the life of the process and keyed by their bytes.

WeasyPrint gives stylesheets handed to it the *user* origin. With every stylesheet
lifted, the only author declarations left are the elements' style attributes, and they
rank against user declarations as they did against the stylesheets, but for one case: a
property declared `!important` both by a stylesheet and by a style attribute (the
attribute won; the stylesheet would). So a document is left as it is when a stylesheet
declares `!important` a property that a style attribute of the document, or the
baseline grid (which writes padding, column-fill and display into style attributes),
declares `!important`; also when one uses `@import` (what it imports could change
unseen), `@counter-style` or `@layer` (kept per document by WeasyPrint), a `media`
attribute, or a stylesheet anywhere but in the `<head>`: WeasyPrint then reads them.
The colour profiles of `@color-profile` rules are handed to WeasyPrint with the
stylesheets; what parsing a stylesheet refused or warned about is told again to every
document that uses it.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlparse

from edition.errors import Finding
from edition.pdf.engine import weasyprint, weasyprint_warnings

_KEPT = 32
# Per font configuration (the stylesheets' @font-face rules are registered in it), gone
# with it.
_CACHES: weakref.WeakKeyDictionary[Any, OrderedDict[tuple[str, bytes], _Parsed]] = (
    weakref.WeakKeyDictionary()
)
_UNSAFE = (b"@import", b"@counter-style", b"@layer")
_IMPORTANT = re.compile(rb"([A-Za-z-]+)\s*:[^;{}]*!\s*important", re.I)
_GRID_IMPORTANT = frozenset({b"padding", b"column", b"display"})  # see edition.pdf.grid


def _important(css: bytes) -> set[bytes]:
    """The properties `css` declares !important, by family (`padding-top` -> `padding`)."""
    return {m.group(1).lower().lstrip(b"-").split(b"-")[0] for m in _IMPORTANT.finditer(css)}


@dataclass(frozen=True)
class Lifted:
    """A document's stylesheets, parsed, in their order, and their colour profiles."""

    sheets: tuple[Any, ...] = ()
    color_profiles: tuple[tuple[str, Any], ...] = ()

    def options(self) -> dict[str, Any]:
        """What to add to WeasyPrint's `render()`: nothing when nothing was lifted."""
        if not self.sheets:
            return {}
        return {"stylesheets": list(self.sheets), "color_profiles": dict(self.color_profiles)}


def lift_stylesheets(html: Any, fetcher: Any, fonts: Any) -> Lifted:
    """Take the stylesheets out of `html` (a weasyprint.HTML not yet laid out) and return
    them parsed; nothing, with `html` untouched, when WeasyPrint must read them itself
    (see the module's docstring)."""
    root = html.etree_element
    found = [e for e in root.iter() if e.tag in ("style", "link") and _is_stylesheet(e)]
    head = root.find("head")
    if not found or head is None or any(e not in list(head) for e in found):
        return Lifted()
    sources: list[tuple[bytes, str]] = []
    for element in found:
        if element.get("media") is not None:
            return Lifted()
        if element.tag == "style":  # (WeasyPrint reads a <style>'s own text, as here)
            source: tuple[bytes, str] | None = ((element.text or "").encode(), html.base_url)
        else:
            source = _read(element.get("href") or "", html.base_url, fetcher)
        if source is None or any(word in source[0] for word in _UNSAFE):
            return Lifted()
        sources.append(source)
    attributes = b";".join(e.get("style", "").encode() for e in root.iter() if e.get("style"))
    reserved = _GRID_IMPORTANT | _important(attributes)
    if any(_important(data) & reserved for data, _ in sources):
        return Lifted()
    parsed = [_parsed(data, base, fetcher, fonts) for data, base in sources]
    for element in found:
        head.remove(element)
    return Lifted(
        tuple(p.css for p in parsed), tuple(kv for p in parsed for kv in p.color_profiles)
    )


def _is_stylesheet(element: Any) -> bool:
    if element.get("type", "text/css").split(";", 1)[0].strip() != "text/css":
        return False
    if element.tag == "style":
        return True
    rel = (element.get("rel") or "").lower().split()
    return "stylesheet" in rel and "alternate" not in rel


def _read(href: str, base_url: str, fetcher: Any) -> tuple[bytes, str] | None:
    """A linked stylesheet's bytes and URL, when it is a file the fetcher allows."""
    url = urljoin(base_url, href)
    parsed = urlparse(url)
    if parsed.scheme != "file" or parsed.netloc not in ("", "localhost"):
        return None
    path = Path(unquote(parsed.path))
    if not fetcher.allowed(path):
        return None  # WeasyPrint asks the fetcher, which refuses it and says so
    real = path.resolve()
    try:
        return real.read_bytes(), real.as_uri()
    except OSError:
        return None


@dataclass(frozen=True)
class _Parsed:
    css: Any
    color_profiles: tuple[tuple[str, Any], ...]
    refused: tuple[Finding, ...]
    warnings: tuple[logging.LogRecord, ...] = field(default=())


class _Profile:
    """A colour profile of a cached stylesheet, for many documents: its bytes are taken
    once, before anything reads its name. (Little CMS writes a profile out 52 bytes longer
    once its description has been read, so the second document would embed other bytes.)
    WeasyPrint reads `content`, `components`, `name` and sets `pdf_reference` per PDF."""

    def __init__(self, profile: Any) -> None:
        self.content: bytes = profile.content
        self.src = profile.src
        self.rendering_intent = profile.rendering_intent
        self.components = profile.components
        self.pdf_reference = None
        self._profile = profile

    @property
    def name(self) -> str:
        return str(self._profile.name)


def _parsed(data: bytes, base_url: str, fetcher: Any, fonts: Any) -> _Parsed:
    """`data` parsed, once per process and font configuration (the @font-face rules are
    registered in it); what parsing it refused or warned about is told again to every
    document that uses it."""
    cache = _CACHES.setdefault(fonts, OrderedDict())
    key = (base_url, hashlib.sha256(data).digest())
    hit = cache.get(key)
    if hit is None:
        before = len(fetcher.refused)
        profiles: dict[str, Any] = {}
        with weasyprint_warnings() as records:
            css = weasyprint().CSS(
                file_obj=io.BytesIO(data),
                base_url=base_url,
                url_fetcher=fetcher,
                font_config=fonts,
                color_profiles=profiles,
            )
        refused = tuple(fetcher.refused[before:])
        kept = tuple((name, _Profile(p)) for name, p in profiles.items())
        hit = cache[key] = _Parsed(css, kept, refused, tuple(records))
        while len(cache) > _KEPT:
            cache.popitem(last=False)
    else:
        cache.move_to_end(key)
        for finding in hit.refused:
            if finding not in fetcher.refused:
                fetcher.refused.append(finding)
        logger = logging.getLogger("weasyprint")
        for record in hit.warnings:
            logger.handle(record)
    return hit
