"""WeasyPrint, imported only through here, after fontconfig is pointed at the bundled fonts.

With the system's fonts out of sight, no fallback font (DejaVu, Liberation...) can
sneak into a PDF; a glyph missing from one bundled family falls back to another.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from types import ModuleType

from edition.pdf.hyphens import use_indonesian_rules
from edition.share import fonts_dir
from edition.store.atomic import atomic_write_text
from edition.store.paths import private_dir


def isolate_fonts() -> Path:
    """Write a fontconfig file that knows only assets/fonts and make it the one in use."""
    folder = private_dir("fontconfig")
    conf = folder / "fonts.conf"
    text = (
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n'
        f"<fontconfig><dir>{fonts_dir()}</dir><cachedir>{folder / 'cache'}</cachedir>"
        "</fontconfig>\n"
    )
    try:
        current = conf.read_text()
    except OSError:
        current = None
    if current != text:
        atomic_write_text(conf, text)
    os.environ["FONTCONFIG_FILE"] = str(conf)
    return conf


@functools.cache
def weasyprint() -> ModuleType:
    """The weasyprint module, fonts isolated first (Pango reads fontconfig once), and
    Indonesian hyphenated by edition's rules."""
    isolate_fonts()
    import weasyprint as module

    use_indonesian_rules()
    return module


def versions() -> dict[str, str]:
    """WeasyPrint's, pydyf's and Pango's versions, for `edition --version`."""
    module = weasyprint()
    import pydyf
    from weasyprint.text.ffi import pango

    v = pango.pango_version()  # e.g. 15012 for 1.50.12
    return {
        "WeasyPrint": module.__version__,
        "pydyf": pydyf.__version__,
        "Pango": f"{v // 10000}.{v // 100 % 100}.{v % 100}",
    }
