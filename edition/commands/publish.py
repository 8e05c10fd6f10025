"""`edition publish`: the issue's final editions. Print and screen are built and checked;
only when neither has an error is the archive edition made, as the published one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edition.commands.build import BuildResult, build_edition
from edition.errors import Severity

CHECKED = ("print", "screen")  # what must pass before the archive edition is made


@dataclass
class Publication:
    results: list[BuildResult] = field(default_factory=list)  # in the order built
    blocked: dict[str, int] = field(default_factory=dict)  # profile -> its errors

    @property
    def archive(self) -> BuildResult | None:
        return self.results[len(CHECKED)] if len(self.results) > len(CHECKED) else None


def errors_of(result: BuildResult, strict: bool = False) -> int:
    """The errors a build's preflight found (with `strict`, its warnings count too)."""
    counted = {Severity.ERROR, Severity.WARNING} if strict else {Severity.ERROR}
    return sum(f.severity in counted for f in [*result.findings, *result.preflight])


def publish_issue(
    issue_dir: Path,
    out_root: Path,
    *,
    force: bool = False,
    strict: bool = False,
    built: Callable[[str, BuildResult], None] = lambda _p, _r: None,
    starting: Callable[[str], None] = lambda _p: None,
    **build: Any,
) -> Publication:
    """Build the print and screen editions; when preflight finds no error in them (nor a
    warning, with `strict`), build the archive edition as the published one (`force`
    replaces a published one with other content). `built` is called after each build,
    `starting` before it; `build` are more arguments of `build_edition`. Raises
    EditionError (bad input) like `build_edition`."""
    out = Publication()
    for profile in CHECKED:
        starting(profile)
        result = build_edition(issue_dir, profile, out_root, **build)
        out.results.append(result)
        built(profile, result)
        if errors := errors_of(result, strict):
            out.blocked[profile] = errors
    if out.blocked:
        return out
    starting("archive")
    result = build_edition(issue_dir, "archive", out_root, force=force, draft=False, **build)
    out.results.append(result)
    built("archive", result)
    return out
