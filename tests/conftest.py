"""Shared fixtures: fixture issues copied to tmp_path, a CLI runner, one warm build cache for
the session, and the fixture issues built once per session, profile by profile.

What other test files can use:

- `make_issue(name="minimal")`: a fresh copy of tests/fixtures/issues/<name> in tmp_path.
- `invoke(args, exit_code=0)`: the CLI in-process (CliRunner); on another exit code the
  failure shows the output and the exception. `edition build` and `edition check` exit 1
  when preflight finds an error: every edition of the minimal fixture has some (its photos
  are small on purpose, it has no ISSN), so expect `exit_code=1` there.
- The build cache: every test shares one (EDITION_CACHE, set for the whole session, also
  for `edition` run in a subprocess), so a build of sources some earlier test built takes
  its photos and sections from the cache. A test about the cache itself (what is laid
  out again, what is prepared) uses the `cold_cache` fixture, or passes `cache=` /
  `--cache` itself.
- `minimal_build`: the minimal fixture (an unchanged copy) built with the CLI into one
  output folder; `minimal_build.pdf("screen")` builds that edition the first time it is
  asked for and returns the PDF's path; `minimal_build.output["screen"]` is what the
  build printed. Never change these files: copy them (`shutil.copy`) to change them.
- `enlarge_photos(issue)`: the minimal fixture's photos made large enough for the screen
  edition (150 dpi at their placed size; for print that is a warning, not an error).
- `minimal_pdf` (the print PDF of `minimal_build`) and `sample_pdf` (issues/2024-05 in
  print), both session-wide.

Every finding made while the tests run is noted by its code (`PRODUCED`), so that one test,
run last, can say which preflight codes no test made happen.

Tests that build whole PDFs are marked `slow` (`pytest -m "not slow"` leaves them out for
a quick run; CI runs everything).
"""

from __future__ import annotations

import os
import shutil
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from edition.cli import main
from edition.errors import Finding
from edition.store.paths import CACHE_ENV

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures" / "issues"
REPO = HERE.parent
SAMPLE = REPO / "issues" / "2024-05"
LAST = "test_every_preflight_code_is_made_to_happen_by_a_test"

# The code of every finding made in this process (not those of `edition` run in a
# process of its own).
PRODUCED: set[str] = set()
_finding_init = Finding.__init__


def _noting_init(self: Finding, *args: object, **kwargs: object) -> None:
    _finding_init(self, *args, **kwargs)  # type: ignore[arg-type]
    PRODUCED.add(self.code)


Finding.__init__ = _noting_init  # type: ignore[method-assign]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The test of which codes were made to happen goes last."""
    items.sort(key=lambda item: item.name == LAST)


# How much each photo of the minimal fixture is enlarged to reach 150 dpi at its placed
# size (the originals have 54 to 127 dpi there: the fixture is small on purpose).
ENLARGE = {
    "photos/cover.jpg": 2.2,
    "photos/inframe-1.jpg": 3.0,
    "photos/inframe-2.jpg": 2.7,
    "photos/lead-a.jpg": 1.3,
    "photos/lead-b.jpg": 1.3,
    "ads/full.png": 2.2,
    "ads/half.png": 1.6,
}


def enlarge_photos(issue: Path) -> Path:
    """Enlarge the photos of a copy of the minimal fixture (see ENLARGE); returns it."""
    from PIL import Image

    for rel, factor in ENLARGE.items():
        path = issue / rel
        with Image.open(path) as img:
            big = img.convert("RGB").resize(
                (round(img.width * factor), round(img.height * factor)), Image.Resampling.BICUBIC
            )
        if path.suffix == ".png":
            big.save(path, compress_level=1)
        else:
            big.save(path, quality=90)
    return issue


@pytest.fixture(scope="session", autouse=True)
def build_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The session's build cache, warm after the first build of each edition."""
    path = tmp_path_factory.mktemp("build-cache")
    before = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(path)
    yield path
    if before is None:
        os.environ.pop(CACHE_ENV, None)
    else:
        os.environ[CACHE_ENV] = before


@pytest.fixture
def cold_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty build cache of this test's own (for tests about what the cache saves)."""
    path = tmp_path / "cold-cache"
    monkeypatch.setenv(CACHE_ENV, str(path))
    return path


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


@dataclass
class Builds:
    """An issue folder built into `out`, one edition at a time, when first asked for."""

    issue: Path
    out: Path
    exit_codes: dict[str, int]  # what `edition build` exits with, per profile
    output: dict[str, str] = field(default_factory=dict)  # what it printed

    def pdf(self, profile: str = "print") -> Path:
        if profile not in self.output:
            args = ["build", self.issue, "--profile", profile, "--out", self.out]
            self.output[profile] = invoke(args, self.exit_codes.get(profile, 0)).output
        return self.out / self.issue.name / f"{self.issue.name}-{profile}.pdf"


@pytest.fixture(scope="session")
def minimal_build(tmp_path_factory: pytest.TempPathFactory) -> Builds:
    root = tmp_path_factory.mktemp("minimal")
    issue = root / "minimal"
    shutil.copytree(FIXTURES / "minimal", issue)
    # Every edition of the fixture has preflight errors: photos too small, no ISSN.
    return Builds(issue, root / "dist", {"print": 1, "screen": 1, "archive": 1})


@pytest.fixture(scope="session")
def minimal_pdf(minimal_build: Builds) -> Path:
    return minimal_build.pdf("print")


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory: pytest.TempPathFactory) -> Builds:
    return Builds(SAMPLE, tmp_path_factory.mktemp("sample"), {})


@pytest.fixture(scope="session")
def sample_pdf(sample_build: Builds) -> Path:
    return sample_build.pdf("print")


@pytest.fixture(scope="session")
def sample_edition(sample_build: Builds) -> Callable[[str], Path]:
    """The sample issue's PDF of a profile, built once a session (see `sample_build`)."""
    return sample_build.pdf
