"""The `edition` command line: parse options, call the pipeline, turn results into exit codes.

Exit codes: 0 done; 1 the build ran but preflight found errors (with --strict);
2 bad input or usage (one line per problem, no traceback).
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from . import __version__
from .errors import EditionError, Severity
from .output import Console

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT = 0, 1, 2


def _versions() -> str:
    import pydyf
    import weasyprint
    from weasyprint.text.ffi import pango

    v = pango.pango_version()  # e.g. 15012 for 1.50.12
    pango_version = f"{v // 10000}.{v // 100 % 100}.{v % 100}"
    return (f"edition {__version__}\nWeasyPrint {weasyprint.__version__}\n"
            f"pydyf {pydyf.__version__}\nPango {pango_version}\n"
            f"Python {platform.python_version()}")


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
            ctx.exit(EXIT_BAD_INPUT)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted; nothing was written.", err=True)
            ctx.exit(130)
        except Exception as exc:  # the one place unexpected failures become a message
            if ctx.obj.get("debug"):
                raise
            console.internal_error(exc)
            ctx.exit(3)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=_print_version, help="Show edition's, WeasyPrint's, Pango's and "
              "Python's versions and exit.")
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
    import logging

    logging.basicConfig(level=logging.DEBUG if verbose > 1 else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


PROFILE_NAMES = ("print", "screen", "archive")


@main.command()
@click.argument("issue_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--profile", "profiles", type=click.Choice([*PROFILE_NAMES, "all"]),
              multiple=True, help="Which edition to make: print (PDF/X-4, CMYK, bleed and "
              "crop marks), screen (small, RGB, tagged, bookmarks and links), archive "
              "(PDF/A-3b with the sources embedded, byte-identical rebuilds) or all. "
              "Repeatable; default print.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder (default: dist/). The PDF goes to OUT/<issue-id>/.")
@click.option("--html", "write_html", is_flag=True, default=None,
              help="Also write the HTML that was rendered, to look at in a browser.")
@click.option("--strict", is_flag=True, default=None,
              help="Exit with 1 when the build reports any problem (warnings count).")
@click.option("--force", is_flag=True, default=None,
              help="Replace an archive PDF that exists with different bytes.")
@click.pass_context
@guarded
def build(ctx: click.Context, issue_dir: Path, profiles: tuple[str, ...], out_dir: Path | None,
          write_html: bool | None, strict: bool | None, force: bool | None) -> None:
    """Build ISSUE_DIR into PDFs: OUT/<issue-id>/<issue-id>-<profile>.pdf.

    Everything is checked before anything is rendered; bad input gives one
    line per problem (file:line: what is wrong (what to do)) and exit code 2.
    """
    from .build import build_edition

    console: Console = ctx.obj["console"]
    names = _profile_names(profiles)
    out_root = out_dir or Path("dist")
    any_findings = False
    for name in names:
        started = time.perf_counter()
        console.start(5)
        result = build_edition(issue_dir, name, out_root, html=bool(write_html),
                               force=bool(force), step=console.step)
        console.findings(result.findings, os.getcwd())
        any_findings = any_findings or bool(result.findings)
        console.info(f"wrote {result.pdf}")
        if result.html:
            console.info(f"wrote {result.html}")
        pad = (f" (+{result.padded} house-ad pages to reach a multiple of 4)"
               if result.padded else "")
        size = result.pdf.stat().st_size / 1e6
        console.done(f"{name}: {result.pages} pages{pad}, {size:.1f} MB, "
                     f"{result.photos_prepared} photos prepared, {result.photos_reused} "
                     f"reused, {time.perf_counter() - started:.1f} s")
    if strict and any_findings:
        ctx.exit(EXIT_FINDINGS)


def _profile_names(profiles: tuple[str, ...]) -> list[str]:
    if not profiles:
        return ["print"]
    if "all" in profiles:
        return list(PROFILE_NAMES)
    return list(dict.fromkeys(profiles))


@main.command()
@click.argument("issue_dir", type=click.Path(path_type=Path))
@click.option("--number", type=click.IntRange(min=1), required=True, help="Issue number.")
@click.option("--date", "date", type=click.DateTime(["%Y-%m-%d"]), required=True,
              help="Publication date, YYYY-MM-DD.")
@click.pass_context
@guarded
def new(ctx: click.Context, issue_dir: Path, number: int, date: dt.datetime) -> None:
    """Create an empty issue folder ISSUE_DIR that `edition build` accepts."""
    from .scaffold import new_issue

    files = new_issue(issue_dir, number, date.date())
    console: Console = ctx.obj["console"]
    for f in files:
        console.info(f"created {f}")
    console.done(f"new issue {number} in {issue_dir}: edit issue.toml and articles/, then "
                 f"run `edition build {issue_dir}`")


@main.command()
@click.argument("issue_dir", type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
@guarded
def check(ctx: click.Context, issue_dir: Path) -> None:
    """Check ISSUE_DIR without building: every problem of the sources, one line each."""
    from .layout import load_layout
    from .load import load_issue

    issue = load_issue(issue_dir)
    load_layout(issue.spec.layout, issue.root)
    console: Console = ctx.obj["console"]
    console.findings(issue.warnings, os.getcwd())
    console.done(f"{issue_dir}: {len(issue.articles)} articles, {len(issue.inframe)} Inframe "
                 f"photos, {len(issue.ads)} ads; no errors")


@main.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("--into", "issue_dir", type=click.Path(path_type=Path), required=True,
              help="The issue folder to add the articles to.")
@click.option("--rubric", default=None, help="Rubric to list the articles under "
              "(created when missing).")
@click.option("--force", is_flag=True, help="Overwrite an article file that exists.")
@click.pass_context
@guarded
def collect(ctx: click.Context, sources: tuple[str, ...], issue_dir: Path, rubric: str | None,
            force: bool) -> None:
    """Turn saved web pages (.html) or text pastes (.txt, or - for stdin) into articles.

    Each SOURCE becomes ISSUE_DIR/articles/<slug>.md and is listed in
    issue.toml; the site's chrome (Baca Juga promos, sidebars, ad slots) is
    stripped and reported.
    """
    from .collect import collect_into

    console: Console = ctx.obj["console"]
    stdin = click.get_binary_stream("stdin")
    articles = collect_into(list(sources), issue_dir, rubric=rubric, force=force, stdin=stdin)
    for a in articles:
        fm = a.front_matter
        console.info(f"{a.source}: \"{fm.get('title')}\" ({fm.get('date') or 'no date'}, "
                     f"{a.word_count} words) -> articles/{a.slug}.md")
        for s in a.stripped:
            console.info(f"  stripped {s}")
    console.done(f"{len(articles)} article{'s' if len(articles) != 1 else ''} added to "
                 f"{issue_dir}")


def run() -> None:  # pragma: no cover - console script entry
    main(prog_name="edition")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


__all__ = ["main"]
