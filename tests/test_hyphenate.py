"""Indonesian hyphenation: a word list written from PUEBI/KBBI, words never cut, text, HTML."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nh3
import pytest
from markdown_it import MarkdownIt

from edition.language.hyphenate import (
    LEFT,
    RIGHT,
    SOFT_HYPHEN,
    allowed_break,
    hyphenate,
    hyphenate_html,
    hyphenate_text,
    hyphenated,
)

ROOT = Path(__file__).resolve().parent.parent
WORD_LIST = Path(__file__).parent / "data" / "hyphenation-id.txt"
SHY = SOFT_HYPHEN


def read_word_list() -> list[tuple[str, str]]:
    entries = []
    for line in WORD_LIST.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            word, expected = line.split()
            entries.append((word, expected))
    return entries


def breaks_of(expected: str) -> tuple[set[int], set[int]]:
    """Required and optional breaks of "be·r·ang-kat": ({6}, {2, 3})."""
    required: set[int] = set()
    optional: set[int] = set()
    letters = 0
    for c in expected:
        if c == "-":
            required.add(letters)
        elif c == "·":
            optional.add(letters)
        else:
            letters += 1
    return required, optional


WORDS = read_word_list()


def test_word_list_is_well_formed() -> None:
    assert len(WORDS) >= 400
    assert len({w for w, _ in WORDS}) == len(WORDS), "a word is listed twice"
    for word, expected in WORDS:
        assert expected.replace("-", "").replace("·", "") == word


@pytest.mark.parametrize(("word", "expected"), WORDS, ids=[w for w, _ in WORDS])
def test_word_list(word: str, expected: str) -> None:
    required, optional = breaks_of(expected)
    fits = range(LEFT, len(word) - RIGHT + 1)
    required = {b for b in required if b in fits}
    found = set(hyphenate(word))
    wrong = found - required - optional
    missed = required - found
    assert not wrong and not missed, (
        f"{hyphenated(word)}: expected {expected}; wrong {sorted(wrong)}, missed {sorted(missed)}"
    )


@pytest.mark.parametrize(
    "cut",
    ["deng-an", "mil-iter", "milit-er", "Se-rsan", "ASE-AN", "Kor-ea", "gor-eng", "sul-it",
     "Dir-ektorat", "hang-at", "lap-angan", "pel-ajar", "memil-iki", "diabaik-an", "kawas-an",
     "masyarak-at", "lapa-ngan", "galan-gan", "me-ngambil", "kekua-tan", "keingi-nan"],
)  # fmt: skip
def test_wrong_cuts_are_refused(cut: str) -> None:
    word = cut.replace("-", "")
    offsets = [m.start() - i for i, m in enumerate(re.finditer("-", cut))]
    wrong = [o for o in offsets if allowed_break(word, o)]
    assert not wrong, f"{hyphenated(word)} has a break at {wrong}"


NEVER_CUT = [
    # acronyms and all capitals
    "ASEAN", "TNI", "KRI", "BAKAMLA", "PERTAHANAN", "NATO",
    # mixed case
    "iPhone", "McDonald", "BrahMos",
    # digits and numbers
    "F16", "abad21", "12000", "1.200", "Rp3,5", "KRI-401", "ke-3", "2024an",
    # hyphens already there: only the renderer may cut there
    "kapal-kapal", "berbulan-bulan", "Asia-Pasifik", "pasca-operasi", "kerja\u2010sama",
    # URLs, domains, e-mail addresses, paths
    "https://www.kemhan.go.id/berita/pertahanan", "www.indomiliter.example", "kemhan.go.id",
    "redaksi@majalahpertahanan.example", "humas.angkatan@mil.example", "berita/pertahanan",
    # a soft hyphen already there, an apostrophe between letters
    f"mi{SHY}literan", "Qur'annya", "Jum\u2019atnya",
    # letters outside a-z
    "cafénya", "Dünkirchen", "Москва",
    # spelled like no Indonesian word
    "Soekarno", "Rheinmetall", "Lockheed", "Boeing", "Thales", "Exocet", "Harpoon", "Typhoon",
    "Eurofighter", "freedom", "Shield", "Group", "Sjafrie", "Tjahjanto", "Djoko", "Achmad",
    "Ramadhan", "Yudhoyono", "Scorpene", "Pacific", "security", "Command", "Knight", "Schultz",
]  # fmt: skip


@pytest.mark.parametrize("text", NEVER_CUT)
def test_never_cut(text: str) -> None:
    assert hyphenate(text) == []
    assert hyphenate_text(text) == text
    assert hyphenate_text(f"kata {text} kata") == f"kata {text} kata"


@pytest.mark.parametrize(
    ("word", "expected"),
    [("training", "train-ing"), ("Training", "Train-ing"), ("briefing", "brief-ing"),
     ("Afloat", "Afloat"), ("offline", "off-line"), ("frigate", "frig-ate"),
     ("seismik", "seis-mik"), ("seismiknya", "seis-mik-nya")],
)  # fmt: skip
def test_exceptions_list(word: str, expected: str) -> None:
    assert hyphenated(word) == expected


def test_minimum_letters_before_and_after() -> None:
    assert hyphenate("militer") == [2, 4]
    assert hyphenate("militer", left=3) == [4]
    assert hyphenate("militer", right=4) == [2]
    assert hyphenate("udara") == []
    assert hyphenate("udara", left=1, right=1) == [1, 3]
    assert hyphenate("pertahanan") == [3, 5]
    assert hyphenate("pertahanan", left=1, right=1) == [3, 5, 8]
    assert hyphenated("pertahanannya", left=1, right=1) == "per-ta-han-an-nya"


def test_hyphenated_and_allowed_break() -> None:
    assert hyphenated("militer") == "mi-li-ter"
    assert hyphenated("Kolonel", "·") == "Ko·lo·nel"
    assert hyphenated("ASEAN") == "ASEAN"
    assert allowed_break("militer", 2)
    assert allowed_break("militer", 4)
    assert not allowed_break("militer", 3)
    assert not allowed_break("militer", 0)
    assert not allowed_break("militer", 7)
    assert not allowed_break("TNI", 1)


def test_punctuation_around_a_word() -> None:
    assert hyphenate("(militer),") == [3, 5]
    assert hyphenated("\u201cKolonel\u201d") == "\u201cKo-lo-nel\u201d"
    assert hyphenated("\u2018galangan\u2019.") == "\u2018ga-langan\u2019."
    assert hyphenated("militer\u2014dengan") == "mi-li-ter\u2014de-ngan"


def test_hyphenate_text() -> None:
    text = "Kapal patroli TNI AL berlayar dengan kecepatan 20 knot ke Natuna."
    assert hyphenate_text(text) == (
        f"Ka{SHY}pal pat{SHY}roli TNI AL ber{SHY}la{SHY}yar de{SHY}ngan "
        f"ke{SHY}ce{SHY}patan 20 knot ke Na{SHY}tuna."
    )


def test_hyphenate_text_leaves_addresses_and_numbers() -> None:
    text = (
        "Kirim ke redaksi@majalah.example atau buka https://kemhan.go.id/pertahanan, "
        "anggaran Rp1.200 triliun (2024), KRI-401 dan kapal-kapal ASEAN."
    )
    assert hyphenate_text(text) == (
        f"Ki{SHY}rim ke redaksi@majalah.example atau buka https://kemhan.go.id/pertahanan, "
        f"ang{SHY}garan Rp1.200 tri{SHY}liun (2024), KRI-401 dan kapal-kapal ASEAN."
    )


def test_hyphenate_text_is_idempotent_and_respects_soft_hyphens() -> None:
    text = "Masyarakat pesisir menyaksikan latihan pertahanan pantai."
    once = hyphenate_text(text)
    assert hyphenate_text(once) == once
    assert once.replace(SHY, "") == text
    assert SHY * 2 not in once
    given = f"Persen{SHY}jataan dan pertahanan."
    assert hyphenate_text(given) == f"Persen{SHY}jataan dan per{SHY}ta{SHY}hanan."


def test_hyphenate_html() -> None:
    fragment = (
        '<p>Kapal <em>patroli</em> <a href="https://kemhan.go.id/pertahanan" '
        'rel="noopener">pertahanan</a> &amp; keamanan&nbsp;lautan&hellip;</p>'
    )
    assert hyphenate_html(fragment) == (
        f'<p>Ka{SHY}pal <em>pat{SHY}roli</em> <a href="https://kemhan.go.id/pertahanan" '
        f'rel="noopener">per{SHY}ta{SHY}hanan</a> &amp; ke{SHY}a{SHY}manan&nbsp;la{SHY}utan'
        f"&hellip;</p>"
    )


def test_hyphenate_html_leaves_code_headings_and_tags() -> None:
    fragment = (
        "<h2>Pertahanan Negara</h2>"
        "<p>Jalankan <code>pertahanan --keamanan</code> sekarang.</p>"
        "<blockquote><p title=\"a&gt;b\" data-x='pertahanan'>Pertahanan</p></blockquote>"
        '<p><a href="https://x.example/?q=a>b&amp;c=pertahanan">keamanan</a></p>'
    )
    assert hyphenate_html(fragment) == (
        "<h2>Pertahanan Negara</h2>"
        f"<p>Ja{SHY}lan{SHY}kan <code>pertahanan --keamanan</code> se{SHY}ka{SHY}rang.</p>"
        f"<blockquote><p title=\"a&gt;b\" data-x='pertahanan'>Per{SHY}ta{SHY}hanan</p>"
        f"</blockquote>"
        f'<p><a href="https://x.example/?q=a>b&amp;c=pertahanan">ke{SHY}a{SHY}manan</a></p>'
    )
    assert hyphenate_html("<h3>Pertahanan</h3>", skip=()) == f"<h3>Per{SHY}ta{SHY}hanan</h3>"


def test_hyphenate_html_words_running_across_tags() -> None:
    fragment = (
        "<p><em>Indo</em>nesia, kapal<sup>1</sup>, <strong>pertahanan</strong>nya, "
        "pertahanan<br>keamanan</p><ul><li>Pertahanan</li><li>keamanan</li></ul>"
    )
    assert hyphenate_html(fragment) == (
        "<p><em>Indo</em>nesia, kapal<sup>1</sup>, <strong>pertahanan</strong>nya, "
        f"per{SHY}ta{SHY}hanan<br>ke{SHY}a{SHY}manan</p>"
        f"<ul><li>Per{SHY}ta{SHY}hanan</li><li>ke{SHY}a{SHY}manan</li></ul>"
    )


def test_hyphenate_html_respects_soft_hyphens() -> None:
    fragment = f"<p>perta&shy;hanan, keama{SHY}nan, pertahanan</p>"
    assert hyphenate_html(fragment) == (
        f"<p>perta&shy;hanan, keama{SHY}nan, per{SHY}ta{SHY}hanan</p>"
    )


def sample_fragments() -> list[str]:
    """The sample articles' bodies as the pipeline makes them: markdown-it, then nh3."""
    md = MarkdownIt("commonmark", {"typographer": True}).enable(["replacements", "smartquotes"])
    tags = {"p", "em", "strong", "a", "h2", "h3", "h4", "ul", "ol", "li", "blockquote",
            "code", "br", "sup", "sub", "hr"}  # fmt: skip
    fragments = []
    for path in sorted(ROOT.glob("issues/*/articles/*.md")):
        body = path.read_text(encoding="utf-8").split("\n---\n", 1)[-1]
        body += "\n\nLihat `pertahanan_negara()` dan <https://kemhan.go.id/a?b=1&c=2>."
        fragments.append(nh3.clean(md.render(body), tags=tags, attributes={"a": {"href"}}))
    return fragments


def test_hyphenate_html_on_the_sample_edition() -> None:
    fragments = sample_fragments()
    assert len(fragments) >= 10
    for fragment in fragments:
        out = hyphenate_html(fragment)
        assert out.replace(SHY, "") == fragment
        assert hyphenate_html(out) == out
        assert out.count(SHY) > 100
        for tag in re.findall(r"<[^>]*>", out):
            assert SHY not in tag
        for code in re.findall(r"<code>.*?</code>|<h[2-4]>.*?</h[2-4]>", out, re.S):
            assert SHY not in code
        for entity in re.findall(r"&[^;\s]*;", out):
            assert SHY not in entity


def test_no_data_read_at_import() -> None:
    probe = (
        "import edition.language.hyphenate as h; "
        "print(h._roots.cache_info().currsize, h._exceptions.cache_info().currsize); "
        "h.hyphenate('pertahanan'); "
        "print(h._roots.cache_info().currsize, h._exceptions.cache_info().currsize)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "0", "1", "1"]


def test_root_list() -> None:
    path = ROOT / "assets" / "hyphenation" / "id-roots.txt"
    assert path.stat().st_size < 400_000
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line[:1] != "#"]
    words = [line.split()[0] for line in lines]
    assert words == sorted(words)
    assert {"galang", "lapang", "milik", "kawasan", "militer"} <= set(words)
    assert not {"kawas", "lapangan", "galangan"} & set(words)


@pytest.mark.skipif(
    not Path("/usr/share/hunspell/id_ID.dic").exists(), reason="hunspell-id is not installed"
)
def test_root_list_is_what_make_roots_writes(tmp_path: Path) -> None:
    script = ROOT / "assets" / "hyphenation" / "make_roots.py"
    out = tmp_path / "id-roots.txt"
    subprocess.run([sys.executable, str(script), "--out", str(out)], check=True,
                   capture_output=True)  # fmt: skip
    assert out.read_bytes() == (ROOT / "assets" / "hyphenation" / "id-roots.txt").read_bytes()
