"""The back-issue catalogue: a static site, an OPDS feed and issues.json, written into DIST.

It reads the OUT/<issue-id>/<issue-id>.json that every build writes (see
meta.py), renders each issue's cover from the first page of its PDF
(pypdfium2; the screen PDF when there is one) in three widths, and writes
with Jinja2 templates (autoescaped) from edition/publish/templates/catalog/:

    DIST/index.html            Edisi Terbaru large, then every back issue by year
    DIST/<issue-id>/index.html one issue: cover, cover lines, contents, downloads
    DIST/opds.xml              OPDS 1.2 acquisition feed (Atom)
    DIST/issues.json           the same for scripts
    DIST/assets/               catalog.css and the magazine's fonts (Latin subsets, WOFF)

Every link is relative, so the folder works from disk and from any web path;
`base_url` makes the links of the feed (and the pages' canonical links)
absolute. Nothing depends on the clock: the same DIST gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babel.numbers import format_decimal
from jinja2 import Environment, PackageLoader

from edition.errors import EditionError
from edition.issue.text import is_issue_id, strip_controls, web_url
from edition.publish.meta import SCHEMA, dump_json, read_meta
from edition.share import fonts_dir
from edition.store.atomic import atomic_write_bytes, atomic_write_text
from edition.store.paths import Output, path_key
from edition.store.stamps import sha256_file

COVER_WIDTHS = (240, 480, 960)
COVER_PREFERENCE = ("screen", "archive", "print")
# What a subscriber downloads: the screen edition. The print edition is the printer's and
# the archive edition the archivist's; the catalogue does not offer them.
DOWNLOAD_ORDER = ("screen",)
PROFILE_LABELS = {
    "screen": ("Unduh PDF", "untuk layar"),
    "print": ("Edisi cetak", "PDF/X, siap cetak"),
    "archive": ("Edisi arsip", "PDF/A-3, dengan sumbernya"),
}
OPDS_ACQUISITION = "application/atom+xml;profile=opds-catalog;kind=acquisition"
# Web fonts: the magazine's display and text faces, cut to the Latin characters.
WEB_FONTS = (
    ("Inter Display", 900, "normal", "InterDisplay-Black.otf"),
    ("Inter", 400, "normal", "Inter-Regular.otf"),
    ("Inter", 700, "normal", "Inter-Bold.otf"),
    ("Noto Serif", 400, "normal", "NotoSerif-Regular.ttf"),
)
FONT_LICENCES = ("OFL-Inter.txt", "OFL-NotoSerif.txt")
WEB_CHARS = (
    "".join(chr(c) for c in (*range(0x20, 0x7F), *range(0xA0, 0x180)))
    + "\u2013\u2014\u2018\u2019\u201a\u201c\u201d\u201e\u2022\u2026\u2032\u2033\u20ac\u2192\u2190"
)


@dataclass
class CatalogResult:
    written: list[Path] = field(default_factory=list)
    issues: int = 0
    latest: str | None = None
    skipped: list[Path] = field(default_factory=list)  # metadata files it could not use


@dataclass
class Download:
    profile: str
    href: str  # relative to DIST
    bytes: int
    pages: int
    sha256: str
    label: str
    note: str
    size_text: str


@dataclass
class CatalogIssue:
    """One issue as the catalogue shows it (from its metadata file)."""

    id: str
    number: int
    date: dt.date
    date_text: str
    month_text: str
    title: str | None
    magazine: str
    tagline: str | None
    language: str
    cover_lines: list[str]
    contents: list[dict[str, Any]]
    downloads: list[Download]
    covers: dict[int, str]  # width -> href relative to DIST
    cover_size: dict[int, tuple[int, int]]
    source: str  # the profile whose PDF the cover was rendered from

    @property
    def name(self) -> str:
        return self.title or f"Edisi {self.number}"

    @property
    def label(self) -> str:
        return f"{self.magazine} Edisi {self.number} \u00b7 {self.month_text}"

    @property
    def page(self) -> str:
        return f"{self.id}/index.html"

    @property
    def main_download(self) -> Download | None:
        return self.downloads[0] if self.downloads else None

    @property
    def subtitle(self) -> str | None:
        """The issue's own title, when it says more than its month."""
        if self.title and self.title.casefold().strip() != self.month_text.casefold():
            return self.title
        return None

    def groups(self) -> list[tuple[str | None, list[dict[str, Any]]]]:
        """The contents as the issue page lists them: rubric by rubric (in the order of
        the PDF), each with its articles; then the other sections (Berita Terbaru,
        Inframe, ...) under no rubric, leaving out the cover and the contents page."""
        groups: list[tuple[str | None, list[dict[str, Any]]]] = []
        others: list[dict[str, Any]] = []
        for entry in self.contents:
            kind = entry.get("kind")
            if kind == "rubric":
                groups.append((entry["title"], []))
            elif kind == "article":
                rubric = entry.get("rubric")
                if not groups or groups[-1][0] != rubric:
                    groups.append((rubric, []))
                groups[-1][1].append(entry)
            elif (
                entry.get("level") == 1
                and entry.get("page") != 1
                and entry.get("title", "").casefold() != "daftar isi"
            ):
                others.append(entry)
        if others:
            groups.append((None, others))
        return [g for g in groups if g[1]]


def size_text(n: int, locale: str = "id") -> str:
    """'3,0 MB' (decimal comma in Indonesian)."""
    if n < 100_000:
        return f"{format_decimal(n / 1e3, format='#,##0', locale=locale)} kB"
    return f"{format_decimal(n / 1e6, format='#,##0.0', locale=locale)} MB"


def _srcset(covers: dict[int, str], prefix: str = "") -> str:
    return ", ".join(f"{prefix}{href} {w}w" for w, href in sorted(covers.items()))


@functools.lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("edition.publish", "templates/catalog"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["srcset"] = _srcset
    return env


# --- reading DIST ---------------------------------------------------------------------


def _clean(data: Any) -> Any:
    """The metadata with the characters XML forbids and terminals obey left out of every
    string: the catalogue's pages and feed must be well-formed whatever a title holds."""
    if isinstance(data, dict):
        return {strip_controls(str(k)): _clean(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_clean(v) for v in data]
    return strip_controls(data) if isinstance(data, str) else data


def _read_issue(dist: Path, folder: Path) -> tuple[dict[str, Any], dict[str, Path]] | None:
    """An issue's metadata and PDFs, or None when the catalogue cannot use them. The folder
    name is the issue's id and becomes a part of every URL of the issue: only a plain name
    (letters, digits, '.', '_', '-') is used, so that no id can be a `javascript:` URL."""
    if not is_issue_id(folder.name):
        return None
    data = _clean(read_meta(Output(dist).meta(folder.name)))
    if not data or data.get("schema") != SCHEMA or data.get("id") != folder.name:
        return None
    try:
        int(data["number"])
        dt.date.fromisoformat(data["date"])
    except (KeyError, TypeError, ValueError):
        return None
    pdfs = {}
    profiles = data.get("profiles")
    for profile, entry in (profiles if isinstance(profiles, dict) else {}).items():
        if profile not in DOWNLOAD_ORDER or not isinstance(entry, dict):
            continue
        name = str(entry.get("file", ""))
        # The PDF beside the metadata, by a plain name: never a path out of the folder.
        if is_issue_id(name) and name.endswith(".pdf") and (folder / name).is_file():
            pdfs[profile] = folder / name
    return (data, pdfs) if pdfs else None


def collect_issues(
    dist: Path, skipped: list[Path] | None = None
) -> list[tuple[dict[str, Any], dict[str, Path]]]:
    """Every issue of DIST with metadata and at least one PDF, newest first. Folders
    that hold a metadata file the catalogue cannot use are added to `skipped`."""
    found = []
    for folder in sorted(dist.iterdir()):
        if folder.is_dir() and not folder.name.startswith("."):
            item = _read_issue(dist, folder)
            if item is not None:
                found.append(item)
            elif skipped is not None and Output(dist).meta(folder.name).exists():
                skipped.append(Output(dist).meta(folder.name))
    found.sort(key=lambda it: (it[0]["date"], it[0]["number"], it[0]["id"]), reverse=True)
    return found


# --- covers --------------------------------------------------------------------------


def render_cover(pdf: Path, widths: tuple[int, ...] = COVER_WIDTHS) -> dict[int, bytes]:
    """JPEGs of the first page of `pdf`, cut to its TrimBox (no bleed, no crop marks)."""
    import pypdfium2 as pdfium
    from PIL import Image

    doc = pdfium.PdfDocument(str(pdf))
    try:
        page = doc[0]
        cl, cb, cr, ct = page.get_cropbox()
        tl, tb, tr, tt = page.get_trimbox()
        crop = (max(0.0, tl - cl), max(0.0, tb - cb), max(0.0, cr - tr), max(0.0, ct - tt))
        trim_w, trim_h = tr - tl, tt - tb
        scale = max(widths) / trim_w
        image = page.render(scale=scale, crop=crop).to_pil().convert("RGB")
        page.close()
    finally:
        doc.close()
    out = {}
    for w in widths:
        h = round(w * trim_h / trim_w)
        img = image if image.size == (w, h) else image.resize((w, h), Image.Resampling.LANCZOS)
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=82, optimize=True, progressive=True)
        out[w] = buf.getvalue()
    return out


def _write_if_changed(path: Path, data: bytes, written: list[Path]) -> None:
    try:
        if path.read_bytes() == data:
            return
    except OSError:
        pass
    atomic_write_bytes(path, data)
    written.append(path)


def _covers(
    dist: Path, issue_id: str, pdf: Path, written: list[Path]
) -> tuple[dict[int, str], dict[int, tuple[int, int]]]:
    """Cover images of an issue, rendered again only when their PDF has changed."""
    from PIL import Image

    folder = dist / issue_id
    names = {w: f"cover-{w}.jpg" for w in COVER_WIDTHS}
    # What the covers were rendered from, in the build cache (never in DIST, which is
    # published); a DIST of an older version may still hold its stamp there.
    (folder / ".cover.sha256").unlink(missing_ok=True)
    stamp_path = Output(dist).cache / "covers" / f"{issue_id}-{path_key(folder)}.sha256"
    digest = f"{sha256_file(pdf)} {pdf.name} {','.join(map(str, COVER_WIDTHS))}\n"
    fresh = (
        stamp_path.is_file()
        and stamp_path.read_text("utf-8") == digest
        and all((folder / n).is_file() for n in names.values())
    )
    if not fresh:
        for w, data in render_cover(pdf).items():
            _write_if_changed(folder / names[w], data, written)
        atomic_write_text(stamp_path, digest)
    sizes = {}
    for w, name in names.items():
        with Image.open(folder / name) as img:
            sizes[w] = img.size
    return {w: f"{issue_id}/{n}" for w, n in names.items()}, sizes


# --- fonts and stylesheet ---------------------------------------------------------------


def _web_font(source: Path) -> bytes:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(source, recalcTimestamp=False)
    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = ["kern", "liga", "calt", "tnum", "case"]
    options.name_IDs = ["*"]
    options.hinting = False
    options.desubroutinize = True
    sub = subset.Subsetter(options)
    sub.populate(text=WEB_CHARS)
    sub.subset(font)
    font.flavor = "woff"
    buf = io.BytesIO()
    font.save(buf, reorderTables=True)
    return buf.getvalue()


def _assets(dist: Path, written: list[Path]) -> list[dict[str, Any]]:
    """Copy the web fonts (named by a hash of their source, made once) and their licences."""
    web_dir = dist / "assets" / "fonts"
    src_dir = fonts_dir()
    faces = []
    keep = set()
    for family, weight, style, file in WEB_FONTS:
        source = src_dir / file
        if not source.is_file():
            continue
        tag = hashlib.sha256(source.read_bytes() + WEB_CHARS.encode()).hexdigest()[:10]
        name = f"{source.stem}.{tag}.woff"
        target = web_dir / name
        if not target.is_file():
            atomic_write_bytes(target, _web_font(source))
            written.append(target)
        keep.add(name)
        faces.append({"family": family, "weight": weight, "style": style, "href": f"fonts/{name}"})
    for lic in FONT_LICENCES:
        if (src_dir / lic).is_file():
            _write_if_changed(web_dir / lic, (src_dir / lic).read_bytes(), written)
    if web_dir.is_dir():
        for old in web_dir.glob("*.woff"):
            if old.name not in keep:
                old.unlink()
    return faces


# --- the catalogue ---------------------------------------------------------------------


def _issue(
    dist: Path, data: dict[str, Any], pdfs: dict[str, Path], written: list[Path]
) -> CatalogIssue:
    issue_id = data["id"]
    language = _language(data.get("language"))
    downloads = []
    for profile in (*DOWNLOAD_ORDER, *sorted(set(pdfs) - set(DOWNLOAD_ORDER))):
        if profile not in pdfs:
            continue
        entry = data["profiles"][profile]
        label, note = PROFILE_LABELS.get(profile, (f"PDF {profile}", profile))
        size = pdfs[profile].stat().st_size
        downloads.append(
            Download(
                profile,
                f"{issue_id}/{pdfs[profile].name}",
                size,
                int(entry.get("pages") or 0),
                str(entry.get("sha256", "")),
                label,
                note,
                size_text(size, language),
            )
        )
    source = next(p for p in (*COVER_PREFERENCE, *sorted(pdfs)) if p in pdfs)
    covers, sizes = _covers(dist, issue_id, pdfs[source], written)
    return CatalogIssue(
        id=issue_id,
        number=int(data["number"]),
        date=dt.date.fromisoformat(data["date"]),
        date_text=data.get("date_text") or data["date"],
        month_text=data.get("month_text") or data["date"][:7],
        title=data.get("title"),
        magazine=data.get("magazine") or "IDM",
        tagline=data.get("tagline"),
        language=language,
        cover_lines=list(data.get("cover_lines") or []),
        contents=list(data.get("contents") or []),
        downloads=downloads,
        covers=covers,
        cover_size=sizes,
        source=source,
    )


def _language(value: object) -> str:
    """The issue's language if Babel knows it (it formats the sizes), else Indonesian."""
    from babel import Locale, UnknownLocaleError

    if isinstance(value, str) and value:
        try:
            Locale.parse(value.replace("-", "_"))
            return value
        except (ValueError, TypeError, UnknownLocaleError):
            pass
    return "id"


def _by_year(issues: list[CatalogIssue]) -> list[tuple[int, list[CatalogIssue]]]:
    years: dict[int, list[CatalogIssue]] = {}
    for issue in issues:
        years.setdefault(issue.date.year, []).append(issue)
    return sorted(years.items(), reverse=True)


def _urn(*parts: str) -> str:
    """A stable id for the feed and its entries: a name-based UUID (RFC 4122, v5)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, "edition:" + ":".join(parts)).urn


def _issues_json(issues: list[CatalogIssue], base_url: str | None) -> str:
    return dump_json(
        {
            "schema": 1,
            "base_url": base_url,
            "magazine": issues[0].magazine,
            "latest": issues[0].id,
            "issues": [
                {
                    "id": i.id,
                    "number": i.number,
                    "date": i.date.isoformat(),
                    "date_text": i.date_text,
                    "month_text": i.month_text,
                    "title": i.title,
                    "language": i.language,
                    "cover_lines": i.cover_lines,
                    "page": i.page,
                    "covers": {str(w): href for w, href in i.covers.items()},
                    "files": [
                        {
                            "profile": d.profile,
                            "href": d.href,
                            "type": "application/pdf",
                            "bytes": d.bytes,
                            "pages": d.pages,
                            "sha256": d.sha256,
                        }
                        for d in i.downloads
                    ],
                    "contents": [
                        {k: e.get(k) for k in ("title", "page", "kind", "rubric", "level")}
                        for e in i.contents
                    ],
                }
                for i in issues
            ],
        }
    )


def write_catalog(dist: Path, base_url: str | None = None) -> CatalogResult:
    """Write the catalogue of the issues built into `dist` (see the module docstring)."""
    if not dist.is_dir():
        raise EditionError.single(
            "not a folder",
            dist,
            hint="give the --out folder of edition build or edition archive",
            code="catalog.no-dist",
        )
    result = CatalogResult()
    items = collect_issues(dist, result.skipped)
    if not items:
        raise EditionError.single(
            "no built issues here (no <issue-id>/<issue-id>.json with a PDF beside it)",
            dist,
            hint="build or archive the issues into this folder first",
            code="catalog.empty",
        )
    if base_url is not None:
        if "://" not in base_url or web_url(base_url) != base_url:
            raise EditionError.single(
                f"--base-url must be an http or https address, not {base_url!r}",
                hint="give where DIST is published, e.g. https://example.org/edisi/",
                code="catalog.base-url",
            )
        base_url = base_url.rstrip("/") + "/"
    written = result.written
    issues = [_issue(dist, data, pdfs, written) for data, pdfs in items]
    latest, back = issues[0], issues[1:]
    faces = _assets(dist, written)
    env = _env()
    common = {
        "magazine": latest.magazine,
        "tagline": latest.tagline,
        "base_url": base_url,
        "latest": latest,
        "opds_type": OPDS_ACQUISITION,
    }
    _write_if_changed(
        dist / "assets" / "catalog.css",
        env.get_template("catalog.css.j2").render(faces=faces).encode(),
        written,
    )
    html = env.get_template("index.html.j2").render(
        **common, root="", years=_by_year(back), count=len(issues)
    )
    _write_if_changed(dist / "index.html", html.encode(), written)
    for n, issue in enumerate(issues):
        newer = issues[n - 1] if n > 0 else None
        older = issues[n + 1] if n + 1 < len(issues) else None
        page = env.get_template("issue.html.j2").render(
            **common, root="../", issue=issue, newer=newer, older=older
        )
        _write_if_changed(dist / issue.id / "index.html", page.encode(), written)
    feed = env.get_template("opds.xml.j2").render(
        **common,
        issues=issues,
        href=lambda rel: (base_url or "") + rel,
        feed_id=_urn(latest.magazine, "catalog"),
        entry_id=lambda i: _urn(i.magazine, i.id),
        updated=f"{latest.date.isoformat()}T00:00:00Z",
    )
    _write_if_changed(dist / "opds.xml", feed.encode(), written)
    _write_if_changed(dist / "issues.json", _issues_json(issues, base_url).encode(), written)
    result.issues = len(issues)
    result.latest = latest.id
    return result
