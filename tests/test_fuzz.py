"""Fuzzing: random and mutated issue.toml, front matter and Markdown end in a result or in
EditionError (one line per problem), never in another exception.

Quick by default; EDITION_FUZZ_EXAMPLES=5000 runs a longer campaign.
"""

from __future__ import annotations

import contextlib
import json
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


# --- hardening targets: a template an issue brings, printed fields, the catalogue -----------

TEMPLATE_TEXT = (
    Path(__file__).resolve().parent.parent / "layouts" / "classic" / "templates" / "edition.html.j2"
).read_text()
MARKER = "FUZZ-PWNED"
JINJA = [
    "{{ ",
    " }}",
    "{% ",
    " %}",
    "{% for x in ",
    "{% endfor %}",
    "{% if ",
    "{% endif %}",
    "{% set y = ",
    "{% macro m() %}",
    "{% endmacro %}",
    "{{ m() }}",
    "{% include ",
    "'x'",
    "'/etc/passwd'",
    "'edition.html.j2'",
    "cycler",
    "lipsum",
    "joiner",
    "namespace",
    "range",
    "plan",
    "issue",
    "layout",
    "profile",
    "self",
    "loop",
    "sections",
    "page_of",
    "page_ref",
    ".__class__",
    ".__globals__",
    ".__init__",
    ".__mro__",
    ".__subclasses__()",
    ".root",
    ".issue",
    ".read_text()",
    ".write_text('x')",
    ".joinpath('/etc/passwd')",
    ".parent",
    ".os",
    "['__builtins__']",
    "['open']",
    "(",
    ")",
    "[",
    "]",
    "|list",
    "|center(10**9)",
    "|join",
    "|format(1)",
    "|e",
    "|safe",
    "|attr('__class__')",
    " * ",
    " ** ",
    " ~ ",
    " + ",
    " / 0",
    "10**10",
    "99999",
    "(n=10**6)",
    f"os.system('touch {MARKER}')",
    "<iframe src=x>",
    "<script>",
    "</body>",
    "<style>",
    "@import url(file:///etc/passwd);",
]
jinja = st.lists(st.sampled_from(JINJA), min_size=1, max_size=12).map("".join)


@FUZZ
@given(snippet=jinja)
def test_a_template_an_issue_brings(root: Path, snippet: str, monkeypatch: pytest.MonkeyPatch):
    """Any template ends in HTML or in findings with the template's name, never in another
    exception, never in code that ran, and within its ceilings."""
    monkeypatch.setenv("EDITION_TEMPLATE_SECONDS", "2")
    (root / "templates").mkdir(exist_ok=True)
    override = root / "templates" / "edition.html.j2"
    override.write_text(TEMPLATE_TEXT)
    try:
        with written(override, TEMPLATE_TEXT.replace("</body>", snippet + "</body>")):
            issue = load_issue(root)
            layout = load_layout(issue.spec.layout, issue.root)
            try:
                render_html(plan_issue(issue, layout), PROFILES["print"])
            except EditionError as exc:
                for finding in exc.findings:
                    assert "\n" not in str(finding)
                    assert finding.code in ("template.error", "limit.time", "limit.memory")
    finally:
        shutil.rmtree(root / "templates", ignore_errors=True)
    assert not Path(MARKER).exists() and not (root / MARKER).exists()


PRINTED = [
    "</style><script>alert(1)</script>",
    '"; } body { display: none } p { x: "',
    "javascript:alert(1)//://",
    "JaVaScRiPt:alert(1)",
    "file:///etc/passwd",
    "\x01\x0c\x1b[31m\x7f\x9b",
    "\ufffe\uffff",
    "idm.id",
    "https://idm.id/a?b=<c>",
    "a@b.id",
    "w" * 250,
    "{{ 7*7 }}",
    "&amp;&lt;",
    "\u2028\u2029",
]
printed = st.one_of(st.sampled_from(PRINTED), st.text(max_size=30)).map(
    lambda s: s.encode("utf-8", "ignore").decode()  # TOML holds no lone surrogate
)
FIELDS = [
    ("magazine",),
    ("tagline",),
    ("title",),
    ("price",),
    ("issn",),
    ("imprint", "publisher"),
    ("imprint", "website"),
    ("imprint", "email"),
    ("news", 0, "title"),
    ("news", 0, "text"),
    ("inframe", 0, "caption"),
    ("inframe", 0, "title"),
    ("popular", 1, "title"),
]


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(FIELDS), printed), min_size=1, max_size=4))
def test_printed_fields_of_issue_toml(root: Path, values: list):
    """Whatever a field of issue.toml holds, the HTML has one <style>, no script, no
    `javascript:` link, no control character; or the loader says what is wrong."""
    data = json.loads(json.dumps(TOML_DATA, default=str))
    data["date"] = TOML_DATA["date"]
    for path, text in values:
        here = data
        for key in path[:-1]:
            here = here.setdefault(key, {}) if isinstance(key, str) else here[key]
        here[path[-1]] = text
    with written(root / "issue.toml", tomlkit.dumps(data)):
        issue = load_or_findings(root)
        if issue is None:
            return
        html = render(issue)
        if html is None:
            return
        parser = Tags()
        parser.feed(html)
        assert [t for t, _ in parser.tags].count("style") == 1
        for tag, attrs in parser.tags:
            assert tag not in ("script", "iframe", "object", "embed"), tag
            for name, url in attrs:
                assert not name.startswith("on"), (tag, name)
                if name in ("href", "src") and url and ":" in url.split("/")[0]:
                    scheme = url.split(":")[0].lower()
                    assert scheme in ("http", "https", "mailto", "file", "edition-photo"), url
        assert not any(ch in html for ch in "\x01\x0c\x1b\x7f\x9b\ufffe")


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import pikepdf

    folder = tmp_path_factory.mktemp("catalog") / "dist"
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    (folder / "2024-05").mkdir(parents=True)
    pdf.save(folder / "2024-05" / "2024-05-screen.pdf")
    return folder


ids = st.one_of(
    st.sampled_from(["2024-05", "javascript:alert(1)", "a b", "..", "x:y", "%2e%2e", "é"]),
    st.text(alphabet="abc-._:/%", min_size=1, max_size=8),
)


@FUZZ
@given(
    ids,
    st.dictionaries(
        st.sampled_from(["title", "magazine", "tagline", "language", "date_text", "month_text"]),
        printed,
        max_size=4,
    ),
    st.lists(printed, max_size=3),
    printed,
)
def test_the_catalogue(dist: Path, issue_id: str, fields: dict, lines: list, entry: str):
    """Whatever the metadata beside the PDFs says, the feed is well-formed XML and the
    pages link only to relative, http or https addresses."""
    import xml.etree.ElementTree as ET

    from edition.publish.catalog import write_catalog

    for folder in dist.iterdir():
        if folder.name not in ("2024-05", "assets"):
            shutil.rmtree(folder) if folder.is_dir() else folder.unlink()
    meta = {
        "schema": 1,
        "id": "2024-05",
        "number": 7,
        "date": "2024-05-19",
        "cover_lines": lines,
        "contents": [{"title": entry, "page": 2, "kind": "section", "level": 1}],
        "profiles": {"screen": {"file": "2024-05-screen.pdf", "pages": 1, "sha256": "x"}},
        **fields,
    }
    (dist / "2024-05" / "2024-05.json").write_text(json.dumps(meta))
    with contextlib.suppress(OSError, ValueError):  # a name no folder can have
        other = dist / issue_id
        if issue_id not in ("2024-05", "assets") and not other.exists():
            other.mkdir(parents=True)
            (other / f"{issue_id}-screen.pdf").write_bytes(
                (dist / "2024-05" / "2024-05-screen.pdf").read_bytes()
            )
            (other / f"{issue_id}.json").write_text(json.dumps({**meta, "id": issue_id}))
    write_catalog(dist)
    ET.parse(dist / "opds.xml")
    for page in dist.rglob("index.html"):
        parser = Tags()
        parser.feed(page.read_text())
        for tag, attrs in parser.tags:
            for name, url in attrs:
                if name in ("href", "src") and url and ":" in url.split("/")[0]:
                    assert url.split(":")[0].lower() in ("http", "https"), (tag, url)
