"""Find a layout folder and the layouts it extends, and validate their layout.toml files."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from edition.errors import EditionError, Finding, Location
from edition.issue.files import read_text
from edition.issue.locate import TomlLines, pydantic_findings, toml_error
from edition.layout.spec import Layout, LayoutFile, merged
from edition.share import fonts_dir, share_dir


def load_layout(name: str, issue_root: Path | None = None) -> Layout:
    """Find layout `name` (the issue's own layouts/ first, then the bundled ones) and its
    parents; every problem of every layout.toml is reported at once, with its line."""
    findings: list[Finding] = []
    chain: list[tuple[Path, dict[str, Any]]] = []
    current: str | None = name
    while current:
        folder = _find(current, issue_root)
        if folder is None:
            raise EditionError.single(
                f"unknown layout '{current}'",
                issue_root / "issue.toml" if issue_root else None,
                None,
                f"available: {', '.join(available_layouts())}",
                "layout.unknown",
            )
        path = folder / "layout.toml"
        if any(f == folder for f, _ in chain):
            raise EditionError.single(
                "layouts extend each other in a loop",
                path,
                None,
                "remove one 'extends'",
                "layout.loop",
            )
        data = _read(path, findings)
        chain.append((folder, data))
        parent = data.get("extends")
        current = parent if isinstance(parent, str) else None
    if findings:
        raise EditionError(findings)
    try:
        spec = LayoutFile.model_validate(merged([data for _, data in reversed(chain)]))
    except ValidationError as exc:  # each file was valid: the parts do not fit together
        raise EditionError(
            pydantic_findings(
                exc, chain[0][0] / "layout.toml", lambda _key: None, LayoutFile, "layout"
            )
        ) from None
    sheets = [
        folder / css for folder, data in reversed(chain) for css in data.get("stylesheets", [])
    ]
    layout = Layout(
        name=name,
        folders=[f for f, _ in chain],
        page=spec.page,
        photos=spec.photos,
        ads=spec.ads,
        estimate=spec.estimate,
        strings=spec.strings,
        colors={k: list(v) for k, v in spec.colors.items()},
        accents={k: list(v) for k, v in spec.rubric_accents.items()},
        fonts=spec.fonts,
        time_zone=spec.time_zone,
        stylesheets=sheets,
        fit=spec.fit,
    )
    for folder, css in ((f, f / s) for f, data in chain for s in data.get("stylesheets", [])):
        if not Path(os.path.normpath(css)).is_relative_to(os.path.normpath(folder)):
            findings.append(
                Finding(
                    "stylesheet is outside the layout folder",
                    Location(folder / "layout.toml"),
                    "keep the layout's CSS in its folder",
                    "layout.outside",
                )
            )
        elif not css.is_file():
            findings.append(
                Finding(
                    "stylesheet not found",
                    Location(css),
                    "check 'stylesheets' in layout.toml",
                    "layout.missing-file",
                )
            )
    fonts = Path(os.path.normpath(fonts_dir()))
    for font in layout.font_files():
        if not Path(os.path.normpath(font)).is_relative_to(fonts):  # no '..' out of it
            findings.append(
                Finding(
                    f"font file '{font.name}' is outside assets/fonts",
                    Location(chain[0][0] / "layout.toml"),
                    "name a file in assets/fonts/",
                    "layout.outside",
                )
            )
        elif not font.is_file():
            findings.append(
                Finding(
                    "font file not found",
                    Location(font),
                    "put the font in assets/fonts/ or fix layout.toml",
                    "layout.missing-font",
                )
            )
    if findings:
        raise EditionError(findings)
    return layout


def layout_folders(issue_root: Path) -> list[Path] | None:
    """The folders of the layout issue.toml names (this layout first, then its parents),
    or None when issue.toml or the layout cannot be read."""
    try:
        data = tomllib.loads((issue_root / "issue.toml").read_text("utf-8"))
        name = data.get("layout", "classic")
        return load_layout(name, issue_root).folders if isinstance(name, str) else None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError, EditionError):
        return None


def _read(path: Path, findings: list[Finding]) -> dict[str, Any]:
    """One layout.toml as written, checked on its own so that a finding names its line."""
    text = read_text(path, findings, "layout.toml")
    if text is None:
        return {}
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg, line = toml_error(exc)
        findings.append(
            Finding(
                f"layout.toml is not valid TOML: {msg}",
                Location(path, line),
                "fix the TOML syntax",
                "layout.toml-syntax",
            )
        )
        return {}
    except RecursionError:
        findings.append(
            Finding("layout.toml is nested too deeply", Location(path), None, "layout.toml-syntax")
        )
        return {}
    try:
        LayoutFile.model_validate(data)
    except ValidationError as exc:
        findings.extend(
            pydantic_findings(exc, path, TomlLines.scan(text).line, LayoutFile, "layout")
        )
        return {}
    return data


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
