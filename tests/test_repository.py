"""The repository keeps its promises: CI runs the README's test command; credits cover assets."""

from __future__ import annotations

import re
import subprocess
import sys

from conftest import REPO


def quick_start_commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [ln.strip() for ln in section.splitlines() if ln.startswith("    ")]


def test_readme_quick_start_has_two_commands_and_ci_runs_the_test_one():
    commands = quick_start_commands()
    assert len(commands) == 2
    assert "edition build issues/2024-05" in commands[0]
    assert "pytest" in commands[1]
    assert commands[1] in (REPO / ".ci" / "run").read_text()


def test_every_bundled_file_is_credited():
    credits = (REPO / "assets" / "CREDITS").read_text()
    files = [
        p
        for p in (REPO / "assets").rglob("*")
        if p.is_file() and p.name != "CREDITS" and not p.name.startswith("OFL")
    ]
    photos = list((REPO / "issues").glob("*/photos/*.jpg"))
    missing = []
    for p in files + photos:
        stem = re.sub(
            r"-(Regular|Italic|Bold|BoldItalic|Medium|SemiBold|ExtraBold|Black|Light)$", "", p.stem
        )
        if p.name not in credits and stem not in credits:
            missing.append(str(p.relative_to(REPO)))
    assert missing == []


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *command], cwd=REPO, capture_output=True, text=True, check=False
    )


def test_the_code_is_ruff_clean_and_formatted():
    lint = _run("ruff", "check", "edition", "tests", "bench")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    style = _run("ruff", "format", "--check", "edition", "tests", "bench")
    assert style.returncode == 0, style.stdout + style.stderr


def test_the_package_is_mypy_clean():
    found = _run("mypy", "edition")
    assert found.returncode == 0, found.stdout + found.stderr
