"""The package's shape: stage packages import only what comes before them in the pipeline,
no import cycles, no private name used outside its module, nothing done at import time."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "edition"

# The pipeline in order: a module may import from its own layer or the ones above it.
LAYERS = [
    {"__init__", "errors", "share", "workers", "profiles", "language"},
    {"store"},
    {"issue"},
    {"layout"},
    {"plan"},
    {"photos"},
    {"render"},
    {"pdf"},
    {"fit"},
    {"check"},
    {"publish"},
    {"collect"},
    {"proof"},
    {"commands"},
    {"console", "cli", "serve"},
]
RANK = {name: i for i, layer in enumerate(LAYERS) for name in layer}


def modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def imports_of(path: Path, name: str) -> list[tuple[str, list[str], int]]:
    """(module imported, names taken from it, line) for every import of edition, at any
    depth of the module (imports inside functions count too)."""
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [
                (a.name, [], node.lineno) for a in node.names if a.name.split(".")[0] == "edition"
            ]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target.split(".")[0] == "edition":
                found.append((target, [a.name for a in node.names], node.lineno))
    return found


def layer(module: str) -> int:
    parts = module.split(".")
    return RANK[parts[1] if len(parts) > 1 else "__init__"]


def test_every_module_belongs_to_a_layer():
    unknown = {m for m in modules() if len(m.split(".")) > 1 and m.split(".")[1] not in RANK}
    assert not unknown


def test_imports_go_down_the_pipeline_only():
    mods = modules()
    wrong = []
    for name, path in mods.items():
        for target, _, line in imports_of(path, name):
            if target == "edition":
                continue  # __version__
            if layer(target) > layer(name):
                wrong.append(
                    f"{path.relative_to(PACKAGE.parent)}:{line}: {name} imports "
                    f"{target}, which comes later in the pipeline"
                )
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles():
    mods = modules()
    graph: dict[str, set[str]] = {name: set() for name in mods}
    for name, path in mods.items():
        for target, names, _ in imports_of(path, name):
            for candidate in [f"{target}.{n}" for n in names] + [target]:
                if candidate in mods and candidate != name:
                    graph[name].add(candidate)
                    break
    # Package __init__ modules are not edges of their own submodules.
    cycles = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*stack[stack.index(nxt) :], nxt]))
            elif not state.get(nxt):
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if not state.get(node):
            visit(node)
    assert not cycles, "\n".join(cycles)


def test_no_private_name_is_used_outside_its_module():
    mods = modules()
    wrong = []
    for name, path in mods.items():
        for target, names, line in imports_of(path, name):
            for n in names:
                if n.startswith("_") and not n.startswith("__"):
                    wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line}: imports {target}.{n}")
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and isinstance(node.value, ast.Name)
                and node.value.id in {"edition"}
            ):
                wrong.append(
                    f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: uses edition.{node.attr}"
                )
    assert not wrong, "\n".join(wrong)


def test_only_the_pdf_package_imports_weasyprint():
    wrong = []
    for name, path in modules().items():
        if name.startswith("edition.pdf"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                targets = [node.module or ""]
            if any(t.split(".")[0] == "weasyprint" for t in targets):
                wrong.append(f"{name}:{node.lineno}")
    assert not wrong


def test_importing_every_module_changes_nothing_outside():
    """No work at import time: no environment variable set, no Pillow limit changed, no
    logger's propagation flipped, no file written."""
    code = """
import importlib, logging, os, pkgutil, sys
import PIL.Image
import edition
env, cap = dict(os.environ), PIL.Image.MAX_IMAGE_PIXELS
loggers = {n: getattr(l, "propagate", None) for n, l in logging.root.manager.loggerDict.items()}
for m in pkgutil.walk_packages(edition.__path__, "edition."):
    importlib.import_module(m.name)
changed = [k for k in set(env) | set(os.environ) if env.get(k) != os.environ.get(k)]
assert not changed, changed
assert PIL.Image.MAX_IMAGE_PIXELS == cap
flipped = [n for n, p in loggers.items() if getattr(logging.getLogger(n), "propagate", None) != p]
assert not flipped, flipped
print("ok")
"""
    home = PACKAGE.parent / "tests" / "output" / "import-home"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "XDG_CACHE_HOME": str(home / "cache")}
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=PACKAGE.parent,
        check=False,
    )
    assert out.stdout.strip() == "ok", out.stderr
    assert not (home / "cache").exists()  # nothing was written
