"""Layouts are folders: layout.toml, Jinja2 templates and CSS, with `extends` to inherit."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from .errors import EditionError, Finding, Location


def share_dir(name: str) -> Path:
    """The folder `layouts` or `assets`: beside the package in a checkout, inside it when
    installed."""
    env = os.environ.get("EDITION_HOME")
    candidates = [Path(env) / name] if env else []
    here = Path(__file__).resolve().parent
    candidates += [here / name, here.parent / name]
    for c in candidates:
        if c.is_dir():
            return c
    return candidates[-1]


@dataclass(frozen=True)
class PageGeometry:
    width: float = 210
    height: float = 297
    bleed: float = 3
    top: float = 14
    bottom: float = 18
    inside: float = 18
    outside: float = 13
    columns: int = 3
    gutter: float = 4.5
    baseline: float = 12


@dataclass(frozen=True)
class PhotoSizes:
    lead: float = 112
    figure_ratio: float = 0.68
    news_ratio: float = 0.62
    contents_thumb: float = 30
    # Darkening baked into photos that carry type: (edge, opacity, extent mm, curve).
    cover_shade: list[list[Any]] = field(default_factory=list)
    inframe_shade: list[list[Any]] = field(default_factory=list)


@dataclass
class Layout:
    name: str
    folders: list[Path]  # this layout first, then the layouts it extends
    page: PageGeometry
    photos: PhotoSizes
    colors: dict[str, list[float]]
    accents: dict[str, list[float]]
    fonts: list[dict[str, Any]]
    stylesheets: list[Path] = field(default_factory=list)

    @property
    def text_width(self) -> float:
        return self.page.width - self.page.inside - self.page.outside

    @property
    def text_height(self) -> float:
        return self.page.height - self.page.top - self.page.bottom

    @property
    def column_width(self) -> float:
        p = self.page
        return (self.text_width - (p.columns - 1) * p.gutter) / p.columns

    def environment(self, issue_root: Path | None = None,
                    bytecode_dir: Path | None = None) -> jinja2.Environment:
        """Templates looked up in priority order: issue override, this layout, its parents.

        With `bytecode_dir`, compiled templates are kept there between builds."""
        searched = ([issue_root / "templates"] if issue_root else []) + \
            [f / "templates" for f in self.folders]
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader([str(p) for p in searched]),
            autoescape=True, undefined=jinja2.StrictUndefined,
            trim_blocks=True, lstrip_blocks=True,
        )
        if bytecode_dir is not None:
            bytecode_dir.mkdir(parents=True, exist_ok=True)
            env.bytecode_cache = jinja2.FileSystemBytecodeCache(str(bytecode_dir))
        env.globals["searched"] = searched
        return env

    def font_files(self) -> list[Path]:
        assets = share_dir("assets") / "fonts"
        return [assets / f for font in self.fonts for f in font["files"].values()]


def load_layout(name: str, issue_root: Path | None = None) -> Layout:
    """Find layout `name` (issue's own layouts/ first, then the bundled ones) and its parents."""
    findings: list[Finding] = []
    chain: list[tuple[Path, dict[str, Any]]] = []
    current: str | None = name
    while current:
        folder = _find(current, issue_root)
        if folder is None:
            raise EditionError.single(f"unknown layout '{current}'", issue_root / "issue.toml"
                                      if issue_root else None, None,
                                      f"available: {', '.join(available_layouts())}",
                                      "layout.unknown")
        path = folder / "layout.toml"
        try:
            data = tomllib.loads(path.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise EditionError.single(f"layout file cannot be read: {exc}", path, None,
                                      "fix layout.toml", "layout.toml") from None
        if any(f == folder for f, _ in chain):
            raise EditionError.single("layouts extend each other in a loop", path, None,
                                      "remove one 'extends'", "layout.loop")
        chain.append((folder, data))
        current = data.get("extends")
    merged: dict[str, Any] = {}
    for _, data in reversed(chain):
        for key, value in data.items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = value
    sheets = []
    for folder, data in reversed(chain):
        for css in data.get("stylesheets", []):
            sheets.append(folder / css)
    layout = Layout(
        name=name, folders=[f for f, _ in chain],
        page=PageGeometry(**merged.get("page", {})),
        photos=PhotoSizes(**merged.get("photos", {})),
        colors=merged.get("colors", {}), accents=merged.get("rubric_accents", {}),
        fonts=merged.get("fonts", []), stylesheets=sheets,
    )
    for css in layout.stylesheets:
        if not css.is_file():
            findings.append(Finding("stylesheet not found", Location(css), "check 'stylesheets' "
                                    "in layout.toml", "layout.missing-file"))
    for font in layout.font_files():
        if not font.is_file():
            findings.append(Finding("font file not found", Location(font),
                                    "put the font in assets/fonts/ or fix layout.toml",
                                    "layout.missing-font"))
    if findings:
        raise EditionError(findings)
    return layout


def _find(name: str, issue_root: Path | None) -> Path | None:
    if "/" in name or "\\" in name or name.startswith("."):
        return None
    roots = ([issue_root / "layouts"] if issue_root else []) + [share_dir("layouts")]
    for root in roots:
        if (root / name / "layout.toml").is_file():
            return root / name
    return None


def available_layouts() -> list[str]:
    root = share_dir("layouts")
    return sorted(p.parent.name for p in root.glob("*/layout.toml"))
