"""Reading a source: a file or standard input, decoded, and told apart as text or HTML."""

from __future__ import annotations

import codecs
import re
import sys
from pathlib import Path
from typing import BinaryIO

from edition.errors import EditionError

HTML_SUFFIXES = (".html", ".htm", ".xhtml")


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _looks_like_text(text: str) -> bool:
    if re.search(r"[\x00-\x08\x0b\x0e-\x1f\x7f]", text):
        return False
    plain = sum(1 for ch in text if ch.isprintable() or ch.isspace())
    ascii_share = sum(1 for ch in text if ord(ch) < 128) / max(len(text), 1)
    return plain == len(text) and ascii_share >= 0.85


def decode_source(data: bytes, path: Path) -> str:
    """Text of a source: UTF-8 (with or without BOM), UTF-16 with BOM, or clean cp1252."""
    if not data.strip():
        raise EditionError.single(
            "source is empty",
            path,
            None,
            "save the article text or the web page into it",
            "collect.empty",
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as err:
            raise EditionError.single(
                "source has a UTF-16 byte-order mark but is not valid UTF-16",
                path,
                _line_of(data, err.start),
                "save it as UTF-8",
                "collect.encoding",
            ) from err
    nul = data.find(b"\x00")
    if nul >= 0:
        raise EditionError.single(
            "source is binary data, not text (NUL byte)",
            path,
            _line_of(data, nul),
            "collect a saved web page (.html) or a plain-text paste (.txt)",
            "collect.binary",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        first_error = err
    try:
        fallback = data.decode("cp1252")
    except UnicodeDecodeError:
        fallback = None
    if fallback is not None and _looks_like_text(fallback):
        return fallback
    bad = data[first_error.start]
    raise EditionError.single(
        f"source is neither UTF-8 nor cp1252 text (byte 0x{bad:02x} cannot be decoded)",
        path,
        _line_of(data, first_error.start),
        "save the file as UTF-8 text",
        "collect.encoding",
    ) from first_error


def read_source(source: str, stdin: BinaryIO | None = None) -> tuple[bytes, str]:
    """The bytes of a source (a path, or '-' for standard input) and its display name."""
    if source == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer
        return stream.read(), "stdin"
    path = Path(source)
    try:
        return path.read_bytes(), source
    except FileNotFoundError as err:
        raise EditionError.single(
            "source file not found",
            path,
            None,
            "check the path; use - to read standard input",
            "collect.missing",
        ) from err
    except IsADirectoryError as err:
        raise EditionError.single(
            "source is a folder, not a file",
            path,
            None,
            "name the saved page or text file itself",
            "collect.missing",
        ) from err
    except PermissionError as err:
        raise EditionError.single(
            "source file cannot be read (permission denied)",
            path,
            None,
            "check the file's permissions",
            "collect.missing",
        ) from err


def looks_like_html(source: str, text: str) -> bool:
    if source.lower().endswith(HTML_SUFFIXES):
        return True
    head = text.lstrip()[:5000]
    return head.startswith("<") or re.search(r"<html[\s>]", head, re.I) is not None
