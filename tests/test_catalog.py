"""edition catalog: the back-issue site, the OPDS feed and issues.json, read back as a browser,
an OPDS reader and a script would read them."""

from __future__ import annotations

import itertools
import json
import re
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from conftest import FIXTURES, invoke

from edition.commands.build import build_edition
from edition.publish.catalog import write_catalog

ATOM = "{http://www.w3.org/2005/Atom}"
DC = "{http://purl.org/dc/terms/}"
OPDS_ACQ = "application/atom+xml;profile=opds-catalog;kind=acquisition"
CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.slow  # the shelf is built from three issues

# (folder, number, date, profiles): the newest has a print PDF too; two years.
ISSUES = [
    ("2023-12", 4, "2023-12-17", ["screen"]),
    ("2024-01", 5, "2024-01-21", ["screen"]),
    ("2024-02", 6, "2024-02-18", ["screen", "print"]),
]


@pytest.fixture(scope="session")
def shelf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """DIST with three issues built from the fixture (the screen PDFs and one print PDF)."""
    root = tmp_path_factory.mktemp("catalog")
    dist = root / "dist"
    for name, number, date, profiles in ISSUES:
        issue = root / "issues" / name
        shutil.copytree(FIXTURES / "minimal", issue)
        toml = issue / "issue.toml"
        toml.write_text(
            toml.read_text()
            .replace("number = 7", f"number = {number}", 1)
            .replace("date = 2024-05-19", f"date = {date}", 1)
        )
        for profile in profiles:
            build_edition(issue, profile, dist)
    return dist


@pytest.fixture(scope="session")
def site(shelf: Path) -> Path:
    invoke(["catalog", shelf])
    return shelf


class Page(HTMLParser):
    """What the tests look at in a page: headings, images, links, text in order."""

    def __init__(self, path: Path) -> None:
        super().__init__(convert_charrefs=True)
        self.path = path
        self.lang: str | None = None
        self.headings: list[tuple[int, str]] = []
        self.images: list[dict[str, str | None]] = []
        self.links: list[dict[str, str | None]] = []
        self.urls: list[str] = []
        self.text: list[str] = []
        self._heading: int | None = None
        self._buf: list[str] = []
        self.scripts = 0
        self.feed(path.read_text("utf-8"))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "script":
            self.scripts += 1
        if re.fullmatch(r"h[1-6]", tag):
            self._heading, self._buf = int(tag[1]), []
        if tag == "img":
            self.images.append(a)
            self.urls.append(a["src"] or "")
            self.urls += [part.split()[0] for part in (a.get("srcset") or "").split(",") if part]
        if tag in ("a", "link") and a.get("href"):
            self.urls.append(a["href"] or "")
            if tag == "a":
                self.links.append(a)

    def handle_endtag(self, tag: str) -> None:
        if self._heading and tag == f"h{self._heading}":
            self.headings.append((self._heading, " ".join("".join(self._buf).split())))
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._heading:
            self._buf.append(data)
        if data.strip():
            self.text.append(" ".join(data.split()))

    def resolve(self, url: str) -> Path | None:
        """The file a relative URL points to, or None for a fragment."""
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc and not url.startswith("/"), (
            f"{self.path}: {url} is not a relative link"
        )
        if not parts.path:
            return None
        return (self.path.parent / unquote(parts.path)).resolve()


def _pages(site: Path) -> list[Path]:
    return [site / "index.html", *sorted(site.glob("*/index.html"))]


def test_index_shows_the_latest_issue_first_then_back_issues_by_year(site):
    page = Page(site / "index.html")
    assert page.lang == "id"
    assert page.scripts == 0
    levels = [lv for lv, _ in page.headings]
    assert levels[0] == 1
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), page.headings
    titles = [t for _, t in page.headings]
    assert titles[:3] == ["Arsip Edisi", "Edisi Terbaru", "Edisi 6 Februari 2024"]
    assert titles[3:] == ["Edisi Sebelumnya", "2024", "Edisi 5", "2023", "Edisi 4"]
    text = " ".join(page.text)
    hero = text[text.index("Edisi Terbaru") : text.index("Edisi Sebelumnya")]
    assert "Minggu, 18 Februari 2024 · 14 halaman" in hero
    assert "Patroli di Perairan Utara" in hero and "Latihan Gabungan Tiga Bulanan" in hero
    # Download buttons: the screen PDF with its size. The print PDF (the printer's) is
    # built, but not offered to subscribers.
    assert (site / "2024-02" / "2024-02-print.pdf").is_file()
    downloads = [a["href"] for a in page.links if (a["href"] or "").endswith(".pdf")]
    assert downloads == [
        "2024-02/2024-02-screen.pdf",
        "2024-01/2024-01-screen.pdf",
        "2023-12/2023-12-screen.pdf",
    ]
    size = (site / "2024-02" / "2024-02-screen.pdf").stat().st_size / 1e6
    assert f"untuk layar · {size:.1f} MB".replace(".", ",") in hero


def test_every_link_and_image_resolves_and_every_image_is_described(site):
    for path in _pages(site):
        page = Page(path)
        missing = [u for u in page.urls if (f := page.resolve(u)) is not None and not f.is_file()]
        assert missing == [], f"{path}: {missing}"
        for img in page.images:
            assert (img.get("alt") or "").startswith("Sampul IDM Edisi "), img
            assert int(img["width"] or 0) > 0 and int(img["height"] or 0) > 0
            assert "240w" in (img.get("srcset") or "") and "960w" in (img.get("srcset") or "")
        lazy = [img.get("loading") for img in page.images]
        assert lazy[0] is None and set(lazy[1:]) <= {"lazy"}  # the big cover loads at once
    css = (site / "assets" / "catalog.css").read_text()
    for font in re.findall(r'url\("([^"]+)"\)', css):
        assert (site / "assets" / font).is_file()


def test_issue_page_lists_the_contents_from_the_pdf(site):
    page = Page(site / "2024-02" / "index.html")
    assert page.headings[0] == (1, "Edisi 6 Februari 2024")
    titles = [t for _, t in page.headings]
    assert [t for t in titles if t in ("Laporan Utama", "Internasional", "Rubrik Tetap")] == [
        "Laporan Utama",
        "Internasional",
        "Rubrik Tetap",
    ]
    meta = json.loads((site / "2024-02" / "2024-02.json").read_text())
    text = " ".join(page.text)
    for e in meta["contents"]:
        if e["kind"] == "article":
            assert f"{e['page']} {e['title']}" in text
    assert "Edisi 5 · Januari 2024" in text  # the older issue, linked
    older = Page(site / "2023-12" / "index.html")
    assert "Edisi 5 · Januari 2024" in " ".join(older.text)  # the newer one


def test_opds_feed_is_an_acquisition_feed(site):
    root = ET.parse(site / "opds.xml").getroot()
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}id").startswith("urn:uuid:")
    assert root.findtext(f"{ATOM}title")
    assert root.findtext(f"{ATOM}updated") == "2024-02-18T00:00:00Z"
    assert root.find(f"{ATOM}author/{ATOM}name").text == "Redaksi IDM"
    links = {ln.get("rel"): ln for ln in root.findall(f"{ATOM}link")}
    for rel in ("self", "start"):
        assert links[rel].get("type") == OPDS_ACQ and links[rel].get("href") == "opds.xml"
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{DC}issued") for e in entries] == [
        "2024-02-18",
        "2024-01-21",
        "2023-12-17",
    ]
    ids = set()
    for entry in entries:
        ids.add(entry.findtext(f"{ATOM}id"))
        assert entry.findtext(f"{ATOM}id").startswith("urn:uuid:")
        assert re.fullmatch(r"IDM Edisi \d · \w+ \d{4}", entry.findtext(f"{ATOM}title"))
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00Z", entry.findtext(f"{ATOM}updated"))
        assert entry.findtext(f"{DC}language") == "id"
        assert "Patroli di Perairan Utara" in entry.findtext(f"{ATOM}summary")
        assert entry.find(f"{ATOM}author/{ATOM}name").text == "Redaksi IDM"
        by_rel: dict[str, list] = {}
        for ln in entry.findall(f"{ATOM}link"):
            by_rel.setdefault(ln.get("rel"), []).append(ln)
        for rel in ("http://opds-spec.org/image", "http://opds-spec.org/image/thumbnail"):
            (img,) = by_rel[rel]
            assert img.get("type") == "image/jpeg" and (site / img.get("href")).is_file()
        pdfs = by_rel["http://opds-spec.org/acquisition"]
        assert pdfs and all(p.get("type") == "application/pdf" for p in pdfs)
        for p in pdfs:
            assert (site / p.get("href")).stat().st_size == int(p.get("length"))
    assert len(ids) == 3
    # The newest issue has a print PDF too, which is not a subscriber's download.
    (acquisition,) = entries[0].findall(f"{ATOM}link[@rel='http://opds-spec.org/acquisition']")
    assert acquisition.get("href", "").endswith("2024-02-screen.pdf")


def test_issues_json_for_scripts(site):
    data = json.loads((site / "issues.json").read_text())
    assert data["schema"] == 1 and data["latest"] == "2024-02" and data["magazine"] == "IDM"
    assert [i["id"] for i in data["issues"]] == ["2024-02", "2024-01", "2023-12"]
    for issue in data["issues"]:
        assert set(issue) >= {
            "id",
            "number",
            "date",
            "date_text",
            "title",
            "cover_lines",
            "page",
            "covers",
            "files",
            "contents",
        }
        assert (site / issue["page"]).is_file()
        assert all((site / href).is_file() for href in issue["covers"].values())
        for f in issue["files"]:
            path = site / f["href"]
            assert f["bytes"] == path.stat().st_size and f["type"] == "application/pdf"
            assert len(f["sha256"]) == 64 and f["pages"] > 0
    assert [f["profile"] for f in data["issues"][0]["files"]] == ["screen"]


def test_catalog_is_deterministic_and_base_url_makes_feed_links_absolute(site, tmp_path):
    before = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    result = write_catalog(site)
    assert result.written == []  # nothing changed, nothing written
    assert {p: p.read_bytes() for p in site.rglob("*") if p.is_file()} == before

    copy = tmp_path / "dist"
    shutil.copytree(site, copy)
    invoke(["catalog", copy, "--base-url", "https://idm.example/edisi"])
    feed = ET.parse(copy / "opds.xml").getroot()
    hrefs = [ln.get("href") for ln in feed.iter(f"{ATOM}link")]
    assert all(h.startswith("https://idm.example/edisi/") for h in hrefs), hrefs
    assert (
        '<link rel="canonical" href="https://idm.example/edisi/index.html">'
        in (copy / "index.html").read_text()
    )
    # The pages' own links stay relative.
    assert 'href="2024-02/2024-02-screen.pdf"' in (copy / "index.html").read_text()


def test_an_empty_folder_is_bad_input(tmp_path):
    result = invoke(["catalog", tmp_path], exit_code=2)
    assert "error: no built issues here" in result.output


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (/usr/bin/chromium)")
def test_in_a_real_browser_at_phone_and_desktop_widths(site):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            for width in (390, 1280):
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.goto((site / "index.html").as_uri())
                page.wait_for_load_state("load")
                # Lazy images load when scrolled to: scroll through the page first.
                page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
                page.wait_for_function(
                    "Array.from(document.images).every(i => i.complete)", timeout=10_000
                )
                broken = page.evaluate(
                    "Array.from(document.images).filter(i => i.naturalWidth === 0).map(i => i.src)"
                )
                assert broken == [], (width, broken)
                # Nothing wider than the screen.
                assert page.evaluate("document.documentElement.scrollWidth") <= width
                # The latest issue comes first, above the back issues.
                first = page.locator("h2, h3, h4").all_inner_texts()
                assert first[0].upper() == "EDISI TERBARU"
                assert first[1].startswith("Edisi 6")
                hero = page.locator(".latest-title").bounding_box()
                shelf = page.locator(".card").first.bounding_box()
                assert hero["y"] < shelf["y"]
                # Fonts of the magazine, not the browser's default.
                assert page.evaluate("document.fonts.check('900 20px \"Inter Display\"')")
                # Follow the latest issue's page, then its download link to the PDF.
                page.click(".latest-title a")
                page.wait_for_load_state("load")
                assert page.locator("h1").inner_text().startswith("Edisi 6")
                assert (
                    page.evaluate(
                        "Array.from(document.images)"
                        ".filter(i => i.complete && i.naturalWidth === 0)"
                        ".length"
                    )
                    == 0
                )
                url = page.locator("a.button-primary").evaluate("a => a.href")
                target = Path(unquote(urlsplit(url).path))
                assert target == site / "2024-02" / "2024-02-screen.pdf" and target.is_file()
                response = page.goto(url)
                assert response is not None and response.ok
                assert response.headers["content-type"] == "application/pdf"
                page.close()
        finally:
            browser.close()
