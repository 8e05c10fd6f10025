"""Laying out one HTML document with WeasyPrint, in whatever process runs it: its warnings
become findings, the resources it reads go through the safe fetcher."""

from __future__ import annotations

import dataclasses
import functools
import io
import logging
import shutil
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
from PIL import Image

from edition.errors import Finding, Severity
from edition.pdf.engine import font_config, weasyprint, weasyprint_warnings
from edition.pdf.fetch import FetchRules, refusals_end_in_a_finding, safe_fetcher
from edition.pdf.grid import render_on_grid
from edition.pdf.measure import SectionMeasure, measure_document
from edition.pdf.styles import lift_stylesheets
from edition.photos.prepare import PhotoTask, PreparedImage


def findings_from_log(records: list[logging.LogRecord]) -> list[Finding]:
    out = []
    for r in records:
        msg = r.getMessage()
        if msg.startswith("Failed to load") and "refused" in msg:
            continue  # already reported by the fetcher
        out.append(
            Finding(msg.splitlines()[0][:300], None, None, "weasyprint.warning", Severity.WARNING)
        )
    return out


@dataclass(frozen=True)
class Job:
    """One document to lay out, with everything a worker process needs to do it."""

    key: str
    html: str
    base_url: str
    roots: tuple[str, ...]
    prepared: tuple[tuple[str, str], ...]
    variant: str | None
    mkey: str = ""  # under which its measurement is kept (photos named by shape only)
    photos: tuple[PhotoTask, ...] = ()  # its photos not prepared yet: made here first
    # Whether its PDF is wanted, as its measurement says (None: always). A try of copyfit's
    # that copyfit goes past is measured only: its PDF would be written for nothing.
    wanted: Callable[[SectionMeasure], bool] | None = None


@dataclass(frozen=True)
class Laid:
    """A laid-out document: its PDF (streams compressed; empty when the job did not want
    it), its page count, what was found while laying it out (WeasyPrint's warnings, refused
    resources), and its pages measured."""

    pdf: bytes
    pages: int
    findings: tuple[Finding, ...]
    measure: SectionMeasure = field(default_factory=SectionMeasure)
    photos: tuple[PreparedImage, ...] = ()  # the job's `photos`, made


def warm_up() -> None:
    """In a worker process: import WeasyPrint before there is a section to lay out."""
    weasyprint()


def fetch_rules(job: Job) -> FetchRules:
    rules = FetchRules([Path(r) for r in job.roots])
    for url, path in job.prepared:
        rules.prepared[url] = Path(path)
    return rules


def render_job(job: Job) -> Laid:
    """One section's HTML -> PDF bytes. WeasyPrint writes it uncompressed (its own
    compression is most of what its writing costs) and qpdf compresses it, several
    times faster.

    A job that may not want its PDF lays out with stand-ins for the photos it is to make
    (`PhotoTask.stand_in`: their size, not their pixels), and makes them only when its
    measurement says it wants the PDF; WeasyPrint then reads them as it writes it."""
    rules = fetch_rules(job)
    if job.wanted is None or not job.photos:
        made = tuple(task.make() for task in job.photos)
        laid = _render(job, rules, {}, made)
        assert laid is not None
        return laid
    with tempfile.TemporaryDirectory(prefix="edition-stand-ins-") as folder:
        later = _stand_ins(job, rules, Path(folder))
        made = tuple(task.make() for task in job.photos if task.path not in later)
        laid = _render(job, rules, later, made)
    if laid is None:  # a photo made to another size than its stand-in's: laid out again
        return render_job(dataclasses.replace(job, wanted=None))
    return laid


def _stand_ins(job: Job, rules: FetchRules, folder: Path) -> dict[Path, Path]:
    """Stand-ins for the photos `job` is to make, written in `folder` and given to the
    layout in their place: photo's file -> stand-in's file."""
    out: dict[Path, Path] = {}
    urls = {path: url for url, path in rules.prepared.items()}
    for i, task in enumerate(job.photos):
        url = urls.get(task.path)
        stand_in = task.stand_in() if url is not None else None
        if url is None or stand_in is None:
            continue
        path = folder / f"{i}.jpg"
        path.write_bytes(stand_in)
        rules.prepared[url] = path
        rules.late.add(url)
        out[task.path] = path
    return out


def _render(
    job: Job, rules: FetchRules, later: dict[Path, Path], made: tuple[PreparedImage, ...]
) -> Laid | None:
    html_class = weasyprint().HTML
    fetcher = safe_fetcher(rules)
    with weasyprint_warnings() as records, refusals_end_in_a_finding():
        html = html_class(string=job.html, base_url=job.base_url, url_fetcher=fetcher)
        fonts = font_config(job.roots)
        lifted = lift_stylesheets(html, fetcher, fonts)
        document = render_on_grid(html, font_config=fonts, **lifted.options())
        measure = measure_document(document)
        wanted = job.wanted is None or job.wanted(measure)
        if wanted and later:
            photos = []
            for task in (t for t in job.photos if t.path in later):
                photo = task.make()
                with Image.open(photo.path) as real, Image.open(later[task.path]) as shown:
                    if (real.size, real.mode) != (shown.size, shown.mode):
                        return None
                shutil.copyfile(photo.path, later[task.path])
                photos.append(photo)
            made = (*made, *photos)
        data = document.write_pdf(pdf_variant=job.variant, uncompressed_pdf=True) if wanted else b""
    if data:
        # Compressed here, in parallel and once per section, so that assembling the edition
        # only copies streams (qpdf keeps compressed streams as they are).
        with pikepdf.open(io.BytesIO(data)) as pdf:
            _deflate_profiles(pdf)
            buf = io.BytesIO()
            pdf.save(buf, compress_streams=True)
            data = buf.getvalue()
    findings = (*fetcher.refused, *findings_from_log(records))
    return Laid(data, len(document.pages), findings, measure, made)


def _deflate_profiles(pdf: pikepdf.Pdf) -> None:
    """The colour profile every section embeds (600 kB of the print edition's CMYK one)
    deflated once per process, not once per section: qpdf compressed it again for each
    (a third of a section's compression), and the edition keeps only one copy of it."""
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Stream):
            d = obj.stream_dict
            if "/N" in d and "/Filter" not in d and "/Subtype" not in d:
                obj.write(_deflated(obj.read_raw_bytes()), filter=pikepdf.Name.FlateDecode)


@functools.lru_cache(maxsize=4)
def _deflated(raw: bytes) -> bytes:
    return zlib.compress(raw)
