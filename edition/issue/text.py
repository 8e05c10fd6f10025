"""Text from contributors made safe to publish: characters XML forbids and terminals obey
left out, issue ids that can be a path and a URL, words short enough to lay out."""

from __future__ import annotations

import re

# Characters that XML 1.0 forbids (C0 controls but tab, line feed and carriage return;
# lone surrogates; U+FFFE, U+FFFF) and those a terminal takes as commands (DEL and the
# C1 controls, among them CSI). None of them can be printed on a page.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# An issue's id is its folder's name: it becomes a folder of the output, a part of file
# names, of the catalogue's URLs and of the PDFs' identifiers.
ISSUE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
# The longest run of characters without a break opportunity that a page may have to set.
# Laying out a word costs more than the square of its length (1,000 characters took 16 s,
# 5,000 over 300 s, 200 about a tenth of a second); no word, URL or number a magazine
# prints is longer than this.
MAX_WORD = 200
_WORD = re.compile(rf"[^\s\u200b\u00ad-]{{{MAX_WORD + 1},}}")


def has_controls(text: str) -> bool:
    """Whether `text` holds a character that XML forbids or a terminal would obey."""
    return _CONTROLS.search(text) is not None


def strip_controls(text: str) -> str:
    """`text` without the characters XML forbids and terminals obey (tab, line breaks kept)."""
    return _CONTROLS.sub("", text)


def is_issue_id(name: str) -> bool:
    """A name that can be an issue's id: ASCII letters, digits, '.', '_' and '-', starting
    with a letter or digit (no ':' for a URL scheme, no '/' or '..' for a path)."""
    return ISSUE_ID.fullmatch(name) is not None and ".." not in name


def overlong_word(text: str) -> tuple[int, str] | None:
    """The offset and the start of the first word longer than MAX_WORD characters (a run
    without a space, a hyphen or a soft hyphen), or None."""
    m = _WORD.search(text)
    if m is None:
        return None
    return m.start(), m.group()[:24] + "..."


_URL_UNSAFE = re.compile(r"[\s\"'<>\\^`{|}]")
_EMAIL = re.compile(r"[^\s@<>()\[\]\\,;:\"/]+@[^\s@<>()\[\]\\,;:\"/]+\.[^\s@<>()\[\]\\,;:\"/.]+")


def web_url(value: str) -> str | None:
    """The link a web address written in an issue becomes ("idm.id" -> "https://idm.id"),
    or None when it is not an http(s) address (`javascript:`, `file:`, `data:` ...)."""
    from urllib.parse import urlsplit

    value = value.strip()
    if not value or has_controls(value) or _URL_UNSAFE.search(value):
        return None
    url = value if "://" in value else f"https://{value}"
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if (
        parts.scheme.lower() not in ("http", "https")
        or not host
        or not url.startswith(f"{parts.scheme}://")
    ):
        return None
    return url


def is_email(value: str) -> bool:
    """Whether `value` is an e-mail address a `mailto:` link can carry."""
    return _EMAIL.fullmatch(value.strip()) is not None and not has_controls(value)
