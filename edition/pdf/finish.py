"""After WeasyPrint: what a profile needs that the renderer does not write, in one pikepdf pass.

- print: crop marks outside the bleed (marks.py) and an output intent that names its
  printing condition (FOGRA39) the way a print shop's preflight expects;
- archive: the issue's sources embedded as PDF/A-3 associated files;
- every profile: XMP that says which issue this is (number, date, title, language), and
  identifiers derived from the issue instead of fresh random ones, so the same sources
  give the same bytes on any day, in any folder.
"""

from __future__ import annotations

import hashlib
import io
import mimetypes
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from pikepdf import Name

from edition.pdf.marks import draw_crop_marks

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


def finish_pdf(data: bytes | pikepdf.Pdf, f: Finish) -> bytes:
    pdf = data if isinstance(data, pikepdf.Pdf) else pikepdf.open(io.BytesIO(data))
    if f.bleed_mm is not None:
        draw_crop_marks(pdf, f.bleed_mm)
    if f.print_intent:
        _name_print_condition(pdf)
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


def _pdf_date(iso_date: str, time_zone: str) -> str:
    y, m, d = iso_date.split("-")
    hours, minutes = time_zone.split(":")
    return f"D:{y}{m}{d}000000{hours}'{minutes}'"


def _embed_sources(pdf: pikepdf.Pdf, f: Finish) -> None:
    """PDF/A-3 associated files: a file spec per source, listed in the catalog's /AF."""
    when = _pdf_date(f.date, f.time_zone)
    specs: list[pikepdf.Dictionary] = []
    for src in f.sources:
        mime = mimetypes.guess_type(src.name)[0] or (
            "text/markdown" if src.name.endswith(".md") else "application/octet-stream"
        )
        if src.name.endswith(".toml"):
            mime = "application/toml"
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


def issue_sources(root: Path, article_paths: list[Path]) -> tuple[Source, ...]:
    """issue.toml and every article, under their paths relative to the issue folder."""
    root = root.resolve()
    files = [root / "issue.toml", *sorted(p.resolve() for p in article_paths)]
    return tuple(
        Source(
            p.relative_to(root).as_posix(),
            p.read_bytes(),
            "issue description" if p.name == "issue.toml" else "article source",
        )
        for p in files
    )
