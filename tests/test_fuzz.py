"""Fuzzing: random and mutated issue.toml, front matter and Markdown end in a result or in
EditionError (one line per problem), never in another exception.

Quick by default; EDITION_FUZZ_EXAMPLES=5000 runs a longer campaign.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tomllib
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
import tomlkit
import yaml
from conftest import FIXTURES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edition.errors import EditionError
from edition.issue.load import load_issue
from edition.issue.model import Issue
from edition.layout.load import load_layout
from edition.plan.plan import plan_issue
from edition.profiles import PROFILES
from edition.render.html import render_html

FUZZ = settings(
    max_examples=int(os.environ.get("EDITION_FUZZ_EXAMPLES", "60")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

ARTICLE = "articles/gudang-baru.md"
# Pieces that mean something to TOML, YAML, Markdown or HTML, and characters that trip decoders.
SYNTAX = [
    "[",
    "]",
    "[[",
    "]]",
    "=",
    '"',
    "'",
    '"""',
    "{",
    "}",
    ",",
    ".",
    ":",
    "#",
    "-",
    "---",
    "\n",
    " ",
    "\t",
    "\r",
    "\x00",
    "\ufeff",
    "\u2028",
    "ä",
    "\\",
    "\\u0000",
    "*",
    "_",
    "!",
    "(",
    ")",
    "<",
    ">",
    "&",
    "|",
    "`",
    "```",
    "![x](",
    "](",
    "[r]: ",
    "<script>",
    "<img src=x onerror=alert(1)>",
    "javascript:",
    "file:///etc/passwd",
    "../",
    "&amp;",
    "&#0;",
    "1.",
    "> ",
    "    ",
    "~~~",
    "*/",
    "%",
    "%00",
    "@",
    "?",
    "\U0001f600",
    "🇮🇩",
    "0",
    "1e999",
    "-1",
    "true",
    "null",
    "2024-13-45",
    "&a",
    "*a",
    "!!python/object ",
]
piece = st.one_of(st.sampled_from(SYNTAX), st.text(max_size=6))


@st.composite
def mutated(draw: st.DrawFn, original: str) -> str:
    """`original` with a few insertions, deletions and replacements, biased to syntax."""
    text = original
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 12))
        op = draw(st.sampled_from(["insert", "delete", "replace"]))
        new = draw(piece) if op != "delete" else ""
        text = text[:at] + new + text[at + (cut if op != "insert" else 0) :]
    return text


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("fuzz") / "minimal"
    shutil.copytree(FIXTURES / "minimal", dest)
    return dest


@contextlib.contextmanager
def written(path: Path, data: str | bytes) -> Iterator[None]:
    """`path` holds `data` for the duration; the fixture's own bytes afterwards."""
    before = path.read_bytes()
    path.write_bytes(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
    try:
        yield
    finally:
        path.write_bytes(before)


def load_or_findings(root: Path) -> Issue | None:
    """The loader's result, or None after checking its EditionError is well formed."""
    try:
        return load_issue(root)
    except EditionError as exc:
        assert exc.findings, "an EditionError without findings"
        for finding in exc.findings:
            assert "\n" not in str(finding), f"a finding over several lines: {finding!s}"
        return None


def render(issue: Issue) -> str | None:
    """The HTML stage: plan and render with the print profile, as a build does."""
    try:
        layout = load_layout(issue.spec.layout, issue.root)
        return render_html(plan_issue(issue, layout), PROFILES["print"])
    except EditionError:
        return None


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def assert_safe_html(html: str) -> None:
    parser = Tags()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert tag not in ("script", "iframe", "object", "embed"), tag
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            url = (value or "").strip().lower()
            assert not url.startswith("javascript:"), (tag, name, value)
            if tag == "a":  # the layout's own stylesheets and fonts are file: URLs
                assert not url.startswith(("file:", "data:")), (tag, name, value)


TOML = (FIXTURES / "minimal" / "issue.toml").read_text()
ARTICLE_TEXT = (FIXTURES / "minimal" / ARTICLE).read_text()
HEAD, BODY = ARTICLE_TEXT.split("\n---\n", 1)


@FUZZ
@given(st.one_of(mutated(TOML), st.text(max_size=300)))
def test_issue_toml_text(root: Path, text: str):
    with written(root / "issue.toml", text):
        issue = load_or_findings(root)
        if issue is not None:
            render(issue)


@FUZZ
@given(
    st.one_of(
        st.binary(max_size=200),
        mutated(TOML)
        .map(lambda t: t.encode("utf-8", "surrogatepass"))
        .flatmap(lambda b: st.integers(0, len(b)).map(lambda i: b[:i] + b"\xff\xfe\xc3" + b[i:])),
    )
)
def test_issue_toml_bytes(root: Path, data: bytes):
    with written(root / "issue.toml", data):
        load_or_findings(root)


@FUZZ
@given(
    st.one_of(
        mutated(HEAD).map(lambda h: f"{h}\n---\n{BODY}"),
        mutated(ARTICLE_TEXT[:400]),
        st.text(max_size=200),
    )
)
def test_front_matter(root: Path, text: str):
    with written(root / ARTICLE, text):
        issue = load_or_findings(root)
        if issue is not None:
            html = render(issue)
            assert html is None or html.startswith("<!DOCTYPE html>")


# Values an editor could put anywhere: paths that leave the folder or cannot exist, wrong types.
ODD = [
    "",
    ".",
    "..",
    "../issue.toml",
    "/etc/passwd",
    "photos",
    "photos/",
    "a\x00b",
    "x" * 300,
    "photos/" + "y" * 300 + ".jpg",
    "a\nb",
    "photos/lead-a.jpg",
    "file:///etc/passwd",
    "http://example.com/x.jpg",
    "~/x.jpg",
    "C:\\x.jpg",
    "photos/../photos/lead-a.jpg",
    "issue.toml",
    "articles/gudang-baru.md",
    "patroli-utara",
    "Patroli di Perairan Utara",
    "classic",
    "../classic",
    "id",
    "xx",
    "id-ID",
    "full",
    "back-cover",
    "\u2028",
    "\ud800",
]
odd = st.one_of(st.sampled_from(ODD), st.text(max_size=12))
value = st.one_of(
    odd,
    st.integers(-(2**70), 2**70),
    st.booleans(),
    st.dates(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.lists(odd, max_size=3),
    st.dictionaries(st.sampled_from(["title", "photo", "x", "body"]), odd, max_size=2),
)


def leaves(data: object, path: tuple = ()) -> list[tuple]:
    """Key paths of every value in a parsed TOML or YAML document."""
    if isinstance(data, dict):
        return [path] + [p for k, v in data.items() for p in leaves(v, (*path, k))]
    if isinstance(data, list):
        return [path] + [p for i, v in enumerate(data) for p in leaves(v, (*path, i))]
    return [path]


def replaced(data: object, path: tuple, new: object) -> object:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(data, dict):
        return {**data, head: replaced(data[head], rest, new)}
    copy = list(data)  # type: ignore[call-overload]
    copy[head] = replaced(copy[head], rest, new)
    return copy


@st.composite
def with_odd_values(draw: st.DrawFn, data: dict) -> dict:
    """`data` with a few values (or whole tables) replaced, and maybe a key added."""
    paths = leaves(data)
    for _ in range(draw(st.integers(1, 4))):
        path, new = draw(st.sampled_from(paths[1:])), draw(value)
        with contextlib.suppress(KeyError, IndexError, TypeError):  # gone with an earlier one
            data = replaced(data, path, new)  # type: ignore[assignment]
    if draw(st.booleans()):
        data = {**data, draw(odd): draw(value)}
    return data


TOML_DATA = tomllib.loads(TOML)
HEAD_DATA = yaml.safe_load(HEAD.removeprefix("---\n"))


@FUZZ
@given(with_odd_values(TOML_DATA))
def test_issue_toml_values(root: Path, data: dict):
    try:
        text = tomlkit.dumps(data)
    except (ValueError, TypeError):  # not every drawn value exists in TOML
        return
    with written(root / "issue.toml", text):
        issue = load_or_findings(root)
        if issue is not None:
            render(issue)


@FUZZ
@given(with_odd_values(HEAD_DATA))
def test_front_matter_values(root: Path, data: dict):
    head = yaml.safe_dump(data, allow_unicode=True)
    with written(root / ARTICLE, f"---\n{head}---\n{BODY}"):
        issue = load_or_findings(root)
        if issue is not None:
            render(issue)


markdown = st.lists(st.one_of(st.sampled_from(SYNTAX), st.text(max_size=12)), max_size=40).map(
    "".join
)
fields = st.text(max_size=40)


@FUZZ
@given(st.one_of(mutated(BODY[:600]), markdown), fields, fields, fields, fields)
def test_markdown_and_fields_through_the_html_stage(
    root: Path, body: str, title: str, dek: str, caption: str, sidebar: str
):
    meta = {
        "title": title or "x",
        "dek": dek,
        "lead_photo": "photos/lead-b.jpg",
        "lead_caption": caption,
        "pullquote": dek,
        "sidebar": {"title": title, "body": sidebar},
    }
    head = yaml.safe_dump(meta, allow_unicode=True)
    with written(root / ARTICLE, f"---\n{head}---\n{body}\n"):
        issue = load_or_findings(root)
        if issue is not None:
            html = render(issue)
            if html is not None:
                assert_safe_html(html)
