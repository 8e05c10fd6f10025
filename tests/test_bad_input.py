"""Every kind of bad input ends the same way: one line per problem naming the file (and
line), exit code 2, no traceback, nothing written. Bugs are exit 3, traceback with --debug."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import invoke


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def article(root: Path) -> Path:
    return root / "articles" / "gudang-baru.md"


def latin1(path: Path, old: bytes, new: bytes) -> None:
    path.write_bytes(path.read_bytes().replace(old, new, 1))


# name: (break the issue, the error lines with {root} for the issue folder)
CASES: dict[str, tuple[Callable[[Path], object], list[str]]] = {
    "malformed TOML": (
        lambda r: edit(r / "issue.toml", "number = 7", "number = = 7"),
        [
            "{root}/issue.toml:2: error: issue.toml is not valid TOML: invalid value (fix the TOML "
            "syntax) [issue.toml-syntax]"
        ],
    ),
    "unclosed TOML table": (
        lambda r: edit(r / "issue.toml", "[cover]", "[cover"),
        [
            "{root}/issue.toml:8: error: issue.toml is not valid TOML: expected ']' at the end of "
            "a table declaration (fix the TOML syntax) [issue.toml-syntax]"
        ],
    ),
    "malformed YAML": (
        lambda r: edit(article(r), 'author: "Budi Santoso"', "author: Budi: Santoso"),
        [
            "{root}/articles/gudang-baru.md:3: error: front matter is not valid YAML: mapping "
            "values are not allowed here (fix the YAML syntax; quote values that contain ':') "
            "[front-matter.yaml]"
        ],
    ),
    "front matter not closed": (
        lambda r: edit(article(r), "---\nLatihan", "Latihan"),
        [
            "{root}/articles/gudang-baru.md:1: error: front matter is not closed (add a line '---' "
            "after the last key) [front-matter.unclosed]"
        ],
    ),
    "non-UTF-8 article": (
        lambda r: latin1(article(r), b"Gudang", b"Gud\xe4ng"),
        [
            "{root}/articles/gudang-baru.md:2: error: article is not UTF-8 text (byte 0xe4) (save "
            "the file as UTF-8) [file.encoding]"
        ],
    ),
    "non-UTF-8 issue.toml": (
        lambda r: latin1(r / "issue.toml", b'"Rp 45.000"', b'"\xa3 45.000"'),
        [
            "{root}/issue.toml:6: error: issue.toml is not UTF-8 text (byte 0xa3) (save the file "
            "as UTF-8) [file.encoding]"
        ],
    ),
    "binary article": (
        lambda r: article(r).write_bytes(b"---\ntitle: x\n---\n\x00\x01\x02"),
        [
            "{root}/articles/gudang-baru.md:4: error: article contains NUL bytes, it is not a text "
            "file (replace it with a text file) [file.binary]"
        ],
    ),
    "missing article file": (
        lambda r: article(r).unlink(),
        [
            "{root}/issue.toml:20: error: article 'gudang-baru' does not exist (create "
            "articles/gudang-baru.md) [issue.missing-article]"
        ],
    ),
    "empty article": (
        lambda r: article(r).write_text(""),
        [
            "{root}/articles/gudang-baru.md: error: article file is empty (write its front matter "
            "and text, or take its slug out of issue.toml) [article.empty]"
        ],
    ),
    "article without text": (
        lambda r: article(r).write_text('---\ntitle: "Judul"\n---\n\n\n'),
        [
            "{root}/articles/gudang-baru.md:4: error: article has no text (write the article below "
            "the front matter) [article.empty]"
        ],
    ),
    "article too large": (
        lambda r: article(r).write_text("---\ntitle: x\n---\n" + "kata " * 500_000),
        [
            "{root}/articles/gudang-baru.md: error: article is 2500017 bytes, more than the limit "
            "of 2000000 (split or shorten it) [file.too-large]"
        ],
    ),
    "article is a folder": (
        lambda r: (article(r).unlink(), article(r).mkdir()),
        [
            "{root}/issue.toml:20: error: article 'gudang-baru' is not a file "
            "(articles/gudang-baru.md is a folder or a device: make it a Markdown file) "
            "[issue.missing-article]"
        ],
    ),
    "slug in two rubrics": (
        lambda r: edit(
            r / "issue.toml",
            'articles = ["patroli-utara"]',
            'articles = ["patroli-utara", "gudang-baru"]',
        ),
        [
            "{root}/issue.toml:20: error: article 'gudang-baru' is listed twice (first at line 16) "
            "(remove one of them) [issue.duplicate-article]"
        ],
    ),
    "slug with a NUL": (
        lambda r: edit(r / "issue.toml", '"patroli-utara"]', '"patroli-utara", "a\\u0000b"]'),
        [
            "{root}/issue.toml:16: error: article 'a\\x00b' is not a possible file name (a slug is "
            "the name of a file in articles/, without '.md') [path.invalid]"
        ],
    ),
    "slug with a line break stays one line": (
        lambda r: edit(r / "issue.toml", '"patroli-utara"]', '"patroli-utara", "a\\nb"]'),
        [
            "{root}/issue.toml:16: error: article 'a\\nb' does not exist (create "
            "articles/a\\nb.md) "
            "[issue.missing-article]"
        ],
    ),
    "photo name too long": (
        lambda r: edit(r / "issue.toml", "photos/cover.jpg", "photos/" + "c" * 300 + ".jpg"),
        [
            "{root}/issue.toml:9: error: cover photo 'photos/" + "c" * 300 + ".jpg' is not a "
            "possible file name (check the path: it holds a NUL character or a part longer than "
            "255 bytes) [path.invalid]"
        ],
    ),
    "issue.toml is a folder": (
        lambda r: ((r / "issue.toml").unlink(), (r / "issue.toml").mkdir()),
        [
            "{root}/issue.toml: error: issue.toml is a folder, not a file (replace it with the "
            "file) [file.unreadable]"
        ],
    ),
    "unknown layout": (
        lambda r: edit(r / "issue.toml", "price =", 'layout = "nope"\nprice ='),
        ["{root}/issue.toml: error: unknown layout 'nope' (available: classic) [layout.unknown]"],
    ),
    "unknown language": (
        lambda r: edit(r / "issue.toml", "price =", 'language = "xx"\nprice ='),
        [
            "{root}/issue.toml:6: error: unknown language 'xx' (use a language "
            "code such as 'id' or "
            "'en', or 'id_ID' with a country) [issue.language]"
        ],
    ),
    "a file where the output folder goes": (
        lambda r: ((r.parent / "dist").mkdir(), (r.parent / "dist" / "minimal").write_text("")),
        [
            "{root}/../dist/minimal: error: a file is in the way of the output folder (move the "
            "file away, or choose another --out) [output.not-dir]"
        ],
    ),
    "--out below a file": (
        lambda r: (r.parent / "dist").write_text(""),
        [
            "{root}/../dist: error: output path is not a folder (choose another --out) "
            "[output.not-dir]"
        ],
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_bad_input_is_one_line_exit_2(make_issue, tmp_path: Path, name: str):
    root = make_issue()
    breaks, expected = CASES[name]
    breaks(root)
    out = tmp_path / "dist" / "sub" if name == "--out below a file" else tmp_path / "dist"
    result = invoke(["build", root, "--out", out], exit_code=2)
    lines = result.output.splitlines()
    found = [ln for ln in lines if ": error: " in ln]
    wanted = [e.format(root=root).replace(f"{root}/../", f"{tmp_path}/") for e in expected]
    assert found == wanted
    assert lines[-1] == f"{len(wanted)} error{'s' * (len(wanted) != 1)}; nothing was written."
    assert "Traceback" not in result.output
    assert not list(tmp_path.rglob("*.pdf"))


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="root reads files whatever their permissions",
)
def test_unreadable_article(make_issue, tmp_path: Path):
    root = make_issue()
    article(root).chmod(0)
    result = invoke(["build", root, "--out", tmp_path / "dist"], exit_code=2)
    assert (
        f"{article(root)}: error: cannot read article: Permission denied (check the file's "
        "permissions) [file.unreadable]" in result.output
    )


def test_unreadable_article_whoever_runs_the_tests(
    make_issue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The same as above, with the refusal simulated, so that it is checked as root too."""
    root = make_issue()
    real_read = Path.read_bytes

    def read_bytes(path: Path) -> bytes:
        if path.name == "gudang-baru.md":
            raise PermissionError(13, "Permission denied", str(path))
        return real_read(path)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    result = invoke(["build", root, "--out", tmp_path / "dist"], exit_code=2)
    assert [ln for ln in result.output.splitlines() if ": error: " in ln] == [
        f"{article(root)}: error: cannot read article: Permission denied (check the file's "
        "permissions) [file.unreadable]"
    ]


def test_unknown_profile_names_the_choices(make_issue):
    result = invoke(["build", make_issue(), "--profile", "nope"], exit_code=2)
    assert (
        "Error: Invalid value for '--profile': 'nope' is not one of 'print', 'screen', "
        "'archive', 'all'." in result.output
    )
    assert "Traceback" not in result.output


def test_out_that_is_a_file_is_a_usage_error(make_issue, tmp_path: Path):
    (tmp_path / "dist").write_text("")
    result = invoke(["build", make_issue(), "--out", tmp_path / "dist"], exit_code=2)
    assert (
        f"Error: Invalid value for '--out': Directory '{tmp_path / 'dist'}' is a file."
        in result.output
    )


# --- bugs: "internal error" and exit 3; the traceback only with --debug -----------------------

BOOM = """
import sys
import edition.plan.plan
def boom(*args, **kwargs):
    raise RuntimeError("boom in the planner")
edition.plan.plan.plan_issue = boom
from edition.cli import main
main(sys.argv[1:], prog_name="edition")
"""


def run_with_a_bug(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BOOM, *map(str, args)], capture_output=True, text=True, timeout=120
    )


def test_internal_error_is_exit_3_without_traceback(make_issue, tmp_path: Path):
    done = run_with_a_bug("build", make_issue(), "--out", tmp_path / "dist")
    assert done.returncode == 3
    assert "internal error: RuntimeError: boom in the planner" in done.stderr
    assert "--debug" in done.stderr and "Traceback" not in done.stderr + done.stdout


def test_debug_shows_the_traceback(make_issue, tmp_path: Path):
    done = run_with_a_bug("--debug", "build", make_issue(), "--out", tmp_path / "dist")
    assert done.returncode != 0
    assert "Traceback (most recent call last)" in done.stderr
    assert "in boom" in done.stderr and "in build_edition" in done.stderr
    assert done.stderr.rstrip().endswith("RuntimeError: boom in the planner")
