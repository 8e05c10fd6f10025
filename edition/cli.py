"""The `edition` command line: parse options, call the pipeline, turn results into exit codes.

Exit codes: 0 done; 1 the build ran but preflight found errors (with --strict);
2 bad input or usage (one line per problem, no traceback).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from edition import __version__
from edition.console import Console
from edition.errors import EditionError, ExitCode, Severity
from edition.profiles import PROFILE_NAMES

F = TypeVar("F", bound=Callable[..., Any])


def _versions() -> str:
    from edition.pdf.engine import versions

    lines = [
        f"edition {__version__}",
        *(f"{k} {v}" for k, v in versions().items()),
        f"Python {platform.python_version()}",
    ]
    return "\n".join(lines)


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(_versions())
        ctx.exit()


def guarded(func: F) -> F:
    """Run a command: EditionError -> findings + exit 2; anything else -> 'internal error'."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        console: Console = ctx.obj["console"]
        try:
            return func(*args, **kwargs)
        except EditionError as exc:
            console.findings(exc.findings, os.getcwd())
            n = sum(1 for f in exc.findings if f.severity == Severity.ERROR)
            click.echo(f"{n} error{'s' if n != 1 else ''}; nothing was written.", err=True)
            ctx.exit(ExitCode.BAD_INPUT)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted; nothing was written.", err=True)
            ctx.exit(ExitCode.INTERRUPTED)
        except Exception as exc:  # the one place unexpected failures become a message
            console.internal_error(exc)
            if ctx.obj.get("debug"):
                import traceback

                click.echo("".join(traceback.format_exception(exc)).rstrip(), err=True)
            ctx.exit(ExitCode.INTERNAL)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show edition's, WeasyPrint's, Pango's and Python's versions and exit.",
)
@click.option("-v", "--verbose", count=True, help="Say more (repeat for more).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors and the result.")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
@click.pass_context
def main(ctx: click.Context, verbose: int, quiet: bool, debug: bool) -> None:
    """Build the print edition of a magazine issue from its folder.

    An issue folder holds issue.toml, articles/*.md (YAML front matter +
    Markdown), photos/ and ads/. Start with `edition new`, fill it, then
    `edition build`.
    """
    ctx.ensure_object(dict)
    ctx.obj["console"] = Console(-1 if quiet else verbose)
    ctx.obj["debug"] = debug
    ctx.obj["console"].log_to_stderr()


@main.command()
@click.argument("issue_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--profile",
    "profiles",
    type=click.Choice([*PROFILE_NAMES, "all"]),
    multiple=True,
    help="Which edition to make: print (PDF/X-4, CMYK, bleed and "
    "crop marks), screen (small, RGB, tagged, bookmarks and links), archive "
    "(PDF/A-3b with the sources embedded, byte-identical rebuilds) or all. "
    "Repeatable; default print.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder (default: dist/). The PDF goes to OUT/<issue-id>/.",
)
@click.option(
    "--html",
    "write_html",
    is_flag=True,
    default=None,
    help="Also write the HTML that was rendered, to look at in a browser.",
)
@click.option(
    "--strict",
    is_flag=True,
    default=None,
    help="Exit with 1 when the build reports any problem (warnings count).",
)
@click.option(
    "--force",
    is_flag=True,
    default=None,
    help="Replace an archive PDF that exists with different bytes.",
)
@click.option(
    "--single-pass",
    is_flag=True,
    default=None,
    help="Lay out the edition as one document instead of section by section "
    "(slower, nothing cached; the screen edition, being tagged, always is).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes laying out sections at once (default: the machine's cores).",
)
@click.pass_context
@guarded
def build(
    ctx: click.Context,
    issue_dir: Path,
    profiles: tuple[str, ...],
    out_dir: Path | None,
    write_html: bool | None,
    strict: bool | None,
    force: bool | None,
    single_pass: bool | None,
    workers: int | None,
) -> None:
    """Build ISSUE_DIR into PDFs: OUT/<issue-id>/<issue-id>-<profile>.pdf.

    Everything is checked before anything is rendered; bad input gives one
    line per problem (file:line: what is wrong (what to do)) and exit code 2.
    """
    from edition.commands.build import build_edition

    console: Console = ctx.obj["console"]
    names = _profile_names(profiles)
    out_root = out_dir or Path("dist")
    any_findings = False
    for name in names:
        started = time.perf_counter()
        console.start()
        result = build_edition(
            issue_dir,
            name,
            out_root,
            html=bool(write_html),
            force=bool(force),
            step=console.step,
            single_pass=bool(single_pass),
            workers=workers,
            progress=console.progress,
        )
        preflight = result.preflight
        if strict:
            preflight = [f.promoted() for f in preflight]
        console.findings([*result.findings, *preflight], os.getcwd())
        any_findings = (
            any_findings
            or bool(result.findings)
            or any(f.severity == Severity.ERROR for f in preflight)
        )
        console.info(f"{'unchanged' if result.unchanged else 'wrote'} {result.pdf}")
        if result.html:
            console.info(f"wrote {result.html}")
        pad = (
            f" (+{result.padded} house-ad pages to reach a multiple of 4)" if result.padded else ""
        )
        size = result.pdf.stat().st_size / 1e6
        errors = sum(f.severity == Severity.ERROR for f in preflight)
        warnings = sum(f.severity == Severity.WARNING for f in preflight)
        sections = ""
        if result.sections_rendered or result.sections_reused:
            sections = (
                f"{result.sections_rendered} sections laid out, {result.sections_reused} reused, "
            )
        if result.sections_moved:
            console.info(
                f"moved by a change of length and laid out again: "
                f"{', '.join(result.sections_moved)}"
            )
        console.done(
            f"{name}: {result.pages} pages{pad}, {size:.1f} MB, "
            f"{result.photos_prepared} photos prepared, {result.photos_reused} "
            f"reused, {sections}{time.perf_counter() - started:.1f} s; preflight: "
            f"{errors} error{'s' * (errors != 1)}, {warnings} "
            f"warning{'s' * (warnings != 1)}"
        )
    if strict and any_findings:
        ctx.exit(ExitCode.FINDINGS)


def _profile_names(profiles: tuple[str, ...]) -> list[str]:
    if not profiles:
        return ["print"]
    if "all" in profiles:
        return list(PROFILE_NAMES)
    return list(dict.fromkeys(profiles))


@main.command()
@click.argument("issue_dir", type=click.Path(path_type=Path))
@click.option("--number", type=click.IntRange(min=1), required=True, help="Issue number.")
@click.option(
    "--date",
    "date",
    type=click.DateTime(["%Y-%m-%d"]),
    required=True,
    help="Publication date, YYYY-MM-DD.",
)
@click.pass_context
@guarded
def new(ctx: click.Context, issue_dir: Path, number: int, date: dt.datetime) -> None:
    """Create an empty issue folder ISSUE_DIR that `edition build` accepts."""
    from edition.commands.new import new_issue

    files = new_issue(issue_dir, number, date.date())
    console: Console = ctx.obj["console"]
    for f in files:
        console.info(f"created {f}")
    console.done(
        f"new issue {number} in {issue_dir}: edit issue.toml and articles/, then "
        f"run `edition build {issue_dir}`"
    )


@main.command()
@click.argument("issue_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--profile",
    "profiles",
    type=click.Choice([*PROFILE_NAMES, "all"]),
    multiple=True,
    help="Which edition's rules to check against (default print).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the built PDFs are (default: dist/).",
)
@click.option("--strict", is_flag=True, help="Count warnings as errors; exit 1 when there is any.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    help="text: a report to read; json: stable keys for scripts.",
)
@click.pass_context
@guarded
def check(
    ctx: click.Context,
    issue_dir: Path,
    profiles: tuple[str, ...],
    out_dir: Path | None,
    strict: bool,
    fmt: str,
) -> None:
    """Preflight ISSUE_DIR: its sources, and the built PDF when there is one.

    Each problem is one line with its severity, file, page and what to do:
    photos below the edition's resolution, missing captions and credits, ad
    artwork of the wrong shape; in the PDF, fonts, colour spaces, boxes,
    output intent, safety margins, bleed, page count, empty pages, embedded
    sources, tags. Exit 0 clean, 1 errors (with --strict), 2 bad input.
    """
    from edition.commands.check import preflight_issue

    console: Console = ctx.obj["console"]
    out_root = out_dir or Path("dist")
    try:
        reports = [preflight_issue(issue_dir, name, out_root) for name in _profile_names(profiles)]
    except EditionError as exc:
        if fmt != "json":
            raise
        click.echo(
            json.dumps(
                {
                    "issue": str(issue_dir),
                    "status": "bad-input",
                    "findings": [f.as_dict() for f in exc.findings],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        ctx.exit(ExitCode.BAD_INPUT)
    failed = False
    for report in reports:
        findings = report.findings
        if strict:
            findings = [f.promoted() for f in findings]
        report.findings = findings
        failed = failed or any(f.severity == Severity.ERROR for f in findings)
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "issue": str(issue_dir),
                    "status": "findings" if failed else "ok",
                    "profiles": [r.as_dict() for r in reports],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        for report in reports:
            _print_report(console, report)
    if strict and failed:
        ctx.exit(ExitCode.FINDINGS)


def _print_report(console: Console, report: Any) -> None:
    click.echo(f"Preflight of {report.issue_dir} for {report.profile} ({report.standard})")
    click.echo(f"  Sources: {report.sources}")
    if report.pdf:
        click.echo(f"  PDF: {report.pdf} ({report.pages} pages)")
    ordered = sorted(
        report.findings,
        key=lambda f: (f.severity != Severity.ERROR, f.severity != Severity.WARNING, f.page or 0),
    )
    console.findings(ordered, os.getcwd())
    errors = sum(f.severity == Severity.ERROR for f in report.findings)
    warnings = sum(f.severity == Severity.WARNING for f in report.findings)
    verdict = ("ready" if not errors else "not ready") + f" for {report.audience}"
    summary = (
        f"{report.profile}: {errors} error{'s' * (errors != 1)}, {warnings} "
        f"warning{'s' * (warnings != 1)}: {verdict}"
    )
    if errors:
        click.echo(summary)
    else:
        console.done(summary)


@main.command()
@click.argument("sources", nargs=-1, required=True)
@click.option(
    "--into",
    "issue_dir",
    type=click.Path(path_type=Path),
    required=True,
    help="The issue folder to add the articles to.",
)
@click.option(
    "--rubric", default=None, help="Rubric to list the articles under (created when missing)."
)
@click.option("--force", is_flag=True, help="Overwrite an article file that exists.")
@click.pass_context
@guarded
def collect(
    ctx: click.Context, sources: tuple[str, ...], issue_dir: Path, rubric: str | None, force: bool
) -> None:
    """Turn saved web pages (.html) or text pastes (.txt, or - for stdin) into articles.

    Each SOURCE becomes ISSUE_DIR/articles/<slug>.md and is listed in
    issue.toml; the site's chrome (Baca Juga promos, sidebars, ad slots) is
    stripped and reported.
    """
    from edition.collect import into

    console: Console = ctx.obj["console"]
    stdin = sys.stdin.buffer  # the CliRunner's, in tests
    articles = into.collect_into(list(sources), issue_dir, rubric=rubric, force=force, stdin=stdin)
    for a in articles:
        fm = a.front_matter
        console.info(
            f'{a.source}: "{fm.get("title")}" ({fm.get("date") or "no date"}, '
            f"{a.word_count} words) -> articles/{a.slug}.md"
        )
        for s in a.stripped:
            console.info(f"  stripped {s}")
    console.done(f"{len(articles)} article{'s' if len(articles) != 1 else ''} added to {issue_dir}")


def _relative(line: str) -> str:
    cwd = os.getcwd() + os.sep
    return line.replace(cwd, "")


@main.command()
@click.argument("issues_dir", type=click.Path(file_okay=False, path_type=Path))
@click.argument("issue_ids", nargs=-1)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Where the PDFs go: OUT/<issue-id>/<issue-id>-<profile>.pdf.",
)
@click.option(
    "--profile",
    "profiles",
    type=click.Choice([*PROFILE_NAMES, "all"]),
    multiple=True,
    help="Which editions to make (repeatable; default all).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes of the embedded cluster (default: one per core).",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="Send the jobs to a running Dask scheduler (tcp://host:8786) instead; "
    "its workers must see ISSUES_DIR and OUT at the same paths.",
)
@click.option("--force", is_flag=True, help="Rebuild issues whose inputs have not changed.")
@click.option(
    "--verify",
    is_flag=True,
    help="Write nothing: rebuild each archive PDF in a "
    "temporary folder and compare its bytes with the one in OUT (exit 1 if any "
    "differs).",
)
@click.pass_context
@guarded
def archive(
    ctx: click.Context,
    issues_dir: Path,
    issue_ids: tuple[str, ...],
    out_dir: Path,
    profiles: tuple[str, ...],
    workers: int | None,
    scheduler: str | None,
    force: bool,
    verify: bool,
) -> None:
    """Build every issue folder of ISSUES_DIR (or only ISSUE_ID...) in each profile.

    Each (issue, profile) is a job on Dask distributed: an embedded cluster by
    default, or the one at --scheduler. A failing issue is reported and the
    others go on. An issue whose inputs and PDFs are unchanged since its last
    build is skipped (--force rebuilds it). Exit codes: 0 all done; 1 --verify
    found a PDF that differs; 2 an issue had bad input; 3 an internal error.
    """
    from edition.commands.archive import (
        BAD_INPUT,
        BUILT,
        DIFFERS,
        IDENTICAL,
        INTERNAL,
        MISSING,
        SKIPPED,
        Progress,
        archive_issues,
        find_issues,
    )

    console: Console = ctx.obj["console"]
    if verify and profiles and set(profiles) - {"archive", "all"}:
        raise click.UsageError("--verify rebuilds the archive profile; leave out --profile")
    names = (
        ["archive"]
        if verify
        else (
            list(PROFILE_NAMES)
            if not profiles or "all" in profiles
            else list(dict.fromkeys(profiles))
        )
    )
    dirs = find_issues(issues_dir, issue_ids)
    err = console.color is not False

    def started(jobs: int, n: int) -> None:
        verb = "verifying" if verify else "building"
        console.info(
            f"{verb} {jobs} job{'s' if jobs != 1 else ''} on {n} worker"
            f"{'s' if n != 1 else ''}" + (f" at {scheduler}" if scheduler else "")
        )

    def report(p: Progress) -> None:
        o = p.outcome
        head = f"[{p.done}/{p.total}] {o.job.label}: "
        if o.status == BUILT:
            warn = f", {len(o.lines)} warning{'s' if len(o.lines) != 1 else ''}" if o.lines else ""
            console.info(
                f"{head}built, {o.pages} pages, {o.bytes / 1e6:.1f} MB{warn}, {o.seconds:.1f} s"
            )
        elif o.status == SKIPPED:
            console.info(f"{head}skipped, {o.lines[0]} (--force rebuilds it)")
        elif o.status == IDENTICAL:
            console.info(f"{head}identical ({o.pages} pages, {o.bytes} bytes, {o.seconds:.1f} s)")
        else:
            what = {
                BAD_INPUT: "bad input",
                INTERNAL: "internal error",
                DIFFERS: "differs from the rebuilt PDF",
                MISSING: "missing",
            }[o.status]
            click.echo(
                click.style(f"{head}{what}", fg="red", bold=True) if err else f"{head}{what}",
                err=True,
                color=console.color,
            )
        lines = (
            o.lines
            if o.status not in (BUILT, SKIPPED)
            else (o.lines if o.status == BUILT and console.verbosity > 0 else [])
        )
        for line in lines:
            click.echo(f"  {_relative(line)}", err=True, color=console.color)
        if o.status == INTERNAL and ctx.obj.get("debug") and o.detail:
            click.echo(o.detail, err=True)
        if p.in_work and console.verbosity >= 0:
            console.info(f"      in work: {', '.join(p.in_work)}")

    summary = archive_issues(
        dirs,
        names,
        out_dir,
        workers=workers,
        scheduler=scheduler,
        force=force,
        verify=verify,
        progress=report,
        started=started,
    )
    parts = [
        f"{summary.count(s)} {label}"
        for s, label in (
            (BUILT, "built"),
            (SKIPPED, "skipped"),
            (IDENTICAL, "identical"),
            (DIFFERS, "different"),
            (MISSING, "missing"),
            (BAD_INPUT, "bad input"),
            (INTERNAL, "internal error"),
        )
        if summary.count(s)
    ]
    text = (
        f"{len(dirs)} issue{'s' if len(dirs) != 1 else ''}: {', '.join(parts)} "
        f"in {summary.seconds:.1f} s"
    )
    if summary.exit_code:
        click.echo(text, err=True)
        ctx.exit(summary.exit_code)
    console.done(text)


@main.command()
@click.argument("dist", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option(
    "--base-url",
    default=None,
    metavar="URL",
    help="Where DIST is published (https://example.org/edisi/): makes the OPDS "
    "feed's and the pages' canonical links absolute.",
)
@click.pass_context
@guarded
def catalog(ctx: click.Context, dist: Path, base_url: str | None) -> None:
    """Write the back-issue catalogue into DIST: index.html, a page per issue, opds.xml.

    Reads the <issue-id>/<issue-id>.json that every build writes; covers are
    rendered from each issue's PDF. Links are relative, so the folder works
    from disk or from any web path.
    """
    from edition.publish.catalog import write_catalog

    console: Console = ctx.obj["console"]
    result = write_catalog(dist, base_url=base_url)
    for f in result.skipped:
        click.echo(
            f"{_relative(str(f))}: warning: left out: no usable issue metadata or no "
            "PDF beside it (build the issue again)",
            err=True,
        )
    for f in result.written:
        console.info(f"wrote {f}")
    latest = f"; latest {result.latest}" if result.latest else ""
    console.done(
        f"catalogue of {result.issues} issue{'s' if result.issues != 1 else ''}"
        f"{latest}: {dist / 'index.html'}"
    )


@main.command()
@click.argument("pdf", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--name", required=True, help="The subscriber's name.")
@click.option("--id", "sub_id", required=True, help="The subscription or order id.")
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The stamped copy (never the input itself).",
)
@click.pass_context
@guarded
def stamp(ctx: click.Context, pdf: Path, name: str, sub_id: str, out_file: Path) -> None:
    """Copy a screen PDF licensed to one subscriber: "Dilisensikan untuk NAME · ID" at the
    foot of every page, and NAME and ID in its metadata. The original is not touched."""
    from edition.publish.stamp import stamp_pdf

    console: Console = ctx.obj["console"]
    started = time.perf_counter()
    result = stamp_pdf(pdf, out_file, name=name, licence_id=sub_id)
    console.done(
        f"wrote {result.path}: {result.pages} pages stamped "
        f'"{result.text}", {time.perf_counter() - started:.2f} s'
    )


# -- the editor's desk: serve, proof, impose


@main.command()
@click.argument("issue_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--port", type=click.IntRange(1, 65535), default=8000, help="Port (default 8000).")
@click.option(
    "--host",
    default="127.0.0.1",
    help="Address to listen on: this machine only (127.0.0.1, the default, or ::1).",
)
@click.option(
    "--profile",
    type=click.Choice(["print", "screen"]),
    default="print",
    help="Which edition's pages to show (default print).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder (default: dist/): the print PDF is kept current there.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Layout processes kept warm (default: 2, or 1 on a one-core machine).",
)
@click.pass_context
@guarded
def serve(
    ctx: click.Context,
    issue_dir: Path,
    port: int,
    host: str,
    profile: str,
    out_dir: Path | None,
    workers: int | None,
) -> None:
    """Show ISSUE_DIR as a live flatplan in the browser, rebuilt on every save.

    Every page in spreads, ads, the length of each article against its plan,
    a page at reading size with its preflight findings pinned on it, and the
    PDFs to download. Listens on this machine only; Ctrl-C stops it.
    """
    from edition.serve.run import serve_issue

    console: Console = ctx.obj["console"]
    started = time.strftime("%H:%M:%S")

    def say(line: str) -> None:
        console.info(f"[{time.strftime('%H:%M:%S')}] {_relative(line)}")

    def ready(url: str) -> None:
        console.done(f"The desk of {issue_dir} is at {url} (since {started}); Ctrl-C stops it.")

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how the desk is stopped
        serve_issue(
            issue_dir,
            port=port,
            host=host,
            profile=profile,
            out_root=out_dir or Path("dist"),
            workers=workers,
            say=say,
            ready=ready,
        )
    console.info("stopped")


@main.command()
@click.argument("issue_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--pages",
    default=None,
    metavar="RANGE",
    help="Only these pages: 5-12, 1,3,5-7, 30- (default: all).",
)
@click.option("--spreads", is_flag=True, help="Facing pages side by side, as the reader sees them.")
@click.option("--dpi", type=int, default=100, help="Resolution of the PNGs (default 100).")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the proofs go (default: DIST/<issue-id>/proof/).",
)
@click.option(
    "--profile",
    type=click.Choice(PROFILE_NAMES),
    default="print",
    help="Which edition to proof (default print).",
)
@click.option(
    "--dist",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the edition is built (default: dist/); built first when needed.",
)
@click.pass_context
@guarded
def proof(
    ctx: click.Context,
    issue_dir: Path,
    pages: str | None,
    spreads: bool,
    dpi: int,
    out_dir: Path | None,
    profile: str,
    dist: Path | None,
) -> None:
    """PNG proofs of ISSUE_DIR's pages (or spreads) and a one-page contact sheet.

    The edition is built first when its PDF is missing or older than its
    sources. The contact sheet (contact.png and contact.pdf) shows every page
    in spreads with its number and section, to pin on the wall.
    """
    from edition.commands.proof import proof_issue

    console: Console = ctx.obj["console"]
    console.start()
    result = proof_issue(
        issue_dir,
        profile=profile,
        dist=dist or Path("dist"),
        out=out_dir,
        pages=pages,
        spreads=spreads,
        dpi=dpi,
        step=console.step,
        progress=console.progress,
    )
    what = "spread" if spreads else "page"
    n = len(result.images)
    names = f" ({result.images[0].name} … {result.images[-1].name})" if n > 1 else ""
    if result.removed:
        console.info(f"removed {len(result.removed)} proofs of an earlier run")
    console.done(
        f"{n} {what}{'s' * (n != 1)}{names} and the contact sheet of {result.pdf.name} "
        f"at {dpi} dpi in {result.out}"
    )


@main.command()
@click.argument("pdf", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--booklet", is_flag=True, help="Saddle-stitch booklet: 2 pages a side, duplex.")
@click.option(
    "--nup", type=click.Choice(["4", "8"]), default=None, help="Proof sheets of 4 or 8 pages."
)
@click.option(
    "--sheet",
    default=None,
    help="Paper: A3, A4, SRA3, tabloid, letter (default A3 for a booklet, A4 for --nup).",
)
@click.option(
    "--creep",
    type=float,
    default=None,
    metavar="MM",
    help="Booklet: move the inner sheets' pages towards the fold by up to MM (0-10).",
)
@click.option("--bleed", is_flag=True, help="Booklet: keep the bleed on the three open sides.")
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The imposed PDF (never the input itself).",
)
@click.pass_context
@guarded
def impose(
    ctx: click.Context,
    pdf: Path,
    booklet: bool,
    nup: str | None,
    sheet: str | None,
    creep: float | None,
    bleed: bool,
    out_file: Path,
) -> None:
    """Impose a built PDF for office proof printing: --booklet or --nup 4|8.

    A booklet prints duplex (flip on the short edge), folds once and is
    stapled in the fold; it reads 1, 2, 3 ... Blank pages make its count a
    multiple of 4. N-up sheets show the pages in reading order, numbered.
    """
    from edition.commands.impose import impose_pdf

    console: Console = ctx.obj["console"]
    result = impose_pdf(
        pdf,
        out_file,
        booklet=booklet,
        nup=int(nup) if nup else None,
        sheet=sheet,
        creep_mm=creep,
        bleed=bleed,
    )
    scale = "actual size" if result.scale >= 0.9999 else f"scaled to {result.scale:.0%}"
    blanks = f", {result.blanks} blank" if result.blanks else ""
    kind = "booklet" if booklet else f"{nup}-up proof"
    console.done(
        f"wrote {result.path}: {kind} of {result.pages - result.blanks} pages{blanks} on "
        f"{result.sheets} sheet{'s' * (result.sheets != 1)} ({result.sides} "
        f"side{'s' * (result.sides != 1)}), {scale}"
    )


def run() -> None:  # pragma: no cover - console script entry
    main(prog_name="edition")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


__all__ = ["main"]
