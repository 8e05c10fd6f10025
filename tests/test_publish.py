"""The archive edition's lifecycle: print and screen rebuild freely; `build --profile all`
keeps a draft archive edition up to date until `edition publish` makes the published one,
which is then never replaced by other content without --force; every message says what was
and was not written; the output folder holds only what is published."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pikepdf
import pytest
from conftest import FIXTURES, enlarge_photos, invoke

pytestmark = pytest.mark.slow

ID = "minimal"
ISSN = 'issn = "ISSN 1234-5679"\n'


def archive_entry(out: Path) -> dict:
    return json.loads((out / ID / f"{ID}.json").read_text())["profiles"]["archive"]


def add_paragraph(issue: Path, text: str) -> bytes:
    article = issue / "articles" / "gudang-baru.md"
    article.write_text(article.read_text() + f"\n{text}\n")
    return article.read_bytes()


def embedded_article(pdf: Path) -> bytes:
    with pikepdf.open(pdf) as doc:
        return doc.attachments["articles/gudang-baru.md"].get_file().read_bytes()


def last_line(output: str, start: str) -> str:
    return next(ln for ln in reversed(output.splitlines()) if ln.startswith(start))


def test_an_issue_with_errors_is_not_published(tmp_path: Path):
    issue = tmp_path / ID
    shutil.copytree(FIXTURES / ID, issue)  # photos too small for print, no ISSN
    out = tmp_path / "dist"
    result = invoke(["publish", issue, "--out", out], exit_code=1)
    assert f"wrote {out}/{ID}/{ID}-print.pdf" in result.output
    assert f"wrote {out}/{ID}/{ID}-screen.pdf" in result.output
    # Print: the seven photos under half its 300 dpi, and no ISSN; screen: the two photos
    # under half its 150 dpi (the cover and the back-cover ad, 73 dpi each).
    assert result.output.rstrip().splitlines()[-1] == (
        "not published: print has 8 errors; screen has 2 errors; the archive edition was "
        "not made (fix them and publish again)"
    )
    assert not (out / ID / f"{ID}-archive.pdf").exists()


def test_the_archive_editions_lifecycle(tmp_path: Path):
    issue = enlarge_photos(shutil.copytree(FIXTURES / ID, tmp_path / ID))
    toml = issue / "issue.toml"
    toml.write_text(ISSN + toml.read_text())
    out = tmp_path / "dist"
    archive = out / ID / f"{ID}-archive.pdf"

    # In work: `--profile all` makes a draft archive edition, and replaces it freely.
    first = invoke(["build", issue, "--profile", "all", "--out", out]).output
    assert last_line(first, "archive: ").endswith("(a draft until `edition publish`)")
    assert archive_entry(out)["published"] is False
    edited = add_paragraph(issue, "Paragraf pertama yang ditambahkan.")
    second = invoke(["build", issue, "--profile", "all", "--out", out]).output
    assert f"wrote {archive}" in second
    assert embedded_article(archive) == edited

    # Published: the draft, which has these very sources, becomes the published one.
    published = invoke(["publish", issue, "--out", out]).output
    assert f"unchanged {archive}" in published
    assert last_line(published, "archive: ").endswith("ready for the archive (published)")
    assert published.rstrip().splitlines()[-1] == (
        f"published {issue}: print, screen and archive editions in {out}"
    )
    assert archive_entry(out)["published"] is True
    kept = archive.read_bytes()

    # An edit after publication: print and screen are built; the archive edition is kept,
    # and the build says so, and succeeds.
    add_paragraph(issue, "Paragraf kedua, setelah terbit.")
    after = invoke(["build", issue, "--profile", "all", "--out", out]).output
    assert f"wrote {out}/{ID}/{ID}-print.pdf" in after
    assert f"wrote {out}/{ID}/{ID}-screen.pdf" in after
    assert (
        f"archive: kept {archive}, the published archive edition: its sources changed since "
        "it was published, and a build of all editions does not replace it (to publish a "
        f"correction: edition publish {issue} --force)"
    ) in after
    assert f"wrote {archive}" not in after
    assert archive.read_bytes() == kept
    assert (
        invoke(["check", issue, "--out", out, "--profile", "archive"], 1)
        .output.rstrip()
        .endswith("stale: rebuild (run `edition build " + str(issue) + " --profile archive`)")
    )

    # Asking for the archive edition by name does not replace it either: exit 2, and
    # the message says what was written (nothing).
    named = invoke(["build", issue, "--profile", "archive", "--out", out], exit_code=2).output
    assert (
        f"{archive}: error: the archive edition was published from other sources, and is not "
        f"replaced (to publish a correction, run `edition publish {issue} --force`; or build "
        "into another --out) [output.archive-published]"
    ) in named
    assert named.rstrip().endswith("1 error; nothing was written.")
    assert archive.read_bytes() == kept

    # Publishing again without --force: print and screen are written, the archive
    # edition is not, and the closing line names what was written.
    corrected = add_paragraph(issue, "Paragraf ketiga: ralat.")
    again = invoke(["publish", issue, "--out", out], exit_code=2).output
    assert again.rstrip().endswith(
        f"1 error; nothing else was written (written before: {out}/{ID}/{ID}-print.pdf, "
        f"{out}/{ID}/{ID}-screen.pdf)."
    )
    assert archive.read_bytes() == kept

    # A correction, on purpose.
    forced = invoke(["publish", issue, "--out", out, "--force"]).output
    assert f"replaced {archive}" in forced
    assert embedded_article(archive) == corrected
    assert archive_entry(out)["published"] is True
    invoke(["check", issue, "--out", out, "--profile", "all"])  # all three ready

    # The output folder holds the editions and their metadata; the catalogue adds its
    # pages and offers the screen edition only.
    invoke(["catalog", out])
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert [f for f in files if f.startswith(f"{ID}/")] == [
        f"{ID}/cover-240.jpg",
        f"{ID}/cover-480.jpg",
        f"{ID}/cover-960.jpg",
        f"{ID}/index.html",
        f"{ID}/{ID}-archive.pdf",
        f"{ID}/{ID}-print.pdf",
        f"{ID}/{ID}-screen.pdf",
        f"{ID}/{ID}.json",
    ]
    assert not [f for f in files if "/." in f"/{f}"]  # no hidden file: lock, stamp, cache
    page = (out / ID / "index.html").read_text()
    assert f"{ID}-screen.pdf" in page
    assert f"{ID}-print.pdf" not in page and f"{ID}-archive.pdf" not in page
