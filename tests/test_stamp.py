"""edition stamp: a subscriber's copy with a licence line on every page, the original untouched."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest
from conftest import invoke
from pypdf import PdfReader

from edition.publish.stamp import stamp_pdf


@pytest.fixture(scope="session")
def screen_pdf(minimal_build) -> Path:
    return minimal_build.pdf("screen")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _page_texts(pdf: Path) -> list[str]:
    return [" ".join((p.extract_text() or "").split()) for p in PdfReader(pdf).pages]


@pytest.mark.slow
def test_every_page_carries_the_licence_line_and_the_metadata_the_subscriber(screen_pdf, tmp_path):
    before = _digest(screen_pdf)
    out = tmp_path / "copies" / "siti.pdf"
    result = invoke(
        ["stamp", screen_pdf, "--name", "Siti Nurhaliza", "--id", "SUB-0042", "--out", out]
    )
    line = "Dilisensikan untuk Siti Nurhaliza \u00b7 SUB-0042"
    assert f'pages stamped "{line}"' in result.output
    assert _digest(screen_pdf) == before  # the original's bytes are unchanged
    original_pages = len(PdfReader(screen_pdf).pages)
    texts = _page_texts(out)
    assert len(texts) == original_pages
    assert [i for i, t in enumerate(texts, 1) if line not in t] == []
    # An independent reader (poppler) finds it too, on the last page as on the first.
    if shutil.which("pdftotext"):
        for page in (1, original_pages):
            text = subprocess.run(
                ["pdftotext", "-f", str(page), "-l", str(page), str(out), "-"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            assert line in " ".join(text.split())
    with pikepdf.open(screen_pdf) as pdf:
        title = str(pdf.docinfo["/Title"])
    with pikepdf.open(out) as pdf:
        assert str(pdf.docinfo["/LicensedTo"]) == "Siti Nurhaliza"
        assert str(pdf.docinfo["/LicenseID"]) == "SUB-0042"
        assert str(pdf.docinfo["/Title"]) == title
        xmp = pdf.open_metadata()
        assert xmp["xmpRights:UsageTerms"] == line
        assert xmp["{https://edition.invalid/ns/licence/1.0/}licensee"] == "Siti Nurhaliza"
        # The line is set in the embedded Inter subset, grey, as a pagination artifact.
        font = next(
            f
            for f in pdf.pages[0].Resources.Font.values()
            if str(f.BaseFont).endswith("+Inter-Regular") and "EDSTMP" in str(f.BaseFont)
        )
        assert "/FontFile3" in font.DescendantFonts[0].FontDescriptor
        last = (
            pdf.pages[0].Contents[-1].read_bytes()
            if isinstance(pdf.pages[0].Contents, pikepdf.Array)
            else b""
        )
        assert b"/Artifact" in last and b" g " in last
    if shutil.which("qpdf"):
        subprocess.run(["qpdf", "--check", str(out)], capture_output=True, check=True)


@pytest.mark.slow
def test_names_beyond_latin1_are_set_and_extracted(screen_pdf, tmp_path):
    out = tmp_path / "dang.pdf"
    stamp_pdf(screen_pdf, out, name="Đặng Thị Hương", licence_id="VN-7")
    assert "Dilisensikan untuk Đặng Thị Hương · VN-7" in _page_texts(out)[3]
    # A character Inter has not got is set as '?' on the page, kept whole in the metadata.
    out2 = tmp_path / "cjk.pdf"
    stamp_pdf(screen_pdf, out2, name="Wang 王", licence_id="CN-1")
    assert "Dilisensikan untuk Wang ? · CN-1" in _page_texts(out2)[0]
    with pikepdf.open(out2) as pdf:
        assert str(pdf.docinfo["/LicensedTo"]) == "Wang 王"


@pytest.mark.slow
def test_the_copy_never_overwrites_the_original(screen_pdf, tmp_path):
    before = _digest(screen_pdf)
    result = invoke(
        ["stamp", screen_pdf, "--name", "A", "--id", "1", "--out", screen_pdf], exit_code=2
    )
    assert (
        "error: the copy would overwrite the original (give --out another file name) "
        "[stamp.same-file]" in result.output
    )
    link = tmp_path / "link.pdf"
    link.hardlink_to(screen_pdf)
    invoke(["stamp", screen_pdf, "--name", "A", "--id", "1", "--out", link], exit_code=2)
    assert _digest(screen_pdf) == before


def test_a_file_that_is_not_a_pdf_is_bad_input(tmp_path):
    bogus = tmp_path / "bogus.pdf"
    bogus.write_text("not a pdf")
    result = invoke(
        ["stamp", bogus, "--name", "A", "--id", "1", "--out", tmp_path / "o.pdf"], exit_code=2
    )
    assert "bogus.pdf: error: not a readable PDF" in result.output
    assert not (tmp_path / "o.pdf").exists()
    result = invoke(
        ["stamp", tmp_path / "none.pdf", "--name", "A", "--id", "1", "--out", tmp_path / "o.pdf"],
        exit_code=2,
    )
    assert "none.pdf: error: no such PDF [stamp.missing]" in result.output


@pytest.mark.slow
def test_a_print_or_archive_edition_is_refused(minimal_pdf, screen_pdf, tmp_path):
    """A subscriber gets the screen edition: not the printer's PDF/X (CMYK, bleed, crop
    marks), not the archive's PDF/A with the issue's sources in it."""
    out = tmp_path / "copy.pdf"
    result = invoke(["stamp", minimal_pdf, "--name", "A", "--id", "1", "--out", out], 2)
    assert (
        f"{minimal_pdf}: error: this is a print edition (PDF/X: CMYK, bleed and crop marks, "
        "for the printer); a subscriber's copy is made from the screen edition (stamp the "
        f"screen edition, {screen_pdf}) [stamp.print-edition]"
    ) in result.output
    archive = tmp_path / "minimal-archive.pdf"
    with pikepdf.open(screen_pdf) as pdf:
        icc = pdf.make_stream(b"\0" * 128, N=3)
        pdf.Root.OutputIntents = pikepdf.Array(
            [
                pikepdf.Dictionary(
                    Type=pikepdf.Name.OutputIntent, S=pikepdf.Name.GTS_PDFA1, DestOutputProfile=icc
                )
            ]
        )
        pdf.save(archive)
    result = invoke(["stamp", archive, "--name", "A", "--id", "1", "--out", out], 2)
    assert (
        f"{archive}: error: this is an archive edition (PDF/A with the issue's sources in it); "
        "a subscriber's copy is made from the screen edition (build the screen edition "
        "(edition build ISSUE --profile screen) and stamp it) [stamp.archive-edition]"
    ) in result.output
    assert not out.exists()
