"""The layout's stylesheets parsed once per process (edition.pdf.styles): the same pages as
WeasyPrint reading them itself, a stylesheet parsed once, a changed one parsed again, the
cases left to WeasyPrint, and refusals told to every document."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pikepdf
import pytest

from edition.pdf.engine import font_config, weasyprint
from edition.pdf.fetch import FetchRules, safe_fetcher
from edition.pdf.styles import lift_stylesheets
from edition.pdf.worker import weasyprint_warnings

BODY = " ".join(f"kata{i % 11} panjang{i % 5}" for i in range(400))


def _page(head: str) -> str:
    return (
        f'<html lang="id"><head><meta charset="utf-8"><style>p {{ color: #123456; }}</style>'
        f"{head}</head><body><h1>Judul</h1><p class=lead>{BODY}</p>"
        f'<p style="margin-left: 3mm">{BODY}</p></body></html>'
    )


SHEET = """@page { size: 120mm 160mm; margin: 12mm; }
body { font: 9pt/12pt serif; }
p { margin: 0 0 6pt; text-align: justify; columns: 2; color: #0a0b0c; }
.lead { font-size: 11pt; color: #654321; }
h1 { font-size: 20pt; }
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "a.css").write_text(SHEET)
    return tmp_path


def _html(folder: Path, text: str):
    fetcher = safe_fetcher(FetchRules([folder]))
    return weasyprint().HTML(string=text, base_url=folder.as_uri() + "/", url_fetcher=fetcher)


def _drawn(document) -> list[bytes]:
    """Each page's drawing, read back by pikepdf."""
    with pikepdf.open(io.BytesIO(document.write_pdf())) as pdf:
        return [
            pikepdf.unparse_content_stream(pikepdf.parse_content_stream(page)) for page in pdf.pages
        ]


def test_lifted_stylesheets_lay_out_the_same_pages(folder):
    text = _page('<link rel="stylesheet" href="a.css">')
    plain = _html(folder, text).render()
    html = _html(folder, text)
    fonts = font_config(("styles-test", str(folder)))
    lifted = lift_stylesheets(html, html.url_fetcher, fonts)
    assert len(lifted.sheets) == 2  # the <style>, then the link
    head = html.etree_element.find("head")
    assert [e.tag for e in head] == ["meta"]  # taken out of the document
    lifted = html.render(font_config=fonts, **lifted.options())
    assert len(plain.pages) == len(lifted.pages) > 1
    assert _drawn(plain) == _drawn(lifted)


def test_a_stylesheet_is_parsed_once_and_again_when_it_changes(folder):
    fonts = font_config(("styles-test", str(folder), "once"))
    text = _page('<link rel="stylesheet" href="a.css">')
    first = _html(folder, text)
    second = _html(folder, text)
    one = lift_stylesheets(first, first.url_fetcher, fonts)
    two = lift_stylesheets(second, second.url_fetcher, fonts)
    assert len(one.sheets) == len(two.sheets) == 2
    assert one.sheets[1] is two.sheets[1]
    (folder / "a.css").write_text(SHEET.replace("#654321", "#112233"))
    third = _html(folder, text)
    three = lift_stylesheets(third, third.url_fetcher, fonts)
    assert three.sheets[0] is one.sheets[0] and three.sheets[1] is not one.sheets[1]


@pytest.mark.parametrize(
    "head",
    [
        '<link rel="stylesheet" href="a.css" media="screen">',
        "<style>p { padding-top: 1mm !important; }</style>",  # the grid's padding
        "<style>p { display: block !important; }</style>",
        '<style>@import "a.css";</style>',
        "<style>@layer base { h1 { color: red; } }</style>",
        "<style>@counter-style x { system: cyclic; symbols: a b; }</style>",
    ],
)
def test_what_weasyprint_must_read_itself_is_left_in_the_document(folder, head):
    html = _html(folder, _page(head))
    before = [e.tag for e in html.etree_element.iter()]
    assert lift_stylesheets(html, html.url_fetcher, font_config(("styles-test",))).options() == {}
    assert [e.tag for e in html.etree_element.iter()] == before


def test_a_stylesheet_in_the_body_is_left_to_weasyprint(folder):
    text = _page("").replace("<h1>", '<link rel="stylesheet" href="a.css"><h1>')
    html = _html(folder, text)
    assert lift_stylesheets(html, html.url_fetcher, font_config(("styles-test",))).options() == {}


def test_a_refused_font_is_told_to_every_document(folder, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside") / "x.ttf"
    outside.write_bytes(b"not a font")
    (folder / "a.css").write_text(
        SHEET + f'@font-face {{ font-family: X; src: url("{outside.as_uri()}"); }}\n'
    )
    fonts = font_config(("styles-test", str(folder), "refused"))
    text = _page('<link rel="stylesheet" href="a.css">')
    for _ in range(2):
        html = _html(folder, text)
        assert lift_stylesheets(html, html.url_fetcher, fonts).sheets
        assert [f.code for f in html.url_fetcher.refused] == ["safety.fetch"]
        assert str(outside) in html.url_fetcher.refused[0].message


def _icc(data: bytes) -> list[bytes]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        spaces = pdf.pages[0].Resources.ColorSpace
        return [spaces[k][1].read_bytes() for k in spaces if spaces[k][0] == "/ICCBased"]


def test_colour_profiles_go_with_the_lifted_stylesheets(folder):
    icc = Path(__file__).parents[1] / "assets" / "icc" / "edition-fogra39.icc"
    shutil.copy(icc, folder / "cmyk.icc")
    (folder / "a.css").write_text(
        '@color-profile device-cmyk { src: url("cmyk.icc"); components: c, m, y, k; }\n'
        + SHEET.replace("#654321", "device-cmyk(0.1 0.7 0.2 0.05)")
    )
    text = _page('<link rel="stylesheet" href="a.css">')
    plain = _html(folder, text).render()
    fonts = font_config(("styles-test", "icc"))
    written = []
    for _ in range(2):  # the second document uses the first one's parsed sheet
        html = _html(folder, text)
        lifted = lift_stylesheets(html, html.url_fetcher, fonts)
        assert [name for name, _ in lifted.color_profiles] == ["device-cmyk"]
        drawn = html.render(font_config=fonts, **lifted.options())
        assert _drawn(plain) == _drawn(drawn)
        written.append(drawn.write_pdf(pdf_variant="pdf/x-4"))
    first, second = (_icc(w) for w in written)
    # (A document written twice embeds other bytes the second time: Little CMS writes the
    # profile out longer once its name was read. So a fresh one.)
    fresh = _html(folder, text).render().write_pdf(pdf_variant="pdf/x-4")
    assert first == second == _icc(fresh)
    assert len(first) == 1


def test_what_parsing_warned_about_is_told_to_every_document(folder):
    (folder / "a.css").write_text(SHEET + "h1 { colour: red; }\n")
    fonts = font_config(("styles-test", str(folder), "warned"))
    text = _page('<link rel="stylesheet" href="a.css">')
    for _ in range(2):
        html = _html(folder, text)
        with weasyprint_warnings() as records:
            assert lift_stylesheets(html, html.url_fetcher, fonts).sheets
        assert any("colour" in r.getMessage() for r in records)


def test_important_is_lifted_unless_a_style_attribute_makes_it_rank_otherwise(folder):
    """A stylesheet's !important loses to a style attribute's !important when both are the
    author's; lifted (user origin) it would win: that document is left to WeasyPrint."""
    head = "<style>h1, p { color: #aa0000 !important; }</style>"
    text = _page(head)
    plain = _html(folder, text).render()
    html = _html(folder, text)
    fonts = font_config(("styles-test", "important"))
    lifted = lift_stylesheets(html, html.url_fetcher, fonts)
    assert len(lifted.sheets) == 2
    assert _drawn(plain) == _drawn(html.render(font_config=fonts, **lifted.options()))

    clash = text.replace('style="margin-left: 3mm"', 'style="color: #00aa00 !important"')
    html = _html(folder, clash)
    assert lift_stylesheets(html, html.url_fetcher, fonts).options() == {}
