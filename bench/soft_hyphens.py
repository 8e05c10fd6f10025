"""Does WeasyPrint break Indonesian text at our soft hyphens, and only there?

Sets the first paragraphs of a sample article in a narrow justified column, lang="id",
four ways: our soft hyphens with `hyphens: manual`, the same text with `hyphens: none`,
the bare text with `hyphens: auto` (WeasyPrint's own pyphen patterns), and our soft
hyphens with `hyphens: auto` (do words we leave whole still get pyphen's breaks?). Each PDF is
read back with pdftotext (poppler-utils) and every line that ends in a hyphen is joined
with the next line and checked against the hyphenator. Also: are soft hyphens left in
the extracted text?

    .venv/bin/python bench/soft_hyphens.py [ARTICLE.md] [--width 48] [--out bench/out]
"""

from __future__ import annotations

import argparse
import html
import re
import subprocess
from itertools import pairwise
from pathlib import Path

import weasyprint

from edition.language.hyphenate import SOFT_HYPHEN, allowed_break, hyphenate_text

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = ROOT / "issues/2024-05/articles/galangan-kapal.md"
HYPHENS = "-\u2010"
# Words the hyphenator leaves whole (capitals, foreign spelling), in Indonesian sentences.
WHOLE = (
    "Kontrak dengan Rheinmetall, Lockheed Martin, Dassault Aviation, Fincantieri dan Thales "
    "dibahas di forum ASEAN tentang UNCLOS bersama Eurofighter, Northrop Grumman, Kongsberg "
    "serta Hanwha Aerospace dan Raytheon Technologies."
)  # what a PDF may show at a break: hyphen-minus or U+2010 HYPHEN
FONT = (ROOT / "assets/fonts/NotoSerif-Regular.ttf").as_uri()
PAGE = """<!doctype html><html lang="id"><head><meta charset="utf-8"><style>
@font-face {{ font-family: Body; src: url("{font}"); }}
@page {{ size: A5; margin: 12mm; }}
body {{ font: 9.5pt/12pt Body; width: {width}mm; text-align: justify; hyphens: {hyphens}; }}
p {{ margin: 0; text-indent: 1em; }}
</style></head><body>{body}</body></html>"""


def paragraphs(article: Path, count: int) -> list[str]:
    """The first `count` paragraphs of an article's body, without front matter or heads."""
    body = article.read_text(encoding="utf-8").split("\n---\n", 1)[1]
    blocks = [b.strip() for b in body.split("\n\n")]
    return [b for b in blocks if b and not b.startswith("#")][:count]


def render(texts: list[str], hyphens: str, width: float, target: Path) -> str:
    """Write the PDF, return pdftotext's text of it."""
    body = "".join(f"<p>{html.escape(t, quote=False)}</p>" for t in texts)
    page = PAGE.format(font=FONT, width=width, hyphens=hyphens, body=body)
    weasyprint.HTML(string=page).write_pdf(target)
    done = subprocess.run(["pdftotext", "-enc", "UTF-8", str(target), "-"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return done.stdout


def line_breaks(text: str) -> list[tuple[str, int]]:
    """Every word cut at a line end, as (whole word, letters before the cut)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    cuts = []
    for line, following in pairwise(lines):
        if line[-1] in HYPHENS and len(line) > 1 and line[-2].isalpha():
            head = re.findall(r"\w+", line[:-1])[-1]
            tail = re.match(r"\w+", following)
            if tail:
                cuts.append((head + tail.group(), len(head)))
    return cuts


def rejoin(text: str) -> list[str]:
    """The words of pdftotext's text, with the words cut at a line end made whole."""
    joined = re.sub(r"(?<=\w)[\u2010-]\s*\n\s*(?=\w)", "", text.replace(SOFT_HYPHEN, ""))
    return re.findall(r"\w+(?:-\w+)*", joined)


def report(name: str, text: str, source: str) -> None:
    cuts = line_breaks(text)
    wrong = [(w, i) for w, i in cuts if not allowed_break(w, i)]
    ends = {line.strip()[-1] for line in text.splitlines() if line.strip()}
    shown = sorted(ends & set(HYPHENS))
    known = set(re.findall(r"\w+(?:-\w+)*", source + " " + WHOLE))
    glued = {w.replace("-", "") for w in known if "-" in w}  # pdftotext joins at a "-"
    words = set(rejoin(text))
    strange = sorted(words - known - glued)
    print(f"{name}: {len(text.splitlines())} lines, {len(cuts)} cut at a line end, "
          f"shown as {[hex(ord(c)) for c in shown]}; {text.count(SOFT_HYPHEN)} soft hyphens "
          f"in the extracted text; {len(wrong)} cuts our rules refuse; "
          f"{len(strange)} extracted words not in the source, "
          f"{len(words & glued)} joined by pdftotext at a hard hyphen")  # fmt: skip
    for word, at in wrong:
        print(f"    refused: {word[:at]}-{word[at:]}")
    for word in strange:
        print(f"    not in the source: {word!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("article", nargs="?", type=Path, default=ARTICLE)
    parser.add_argument("--paragraphs", type=int, default=8)
    parser.add_argument("--width", type=float, default=48, help="column width in mm")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/out")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    texts = paragraphs(args.article, args.paragraphs)
    source = " ".join(texts)
    soft = [hyphenate_text(t) for t in texts]
    print(f"WeasyPrint {weasyprint.__version__}, {len(source.split())} words, "
          f"{sum(t.count(SOFT_HYPHEN) for t in soft)} soft hyphens inserted, "
          f"column {args.width} mm")  # fmt: skip
    runs = [
        ("soft hyphens, hyphens: manual", soft, "manual"),
        ("soft hyphens, hyphens: none", soft, "none"),
        ("bare text, hyphens: auto (pyphen)", texts, "auto"),
        ("soft hyphens, hyphens: auto", soft, "auto"),
        ("words we leave whole, hyphens: manual", [WHOLE], "manual"),
        ("words we leave whole, hyphens: auto", [WHOLE], "auto"),
    ]
    for i, (name, body, hyphens) in enumerate(runs):
        text = render(body, hyphens, args.width, args.out / f"soft-hyphens-{i}.pdf")
        report(name, text, source)


if __name__ == "__main__":
    main()
