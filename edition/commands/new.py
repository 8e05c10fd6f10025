"""`edition new`: an empty issue folder that builds."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from edition.errors import EditionError
from edition.store.atomic import atomic_write_text

ISSUE_TOML = """# Issue {number} — {date:%Y-%m}. See README.md ("The issue folder") for every key.
number = {number}
date = {date:%Y-%m-%d}
magazine = "IDM"
tagline = "Majalah Pertahanan Indonesia"
price = "Rp 45.000"
language = "id"
# The magazine's ISSN, printed with the barcode on the cover. Until it is given the cover
# shows the placeholder "ISSN 0000-0000", which the print edition's preflight reports.
# issn = "ISSN 1234-5679"

# [cover]
# photo = "photos/cover.jpg"
# credit = "Nama Fotografer"
# lead = "contoh-artikel"

[[rubrics]]
name = "Laporan Utama"
articles = ["contoh-artikel"]

# [[inframe]]
# photo = "photos/inframe-1.jpg"
# title = "Judul"
# caption = "Keterangan foto."
# credit = "Fotografer"

# [[news]]
# title = "Judul berita singkat"
# dateline = "Jakarta"
# date = {date:%Y-%m-%d}
# text = "Isi berita singkat."

# [[ads]]
# artwork = "ads/iklan.jpg"
# size = "full"            # full, half or quarter
# slot = "back-cover"      # or after = "slug" (full), article = "slug" (half, quarter)
"""

ARTICLE = """---
title: "Judul Artikel"
author: "Nama Penulis"
date: {date:%Y-%m-%d}
dek: "Satu atau dua kalimat pengantar yang memikat pembaca."
---
Tulis artikel di sini, dalam Markdown. Paragraf dipisahkan baris kosong.

## Subjudul

Paragraf berikutnya.
"""


def new_issue(root: Path, number: int, date: dt.date) -> list[Path]:
    """Create `root` with issue.toml, one example article and empty photos/ and ads/."""
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise EditionError.single(
            "folder already exists and is not empty"
            if root.is_dir()
            else "a file of that name already exists",
            root,
            None,
            "choose a new folder name",
            "new.exists",
        )
    files = [root / "issue.toml", root / "articles" / "contoh-artikel.md"]
    atomic_write_text(files[0], ISSUE_TOML.format(number=number, date=date))
    atomic_write_text(files[1], ARTICLE.format(date=date))
    for sub in ("photos", "ads"):
        (root / sub).mkdir(parents=True, exist_ok=True)
        (root / sub / ".keep").touch()
    return files
