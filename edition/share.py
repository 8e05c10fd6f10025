"""Bundled data: the `layouts/` and `assets/` folders, in a checkout or an installed package."""

from __future__ import annotations

import os
from pathlib import Path


def share_dir(name: str) -> Path:
    """The folder `layouts` or `assets`: beside the package in a checkout, inside it when
    installed; `EDITION_HOME` names another place."""
    env = os.environ.get("EDITION_HOME")
    candidates = [Path(env) / name] if env else []
    here = Path(__file__).resolve().parent
    candidates += [here / name, here.parent / name]
    for c in candidates:
        if c.is_dir():
            return c
    return candidates[-1]


def cmyk_profile_path() -> Path:
    """The ICC profile of the printing condition (FOGRA39) the print edition is separated for."""
    return share_dir("assets") / "icc" / "edition-fogra39.icc"


def fonts_dir() -> Path:
    """The only fonts an edition may use."""
    return share_dir("assets") / "fonts"
