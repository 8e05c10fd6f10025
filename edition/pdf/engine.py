"""WeasyPrint, imported only through here, after fontconfig is pointed at the bundled fonts.

With the system's fonts out of sight, no fallback font (DejaVu, Liberation...) can
sneak into a PDF; a glyph missing from one bundled family falls back to another.
"""

from __future__ import annotations

import atexit
import functools
import gc
import logging
import os
import shutil
import tempfile
from collections import OrderedDict
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from edition.pdf.hyphens import use_indonesian_rules
from edition.pdf.lines import break_lines_once
from edition.pdf.lines import forget as forget_lines
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
    """The weasyprint module, fonts isolated first (Pango reads fontconfig once),
    Indonesian hyphenated by edition's rules, each line broken once per layout."""
    isolate_fonts()
    import weasyprint as module

    use_indonesian_rules()
    break_lines_once()
    return module


# WeasyPrint writes every @font-face file of a document into a temporary folder of its
# font configuration, removed only when the configuration is garbage collected: a worker
# process ends with os._exit, which collects nothing, so one configuration per document
# left ~6 MB in the temporary folder for every section of every build. One configuration
# per set of layout folders is kept for the life of the process (fonts written and
# registered once, which also saves their parsing) and dropped at its exit. Its folder is
# made here, named by the process: what a killed process leaves is removed by the next
# one that lays out.
_FONT_CONFIGS: OrderedDict[Hashable, Any] = OrderedDict()
_KEPT = 4
_FONTS_PREFIX = "edition-fonts-"


def font_config(key: Hashable) -> Any:
    """This process's WeasyPrint FontConfiguration for documents whose fonts come from the
    folders `key` names (documents of another layout may give a family other files)."""
    config = _FONT_CONFIGS.get(key)
    if config is None:
        _drop_at_exit()
        _sweep()
        config = weasyprint().text.fonts.FontConfiguration()
        # WeasyPrint's own field, which it fills with a mkdtemp() of its own when empty
        config._folder = Path(tempfile.mkdtemp(prefix=f"{_FONTS_PREFIX}{os.getpid()}-"))
        _FONT_CONFIGS[key] = config
        while len(_FONT_CONFIGS) > _KEPT:
            _FONT_CONFIGS.popitem(last=False)
    else:
        _FONT_CONFIGS.move_to_end(key)
    return config


def drop_font_configs() -> None:
    """Forget this process's font configurations; their folders go with them."""
    _FONT_CONFIGS.clear()
    forget_lines()  # the styles of the last layout, which name their configuration
    gc.collect()  # documents laid out with them hold them in reference cycles


@functools.cache
def _sweep() -> None:
    """Remove the font folders of this user's processes that are gone (killed)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{_FONTS_PREFIX}*-*"):
        pid = folder.name.removeprefix(_FONTS_PREFIX).split("-", 1)[0]
        try:
            if not pid.isdigit() or folder.lstat().st_uid != os.getuid():
                continue
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:  # alive under another user (a reused number), or unreadable
            continue


@functools.cache
def _drop_at_exit() -> None:
    atexit.register(drop_font_configs)
    # A multiprocessing worker skips atexit (it ends with os._exit) but runs these.
    from multiprocessing import util

    util.Finalize(None, drop_font_configs, exitpriority=100)


def _forget_in_child() -> None:
    """In a process just forked: the configurations it inherited are its parent's, whose
    folders only the parent may remove; this process makes its own, dropped at its exit."""
    for config in _FONT_CONFIGS.values():
        config._folder = None  # WeasyPrint's own field: its __del__ removes what it names
    _FONT_CONFIGS.clear()
    _drop_at_exit.cache_clear()
    _sweep.cache_clear()


os.register_at_fork(after_in_child=_forget_in_child)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def weasyprint_warnings() -> Iterator[list[logging.LogRecord]]:
    """Catch WeasyPrint's own warnings so that they become findings. (The command line
    gives no third-party logger a handler of its own, so they are not printed twice.)"""
    handler = _Collect()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)


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
