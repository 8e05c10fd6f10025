"""The edition's HTML made to be opened in a browser (`edition build --html`).

What WeasyPrint is given does not show in a browser as it is: photos are
`edition-photo:` URLs that only edition's fetcher knows, print colours are
`device-cmyk()` (which browsers drop, leaving white type on white), fonts and the
layout's stylesheets are `file:` URLs a page opened from disk may not load. Here:

- every prepared photo is written beside the HTML, in `<name>_files/photos/`, as an sRGB
  JPEG (a print photo is converted from the bundled CMYK profile), and the HTML points
  at it;
- the layout's stylesheets are put inline, every `device-cmyk()` becomes the sRGB colour
  the bundled CMYK profile gives it, and `@color-profile` rules go;
- fonts and any other file the HTML or CSS uses (only from the folders a build may read)
  are copied into `<name>_files/`, under relative URLs;
- a small stylesheet for the screen shows each section as a sheet on a grey desk.

The page is still the edition's HTML, not the PDF: what only a paged renderer does
(running heads, page floats, folios) is not there.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import unquote, urlparse

from markupsafe import escape
from PIL import Image, ImageCms

from edition.share import cmyk_profile_path
from edition.store.atomic import atomic_write_bytes, atomic_write_text

PHOTO_SCHEME = "edition-photo:"
SCREEN_CSS = """
/* edition --html: the sections as sheets on a desk, for looking at in a browser */
@media screen {
  html { background: #d9d9d6; }
  body { margin: 0; padding: 12px 0 40px; }
  body > section, body > article {
    box-sizing: border-box; width: 210mm; min-height: 297mm; margin: 0 auto 12px;
    padding: 14mm 13mm 18mm 18mm; background: #fff; box-shadow: 0 1px 4px rgb(0 0 0 / 0.3);
    position: relative; overflow: hidden;
  }
  body > section.cover, body > section.adpage, body > section.inframe { padding: 0; }
  img { max-width: 100%; }
}
"""
_DEVICE_CMYK = re.compile(r"device-cmyk\(\s*([^)]*?)\s*\)", re.I)
_COLOR_PROFILE = re.compile(r"@color-profile\s+[^{]*\{[^}]*\}\s*", re.I)
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")
_ATTR_URL = re.compile(r"""(\s(?:src|href)=)(["'])(.*?)\2""", re.I | re.S)
_LINK = re.compile(r"""<link\s+rel=["']stylesheet["']\s+href=["']([^"']+)["']\s*/?>""", re.I)


def write_browser_html(
    html: str, dest: Path, photos: Mapping[str, Path], roots: Iterable[Path]
) -> list[Path]:
    """Write `html` as `dest`, with the photos (`edition-photo:` URL -> prepared file),
    fonts, stylesheets and other files it uses resolved next to it. Only files under
    `roots` are copied; a reference to any other file is left out. Returns every file
    written, the HTML first."""
    return _Page(dest, photos, [Path(r).resolve() for r in roots]).write(html)


@functools.cache
def cmyk_to_srgb(c: float, m: float, y: float, k: float) -> tuple[int, int, int]:
    """A CMYK colour (0..1 each) as the sRGB colour the bundled CMYK profile gives it."""
    pixel = Image.new("CMYK", (1, 1), tuple(round(v * 255) for v in (c, m, y, k)))
    rgb = ImageCms.applyTransform(pixel, _transform())
    assert rgb is not None
    r, g, b = rgb.getpixel((0, 0))  # type: ignore[misc]
    return int(r), int(g), int(b)


def screen_colours(css: str) -> str:
    """`css` with every `device-cmyk(c m y k [/ alpha])` as `rgb()`, and without
    `@color-profile` rules."""

    def rgb(m: re.Match[str]) -> str:
        body, _, alpha = m.group(1).partition("/")
        values = [_fraction(v) for v in re.split(r"[\s,]+", body.strip()) if v]
        if len(values) != 4 or any(v is None for v in values):
            return m.group(0)
        r, g, b = cmyk_to_srgb(*values)  # type: ignore[arg-type]
        a = f" / {alpha.strip()}" if alpha.strip() else ""
        return f"rgb({r} {g} {b}{a})"

    return _DEVICE_CMYK.sub(rgb, _COLOR_PROFILE.sub("", css))


def _fraction(value: str) -> float | None:
    try:
        v = float(value[:-1]) / 100 if value.endswith("%") else float(value)
    except ValueError:
        return None
    return min(1.0, max(0.0, v))


@functools.cache
def _transform() -> ImageCms.ImageCmsTransform:
    return ImageCms.buildTransform(
        ImageCms.getOpenProfile(str(cmyk_profile_path())),
        ImageCms.createProfile("sRGB"),
        "CMYK",
        "RGB",
        renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
    )


class _Page:
    def __init__(self, dest: Path, photos: Mapping[str, Path], roots: list[Path]) -> None:
        self.dest = dest
        self.folder = dest.parent / f"{dest.stem}_files"
        self.photos = photos
        self.roots = roots
        self.copied: dict[Path, str] = {}  # source file -> its URL relative to the HTML
        self.written: list[Path] = []

    def write(self, html: str) -> list[Path]:
        html = _LINK.sub(self._inline_stylesheet, html)
        html = re.sub(
            r"(<style[^>]*>)(.*?)(</style>)",
            lambda m: m.group(1) + self._css(m.group(2), None) + m.group(3),
            html,
            flags=re.S | re.I,
        )
        html = _ATTR_URL.sub(self._attribute, html)
        html = html.replace("</head>", f"<style>{SCREEN_CSS}</style>\n</head>", 1)
        atomic_write_text(self.dest, html)
        return [self.dest, *self.written]

    def _inline_stylesheet(self, m: re.Match[str]) -> str:
        path = self._local(m.group(1), None)
        if path is None:
            return ""
        try:
            css = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return ""
        # Inside <style>, only "</style" could end it early: a stylesheet has no reason to.
        css = re.sub(r"</(style)", r"<\\/\1", css, flags=re.I)
        return f"<style>\n{self._css(css, path.parent)}\n</style>"

    def _css(self, css: str, base: Path | None) -> str:
        def url(m: re.Match[str]) -> str:
            target = self._resolve(m.group(2), base)
            return f'url("{target}")' if target is not None else 'url("")'

        # @color-profile goes before its url() would be copied for nothing.
        return screen_colours(_CSS_URL.sub(url, _COLOR_PROFILE.sub("", css)))

    def _attribute(self, m: re.Match[str]) -> str:
        value = str(m.group(3))
        if value.startswith("#") or value.startswith(("http:", "https:", "mailto:", "data:")):
            return m.group(0)
        target = self._resolve(value.replace("&amp;", "&"), None)
        return f"{m.group(1)}{m.group(2)}{escape(target or '')}{m.group(2)}"

    def _resolve(self, url: str, base: Path | None) -> str | None:
        """The URL, relative to the HTML, of what `url` names (copied beside the HTML)."""
        url = url.strip()
        if url.startswith(("data:", "#", "http:", "https:", "mailto:")):
            return url
        if url.startswith(PHOTO_SCHEME):
            return self._photo(url)
        path = self._local(url, base)
        if path is None:
            return None
        if path not in self.copied:
            name = self._free_name(path.name)
            self._put(name, path.read_bytes())
            self.copied[path] = f"{self.folder.name}/{name}"
        return self.copied[path]

    def _local(self, url: str, base: Path | None) -> Path | None:
        parsed = urlparse(url)
        if parsed.scheme == "file":
            path = Path(unquote(parsed.path))
        elif not parsed.scheme and base is not None and not url.startswith("/"):
            path = base / unquote(parsed.path)
        else:
            return None
        try:
            real = path.resolve()
        except (OSError, RuntimeError):
            return None
        if real.is_file() and any(real.is_relative_to(r) for r in self.roots):
            return real
        return None

    def _photo(self, url: str) -> str | None:
        source = self.photos.get(url)
        if source is None:
            return None
        if source in self.copied:
            return self.copied[source]
        name = "photos/" + source.with_suffix(".jpg").name
        try:
            with Image.open(source) as opened:
                opened.load()
                img: Image.Image = opened
                if img.mode == "CMYK":
                    img = ImageCms.applyTransform(img, _transform()) or img
                elif img.mode != "RGB":
                    img = img.convert("RGB")
                buf = io.BytesIO()
                img.save(buf, format="JPEG", quality=88)
        except OSError:
            return None
        self._put(name, buf.getvalue())
        self.copied[source] = f"{self.folder.name}/{name}"
        return self.copied[source]

    def _free_name(self, name: str) -> str:
        taken = {u.rsplit("/", 1)[-1] for u in self.copied.values()}
        stem, dot, suffix = name.rpartition(".")
        candidate, n = name, 1
        while candidate in taken:
            n += 1
            candidate = f"{stem}-{n}{dot}{suffix}" if dot else f"{name}-{n}"
        return candidate

    def _put(self, name: str, data: bytes) -> None:
        path = self.folder / name
        atomic_write_bytes(path, data)
        self.written.append(path)
