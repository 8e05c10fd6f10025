"""Findings with a location, and the exception that carries them to the CLI."""

from __future__ import annotations

import dataclasses
import enum
import re
from dataclasses import dataclass, field
from pathlib import Path

_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def _escaped(m: re.Match[str]) -> str:
    return m.group().encode("unicode_escape").decode("ascii")


class ExitCode(enum.IntEnum):
    """What every command's exit status means (the README's table says the same)."""

    OK = 0  # done (for `check`: every edition asked for is ready)
    # Preflight found an error (with --strict, a warning too) in what was built or
    # checked; `check`: an edition not built or stale; `publish`: not published.
    FINDINGS = 1
    BAD_INPUT = 2  # bad input or usage: one line per problem, nothing written
    INTERNAL = 3  # a bug in edition, never the answer to bad input
    INTERRUPTED = 130  # Ctrl-C


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Location:
    """Where a user wrote something: a file and, when known, a line (1-based)."""

    path: Path
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else str(self.path)


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: what is wrong, where, what to do, and a stable code."""

    message: str
    location: Location | None = None
    hint: str | None = None
    code: str = "input"
    severity: Severity = Severity.ERROR
    page: int | None = None  # 1-based page of the built PDF, for preflight findings
    obj: str | None = None  # what on the page: a photo's file name, a font, ...

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        page = f"page {self.page}: " if self.page else ""
        hint = f" ({self.hint})" if self.hint else ""
        # What a user or a web page wrote may hold an escape sequence or a line break:
        # shown escaped, a finding is one line and never a command to the terminal.
        return _CONTROLS.sub(
            _escaped, f"{where}{page}{self.severity.value}: {self.message}{hint} [{self.code}]"
        )

    def promoted(self) -> Finding:
        """The same finding as an error (`--strict`); information stays information."""
        if self.severity != Severity.WARNING:
            return self
        return dataclasses.replace(self, severity=Severity.ERROR)

    @classmethod
    def from_dict(cls, d: dict) -> Finding:
        """The inverse of `as_dict` (findings remembered by an earlier build)."""
        loc = Location(Path(d["file"]), d.get("line")) if d.get("file") else None
        return cls(
            d["message"],
            loc,
            d.get("hint"),
            d.get("code", "input"),
            Severity(d.get("severity", "error")),
            d.get("page"),
            d.get("object"),
        )

    def as_dict(self) -> dict[str, object]:
        """Stable keys for `--format json`."""
        return {
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
            "file": str(self.location.path) if self.location else None,
            "line": self.location.line if self.location else None,
            "page": self.page,
            "object": self.obj,
        }


@dataclass
class EditionError(Exception):
    """Bad input: one or more findings, reported together, exit code 2."""

    findings: list[Finding] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__("\n".join(str(f) for f in self.findings))

    @classmethod
    def single(
        cls,
        message: str,
        path: Path | None = None,
        line: int | None = None,
        hint: str | None = None,
        code: str = "input",
    ) -> EditionError:
        loc = Location(path, line) if path is not None else None
        return cls([Finding(message, loc, hint, code)])
