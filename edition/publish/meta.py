"""Issue metadata beside the PDFs: OUT/<issue-id>/<issue-id>.json, updated by every build.

The file is what the catalogue, the OPDS feed and `edition archive` read: the
issue's number, date and cover lines, its contents as the built PDF's outline
gives them, and for every profile built the file's size, pages, SHA-256 and
the fingerprint of the inputs it was built from. It holds no timestamps, so
the same inputs give the same bytes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from edition import __version__
from edition.issue.model import Issue
from edition.language.dates import long_date, month_year
from edition.store.atomic import atomic_write_text
from edition.store.lock import file_lock
from edition.store.paths import Output
from edition.store.stamps import sha256_file

SCHEMA = 1
# Which profile's outline the top-level "contents" comes from, best first.
CONTENTS_PREFERENCE = ("screen", "archive", "print")


def _rank(profile: str | None) -> int:
    try:
        return CONTENTS_PREFERENCE.index(profile or "")
    except ValueError:
        return len(CONTENTS_PREFERENCE)


def _fold(title: str) -> str:
    """A title reduced to letters and digits, so that line breaks and soft hyphens that a
    PDF outline may carry (or lose) do not stop it matching the article's title."""
    return re.sub(r"[\W_]+", "", title.casefold())


def pdf_contents(pdf: Path, issue: Issue) -> list[dict[str, Any]]:
    """The PDF's outline, flattened in order: title, 1-based page, level and kind.

    An entry whose title is an article's (compared as letters and digits only) is
    of kind "article" and carries the article's slug and rubric; one whose title
    is a rubric of issue.toml is of kind "rubric"; anything else ("Daftar Isi",
    "Inframe", ...) is a "section".
    """
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    articles = {_fold(a.title): a for a in issue.articles}
    rubrics = {_fold(r.name): r.name for r in issue.spec.rubrics}
    entries: list[dict[str, Any]] = []

    def walk(items: list[Any], level: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
                continue
            title = " ".join(str(item.title or "").split())
            if not title:
                continue
            index = reader.get_destination_page_number(item)
            article = articles.get(_fold(title))
            rubric = article.rubric if article else rubrics.get(_fold(title))
            entries.append(
                {
                    "title": title,
                    "page": index + 1 if index is not None and index >= 0 else None,
                    "level": level,
                    "kind": "article" if article else "rubric" if rubric else "section",
                    "rubric": rubric,
                    "slug": article.slug if article else None,
                }
            )

    walk(reader.outline, 1)
    return entries


def cover_lines(issue: Issue) -> list[str]:
    """The titles of the stories the cover names: the lead first, then the other lines."""
    cover = issue.spec.cover
    if cover is None:
        return []
    slugs = ([cover.lead] if cover.lead else []) + list(cover.lines)
    titles = []
    for slug in slugs:
        article = issue.article(slug)
        if article is not None and article.title not in titles:
            titles.append(article.title)
    return titles


def read_meta(path: Path) -> dict[str, Any] | None:
    """The metadata file's content, or None when it is missing or unreadable."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def dump_json(data: Any) -> str:
    """Deterministic JSON: sorted keys, two-space indent, UTF-8 as is, a final newline."""
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def record_build(
    issue: Issue,
    profile: str,
    pdf: Path,
    pages: int,
    output: Output,
    fingerprint: str,
    sha256: str | None = None,
    published: bool | None = None,
) -> Path:
    """Write or update OUT/<issue-id>/<issue-id>.json after `profile` of `issue` was built
    to `pdf` from inputs whose fingerprint is `fingerprint`. Entries of other profiles are
    kept while their PDF still exists. `published` says, for the archive edition, whether
    it is the published one or a draft (see `commands.build.build_edition`). The file is
    written only when its content changes."""
    path = output.meta(issue.id)
    spec = issue.spec
    entry = {
        "file": pdf.name,
        "bytes": pdf.stat().st_size,
        "pages": pages,
        "sha256": sha256 or sha256_file(pdf),  # the build has it already
        "fingerprint": fingerprint,
    }
    if published is not None:
        entry["published"] = published
    contents = pdf_contents(pdf, issue)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Builds of two profiles of one issue that finish at the same moment (in two
    # processes) both get their entry in the file.
    with file_lock(path):
        old = read_meta(path) or {}
        profiles = {
            name: e
            for name, e in (old.get("profiles") or {}).items()
            if isinstance(e, dict) and (path.parent / str(e.get("file", ""))).is_file()
        }
        # The contents come from the newest inputs and, among PDFs of the same inputs,
        # from the profile subscribers read (so the file does not depend on build order).
        source = old.get("contents_from")
        keep = (
            source in profiles
            and source != profile
            and profiles[source].get("fingerprint") == entry["fingerprint"]
            and _rank(source) < _rank(profile)
            and isinstance(old.get("contents"), list)
        )
        if not keep:
            source = profile
        else:
            contents = old["contents"]
        profiles[profile] = entry
        data = {
            "schema": SCHEMA,
            "id": issue.id,
            "number": spec.number,
            "date": spec.date.isoformat(),
            "date_text": long_date(spec.date, spec.language),
            "month_text": month_year(spec.date, spec.language),
            "title": spec.title,
            "magazine": spec.magazine,
            "tagline": spec.tagline,
            "language": spec.language,
            "layout": spec.layout,
            "edition_version": __version__,
            "cover_lines": cover_lines(issue),
            "contents": contents,
            "contents_from": source,
            "profiles": profiles,
        }
        text = dump_json(data)
        try:
            same = path.read_text("utf-8") == text
        except (OSError, UnicodeDecodeError):
            same = False
        if not same:
            atomic_write_text(path, text)
    return path
