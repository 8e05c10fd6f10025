"""Hostile input: an article or a template override tries to read files from outside the
issue, reach the network or run script. Nothing of it reaches the PDF or the HTML; every
refusal is a warning naming the URL, and `build --strict` exits 1 for it."""

from __future__ import annotations

import base64
import io
import os
import re
import socket
from html.parser import HTMLParser
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from conftest import invoke
from PIL import Image

from edition.share import share_dir

pytestmark = pytest.mark.slow

MARK = "KANARI-7f3a9c"  # in every secret file; must never be found in an output
CANARY_PNG = (37, 23)  # an image of this size must never be in the PDF
BIG_PNG = (301, 299)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every attempt to open a connection or look up a host is recorded and fails."""
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("the tests forbid network access")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


@pytest.fixture
def secrets(tmp_path: Path) -> Path:
    """A folder beside the issue with files an attacker would like to see in the PDF."""
    folder = tmp_path / "secret"
    folder.mkdir()
    (folder / "canary.txt").write_text(f"{MARK}-TXT\n")
    (folder / "canary.css").write_text(
        f'body::after {{ content: "{MARK}-CSS"; }}\n.hostile {{ background: url("canary.png"); }}\n'
    )
    Image.new("RGB", CANARY_PNG, (1, 254, 3)).save(folder / "canary.png")
    return folder


def big_data_url() -> str:
    """A PNG of noise in a data: URL, larger than the fetcher's limit."""
    buf = io.BytesIO()
    Image.effect_noise(BIG_PNG, 100).convert("RGB").save(buf, "PNG")
    url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    assert len(url) > 256 * 1024
    return url


def override_template(root: Path, secret: Path, data_url: str) -> list[str]:
    """Put hostile markup into the issue's own copy of the layout's main template.

    Returns the URLs that must each be refused with a warning.
    """
    s = secret.as_uri()
    head = f"""
<link rel="stylesheet" href="{s}/canary.css">
<link rel="stylesheet" href="https://example.com/hostile.css">
<link rel="stylesheet" href="photos/escape.css">
<link rel="attachment" href="{s}/canary.txt" title="lampiran">
<link rel="attachment" href="file:///etc/passwd">
<style>@import url("{s}/canary.css"); @import url("http://127.0.0.1:9/x.css");</style>
<style>.hostile {{ background: url("{s}/canary.png"); }}</style>
"""
    body = f"""
<section class="hostile">
<img src="{s}/canary.png" alt="">
<img src="../secret/canary.png" alt="">
<img src="photos/escape.png" alt="">
<img src="http://127.0.0.1:9/x.png" alt="">
<img src="https://example.com/x.png" alt="">
<img src="{data_url}" alt="">
<a rel="attachment" href="{s}/canary.txt">c</a>
<a rel="attachment" href="file:///etc/passwd">p</a>
<a rel="attachment" href="../secret/canary.txt">r</a>
<p>hostile</p>
</section>
"""
    template = (share_dir("layouts") / "classic" / "templates" / "edition.html.j2").read_text()
    assert "</head>" in template and "</body>" in template
    template = template.replace("</head>", head + "</head>").replace("</body>", body + "</body>")
    (root / "templates").mkdir()
    (root / "templates" / "edition.html.j2").write_text(template)
    # Symlinks inside the issue that lead out of it.
    (root / "photos" / "escape.png").symlink_to(secret / "canary.png")
    (root / "photos" / "escape.css").symlink_to(secret / "canary.css")
    return [
        f"{s}/canary.css",
        "https://example.com/hostile.css",
        (root / "photos" / "escape.css").as_uri(),
        f"{s}/canary.txt",
        "file:///etc/passwd",
        "http://127.0.0.1:9/x.css",
        f"{s}/canary.png",
        (root / "photos" / "escape.png").as_uri(),
        "http://127.0.0.1:9/x.png",
        "https://example.com/x.png",
        data_url[:117] + "...",
    ]


ARTICLE_EXTRA = """

[tautan berkas]({s}/canary.txt) [relatif](../../secret/canary.txt) [js](javascript:alert(1))
[web](https://example.com/baik) [js2](JaVaScRiPt:alert(1))

<script>alert("MDSCRIPT")</script>

<iframe src="file:///etc/passwd"></iframe> <object data="file:///etc/passwd"></object>
<embed src="{s}/canary.txt">

<style>body {{ display: none }} /* MDSTYLE */</style>

<img src="x" onerror="alert(1)"> <a href="javascript:alert(1)">klik</a>
<a rel="attachment" href="{s}/canary.txt">lampiran</a> <link rel="attachment" href="{s}/canary.txt">
"""


def hostile_article(root: Path, secret: Path) -> None:
    art = root / "articles" / "gudang-baru.md"
    text = art.read_text()
    text = text.replace(
        'title: "Gudang Bahan Bakar Baru di Pelabuhan Kecil"',
        'title: "Gudang <b>Tebal</b> & <script>alert(2)</script>"',
    )
    text = text.replace(
        'dek: "Dana hibah mengubah wajah pelabuhan di ujung pulau."',
        'dek: "Dek <img src=x onerror=alert(3)> [j](javascript:alert(3))"',
    )
    text = text.replace(
        'lead_caption: "Pelabuhan kecil saat hari mulai gelap."',
        "lead_caption: \"<iframe src='file:///etc/passwd'></iframe> Keterangan\"\n"
        'sidebar:\n  title: "<script>alert(4)</script>"\n'
        f'  body: "![x]({secret.as_uri()}/canary.png) <style>x</style>"',
    )
    art.write_text(text + ARTICLE_EXTRA.format(s=secret.as_uri()))


class Parsed(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.style_text: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.style_text.append(data)


def all_stream_bytes(pdf: pikepdf.Pdf) -> bytes:
    """Every stream of the PDF, decompressed where pikepdf can."""
    out = []
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Stream):
            try:
                out.append(obj.read_bytes())
            except pikepdf.PdfError:
                out.append(obj.read_raw_bytes())
    return b"\n".join(out)


def html_href_kept(url: str, html: Path) -> bool:
    return f'href="{url}"' in html.read_text()


def test_hostile_template_and_article_reach_nothing(
    make_issue,
    tmp_path: Path,
    secrets: Path,
    no_network: list[object],
    monkeypatch: pytest.MonkeyPatch,
):
    # The fixture's photos are too small for print, which preflight rightly reports; here
    # only what the build itself finds (the refusals among it) counts under --strict.
    monkeypatch.setattr("edition.check.sources.check_sources", lambda *a, **k: [])
    monkeypatch.setattr("edition.check.preflight.check_pdf", lambda *a, **k: [])
    root = make_issue()
    refused = override_template(root, secrets, big_data_url())
    hostile_article(root, secrets)
    out = tmp_path / "dist"
    result = invoke(["build", root, "--out", out, "--html", "--strict"], exit_code=1)
    output = result.output

    # Nothing went to the network, and every refusal is a warning that names the URL.
    assert no_network == []
    for url in refused:
        assert (
            f"warning: refused to load '{url}' (only files inside the issue, the layout "
            f"and assets/ can be used) [safety.fetch]" in output
        ), url
    shown = [
        ln
        for ln in output.splitlines()
        if ": warning: " in ln or ": error: " in ln or ln.startswith(("warning: ", "error: "))
    ]
    # Under --strict every warning shown counts as an error, the refusals too.
    counted = re.search(r"; preflight: (\d+) errors?, 0 warnings: not ready for", output)
    assert counted and int(counted[1]) == len(shown), output
    # Besides the refusals, only what planning and fitting say of the fixture itself (a
    # photo too small for a full page, articles' lengths): nothing else the hostile
    # template or article caused.
    findings = [ln for ln in shown if not re.search(r" \[(plan|fit)\.[a-z-]+\]$", ln)]
    assert findings and all("refused to load" in ln for ln in findings), "\n".join(findings)
    assert "Traceback" not in output

    # The PDF: no secret in any stream, no attachment, no canary image, no file: link.
    path = out / "minimal" / "minimal-print.pdf"
    data = path.read_bytes()
    assert MARK.encode() not in data and b"root:x:0:0" not in data
    pdf = pikepdf.open(path)
    streams = all_stream_bytes(pdf)
    assert MARK.encode() not in streams and b"root:x:0:0" not in streams
    assert dict(pdf.attachments) == {}
    sizes = []
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            assert obj.get("/Type") != "/EmbeddedFile" and obj.get("/Subtype") != "/FileAttachment"
            if obj.get("/Subtype") == "/Image":
                sizes.append((int(obj.Width), int(obj.Height)))
    assert CANARY_PNG not in sizes and BIG_PNG not in sizes
    uris = [
        str(annot.A.URI)
        for page in pdf.pages
        for annot in page.get("/Annots", [])
        if "/A" in annot and "/URI" in annot.A
    ]
    # The print edition carries no links at all (PDF/X-4: nothing on the sheet but the
    # page); the HTML below keeps the safe one and drops the rest.
    assert uris == []
    assert html_href_kept("https://example.com/baik", path.with_suffix(".html"))
    text = " ".join(p.get_textpage().get_text_range() for p in pdfium.PdfDocument(path))
    assert MARK not in text and "hostile" in text  # the override was used; its CSS was not

    # The HTML: raw HTML from the article is text, links go nowhere unsafe, titles escaped.
    html = path.with_suffix(".html").read_text()
    parsed = Parsed()
    parsed.feed(html)
    for tag, attrs in parsed.tags:
        assert tag not in ("script", "iframe", "object", "embed"), (tag, attrs)
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name, value)
            assert not (value or "").strip().lower().startswith("javascript:"), (tag, value)
        if tag == "a" and "secret" in (attrs.get("href") or ""):
            assert attrs.get("rel") == "attachment", attrs  # only the template's own
    assert not any("MDSTYLE" in s or "display: none" in s for s in parsed.style_text)
    assert "&lt;script&gt;alert(\u201cMDSCRIPT\u201d)&lt;/script&gt;" in html  # printed as text
    assert '<a rel="noopener">relatif</a>' in html  # a relative file link loses its href
    assert "Gudang &lt;b&gt;Tebal&lt;/b&gt; &amp; &lt;script&gt;alert(2)&lt;/script&gt;" in html
    assert "<b>Tebal" not in html


@pytest.mark.parametrize(
    "target",
    [
        "file://{secret}/canary.png",
        "file:///etc/passwd",
        "../../secret/canary.png",
        "../secret/canary.png",
        "{secret}/canary.png",
        "photos/escape.png",
        "http://127.0.0.1:9/x.png",
        "https://example.com/x.png",
        "<../secret/canary.png>",
        "data:image/png;base64,iVBORw0KGgo=",
    ],
)
def test_markdown_image_outside_the_issue_is_an_error(
    make_issue, tmp_path: Path, secrets: Path, no_network: list[object], target: str
):
    root = make_issue()
    (root / "photos" / "escape.png").symlink_to(secrets / "canary.png")
    target = target.format(secret=secrets)
    art = root / "articles" / "gudang-baru.md"
    lines = art.read_text().splitlines()
    line = len(lines) + 2
    art.write_text("\n".join(lines) + f"\n\n![Foto]({target})\n")
    result = invoke(["build", root, "--out", tmp_path / "dist"], exit_code=2)
    shown = target.strip("<>")
    assert [ln for ln in result.output.splitlines() if ": error: " in ln] == [
        f"{art}:{line}: error: photo '{shown}' is outside the issue folder (use a path relative "
        "to the issue folder, without '..') [path.outside]"
    ]
    assert not (tmp_path / "dist").exists() and no_network == []


def test_reference_style_image_outside_the_issue_is_an_error(
    make_issue, tmp_path: Path, secrets: Path
):
    """`![x][r]` with `[r]: /elsewhere` once slipped past a line-by-line check into the PDF."""
    root = make_issue()
    art = root / "articles" / "gudang-baru.md"
    lines = art.read_text().splitlines()
    art.write_text("\n".join(lines) + f"\n\n![Foto][r]\n\n[r]: {secrets}/canary.png\n")
    result = invoke(["build", root, "--out", tmp_path / "dist"], exit_code=2)
    assert (
        f"{art}:{len(lines) + 2}: error: photo '{secrets}/canary.png' is outside the issue "
        "folder" in result.output
    )
    assert not (tmp_path / "dist").exists()


def test_symlinked_photo_and_article_leading_out_are_errors(
    make_issue, tmp_path: Path, secrets: Path
):
    root = make_issue()
    lead = root / "photos" / "lead-b.jpg"
    lead.unlink()
    lead.symlink_to(secrets / "canary.png")
    (secrets / "artikel.md").write_text('---\ntitle: "Rahasia"\n---\nTeks.\n')
    (root / "articles" / "latihan-gabungan.md").unlink()
    (root / "articles" / "latihan-gabungan.md").symlink_to(secrets / "artikel.md")
    result = invoke(["build", root, "--out", tmp_path / "dist"], exit_code=2)
    errors = [ln for ln in result.output.splitlines() if ": error: " in ln]
    toml = root / "issue.toml"
    assert errors == [
        f"{root}/articles/gudang-baru.md:6: error: lead photo 'photos/lead-b.jpg' is outside "
        "the issue folder (use a path relative to the issue folder, without '..') "
        "[path.outside]",
        f"{toml}:20: error: article 'latihan-gabungan' is outside the articles folder (use a "
        "file in articles/, not a link to one elsewhere or a slug with '..') [path.outside]",
    ]
    assert os.path.islink(lead)
