"""One issue folder + one profile -> one PDF: the unit of work of `build` and `archive`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .errors import Finding
from .layout import load_layout, share_dir
from .load import load_issue
from .lock import output_lock
from .plan import plan_issue
from .preflight import check_pdf, check_sources
from .profiles import get_profile
from .result import BuildResult, check_output_dir


def output_path(out_root: Path, issue_id: str, profile: str) -> Path:
    """Where a profile's PDF of an issue goes: OUT/<issue-id>/<issue-id>-<profile>.pdf."""
    return out_root / issue_id / f"{issue_id}-{profile}.pdf"


def build_edition(issue_dir: Path, profile: str = "print", out_root: Path = Path("dist"), *,
                  html: bool = False, force: bool = False,
                  step: Callable[[str], None] = lambda _: None, single_pass: bool = False,
                  workers: int | None = None,
                  progress: Callable[[str], Callable[[int, int], None]] | None = None,
                  ) -> BuildResult:
    """Check, plan and render `issue_dir` for `profile` into `out_root`.

    Raises EditionError (bad input) before anything is written. The issue's own
    warnings are included in the result's findings.
    """
    prof = get_profile(profile)
    step(f"Reading {issue_dir}")
    issue = load_issue(issue_dir)
    layout = load_layout(issue.spec.layout, issue.root)
    check_output_dir(out_root)
    step(f"Planning {len(issue.articles)} articles, {len(issue.inframe)} Inframe "
         f"photos, {len(issue.ads)} ads")
    plan = plan_issue(issue, layout, dpi=prof.dpi, quality=prof.jpeg_quality, cmyk=prof.cmyk)
    target = output_path(out_root, issue.id, prof.name)
    html_out = target.with_suffix(".html") if html else None
    record = out_root / ".cache" / "builds" / f"{issue.id}-{prof.name}.json"
    inputs = _inputs(issue.root, layout.folders, single_pass)
    # A second build of this PDF waits here (and says so) rather than writing over it.
    with output_lock(target, step, also=[target.with_suffix(".html")]):
        if html_out is None and (done := _unchanged(record, inputs, target)) is not None:
            step("Nothing changed since the last build")
            done.findings[:0] = issue.warnings
            return done
        from .pdf import build_pdf

        result = build_pdf(plan, prof, target, out_root / ".cache", html_out, step, force=force,
                           single_pass=single_pass, workers=workers, progress=progress)
        step("Preflight")
        result.preflight = check_sources(plan, prof) + check_pdf(target, plan, prof,
                                                                 out_root / ".cache")
        sha = _remember(record, inputs, result)
    result.findings[:0] = issue.warnings
    from .meta import record_build  # OUT/<issue-id>/<issue-id>.json: catalogue and archive

    record_build(issue, prof.name, result.pdf, result.pages, out_root, sha256=sha)
    return result


def _inputs(issue_root: Path, layout_folders: list[Path], single_pass: bool) -> dict:
    """Everything a build reads, by size and modification time: the issue folder, the
    layout, the bundled assets and edition's own code. Cheap to take on every build."""
    from . import __version__

    def stats(root: Path, prefix: str) -> dict[str, list[int]]:
        out = {}
        for f in sorted(root.rglob("*")):
            if f.is_file() and "__pycache__" not in f.parts:
                st = f.stat()
                out[f"{prefix}/{f.relative_to(root).as_posix()}"] = [st.st_size, st.st_mtime_ns]
        return out

    files: dict[str, list[int]] = stats(issue_root, "issue")
    for i, folder in enumerate(layout_folders):
        files |= stats(folder, f"layout{i}")
    files |= stats(share_dir("assets"), "assets")
    files |= stats(Path(__file__).parent, "edition")
    return {"version": __version__, "single_pass": single_pass, "files": files}


def _unchanged(record: Path, inputs: dict, target: Path) -> BuildResult | None:
    """The last build's result when nothing it read has changed and its PDF is intact."""
    import json

    from .publish import sha256_file

    try:
        old = json.loads(record.read_text())
        if old["inputs"] != inputs or not target.is_file():
            return None
        if sha256_file(target) != old["pdf_sha256"]:
            return None
        result = BuildResult(target, old["pages"], 0.0, 0, old["photos"], old["padded"])
        result.findings = [Finding.from_dict(d) for d in old["findings"]]
        result.preflight = [Finding.from_dict(d) for d in old["preflight"]]
        result.sections_reused = old["sections"]
        result.unchanged = True
        return result
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _remember(record: Path, inputs: dict, result: BuildResult) -> str:
    """Remember what this build read and found; returns the PDF's SHA-256."""
    import json

    from .publish import atomic_write_text, sha256_file

    sha = sha256_file(result.pdf)
    record.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(record, json.dumps({
        "inputs": inputs, "pdf_sha256": sha,
        "pages": result.pages, "photos": result.photos_prepared + result.photos_reused,
        "padded": result.padded, "sections": result.sections_total,
        "findings": [f.as_dict() for f in result.findings],
        "preflight": [f.as_dict() for f in result.preflight],
    }))
    return sha
