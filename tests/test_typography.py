"""Type and grid: Indonesian hyphenation in the PDF, one baseline grid, display type
without runts, typographic quotes. The PDFs are read back with pypdfium2, pypdf and
pdftotext, never trusted from the code that wrote them."""

from __future__ import annotations

import ctypes
import io
import json
import re
import shutil
import statistics
import subprocess
import tomllib
from collections import Counter, defaultdict
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from conftest import FIXTURES, REPO, SAMPLE, invoke
from markupsafe import Markup
from pypdf import PdfReader

from edition.issue.load import load_issue
from edition.language.hyphenate import (
    SOFT_HYPHEN,
    WHOLE,
    allowed_break,
    hyphenate,
    hyphenate_html,
    protect_html,
)
from edition.language.typography import (
    NBSP,
    bind_last_words,
    typographic,
    without_breaks,
)
from edition.layout.load import load_layout
from edition.pdf.engine import weasyprint
from edition.pdf.grid import grid_padding, render_on_grid
from edition.plan.plan import plan_issue
from edition.profiles import PROFILES
from edition.render.html import render_html

MM = 72 / 25.4
LAYOUT = tomllib.loads((REPO / "layouts" / "classic" / "layout.toml").read_text())
BASELINE = float(LAYOUT["page"]["baseline"])  # pt
TOP = float(LAYOUT["page"]["top"]) * MM
HYPHENS = "\u2010-"  # what a PDF shows where a word is cut at a line end
STRAIGHT = "\"'"


# -- plain text and HTML ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plain", "typeset"),
    [
        ('"Awak kami sehat," katanya.', "\u201cAwak kami sehat,\u201d katanya."),
        ('Jum\'at di "Kapal Putih"', "Jum\u2019at di \u201cKapal Putih\u201d"),
        ("disebut 'latihan basah' saja", "disebut \u2018latihan basah\u2019 saja"),
        ("angkatan '90-an ikut", "angkatan \u201990-an ikut"),
        ("Nama O'Brien", "Nama O\u2019Brien"),
        ("para pelaut' tua", "para pelaut\u2019 tua"),
        ('("kutipan")', "(\u201ckutipan\u201d)"),
        ("tiga pekan - lebih cepat", "tiga pekan \u2013 lebih cepat"),
        ("laut -- dari feri", "laut \u2013 dari feri"),
        ("2019---2024", "2019\u20142024"),
        ("jika cuaca mengizinkan...", "jika cuaca mengizinkan\u2026"),
        ("kapal-kapal patroli, 2019-2024", "kapal-kapal patroli, 2019-2024"),
        ("\u201csudah\u201d tipografis", "\u201csudah\u201d tipografis"),
    ],
)
def test_typographic_quotes_and_dashes(plain: str, typeset: str) -> None:
    assert typographic(plain) == typeset
    assert typographic(typeset) == typeset


def test_bind_last_words_escapes_plain_text_and_binds_the_last_space() -> None:
    bound = bind_last_words("Menjaga Gerbang <Utara> & Laut")
    assert isinstance(bound, Markup)
    assert str(bound) == f"Menjaga Gerbang &lt;Utara&gt; &amp;{NBSP}Laut"
    assert bind_last_words(bound) == bound  # bound once is enough


def test_bind_last_words_in_markup_leaves_tags_and_entities_alone() -> None:
    caption = Markup("Kapal <em>KRI Nanggala</em> di dermaga")
    assert str(bind_last_words(caption)) == f"Kapal <em>KRI Nanggala</em> di{NBSP}dermaga"
    # The last space inside an element: bound there.
    assert (
        str(bind_last_words(Markup("<p>Armada dan <a href='#x'>Awak Kapal</a></p>")))
        == f"<p>Armada dan <a href='#x'>Awak{NBSP}Kapal</a></p>"
    )
    # The attribute's spaces are not words.
    assert (
        str(bind_last_words(Markup('<a title="a b c">Satu Dua Tiga</a>')))
        == f'<a title="a b c">Satu Dua{NBSP}Tiga</a>'
    )
    assert str(bind_last_words(Markup("Dua &amp; Tiga"))) == f"Dua &amp;{NBSP}Tiga"


def test_bind_last_words_leaves_short_and_long_endings() -> None:
    assert str(bind_last_words("Imbas Laut")) == "Imbas Laut"  # two words: nothing to gain
    assert str(bind_last_words("Satu Laut, Banyak Bendera", 15)) == (
        f"Satu Laut, Banyak{NBSP}Bendera"
    )
    assert str(bind_last_words("Sikatan Mulai Mengepakkan Sayapnya", 15)) == (
        "Sikatan Mulai Mengepakkan Sayapnya"  # 23 characters bound could not fit the box
    )
    # A line break between the last two words (a <br>) is not a space to bind.
    assert str(bind_last_words(Markup("Berlangganan,<br>tak ketinggalan lagi"))) == (
        f"Berlangganan,<br>tak ketinggalan{NBSP}lagi"
    )
    assert str(bind_last_words(Markup("satu dua<br>tiga"))) == "satu dua<br>tiga"


def test_without_breaks_takes_one_occurrence_whole() -> None:
    text = "<p>pertahanan negara, <em>pertahanan</em> laut dan pertahanannya; Pertahanan</p>"
    second = without_breaks(text, "pertahanan", 1)
    assert second == (
        "<p>pertahanan negara, <em>{}pertahanan{}</em> laut dan pertahanannya; "
        "Pertahanan</p>".format(*WHOLE)
    )
    every = without_breaks(text, "pertahanan")
    assert every.count(WHOLE[0]) == 2  # neither a longer word nor another spelling
    assert without_breaks(text, "pertahanan", 5) == text
    # a word running on across an inline tag is one word, wrapped piece by piece
    assert without_breaks("<p>ke <b>per</b>tahanan</p>", "pertahanan", 0) == (
        "<p>ke <b>{0}per{1}</b>{0}tahanan{1}</p>".format(*WHOLE)
    )
    # soft hyphens in the word go
    assert without_breaks(hyphenate_html("<p>militer</p>"), "militer") == (
        "<p>{}militer{}</p>".format(*WHOLE)
    )


@pytest.mark.parametrize(
    ("text", "whole"),
    [
        ("kapal-kapal patroli", ["kapal-kapal"]),
        ("tulis ke redaksi@idm.example segera", ["redaksi@idm.example"]),
        ("lihat www.idm.example/berita/terbaru saja", ["www.idm.example/berita/terbaru"]),
        ("forum ASEAN-Indonesia,", ["ASEAN-Indonesia,"]),
        ("di <em>Indo</em>nesia timur", ["nesia"]),
        ("pertahanan (militer), “dengan” Jum'at", []),
    ],
)
def test_protect_html_marks_words_cut_only_out_of_context(text: str, whole: list[str]) -> None:
    marked = protect_html(f"<p>{text}</p>")
    assert re.findall(re.escape(WHOLE[0]) + "(.*?)" + re.escape(WHOLE[1]), marked) == whole
    assert marked.replace(WHOLE[0], "").replace(WHOLE[1], "") == f"<p>{text}</p>"
    assert protect_html(marked) == marked


def test_weasyprint_asks_edition_where_indonesian_words_break() -> None:
    weasyprint()  # registers the rules, as every layout does
    import pyphen

    dictionary = pyphen.Pyphen(lang="id", left=2, right=3)
    for word in ("dengan", "militer", "masyarakat", "perangkat", "ASEAN", "kawasan", "Korea"):
        assert dictionary.positions(word) == hyphenate(word), word
    assert pyphen.Pyphen(lang="id_ID").inserted("dengan") == "de-ngan"


# Long Indonesian words in a narrow justified column: cut at the end of most lines.
_LONG_WORDS = (
    "pertahanan keberlanjutan memperlengkapi pengembangan kementerian perindustrian "
    "penyelenggaraan kepelabuhanan pemberdayaan pengadaan berkesinambungan "
    "mengoperasikan pemeliharaan kedirgantaraan ketahanan perbendaharaan "
)


def _cut_runs(pdf: bytes) -> list[int]:
    """The runs of lines in a row ending in a cut word, read back by poppler."""
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    runs, run = [], 0
    for line in text.splitlines():
        if line.rstrip().endswith("\u2010"):
            run += 1
        else:
            if run:
                runs.append(run)
            run = 0
    return runs


def test_no_more_than_two_lines_in_a_row_end_in_a_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    from edition.pdf import hyphens

    html = (
        '<html lang="id"><head><style>@page { size: 60mm 400mm; margin: 5mm; }'
        "p { font: 10pt/12pt serif; width: 38mm; text-align: justify; hyphens: auto; "
        'hyphenate-character: "\\2010"; margin: 0 0 12pt; }</style></head><body>'
        + f"<p>{_LONG_WORDS * 4}</p>" * 3
        + "</body></html>"
    )
    wp = weasyprint()
    limited = _cut_runs(wp.HTML(string=html).write_pdf())
    monkeypatch.setattr(hyphens, "RUN_LIMIT", 99)
    unlimited = _cut_runs(wp.HTML(string=html).write_pdf())
    assert max(unlimited) >= 3  # the text would cut three lines in a row and more
    assert limited and max(limited) == 2


@pytest.mark.parametrize(
    ("height", "step", "pad"),
    [(24.0, 12.0, 0.0), (25.0, 12.0, 11.0), (35.999, 12.0, 0.001), (36.004, 12.0, 0.0)],
)
def test_grid_padding(height: float, step: float, pad: float) -> None:
    assert grid_padding(height, step) == pytest.approx(pad, abs=0.0011)


class _Text(HTMLParser):
    """The text of an HTML page by the element it is in (style and head left out)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str]] = []
        self.runs: list[tuple[tuple[tuple[str, str], ...], str]] = []
        self.attributes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attributes += [v for _, v in attrs if v]
        if tag not in ("br", "img", "meta", "link", "hr"):
            self.stack.append((tag, dict(attrs).get("class") or ""))

    def handle_endtag(self, tag: str) -> None:
        while self.stack and self.stack.pop()[0] != tag:
            pass

    def handle_data(self, data: str) -> None:
        if data.strip() and not any(t in ("style", "head", "title") for t, _ in self.stack):
            self.runs.append((tuple(self.stack), data))


def _within(run: tuple[tuple[str, str], ...], tag: str = "", cls: str = "") -> bool:
    return any((not tag or t == tag) and (not cls or cls in c.split()) for t, c in run)


@pytest.fixture(scope="module")
def fixture_html() -> _Text:
    issue = load_issue(FIXTURES / "typography")
    layout = load_layout(issue.spec.layout, issue.root)
    parser = _Text()
    parser.feed(render_html(plan_issue(issue, layout), PROFILES["print"]))
    return parser


def test_html_marks_words_to_keep_whole_and_writes_no_soft_hyphens(fixture_html: _Text) -> None:
    body = [
        t for run, t in fixture_html.runs if _within(run, "p") and _within(run, cls="story-body")
    ]
    assert len(" ".join(body).split()) > 800
    kept = [t for run, t in fixture_html.runs if _within(run, "span", "whole")]
    assert {"perahu-perahu", "kapal-kapal", "berjam-jam,"} <= set(kept)
    assert not [t for _, t in fixture_html.runs if SOFT_HYPHEN in t]


def test_html_attributes_are_not_bound(fixture_html: _Text) -> None:
    assert fixture_html.attributes
    assert not [a for a in fixture_html.attributes if SOFT_HYPHEN in a or NBSP in a]


def test_html_display_type_ends_on_two_bound_words(fixture_html: _Text) -> None:
    for tag, cls in [("h1", "headline"), ("p", "dek"), ("figcaption", ""), ("", "toc-title")]:
        texts = [t.strip() for run, t in fixture_html.runs if _within(run, tag, cls)]
        ends = [t for t in texts if len(t.split()) >= 2]
        assert ends, (tag, cls)
        # the text node that ends the element carries the no-break space
        assert any(NBSP in t for t in ends), (tag, cls, ends)


def test_html_has_no_straight_quotes(fixture_html: _Text) -> None:
    straight = [t for _, t in fixture_html.runs if any(q in t for q in STRAIGHT)]
    assert not straight
    # and the plain fields of issue.toml and the front matter did have them
    toml = (FIXTURES / "typography" / "issue.toml").read_text()
    assert '\\"Bima\\"' in toml and "Jum'at" in toml


# -- the PDF ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Glyph:
    char: str
    x: float
    right: float
    baseline: float
    font: str  # without the subset prefix
    size: float  # as the content stream sets it


@dataclass(frozen=True)
class Line:
    glyphs: tuple[Glyph, ...]

    @property
    def style(self) -> tuple[str, float]:
        counts = Counter((g.font, g.size) for g in self.glyphs if not g.char.isspace())
        return counts.most_common(1)[0][0]

    @property
    def text(self) -> str:
        return "".join(g.char for g in self.glyphs).replace("\ufffe", "-")

    def words(self, style: tuple[str, float] | None = None) -> list[str]:
        """The words of the line set in `style` (others: a credit after a caption)."""
        chars = [g.char if style is None or (g.font, g.size) == style else " " for g in self.glyphs]
        return "".join(chars).replace(NBSP, " ").split()

    @property
    def baseline(self) -> float:
        return self.glyphs[0].baseline


def glyphs(page: pdfium.PdfPage) -> list[Glyph]:
    textpage = page.get_textpage()
    buf = ctypes.create_string_buffer(256)
    flags = ctypes.c_int()
    out = []
    for i in range(pdfium_c.FPDFText_CountChars(textpage)):
        x, y = ctypes.c_double(), ctypes.c_double()
        pdfium_c.FPDFText_GetCharOrigin(textpage, i, ctypes.byref(x), ctypes.byref(y))
        box = [ctypes.c_double() for _ in range(4)]
        pdfium_c.FPDFText_GetCharBox(textpage, i, *(ctypes.byref(v) for v in box))
        pdfium_c.FPDFText_GetFontInfo(textpage, i, buf, 256, ctypes.byref(flags))
        font = buf.value.decode(errors="replace").split("+")[-1]
        size = round(pdfium_c.FPDFText_GetFontSize(textpage, i), 2)
        char = chr(pdfium_c.FPDFText_GetUnicode(textpage, i))
        out.append(Glyph(char, x.value, box[1].value, y.value, font, size))
    textpage.close()
    return out


def lines(page: pdfium.PdfPage) -> list[Line]:
    """The page's text lines in the order WeasyPrint wrote them (a line at a time)."""
    out: list[list[Glyph]] = []
    current: list[Glyph] = []
    for g in glyphs(page):
        new_line = g.char in "\r\n" or (
            current and (abs(g.baseline - current[-1].baseline) > 0.3 or g.x < current[-1].x - 0.5)
        )
        if new_line and current:
            out.append(current)
            current = []
        if g.char not in "\r\n":
            current.append(g)
    if current:
        out.append(current)
    return [Line(tuple(c)) for c in out if any(not g.char.isspace() for g in c)]


class Edition:
    """A built PDF, read once: its lines page by page, its text, its boxes."""

    def __init__(self, pdf: Path) -> None:
        self.path = pdf
        doc = pdfium.PdfDocument(pdf)
        try:
            self.lines = [lines(doc[i]) for i in range(len(doc))]
            self.trim_tops = [doc[i].get_trimbox()[3] for i in range(len(doc))]
        finally:
            doc.close()
        counts = Counter(line.style for page in self.lines for line in page)
        self.body = counts.most_common(1)[0][0]  # the style most lines are set in
        done = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        )
        self.pdftotext = done.stdout

    def article_pages(self) -> list[int]:
        """Pages that carry body text in columns (at least 8 lines of it)."""
        return [
            i for i, page in enumerate(self.lines) if sum(ln.style == self.body for ln in page) >= 8
        ]

    def styles_of(self, texts: list[str]) -> set[tuple[str, float]]:
        """The styles the given strings are set in: those of the lines whose words (three
        or more, in the line's own style) are a run of one string's words."""
        sources = [" " + " ".join(re.findall(r"[^\W\d_]+", t)) + " " for t in texts]
        found = set()
        for page in self.lines:
            for ln in page:
                words = re.findall(r"[^\W\d_]+", " ".join(ln.words(ln.style)))
                if len(words) >= 3 and any(f" {' '.join(words)} " in s for s in sources):
                    found.add(ln.style)
        return found - {self.body}


def _build(issue: Path, out: Path, *profiles: str) -> Path:
    args: list[str | Path] = ["build", issue, "--out", out]
    for p in profiles:
        args += ["--profile", p]
    # The fixture's photos are small and it has no ISSN: preflight says so (exit 1).
    invoke(args, exit_code=1)
    return out / issue.name


@pytest.fixture(scope="module")
def fixture_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The typography fixture issue built for print, once for this module."""
    root = tmp_path_factory.mktemp("typography")
    issue = root / "typography"
    shutil.copytree(FIXTURES / "typography", issue)
    return _build(issue, root / "dist", "print")


@pytest.fixture(scope="module")
def fixture_print(fixture_build: Path) -> Edition:
    return Edition(fixture_build / "typography-print.pdf")


@pytest.fixture(scope="module")
def sample_print(sample_pdf: Path) -> Edition:
    return Edition(sample_pdf)


def off_grid(edition: Edition) -> tuple[dict[tuple[int, int], list[float]], int]:
    """Body lines whose baseline is off the grid that starts at the type area's top:
    {(page, column): [offsets in pt]}, and how many lines were read. The grid's phase
    (where a baseline sits inside its 12 pt line) is the one most body lines have."""
    residues: list[tuple[int, int, float]] = []
    for index in edition.article_pages():
        top = edition.trim_tops[index] - TOP
        columns: dict[int, list[Line]] = defaultdict(list)
        for ln in edition.lines[index]:
            if ln.style == edition.body:
                columns[round(ln.glyphs[0].x / (20 * MM))].append(ln)
        for column, col_lines in columns.items():
            for ln in col_lines:
                residues.append((index + 1, column, (top - ln.baseline) % BASELINE))
    phase = statistics.median(r for _, _, r in residues)
    bad: dict[tuple[int, int], list[float]] = defaultdict(list)
    for page, column, r in residues:
        offset = (r - phase + BASELINE / 2) % BASELINE - BASELINE / 2
        if abs(offset) > 0.15:
            bad[(page, column)].append(round(offset, 2))
    return dict(bad), len(residues)


pdf_tests = pytest.mark.slow


def _opens_with(line: Line, style: tuple[str, float]) -> bool:
    first = next(g for g in line.glyphs if not g.char.isspace())
    return (first.font, first.size) == style


@pdf_tests
@pytest.mark.parametrize("which", ["fixture_print", "sample_print"])
def test_body_text_sits_on_one_baseline_grid(which: str, request: pytest.FixtureRequest) -> None:
    """Every body line of every article page, in every column, on the 12 pt grid that
    starts at the type area's top: after Baca Juga boxes, pull quotes, sidebars, photos
    with captions, quarter-page ads, subheads, lists, quotations, rules and on openers."""
    edition: Edition = request.getfixturevalue(which)
    bad, read = off_grid(edition)
    assert read > (150 if which == "fixture_print" else 1500)
    assert not bad, f"body lines off the {BASELINE} pt grid (page, column): {bad}"


GRID_PAGE = """<!doctype html><html lang="id"><head><style>
@font-face {{ font-family: Body; src: url("{font}"); }}
@page {{ size: 130mm 150mm; margin: 10mm; }}
html {{ font: 9pt/12pt Body; }} body {{ margin: 0; }}
.flow {{ columns: 2; column-gap: 5mm; text-align: justify; }}
p {{ margin: 0; }}
.box {{ margin: 12pt 0; padding: 3pt 0 2pt; border-top: 2.5pt solid black;
        font-size: 7pt; line-height: 9pt; break-inside: avoid; }}
</style></head><body><div class="flow">{body}</div></body></html>"""


def _grid_page() -> str:
    words = [
        "kapal",
        "patroli",
        "berangkat",
        "dari",
        "dermaga",
        "sebelum",
        "matahari",
        "terbit",
        "membawa",
        "awak",
    ]
    paragraph = "<p>" + " ".join(words * 6) + "</p>"
    boxes = [
        '<div class="box grid-box">' + " ".join(words[: 4 + 7 * n]) + "</div>" for n in range(4)
    ]
    boxes[2] = boxes[2].replace("box grid-box", "box grid-box grid-center")
    body = "".join(paragraph + box for box in boxes) + paragraph
    font = (REPO / "assets" / "fonts" / "NotoSerif-Regular.ttf").as_uri()
    return GRID_PAGE.format(font=font, body=body)


@pytest.mark.parametrize("on_grid", [True, False])
def test_render_on_grid_pads_boxes_to_whole_lines(tmp_path: Path, on_grid: bool) -> None:
    """Boxes of 1 to 4 caption lines at 9 pt between paragraphs, in two columns: laid out
    on the grid, every body line of both columns sits on the one 12 pt grid; laid out
    plainly, they do not (so the check can fail)."""
    html = weasyprint().HTML(string=_grid_page())
    document = render_on_grid(html) if on_grid else html.render()
    pdf = tmp_path / "grid.pdf"
    pdf.write_bytes(document.write_pdf())
    doc = pdfium.PdfDocument(pdf)
    try:
        body = [
            (ln.glyphs[0].x, ln.baseline)
            for i in range(len(doc))
            for ln in lines(doc[i])
            if ln.style[1] > 11  # 9 pt body text, not the 7 pt boxes
        ]
        top = doc[0].get_mediabox()[3] - 10 * MM
    finally:
        doc.close()
    assert len({round(x) for x, _ in body}) >= 2  # both columns
    residues = {round((top - y) % BASELINE, 1) % BASELINE for _, y in body}
    assert (len(residues) == 1) is on_grid, residues


def test_the_grid_is_measured_once_for_the_same_boxes(monkeypatch: pytest.MonkeyPatch) -> None:
    """A document whose grid boxes and their surroundings are as before (its paragraphs
    edited) is laid out once, padded as the first was; a box changed, or one that shows a
    file that may change under its name, is measured again."""
    from edition.pdf import grid

    monkeypatch.setattr(grid, "_MEASURED", type(grid._MEASURED)())
    wp = weasyprint()
    renders = [0]
    plain_render = wp.HTML.render

    def counted(self: object, **options: object) -> object:
        renders[0] += 1
        return plain_render(self, **options)

    monkeypatch.setattr(wp.HTML, "render", counted)

    def padded(page: str) -> tuple[int, list[str]]:
        html = wp.HTML(string=page)
        renders[0] = 0
        render_on_grid(html)
        boxes = [e for e in html.etree_element.iter() if "grid-box" in (e.get("class") or "")]
        return renders[0], [str(e.get("style")) for e in boxes]

    page = _grid_page()
    first = padded(page)
    edited = padded(page.replace("berangkat dari dermaga sebelum matahari terbit membawa", "x", 3))
    box_changed = padded(
        page.replace('<div class="box grid-box">kapal', '<div class="box grid-box">Kapal Kapal', 1)
    )
    with_file = page.replace("</div><p>", '<img src="file:///nowhere/logo.png"></div><p>', 1)
    files = [padded(with_file), padded(with_file)]
    assert first[0] == 2 and any("padding-bottom" in s for s in first[1])
    assert edited == (1, first[1])
    assert box_changed[0] == 2
    assert [n for n, _ in files] == [2, 2]


def display_texts(issue_dir: Path) -> list[str]:
    """What the issue sets as display type: headlines, decks, captions, subheads, cover
    lines, contents entries, news headlines, Populer titles, pull quotes, box titles."""
    issue = load_issue(issue_dir)
    out: list[str] = []
    for article in issue.articles:
        meta = article.meta
        out += [meta.title, meta.dek or "", meta.lead_caption or "", meta.pullquote or ""]
        out += [meta.sidebar.title if meta.sidebar else ""]
        out += re.findall(r"^#+ (.+)$", article.body, re.M)
        out += re.findall(r"!\[([^\]]+)\]", article.body)
    out += [n.title for n in issue.spec.news]
    out += [p.title or "" for p in issue.spec.popular]
    out += [p.caption or "" for p in issue.spec.inframe]
    return [re.sub(r"[*_`]", "", t) for t in out if t]


def runts(edition: Edition, styles: set[tuple[str, float]]) -> list[str]:
    """Blocks of display type (lines of one style, one under the other) whose last line
    is a single word."""
    found = []
    for index, page in enumerate(edition.lines):
        blocks: list[list[Line]] = []
        for ln in page:
            if ln.style not in styles:
                continue
            for block in blocks:
                last = block[-1]
                if (
                    last.style == ln.style
                    and abs(last.glyphs[0].x - ln.glyphs[0].x) < 1.0
                    and 0 < last.baseline - ln.baseline < 2.2 * ln.style[1]
                ):
                    block.append(ln)
                    break
            else:
                blocks.append([ln])
        for block in blocks:
            words = block[-1].words(block[-1].style)
            if len(block) > 1 and len(words) == 1 and not words[0].isdigit():
                found.append(f"p. {index + 1}: " + " / ".join(ln.text.strip() for ln in block))
    return found


@pdf_tests
@pytest.mark.parametrize(
    ("which", "issue"), [("fixture_print", "typography"), ("sample_print", "")]
)
def test_display_type_never_ends_on_one_word(
    which: str, issue: str, request: pytest.FixtureRequest
) -> None:
    edition: Edition = request.getfixturevalue(which)
    styles = edition.styles_of(display_texts(FIXTURES / issue if issue else SAMPLE))
    assert len(styles) >= 8, styles  # headlines, decks, captions, contents, news, ...
    assert not runts(edition, styles)


@pdf_tests
@pytest.mark.parametrize(
    ("which", "issue"), [("fixture_print", "typography"), ("sample_print", "")]
)
def test_display_type_is_never_hyphenated(
    which: str, issue: str, request: pytest.FixtureRequest
) -> None:
    edition: Edition = request.getfixturevalue(which)
    styles = edition.styles_of(display_texts(FIXTURES / issue if issue else SAMPLE))
    cut = [
        ln.text
        for page in edition.lines
        for ln in page
        if ln.style in styles
        and ln.text.rstrip()[-1:] in HYPHENS
        and ln.text.rstrip()[-2:-1].isalpha()
    ]
    # A real hyphen at a line end (Bangsa-Bangsa) is allowed; a cut word is not.
    assert not [t for t in cut if t.rstrip().endswith("\u2010")], cut


@pdf_tests
@pytest.mark.parametrize("which", ["fixture_print", "sample_print"])
def test_words_are_cut_only_where_the_hyphenator_allows(
    which: str, request: pytest.FixtureRequest
) -> None:
    """Every line that ends in a cut word (U+2010, the hyphen WeasyPrint sets at a soft
    hyphen) is cut where edition's Indonesian rules allow: the word's head, and its tail
    at the start of the next line of the same style (in another column or on the next
    page when the cut falls at a column's foot)."""
    edition: Edition = request.getfixturevalue(which)
    flow = [ln for page in edition.lines for ln in page]
    cuts = []
    for i, ln in enumerate(flow):
        text = ln.text.rstrip()
        if not (text.endswith("\u2010") and text[-2:-1].isalpha()):
            continue
        # the hyphen is set in the cut word's style; the tail opens the next line in it
        style = (ln.glyphs[-1].font, ln.glyphs[-1].size)
        following = next((n for n in flow[i + 1 :] if _opens_with(n, style)), None)
        # the whole token between spaces, so that its neighbours count (kapal-kapal)
        head = re.findall(r"\S+$", text[:-1])
        tail = re.match(r"\S+", following.text.replace(NBSP, " ").lstrip()) if following else None
        assert head and tail, text
        cuts.append((head[0] + tail.group(), len(head[0])))
    assert len(cuts) > (20 if which == "fixture_print" else 400)
    wrong = [f"{w[:at]}-{w[at:]}" for w, at in cuts if not allowed_break(w, at)]
    assert not wrong


@pdf_tests
@pytest.mark.parametrize("which", ["fixture_print", "sample_print"])
def test_no_soft_hyphen_or_straight_quote_in_the_text(
    which: str, request: pytest.FixtureRequest
) -> None:
    edition: Edition = request.getfixturevalue(which)
    reader = PdfReader(edition.path)
    pypdf_text = "".join(page.extract_text() for page in reader.pages)
    for text in (edition.pdftotext, pypdf_text):
        assert SOFT_HYPHEN not in text
        assert not re.findall(r".{0,20}[\"'].{0,20}", text)
    # quotes there were: curly ones
    assert "\u201c" in edition.pdftotext and "\u2019" in edition.pdftotext


@pdf_tests
def test_fixture_news_and_titles_get_curly_quotes(fixture_print: Edition) -> None:
    text = " ".join(edition_line.text for page in fixture_print.lines for edition_line in page)
    text = text.replace(NBSP, " ")
    assert "Kapal \u201cBima\u201d Kembali" in text
    assert "Jum\u2019at di \u201cKapal Putih\u201d" in text
    assert "\u201990-an" in text and "O\u2019Brien" in text
    assert "pekan \u2013 lebih" in text.replace("\u2010 ", "").replace("\u2010", "")


@pdf_tests
def test_bookmarks_and_metadata_are_clean(fixture_build: Path) -> None:
    reader = PdfReader(fixture_build / "typography-print.pdf")
    titles: list[str] = []

    def walk(items: list) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                titles.append(str(item.title))

    walk(reader.outline)
    assert "Jum\u2019at di \u201cKapal Putih\u201d" in titles
    assert not [t for t in titles if SOFT_HYPHEN in t or NBSP in t]
    meta = (fixture_build / "typography.json").read_text(encoding="utf-8")
    assert SOFT_HYPHEN not in meta and NBSP not in meta and "\\u00ad" not in meta.lower()
    assert "Dermaga Timur Tak Pernah Tidur" in json.dumps(json.loads(meta), ensure_ascii=False)


def test_each_line_is_broken_once_per_layout_and_draws_the_same_pages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """WeasyPrint sets balanced columns several times: with the memo of `pdf.lines`,
    Pango is asked far less often, and the pages draw exactly the same."""
    import pikepdf
    from weasyprint.layout import inline

    from edition.pdf.lines import _once

    wp = weasyprint()  # installs the memo, as every layout does
    assert getattr(inline.split_first_line, "edition_once", False)
    original = inline.split_first_line.__wrapped__
    calls = Counter[str]()

    def counted(name: str) -> object:
        def split(*args: object, **kwargs: object) -> object:
            calls[name] += 1
            return original(*args, **kwargs)

        return split

    body = "".join(
        f"<p>{_LONG_WORDS * (2 + i % 3)} Kapal {i} berlayar ke Natuna.</p>" for i in range(14)
    )
    html = (
        '<html lang="id"><head><style>@page { size: 150mm 120mm; margin: 8mm; }'
        ".c { columns: 3; column-gap: 4mm; font: 9pt/12pt serif; text-align: justify; "
        'hyphens: auto; hyphenate-character: "\\2010"; } p { margin: 0; text-indent: 1em; }'
        f'</style></head><body><div class="c">{body}</div></body></html>'
    )

    def pages(pdf: bytes) -> list[bytes]:
        with pikepdf.open(io.BytesIO(pdf)) as doc:
            return [
                b"".join(s.read_bytes() for s in ([c] if isinstance(c, pikepdf.Stream) else c))
                for c in (p.obj.Contents for p in doc.pages)
            ]

    monkeypatch.setattr(inline, "split_first_line", counted("plain"))
    plain = pages(wp.HTML(string=html).write_pdf())
    monkeypatch.setattr(inline, "split_first_line", _once(counted("once")))
    once = pages(wp.HTML(string=html).write_pdf())
    assert len(plain) >= 3  # several pages, the last one balanced
    assert once == plain
    assert calls["once"] < 0.7 * calls["plain"], calls


def test_the_line_memo_does_not_keep_a_long_paragraph_once_per_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The text left at each line of a paragraph is a new string: kept whole, a long
    paragraph would be kept about as many times as it has lines."""
    from edition.pdf import lines

    kept: list[dict] = []
    plain_of = lines._Memo.of

    def of(self: object, context: object) -> dict:
        answers = plain_of(self, context)  # type: ignore[arg-type]
        if not kept or kept[-1] is not answers:
            kept.append(answers)
        return answers

    monkeypatch.setattr(lines._Memo, "of", of)
    paragraph = " ".join(_LONG_WORDS.split() * 60)  # about 7,000 characters
    html = (
        '<html lang="id"><head><style>@page { size: 80mm 2000mm; margin: 5mm; }'
        "p { font: 9pt/12pt serif; text-align: justify; hyphens: auto; }</style></head>"
        f"<body><p>{paragraph}</p></body></html>"
    )
    weasyprint().HTML(string=html).write_pdf()
    keys = [k for answers in kept for k in answers]
    assert len(keys) > 100  # a line each, at least
    chars = sum(
        len(part)
        for k in keys
        for part in (k[0] if isinstance(k[0], tuple) else [k[0]])
        if isinstance(part, str)
    )
    assert chars < 200 * len(keys), chars  # never the whole rest of the paragraph
