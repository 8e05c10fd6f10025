"""The sample issues in issues/: each one passes `edition check`, and together they are a run
of consecutive monthly editions."""

from __future__ import annotations

import tomllib
from itertools import pairwise
from pathlib import Path

import pytest
from conftest import REPO, invoke

ISSUES = sorted(p.parent for p in (REPO / "issues").glob("*/issue.toml"))


def read(issue: Path) -> dict:
    with (issue / "issue.toml").open("rb") as f:
        return tomllib.load(f)


def test_the_repository_holds_at_least_three_sample_issues():
    assert len(ISSUES) >= 3, [p.name for p in ISSUES]


@pytest.mark.parametrize("issue", ISSUES, ids=[p.name for p in ISSUES])
def test_sample_issue_passes_check(issue: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # From an empty folder, so a stale dist/ in the working tree is not checked along:
    # only the sources are checked, and the verdict is that the edition is not built.
    monkeypatch.chdir(tmp_path)
    result = invoke(["check", issue], exit_code=1)
    assert ": error: " not in result.output, result.output
    assert result.output.rstrip().splitlines()[-1].startswith("print: 0 errors, ")
    assert result.output.rstrip().endswith(
        f"not built (run `edition build {issue} --profile print`)"
    )


def test_sample_issues_are_consecutive_months():
    specs = sorted((read(p) | {"folder": p.name} for p in ISSUES), key=lambda s: s["number"])
    numbers = [s["number"] for s in specs]
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers))), numbers
    dates = [s["date"] for s in specs]
    assert all(a < b for a, b in pairwise(dates)), dates
    # Each folder is named after its issue's month.
    assert [s["folder"] for s in specs] == [f"{d:%Y-%m}" for d in dates]
