"""Only the bundled fonts: fontconfig is pointed at assets/fonts before WeasyPrint starts.

With the system's fonts out of sight, no fallback font (DejaVu, Liberation...) can
sneak into a PDF; a glyph missing from one bundled family falls back to another.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .layout import share_dir


def isolate_fonts() -> Path:
    """Write a fontconfig file that knows only assets/fonts and make it the one in use."""
    fonts = share_dir("assets") / "fonts"
    folder = Path(tempfile.gettempdir()) / f"edition-fontconfig-{os.getuid()}"
    folder.mkdir(parents=True, exist_ok=True)
    conf = folder / "fonts.conf"
    text = (
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n'
        f"<fontconfig><dir>{fonts}</dir><cachedir>{folder / 'cache'}</cachedir></fontconfig>\n"
    )
    if not conf.is_file() or conf.read_text() != text:
        tmp = folder / f"fonts.conf.{os.getpid()}"
        tmp.write_text(text)
        os.replace(tmp, conf)
    os.environ["FONTCONFIG_FILE"] = str(conf)
    return conf


isolate_fonts()
