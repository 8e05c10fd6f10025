"""Shared fixtures: fixture issues copied to tmp_path, a CLI runner, PDFs built once per session."""

from __future__ import annotations

import shutil
import traceback
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from edition.cli import main

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures" / "issues"
REPO = HERE.parent
SAMPLE = REPO / "issues" / "2024-05"


@pytest.fixture
def make_issue(tmp_path: Path):
    """Copy the fixture issue `name` into tmp_path and return its folder."""

    def make(name: str = "minimal") -> Path:
        dest = tmp_path / name
        shutil.copytree(FIXTURES / name, dest)
        return dest

    return make


def invoke(args: list[str], exit_code: int = 0, input: bytes | None = None) -> Result:
    """Run the CLI; on an unexpected exit code show its output and exception."""
    result = CliRunner().invoke(main, [str(a) for a in args], input=input, catch_exceptions=True)
    if result.exit_code != exit_code:
        exc = "".join(traceback.format_exception(*result.exc_info)) if result.exc_info else ""
        raise AssertionError(
            f"edition {' '.join(map(str, args))} exited {result.exit_code}, expected "
            f"{exit_code}\n--- output ---\n{result.output}\n--- exception ---\n{exc}"
        )
    return result


def _build(issue: Path, out: Path) -> Path:
    invoke(["build", issue, "--out", out])
    return out / issue.name / f"{issue.name}-print.pdf"


@pytest.fixture(scope="session")
def minimal_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("minimal")
    issue = root / "minimal"
    shutil.copytree(FIXTURES / "minimal", issue)
    return _build(issue, root / "dist")


@pytest.fixture(scope="session")
def sample_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(SAMPLE, tmp_path_factory.mktemp("sample"))


@pytest.fixture(scope="session")
def sample_edition(sample_pdf: Path) -> Callable[[str], Path]:
    """The sample issue's PDF of a profile, built once a session beside `sample_pdf`."""
    out = sample_pdf.parent.parent

    def edition(profile: str) -> Path:
        pdf = out / SAMPLE.name / f"{SAMPLE.name}-{profile}.pdf"
        if not pdf.exists():
            invoke(["build", SAMPLE, "--profile", profile, "--out", out])
        return pdf

    return edition
