"""The layout's templates: looked up issue override -> layout -> parent layouts, run sandboxed,
and read only from those folders (no symlink leads out of them)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from edition.issue.text import web_url
from edition.layout.spec import Layout


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


def template_folders(layout: Layout, issue_root: Path | None = None) -> list[Path]:
    """Where templates are looked up, in priority order."""
    return ([issue_root / "templates"] if issue_root else []) + [
        f / "templates" for f in layout.folders
    ]


def environment(layout: Layout, issue_root: Path | None = None) -> jinja2.Environment:
    """Templates looked up in priority order: issue override, this layout, its parents.

    An issue's own templates come with the issue, from anyone: they run in Jinja2's
    sandbox, which gives them no way to Python's internals (`__globals__`, `os`, `open`)
    nor to change the objects they are given."""
    searched = template_folders(layout, issue_root)
    env = ImmutableSandboxedEnvironment(
        loader=ConfinedLoader([str(p) for p in searched]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # A web address written in issue.toml as the link it may become: https://..., or ""
    # for anything else (a `javascript:` URL never becomes an href).
    env.filters["web_url"] = lambda value: web_url(str(value)) or ""
    return env
