"""edition archive: batch builds on Dask, a bad issue reported without stopping the others,
unchanged issues skipped, --force, --verify; and the metadata file every build writes."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pikepdf
import pytest
from conftest import FIXTURES, invoke

from edition.commands.archive import Job, compare_pdfs, unchanged_reason
from edition.commands.build import current_fingerprint
from edition.store.paths import Output

pytestmark = pytest.mark.slow


def _issue(root: Path, name: str, number: int, date: str) -> Path:
    dest = root / name
    shutil.copytree(FIXTURES / "minimal", dest)
    toml = dest / "issue.toml"
    text = toml.read_text()
    text = text.replace("number = 7", f"number = {number}", 1)
    text = text.replace("date = 2024-05-19", f"date = {date}", 1)
    toml.write_text(text)
    return dest


@pytest.fixture(scope="module")
def shelf(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Three issue folders (two good, one with a misspelt front-matter key) and an OUT."""
    root = tmp_path_factory.mktemp("archive")
    issues = root / "issues"
    issues.mkdir()
    _issue(issues, "2024-01", 5, "2024-01-21")
    _issue(issues, "2024-02", 6, "2024-02-18")
    bad = _issue(issues, "2024-03", 7, "2024-03-17")
    article = bad / "articles" / "gudang-baru.md"
    article.write_text(article.read_text().replace("author:", "auhtor:", 1))
    (issues / "notes").mkdir()  # a folder without issue.toml is not an issue
    return issues, root / "dist"


@pytest.fixture(scope="module")
def first_run(shelf: tuple[Path, Path]) -> str:
    issues, dist = shelf
    result = invoke(
        ["archive", issues, "--out", dist, "--profile", "screen", "--workers", "2"], exit_code=2
    )
    return result.output


def test_bad_issue_is_reported_and_the_good_ones_are_built(shelf, first_run):
    _issues, dist = shelf
    out = first_run
    assert "building 3 jobs on 2 workers" in out
    assert sorted(re.findall(r"^\[(\d)/3\] ", out, re.M)) == ["1", "2", "3"]
    # A build's warnings are counted on its line (shown with -v).
    built = r"^\[\d/3\] 2024-01 screen: built, 14 pages, [\d.]+ MB(?:, \d+ warnings?)?, [\d.]+ s$"
    assert re.search(built, out, re.M), out
    assert re.search(r"^\[\d/3\] 2024-02 screen: built, 14 pages", out, re.M)
    assert re.search(r"^\[\d/3\] 2024-03 screen: bad input$", out, re.M)
    # The error line in full, as `edition check` prints it.
    assert (
        "2024-03/articles/gudang-baru.md:3: error: unknown key 'auhtor' "
        "(did you mean 'author'?) [front-matter.unknown-key]"
    ) in out
    assert "3 issues: 2 built, 1 bad input in" in out
    for good in ("2024-01", "2024-02"):
        assert (dist / good / f"{good}-screen.pdf").is_file()
    assert not (dist / "2024-03" / "2024-03-screen.pdf").exists()
    assert not (dist / "notes").exists()


def test_every_build_writes_the_issue_metadata(shelf, first_run):
    issues, dist = shelf
    meta = json.loads((dist / "2024-02" / "2024-02.json").read_text())
    assert meta["id"] == "2024-02" and meta["number"] == 6 and meta["date"] == "2024-02-18"
    assert meta["date_text"] == "Minggu, 18 Februari 2024"
    assert meta["month_text"] == "Februari 2024"
    assert meta["magazine"] == "IDM" and meta["tagline"] == "Majalah Pertahanan Indonesia"
    assert meta["cover_lines"] == [
        "Patroli di Perairan Utara",
        "Gudang Bahan Bakar Baru di Pelabuhan Kecil",
        "Latihan Gabungan Tiga Bulanan",
    ]
    entry = meta["profiles"]["screen"]
    pdf = dist / "2024-02" / entry["file"]
    assert entry["bytes"] == pdf.stat().st_size and entry["pages"] == 14
    assert entry["fingerprint"] == current_fingerprint(issues / "2024-02", Output(dist))
    assert len(entry["sha256"]) == 64
    # Contents come from the PDF's outline: each article's entry is on the page where
    # its headline is, with its rubric from issue.toml.
    articles = {e["title"]: e for e in meta["contents"] if e["kind"] == "article"}
    assert {t: (e["rubric"], e["slug"]) for t, e in articles.items()} == {
        "Patroli di Perairan Utara": ("Laporan Utama", "patroli-utara"),
        "Gudang Bahan Bakar Baru di Pelabuhan Kecil": ("Internasional", "gudang-baru"),
        "Latihan Gabungan Tiga Bulanan": ("Internasional", "latihan-gabungan"),
    }
    reader = __import__("pypdf").PdfReader(pdf)
    for title, e in articles.items():
        text = " ".join(reader.pages[e["page"] - 1].extract_text().split())
        assert title in text, (title, e["page"])
    # Deterministic: sorted keys, no timestamps.
    raw = (dist / "2024-02" / "2024-02.json").read_text()
    assert raw == json.dumps(meta, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert not re.search(r"\d{2}:\d{2}:\d{2}", raw)


def test_unchanged_issues_are_skipped_without_starting_a_cluster(shelf, first_run):
    issues, dist = shelf
    pdf = dist / "2024-01" / "2024-01-screen.pdf"
    before = pdf.stat().st_mtime_ns
    out = invoke(
        ["archive", issues, "2024-01", "2024-02", "--out", dist, "--profile", "screen"]
    ).output
    assert (
        "[1/2] 2024-01 screen: skipped, inputs and 2024-01-screen.pdf unchanged since "
        "its last build (--force rebuilds it)" in out
    )
    assert "[2/2] 2024-02 screen: skipped" in out
    assert "workers" not in out  # nothing to build: no cluster was started
    assert "2 issues: 2 skipped in" in out
    assert pdf.stat().st_mtime_ns == before


def test_a_changed_input_or_pdf_is_not_skipped(shelf, first_run, tmp_path):
    issues, dist = shelf
    job = Job(issues / "2024-01", "screen")
    assert unchanged_reason(job, dist, current_fingerprint(job.issue_dir, Output(dist))) is not None
    copy = tmp_path / "2024-01"
    shutil.copytree(issues / "2024-01", copy)
    article = copy / "articles" / "patroli-utara.md"
    article.write_text(article.read_text() + "\nSatu kalimat lagi.\n")
    assert current_fingerprint(copy, Output(dist)) != current_fingerprint(
        issues / "2024-01", Output(dist)
    )
    assert unchanged_reason(job, dist, current_fingerprint(copy, Output(dist))) is None
    assert (
        unchanged_reason(
            Job(issues / "2024-01", "print"), dist, current_fingerprint(job.issue_dir, Output(dist))
        )
        is None
    )  # never built


def test_force_rebuilds_and_verify_compares_the_archive_pdf(shelf, first_run):
    issues, dist = shelf
    out = invoke(
        [
            "archive",
            issues,
            "2024-01",
            "--out",
            dist,
            "--profile",
            "screen",
            "--profile",
            "archive",
            "--force",
            "--workers",
            "2",
        ]
    ).output
    assert re.search(r"^\[\d/2\] 2024-01 screen: built, 14 pages", out, re.M)
    assert re.search(r"^\[\d/2\] 2024-01 archive: built, 16 pages", out, re.M)
    meta = json.loads((dist / "2024-01" / "2024-01.json").read_text())
    assert sorted(meta["profiles"]) == ["archive", "screen"]
    assert meta["contents_from"] == "screen"

    out = invoke(
        ["archive", issues, "2024-01", "2024-02", "--out", dist, "--verify", "--workers", "1"],
        exit_code=1,
    ).output
    assert "2024-02 archive: missing" in out
    assert "no archive PDF to compare with (run edition archive first)" in out
    assert re.search(r"^\[\d/2\] 2024-01 archive: identical \(16 pages, \d+ bytes", out, re.M)
    assert "2 issues: 1 identical, 1 missing in" in out


def test_compare_pdfs_says_where_two_builds_differ(shelf, first_run, tmp_path):
    _issues, dist = shelf
    original = dist / "2024-02" / "2024-02-screen.pdf"
    changed = tmp_path / "changed.pdf"
    with pikepdf.open(original) as pdf:
        pdf.docinfo["/ModDate"] = "D:20990101000000Z"
        page = pdf.pages[2]
        page.contents_add(pikepdf.Stream(pdf, b"q Q\n"))
        pdf.save(changed)
    reasons = compare_pdfs(original, changed)
    assert any(
        r.startswith("/Info /ModDate: D:2024") and "D:20990101000000Z rebuilt" in r for r in reasons
    ), reasons
    assert "content streams differ on page 3" in reasons
    assert compare_pdfs(original, original) == []  # the same file: nothing differs
    # The same objects written again by qpdf (other compression, no object streams), with
    # the original's trailer /ID put back: nothing it can name differs but the bytes.
    resaved = tmp_path / "resaved.pdf"
    with pikepdf.open(original) as pdf:
        second_id = bytes(pdf.trailer.ID[1]).hex().encode()
        pdf.save(resaved, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    data = resaved.read_bytes()
    ids = re.search(rb"/ID\s*\[\s*<[0-9a-fA-F]+>\s*<([0-9a-fA-F]+)>", data)
    assert ids and len(ids.group(1)) == len(second_id)
    resaved.write_bytes(data[: ids.start(1)] + second_id + data[ids.end(1) :])
    sizes = (original.stat().st_size, resaved.stat().st_size)
    assert resaved.read_bytes() != original.read_bytes()
    assert compare_pdfs(original, resaved) == [
        *([f"size: {sizes[0]} bytes in OUT, {sizes[1]} rebuilt"] if sizes[0] != sizes[1] else []),
        "same structure, other bytes (object order, compression or fonts)",
    ]


def test_naming_an_issue_that_is_not_there_is_bad_input(shelf):
    issues, dist = shelf
    out = invoke(["archive", issues, "1999-01", "--out", dist], exit_code=2).output
    assert "error: no issue '1999-01' here (no 1999-01/issue.toml)" in out
