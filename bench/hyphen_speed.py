"""What hyphenation costs WeasyPrint: the body text of an issue's articles laid out four ways.

Each article's paragraphs are set as the classic layout sets them (Noto Serif 9.25/12 pt,
three justified 56.7 mm columns, its last page balanced), one article after another,
`lang="id"`:

    none        no hyphenation (`hyphens: manual`, no soft hyphens)
    pyphen      `hyphens: auto` with pyphen's own Indonesian patterns (wrong breaks)
    soft        edition's breaks written in as soft hyphens, `hyphens: manual`
    dictionary  `hyphens: auto`, pyphen's Indonesian dictionary answered by edition's
                rules (what `edition build` does: edition/pdf/hyphens.py)

and reports the CPU seconds of each layout (median of --runs), the pages, and the lines
that end in a cut word. CPU time, not wall time, so that a busy machine disturbs it less.

    .venv/bin/python bench/hyphen_speed.py [--articles 'issues/2024-05/articles/*.md'] [--runs 3]
"""

from __future__ import annotations

import argparse
import glob
import statistics
import time
from pathlib import Path

import pyphen

from edition.issue.markdown import markdown_blocks
from edition.language.hyphenate import hyphenate_html, protect_html
from edition.pdf.engine import weasyprint

ROOT = Path(__file__).resolve().parent.parent
FONTS = ROOT / "assets" / "fonts"
PAGE = """<!doctype html><html lang="id"><head><meta charset="utf-8"><style>
@font-face {{ font-family: "Noto Serif"; src: url("{regular}"); }}
@font-face {{ font-family: "Noto Serif"; font-style: italic; src: url("{italic}"); }}
@font-face {{ font-family: "Noto Serif"; font-weight: 700; src: url("{bold}"); }}
@page {{ size: 210mm 297mm; margin: 14mm 13mm 18mm 18mm; }}
html {{ font: 9.25pt/12pt "Noto Serif"; hyphens: manual; }}
article {{ columns: 3; column-gap: 4.5mm; text-align: justify; break-before: page; }}
p {{ margin: 0; orphans: 2; widows: 2; }} p + p {{ text-indent: 1em; }}
{extra}
</style></head><body>{body}</body></html>"""
AUTO = "p { hyphens: auto; hyphenate-limit-chars: 5 2 3; } .whole { hyphens: manual; }"


def articles(pattern: str) -> list[list[str]]:
    """The body paragraphs of each article, as sanitised HTML."""
    out = []
    for path in sorted(glob.glob(pattern)):
        body = Path(path).read_text(encoding="utf-8").split("\n---\n", 1)[1]
        out.append([str(b.html) for b in markdown_blocks(body) if b.kind == "p"])
    return out


def page(texts: list[list[str]], mark, extra: str) -> str:
    body = "".join("<article>" + "".join(mark(p) for p in a) + "</article>" for a in texts)
    fonts = {
        k: (FONTS / f).as_uri()
        for k, f in (
            ("regular", "NotoSerif-Regular.ttf"),
            ("italic", "NotoSerif-Italic.ttf"),
            ("bold", "NotoSerif-Bold.ttf"),
        )
    }
    return PAGE.format(body=body, extra=extra, **fonts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", default=str(ROOT / "issues/2024-05/articles/*.md"))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    wp = weasyprint()  # edition's rules answer for Indonesian from here on
    ours = {path: pyphen.hdcache[path] for path in set(pyphen.LANGUAGES.values())
            if path in pyphen.hdcache}  # fmt: skip
    texts = articles(args.articles)
    variants = {
        "none": (page(texts, str, ""), False),
        "pyphen": (page(texts, str, AUTO), True),
        "soft": (page(texts, hyphenate_html, ""), False),
        "dictionary": (page(texts, protect_html, AUTO), False),
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    pages: dict[str, int] = {}
    for _ in range(args.runs):
        for name, (html, patterns) in variants.items():
            for path, rules in ours.items():  # pyphen's own patterns, or edition's rules
                if patterns:
                    pyphen.hdcache.pop(path, None)
                else:
                    pyphen.hdcache[path] = rules
            start = time.process_time()
            document = wp.HTML(string=html).render()
            times[name].append(time.process_time() - start)
            pages[name] = len(document.pages)
    print(f"{len(texts)} articles, {sum(len(a) for a in texts)} paragraphs, {args.runs} runs")
    print("| variant | CPU s (median) | min | max | pages |")
    print("| --- | --- | --- | --- | --- |")
    for name, values in times.items():
        print(
            f"| {name} | {statistics.median(values):.2f} | {min(values):.2f} | "
            f"{max(values):.2f} | {pages[name]} |"
        )


if __name__ == "__main__":
    main()
