"""The command line through click's CliRunner: exit codes, messages, nothing half-written."""

from __future__ import annotations

from pathlib import Path

from conftest import invoke

from edition import __version__


def test_version_names_the_engines():
    out = invoke(["--version"]).output
    assert f"edition {__version__}" in out
    assert "WeasyPrint " in out and "Pango " in out and "Python " in out


def test_help_explains_build():
    out = invoke(["build", "--help"]).output
    for option in ("--profile", "--out", "--html", "ISSUE_DIR"):
        assert option in out


def test_build_writes_pdf_and_reports(make_issue, tmp_path: Path):
    root = make_issue()
    result = invoke(["build", root, "--out", tmp_path / "dist", "--html"])
    pdf = tmp_path / "dist" / "minimal" / "minimal-print.pdf"
    assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF-")
    assert (tmp_path / "dist" / "minimal" / "minimal-print.html").is_file()
    assert f"wrote {pdf}" in result.output
    assert " pages" in result.output and " s" in result.output.splitlines()[-1]
    assert not list(pdf.parent.glob(".*.tmp"))


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
    assert not (tmp_path / "dist").exists()


def test_failed_build_leaves_previous_pdf_untouched(make_issue, tmp_path: Path):
    root = make_issue()
    out = tmp_path / "dist"
    invoke(["build", root, "--out", out])
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


def test_new_scaffolds_an_issue_that_builds(tmp_path: Path):
    issue = tmp_path / "2024-06"
    invoke(["new", issue, "--number", "143", "--date", "2024-06-16"])
    assert (issue / "issue.toml").is_file()
    result = invoke(["build", issue, "--out", tmp_path / "dist"])
    assert "wrote" in result.output
    assert (tmp_path / "dist" / "2024-06" / "2024-06-print.pdf").is_file()


def test_new_refuses_a_folder_in_use(make_issue):
    root = make_issue()
    result = invoke(["new", root, "--number", "1", "--date", "2024-01-01"], exit_code=2)
    assert "folder already exists and is not empty" in result.output


def test_check_reports_sources_and_unbuilt_pdf(make_issue, tmp_path: Path):
    result = invoke(["-v", "check", make_issue(), "--out", tmp_path / "dist"])
    assert "3 articles, 2 Inframe photos, 2 ads" in result.output
    assert "not built yet" in result.output
    # The fixture's photos are small on purpose: too coarse for print, named one by one.
    assert result.output.count("[photo.low-resolution]") == 7
    assert "not ready for the printer" in result.output


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


def test_file_urls_outside_the_issue_never_reach_the_pdf(make_issue, tmp_path: Path):
    root = make_issue()
    art = root / "articles" / "gudang-baru.md"
    secret = tmp_path / "secret.txt"
    secret.write_text("RAHASIA-NEGARA-42")
    art.write_text(
        art.read_text() + f"\n[lampiran](file://{secret})\n\n"
        f'<a rel="attachment" href="file://{secret}">x</a>\n'
    )
    invoke(["build", root, "--out", tmp_path / "dist"])
    data = (tmp_path / "dist" / "minimal" / "minimal-print.pdf").read_bytes()
    assert b"RAHASIA" not in data and b"/EmbeddedFile" not in data
