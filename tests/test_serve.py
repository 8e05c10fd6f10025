"""`edition serve`: the desk as a user meets it, a real server in its own process, looked at
in Chromium; its answers read back with pypdf, PDFium and Pillow, never through the desk.

One server on a copy of the minimal fixture issue is shared by the tests of this module,
in order: what it shows first, an edit, a broken edit, two browsers, and stopping it.
"""

from __future__ import annotations

import ctypes
import hashlib
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from conftest import FIXTURES, REPO, invoke
from PIL import Image, ImageStat
from pypdf import PdfReader

from edition.commands.serve import Desk, preview_profile
from edition.errors import EditionError
from edition.serve.run import check_host

CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium (/usr/bin/chromium)"
)
ARTICLE = "articles/gudang-baru.md"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, host: str | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as exc:
        with exc:  # its connection closed here, not by the garbage collector
            return exc.code, dict(exc.headers), exc.read()


def descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(stat.parent.name))
    out, todo = set(), [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.add(c)
            todo.append(c)
    return out


def running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class Server:
    """`edition serve` in a process of its own, and what it wrote."""

    def __init__(self, issue: Path, out: Path, log: Path) -> None:
        self.issue, self.out, self.port = issue, out, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {**os.environ, "NO_COLOR": "1"}
        self.output = log.open("w")
        self.proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "edition.cli", "serve", str(issue)),
                *("--port", str(self.port), "--out", str(out), "--workers", "1"),
            ],
            cwd=REPO,
            stdout=self.output,
            stderr=subprocess.STDOUT,
            env=env,
        )

    def status(self) -> dict:
        code, _, body = get(f"{self.url}/status.json")
        assert code == 200
        return json.loads(body)

    def wait(self, test, timeout: float = 120) -> dict:
        end = time.monotonic() + timeout
        last: dict = {}
        while time.monotonic() < end:
            assert self.proc.poll() is None, self.log.read_text()
            try:
                last = self.status()
                if test(last):
                    return last
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"timed out; last status {last}\n{self.log.read_text()}")


def built_copy(minimal_pdf: Path, root: Path) -> Path:
    """A copy of the minimal issue with the session's build of it (its cache makes the
    next build quick): returns the issue folder; its output folder is beside it."""
    shutil.copytree(minimal_pdf.parent.parent.parent, root, dirs_exist_ok=True)
    return root / "minimal"


@pytest.fixture(scope="module")
def server(minimal_pdf: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("serve")
    issue = built_copy(minimal_pdf, root)
    srv = Server(issue, root / "dist", root / "serve.log")
    try:
        srv.wait(lambda s: s["state"] == "ready")
        yield srv
    finally:
        if srv.proc.poll() is None:
            srv.proc.kill()
            srv.proc.wait()
        srv.output.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium (/usr/bin/chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield b
        b.close()


def article_page(status: dict, source: str = ARTICLE) -> dict:
    return next(p for p in status["pages"] if p["source"] == source and p["first"])


# -- what it shows


@pytest.mark.slow
def test_status_describes_the_pages_of_the_pdf_it_wrote(server):
    status = server.status()
    assert status["state"] == "ready" and status["build"] >= 1
    assert status["profile"] == "print"
    pdf = server.out / "minimal" / "minimal-print.pdf"
    reader = PdfReader(pdf)
    assert len(status["pages"]) == len(reader.pages) > 4
    assert [p["number"] for p in status["pages"]] == list(range(1, len(reader.pages) + 1))
    # Each article's first page is where its bookmark points.
    marks = {}

    def walk(items: list) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                marks[item.title] = reader.get_destination_page_number(item) + 1

    walk(reader.outline)
    articles = [p for p in status["pages"] if p["kind"] == "article" and p["first"]]
    assert len(articles) == 3
    for page in articles:
        assert marks[page["section"]] == page["number"]
        assert page["source"].startswith("articles/") and page["rubric"]
    assert status["pages"][0]["kind"] == "cover"
    # The full-page ad and the half-page ad of the fixture are marked by their size.
    sizes = sorted(a for p in status["pages"] for a in p["ads"])
    assert "half" in sizes and "full" in sizes
    # The PDF offered for download is the one on disk, byte for byte.
    (download,) = [d for d in status["downloads"] if d["profile"] == "print"]
    code, headers, body = get(server.url + download["href"])
    assert code == 200 and headers["content-type"] == "application/pdf"
    assert hashlib.sha256(body).digest() == hashlib.sha256(pdf.read_bytes()).digest()
    assert download["current"] is True


@pytest.mark.slow
def test_page_images_are_the_trimmed_pages(server):
    status = server.status()
    reader = PdfReader(server.out / "minimal" / "minimal-print.pdf")
    trim = reader.pages[0].trimbox
    for size, dpi in (("thumb", 36), ("page", 120)):
        code, headers, body = get(f"{server.url}/pages/1.jpg?size={size}")
        assert code == 200 and headers["content-type"] == "image/jpeg"
        assert headers["x-token"] == status["pages"][0]["token"]
        image = Image.open(io.BytesIO(body))
        assert image.size == pytest.approx(
            (float(trim.width) * dpi / 72, float(trim.height) * dpi / 72), abs=1.5
        )
    count = len(status["pages"])
    assert get(f"{server.url}/pages/{count + 1}.jpg")[0] == 404
    assert get(f"{server.url}/pages/0.jpg")[0] == 404
    assert get(f"{server.url}/pdf/archive")[0] == 404  # not built


@pytest.mark.slow
def test_findings_are_pinned_where_they_are_with_the_line_to_edit(server):
    status = server.status()
    pdf = pdfium.PdfDocument(server.out / "minimal" / "minimal-print.pdf")
    try:
        pinned = [f for f in status["findings"] if f["code"] == "photo.low-resolution"]
        assert pinned, "the fixture's photos are small on purpose"
        for f in pinned:
            assert f["page"] and f["x"] is not None and f["source"]
            path, _, line = f["source"].partition(":")
            # The line named holds the photo's file name.
            name = Path(f["file"]).name
            assert name in (server.issue / path).read_text().splitlines()[int(line) - 1]
            # The pin is on an image of that page, as PDFium finds it in the PDF.
            page = pdf[f["page"] - 1]
            tl, tb, tr, tt = page.get_trimbox()
            x = tl + f["x"] * (tr - tl)
            y = tt - f["y"] * (tt - tb)
            images = [
                o.get_bounds()
                for o in page.get_objects(filter=[pdfium.raw.FPDF_PAGEOBJ_IMAGE], max_depth=3)
            ]
            assert any(a <= x <= c and b <= y <= d for a, b, c, d in images), f
    finally:
        pdf.close()


@pytest.mark.slow
def test_each_article_has_its_planned_and_laid_out_length(server):
    status = server.status()
    pdf = PdfReader(server.out / "minimal" / "minimal-print.pdf")
    fits = {a["slug"]: a for a in status["articles"]}
    assert set(fits) == {"patroli-utara", "gudang-baru", "latihan-gabungan"}
    starts = sorted(a["first_page"] for a in fits.values())
    for a in fits.values():
        assert a["pages"] >= 1 and a["planned_pages"] >= 1
        assert not (a["lines_over"] and a["lines_free"])
        assert a["verdict"] in (f"{a['lines_over']} lines over", f"{a['lines_free']} lines free")
        # Lines free on the last page: read back the text of the article's last page.
        if a["lines_free"] and a["pages"] == a["planned_pages"]:
            last = pdf.pages[a["first_page"] + a["pages"] - 2]
            assert last.extract_text().strip()
    assert starts == sorted(
        {p["number"] for p in status["pages"] if p["kind"] == "article" and p["first"]}
    )


@pytest.mark.slow
def test_it_answers_only_requests_addressed_to_this_machine(server):
    assert get(f"{server.url}/status.json", host="evil.example")[0] == 400
    assert get(f"{server.url}/status.json", host=f"localhost:{server.port}")[0] == 200


# -- in a browser


@pytest.mark.slow
@needs_chromium
def test_an_edit_changes_the_page_in_the_browser(server, browser):
    status = server.status()
    first = article_page(status)
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(f"{server.url}/#{first['number']}")
    page.wait_for_function(
        f"window.deskLoaded.view && window.deskLoaded.view.page === {first['number']}"
    )
    before = page.locator("#page-image").screenshot()
    assert "Gudang Bahan Bakar" in page.locator("#pv-title").inner_text()
    token = first["token"]
    # A new first paragraph: the page's text changes.
    path = server.issue / ARTICLE
    text = path.read_text()
    head, _, body = text.partition("\n---\n")
    path.write_text(
        f"{head}\n---\nKapal induk tiba di pelabuhan pada pagi hari yang cerah.\n\n{body}"
    )
    page.wait_for_function(
        f"window.deskLoaded.view && window.deskLoaded.view.token !== '{token}'", timeout=60000
    )
    page.wait_for_function("document.body.dataset.state === 'ready'", timeout=60000)
    after = page.locator("#page-image").screenshot()
    assert before != after
    status = server.status()
    assert article_page(status)["token"] != token
    assert first["number"] in status["changed"] or status["state"] == "ready"
    pdf_text = (
        PdfReader(server.out / "minimal" / "minimal-print.pdf")
        .pages[first["number"] - 1]
        .extract_text()
    )
    # (the first letter is the drop cap; a line may end in a soft hyphen's U+2010)
    assert "induk tiba di pelabuhan" in " ".join(pdf_text.replace("\u2010\n", "").split())
    page.close()


@pytest.mark.slow
@needs_chromium
def test_a_broken_edit_shows_the_error_and_keeps_the_last_good_pages(server, browser):
    status = server.wait(lambda s: s["state"] == "ready")
    build = status["build"]
    tokens = [p["token"] for p in status["pages"]]
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(server.url + "/#1")
    page.wait_for_function("document.body.dataset.state === 'ready'")
    path = server.issue / ARTICLE
    good = path.read_text()
    path.write_text(good.replace("author:", "auhtor:", 1))
    try:
        page.wait_for_function("document.body.dataset.state === 'failed'", timeout=60000)
        errors = page.locator("#errors")
        assert errors.is_visible()
        shown = errors.inner_text()
        assert (
            f"{ARTICLE}:3: error: unknown key 'auhtor' (did you mean 'author'?) "
            "[front-matter.unknown-key]"
        ) in shown
        assert "Traceback" not in page.content()
        failed = server.status()
        assert failed["state"] == "failed" and failed["build"] > build
        assert [p["token"] for p in failed["pages"]] == tokens  # the last good pages
        assert page.locator("figure.pg[data-page] img").count() == len(tokens)
        # The images still come: the pages are there to look at.
        assert get(f"{server.url}/pages/2.jpg?size=thumb")[0] == 200
    finally:
        path.write_text(good)
    page.wait_for_function("document.body.dataset.state === 'ready'", timeout=60000)
    assert not page.locator("#errors").is_visible()
    page.close()


@pytest.mark.slow
@needs_chromium
def test_two_browsers_see_the_same_state(server, browser):
    status = server.wait(lambda s: s["state"] == "ready")
    one = browser.new_page()
    two = browser.new_context().new_page()
    for p in (one, two):
        p.goto(server.url)
        p.wait_for_function("document.body.dataset.state === 'ready'")
    path = server.issue / ARTICLE
    path.write_text(path.read_text() + "\nSatu paragraf lagi untuk kedua peramban.\n")
    want = status["build"] + 1
    for p in (one, two):
        p.wait_for_function(
            "document.body.dataset.state === 'ready' && "
            f"Number(document.body.dataset.build) >= {want}",
            timeout=60000,
        )
    seen = [
        p.evaluate(
            "[document.body.dataset.build, Array.from(document.querySelectorAll('figure.pg img'))"
            ".map(i => i.dataset.token).join()]"
        )
        for p in (one, two)
    ]
    assert seen[0] == seen[1]
    now = server.status()
    assert seen[0][0] == str(now["build"])
    assert seen[0][1] == ",".join(p["token"] for p in now["pages"])
    one.close()
    two.close()


@pytest.mark.slow
def test_stopping_the_server_leaves_no_process_behind(server):
    family = descendants(server.proc.pid)
    assert len(family) >= 2  # a layout process and the page renderer
    server.proc.send_signal(signal.SIGINT)
    assert server.proc.wait(timeout=30) == 0
    deadline = time.monotonic() + 5
    while any(running(p) for p in family) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in family if running(p)]
    assert server.log.read_text().rstrip().endswith("stopped")


# -- without a browser


@pytest.mark.slow
def test_a_fresh_issue_from_edition_new_is_shown(tmp_path):
    issue = tmp_path / "2024-07"
    invoke(["new", issue, "--number", "150", "--date", "2024-07-01"])
    desk = Desk(issue, "print", tmp_path / "dist", workers=1, cache=tmp_path / "cache")
    try:
        desk.start()
        snap = desk.build()
    finally:
        desk.close()
    assert snap.state == "ready" and snap.build == 1, snap.errors
    # The build cache is where it was told to be (`edition serve --cache`).
    assert any((tmp_path / "cache" / "sections").glob("*.pdf"))
    kinds = [p.kind for p in snap.pages]
    assert kinds[0] == "cover" and "article" in kinds
    assert len(snap.pages) % 4 == 0  # the print edition's padding is shown too
    assert len(PdfReader(tmp_path / "dist" / "2024-07" / "2024-07-print.pdf").pages) == len(
        snap.pages
    )


def test_the_screen_edition_is_shown_untagged_section_by_section():
    profile = preview_profile("screen")
    assert profile.name == "screen" and not profile.tagged and profile.pdf_variant is None
    assert preview_profile("print").tagged is False
    with pytest.raises(EditionError) as exc:
        preview_profile("archive")
    assert str(exc.value) == (
        "error: the desk shows the print or screen edition, not 'archive' "
        "(use one of: print, screen) [usage.profile]"
    )


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "127.0.0.2"])
def test_it_listens_on_this_machine(host):
    check_host(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "example.org"])
def test_it_refuses_to_listen_where_others_could_connect(host, tmp_path):
    result = invoke(["serve", FIXTURES / "minimal", "--host", host, "--out", tmp_path], 2)
    assert result.output.splitlines()[0] == (
        f"error: the desk cannot listen on '{host}': it shows unpublished pages to anyone "
        "who can reach it (use 127.0.0.1 (the default) and reach it through an SSH tunnel "
        "from elsewhere) [usage.host]"
    )


def test_a_port_in_use_is_one_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = invoke(["serve", FIXTURES / "minimal", "--port", port, "--out", tmp_path], 2)
    first = result.output.splitlines()[0]
    assert first == (
        f"error: cannot listen on 127.0.0.1 port {port}: Address already in use (another "
        "program (another desk?) uses it: choose another with --port) [usage.port]"
    )
    assert not (tmp_path / "minimal").exists()  # nothing was built


# -- edition build --html, for a browser


@pytest.fixture(scope="module")
def html_build(minimal_pdf: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("html")
    issue = built_copy(minimal_pdf, root)
    # Exit 1: the minimal fixture has preflight errors by design (small photos, no ISSN).
    invoke(["build", issue, "--html", "--out", root / "dist"], exit_code=1)
    return root / "dist" / "minimal" / "minimal-print.html"


@pytest.mark.slow
def test_html_has_its_photos_fonts_and_screen_colours_beside_it(html_build):
    html = html_build.read_text()
    for gone in ("edition-photo:", "device-cmyk", "@color-profile", "file:"):
        assert gone not in html
    files = html_build.parent / "minimal-print_files"
    sources = re.findall(r'<img[^>]* src="([^"]*)"', html)
    assert sources
    for src in sources:
        assert src.startswith("minimal-print_files/photos/"), src
        with Image.open(html_build.parent / src) as image:
            assert image.format == "JPEG" and image.mode == "RGB"  # print photos are CMYK
    fonts = re.findall(r'url\("(minimal-print_files/[^"]+\.(?:otf|ttf))"\)', html)
    assert fonts and all((html_build.parent / f).is_file() for f in fonts)
    # The layout's navy (CMYK 100/75/25/35 in layout.toml) as an sRGB colour: dark blue.
    navy = re.search(r"--navy:\s*rgb\((\d+) (\d+) (\d+)\)", html)
    assert navy is not None, "the layout's colours are given in rgb()"
    r, g, b = map(int, navy.groups())
    assert r < 60 and g < 90 and b > 70 and b > r + 30
    assert sorted(p.name for p in files.iterdir()) == sorted(
        {Path(f).name for f in fonts} | {"photos"}
    )


@pytest.mark.slow
@needs_chromium
def test_html_opened_from_disk_shows_photos_fonts_and_a_dark_cover(html_build, browser):
    page = browser.new_page(viewport={"width": 1000, "height": 1200})
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.goto(html_build.as_uri())
    page.wait_for_load_state("networkidle")
    assert not failed
    broken = page.evaluate(
        "Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).length"
    )
    assert broken == 0
    faces = page.evaluate(
        "document.fonts.ready.then(s => Array.from(s).map(f => [f.family, f.status]))"
    )
    assert not [f for f in faces if f[1] == "error"]
    loaded = {family.strip('"') for family, state in faces if state == "loaded"}
    assert {"Noto Serif", "Inter", "Inter Display"} <= loaded
    # The cover's type sits on its photo, not on white.
    shot = Image.open(io.BytesIO(page.locator("section.cover").screenshot())).convert("L")
    assert ImageStat.Stat(shot).mean[0] < 200
    page.close()


def test_the_watcher_leaves_out_hidden_files_and_the_output(tmp_path):
    from watchfiles import Change

    from edition.serve.run import Watcher

    issue, out = tmp_path / "2024-05", tmp_path / "2024-05" / "dist"
    (issue / "articles").mkdir(parents=True)
    out.mkdir()
    watcher = Watcher([issue], [out], lambda: None)
    wanted = {
        "articles/kri.md": True,
        "issue.toml": True,
        "photos/new.jpg": True,
        "articles/.kri.md.swp": False,
        "articles/.kri.md.x1y2.tmp": False,
        ".git/index": False,
        "dist/2024-05/2024-05-print.pdf": False,
        "dist/.cache/sections/a.pdf": False,
    }
    got = {rel: watcher.wanted(Change.modified, str(issue / rel)) for rel in wanted}
    assert got == wanted


@pytest.mark.slow
def _shown_as_written(desk: Desk, pdf: Path) -> int:
    """Every page the desk shows (made before the edition is put together: the section
    moved to its side, the overlay drawn over it) has the text of the PDF's page, every
    letter where it is there (read back with PDFium). Returns the pages compared."""

    def lines(page: pdfium.PdfPage) -> tuple[str, list[tuple[float, float]]]:
        """The page's text, and where each of its lines starts (the origin of its first
        letter: the letters after it are placed by the font's widths, which a merged
        font subset writes rounded otherwise)."""
        text = page.get_textpage()
        content = text.get_text_range()
        starts = []
        x, y = ctypes.c_double(), ctypes.c_double()
        for i in range(text.count_chars()):
            if i == 0 or content[i - 1] == "\n":
                pdfium_c.FPDFText_GetCharOrigin(text, i, x, y)
                starts.append((x.value, y.value))
        return content, starts

    written = pdfium.PdfDocument(pdf)
    try:
        pages = desk.snapshot.pages
        assert len(pages) == len(written)
        for number, view in enumerate(pages, 1):
            _, section, index = desk._laid.where[view.token]
            shown = pdfium.PdfDocument(section.data)
            try:
                text, starts = lines(shown[index])
            finally:
                shown.close()
            want_text, want_starts = lines(written[number - 1])
            assert text == want_text, number
            far = max(
                (
                    max(abs(a - c), abs(b - d))
                    for (a, b), (c, d) in zip(starts, want_starts, strict=True)
                ),
                default=0.0,
            )
            assert far < 0.05, (number, far)
    finally:
        written.close()
    return len(pages)


def test_the_desk_keeps_what_it_laid_out_between_builds(tmp_path):
    """A rebuild takes the sections that did not change from the desk's memory: with the
    build cache's section files gone, only the edited article is laid out again."""
    issue = tmp_path / "minimal"
    shutil.copytree(FIXTURES / "minimal", issue)
    sections = tmp_path / "cache" / "sections"
    desk = Desk(issue, "print", tmp_path / "dist", workers=1, cache=tmp_path / "cache")
    try:
        desk.start()
        first = desk.build()
        laid_out = len(list(sections.glob("*.pdf")))
        for f in sections.iterdir():
            f.unlink()
        article = sorted((issue / "articles").glob("*.md"))[0]
        text = article.read_text(encoding="utf-8")
        assert _shown_as_written(desk, tmp_path / "dist" / "minimal" / "minimal-print.pdf")
        article.write_text(text.rstrip() + "\n\nSatu kalimat baru di akhir tulisan.\n")
        second = desk.build()
        assert _shown_as_written(desk, tmp_path / "dist" / "minimal" / "minimal-print.pdf")
    finally:
        desk.close()
    assert first.state == second.state == "ready"
    assert len(second.pages) == len(first.pages)
    again = len(list(sections.glob("*.pdf")))
    assert laid_out >= 10 and 1 <= again <= 3, (laid_out, again)


@pytest.mark.slow
def test_the_screen_preview_is_kept_out_of_the_published_folder(tmp_path):
    issue = tmp_path / "minimal"
    shutil.copytree(FIXTURES / "minimal", issue)
    out, cache = tmp_path / "dist", tmp_path / "cache"
    desk = Desk(issue, "screen", out, workers=1, cache=cache)
    try:
        desk.start()
        snap = desk.build()
        preview = desk.pdf_path("screen-preview")
    finally:
        desk.close()
    assert snap.state == "ready"
    assert preview is not None and preview.is_relative_to(cache)
    assert len(PdfReader(preview).pages) == len(snap.pages)
    published = sorted(str(p.relative_to(out)) for p in out.rglob("*")) if out.exists() else []
    assert not [p for p in published if p.split("/")[0].startswith(".")], published
    assert not any(p.endswith(".pdf") for p in published), published
