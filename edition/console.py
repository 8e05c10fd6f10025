"""All terminal output of the CLI: findings, steps, progress, the closing summary. Honours
NO_COLOR.

Steps and progress go to standard error, results to standard output. On a terminal a
progress bar is redrawn in place; when the output is a file or a pipe (a CI log, `| tee`)
a line is written at least every `HEARTBEAT` seconds while a command works, so that a
long step is never silent.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable

import click

from edition.errors import Finding, Severity

_COLORS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "blue"}
HEARTBEAT = 5.0  # seconds without a line, at most, when the output is not a terminal


class Console:
    def __init__(self, verbosity: int = 0) -> None:
        self.verbosity = verbosity  # -1 quiet, 0 normal, 1 -v, 2 -vv
        self.color = None if not os.environ.get("NO_COLOR") else False
        self.started = time.perf_counter()
        self._lock = threading.Lock()
        self._said = time.perf_counter()  # when the last line was written
        self._doing = ""  # the step in work, for the heartbeat
        self._count: tuple[int, int, str] | None = None  # done, total, of what
        self._stop: threading.Event | None = None

    def _style(self, text: str, **kw: object) -> str:
        return text if self.color is False else click.style(text, **kw)  # type: ignore[arg-type]

    def _err(self, text: str, **kw: object) -> None:
        with self._lock:
            click.echo(text, err=True, color=self.color, **kw)  # type: ignore[arg-type]
            self._said = time.perf_counter()

    def _out(self, text: str) -> None:
        with self._lock:
            click.echo(text, color=self.color)
            self._said = time.perf_counter()

    def findings(
        self, findings: Iterable[Finding], cwd: str | None = None, *, strict: bool = False
    ) -> None:
        """One line each; -q shows only what counts against the result: errors, and with
        `strict` (--strict) warnings too."""
        shown = {Severity.ERROR, Severity.WARNING} if strict else {Severity.ERROR}
        for f in findings:
            if f.severity == Severity.INFO and self.verbosity < 1:
                continue
            if f.severity not in shown and self.verbosity < 0:
                continue
            line = str(f)
            if cwd and line.startswith(cwd + os.sep):
                line = line[len(cwd) + 1 :]
            color = _COLORS.get(f.severity)
            self._err(self._style(line, fg=color) if color else line)

    # -- steps, progress, heartbeat

    def start(self) -> None:
        """A new run of steps; each is shown with the seconds since it started. When the
        output is not a terminal, a heartbeat line follows any silence of `HEARTBEAT` s."""
        self.started = time.perf_counter()
        self._said = self.started
        if self._stop is None and self.verbosity >= 0 and not _tty():
            self._stop = threading.Event()
            threading.Thread(target=self._beat, args=(self._stop,), daemon=True).start()

    def stop(self) -> None:
        """End the heartbeat (the command is done)."""
        if self._stop is not None:
            self._stop.set()
            self._stop = None

    def _beat(self, stop: threading.Event) -> None:
        while not stop.wait(0.25):
            if time.perf_counter() - self._said < HEARTBEAT or not self._doing:
                continue
            count = ""
            if self._count is not None:
                done, total, label = self._count
                count = f": {done}/{total} {label}"
            self._err(f"{self._stamp()} ... {self._doing}{count}")

    def _stamp(self) -> str:
        return self._style(f"[{time.perf_counter() - self.started:5.1f}s]", bold=True)

    def step(self, text: str) -> None:
        self._doing, self._count = text, None
        if self.verbosity < 0:
            return
        self._err(f"{self._stamp()} {text}")

    def status(self, text: str) -> None:
        """What the heartbeat says is in work, without a line of its own."""
        self._doing, self._count = text, None

    def progress(self, label: str) -> Callable[[int, int], None]:
        """A progress bar on a terminal (redrawn in place); elsewhere the count goes into
        the heartbeat's lines."""
        live = self.verbosity >= 0 and _tty()

        def update(done: int, total: int) -> None:
            self._count = (done, total, label)
            if not live or total <= 1:
                return
            width = 24
            filled = round(width * done / total)
            bar = "#" * filled + "-" * (width - filled)
            self._err(f"\r        [{bar}] {done}/{total} {label}", nl=False)
            if done >= total:
                self._err("")

        return update

    # -- results

    def out(self, text: str) -> None:
        """A result on standard output, whatever the verbosity (a report, JSON)."""
        self._out(text)

    def err(self, text: str) -> None:
        """A line on standard error, whatever the verbosity."""
        self._err(text)

    def info(self, text: str) -> None:
        if self.verbosity >= 0:
            self._out(text)

    def detail(self, text: str) -> None:
        """What `-v` adds: timings, what was laid out, cache hits (on standard error)."""
        if self.verbosity >= 1:
            self._err(text)

    def note(self, text: str) -> None:
        """A line that must not be missed, though it is no error (on standard error)."""
        self._err(self._style(text, fg="yellow"))

    def done(self, text: str, ok: bool = True) -> None:
        """A closing line: the result (on standard output, even with -q)."""
        self._out(self._style(text, fg="green" if ok else "red", bold=True))

    def failed(self, text: str) -> None:
        """Why a command stopped (on standard error)."""
        self._err(self._style(text, fg="red", bold=True))

    def log_to_stderr(self) -> None:
        """edition's own log on standard error (`-vv`: its debug lines). Third-party
        loggers (WeasyPrint, markdown-it, fontTools, Dask) get no handler and stay at
        WARNING: what matters of theirs becomes a finding."""
        logger = logging.getLogger("edition")
        if not any(isinstance(h, _Stderr) for h in logger.handlers):
            handler = _Stderr()
            handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
            logger.addHandler(handler)
        logger.setLevel(logging.DEBUG if self.verbosity > 1 else logging.WARNING)
        logger.propagate = False  # never twice, whatever the root logger does

    def internal_error(self, exc: BaseException) -> None:
        self._err(
            self._style("internal error: ", fg="red", bold=True) + f"{type(exc).__name__}: {exc}"
        )
        self._err(
            "This is a bug in edition, not in your issue. Run again with --debug "
            "to see the traceback, and report it."
        )


class _Stderr(logging.Handler):
    """Log lines to whatever standard error is when they are written."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            click.echo(self.format(record), err=True)
        except Exception:  # logging must never break a build
            self.handleError(record)


def _tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def echo_err(text: str) -> None:
    click.echo(text, err=True, file=sys.stderr)
