"""After WeasyPrint: what a profile needs that the renderer does not write, in one pikepdf pass.

- print (PDF/X-4): crop marks outside the bleed (marks.py), an output intent that names
  its printing condition (FOGRA39) the way a print shop's preflight expects, no
  annotation on the printed sheet (links live in the screen edition), the PDF/X version
  in the document information as well as in the XMP;
- print and archive: one embedded subset per font (subsets.py), no image smoothing
  (/Interpolate: ISO 19005-3, 6.2.8; a press must print the pixels it is given);
- archive (PDF/A-3b): every source of the issue embedded as an associated file (text,
  photos, ads, issue.toml, the layout's files, and what the build used), so that the
  issue can be extracted from the PDF and built again to the same bytes; annotations
  printable (6.3.2);
- screen (PDF/UA-1): the structure tree repaired (tags.py), the bookmarks shown on open;
- every profile: XMP that says which issue this is (number, date, title, language), and
  identifiers derived from the issue instead of fresh random ones, so the same sources
  give the same bytes on any day, in any folder.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import uuid
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pikepdf
from pikepdf import Name

from edition import __version__
from edition.pdf.marks import draw_crop_marks
from edition.pdf.subsets import merge_font_subsets
from edition.pdf.tags import fix_structure
from edition.plan.model import Plan
from edition.profiles import get_profile
from edition.share import share_dir
from edition.store.stamps import folder_files

# The printing condition of the bundled CMYK profile (ICC characterization data FOGRA39).
PRINT_CONDITION = {
    "identifier": "FOGRA39",
    "condition": "Offset printing, according to ISO 12647-2:2004/Amd 1, OFCOM, "
    "paper type 1 or 2 = coated art, 115 g/m2, tone value increase curves A "
    "(CMYK) and B (CMYK)",
    "registry": "http://www.color.org",
}
NAMESPACE = uuid.UUID("6f1c3b1e-8a52-4c56-9d0e-2b7f3f0e4a11")  # edition's, for uuid5 ids


@dataclass(frozen=True)
class Source:
    """A file embedded in an archive PDF: its name inside the PDF, its bytes, what it is."""

    name: str
    data: bytes
    description: str


@dataclass(frozen=True)
class Finish:
    issue_id: str
    profile: str
    number: int
    date: str  # ISO date of the issue
    title: str
    language: str
    source: str  # what dc:source says: "IDM Mei 2024, edisi 142"
    time_zone: str = "+07:00"  # of the issue's date, as the layout or the issue gives it
    bleed_mm: float | None = None  # crop marks outside this bleed when given
    print_intent: bool = False
    sources: tuple[Source, ...] = ()
    cuts: Path | None = None  # where the fonts' merged subsets are kept between builds


PDFX_VERSION = "PDF/X-4"
PRINT_FLAG = 4  # annotation flag bit 3: printed; hidden, invisible and no-view bits clear


def merges_fonts(variant: str | None) -> bool:
    """Whether an edition of this PDF variant has its fonts merged (PDF/X and PDF/A)."""
    return (variant or "").startswith(("pdf/x", "pdf/a"))


def finish_pdf(data: bytes | pikepdf.Pdf, f: Finish) -> bytes:
    pdf = data if isinstance(data, pikepdf.Pdf) else pikepdf.open(io.BytesIO(data))
    variant = get_profile(f.profile).pdf_variant or ""
    if f.bleed_mm is not None:
        draw_crop_marks(pdf, f.bleed_mm)
    if f.print_intent:
        _name_print_condition(pdf)
    if variant.startswith("pdf/x"):
        _no_annotations_on_the_sheet(pdf)
        pdf.docinfo[Name.GTS_PDFXVersion] = pikepdf.String(PDFX_VERSION)
    if merges_fonts(variant):
        merge_font_subsets(pdf, f.cuts)
        _no_interpolation(pdf)
    _printable_annotations(pdf)
    if variant.startswith("pdf/ua"):
        fix_structure(pdf)
    if not variant.startswith("pdf/x") and "/Outlines" in pdf.Root:
        pdf.Root.PageMode = Name.UseOutlines
    if f.sources:
        _embed_sources(pdf, f)
    _identify(pdf, f)
    buf = io.BytesIO()
    # Streams left uncompressed by the renderer are compressed here, once.
    pdf.save(
        buf,
        deterministic_id=True,
        compress_streams=True,
        object_stream_mode=pikepdf.ObjectStreamMode.preserve,
    )
    return buf.getvalue()


def _name_print_condition(pdf: pikepdf.Pdf) -> None:
    for intent in pdf.Root.get("/OutputIntents", []):
        if intent.get("/S") == Name.GTS_PDFX:
            intent.OutputConditionIdentifier = PRINT_CONDITION["identifier"]
            intent.OutputCondition = PRINT_CONDITION["condition"]
            intent.RegistryName = PRINT_CONDITION["registry"]
            intent.Info = "Edition FOGRA39 (ICC v2, built with Argyll from FOGRA39L data)"


def _no_annotations_on_the_sheet(pdf: pikepdf.Pdf) -> None:
    """Links and other annotations inside the bleed box taken off: a PDF/X file may hold
    annotations only outside what is printed (ISO 15930-7, 6.3.1)."""
    for page in pdf.pages:
        annots = page.obj.get("/Annots")
        if annots is None:
            continue
        box = [float(v) for v in page.obj.get("/BleedBox", page.obj.get("/TrimBox", page.mediabox))]
        keep = [
            a
            for a in annots
            if not _overlaps([float(v) for v in a.get("/Rect", [0, 0, 0, 0])], box)
        ]
        if keep:
            page.obj.Annots = pikepdf.Array(keep)
        else:
            del page.obj["/Annots"]


def _overlaps(a: list[float], b: list[float]) -> bool:
    ax0, ax1 = sorted(a[0::2][:2])
    ay0, ay1 = sorted(a[1::2][:2])
    return ax1 > b[0] and ax0 < b[2] and ay1 > b[1] and ay0 < b[3]


def _no_interpolation(pdf: pikepdf.Pdf) -> None:
    """No image asks the output device to smooth it (ISO 19005-3, 6.2.8)."""
    for obj in pdf.objects:
        if (
            isinstance(obj, pikepdf.Stream)
            and obj.stream_dict.get("/Subtype") == Name.Image
            and "/Interpolate" in obj.stream_dict
        ):
            del obj.stream_dict["/Interpolate"]


def _printable_annotations(pdf: pikepdf.Pdf) -> None:
    """Every annotation flagged to print and nothing else (ISO 19005-3, 6.3.2)."""
    for page in pdf.pages:
        for annot in page.obj.get("/Annots", []):
            if annot.get("/Subtype") != Name.Popup:
                annot.F = PRINT_FLAG


def _pdf_date(iso_date: str, time_zone: str) -> str:
    y, m, d = iso_date.split("-")
    hours, minutes = time_zone.split(":")
    return f"D:{y}{m}{d}000000{hours}'{minutes}'"


# By suffix, from a fixed table: the system's table differs from machine to machine, and
# the MIME type is part of the PDF's bytes.
MIME_TYPES = {
    ".toml": "application/toml",
    ".md": "text/markdown",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".webp": "image/webp",
    ".pdf": "application/pdf",
    ".css": "text/css",
    ".j2": "text/plain",
    ".html": "text/html",
    ".json": "application/json",
    ".txt": "text/plain",
}


def _embed_sources(pdf: pikepdf.Pdf, f: Finish) -> None:
    """PDF/A-3 associated files: a file spec per source, listed in the catalog's /AF."""
    when = _pdf_date(f.date, f.time_zone)
    specs: list[pikepdf.Dictionary] = []
    for src in f.sources:
        mime = MIME_TYPES.get(Path(src.name).suffix.lower(), "application/octet-stream")
        spec = pikepdf.AttachedFileSpec(
            pdf,
            src.data,
            description=src.description,
            filename=src.name,
            mime_type=mime,
            creation_date=when,
            mod_date=when,
            relationship=Name.Source,
        )
        pdf.attachments[src.name] = spec
        specs.append(spec.obj)
    # pikepdf leaves /Params /CheckSum to us; PDF/A readers like to see it.
    for spec_obj in specs:
        stream = spec_obj.EF.F
        stream.Params.CheckSum = pikepdf.String(
            hashlib.md5(stream.read_bytes(), usedforsecurity=False).digest()
        )
    pdf.Root.AF = pikepdf.Array(specs)


def _identify(pdf: pikepdf.Pdf, f: Finish) -> None:
    """Fixed document ids, and the issue's identity in the XMP and the catalog."""
    doc_id = uuid.uuid5(NAMESPACE, f"{f.issue_id}/{f.profile}")
    # The first file identifier names the document for good (the second, derived from
    # the content, is written by qpdf); WeasyPrint would take it from the folder's path.
    first = pikepdf.String(doc_id.bytes)
    pdf.trailer.ID = pikepdf.Array([first, first])
    pdf.Root.Lang = pikepdf.String(f.language)
    if "/Metadata" not in pdf.Root:
        return
    xmp = pdf.Root.Metadata.read_bytes().decode("utf-8")
    xmp = re.sub(r"xmp\.did:[0-9a-f-]{36}", f"uuid:{doc_id}", xmp)
    extra = (
        f'<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:identifier>{_esc(f.issue_id)}</dc:identifier>"
        f"<dc:date><rdf:Seq><rdf:li>{f.date}</rdf:li></rdf:Seq></dc:date>"
        f"<dc:language><rdf:Bag><rdf:li>{_esc(f.language)}</rdf:li></rdf:Bag></dc:language>"
        f"<dc:source>{_esc(f.source)}</dc:source>"
        f"</rdf:Description>"
    )
    if "xmpMM:DocumentID" not in xmp:
        extra += (
            f'<rdf:Description rdf:about="" xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/">'
            f"<xmpMM:DocumentID>uuid:{doc_id}</xmpMM:DocumentID>"
            f"<xmpMM:InstanceID>uuid:{doc_id}</xmpMM:InstanceID></rdf:Description>"
        )
    xmp = xmp.replace("</rdf:RDF>", extra + "</rdf:RDF>", 1)
    pdf.Root.Metadata = pdf.make_stream(xmp.encode("utf-8"), Type=Name.Metadata, Subtype=Name.XML)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


MANIFEST = "edition.json"


def archive_files(plan: Plan) -> dict[str, tuple[Path, str]]:
    """The files the issue is built from, by their name in the archive edition (their
    path in the issue folder; the layout's under layouts/<name>/): issue.toml, the
    articles, every photo and ad the issue names, the issue's own templates and layouts,
    the layout's files; each with what it is."""
    issue = plan.issue
    root = issue.root.resolve()
    found: dict[str, tuple[Path, str]] = {}

    def add_in_issue(path: Path, description: str) -> None:
        resolved = path.resolve()
        if resolved.is_relative_to(root):
            found.setdefault(resolved.relative_to(root).as_posix(), (resolved, description))

    add_in_issue(root / "issue.toml", "issue description")
    for article in issue.articles:
        add_in_issue(article.path, "article source")
        if article.lead is not None:
            add_in_issue(article.lead.path, "photo")
        for figure in article.figures.values():
            add_in_issue(figure.path, "photo")
    for photo in [issue.cover, *issue.inframe, *issue.news_photos]:
        if photo is not None:
            add_in_issue(photo.path, "photo")
    for ad in issue.ads:
        add_in_issue(ad.path, "ad artwork")
    for folder in ("templates", "layouts"):
        if (root / folder).is_dir():
            for path in folder_files(root / folder):
                add_in_issue(path, "layout file")
    for layout_dir in plan.layout.folders:
        for path in folder_files(layout_dir):
            name = f"layouts/{layout_dir.name}/{path.relative_to(layout_dir).as_posix()}"
            found.setdefault(name, (path, "layout file"))
    return found


def archive_sources(plan: Plan) -> tuple[Source, ...]:
    """Everything the issue is built from (`archive_files`), to embed in the archive
    edition, and a manifest of what else the build used (edition's version, the bundled
    assets by SHA-256). Extracted into a folder named after the issue, they build the
    same PDF again."""
    files = archive_files(plan)
    sources = [Source(name, path.read_bytes(), what) for name, (path, what) in files.items()]
    sources.append(Source(MANIFEST, _manifest(plan, sources), "how this edition was built"))
    return tuple(sorted(sources, key=lambda s: s.name))


def _manifest(plan: Plan, sources: list[Source]) -> bytes:
    """What an archivist needs besides the embedded files: the programs and the bundled
    assets (fonts, colour profile, hyphenation) the edition was built with."""
    assets = share_dir("assets")
    try:
        weasyprint = metadata.version("weasyprint")
    except metadata.PackageNotFoundError:
        weasyprint = "unknown"
    data = {
        "issue": plan.issue.id,
        "layout": plan.layout.name,
        "rebuild": f"extract every file into a folder named '{plan.issue.id}', then "
        f"`edition build {plan.issue.id} --profile archive`",
        "programs": {"edition": __version__, "WeasyPrint": weasyprint},
        # What the rendering reads from assets/ (fonts, colour profile, hyphenation), not
        # the notes beside them.
        "assets": {
            path.relative_to(assets).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in folder_files(assets)
            if path.parent != assets
        },
        "files": {
            s.name: hashlib.sha256(s.data).hexdigest()
            for s in sorted(sources, key=lambda s: s.name)
        },
    }
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode()
