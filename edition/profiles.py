"""The three editions of an issue: for the printer, the subscriber and the archive."""

from __future__ import annotations

from dataclasses import dataclass

from edition.errors import EditionError, Finding


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
    tagged: bool = False  # structure tags for accessibility (screen readers, reflow)
    embed_sources: bool = False  # issue.toml and the articles inside the PDF
    reproducible: bool = True  # same sources -> same bytes
    standard: str = ""  # what preflight checks it against, in a few words
    audience: str = ""  # who it is ready for


PROFILES: dict[str, Profile] = {
    # The printer: PDF/X-4, CMYK through the bundled FOGRA39 profile, bleed and marks.
    "print": Profile(
        "print",
        300,
        88,
        bleed=True,
        marks=True,
        cmyk=True,
        pdf_variant="pdf/x-4",
        pad_to=4,
        standard="PDF/X-4, CMYK FOGRA39, 3 mm bleed",
        audience="the printer",
    ),
    # Subscribers: small, RGB, tagged (PDF/UA-1), bookmarks and live links.
    "screen": Profile(
        "screen",
        150,
        80,
        bleed=False,
        marks=False,
        cmyk=False,
        pdf_variant="pdf/ua-1",
        pad_to=1,
        tagged=True,
        standard="tagged PDF/UA-1, RGB, 150 dpi",
        audience="subscribers",
    ),
    # Archivists: PDF/A-3b (sRGB output intent) with the sources embedded.
    "archive": Profile(
        "archive",
        300,
        88,
        bleed=False,
        marks=False,
        cmyk=False,
        pdf_variant="pdf/a-3b",
        pad_to=4,
        embed_sources=True,
        standard="PDF/A-3b, sources embedded",
        audience="the archive",
    ),
}


PROFILE_NAMES = tuple(PROFILES)


def get_profile(name: str) -> Profile:
    """The profile called `name`, or one clear error listing the ones that exist."""
    try:
        return PROFILES[name]
    except KeyError:
        raise EditionError(
            [
                Finding(
                    f"unknown profile '{name}'",
                    None,
                    f"use one of: {', '.join(PROFILES)}",
                    "usage.profile",
                )
            ]
        ) from None
