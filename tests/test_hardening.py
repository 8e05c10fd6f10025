"""Hardening: what a hostile issue folder, ad, cache, page or option must not do (run code,
read files, hang the machine, print the wrong photo, crash the tool), one test per finding
of the outside tester's report (issue 14) and its variants. Most need no PDF; the few that
build share one build (module-scoped) and are marked slow."""

from __future__ import annotations

import contextlib
import errno
import io
import json
import multiprocessing
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pikepdf
import pytest
from conftest import FIXTURES, invoke
from PIL import Image, TiffImagePlugin, TiffTags

from edition.errors import EditionError, Finding
from edition.issue.load import load_issue
from edition.layout.load import load_layout
from edition.plan.model import ImageRequest
from edition.plan.plan import plan_issue
from edition.profiles import PROFILES
from edition.render.html import render_html

MARK = "HARDEN-7c1e"  # a command that ran would leave a file with this name


def findings_of(exc: pytest.ExceptionInfo[EditionError]) -> list[str]:
    return [str(f) for f in exc.value.findings]


@pytest.fixture
def issue(make_issue) -> Path:
    return make_issue()


def html_of(root: Path, profile: str = "print") -> str:
    issue = load_issue(root)
    layout = load_layout(issue.spec.layout, issue.root)
    return render_html(plan_issue(issue, layout), PROFILES[profile])


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


# --- 1. templates: sandboxed, confined, their faults are findings ----------------------

TEMPLATE = (
    Path(__file__).resolve().parent.parent / "layouts" / "classic" / "templates" / "edition.html.j2"
)
BODY_LINE = (
    TEMPLATE.read_text()
    .split("\n")
    .index(next(ln for ln in TEMPLATE.read_text().split("\n") if "</body>" in ln))
    + 1
)
HINT = "(fix the template (an issue's own templates may use only what the layout's do))"

SANDBOX_CASES = {
    "os.system via cycler": (
        "{{ cycler.__init__.__globals__.os.system('touch %s') }}",
        "access to attribute '__init__' of 'type' object is unsafe.",
    ),
    "open via lipsum": (
        "{{ lipsum.__globals__['__builtins__']['open']('/etc/passwd').read() }}",
        "access to attribute '__globals__' of 'function' object is unsafe.",
    ),
    "subclasses": (
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "access to attribute '__class__' of 'str' object is unsafe.",
    ),
    "include an absolute path": (
        "{% include '/etc/passwd' %}",
        "template '/etc/passwd' not found (or outside the template folders)",
    ),
    "include a symlink out": (
        "{% include 'secret.j2' %}",
        "template 'secret.j2' not found (or outside the template folders)",
    ),
    "read a file through a path": (
        "{{ plan.issue.root.joinpath('/etc/passwd').read_text() }}",
        "access to attribute 'joinpath' of 'PosixPath' object is unsafe.",
    ),
    "write a file through a path": (
        "{{ plan.issue.root.parent.joinpath('%s').write_text('x') }}",
        "access to attribute 'parent' of 'PosixPath' object is unsafe.",
    ),
    "huge string": ("{{ 'x' * 10**10 }}", "a string or list longer than 1000000 is refused"),
    "huge power": ("{{ 7 ** 100000 }}", "an exponent over 64 is refused"),
    "recursion": (
        "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
        "the template calls itself without end",
    ),
    "undefined": ("{{ nothing_here }}", "'nothing_here' is undefined"),
    "division by zero": ("{{ 1 / 0 }}", "ZeroDivisionError: division by zero"),
    "syntax": ("{% if %}", "Expected an expression, got 'end of statement block'"),
}


def override(root: Path, payload: str) -> Path:
    """The issue's own copy of the main template with `payload` before </body>."""
    (root / "templates").mkdir(exist_ok=True)
    target = root / "templates" / "edition.html.j2"
    target.write_text(TEMPLATE.read_text().replace("</body>", payload + "</body>"))
    return target


@pytest.mark.parametrize("name", SANDBOX_CASES)
def test_an_issue_template_runs_nothing_reads_nothing_and_fails_in_one_line(
    issue: Path, tmp_path: Path, name: str
):
    payload, what = SANDBOX_CASES[name]
    marker = tmp_path / MARK
    if "%s" in payload:
        payload = payload % marker
    (issue / "templates").mkdir()
    (issue / "templates" / "secret.j2").symlink_to("/etc/passwd")
    target = override(issue, payload)
    with pytest.raises(EditionError) as exc:
        html_of(issue)
    assert findings_of(exc) == [
        f"{target}:{BODY_LINE}: error: template error: {what} {HINT} [template.error]"
    ]
    assert not marker.exists()


@pytest.mark.parametrize(
    ("payload", "kind", "amount"),
    [
        (
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
            "took longer than 1 s",
            "EDITION_TEMPLATE_SECONDS",
        ),
        (
            "{{ 'x'|center(3000000000) }}",
            "needs more than 512 MB of memory",
            "EDITION_TEMPLATE_MEMORY_MB",
        ),
        (
            "{{ '%3000000000s'|format('x') }}",
            "needs more than 512 MB of memory",
            "EDITION_TEMPLATE_MEMORY_MB",
        ),
        ("{{ lipsum(n=100000000) }}", "took longer than 1 s", "EDITION_TEMPLATE_SECONDS"),
    ],
)
def test_a_template_that_would_run_forever_or_fill_memory_ends_in_one_line(
    issue: Path, monkeypatch: pytest.MonkeyPatch, payload: str, kind: str, amount: str
):
    monkeypatch.setenv("EDITION_TEMPLATE_SECONDS", "1")
    target = override(issue, payload)
    started = time.perf_counter()
    with pytest.raises(EditionError) as exc:
        html_of(issue)
    assert time.perf_counter() - started < 30  # generous: a loaded machine
    limit = "time" if "longer" in kind else "memory"
    assert findings_of(exc) == [
        f"{target}: error: running the template edition.html.j2 {kind} (simplify it, or on "
        f"a slow machine raise {amount}) [limit.{limit}]"
    ]
    # The ceilings are lifted afterwards: this process may again use what it likes.
    assert resource.getrlimit(resource.RLIMIT_AS)[0] == resource.RLIM_INFINITY
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_no_compiled_template_is_ever_loaded_from_a_folder(issue: Path, tmp_path: Path):
    """The bytecode cache that ran planted code is gone: the environment has none, and a
    compiled template planted where it used to be (OUT/.cache/templates) is not used."""
    import jinja2

    from edition.layout.templates import environment

    layout = load_layout("classic", issue)
    env = environment(layout, issue)
    assert env.bytecode_cache is None
    # Plant, in the old cache's format, the code of a template that leaves a marker.
    planted = tmp_path / "dist" / ".cache" / "templates"
    planted.mkdir(parents=True)
    marker = tmp_path / MARK
    evil = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(p) for p in env.loader.searchpath]),  # type: ignore[union-attr]
        bytecode_cache=jinja2.FileSystemBytecodeCache(str(planted)),
    )
    code = evil.compile(f"{{{{ cycler.__init__.__globals__.os.system('touch {marker}') }}}}")
    for name in ("edition.html.j2", "sections.html.j2"):
        source, filename, _ = evil.loader.get_source(evil, name)  # type: ignore[union-attr]
        bucket = evil.bytecode_cache.get_bucket(evil, name, filename, source)  # type: ignore[union-attr]
        bucket.code = code
        evil.bytecode_cache.set_bucket(bucket)  # type: ignore[union-attr]
    assert len(list(planted.iterdir())) == 2
    # The planted code does run when a cache that trusts the folder is used ...
    evil.get_template("edition.html.j2").render()
    assert marker.exists()
    marker.unlink()
    # ... and not when edition renders (and builds, see the slow test below).
    html_of(issue)
    assert not marker.exists()


# --- 5. values of issue.toml escaped for where they land --------------------------------


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.styles: list[str] = []
        self._style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._style = False

    def handle_data(self, data: str) -> None:
        if self._style:
            self.styles.append(data)


def tags_of(html: str) -> Tags:
    parser = Tags()
    parser.feed(html)
    return parser


@pytest.mark.parametrize(
    "magazine",
    [
        '</style><a href="javascript:alert(1)">x</a><link rel="attachment" href="issue.toml">',
        "</STYLE ><iframe src=file:///etc/passwd></iframe>",
        '"; } body { display: none } .x { content: "',
        'a\\"b</style\n><script>alert(1)</script>',
    ],
)
def test_magazine_name_cannot_leave_the_css_string(issue: Path, magazine: str):
    toml = issue / "issue.toml"
    edit(toml, 'magazine = "IDM"', f"magazine = {json.dumps(magazine)}")
    html = html_of(issue)
    parsed = tags_of(html)
    assert [t for t, _ in parsed.tags].count("style") == 1
    assert not any(t in ("script", "iframe") for t, _ in parsed.tags)
    assert not any(
        (a.get("href") or "").startswith(("javascript:", "issue.toml")) for _, a in parsed.tags
    )
    # Read back by a CSS parser, the running head's string is the name, exactly as written.
    import tinycss2

    rules = tinycss2.parse_stylesheet("".join(parsed.styles), skip_comments=True)
    body = [
        r
        for r in rules
        if r.type == "qualified-rule" and tinycss2.serialize(r.prelude).strip() == "body"
    ]
    (decl,) = [
        d for d in tinycss2.parse_blocks_contents(body[-1].content) if d.type == "declaration"
    ]
    assert decl.lower_name == "string-set"
    strings = [t.value for t in decl.value if t.type == "string"]
    assert strings[0] == magazine


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        (
            "website",
            "javascript:alert(1)//://",
            "'imprint.website': not a web address: 'javascript:alert(1)//://' "
            "(write it as https://example.org)",
        ),
        (
            "website",
            "JaVaScRiPt://x",
            "'imprint.website': not a web address: 'JaVaScRiPt://x' "
            "(write it as https://example.org)",
        ),
        (
            "website",
            "file:///etc/passwd",
            "'imprint.website': not a web address: "
            "'file:///etc/passwd' (write it as https://example.org)",
        ),
        (
            "website",
            "data:text/html,<b>x</b>",
            "'imprint.website': not a web address: "
            "'data:text/html,<b>x</b>' (write it as https://example.org)",
        ),
        (
            "email",
            "javascript:alert(1)@x.id",
            "'imprint.email': not an e-mail address: "
            "'javascript:alert(1)@x.id' (write it as name@example.org)",
        ),
    ],
)
def test_imprint_links_are_only_web_and_mail_addresses(
    issue: Path, key: str, value: str, expected: str
):
    toml = issue / "issue.toml"
    edit(
        toml,
        'publisher = "PT Uji Media"',
        f'publisher = "PT Uji Media"\n{key} = {json.dumps(value)}',
    )
    line = toml.read_text().split("\n").index(f"{key} = {json.dumps(value)}") + 1
    with pytest.raises(EditionError) as exc:
        load_issue(issue)
    what, _, hint = expected.rpartition(" (")
    assert findings_of(exc) == [f"{toml}:{line}: error: {what} ({hint} [issue.bad-value]"]


def test_a_bare_web_address_becomes_an_https_link(issue: Path):
    edit(
        issue / "issue.toml",
        'publisher = "PT Uji Media"',
        'publisher = "PT Uji Media"\nwebsite = "idm.example/langganan"\nemail = "r@idm.example"',
    )
    hrefs = {a.get("href") for _, a in tags_of(html_of(issue)).tags if a.get("href")}
    assert "https://idm.example/langganan" in hrefs
    assert "mailto:r@idm.example" in hrefs


def test_the_template_filter_never_makes_a_script_link():
    from edition.issue.text import web_url

    assert web_url("javascript:alert(1)//://") is None
    assert web_url("idm.id") == "https://idm.id"
    assert web_url("http://idm.id/a?b=1") == "http://idm.id/a?b=1"
    assert web_url('https://idm.id/"onmouseover=x') is None


# --- 4. issue ids are slugs; control characters never published -----------------------


@pytest.mark.parametrize(
    "name", ["javascript:alert(document.cookie)", "a b", ".hidden", "-x", "é", "a..b"]
)
def test_an_issue_folder_name_that_cannot_be_an_id_is_refused(tmp_path: Path, name: str):
    root = tmp_path / name
    shutil.copytree(FIXTURES / "minimal", root)
    with pytest.raises(EditionError) as exc:
        load_issue(root)
    assert findings_of(exc) == [
        f"{root}: error: the folder name '{name}' cannot be an issue's id (name the issue "
        "folder with letters, digits, '-', '_' or '.' only, starting with a letter or digit "
        "(e.g. 2024-05)) [issue.id]"
    ]


def test_control_characters_are_left_out_of_what_is_published(issue: Path):
    art = issue / "articles" / "gudang-baru.md"
    edit(
        art,
        'title: "Gudang Bahan Bakar Baru di Pelabuhan Kecil"',
        'title: "Gudang\\x01 Bahan\\x0c Bakar\\e[31m Baru"',
    )
    edit(
        issue / "issue.toml",
        'tagline = "Majalah Pertahanan Indonesia"',
        'tagline = "Majalah\\u001b]0;pwn\\u0007 Pertahanan"',
    )
    loaded = load_issue(issue)
    title = loaded.article("gudang-baru").title  # type: ignore[union-attr]
    assert title == "Gudang Bahan Bakar[31m Baru"
    assert loaded.spec.tagline == "Majalah]0;pwn Pertahanan"
    assert [str(f) for f in loaded.warnings] == [
        f"{issue / 'issue.toml'}:5: warning: 'tagline' holds control characters; they are "
        "left out (retype the text, or paste it as plain text) [text.control]",
        f"{art}:2: warning: 'title' holds control characters; they are left out (retype the "
        "text, or paste it as plain text) [text.control]",
    ]


@pytest.mark.parametrize("where", ["body", "title", "news"])
def test_a_word_too_long_to_lay_out_is_refused_before_layout(issue: Path, where: str):
    word = "w" * 5000
    art = issue / "articles" / "gudang-baru.md"
    if where == "body":
        art.write_text(art.read_text() + f"\nSebuah {word} kata.\n")
        line = art.read_text().split("\n").index(f"Sebuah {word} kata.") + 1
        expected = f"{art}:{line}: error: the article's text has"
    elif where == "title":
        edit(art, 'title: "Gudang Bahan Bakar Baru di Pelabuhan Kecil"', f'title: "{word}"')
        expected = f"{art}:2: error: title has"
    else:
        toml = issue / "issue.toml"
        edit(toml, 'text = "Sebuah kapal patroli', f'text = "{word} Sebuah kapal patroli')
        line = next(i for i, ln in enumerate(toml.read_text().split("\n"), 1) if word in ln)
        expected = f"{toml}:{line}: error: news.0.text has"
    started = time.perf_counter()
    with pytest.raises(EditionError) as exc:
        load_issue(issue)
    assert time.perf_counter() - started < 10
    assert findings_of(exc) == [
        f"{expected} a word of more than 200 characters ('{'w' * 24}...'), too long to lay "
        "out (break it with spaces or hyphens, or shorten it) [text.long-word]"
    ]


def test_a_long_link_target_is_not_a_long_word(issue: Path):
    art = issue / "articles" / "gudang-baru.md"
    art.write_text(art.read_text() + f"\n[tautan](https://example.org/{'a' * 400}) di sini.\n")
    load_issue(issue)


# --- 6. resource limits: YAML, TOML --------------------------------------------------------


def test_yaml_alias_bomb_is_refused_at_once(issue: Path):
    art = issue / "articles" / "gudang-baru.md"
    bomb = '---\na: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{','.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)
    )
    art.write_text(art.read_text().replace("---\n", bomb, 1))
    started = time.perf_counter()
    with pytest.raises(EditionError) as exc:
        load_issue(issue)
    assert time.perf_counter() - started < 5
    assert findings_of(exc) == [
        f"{art}:3: error: front matter is not valid YAML: aliases (*name) are not allowed in "
        "front matter (fix the YAML syntax; quote values that contain ':') [front-matter.yaml]"
    ]


@pytest.mark.parametrize("style", ["flow", "block"])
def test_deeply_nested_yaml_is_one_finding(issue: Path, style: str):
    art = issue / "articles" / "gudang-baru.md"
    if style == "flow":
        deep = "x: " + "[" * 600 + "]" * 600 + "\n"
    else:
        deep = "".join("  " * i + f"k{i}:\n" for i in range(600)) + "  " * 600 + "v: 1\n"
    art.write_text(art.read_text().replace("---\n", "---\n" + deep, 1))
    with pytest.raises(EditionError) as exc:
        load_issue(issue)
    (only,) = findings_of(exc)
    assert only.startswith(f"{art}:")
    assert only.endswith(
        "error: front matter is not valid YAML: nested more than 32 levels deep (fix the "
        "YAML syntax; quote values that contain ':') [front-matter.yaml]"
    )


@pytest.mark.parametrize("where", ["issue", "layout"])
def test_deeply_nested_toml_is_one_finding(issue: Path, where: str):
    deep = "x = " + "[" * 600 + "]" * 600 + "\n"
    if where == "issue":
        (issue / "issue.toml").write_text(deep + (issue / "issue.toml").read_text())
        expected = (
            f"{issue / 'issue.toml'}: error: issue.toml is nested too deeply (an issue needs "
            "tables two or three levels deep) [issue.toml-syntax]"
        )
    else:
        (issue / "layouts" / "mine").mkdir(parents=True)
        (issue / "layouts" / "mine" / "layout.toml").write_text('extends = "classic"\n' + deep)
        edit(issue / "issue.toml", "number = 7", 'number = 7\nlayout = "mine"')
        expected = (
            f"{issue / 'layouts' / 'mine' / 'layout.toml'}: error: layout.toml is nested too "
            "deeply [layout.toml-syntax]"
        )
    with pytest.raises(EditionError) as exc:
        issue_loaded = load_issue(issue)
        load_layout(issue_loaded.spec.layout, issue)
    assert findings_of(exc) == [expected]


# --- layout.toml of an issue: bad values are findings ------------------------------------

LAYOUT_CASES = {
    "width = inf": (
        "[page]\nwidth = inf",
        3,
        "'page.width': input should be a finite number (correct the value)",
    ),
    "width = nan": (
        "[page]\nwidth = nan",
        3,
        "'page.width': input should be a finite number (correct the value)",
    ),
    "margins wider than the page": (
        "[page]\ninside = 500",
        2,
        "'page': the margins leave -303 x 265 mm for text (leave "
        "at least 40 mm across and 60 mm down)",
    ),
    "a field that is not filled in": (
        '[strings.id]\nedition = "{nomor}"',
        2,
        "'strings.id': 'edition' names nomor, which is "
        "not filled in (it may use {month}, {number})",
    ),
    "a field read by attribute": (
        '[strings.id]\nedition = "{number.__class__.__mro__}"',
        2,
        "'strings.id': 'edition' "
        "names number.__class__.__mro__, which is not filled in (it may use {month}, {number})",
    ),
    "an unmatched brace": (
        '[strings.id]\npage_ref = "hlm. {"',
        2,
        "'strings.id': 'page_ref' has an unmatched '{' or '}' (write a brace as '{{' or '}}')",
    ),
    "a colour name that breaks the CSS": (
        '[colors]\n"a;}</style>" = [0, 0, 0, 100]',
        3,
        "'colors.a;}</style>': string should "
        "match pattern '^[a-z][a-z0-9-]{0,40}$' (correct the value)",
    ),
    "a photo ratio of 1e308": (
        "[photos]\nfigure_ratio = 1e308",
        3,
        "'photos.figure_ratio': input should be less than or equal to 10 (correct the value)",
    ),
    "a shade from the left": (
        '[photos]\ncover_shade = [["left", 0.5, 30, 1.0]]',
        3,
        "'photos.cover_shade.0.0' cannot be 'left' (use one of 'top' or 'bottom')",
    ),
    "a font weight that is not one": (
        '[[fonts]]\nfamily = "X"\nfiles = { abc = "Inter-Regular.otf" }',
        4,
        "'fonts.0.files.abc': string should match pattern '^[1-9]00i?$' (correct the value)",
    ),
}


@pytest.mark.parametrize("name", LAYOUT_CASES)
def test_bad_values_in_an_issue_layout_are_findings(issue: Path, name: str):
    toml, line, what = LAYOUT_CASES[name]
    path = issue / "layouts" / "mine" / "layout.toml"
    path.parent.mkdir(parents=True)
    path.write_text(f'extends = "classic"\n{toml}\n')
    with pytest.raises(EditionError) as exc:
        load_layout("mine", issue)
    code = "bad-value"
    assert findings_of(exc) == [f"{path}:{line}: error: {what} [layout.{code}]"]
