"""Hardening: what a hostile issue folder, ad, cache, page or option must not do (run code,
read files, hang the machine, print the wrong photo, crash the tool), one test per finding
of the outside tester's report (issue 14) and its variants. Most need no PDF; the few that
build share one build (module-scoped) and are marked slow."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pikepdf
import pytest
from conftest import FIXTURES, invoke
from PIL import Image, TiffImagePlugin, TiffTags

from edition.errors import EditionError
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
    """The bytecode cache that ran planted code is gone: the environment's cache is in
    memory, not in a folder, and a compiled template planted where it used to be
    (OUT/.cache/templates) is not used."""
    import jinja2

    from edition.layout.templates import environment

    layout = load_layout("classic", issue)
    env = environment(layout, issue)
    assert not isinstance(
        env.bytecode_cache, (jinja2.FileSystemBytecodeCache, jinja2.MemcachedBytecodeCache)
    )
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


# --- 10. caches keyed and checked by content ----------------------------------------------


def test_a_redelivered_file_with_the_same_size_and_time_is_hashed_again(tmp_path: Path):
    from edition.store.stamps import HashBook

    photo = tmp_path / "foto.jpg"
    Image.new("RGB", (40, 30), (200, 0, 0)).save(photo, quality=95)
    book = HashBook(tmp_path / "hashes.json")
    first = book.sha256(photo)
    book.save()
    st = photo.stat()
    data = bytearray(photo.read_bytes())
    data[len(data) // 2] ^= 0xFF  # another photo of the same size
    assert len(data) == st.st_size
    photo.write_bytes(data)
    os.utime(photo, ns=(st.st_atime_ns, st.st_mtime_ns))  # as `cp -p` or unzip leave it
    assert HashBook(tmp_path / "hashes.json").sha256(photo) != first


def test_an_edited_hash_book_is_not_believed(tmp_path: Path):
    from edition.store.stamps import HashBook, sha256_file

    a, b = tmp_path / "a.jpg", tmp_path / "b.jpg"
    Image.new("RGB", (40, 30), (200, 0, 0)).save(a)
    Image.new("RGB", (40, 30), (0, 0, 200)).save(b)
    book = HashBook(tmp_path / "hashes.json")
    book.sha256(a), book.sha256(b)
    book.save()
    entries = json.loads((tmp_path / "hashes.json").read_text())
    # Someone gives a.jpg the hash of b.jpg (so that b's prepared photo is printed for a).
    entries[str(a.resolve())][-2] = entries[str(b.resolve())][-2]
    (tmp_path / "hashes.json").write_text(json.dumps(entries))
    assert HashBook(tmp_path / "hashes.json").sha256(a) == sha256_file(a)


def prepare(source: Path, cache: Path):
    from edition.photos.prepare import prepare_images

    req = ImageRequest(source, 40.0, 30.0, dpi=150)
    return prepare_images([req], cache, workers=1)[req]


@pytest.mark.parametrize("damage", ["in place, same size and time", "another photo", "ledger"])
def test_a_tampered_cached_photo_is_made_again(tmp_path: Path, damage: str):
    photo, other = tmp_path / "foto.png", tmp_path / "lain.png"
    Image.radial_gradient("L").convert("RGB").save(photo)
    Image.new("RGB", (256, 256), (0, 90, 0)).save(other)
    cache = tmp_path / "dist" / ".cache" / "images"
    made = prepare(photo, cache)
    good = made.path.read_bytes()
    if damage == "in place, same size and time":
        st = made.path.stat()
        broken = bytearray(good)
        broken[len(broken) // 2 : len(broken) // 2 + 64] = bytes(64)
        made.path.write_bytes(bytes(broken))
        os.utime(made.path, ns=(st.st_atime_ns, st.st_mtime_ns))
    elif damage == "another photo":
        made.path.write_bytes(prepare(other, tmp_path / "elsewhere").path.read_bytes())
    else:  # the ledger says the damaged file is fine
        ledger = cache.with_name("images-ledger.json")
        entries = json.loads(ledger.read_text())
        made.path.write_bytes(good[:-100])
        entries[made.path.name]["sha256"] = __import__("hashlib").sha256(good[:-100]).hexdigest()
        ledger.write_text(json.dumps(entries))
    again = prepare(photo, cache)
    assert not again.reused
    assert again.path.read_bytes() == good


def test_an_untouched_cached_photo_is_reused(tmp_path: Path):
    photo = tmp_path / "foto.png"
    Image.radial_gradient("L").convert("RGB").save(photo)
    cache = tmp_path / "dist" / ".cache" / "images"
    prepare(photo, cache)
    assert prepare(photo, cache).reused


def test_the_cache_folder_is_private_and_someone_elses_is_refused(tmp_path: Path):
    from edition.store.seal import private_cache

    folder = tmp_path / "dist" / ".cache"
    folder.mkdir(parents=True, mode=0o777)
    os.chmod(folder, 0o777)
    private_cache(folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    if os.getuid() != 0:
        pytest.skip("only root can give a folder to another user")
    os.chown(folder, 65534, 65534)
    with pytest.raises(EditionError) as exc:
        private_cache(folder)
    assert findings_of(exc) == [
        f"{folder}: error: the cache folder belongs to another user (uid 65534) (remove it, "
        "or build into an --out of your own) [output.cache]"
    ]


def test_the_fingerprint_is_of_the_folder_before_it_is_read(
    issue: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A collect that adds an article while a build reads the issue: the build records the
    issue as it was before, so the next build (or archive) sees the change."""
    import edition.commands.build as build
    from edition.commands.build import BuildResult, build_edition, current_fingerprint
    from edition.store.paths import Output

    before = tmp_path / "before" / issue.name
    shutil.copytree(issue, before)
    real_load = build.load_issue

    def load_while_collecting(root: Path):
        art = issue / "articles" / "gudang-baru.md"
        art.write_text(art.read_text() + "\nParagraf yang datang saat build membaca.\n")
        return real_load(root)

    def fake_build(plan, profile, output, target, *args, **kwargs):
        target.parent.mkdir(parents=True, exist_ok=True)
        with pikepdf.new() as pdf:  # the build reads it back to find the photos in it
            pdf.add_blank_page()
            pdf.save(target)
        return BuildResult(target, 1, 0.0), {}

    monkeypatch.setattr(build, "load_issue", load_while_collecting)
    monkeypatch.setattr(build, "_build", fake_build)
    monkeypatch.setattr("edition.check.sources.check_sources", lambda *a, **k: [])
    monkeypatch.setattr("edition.check.preflight.check_pdf", lambda *a, **k: [])
    monkeypatch.setattr("edition.publish.meta.record_build", lambda *a, **k: None)
    out = Output(tmp_path / "dist")
    result = build_edition(issue, "print", out.root)
    assert result.fingerprint == current_fingerprint(before, out)
    assert result.fingerprint != current_fingerprint(issue, out)


def test_an_unreadable_file_in_the_issue_folder_does_not_stop_the_fingerprint(issue: Path):
    from edition.store.stamps import HashBook, fingerprint

    (issue / "loop").symlink_to(issue / "loop")
    (issue / "photos" / "dangling.jpg").symlink_to(issue / "nowhere.jpg")
    (issue / "notes").mkdir()
    (issue / "notes" / "x.txt").write_text("x")
    before = fingerprint(issue, [], HashBook(None))
    if os.getuid() != 0:  # root reads what others cannot
        os.chmod(issue / "notes" / "x.txt", 0)
        assert fingerprint(issue, [], HashBook(None)) != before
    load_issue(issue)


# --- 12, 13. collect: a transaction under the issue's lock --------------------------------

PASTE = (
    "{title}\n\n"
    "Jakarta, IDM \u2013 Kalimat pertama berita ini cukup panjang untuk dianggap paragraf "
    "sebuah artikel berita yang sesungguhnya oleh pengurai teks.\n\n"
    "Paragraf kedua menambah keterangan tentang peristiwa yang sama dengan kalimat yang "
    "juga cukup panjang untuk dihitung.\n"
)


def paste(tmp_path: Path, n: int, title: str | None = None) -> Path:
    path = tmp_path / f"paste-{n}.txt"
    path.write_text(PASTE.format(title=title or f"Kapal Patroli Nomor {n} Diluncurkan di Surabaya"))
    return path


def listed(issue: Path) -> set[str]:
    import tomllib

    data = tomllib.loads((issue / "issue.toml").read_text("utf-8-sig"))
    return {s for r in data["rubrics"] for s in r["articles"]}


def leftovers(issue: Path) -> list[str]:
    return sorted(p.name for p in issue.rglob("*") if p.name.endswith(".tmp") or "commit" in p.name)


def test_two_collects_at_once_both_land(issue: Path, tmp_path: Path):
    from edition.collect.into import collect_into

    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            collect_into([str(paste(tmp_path, n))], issue)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    slugs = {p.stem for p in (issue / "articles").glob("*.md")}
    assert slugs <= listed(issue) and len(slugs) == 3 + 6
    assert leftovers(issue) == []


KILLED_COLLECT = """
import os, signal, sys
from pathlib import Path
real_replace = os.replace
count = 0
def replace(src, dst, *a, **k):
    global count
    count += 1
    if count == int(sys.argv[1]):
        os.kill(os.getpid(), signal.SIGKILL)
    return real_replace(src, dst, *a, **k)
os.replace = replace
from edition.collect.into import collect_into
collect_into(sys.argv[3:], Path(sys.argv[2]))
"""


@pytest.mark.parametrize("kill_at", [1, 3, 5])
def test_collect_killed_midway_leaves_no_unlisted_article_once_recovered(
    issue: Path, tmp_path: Path, kill_at: int
):
    before = (issue / "issue.toml").read_bytes()
    sources = [str(paste(tmp_path, n)) for n in range(3)]
    proc = subprocess.run(
        [sys.executable, "-c", KILLED_COLLECT, str(kill_at), str(issue), *sources],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert not [p for p in issue.rglob("*.tmp")]
    load_issue(issue)  # reading the issue finishes (or undoes) what the kill interrupted
    articles = {p.stem for p in (issue / "articles").glob("*.md")}
    assert articles <= listed(issue)
    assert leftovers(issue) == []
    if kill_at == 1:  # killed before its commit point (the journal): nothing changed
        assert (issue / "issue.toml").read_bytes() == before
    else:  # killed after it: the whole change is there
        assert len(articles) == 6


def test_collect_on_a_full_disk_changes_nothing(
    issue: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from edition.collect.into import collect_into

    before = {p: p.read_bytes() for p in issue.rglob("*") if p.is_file()}
    calls = 0

    def fsync(fd: int) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("edition.store.transaction.os.fsync", fsync)
    with pytest.raises(EditionError) as exc:
        collect_into([str(paste(tmp_path, 1)), str(paste(tmp_path, 2))], issue)
    (only,) = findings_of(exc)
    assert only.endswith(
        "error: cannot write the file: No space left on device (free some disk space or check "
        "the folder's permissions, or choose another --out) [output.write]"
    )
    assert {p: p.read_bytes() for p in issue.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize("form", ["bom", "crlf", "bom+crlf"])
def test_collect_keeps_the_bom_and_line_ends_of_issue_toml(issue: Path, tmp_path: Path, form: str):
    from edition.collect.into import collect_into

    toml = issue / "issue.toml"
    text = toml.read_text()
    data = text.replace("\n", "\r\n") if "crlf" in form else text
    toml.write_bytes((b"\xef\xbb\xbf" if "bom" in form else b"") + data.encode())
    load_issue(issue)  # build reads it
    collect_into([str(paste(tmp_path, 1))], issue)
    raw = toml.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") == ("bom" in form)
    if "crlf" in form:
        assert b"\n" not in raw.replace(b"\r\n", b"")
    assert "kapal-patroli-nomor-1-diluncurkan-di" in listed(issue)
    load_issue(issue)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            b'number = 7\ntitle = "caf\xe9"\n',
            "2: error: issue.toml is not UTF-8 text (byte "
            "0xe9) (save issue.toml as UTF-8) [collect.issue-toml]",
        ),
        (
            b"x = " + b"[" * 600 + b"]" * 600 + b"\n",
            "1: error: issue.toml is not valid TOML: TOML value nested more than 100 levels "
            "deep at line 1 col 104 (fix issue.toml first) [collect.issue-toml]",
        ),
    ],
)
def test_collect_into_an_unreadable_issue_toml_is_one_finding(
    issue: Path, tmp_path: Path, content: bytes, expected: str
):
    from edition.collect.into import collect_into

    (issue / "issue.toml").write_bytes(content)
    with pytest.raises(EditionError) as exc:
        collect_into([str(paste(tmp_path, 1))], issue)
    assert findings_of(exc) == [
        f"{issue / 'issue.toml'}{':' if expected[0].isdigit() else ''}{expected}"
    ]


@pytest.mark.parametrize(
    "pump",
    ["x!!!!!!", "x!", " ", "a ", "1", "(", " (", "A.", "a.", "- ", "Aa ", ":", "| ", "x"],
)
@pytest.mark.parametrize("prefix", ["Share ", "Bagikan: ", "Foto: ", "Tags: ", "(", "Oleh "])
def test_collect_ends_quickly_on_adversarial_lines(prefix: str, pump: str):
    from edition.collect.article import collect_article

    body = PASTE.format(title="Judul Berita yang Cukup Panjang").split("\n", 2)[2]
    for line in (prefix + pump * 11 + "zz", prefix + pump * (20000 // len(pump)) + "zz"):
        for text in (f"Judul Berita Sedang\n\n{line}\n\n{body}", f"Judul\n\n{body}\n{line}\n"):
            started = time.perf_counter()
            with contextlib.suppress(EditionError):
                collect_article(text, "x.txt")
            assert time.perf_counter() - started < 2, (prefix, pump, len(line))


def test_collected_titles_carry_no_terminal_controls(issue: Path, tmp_path: Path):
    from edition.collect.into import collect_into

    page = tmp_path / "page.html"
    saved = (FIXTURES.parent / "collect" / "full_page.html").read_text()
    evil = "Drone &#27;[2J&#27;]0;x&#7;Buatan Dalam Negeri Lolos Uji Terbang Jarak Jauh"
    page.write_text(saved.replace("Drone Buatan Dalam Negeri Lolos Uji Terbang Jarak Jauh", evil))
    (article,) = collect_into([str(page)], issue)
    text = (issue / "articles" / f"{article.slug}.md").read_text()
    assert "\x1b" not in text and "\x07" not in text
    assert article.front_matter["title"] == (
        "Drone [2J]0;xBuatan Dalam Negeri Lolos Uji Terbang Jarak Jauh"
    )
    typed = paste(tmp_path, 9, "Judul\x1b[31m Merah\x9b2J Sekali Ini")
    result = invoke(["collect", str(typed), "--into", issue])
    assert "\x1b" not in result.output and "\x9b" not in result.output
    assert "Judul[31m Merah2J Sekali Ini" in result.output


# --- 4. the catalogue: ids as slugs, well-formed XML, only safe links ---------------------


def tiny_pdf(path: Path) -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.save(path)


def dist_issue(dist: Path, issue_id: str, **fields: object) -> Path:
    folder = dist / issue_id
    tiny_pdf(folder / f"{issue_id}-screen.pdf")
    meta = {
        "schema": 1,
        "id": issue_id,
        "number": 7,
        "date": "2024-05-19",
        "date_text": "Minggu, 19 Mei 2024",
        "month_text": "Mei 2024",
        "title": "Edisi Uji",
        "magazine": "IDM",
        "tagline": "Majalah",
        "language": "id",
        "cover_lines": ["Satu"],
        "contents": [{"title": "Artikel", "page": 3, "kind": "article", "rubric": "R", "level": 2}],
        "profiles": {"screen": {"file": f"{issue_id}-screen.pdf", "pages": 1, "sha256": "x"}},
    }
    meta.update(fields)
    (folder / f"{issue_id}.json").write_text(json.dumps(meta))
    return folder


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src"):
                self.urls.append(value or "")
            elif name == "srcset":
                self.urls += [part.split()[0] for part in (value or "").split(",")]


def assert_published_safely(dist: Path) -> None:
    ET.parse(dist / "opds.xml")  # well-formed
    for page in dist.rglob("index.html"):
        parser = Links()
        parser.feed(page.read_text())
        for url in parser.urls:
            scheme = url.split(":", 1)[0].lower() if ":" in url.split("/")[0] else ""
            assert scheme in ("", "http", "https"), (page, url)
    for path in [dist / "opds.xml", dist / "issues.json", *dist.rglob("index.html")]:
        text = path.read_text()
        assert not any(ch in text for ch in "\x01\x0c\x1b\x7f\ufffe"), path


def test_an_issue_id_that_is_a_script_url_never_becomes_a_link(tmp_path: Path):
    from edition.publish.catalog import write_catalog

    dist = tmp_path / "dist"
    dist_issue(dist, "2024-05")
    dist_issue(dist, "javascript:alert(document.cookie)", id="javascript:alert(document.cookie)")
    result = write_catalog(dist)
    assert result.issues == 1
    assert_published_safely(dist)
    assert "javascript" not in (dist / "index.html").read_text()


def test_control_characters_in_titles_leave_the_feed_well_formed(tmp_path: Path):
    from edition.publish.catalog import write_catalog

    dist = tmp_path / "dist"
    dist_issue(
        dist,
        "2024-05",
        title="Edisi\x01 Uji\x0c\x1b[31m",
        cover_lines=["Satu\x01", "Dua\x1b]0;x\x07"],
        contents=[
            {"title": "Art\x0cikel", "page": 3, "kind": "article", "rubric": "R\x01", "level": 2}
        ],
    )
    write_catalog(dist)
    assert_published_safely(dist)
    feed = ET.parse(dist / "opds.xml").getroot()
    summaries = [e.text for e in feed.iter("{http://www.w3.org/2005/Atom}summary")]
    assert summaries == ["Minggu, 19 Mei 2024: Satu · Dua]0;x"]


def test_a_pdf_name_that_leads_out_of_its_folder_is_not_used(tmp_path: Path):
    from edition.publish.catalog import write_catalog

    dist = tmp_path / "dist"
    tiny_pdf(tmp_path / "secret.pdf")
    dist_issue(dist, "2024-05")
    dist_issue(
        dist,
        "2024-04",
        date="2024-04-19",
        profiles={"screen": {"file": "../../secret.pdf", "pages": 1, "sha256": "x"}},
    )
    assert write_catalog(dist).issues == 1


@pytest.mark.parametrize("url", ["javascript:alert(1)//", "file:///etc/", "idm.example"])
def test_catalog_base_url_must_be_a_web_address(tmp_path: Path, url: str):
    from edition.publish.catalog import write_catalog

    dist = tmp_path / "dist"
    dist_issue(dist, "2024-05")
    with pytest.raises(EditionError) as exc:
        write_catalog(dist, base_url=url)
    assert findings_of(exc) == [
        f"error: --base-url must be an http or https address, not {url!r} (give where DIST "
        "is published, e.g. https://example.org/edisi/) [catalog.base-url]"
    ]


# --- stamp, new: one line, never an internal error -------------------------------------------


@pytest.fixture
def screen_pdf(tmp_path: Path) -> Path:
    path = tmp_path / "in" / "edisi-screen.pdf"
    tiny_pdf(path)
    return path


@pytest.mark.parametrize(
    ("name", "shown"),
    [("Budi\x1b[2J\x1b]0;x\x07", "'Budi\\x1b[2J\\x1b]0;x\\x07'"), ("Budi\udcff", "'Budi\\udcff'")],
)
def test_stamp_refuses_a_name_with_controls_or_that_is_not_text(
    screen_pdf: Path, tmp_path: Path, name: str, shown: str
):
    from edition.publish.stamp import stamp_pdf

    with pytest.raises(EditionError) as exc:
        stamp_pdf(screen_pdf, tmp_path / "out.pdf", name=name, licence_id="A-1")
    what = "holds control characters" if "\x1b" in name else "is not valid text"
    hint = "give --name without them" if "\x1b" in name else "give --name as UTF-8 text"
    assert findings_of(exc) == [
        f"error: the subscriber's name {what}: {shown} ({hint}) [stamp.bad-text]"
    ]
    assert not (tmp_path / "out.pdf").exists()


def test_stamp_to_a_path_under_a_file_is_one_line(screen_pdf: Path, tmp_path: Path):
    (tmp_path / "afile").write_text("x")
    result = invoke(
        [
            "stamp",
            screen_pdf,
            "--name",
            "Budi",
            "--id",
            "A-1",
            "--out",
            tmp_path / "afile" / "x.pdf",
        ],
        exit_code=2,
    )
    assert result.output.splitlines()[0].endswith(
        "x.pdf: error: cannot write the file: a file is in the way of its folder (free some "
        "disk space or check "
        "the folder's permissions, or choose another --out) [output.write]"
    )


def test_stamp_on_a_full_disk_is_one_line(
    screen_pdf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from edition.publish.stamp import stamp_pdf

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("edition.store.atomic.os.fsync", full)
    with pytest.raises(EditionError) as exc:
        stamp_pdf(screen_pdf, tmp_path / "out.pdf", name="Budi", licence_id="A-1")
    assert findings_of(exc) == [
        f"{tmp_path / 'out.pdf'}: error: cannot write the file: No space left on device (free "
        "some disk space or check the folder's permissions, or choose another --out) "
        "[output.write]"
    ]
    assert list(tmp_path.glob("*.tmp")) == list(tmp_path.glob(".*.tmp")) == []


def test_new_on_an_existing_file_is_one_line(tmp_path: Path):
    (tmp_path / "2024-06").write_text("x")
    result = invoke(
        ["new", tmp_path / "2024-06", "--number", "8", "--date", "2024-06-16"], exit_code=2
    )
    assert result.output.splitlines()[0] == (
        f"{tmp_path / '2024-06'}: error: a file of that name already exists (choose a new "
        "folder name) [new.exists]"
    )


# --- TIFF fields of the wrong type, refused @color-profile sources ------------------------


@pytest.mark.parametrize("tag", [700, 34675])
def test_a_tiff_with_a_numeric_xmp_or_icc_field_is_handled(tmp_path: Path, tag: int):
    from edition.issue.images import inspect_image
    from edition.photos.prepare import prepare_one

    info = TiffImagePlugin.ImageFileDirectory_v2()
    info[tag] = 12345
    info.tagtype[tag] = TiffTags.LONG
    path = tmp_path / "foto.tif"
    Image.new("RGB", (60, 40), (200, 10, 10)).save(path, tiffinfo=info)
    req = ImageRequest(path, 20.0, 15.0, dpi=100)
    try:
        inspect_image(path)
        prepare_one(req, tmp_path, "x")  # what check accepts, build prepares
    except EditionError as exc:
        assert [str(f) for f in exc.findings] == [
            f"{path}: error: image cannot be read (expected string or bytes-like object, got "
            "'int') (replace it with a valid JPEG or PNG) [image.corrupt]"
        ]


def test_a_refused_color_profile_source_is_one_finding(tmp_path: Path):
    from edition.pdf.worker import Job, render_job

    html = '<style>@color-profile --x { src: url("file:///etc/passwd") }</style><p>x</p>'
    with pytest.raises(EditionError) as exc:
        render_job(Job("k", html, tmp_path.as_uri() + "/", (str(tmp_path),), (), None))
    assert findings_of(exc) == [
        "error: a stylesheet needs 'file:///etc/passwd', which is refused (only files inside "
        "the issue, the layout and assets/ can be used) [safety.fetch]"
    ]


# --- archive --verify: a damaged PDF differs ---------------------------------------------


def archive_pdf(path: Path) -> None:
    pdf = pikepdf.new()
    for _ in range(3):
        pdf.add_blank_page(page_size=(595, 842))
        pdf.pages[-1].contents_add(pikepdf.Stream(pdf, b"0 0 1 rg 10 10 100 100 re f"))
    with pdf.open_metadata(set_pikepdf_as_editor=False) as xmp:
        xmp["dc:title"] = "Edisi Uji"
    pdf.attachments["issue.toml"] = pikepdf.AttachedFileSpec(pdf, b"number = 7\n")
    pdf.save(
        path,
        deterministic_id=True,
        compress_streams=True,
        object_stream_mode=pikepdf.ObjectStreamMode.disable,
    )


def tamper(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "cut short":
        data = data[: len(data) // 2]
    elif how == "garbage appended":
        data += b"\x00garbage" * 100
    elif how == "xref destroyed":
        data = data.replace(b"xref", b"xxxx").replace(b"startxref", b"startxxxx")
    elif how == "a stream broken":
        at = data.index(b"stream\n") + 10
        data = data[:at] + bytes(40) + data[at + 40 :]
    elif how == "not a PDF":
        data = b"<html>not a pdf</html>"
    elif how == "encrypted":
        with pikepdf.open(path) as pdf:
            buf = io.BytesIO()
            pdf.save(buf, encryption=pikepdf.Encryption(owner="o", user="u"))
            data = buf.getvalue()
    path.write_bytes(data)


@pytest.mark.parametrize(
    "how",
    [
        "cut short",
        "garbage appended",
        "xref destroyed",
        "a stream broken",
        "not a PDF",
        "encrypted",
    ],
)
def test_verify_says_differs_for_a_damaged_pdf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
):
    from edition.commands import archive
    from edition.commands.build import BuildResult

    fresh = tmp_path / "fresh.pdf"
    archive_pdf(fresh)
    kept = tmp_path / "dist" / "2024-05" / "2024-05-archive.pdf"
    kept.parent.mkdir(parents=True)
    archive_pdf(kept)
    tamper(kept, how)

    def rebuilt(issue_dir: Path, profile: str, out: Path, **kwargs: object) -> BuildResult:
        target = out / "2024-05" / "2024-05-archive.pdf"
        target.parent.mkdir(parents=True)
        shutil.copy(fresh, target)
        return BuildResult(target, 3, 0.0)

    monkeypatch.setattr("edition.commands.build.build_edition", rebuilt)
    outcome = archive.verify_job(archive.Job(tmp_path / "2024-05", "archive"), tmp_path / "dist")
    assert outcome.status == archive.DIFFERS, outcome.lines
    assert outcome.lines and all("\n" not in line for line in outcome.lines)


# --- 3. the embedded Dask cluster accepts no one else -------------------------------------


@pytest.mark.slow
def test_the_embedded_cluster_speaks_tls_and_refuses_other_clients():
    from distributed import Client
    from distributed.security import Security

    from edition.commands.archive import dask_client

    with dask_client(1) as client:
        address = client.scheduler.address
        assert address.startswith("tls://127.0.0.1:")
        workers = client.scheduler_info()["workers"]
        assert workers and all(w.startswith("tls://127.0.0.1:") for w in workers)
        assert client.submit(sum, [1, 2]).result() == 3
        # Dask's web server (no dashboard, but metrics, logs, a proxy to the workers):
        # a port the system chose, and nothing served.
        (port,) = client.scheduler_info()["services"].values()
        assert port != 8787
        for path in ("/health", "/metrics", "/info/main/workers.html", "/json/identity.json"):
            with pytest.raises(urllib.error.HTTPError) as answer:
                urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5)
            answer.value.close()  # its connection, else closed by the garbage collector
            assert answer.value.code == 404
        for security in (None, Security.temporary()):
            with pytest.raises((OSError, TypeError, TimeoutError)):
                intruder = Client(address, timeout="3s", security=security)
                intruder.submit(os.system, f"touch {MARK}").result(timeout=3)
        plain = address.replace("tls://", "tcp://")
        with pytest.raises((OSError, TimeoutError)):
            Client(plain, timeout="3s")
    assert not Path(MARK).exists()


# --- 7. a PDF ad that draws itself billions of times --------------------------------------


def nested_forms(path: Path, depth: int = 14) -> None:
    """A few KB of PDF: each form XObject draws the next one four times."""
    pdf = pikepdf.new()
    prev = None
    for _ in range(depth):
        if prev is None:
            content, resources = b"0 0 1 rg 0 0 100 100 re f", pikepdf.Dictionary()
        else:
            content = b" ".join(
                f"q 0.5 0 0 0.5 {x} {y} cm /X Do Q".encode() for x in (0, 50) for y in (0, 50)
            )
            resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(X=prev))
        form = pikepdf.Stream(
            pdf,
            content,
            Type=pikepdf.Name.XObject,
            Subtype=pikepdf.Name.Form,
            BBox=pikepdf.Array([0, 0, 100, 100]),
            Resources=resources,
        )
        prev = pdf.make_indirect(form)
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=pikepdf.Array([0, 0, 595, 842]),
        Contents=pikepdf.Stream(pdf, b"q 5.95 0 0 8.42 0 0 cm /X Do Q"),
        Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(X=prev)),
    )
    pdf.pages.append(pikepdf.Page(page))
    pdf.save(path, compress_streams=True)


@pytest.mark.slow
def test_a_pdf_ad_bomb_ends_in_one_line_within_its_ceilings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from edition.issue.images import inspect_image
    from edition.photos.prepare import prepare_one

    ad = tmp_path / "iklan.pdf"
    nested_forms(ad)
    assert ad.stat().st_size < 8000
    started = time.perf_counter()
    assert inspect_image(ad).size == (2479, 3508)  # the page's size without drawing it
    assert time.perf_counter() - started < 5
    monkeypatch.setenv("EDITION_AD_SECONDS", "20")
    monkeypatch.setenv("EDITION_AD_MEMORY_MB", "768")
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with pytest.raises(EditionError) as exc:
        prepare_one(ImageRequest(ad, 210.0, 297.0, dpi=300), tmp_path, "x")
    seconds = time.perf_counter() - started
    assert seconds < 60  # 20 s of ceiling, and a loaded machine
    (only,) = findings_of(exc)
    assert only in (
        f"{ad}: error: rasterising the PDF artwork took longer than 20 s (simplify it, or on "
        "a slow machine raise EDITION_AD_SECONDS) [limit.time]",
        f"{ad}: error: rasterising the PDF artwork needs more than 768 MB of memory (simplify "
        "it, or on a slow machine raise EDITION_AD_MEMORY_MB) [limit.memory]",
    )
    # The memory was the child's, and it was capped; this process did not grow.
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before < 200_000  # KB
    assert not list(tmp_path.glob("*.jpg"))


def test_a_pdf_ad_is_still_rasterised(tmp_path: Path):
    from edition.photos.prepare import prepare_one

    ad = tmp_path / "iklan.pdf"
    nested_forms(ad, depth=3)
    made = prepare_one(ImageRequest(ad, 50.0, 70.0, dpi=72), tmp_path, "x")
    with Image.open(made.path) as img:
        assert img.size == (made.width_px, made.height_px)
        assert img.convert("RGB").getpixel((img.width // 2, img.height // 2))[2] > 150  # blue


# --- a build of a hostile issue: refusals survive the section cache, nothing planted runs,
# --- nothing RGB in print, a section's ceiling ---------------------------------------------


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[str]]:
    import jinja2

    base = tmp_path_factory.mktemp("hostile")
    root = base / "2024-05"
    shutil.copytree(FIXTURES / "minimal", root)
    (root / "templates").mkdir()
    (root / "templates" / "edition.html.j2").write_text(
        TEMPLATE.read_text().replace(
            "</body>",
            '<img src="file:///etc/passwd" alt=""><link rel="stylesheet" '
            'href="https://example.com/x.css"><hr><a href="https://example.com/">tautan</a>'
            "</body>",
        )
    )
    art = root / "articles" / "gudang-baru.md"
    art.write_text(art.read_text() + "\n***\n\nSetelah garis, [sebuah tautan](https://idm.id).\n")
    out = base / "dist"
    # A compiled template planted where the old bytecode cache was.
    planted = out / ".cache" / "templates"
    planted.mkdir(parents=True)
    marker = base / MARK
    evil = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(root / "templates"), str(TEMPLATE.parent)]),
        bytecode_cache=jinja2.FileSystemBytecodeCache(str(planted)),
    )
    code = evil.compile(f"{{{{ cycler.__init__.__globals__.os.system('touch {marker}') }}}}")
    for name in ("edition.html.j2", "sections.html.j2"):
        source, filename, _ = evil.loader.get_source(evil, name)  # type: ignore[union-attr]
        bucket = evil.bytecode_cache.get_bucket(evil, name, filename, source)  # type: ignore[union-attr]
        bucket.code = code
        evil.bytecode_cache.set_bucket(bucket)  # type: ignore[union-attr]
    # The second build writes the HTML too, so it is not skipped as unchanged: every
    # section comes from the section cache. Both exit 1: the minimal fixture has preflight
    # errors by design (small photos, no ISSN).
    outputs = [
        invoke(["build", root, "--out", out, *extra], exit_code=1).output
        for extra in ([], ["--html"])
    ]
    return root, out, outputs


REFUSED = [
    "warning: refused to load 'file:///etc/passwd' (only files inside the issue, the layout "
    "and assets/ can be used) [safety.fetch]",
    "warning: refused to load 'https://example.com/x.css' (only files inside the issue, the "
    "layout and assets/ can be used) [safety.fetch]",
]


@pytest.mark.slow
def test_refusals_come_back_when_sections_come_from_the_cache(hostile_build):
    _, _, (first, second) = hostile_build
    assert ", 0 reused, " in first.splitlines()[-1]
    assert " 0 sections laid out, " in second.splitlines()[-1]
    for output in (first, second):
        for line in REFUSED:
            assert line in output.splitlines(), output


@pytest.mark.slow
def test_no_planted_template_code_ran(hostile_build):
    root, _, _ = hostile_build
    assert not (root.parent / MARK).exists()


def rgb_operators(pdf: pikepdf.Pdf) -> list[str]:
    """rg/RG operators in every page and form XObject of the PDF."""
    found: list[str] = []
    seen: set[tuple[int, int]] = set()

    def walk(owner: pikepdf.Object, label: str) -> None:
        try:
            ops = pikepdf.parse_content_stream(owner)
        except pikepdf.PdfError:
            return
        found.extend(f"{label}: {op}" for _, op in ops if str(op) in ("rg", "RG"))
        xobjects = owner.get("/Resources", {}).get("/XObject", {})
        for name, x in xobjects.items():
            if x.get("/Subtype") == "/Form" and x.objgen not in seen:
                seen.add(x.objgen)
                walk(x, f"{label} {name}")

    for n, page in enumerate(pdf.pages, 1):
        walk(page.obj, f"page {n}")
    return found


@pytest.mark.slow
def test_hr_links_and_every_default_colour_are_cmyk_in_print(hostile_build):
    root, out, _ = hostile_build
    with pikepdf.open(out / root.name / f"{root.name}-print.pdf") as pdf:
        assert rgb_operators(pdf) == []


@pytest.mark.slow
def test_a_section_that_takes_too_long_is_one_line(
    hostile_build, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    root, _, _ = hostile_build
    monkeypatch.setenv("EDITION_SECTION_SECONDS", "0.05")
    # A cache of its own: every section is laid out, none taken from the earlier builds.
    args = ["build", root, "--out", tmp_path / "dist", "--cache", tmp_path / "cache"]
    result = invoke(args, exit_code=2)
    errors = [
        ln for ln in result.output.splitlines() if ": error: " in ln or ln.startswith("error:")
    ]
    assert len(errors) == 1
    assert " took longer than 0.05 s (simplify it, or on a slow machine raise " in errors[0]
    assert errors[0].endswith("EDITION_SECTION_SECONDS) [limit.time]")
    assert not list((tmp_path / "dist").rglob("*.pdf"))


def test_a_build_on_a_full_disk_is_one_line(
    issue: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from edition.commands.build import build_edition

    real_mkdir = Path.mkdir

    def mkdir(self: Path, *args: object, **kwargs: object) -> None:
        if self.name == "images":
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        real_mkdir(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "mkdir", mkdir)
    out, cache = tmp_path / "dist", tmp_path / "cache"
    with pytest.raises(EditionError) as exc:
        build_edition(issue, "print", out, single_pass=True, cache=cache)
    assert findings_of(exc) == [
        f"{cache / 'images'}: error: cannot write the file: No space left on device "
        "(free some disk space or check the folder's permissions, or choose another --cache) "
        "[output.write]"
    ]
    assert not list(out.rglob("*.pdf"))


def test_an_unknown_key_with_a_bracket_is_named(issue: Path):
    art = issue / "articles" / "gudang-baru.md"
    edit(art, "dek:", "d[ek:")
    with pytest.raises(EditionError) as exc:
        load_issue(issue)
    assert findings_of(exc) == [
        f"{art}:5: error: unknown key 'd[ek' (did you mean 'dek'?) [front-matter.unknown-key]"
    ]


def test_markup_nested_beyond_the_stack_is_one_line():
    from edition.workers import SECTION, call_with_ceiling

    def nested(n: int) -> int:
        return nested(n + 1)

    with pytest.raises(EditionError) as exc:
        call_with_ceiling(SECTION, "laying out 'Inframe'", None, nested, 0)
    assert findings_of(exc) == [
        "error: laying out 'Inframe' goes deeper than Python's stack allows (nest the markup "
        "less deeply) [limit.depth]"
    ]


def test_ceilings_nest_and_are_lifted(monkeypatch: pytest.MonkeyPatch):
    from edition.workers import ONE_PASS, SECTION, ceiling

    monkeypatch.setenv("EDITION_LAYOUT_SECONDS", "30")
    monkeypatch.setenv("EDITION_SECTION_SECONDS", "0.2")
    with ceiling(ONE_PASS, "outer"):
        with pytest.raises(EditionError) as exc, ceiling(SECTION, "inner"):
            while True:
                pass
        assert findings_of(exc)[0].startswith("error: inner took longer than 0.2 s")
        left = signal.getitimer(signal.ITIMER_REAL)[0]
        assert 20 < left <= 30  # the outer ceiling goes on counting
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert resource.getrlimit(resource.RLIMIT_AS)[0] == resource.RLIM_INFINITY


def test_font_subsets_kept_in_the_cache_are_taken_only_when_sealed(tmp_path: Path):
    """The merged font subsets are kept in the build cache between builds; a program
    planted or changed there is cut again, never embedded."""
    from fontTools.ttLib import TTFont

    from edition.pdf.subsets import _cut, _cut_all

    def _kept_cut(font: Path, gids: tuple[int, ...], cuts: Path) -> bytes | None:
        return _cut_all([(font, gids)], cuts)[0]

    from edition.share import fonts_dir

    font = fonts_dir() / "Inter-Bold.otf"
    gids = (0, 5, 6, 7, 40, 41)
    cuts = tmp_path / "fonts"
    first = _kept_cut(font, gids, cuts)
    assert first is not None and first == _cut(font, gids)
    programs = list(cuts.glob("*.ttf"))
    assert len(programs) == 1 and programs[0].read_bytes() == first
    _cut.cache_clear()
    again = _kept_cut(font, gids, cuts)  # from the cache: the same bytes
    assert again == first and _cut.cache_info().misses == 0

    planted = bytearray(first)
    planted[-64:] = b"\0" * 64
    programs[0].write_bytes(bytes(planted))  # changed in the cache, its record kept
    assert _kept_cut(font, gids, cuts) == first
    record = programs[0].with_suffix(".json")
    forged = json.loads(record.read_text())
    forged["sha256"] = hashlib.sha256(bytes(planted)).hexdigest()  # a record not sealed
    record.write_text(json.dumps(forged))
    programs[0].write_bytes(bytes(planted))
    kept = _kept_cut(font, gids, cuts)
    assert kept == first
    with TTFont(io.BytesIO(kept)) as cut:
        assert cut["maxp"].numGlyphs > max(gids)


def _two_sections(tmp_path: Path, texts: tuple[str, ...]) -> pikepdf.Pdf:
    """Documents laid out on their own (each with its own subset of the face), put one
    after another as the edition's sections are."""
    from edition.pdf.worker import Job, render_job
    from edition.share import fonts_dir

    face = (fonts_dir() / "Inter-Bold.otf").as_uri()
    style = f'@font-face {{ font-family: T; src: url("{face}"); }} p {{ font-family: T; }}'
    whole = pikepdf.new()
    for text in texts:
        html = f"<html><head><style>{style}</style></head><body><p>{text}</p></body></html>"
        roots = (str(tmp_path), str(fonts_dir()))
        laid = render_job(Job(text, html, tmp_path.as_uri() + "/", roots, (), "pdf/x-4"))
        part = pikepdf.open(io.BytesIO(laid.pdf))
        whole.pages.extend(part.pages)
    return whole


def test_font_subsets_cut_ahead_are_the_ones_merged(tmp_path: Path, monkeypatch):
    """The subsets cut ahead (beside the overlay's layout) are those the merge then takes,
    with nothing cut again; a glyph that comes after (the overlay's) has its face cut
    again, with it."""
    import edition.pdf.subsets as subsets

    monkeypatch.setattr(subsets, "may_fork", lambda: True)  # (on a machine of one core too)

    def merged_programs(pdf: pikepdf.Pdf, cuts: Path) -> list[bytes]:
        subsets._cut.cache_clear()
        subsets.merge_font_subsets(pdf, cuts)
        programs = {
            font.DescendantFonts[0].FontDescriptor.FontFile3.read_bytes()
            for page in pdf.pages
            for font in page.Resources.Font.values()
        }
        return sorted(programs)

    texts = ("Kapal patroli", "Laut Natuna")
    ahead = tmp_path / "ahead"
    subsets.cut_ahead(_two_sections(tmp_path, texts), ahead)()
    assert list(ahead.glob("*.ttf"))
    cut_ahead = merged_programs(_two_sections(tmp_path, texts), ahead)
    assert subsets._cut.cache_info().misses == 0  # taken from what was cut ahead
    assert cut_ahead == merged_programs(_two_sections(tmp_path, texts), tmp_path / "none")
    assert len(cut_ahead) == 1  # one subset for the face

    more = merged_programs(_two_sections(tmp_path, (*texts, "Zulu 7")), ahead)
    assert subsets._cut.cache_info().misses == 1 and more != cut_ahead
