"""The command line through click's CliRunner: exit codes, messages, options wherever they
are given, what -q, -v and -vv show, nothing half-written, nothing but editions in --out."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from itertools import pairwise
from pathlib import Path

import pikepdf
import pytest
from conftest import FIXTURES, invoke

from edition import __version__

PRINT_SUMMARY = re.compile(
    r"^print: (?P<pages>\d+) pages(?: \(\+(?P<pad>\d+) house-ad pages? to reach a multiple "
    r"of 4\))?, [\d.]+ MB, \d+ photos? prepared, \d+ reused, (?:\d+ sections? laid out, "
    r"\d+ reused, )?[\d.]+ s; preflight: (?P<errors>\d+) errors?, (?P<warnings>\d+) "
    r"warnings?: (?P<verdict>(?:not )?ready for the printer)$",
    re.M,
)


def test_version_names_the_engines():
    out = invoke(["--version"]).output
    assert f"edition {__version__}" in out
    assert "WeasyPrint " in out and "Pango " in out and "Python " in out


def test_help_explains_build():
    out = invoke(["build", "--help"]).output
    for option in ("--profile", "--out", "--cache", "--html", "ISSUE_DIR", "-q", "-v"):
        assert option in out


@pytest.mark.slow
def test_build_writes_pdf_and_reports(make_issue, tmp_path: Path):
    root = make_issue()
    out = tmp_path / "dist"
    # The fixture's photos are too small for print and it has no ISSN: errors, exit 1.
    result = invoke(["build", root, "--out", out, "--html"], exit_code=1)
    pdf = out / "minimal" / "minimal-print.pdf"
    assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF-")
    assert (out / "minimal" / "minimal-print.html").is_file()
    assert f"wrote {pdf}" in result.output
    summary = PRINT_SUMMARY.search(result.output)
    assert summary, result.output
    with pikepdf.open(pdf) as doc:
        assert int(summary["pages"]) == len(doc.pages)
    errors = [ln for ln in result.output.splitlines() if ": error: " in ln]
    assert int(summary["errors"]) == len(errors) > 0
    assert summary["verdict"] == "not ready for the printer"
    assert not list(pdf.parent.glob(".*.tmp"))
    # Only what is published is in the output folder: no cache, no lock, no record...
    files = out / "minimal" / "minimal-print_files"
    assert sorted(
        p.relative_to(out).as_posix() for p in out.rglob("*") if files not in p.parents
    ) == [
        "minimal",
        "minimal/minimal-print.html",
        "minimal/minimal-print.pdf",
        "minimal/minimal-print_files",
        "minimal/minimal.json",
    ]
    # ... and beside the HTML, the photos and fonts it shows: none it does not use.
    html = (out / "minimal" / "minimal-print.html").read_text()
    beside = [p.relative_to(pdf.parent).as_posix() for p in files.rglob("*") if p.is_file()]
    assert beside and all(f'"{name}"' in html for name in beside), beside


def test_bad_input_exit_2_one_line_each_no_traceback(make_issue, tmp_path: Path):
    root = make_issue()
    art = root / "articles" / "gudang-baru.md"
    art.write_text(art.read_text().replace("author:", "auhtor:"))
    toml = root / "issue.toml"
    toml.write_text(toml.read_text().replace('size = "half"', 'size = "double"'))
    result = invoke(["build", root, "--out", tmp_path / "dist"], exit_code=2)
    lines = [ln for ln in result.output.splitlines() if ": error: " in ln]
    assert len(lines) == 2
    assert any(ln.startswith(f"{art}:3: error: unknown key 'auhtor'") for ln in lines)
    assert any(ln.startswith(f"{toml}:65: error: 'ads.1.size' cannot be 'double'") for ln in lines)
    assert "Traceback" not in result.output
    assert result.output.rstrip().endswith("2 errors; nothing was written.")
    assert not (tmp_path / "dist").exists()


def test_every_problem_of_an_article_at_once(make_issue, tmp_path: Path):
    """A misspelt key does not hide the missing lead photo of the same article."""
    root = make_issue()
    art = root / "articles" / "gudang-baru.md"
    text = art.read_text()
    text = text.replace("author:", "auhtor:", 1)
    text = re.sub(r"lead_photo: .*", 'lead_photo: "photos/tidak-ada.jpg"', text, count=1)
    art.write_text(text)
    result = invoke(["check", root, "--out", tmp_path / "dist"], exit_code=2)
    lines = [ln for ln in result.output.splitlines() if ": error: " in ln]
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if ln.startswith("lead_photo:"))
    assert lines == [
        f"{art}:3: error: unknown key 'auhtor' (did you mean 'author'?) [front-matter.unknown-key]",
        f"{art}:{line}: error: lead photo 'photos/tidak-ada.jpg' does not exist "
        "(did you mean 'photos/lead-a.jpg'?) [path.missing]",
    ]
    # `check` writes nothing, and does not say it did not.
    assert result.output.rstrip().endswith("\n2 errors.")
    assert "written" not in result.output


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        (
            "[page]\ncolumn = 4\n",
            "layout.toml:4: error: unknown key 'page.column' (did you mean 'columns'?) "
            "[layout.unknown-key]",
        ),
        (
            '[colors]\nnavy = "blue"\n',
            "layout.toml:4: error: 'colors.navy': input should be a valid list "
            "(correct the value) [layout.bad-value]",
        ),
    ],
)
def test_a_typo_in_layout_toml_is_one_line_and_exit_2(make_issue, tmp_path, toml, expected):
    root = make_issue()
    layout = root / "layouts" / "mine" / "layout.toml"
    layout.parent.mkdir(parents=True)
    layout.write_text(f'extends = "classic"\nname = "mine"\n{toml}')
    issue_toml = root / "issue.toml"
    issue_toml.write_text('layout = "mine"\n' + issue_toml.read_text())
    for command in ("check", "build"):
        result = invoke([command, root, "--out", tmp_path / "dist"], exit_code=2)
        lines = [ln for ln in result.output.splitlines() if ": error: " in ln]
        assert lines == [f"{layout.parent}/{expected}"], result.output
        assert "internal error" not in result.output
    assert not (tmp_path / "dist").exists()


@pytest.mark.slow
def test_failed_build_leaves_previous_pdf_untouched(make_issue, tmp_path: Path):
    root = make_issue()
    out = tmp_path / "dist"
    invoke(["build", root, "--out", out], exit_code=1)
    pdf = out / "minimal" / "minimal-print.pdf"
    before = pdf.read_bytes()
    (root / "photos" / "lead-a.jpg").unlink()
    invoke(["build", root, "--out", out], exit_code=2)
    assert pdf.read_bytes() == before


def test_not_an_issue_folder(tmp_path: Path):
    result = invoke(["build", tmp_path, "--out", tmp_path / "dist"], exit_code=2)
    assert f"{tmp_path}/issue.toml: error: issue.toml not found" in result.output


def test_unknown_profile_is_usage_error(make_issue):
    result = invoke(["build", make_issue(), "--profile", "poster"], exit_code=2)
    assert "Invalid value for '--profile'" in result.output


@pytest.mark.slow
def test_a_new_issue_builds_and_its_placeholder_issn_is_an_error(tmp_path: Path):
    issue = tmp_path / "2024-06"
    invoke(["new", issue, "--number", "143", "--date", "2024-06-16"])
    assert (issue / "issue.toml").is_file()
    result = invoke(["build", issue, "--out", tmp_path / "dist"], exit_code=1)
    pdf = tmp_path / "dist" / "2024-06" / "2024-06-print.pdf"
    assert pdf.is_file()
    cover = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True
    ).stdout
    assert "ISSN 0000-0000" in cover  # what the printer would get
    assert (
        f"{issue}/issue.toml: page 1: error: issue.toml gives no ISSN: the cover's barcode box "
        "would print 'ISSN 0000-0000' (add the magazine's ISSN to issue.toml, e.g. "
        'issn = "ISSN 1234-5679") [cover.placeholder-issn]'
    ) in result.output
    # One article, one of each: said in the singular.
    assert "Planning 1 article, 0 Inframe photos, 0 ads" in result.output
    assert re.search(r"\b1 (articles|errors|sections|pages|photos)\b", result.output) is None
    # The screen edition has no barcode to print: not an error there.
    screen = invoke(["check", issue, "--out", tmp_path / "dist", "--profile", "screen"], 1)
    assert "cover.placeholder-issn" not in screen.output
    # With an ISSN the cover prints it and the error is gone.
    toml = issue / "issue.toml"
    toml.write_text(toml.read_text().replace("price = ", 'issn = "ISSN 1234-5679"\nprice = ', 1))
    result = invoke(["build", issue, "--out", tmp_path / "dist"], exit_code=0)
    assert "cover.placeholder-issn" not in result.output
    assert PRINT_SUMMARY.search(result.output)["verdict"] == "ready for the printer"  # type: ignore[index]


def test_new_refuses_a_folder_in_use(make_issue):
    root = make_issue()
    result = invoke(["new", root, "--number", "1", "--date", "2024-01-01"], exit_code=2)
    assert "folder already exists and is not empty" in result.output


def test_check_of_an_issue_never_built(make_issue, tmp_path: Path):
    result = invoke(["-v", "check", make_issue(), "--out", tmp_path / "dist"], exit_code=1)
    assert "3 articles, 2 Inframe photos, 2 ads" in result.output
    assert "not built yet" in result.output
    # The fixture's photos are small on purpose: too coarse for print, each placement
    # named (no page yet: nothing is built).
    low = [ln for ln in result.output.splitlines() if ln.endswith("[photo.low-resolution]")]
    assert len(low) == 7
    assert any(": error: lead photo of 'patroli-utara' has 127 dpi" in ln for ln in low)
    # Too coarse for a full page (59 dpi there), Inframe page 2 is set smaller on its page.
    assert any(
        ": error: Inframe page 2 has 85 dpi at its placed size of 150 x 196 mm" in ln for ln in low
    )
    last = result.output.rstrip().splitlines()[-1]
    assert re.fullmatch(
        r"print: 8 errors, 0 warnings: not built \(run `edition build \S+ --profile print`\)",
        last,
    ), last
    assert "ready for the printer" not in result.output


def test_missing_font_is_a_clear_error(make_issue, tmp_path: Path, monkeypatch):
    from edition.share import share_dir

    assets = tmp_path / "home" / "assets"
    (assets / "fonts").mkdir(parents=True)
    real = share_dir("assets") / "fonts"
    for f in real.iterdir():
        if f.name != "Inter-Bold.otf":
            (assets / "fonts" / f.name).symlink_to(f)
    (tmp_path / "home" / "layouts").symlink_to(share_dir("layouts"))
    monkeypatch.setenv("EDITION_HOME", str(tmp_path / "home"))
    result = invoke(["build", make_issue(), "--out", tmp_path / "dist"], exit_code=2)
    assert (
        f"{assets}/fonts/Inter-Bold.otf: error: font file not found (put the font in "
        "assets/fonts/ or fix layout.toml) [layout.missing-font]"
    ) in result.output
    assert not (tmp_path / "dist").exists()


@pytest.mark.slow
def test_file_urls_outside_the_issue_never_reach_the_pdf(make_issue, tmp_path: Path):
    root = make_issue()
    art = root / "articles" / "gudang-baru.md"
    secret = tmp_path / "secret.txt"
    secret.write_text("RAHASIA-NEGARA-42")
    art.write_text(
        art.read_text() + f"\n[lampiran](file://{secret})\n\n"
        f'<a rel="attachment" href="file://{secret}">x</a>\n'
    )
    invoke(["build", root, "--out", tmp_path / "dist"], exit_code=1)
    data = (tmp_path / "dist" / "minimal" / "minimal-print.pdf").read_bytes()
    assert b"RAHASIA" not in data and b"/EmbeddedFile" not in data


# ---------------------------------------------------------------- -q, -v, -vv, progress


@pytest.mark.slow
def test_global_options_are_taken_before_and_after_the_command(make_issue, tmp_path: Path):
    root = make_issue()
    out = tmp_path / "dist"
    invoke(["build", root, "--out", out], exit_code=1)  # the PDF is there: nothing to do
    quiet_after = invoke(["build", root, "--out", out, "-q"], exit_code=1).output
    quiet_before = invoke(["-q", "build", root, "--out", out], exit_code=1).output
    normal = invoke(["build", root, "--out", out], exit_code=1).output
    for quiet in (quiet_after, quiet_before):
        # Only the errors and the result.
        lines = quiet.rstrip().splitlines()
        assert all(": error: " in ln for ln in lines[:-1]), quiet
        assert PRINT_SUMMARY.fullmatch(lines[-1]), quiet
    # With --strict a warning counts against the result, and -q shows it too.
    strict = invoke(["build", root, "--out", out, "-q", "--strict"], exit_code=1).output
    lines = strict.rstrip().splitlines()
    assert all(": error: " in ln or ": warning: " in ln for ln in lines[:-1]), strict
    assert any(": warning: " in ln for ln in lines[:-1]), strict
    counted = PRINT_SUMMARY.fullmatch(lines[-1])
    assert counted and int(counted["errors"]) == len(lines) - 1, strict
    assert "Reading" in normal and "unchanged" in normal
    verbose = invoke(["build", "-v", root, "--out", out], exit_code=1).output
    assert "  steps: Reading" in verbose and "build cache: " in verbose
    assert "  steps: Reading" not in normal


def test_vv_shows_editions_own_debug_lines_and_no_one_elses(make_issue, tmp_path: Path):
    result = invoke(["check", make_issue(), "--out", tmp_path / "dist", "-vv"], exit_code=1)
    logged = [ln for ln in result.output.splitlines() if re.match(r"(DEBUG|INFO|WARNING) ", ln)]
    assert logged, result.output
    assert all(ln.startswith("DEBUG edition.") for ln in logged), logged
    assert "markdown_it" not in result.output and "fontTools" not in result.output


@pytest.fixture(scope="module")
def verbose_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[tuple[float, str]], str]:
    """`edition build -v` of the fixture in a process of its own, with a cache of its own
    (so that it has work to do) and its standard error a pipe, not a terminal: the lines
    of standard error with the second each came, and standard output."""
    root = tmp_path_factory.mktemp("verbose")
    issue = root / "minimal"
    shutil.copytree(FIXTURES / "minimal", issue)
    env = {**os.environ, "EDITION_CACHE": str(root / "cache"), "NO_COLOR": "1"}
    command = [sys.executable, "-m", "edition.cli", "build", str(issue), "-v"]
    proc = subprocess.Popen(
        [*command, "--out", str(root / "dist")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stderr is not None and proc.stdout is not None
    lines = []
    start = time.monotonic()
    with proc, proc.stderr, proc.stdout:
        for line in proc.stderr:
            lines.append((time.monotonic() - start, line.rstrip("\n")))
        stdout = proc.stdout.read()
    assert proc.returncode == 1, "\n".join(text for _, text in lines)
    lines.append((time.monotonic() - start, "(exit)"))
    return lines, stdout


@pytest.mark.slow
def test_no_silence_of_more_than_5_seconds_when_not_on_a_terminal(verbose_build):
    from edition.console import HEARTBEAT

    lines, _ = verbose_build
    gaps = [(b - a, text) for (a, _), (b, text) in pairwise(lines)]
    longest = max(gaps)
    assert longest[0] <= HEARTBEAT + 1.5, (longest, lines)


@pytest.mark.slow
def test_v_shows_the_steps_timings_sections_and_cache(verbose_build):
    lines, stdout = verbose_build
    text = "\n".join(t for _, t in lines)
    steps = next(t for _, t in lines if t.startswith("  steps: "))
    for step in ("Reading ", "Planning 3 articles", "Preparing photos", "Preflight"):
        assert re.search(re.escape(step) + r"[^;]* \d+\.\d s(;|$)", steps), steps
    laid = next(t for _, t in lines if t.startswith("  sections laid out ("))
    assert "Patroli di Perairan Utara" in laid and "Daftar Isi" in laid
    assert "  sections from the cache (0): none" in text  # a cache of its own, empty
    assert re.search(r"^  photos: [1-9]\d* prepared, 0 from the cache$", text, re.M)
    assert PRINT_SUMMARY.search(stdout), stdout


@pytest.mark.slow
def test_refused_urls_are_reported_by_every_build_cached_or_not(make_issue, tmp_path: Path):
    """A template that tries to load a URL is warned about by the build that lays it out,
    by a build that takes its sections from the cache, and by one that changes nothing."""
    from edition.share import share_dir

    root = make_issue()
    template = (share_dir("layouts") / "classic" / "templates" / "edition.html.j2").read_text()
    link = '<link rel="stylesheet" href="https://example.com/luar.css">'
    (root / "templates").mkdir()
    (root / "templates" / "edition.html.j2").write_text(
        template.replace("</head>", link + "</head>")
    )
    warning = (
        "warning: refused to load 'https://example.com/luar.css' (only files inside the "
        "issue, the layout and assets/ can be used) [safety.fetch]"
    )
    out = tmp_path / "dist"
    first = invoke(["build", root, "--out", out, "-v"], exit_code=1).output
    assert warning in first
    # Another issue.toml (a comment): a new build, every section from the cache.
    toml = root / "issue.toml"
    toml.write_text(toml.read_text() + "\n# catatan redaksi\n")
    cached = invoke(["build", root, "--out", out, "-v"], exit_code=1).output
    assert re.search(r"^  sections laid out \(0\): none$", cached, re.M), cached
    assert warning in cached
    # Nothing changed at all: the last build's findings are reported again.
    unchanged = invoke(["build", root, "--out", out], exit_code=1).output
    assert "unchanged " in unchanged and warning in unchanged
