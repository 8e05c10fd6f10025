"""All terminal output of the CLI: findings, steps, the closing summary. Honours NO_COLOR."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable

import click

from edition.errors import Finding, Severity

_COLORS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "blue"}


class Console:
    def __init__(self, verbosity: int = 0) -> None:
        self.verbosity = verbosity
        self.color = None if not os.environ.get("NO_COLOR") else False
        self.started = time.perf_counter()

    def _style(self, text: str, **kw: object) -> str:
        return text if self.color is False else click.style(text, **kw)  # type: ignore[arg-type]

    def findings(self, findings: Iterable[Finding], cwd: str | None = None) -> None:
        for f in findings:
            if f.severity == Severity.INFO and self.verbosity < 1:
                continue
            line = str(f)
            if cwd and line.startswith(cwd + os.sep):
                line = line[len(cwd) + 1 :]
            color = _COLORS.get(f.severity)
            click.echo(self._style(line, fg=color) if color else line, err=True, color=self.color)

    def start(self) -> None:
        """A new run of steps; each is shown with the seconds since it started."""
        self.started = time.perf_counter()

    def step(self, text: str) -> None:
        if self.verbosity < 0:
            return
        elapsed = time.perf_counter() - self.started
        prefix = self._style(f"[{elapsed:5.1f}s]", bold=True)
        click.echo(f"{prefix} {text}", err=True, color=self.color)

    def progress(self, label: str) -> Callable[[int, int], None]:
        """A progress bar on a terminal (redrawn in place); silent when output is a file."""
        live = self.verbosity >= 0 and sys.stderr.isatty()

        def update(done: int, total: int) -> None:
            if not live or total <= 1:
                return
            width = 24
            filled = round(width * done / total)
            bar = "#" * filled + "-" * (width - filled)
            end = "\n" if done >= total else ""
            click.echo(
                f"\r        [{bar}] {done}/{total} {label}", err=True, nl=False, color=self.color
            )
            if end:
                click.echo("", err=True)

        return update

    def info(self, text: str) -> None:
        if self.verbosity >= 0:
            click.echo(text, color=self.color)

    def done(self, text: str) -> None:
        click.echo(self._style(text, fg="green", bold=True), color=self.color)

    def log_to_stderr(self) -> None:
        """edition's own log (`-vv`: debug) on standard error; third-party loggers
        (WeasyPrint, markdown-it, Dask) get no handler here: what matters of theirs
        becomes a finding."""
        import logging

        logger = logging.getLogger("edition")
        if not any(getattr(h, "_edition", False) for h in logger.handlers):
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
            handler._edition = True  # type: ignore[attr-defined]
            logger.addHandler(handler)
        logger.setLevel(logging.DEBUG if self.verbosity > 1 else logging.WARNING)

    def internal_error(self, exc: BaseException) -> None:
        click.echo(
            self._style("internal error: ", fg="red", bold=True) + f"{type(exc).__name__}: {exc}",
            err=True,
            color=self.color,
        )
        click.echo(
            "This is a bug in edition, not in your issue. Run again with --debug "
            "to see the traceback, and report it.",
            err=True,
        )


def echo_err(text: str) -> None:
    click.echo(text, err=True, file=sys.stderr)
