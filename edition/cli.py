"""The `edition` command line: parse options, call the pipeline, print through the console,
turn results into exit codes (one list of them: `edition.errors.ExitCode`)."""

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


def _settings(ctx: click.Context) -> dict[str, Any]:
    """The root context's settings, made once: the console and the global options."""
    obj = ctx.find_root().ensure_object(dict)
    obj.setdefault("verbose", 0)
    obj.setdefault("quiet", False)
    obj.setdefault("debug", False)
    obj.setdefault("written", [])
    if "console" not in obj:
        obj["console"] = Console()
    return obj


def _console(ctx: click.Context) -> Console:
    console: Console = _settings(ctx)["console"]
    return console


def _global(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    """-v, -q and --debug, wherever they are given: before the command or after it."""
    obj = _settings(ctx)
    if not value or ctx.resilient_parsing:
        return
    if param.name == "verbose":
        obj["verbose"] += value
        obj["quiet"] = False
    elif param.name == "quiet":
        obj["quiet"], obj["verbose"] = True, 0
    else:
        obj["debug"] = True
    obj["console"].verbosity = -1 if obj["quiet"] else obj["verbose"]


def global_options(func: F) -> F:
    """The options every command takes, before or after its name."""
    for option in (
        click.option(
            "--debug",
            is_flag=True,
            expose_value=False,
            callback=_global,
            help="Show the traceback of an internal error.",
        ),
        click.option(
            "-q",
            "--quiet",
            is_flag=True,
            expose_value=False,
            callback=_global,
            help="Only errors and the result.",
        ),
        click.option(
            "-v",
            "--verbose",
            count=True,
            expose_value=False,
            callback=_global,
            help="Say more: -v the steps' timings, what was laid out and what came from "
            "the cache; -vv edition's debug log too.",
        ),
    ):
        func = option(func)
    return func


def guarded(func: F | None = None, *, writes: bool = True) -> Any:
    """Run a command (`@guarded`, or `@guarded(writes=False)` for one that writes
    nothing): EditionError -> findings + exit 2; anything else -> 'internal error' + exit
    3. What the closing line says was written is true: for a command that writes, what it
    wrote before the error (`written` in the settings) is named."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            ctx = click.get_current_context()
            obj = _settings(ctx)
            console: Console = obj["console"]
            console.log_to_stderr()
            try:
                return func(*args, **kwargs)
            except EditionError as exc:
                console.findings(exc.findings, os.getcwd())
                n = sum(1 for f in exc.findings if f.severity == Severity.ERROR)
                said = f"{n} error{'s' if n != 1 else ''}"
                if writes:
                    written = obj["written"]
                    said += (
                        f"; nothing else was written (written before: {', '.join(written)})"
                        if written
                        else "; nothing was written"
                    )
                console.failed(said + ".")
                ctx.exit(ExitCode.BAD_INPUT)
            except (click.exceptions.Exit, click.ClickException, click.Abort):
                raise
            except KeyboardInterrupt:
                written = obj["written"]
                console.failed(
                    "interrupted; "
                    + (
                        f"written before: {', '.join(written)}"
                        if written
                        else "nothing was written"
                    )
                    + "."
                )
                ctx.exit(ExitCode.INTERRUPTED)
            except Exception as exc:  # the one place unexpected failures become a message
                console.internal_error(exc)
                if obj["debug"]:
                    import traceback

                    click.echo("".join(traceback.format_exception(exc)).rstrip(), err=True)
                ctx.exit(ExitCode.INTERNAL)
            finally:
                console.stop()

        return wrapper  # type: ignore[return-value]

    return decorate if func is None else decorate(func)


CACHE_HELP = (
    "The build cache's folder (default: $EDITION_CACHE, else ~/.cache/edition/build); "
    "never inside --out, which holds only what is published."
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show edition's, WeasyPrint's, Pango's and Python's versions and exit.",
)
@global_options
@click.pass_context
def main(ctx: click.Context) -> None:
    """Build the print, screen and archive editions of a magazine issue from its folder.

    An issue folder holds issue.toml, articles/*.md (YAML front matter +
    Markdown), photos/ and ads/. Start with `edition new`, fill it, `edition
    build` it as often as you like, `edition check` it, and `edition publish` it.

    Exit codes: 0 done (and ready); 1 preflight found errors, or a PDF is not
    built or stale; 2 bad input or usage; 3 an internal error (a bug).
    """
    _settings(ctx)


@main.command()
@click.argument("issue_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--profile",
    "profiles",
    type=click.Choice([*PROFILE_NAMES, "all"]),
    multiple=True,
    help="Which edition to make: print (PDF/X-4, CMYK, bleed and "
    "crop marks), screen (small, RGB, tagged, bookmarks and links), archive "
    "(PDF/A-3b with the sources embedded: the published record, see `edition "
    "publish`) or all (a published archive edition is then left as it is). "
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
    "--cache",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help=CACHE_HELP,
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
    help="Count warnings as errors (exit 1 when there is any).",
)
@click.option(
    "--force",
    is_flag=True,
    default=None,
    help="Replace a published archive edition that has other content.",
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
@global_options
@click.pass_context
@guarded
def build(
    ctx: click.Context,
    issue_dir: Path,
    profiles: tuple[str, ...],
    out_dir: Path | None,
    cache: Path | None,
    write_html: bool | None,
    strict: bool | None,
    force: bool | None,
    single_pass: bool | None,
    workers: int | None,
) -> None:
    """Build ISSUE_DIR into PDFs: OUT/<issue-id>/<issue-id>-<profile>.pdf.

    Everything is checked before anything is rendered; bad input gives one
    line per problem (file:line: what is wrong (what to do)) and exit code 2.
    After writing, preflight checks each PDF: exit code 1 when it finds an
    error (with --strict, a warning). Print and screen rebuild freely; the
    archive edition, once published, is never replaced by other content
    without --force.
    """
    from edition.commands.build import build_edition

    console = _console(ctx)
    names = _profile_names(profiles)
    out_root = out_dir or Path("dist")
    failed = False
    for name in names:
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
            cache=cache,
            # `--profile all` keeps a published archive edition; naming it makes it.
            draft="archive" not in profiles,
        )
        failed = _report_build(ctx, name, result, issue_dir, out_root, bool(strict)) or failed
    if failed:
        ctx.exit(ExitCode.FINDINGS)


def _report_build(
    ctx: click.Context, name: str, result: Any, issue_dir: Path, out_root: Path, strict: bool
) -> bool:
    """Print what a build of one profile did and found; True when it is not ready (an
    error, or with `strict` a warning)."""
    from edition.check.report import as_named
    from edition.commands.publish import errors_of

    console = _console(ctx)
    folders = [(issue_dir, issue_dir), (out_root, out_root)]
    # With --strict a warning of the preflight is an error; one from reading and
    # rendering (a refused URL, a WeasyPrint warning) is shown as it is, and counts too.
    preflight = [f.promoted() for f in result.preflight] if strict else result.preflight
    console.findings(as_named([*result.findings, *preflight], folders), os.getcwd(), strict=strict)
    pdf = _shown(result.pdf)
    if result.kept:
        console.note(
            f"{name}: kept {pdf}, the published archive edition: its sources changed since "
            f"it was published, and a build of all editions does not replace it (to publish "
            f"a correction: edition publish {issue_dir} --force)"
        )
        return False
    if result.unchanged:
        console.info(f"unchanged {pdf}")
    else:
        console.info(f"{'replaced' if result.replaced else 'wrote'} {pdf}")
        _settings(ctx)["written"].append(str(pdf))
    if result.html:
        console.info(f"wrote {_shown(result.html)}")
        _settings(ctx)["written"].append(str(_shown(result.html)))
    _report_details(console, result)
    if result.sections_moved:
        console.info(
            "moved by a change of length and laid out again: " + ", ".join(result.sections_moved)
        )
    pad = ""
    if result.padded:
        pad = f" (+{_count(result.padded, 'house-ad page')} to reach a multiple of 4)"
    size = result.pdf.stat().st_size / 1e6
    errors = errors_of(result, strict)
    warnings = 0 if strict else sum(f.severity == Severity.WARNING for f in preflight)
    sections = ""
    if result.sections_rendered or result.sections_reused:
        sections = (
            f"{_count(result.sections_rendered, 'section')} laid out, "
            f"{result.sections_reused} reused, "
        )
    photos = f"{_count(result.photos_prepared, 'photo')} prepared, {result.photos_reused} reused, "
    took = f"{sum(s for _, s in result.stages):.1f} s"
    from edition.profiles import get_profile

    audience = get_profile(name).audience
    verdict = f"not ready for {audience}" if errors else f"ready for {audience}"
    line = (
        f"{name}: {_count(result.pages, 'page')}{pad}, {size:.1f} MB, {photos}{sections}"
        f"{took}; preflight: {_count(errors, 'error')}, {_count(warnings, 'warning')}: {verdict}"
    )
    if get_profile(name).embed_sources:
        line += " (published)" if result.published else " (a draft until `edition publish`)"
    console.done(line, ok=not errors)
    return bool(errors)


def _report_details(console: Console, result: Any) -> None:
    """What `-v` adds to a build's report: the steps and their times, the sections laid
    out and taken from the cache, the photos, the cache's folder."""
    if result.stages:
        console.detail(
            "  steps: " + "; ".join(f"{text} {seconds:.1f} s" for text, seconds in result.stages)
        )
    if result.sections_laid_out or result.sections_from_cache:
        count = str(len(result.sections_laid_out))
        if result.sections_rendered > len(result.sections_laid_out):
            # A section laid out at a place it did not keep, while lengths settled.
            count += f"; {result.sections_rendered} layouts in all"
        console.detail(
            f"  sections laid out ({count}): " + (", ".join(result.sections_laid_out) or "none")
        )
        console.detail(
            f"  sections from the cache ({len(result.sections_from_cache)}): "
            + (", ".join(result.sections_from_cache) or "none")
        )
    console.detail(
        f"  photos: {result.photos_prepared} prepared, {result.photos_reused} from the cache"
    )
    if result.cache is not None:
        console.detail(f"  build cache: {result.cache}")


def _shown(path: Path) -> Path:
    """A path relative to the current folder when it is inside it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()) if path.is_absolute() else path
    except ValueError:
        return path


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _profile_names(profiles: tuple[str, ...]) -> list[str]:
    if not profiles:
        return ["print"]
    if "all" in profiles:
        return list(PROFILE_NAMES)
    return list(dict.fromkeys(profiles))


@main.command()
@click.argument("issue_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder (default: dist/). The PDFs go to OUT/<issue-id>/.",
)
@click.option("--cache", type=click.Path(file_okay=False, path_type=Path), help=CACHE_HELP)
@click.option(
    "--strict", is_flag=True, help="Count warnings as errors: publish only a clean issue."
)
@click.option(
    "--force",
    is_flag=True,
    help="Replace a published archive edition that has other content (a correction).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes laying out sections at once (default: the machine's cores).",
)
@global_options
@click.pass_context
@guarded
def publish(
    ctx: click.Context,
    issue_dir: Path,
    out_dir: Path | None,
    cache: Path | None,
    strict: bool,
    force: bool,
    workers: int | None,
) -> None:
    """Publish ISSUE_DIR: build the print and screen editions, check them, and when
    neither has an error make the archive edition, the issue's published record.

    A published archive edition is never replaced by other content without
    --force (a correction); `edition build --profile all` leaves it as it is.
    Exit codes: 0 published; 1 not published (preflight found errors); 2 bad
    input, or a published archive edition with other content.
    """
    from edition.commands.publish import publish_issue

    console = _console(ctx)
    out_root = out_dir or Path("dist")

    def built(profile: str, result: Any) -> None:
        _report_build(ctx, profile, result, issue_dir, out_root, strict)

    done = publish_issue(
        issue_dir,
        out_root,
        force=force,
        strict=strict,
        built=built,
        starting=lambda _p: console.start(),
        step=console.step,
        progress=console.progress,
        workers=workers,
        cache=cache,
    )
    if done.blocked:
        what = "; ".join(f"{p} has {_count(n, 'error')}" for p, n in done.blocked.items())
        console.done(
            f"not published: {what}; the archive edition was not made (fix them and publish again)",
            ok=False,
        )
        ctx.exit(ExitCode.FINDINGS)
    archive = done.archive
    assert archive is not None
    from edition.commands.publish import errors_of

    if errors_of(archive, strict):
        console.done("published, but the archive edition's preflight found errors", ok=False)
        ctx.exit(ExitCode.FINDINGS)
    console.done(f"published {issue_dir}: print, screen and archive editions in {out_root}")


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
@global_options
@click.pass_context
@guarded
def new(ctx: click.Context, issue_dir: Path, number: int, date: dt.datetime) -> None:
    """Create an empty issue folder ISSUE_DIR that `edition build` accepts."""
    from edition.commands.new import new_issue

    console = _console(ctx)
    files = new_issue(issue_dir, number, date.date())
    for f in files:
        console.info(f"created {f}")
    console.done(
        f"new issue {number} in {issue_dir}: edit issue.toml (its ISSN too) and articles/, "
        f"then run `edition build {issue_dir}`"
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
@click.option("--cache", type=click.Path(file_okay=False, path_type=Path), help=CACHE_HELP)
@click.option("--strict", is_flag=True, help="Count warnings as errors.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    help="text: a report to read; json: stable keys for scripts.",
)
@global_options
@click.pass_context
@guarded(writes=False)
def check(
    ctx: click.Context,
    issue_dir: Path,
    profiles: tuple[str, ...],
    out_dir: Path | None,
    cache: Path | None,
    strict: bool,
    fmt: str,
) -> None:
    """Preflight ISSUE_DIR: its sources, and the built PDF when there is one.

    Each problem is one line with its severity, file, page and what to do:
    photos below the edition's resolution, missing captions and credits, ad
    artwork of the wrong shape; in the PDF, fonts, colour spaces, boxes,
    output intent, safety margins, bleed, page count, empty pages, embedded
    sources, tags. The verdict of each edition is "ready" only for a PDF built
    from these very sources in which no error was found (with --strict, no
    warning either); else "not ready", "not built" or "stale: rebuild". Exit
    codes: 0 every edition ready; 1 one is not; 2 bad input.
    """
    from edition.check.report import READY, as_named
    from edition.commands.check import preflight_issue

    console = _console(ctx)
    out_root = out_dir or Path("dist")
    folders = [(issue_dir, issue_dir), (out_root, out_root)]
    console.start()  # no step lines: the report is the output; a heartbeat if it is long
    try:
        reports = []
        for name in _profile_names(profiles):
            console.status(f"checking the {name} edition")
            reports.append(preflight_issue(issue_dir, name, out_root, cache))
    except EditionError as exc:
        if fmt != "json":
            raise
        console.out(
            json.dumps(
                {
                    "issue": str(issue_dir),
                    "status": "bad-input",
                    "findings": [f.as_dict() for f in as_named(exc.findings, folders)],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        ctx.exit(ExitCode.BAD_INPUT)
    for report in reports:
        found = as_named(report.findings, folders)
        report.findings = [f.promoted() for f in found] if strict else found
    ready = all(r.verdict == READY for r in reports)
    if fmt == "json":
        console.out(
            json.dumps(
                {
                    "issue": str(issue_dir),
                    "status": "ok" if ready else "findings",
                    "profiles": [r.as_dict() for r in reports],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        for report in reports:
            _print_report(console, report)
    if not ready:
        ctx.exit(ExitCode.FINDINGS)


def _print_report(console: Console, report: Any) -> None:
    from edition.check.report import READY

    console.info(f"Preflight of {report.issue_dir} for {report.profile} ({report.standard})")
    console.info(f"  Sources: {report.sources}")
    if report.pdf:
        console.info(f"  PDF: {report.pdf} ({_count(report.pages or 0, 'page')})")
    ordered = sorted(
        report.findings,
        key=lambda f: (f.severity != Severity.ERROR, f.severity != Severity.WARNING, f.page or 0),
    )
    console.findings(ordered, os.getcwd())
    summary = (
        f"{report.profile}: {_count(report.errors, 'error')}, "
        f"{_count(report.warnings, 'warning')}: {report.verdict_text()}"
    )
    console.done(summary, ok=report.verdict == READY)


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
@global_options
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

    console = _console(ctx)
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
    console.done(f"{_count(len(articles), 'article')} added to {issue_dir}")


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
@click.option("--cache", type=click.Path(file_okay=False, path_type=Path), help=CACHE_HELP)
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
@global_options
@click.pass_context
@guarded
def archive(
    ctx: click.Context,
    issues_dir: Path,
    issue_ids: tuple[str, ...],
    out_dir: Path,
    profiles: tuple[str, ...],
    cache: Path | None,
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

    console = _console(ctx)
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
    console.start()
    console.step(f"Looking at {_count(len(dirs), 'issue')}: what changed since the last build")
    verb = "verifying" if verify else "building"

    def started(jobs: int, n: int) -> None:
        console.info(
            f"{verb} {_count(jobs, 'job')} on {_count(n, 'worker')}"
            + (f" at {scheduler}" if scheduler else "")
        )
        console.status(f"{verb}: 0/{jobs} done")

    def report(p: Progress) -> None:
        o = p.outcome
        head = f"[{p.done}/{p.total}] {o.job.label}: "
        if o.status == BUILT:
            warn = f", {_count(len(o.lines), 'warning')}" if o.lines else ""
            console.info(
                f"{head}built, {_count(o.pages, 'page')}, {o.bytes / 1e6:.1f} MB{warn}, "
                f"{o.seconds:.1f} s"
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
            console.failed(f"{head}{what}")
        lines = (
            o.lines
            if o.status not in (BUILT, SKIPPED)
            else (o.lines if o.status == BUILT and console.verbosity > 0 else [])
        )
        for line in lines:
            console.err(f"  {_relative(line)}")
        if o.status == INTERNAL and _settings(ctx)["debug"] and o.detail:
            console.err(o.detail)
        in_work = f"; in work: {', '.join(p.in_work)}" if p.in_work else ""
        if p.in_work:
            console.info(f"      in work: {', '.join(p.in_work)}")
        console.status(f"{verb}: {p.done}/{p.total} done{in_work}")

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
        cache=cache,
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
    text = f"{_count(len(dirs), 'issue')}: {', '.join(parts)} in {summary.seconds:.1f} s"
    console.done(text, ok=not summary.exit_code)
    if summary.exit_code:
        ctx.exit(summary.exit_code)


@main.command()
@click.argument("dist", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option(
    "--base-url",
    default=None,
    metavar="URL",
    help="Where DIST is published (https://example.org/edisi/): makes the OPDS "
    "feed's and the pages' canonical links absolute.",
)
@global_options
@click.pass_context
@guarded
def catalog(ctx: click.Context, dist: Path, base_url: str | None) -> None:
    """Write the back-issue catalogue into DIST: index.html, a page per issue, opds.xml.

    Reads the <issue-id>/<issue-id>.json that every build writes; covers are
    rendered from each issue's screen PDF, the edition subscribers download
    (the print and archive editions are not offered). Links are relative, so
    the folder works from disk or from any web path.
    """
    from edition.publish.catalog import write_catalog

    console = _console(ctx)
    result = write_catalog(dist, base_url=base_url)
    for f in result.skipped:
        console.note(
            f"{_relative(str(f))}: warning: left out: no usable issue metadata or no "
            "screen PDF beside it (build the issue with --profile screen)"
        )
    for f in result.written:
        console.info(f"wrote {f}")
    latest = f"; latest {result.latest}" if result.latest else ""
    console.done(f"catalogue of {_count(result.issues, 'issue')}{latest}: {dist / 'index.html'}")


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
@global_options
@click.pass_context
@guarded
def stamp(ctx: click.Context, pdf: Path, name: str, sub_id: str, out_file: Path) -> None:
    """Copy a screen PDF licensed to one subscriber: "Dilisensikan untuk NAME · ID" at the
    foot of every page, and NAME and ID in its metadata. The original is not touched; a
    print or archive edition is refused (a subscriber gets the screen edition)."""
    from edition.commands.stamp import stamp_copy

    console = _console(ctx)
    started = time.perf_counter()
    result = stamp_copy(pdf, out_file, name=name, licence_id=sub_id)
    console.done(
        f"wrote {result.path}: {_count(result.pages, 'page')} stamped "
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
@click.option("--cache", type=click.Path(file_okay=False, path_type=Path), help=CACHE_HELP)
@global_options
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
    cache: Path | None,
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
            cache=cache,
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
@global_options
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
@global_options
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
