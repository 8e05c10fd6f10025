"""Our Indonesian hyphenation against pyphen's id_ID patterns on the sample edition, and its speed.

Reads the body of every article (issues/*/articles/*.md, front matter and `#` headings
left out), cuts each word with edition.language.hyphenate and with pyphen (what
WeasyPrint uses for lang="id"), both with the same minimum of letters before and after
a break, and lists every word on which they differ, with how often it occurs, for a
person to review. Then times hyphenate_text and hyphenate_html over the same text.

    .venv/bin/python bench/hyphenation.py [--articles 'issues/*/articles/*.md'] [--left 2]
                            [--right 3] [--runs 5] [--out bench/results/hyphenation.txt]
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from collections import Counter
from pathlib import Path

import pyphen
from markdown_it import MarkdownIt

from edition.language import hyphenate as hy

ROOT = Path(__file__).resolve().parent.parent
TOKEN = re.compile(r"(?:[^\W\d_]|\u00ad)+")
LETTERS = re.compile(r"[^\W\d_]+")


def bodies(pattern: str) -> list[str]:
    """The body text of each article, without front matter and headings."""
    texts = []
    for path in sorted(ROOT.glob(pattern)):
        body = path.read_text(encoding="utf-8").split("\n---\n", 1)[-1]
        texts.append("\n".join(line for line in body.splitlines() if not line.startswith("#")))
    return texts


def shown(word: str, offsets: list[int]) -> str:
    return "-".join(word[a:b] for a, b in zip([0, *offsets], [*offsets, len(word)], strict=True))


def inserted(text: str, left: int, right: int) -> set[int]:
    """Offsets in `text` where hyphenate_text puts a soft hyphen."""
    found, shift = set(), 0
    for i, c in enumerate(hy.hyphenate_text(text, left=left, right=right)):
        if c == hy.SOFT_HYPHEN:
            found.add(i - shift)
            shift += 1
    return found


def context(text: str, run: re.Match[str], chunk: str) -> str:
    """Why a run of letters is left whole whatever its spelling, or "" if it is not."""
    before = text[run.start() - 1 : run.start()]
    after = text[run.end() : run.end() + 1]
    if re.search(r"@|://|www\.|[/.](?=\w)", chunk):
        return "in an address"
    if "-" in before + after or "\u2010" in before + after:
        return "part of a hyphenated word (kapal-kapal)"
    if before.isdigit() or after.isdigit():
        return "next to a digit"
    if not run.group()[1:].islower():
        return "capitals (ASEAN, UNCLOS)"
    return ""


def compare(texts: list[str], left: int, right: int) -> tuple[list[str], list[str]]:
    """Summary lines, and one line per distinct word on which the two disagree."""
    patterns = pyphen.Pyphen(lang="id", left=left, right=right)
    words: Counter[str] = Counter()
    whole: Counter[str] = Counter()
    ours: dict[str, list[int]] = {}
    for text in texts:
        cuts = inserted(text, left, right)
        for chunk in re.finditer(r"\S+", text):
            for run in LETTERS.finditer(text, chunk.start(), chunk.end()):
                why = context(text, run, chunk.group())
                if why:
                    whole[why] += 1
                    continue
                word = run.group()
                words[word] += 1
                ours[word] = sorted(p - run.start() for p in cuts if run.start() < p < run.end())
    theirs = {w: patterns.positions(w) for w in words}
    total = sum(words.values())

    def count(select: set[str]) -> str:
        n = sum(words[w] for w in select)
        return f"{n} ({100 * n / total:.1f} %), {len(select)} distinct"

    same = {w for w in words if ours[w] == theirs[w]}
    refused = {w for w in words if set(theirs[w]) - set(ours[w])}
    added = {w for w in words if set(ours[w]) - set(theirs[w])}
    summary = [
        f"{total + sum(whole.values())} runs of letters in {len(texts)} articles; "
        f"breaks at least {left} letters in and {right} from the end",
        *(f"left whole, {why}: {n}" for why, n in whole.most_common()),
        f"words: {total} ({len(words)} distinct)",
        f"cut by us: {count({w for w in words if ours[w]})}; "
        f"{sum(len(ours[w]) * words[w] for w in words)} breaks",
        f"cut by pyphen: {count({w for w in words if theirs[w]})}; "
        f"{sum(len(theirs[w]) * words[w] for w in words)} breaks",
        f"the same breaks: {count(same)}",
        f"a pyphen break we refuse: {count(refused)}",
        f"a break of ours pyphen lacks: {count(added)}",
    ]
    lines = [
        f"{words[w]:4}  {shown(w, ours[w]):24} pyphen {shown(w, theirs[w])}"
        for w in sorted(words, key=lambda w: (-words[w], w.lower()))
        if w not in same
    ]
    return summary, lines


def timing(texts: list[str], runs: int) -> list[str]:
    """Words per second of hyphenate_text (cold and warm word cache) and hyphenate_html."""
    words = sum(len(TOKEN.findall(t)) for t in texts)
    md = MarkdownIt("commonmark", {"typographer": True}).enable(["replacements", "smartquotes"])
    fragments = [md.render(t) for t in texts]
    start = time.perf_counter()
    hy._roots()
    hy._exceptions()
    load = time.perf_counter() - start
    cold, warm, html = [], [], []
    for _ in range(runs):
        hy._word_breaks.cache_clear()
        start = time.perf_counter()
        for t in texts:
            hy.hyphenate_text(t)
        cold.append(time.perf_counter() - start)
        start = time.perf_counter()
        for t in texts:
            hy.hyphenate_text(t)
        warm.append(time.perf_counter() - start)
        start = time.perf_counter()
        for f in fragments:
            hy.hyphenate_html(f)
        html.append(time.perf_counter() - start)

    def rate(seconds: list[float]) -> str:
        median = statistics.median(seconds)
        return f"{words / median:,.0f} words/s ({1000 * median:.0f} ms)"

    return [
        f"loading the root list and exceptions (once per process): {1000 * load:.0f} ms",
        f"hyphenate_text, empty word cache: {rate(cold)}",
        f"hyphenate_text, warm word cache: {rate(warm)}",
        f"hyphenate_html (markdown-it output), warm: {rate(html)}",
        f"median of {runs} runs over {words} words",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", default="issues/*/articles/*.md", help="a glob")
    parser.add_argument("--left", type=int, default=hy.LEFT)
    parser.add_argument("--right", type=int, default=hy.RIGHT)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/hyphenation.txt")
    args = parser.parse_args()
    texts = bodies(args.articles)
    times = timing(texts, args.runs)
    summary, lines = compare(texts, args.left, args.right)
    print("\n".join(summary + times))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    header = ["count  ours                     pyphen (every word where they differ)"]
    args.out.write_text("\n".join(summary + times + ["", *header, *lines]) + "\n")
    print(f"{len(lines)} words where they differ: {args.out}")


if __name__ == "__main__":
    main()
