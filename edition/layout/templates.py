"""The layout's templates: looked up issue override -> layout -> parent layouts, run sandboxed,
and read only from those folders (no symlink leads out of them).

An issue's own templates come with the issue, from anyone. They run in Jinja2's immutable
sandbox (no way to Python's internals: `__globals__`, `os`, `open`), may not call a method
of a file path (`read_text`, `write_text`, `unlink`), may not build huge numbers or strings
by arithmetic, and run under a ceiling of time and memory. Whatever goes wrong in one (a
syntax error, a missing include, a refused attribute, a loop without end) is one finding
that names the template and its line, never an internal error.
"""

from __future__ import annotations

import functools
import operator
import types
from collections.abc import Callable
from pathlib import Path, PurePath
from typing import Any

import jinja2
from jinja2.bccache import Bucket
from jinja2.sandbox import ImmutableSandboxedEnvironment

from edition.errors import EditionError
from edition.issue.text import web_url
from edition.layout.spec import Layout
from edition.workers import Ceiling, ceiling

# Rendering the whole edition's HTML takes well under a second and a few megabytes.
TEMPLATES = Ceiling(60, 512, "EDITION_TEMPLATE_SECONDS", "EDITION_TEMPLATE_MEMORY_MB")
MAX_SIZE = 1_000_000  # the longest string or list a template may make by `*`
MAX_POWER = 64  # the largest exponent of `**`
_PATH_ATTRIBUTES = frozenset({"name", "stem", "suffix"})
# What may go wrong in a template's own code (and is the template's fault).
_TEMPLATE_FAULTS = (
    jinja2.TemplateError,
    ArithmeticError,
    LookupError,
    TypeError,
    ValueError,
    AttributeError,
    RecursionError,
)


class ConfinedLoader(jinja2.FileSystemLoader):
    """A FileSystemLoader that will not read a template whose real path (every symlink
    followed) is outside the folder it was found in."""

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        real = Path(filename).resolve()
        if not any(real.is_relative_to(Path(p).resolve()) for p in self.searchpath):
            raise jinja2.TemplateNotFound(template)
        return source, filename, uptodate


class BoundedTemplate(jinja2.Template):
    """A template whose rendering has a ceiling and whose faults are findings."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        where = Path(self.filename) if self.filename else None
        task = f"running the template {self.name}"
        with ceiling(TEMPLATES, task, where):
            try:
                return super().render(*args, **kwargs)
            except _TEMPLATE_FAULTS as exc:  # with the template's line
                raise template_error(exc, self.filename) from None


class Sandbox(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox, stricter: see the module's docstring."""

    template_class = BoundedTemplate
    intercepted_binops = frozenset({"*", "**"})

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, PurePath) and attr not in _PATH_ATTRIBUTES:
            return False  # a path's methods read, write and delete files
        if isinstance(obj, types.ModuleType):
            return False
        return bool(super().is_safe_attribute(obj, attr, value))

    def call_binop(self, context: Any, operator_: str, left: Any, right: Any) -> Any:
        if operator_ == "**":
            if isinstance(right, int) and abs(right) > MAX_POWER:
                raise jinja2.sandbox.SecurityError(f"an exponent over {MAX_POWER} is refused")
            return operator.pow(left, right)
        if operator_ == "*":
            for a, b in ((left, right), (right, left)):
                if (
                    isinstance(a, (str, list, tuple))
                    and isinstance(b, int)
                    and len(a) * b > MAX_SIZE
                ):
                    raise jinja2.sandbox.SecurityError(
                        f"a string or list longer than {MAX_SIZE} is refused"
                    )
            both_ints = isinstance(left, int) and isinstance(right, int)
            if both_ints and left.bit_length() + right.bit_length() > 4096:
                raise jinja2.sandbox.SecurityError("a number this large is refused")
            return operator.mul(left, right)
        return super().call_binop(context, operator_, left, right)

    def get_template(self, *args: Any, **kwargs: Any) -> jinja2.Template:
        try:
            with ceiling(TEMPLATES, f"compiling the template {args[0] if args else ''}"):
                return super().get_template(*args, **kwargs)
        except (jinja2.TemplateSyntaxError, SyntaxError, RecursionError, MemoryError) as exc:
            raise template_error(exc, getattr(exc, "filename", None)) from None


def template_error(exc: BaseException, filename: str | None) -> EditionError:
    """A fault of a template as one finding: the template file and line it happened on
    (Jinja2 points the traceback at the template's lines), what went wrong."""
    line = getattr(exc, "lineno", None)
    name = getattr(exc, "filename", None) or filename
    tb = exc.__traceback__
    while tb is not None:  # the innermost frame that is a template's line
        code = tb.tb_frame.f_code.co_filename
        if code.endswith(".j2") or (filename and code == filename):
            name, line = code, tb.tb_lineno
        tb = tb.tb_next
    if isinstance(exc, jinja2.TemplateNotFound):
        what = f"template '{exc.name}' not found (or outside the template folders)"
    elif isinstance(exc, RecursionError):
        what = "the template calls itself without end"
    else:
        what = " ".join(str(getattr(exc, "message", None) or exc).split())[:200]
        what = (
            f"{type(exc).__name__}: {what}" if not isinstance(exc, jinja2.TemplateError) else what
        )
    return EditionError.single(
        f"template error: {what}",
        Path(name) if name else None,
        line,
        "fix the template (an issue's own templates may use only what the layout's do)",
        "template.error",
    )


def template_folders(layout: Layout, issue_root: Path | None = None) -> list[Path]:
    """Where templates are looked up, in priority order."""
    return ([issue_root / "templates"] if issue_root else []) + [
        f / "templates" for f in layout.folders
    ]


class _CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates kept in memory for the life of the process, so that a process
    that renders again and again (`edition serve`) compiles each template once. Jinja2
    keys an entry by the template's name and file and checks it against the source, so
    a template that changed is compiled again."""

    def __init__(self) -> None:
        self.codes: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self.codes.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.codes[bucket.key] = bucket.bytecode_to_string()


@functools.cache
def _compiled() -> _CompiledTemplates:
    return _CompiledTemplates()  # one for every environment(): they are all made alike


def environment(layout: Layout, issue_root: Path | None = None) -> jinja2.Environment:
    """Templates looked up in priority order: issue override, this layout, its parents;
    run in the `Sandbox`. Compiled templates are kept in this process's memory only, never
    on disk: code loaded from a folder others may write would run unsandboxed."""
    searched = template_folders(layout, issue_root)
    env = Sandbox(
        loader=ConfinedLoader([str(p) for p in searched]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=_compiled(),
        # Jinja2's optimizer would work out constant expressions (`'x'|center(10**9)`)
        # while compiling, outside every ceiling and check of the sandbox.
        optimized=False,
    )
    # A web address written in issue.toml as the link it may become: https://..., or ""
    # for anything else (a `javascript:` URL never becomes an href).
    env.filters["web_url"] = lambda value: web_url(str(value)) or ""
    return env
