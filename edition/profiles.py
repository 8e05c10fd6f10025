"""The three editions of an issue: for the printer, the subscriber and the archive."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import EditionError, Finding


@dataclass(frozen=True)
class Profile:
    name: str
    dpi: int
    jpeg_quality: int
    bleed: bool
    marks: bool
    cmyk: bool
    pdf_variant: str | None
    pad_to: int  # page count multiple


PROFILES: dict[str, Profile] = {
    "print": Profile("print", 300, 88, bleed=True, marks=True, cmyk=True,
                     pdf_variant=None, pad_to=4),
    "screen": Profile("screen", 150, 80, bleed=False, marks=False, cmyk=False,
                      pdf_variant=None, pad_to=1),
    "archive": Profile("archive", 300, 88, bleed=False, marks=False, cmyk=False,
                       pdf_variant="pdf/a-3b", pad_to=4),
}


def get_profile(name: str) -> Profile:
    """The profile called `name`, or one clear error listing the ones that exist."""
    try:
        return PROFILES[name]
    except KeyError:
        raise EditionError([Finding(f"unknown profile '{name}'", None,
                                    f"use one of: {', '.join(PROFILES)}",
                                    "usage.profile")]) from None
