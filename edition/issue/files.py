"""Reading the files of an issue folder: UTF-8 text, paths that stay inside the folder."""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import unicodedata
from pathlib import Path

from edition.errors import Finding, Location

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp"}
AD_SUFFIXES = IMAGE_SUFFIXES | {".pdf"}
MAX_ARTICLE_BYTES = 2_000_000


def read_text(path: Path, findings: list[Finding], what: str) -> str | None:
    """Read a UTF-8 text file, or add one finding that says why not."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        findings.append(
            Finding(
                f"{what} not found", Location(path), "create it or fix the path", "file.missing"
            )
        )
        return None
    except IsADirectoryError:
        findings.append(
            Finding(
                f"{what} is a folder, not a file",
                Location(path),
                "replace it with the file",
                "file.unreadable",
            )
        )
        return None
    except OSError as exc:
        findings.append(
            Finding(
                f"cannot read {what}: {exc.strerror}",
                Location(path),
                "check the file's permissions",
                "file.unreadable",
            )
        )
        return None
    if len(data) > MAX_ARTICLE_BYTES:
        findings.append(
            Finding(
                f"{what} is {len(data)} bytes, more than the limit of {MAX_ARTICLE_BYTES}",
                Location(path),
                "split or shorten it",
                "file.too-large",
            )
        )
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        findings.append(
            Finding(
                f"{what} is not UTF-8 text (byte 0x{data[exc.start]:02x})",
                Location(path, line),
                "save the file as UTF-8",
                "file.encoding",
            )
        )
        return None
    if "\x00" in text:
        findings.append(
            Finding(
                f"{what} contains NUL bytes, it is not a text file",
                Location(path, text[: text.index("\x00")].count("\n") + 1),
                "replace it with a text file",
                "file.binary",
            )
        )
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n")


NAME_MAX = 255  # bytes in one part of a path, on the file systems an issue lives on


def impossible_name(rel: str) -> bool:
    """A name no file can have: a NUL byte, a lone surrogate, a part longer than NAME_MAX.

    The file system would answer such a name with an exception, not with "no such file".
    """
    try:
        encoded = os.fsencode(rel)
    except (UnicodeError, ValueError):
        return True
    return b"\0" in encoded or any(len(part) > NAME_MAX for part in re.split(rb"[/\\]", encoded))


def inside(root: Path, rel: str) -> Path | None:
    """`rel` resolved under `root`, or None when it would leave the folder."""
    if not rel or rel.startswith(("/", "\\")) or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", rel):
        return None
    try:
        target = (root / rel).resolve()
        target.relative_to(root.resolve())
    except (OSError, ValueError, RuntimeError):  # outside, or a symlink loop on the way
        return None
    return target


def resolve_file(
    root: Path, rel: str, where: Location, what: str, suffixes: set[str], findings: list[Finding]
) -> Path | None:
    """Check that `rel` names an existing file of the right kind inside the issue folder."""
    if impossible_name(rel):
        findings.append(
            Finding(
                f"{what} '{rel}' is not a possible file name",
                where,
                f"check the path: it holds a NUL character or a part longer than {NAME_MAX} bytes",
                "path.invalid",
            )
        )
        return None
    target = inside(root, rel)
    if target is None:
        findings.append(
            Finding(
                f"{what} '{rel}' is outside the issue folder",
                where,
                "use a path relative to the issue folder, without '..'",
                "path.outside",
            )
        )
        return None
    if not target.is_file():
        hint = "check the file name"
        near = _names_in(target.parent) if target.parent.is_relative_to(root.resolve()) else []
        close = difflib.get_close_matches(target.name, near, n=1)
        if close:
            hint = f"did you mean '{Path(rel).parent / close[0]}'?"
        findings.append(Finding(f"{what} '{rel}' does not exist", where, hint, "path.missing"))
        return None
    if target.suffix.lower() not in suffixes:
        findings.append(
            Finding(
                f"{what} '{rel}' is not a supported file type",
                where,
                f"use one of {', '.join(sorted(suffixes))}",
                "path.type",
            )
        )
        return None
    return target


def _names_in(folder: Path) -> list[str]:
    """The names in `folder`, for a did-you-mean; none when it cannot be listed."""
    try:
        return [p.name for p in folder.iterdir()]
    except OSError:
        return []


def one_line(findings: list[Finding]) -> list[Finding]:
    """Findings quote what the editor wrote, which may hold a line break or a NUL: shown
    escaped, each finding stays one line (and a lone surrogate cannot break the terminal)."""
    return [
        dataclasses.replace(
            f, message=_printable(f.message), hint=_printable(f.hint) if f.hint else f.hint
        )
        for f in findings
    ]


def _printable(text: str) -> str:
    return "".join(
        ch.encode("unicode_escape").decode("ascii")
        if unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp")
        else ch
        for ch in text
    )
