"""Preflight of the laid-out page, as an art director reads proofs: stub pages, unbalanced
and underfilled article ends, widows and orphans, subheads at a column's foot, runts in
display type, hyphenation breaks and runs of them, loose lines, soft photos.

The pages are read back from the PDF with PDFium (characters with their boxes and fonts,
images and filled areas), so that `edition check` works on a PDF without the build that
made it. Where the build measured its pages (`edition.pdf.measure`), its exact paragraphs
and display lines are used for widows, orphans, runts and subheads instead of what the
shapes of the lines suggest.
"""

from __future__ import annotations

import ctypes
import itertools
import json
import re
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from edition.errors import Finding, Location, Severity
from edition.language.hyphenate import allowed_break
from edition.layout.spec import Layout
from edition.pdf.measure import Line, PageMeasure
from edition.plan.model import ArticleSection, Plan
from edition.store.atomic import atomic_write_text

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
MM = 72 / 25.4
SOFT = "\u2010"  # what WeasyPrint prints where it cut a word at a soft hyphen
HARD = "-"

# The rules, in lines of the baseline grid or shares of the type area.
STUB = 1 / 3  # a last page with less than this of its type area used carries only a tail
HALF = 1 / 2  # an article's last page is at least this full, or filled
BALANCE_LINES = 2  # a column may end this many lines above the one to its right
SUBHEAD_LINES = 3  # lines of text a subhead needs under it in its column
HYPHEN_RUN = 2  # hyphenated lines in a row
LOOSE = 2.0  # a word space this many times the median is a loose line
PHOTO_PPI = 250  # effective resolution of an original at its placed size


@dataclass(frozen=True)
class PdfLine:
    """A line read back from the PDF: its text, the box around it, its font."""

    text: str
    left: float
    right: float
    top: float
    baseline: float
    bottom: float
    font: str
    size: float
    gaps: tuple[float, ...] = ()  # the word spaces, pt


@dataclass
class ReadPage:
    """One page of the PDF as read back: from the top of the trim, in points."""

    number: int  # 1-based
    width: float
    height: float
    lines: list[PdfLine] = field(default_factory=list)
    images: list[tuple[float, float, float, float]] = field(default_factory=list)  # l t r b
    areas: list[tuple[float, float, float, float]] = field(default_factory=list)  # filled paths


# -- reading the PDF ---------------------------------------------------------------------


def _read_page(page: pdfium.PdfPage, number: int) -> ReadPage:
    """A page's lines, images and filled areas, relative to its trim's top left."""
    tl, tb, tr, tt = page.get_trimbox()
    read = ReadPage(number, tr - tl, tt - tb)
    for obj in page.get_objects(max_depth=3):
        if obj.type not in (pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_PATH):
            continue
        left, bottom, right, top = obj.get_bounds()
        box = (left - tl, tt - top, right - tl, tt - bottom)
        if box[2] <= 0 or box[0] >= read.width or box[3] <= 0 or box[1] >= read.height:
            continue  # marks outside the trim
        if obj.type == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            read.images.append(box)
        elif box[2] - box[0] > 2 and box[3] - box[1] > 2:
            read.areas.append(box)
    text = page.get_textpage()
    try:
        read.lines = _lines(text, tl, tt)
    finally:
        text.close()
    return read


def _lines(text: pdfium.PdfTextPage, tl: float, tt: float) -> list[PdfLine]:
    raw = text.raw
    n = text.count_chars()
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    ox, oy = ctypes.c_double(), ctypes.c_double()
    buf = ctypes.create_string_buffer(96)
    flags = ctypes.c_int()
    lines: list[PdfLine] = []
    chars: list[tuple[str, float, float, float, float, bool]] = []
    font, size = "", 0.0

    def flush() -> None:
        nonlocal chars
        glyphs = [c for c in chars if c[0] not in "\r\n"]
        while glyphs and glyphs[-1][0].isspace():
            glyphs.pop()
        while glyphs and glyphs[0][0].isspace():
            glyphs.pop(0)
        if glyphs:
            gaps = []
            for k, c in enumerate(glyphs):
                if c[0] == " " and 0 < k < len(glyphs) - 1:
                    gaps.append(max(0.0, glyphs[k + 1][1] - glyphs[k - 1][2]))
            ink = [c for c in glyphs if not c[0].isspace()]
            lines.append(
                PdfLine(
                    "".join(c[0] for c in glyphs),
                    min(c[1] for c in ink) - tl,
                    max(c[2] for c in ink) - tl,
                    tt - max(c[4] for c in ink),
                    tt - glyphs[0][5],
                    tt - min(c[3] for c in ink),
                    font,
                    size,
                    tuple(gaps),
                )
            )
        chars = []

    last_y: float | None = None
    last_x = 0.0
    for i in range(n):
        code = pdfium_c.FPDFText_GetUnicode(raw, i)
        ch = chr(code) if code else ""
        if ch in ("\r", "\n"):
            flush()
            last_y = None
            continue
        pdfium_c.FPDFText_GetCharBox(raw, i, left, right, bottom, top)
        pdfium_c.FPDFText_GetCharOrigin(raw, i, ox, oy)
        if last_y is not None and (abs(oy.value - last_y) > 1.0 or ox.value < last_x - 1.0):
            flush()
        if not chars and not ch.isspace():
            pdfium_c.FPDFText_GetFontInfo(raw, i, buf, len(buf), ctypes.byref(flags))
            font = buf.value.decode("latin-1").split("+")[-1]
            size = pdfium_c.FPDFText_GetFontSize(raw, i) * 0.75
        chars.append((ch, left.value, right.value, bottom.value, top.value, oy.value))  # type: ignore[arg-type]
        last_y, last_x = oy.value, ox.value
    flush()
    return lines


# -- the page as columns -----------------------------------------------------------------


@dataclass(frozen=True)
class Grid:
    """Where the type area and the columns of a page are, from the layout."""

    layout: Layout

    def area(self, number: int) -> tuple[float, float, float, float]:
        p = self.layout.page
        left = (p.inside if number % 2 else p.outside) * MM
        return (left, p.top * MM, left + self.layout.text_width * MM, (p.height - p.bottom) * MM)

    def columns(self, number: int) -> list[tuple[float, float]]:
        p = self.layout.page
        left = self.area(number)[0]
        width, gutter = self.layout.column_width * MM, p.gutter * MM
        return [
            (left + i * (width + gutter), left + i * (width + gutter) + width)
            for i in range(p.columns)
        ]


@dataclass
class ColumnText:
    index: int
    left: float
    right: float
    lines: list[PdfLine] = field(default_factory=list)  # body lines, top to bottom
    bottom: float = 0.0  # the lowest content in it


@dataclass
class ArticlePage:
    number: int
    area: tuple[float, float, float, float]
    columns: list[ColumnText]
    used: float  # share of the type area's height that holds something
    measured: PageMeasure | None = None


def _body_style(pages: Iterable[ReadPage]) -> tuple[str, float]:
    """The body's font and size: the serif most characters are set in."""
    count: dict[tuple[str, float], int] = {}
    for page in pages:
        for ln in page.lines:
            key = (_family(ln.font), round(ln.size, 1))
            count[key] = count.get(key, 0) + len(ln.text)
    serif = {k: v for k, v in count.items() if "serif" in k[0].lower() and "sans" not in k[0]}
    pool = serif or count
    if not pool:
        return ("", 0.0)
    return max(pool, key=lambda k: pool[k])


def _family(font: str) -> str:
    """'Noto-Serif-Italic' -> 'Noto-Serif'; 'Inter-Display-Heavy' -> 'Inter-Display'."""
    for family in ("Noto-Serif", "Inter-Display", "Inter"):
        if font.startswith(family):
            return family
    return font.split("-")[0]


def _is_body(line: PdfLine, body: tuple[str, float]) -> bool:
    return _family(line.font) == body[0] and abs(line.size - body[1]) < 0.3


def _is_subhead(line: PdfLine, body: tuple[str, float]) -> bool:
    heavy = any(w in line.font for w in ("Bold", "Heavy", "Black"))
    return (
        line.font.startswith("Inter")
        and heavy
        and body[1] * 0.97 <= line.size <= body[1] * 1.3
        and len(line.text) < 80
    )


def _article_page(
    read: ReadPage, grid: Grid, body: tuple[str, float], measured: PageMeasure | None
) -> ArticlePage:
    area = grid.area(read.number)
    cols = [ColumnText(i, a, b) for i, (a, b) in enumerate(grid.columns(read.number))]
    tol = 2.0
    inside = [ln for ln in read.lines if area[1] - 2 <= ln.top and ln.bottom <= area[3] + 2]
    for ln in inside:
        for c in cols:
            if ln.left >= c.left - tol and ln.right <= c.right + tol:
                if _is_body(ln, body) or _is_subhead(ln, body):
                    c.lines.append(ln)
                c.bottom = max(c.bottom, ln.bottom)
                break
    for box in read.images + read.areas:
        if box[1] >= area[3] + 2 or box[3] <= area[1] - 2:
            continue
        if box[3] - box[1] > area[3] - area[1] - 2 and box[2] - box[0] > area[2] - area[0]:
            continue  # a page-sized background
        for c in cols:
            if box[0] < c.right - tol and box[2] > c.left + tol:
                c.bottom = max(c.bottom, min(box[3], area[3]))
    for c in cols:
        c.lines.sort(key=lambda ln: ln.baseline)
    lowest = max(
        [c.bottom for c in cols]
        + [ln.bottom for ln in inside]
        + [min(b[3], area[3]) for b in read.images + read.areas if b[1] < area[3] - 2],
        default=area[1],
    )
    used = max(0.0, min(1.0, (lowest - area[1]) / (area[3] - area[1])))
    return ArticlePage(read.number, area, cols, used, measured)


# -- which pages hold which article --------------------------------------------------------


def article_pages(
    outline: Sequence[tuple[int, str]], pages: Sequence[ArticlePage], plan: Plan
) -> list[tuple[ArticleSection, list[ArticlePage]]]:
    """Each article and its pages: from its bookmark to the next bookmarked section, less
    the pages that hold no text in its columns (a full-page ad after it)."""
    starts = sorted({p for p, _ in outline} | {len(pages)})
    by_title: dict[str, int] = {}
    for p, t in outline:
        by_title.setdefault(t, p)
    out = []
    for section in plan.articles:
        first = by_title.get(" ".join(section.article.title.split()))
        if first is None:
            continue
        end = next((s for s in starts if s > first), len(pages))
        held = [pages[i] for i in range(first, end) if i == first or _has_text(pages[i])]
        out.append((section, held))
    return out


def _has_text(page: ArticlePage) -> bool:
    return sum(len(c.lines) for c in page.columns) >= 2


def outline_of(path: Path) -> list[tuple[int, str]]:
    """(0-based page, title) of every bookmark, nested ones included (read with pypdf)."""
    from pypdf import PdfReader

    reader = PdfReader(path)
    marks: list[tuple[int, str]] = []

    def walk(items: list) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                page = reader.get_destination_page_number(item)
                if page is not None:
                    marks.append((page, " ".join(str(item.title).split())))

    walk(reader.outline)
    return marks


# -- the rules -------------------------------------------------------------------------


@dataclass
class _Context:
    plan: Plan
    pdf: Path
    body: tuple[str, float]
    line: float  # the baseline grid, pt
    median_space: float
    findings: list[Finding] = field(default_factory=list)

    def add(
        self,
        section: ArticleSection | None,
        page: int | None,
        message: str,
        hint: str,
        code: str,
        severity: Severity,
        obj: str | None = None,
    ) -> None:
        where = Location(section.article.path) if section else None
        self.findings.append(
            Finding(message, where or Location(self.pdf), hint, code, severity, page, obj)
        )


def check_layout(
    path: Path,
    doc: pdfium.PdfDocument,
    plan: Plan,
    measured: Sequence[PageMeasure | None] | None = None,
    keys: Sequence[str] | None = None,
    cache_dir: Path | None = None,
    given: Mapping[int, ReadPage] | None = None,
) -> list[Finding]:
    """The page checks of a built edition (`measured`: the build's own measurement of each
    page, where it has one). With `cache_dir` and `keys` (one per page, of what the page
    draws), a page read back before is not read again. `given`: pages (by 0-based index)
    read already, by another process (`read_some`)."""
    given = given or {}
    if cache_dir is None or keys is None or len(keys) != len(doc):
        read = [given.get(i) or _read_one(doc, i) for i in range(len(doc))]
    else:
        read = _read_remembered(doc, keys, cache_dir / "layout-pages.json", given)
    return check_read_pages(path, read, plan, outline_of(path), measured)


def unread(
    doc: pdfium.PdfDocument, keys: Sequence[str] | None, cache_dir: Path | None
) -> list[int]:
    """The pages (0-based) `check_layout` has to read: those not remembered."""
    if cache_dir is None or keys is None or len(keys) != len(doc):
        return list(range(len(doc)))
    known = _remembered(cache_dir / "layout-pages.json")
    return [i for i, key in enumerate(keys) if not (key and isinstance(known.get(key), dict))]


def read_some(path: Path, indices: Sequence[int]) -> dict[int, dict]:
    """Pages of the PDF at `path` read, as plain data (`from_plain`), for another process.
    The file is opened here: a file shared with a forked process shares its offset."""
    doc = pdfium.PdfDocument(str(path))
    try:
        return {i: _to_json(_read_one(doc, i)) for i in indices}
    finally:
        doc.close()


def read_here(doc: pdfium.PdfDocument, indices: Sequence[int]) -> dict[int, ReadPage]:
    """Pages (0-based) of `doc` read, for `check_layout(given=...)`."""
    return {i: _read_one(doc, i) for i in indices}


def from_plain(read: Mapping[int, dict]) -> dict[int, ReadPage]:
    """`read_some`'s pages made again (a page that does not come back is read here)."""
    out = {}
    for i, data in read.items():
        page = _from_json(data, i + 1)
        if page is not None:
            out[i] = page
    return out


def _read_one(doc: pdfium.PdfDocument, i: int) -> ReadPage:
    page = doc[i]
    try:
        return _read_page(page, i + 1)
    finally:
        page.close()


def _remembered(store: Path) -> dict:
    try:
        known = json.loads(store.read_text())
    except (OSError, ValueError):
        return {}
    return known if isinstance(known, dict) else {}


def _read_remembered(
    doc: pdfium.PdfDocument, keys: Sequence[str], store: Path, given: Mapping[int, ReadPage]
) -> list[ReadPage]:
    known = _remembered(store)
    out, seen = [], {}
    for i, key in enumerate(keys):
        data = known.get(key) if key else None
        page = _from_json(data, i + 1) if data else None
        page = page or given.get(i) or _read_one(doc, i)
        if key:
            seen[key] = _to_json(page)
        out.append(page)
    if seen != known:
        atomic_write_text(store, json.dumps(seen))
    return out


def _to_json(page: ReadPage) -> dict:
    return {
        "size": [page.width, page.height],
        "lines": [tuple(vars(ln).values()) for ln in page.lines],  # astuple's, faster
        "images": page.images,
        "areas": page.areas,
    }


def _from_json(data: dict, number: int) -> ReadPage | None:
    try:
        lines = [
            PdfLine(t, a, b, c, d, e, f, g, tuple(h)) for t, a, b, c, d, e, f, g, h in data["lines"]
        ]
        return ReadPage(
            number,
            float(data["size"][0]),
            float(data["size"][1]),
            lines,
            [tuple(x) for x in data["images"]],
            [tuple(x) for x in data["areas"]],
        )
    except (KeyError, TypeError, ValueError):
        return None


def check_read_pages(
    path: Path,
    read: Sequence[ReadPage],
    plan: Plan,
    outline: Sequence[tuple[int, str]],
    measured: Sequence[PageMeasure | None] | None = None,
) -> list[Finding]:
    grid = Grid(plan.layout)
    body = _body_style(read)
    measures = list(measured or [])
    pages = [
        _article_page(r, grid, body, measures[i] if i < len(measures) else None)
        for i, r in enumerate(read)
    ]
    spaces = [
        statistics.median(ln.gaps)
        for r in read
        for ln in r.lines
        if ln.gaps and _is_body(ln, body) and not _short(ln, grid, r.number)
    ]
    ctx = _Context(
        plan,
        path,
        body,
        plan.layout.page.baseline,
        statistics.median(spaces) if spaces else 0.0,
    )
    for section, held in article_pages(outline, pages, plan):
        if not held:
            continue
        _ends(ctx, section, held)
        _flow(ctx, section, held, grid)
    _display(ctx, read, body, measures)
    _photos(ctx, plan, plan.dpi)
    return ctx.findings


def _short(line: PdfLine, grid: Grid, number: int) -> bool:
    """A line that does not reach its column's right edge: a paragraph's last line."""
    for left, right in grid.columns(number):
        if line.left >= left - 2 and line.right <= right + 2:
            return line.right < right - 4
    return True


def _ends(ctx: _Context, section: ArticleSection, held: list[ArticlePage]) -> None:
    """The last page: not a stub, balanced, at least half full."""
    last = held[-1]
    lines = ctx.line
    if len(held) > 1 and last.used < STUB:
        ctx.add(
            section,
            last.number,
            f"page holds only the tail of the article ({last.used:.0%} of the type area)",
            "cut the article or let the build fit it to one page less",
            "layout.stub-page",
            ERROR,
        )
    elif last.used < HALF:
        ctx.add(
            section,
            last.number,
            f"the article's last page is {last.used:.0%} full",
            "fill the rest (a photo, a box, an ad) or fit the article",
            "layout.underfilled",
            WARNING,
        )
    cols = [c for c in last.columns if c.lines or c.bottom]
    for a, b in itertools.pairwise(cols):
        short = (b.bottom - a.bottom) / lines
        if short > BALANCE_LINES + 0.25:
            ctx.add(
                section,
                last.number,
                f"column {a.index + 1} ends {short:.0f} lines above column {b.index + 1}",
                "balance the columns of the article's last page",
                "layout.unbalanced",
                ERROR,
            )


def _flow(ctx: _Context, section: ArticleSection, held: list[ArticlePage], grid: Grid) -> None:
    """Widows, orphans, subheads, hyphenation and loose lines, in reading order."""
    flow: list[tuple[ArticlePage, ColumnText, PdfLine]] = []
    for page in held:
        for col in page.columns:
            flow.extend((page, col, ln) for ln in col.lines)
    body = ctx.body
    n = len(flow)

    def is_body(k: int) -> bool:
        return 0 <= k < n and _is_body(flow[k][2], body)

    def starts_para(k: int) -> bool:
        page, col, ln = flow[k]
        if not is_body(k):
            return False
        if ln.left > col.left + 3 and ln.left < col.left + 20:
            return True  # indented
        prev = k - 1
        if prev < 0 or not is_body(prev):
            return True  # after a subhead, or the first line
        pp, pc, pl = flow[prev]
        if pc is col and pp is page and ln.baseline - pl.baseline > ctx.line * 1.5:
            return True  # after a box
        return ends_para(prev)

    def ends_para(k: int) -> bool:
        page, col, ln = flow[k]
        if not is_body(k):
            return False
        if ln.text.endswith((SOFT, HARD)):
            return False
        nxt = k + 1
        if nxt >= n or not is_body(nxt):
            return True
        np, nc, nl = flow[nxt]
        if nc is col and np is page and nl.baseline - ln.baseline > ctx.line * 1.5:
            return True  # a box follows
        if nl.left > nc.left + 3 and nl.left < nc.left + 20:
            return True  # the next line is indented
        return ln.right < col.right - 4

    last_page = held[-1]
    for k, (page, col, ln) in enumerate(flow):
        top_of_column = k == 0 or flow[k - 1][1] is not col or flow[k - 1][0] is not page
        foot_of_column = k == n - 1 or flow[k + 1][1] is not col or flow[k + 1][0] is not page
        where = f"column {col.index + 1}"
        if (
            is_body(k)
            and top_of_column
            and k > 0
            and is_body(k - 1)
            and ends_para(k)
            and not starts_para(k)
            and not _exact_first(page, ln)
        ):
            ctx.add(
                section,
                page.number,
                f"{where}: widow '{_snip(ln.text)}' (the last line of a paragraph "
                "at the top of a column)",
                "fit the article so the paragraph breaks elsewhere",
                "layout.widow",
                ERROR,
            )
        if (
            is_body(k)
            and foot_of_column
            and k < n - 1
            and is_body(k + 1)
            and starts_para(k)
            and not ends_para(k)
            and not _exact_last(page, ln)
        ):
            ctx.add(
                section,
                page.number,
                f"{where}: orphan '{_snip(ln.text)}' (the first line of a paragraph "
                "at the foot of a column)",
                "fit the article so the paragraph breaks elsewhere",
                "layout.orphan",
                ERROR,
            )
        more_head = k + 1 < n and _is_subhead(flow[k + 1][2], body) and flow[k + 1][1] is col
        if _is_subhead(ln, body) and not is_body(k) and k < n - 1 and not more_head:
            below = 0
            j = k + 1
            while j < n and flow[j][1] is col and flow[j][0] is page and is_body(j):
                below += 1
                j += 1
            continues = j < n
            if below < SUBHEAD_LINES and continues and not (page is last_page and j >= n):
                ctx.add(
                    section,
                    page.number,
                    f"{where}: subhead '{_snip(ln.text)}' has {below} line"
                    f"{'' if below == 1 else 's'} under it at the column's foot",
                    "move the subhead to the next column",
                    "layout.subhead-foot",
                    WARNING,
                )
    _hyphens(ctx, section, [(p, c, ln) for p, c, ln in flow if _is_body(ln, body)])
    _loose(ctx, section, flow, grid)


def _exact_first(page: ArticlePage, line: PdfLine) -> bool:
    """The build measured this line as its paragraph's first (so it is no widow)."""
    m = _measured_line(page, line)
    return m is not None and m.first


def _exact_last(page: ArticlePage, line: PdfLine) -> bool:
    m = _measured_line(page, line)
    return m is not None and m.last


def _measured_line(page: ArticlePage, line: PdfLine) -> Line | None:
    if page.measured is None:
        return None
    for m in page.measured.lines:
        if abs(m.baseline - line.baseline) < 1.5 and abs(m.left - line.left) < 6:
            return m
    return None


_PUNCT = "\"'()[],.;:!?\u201c\u201d\u2018\u2019\u2013\u2014"
_WORD_END = re.compile(r"(\S*)$")
_WORD_START = re.compile(r"^(\S*)")


def _hyphens(
    ctx: _Context, section: ArticleSection, flow: list[tuple[ArticlePage, ColumnText, PdfLine]]
) -> None:
    run = 0
    for k, (page, col, ln) in enumerate(flow):
        same_column = k > 0 and flow[k - 1][1] is col and flow[k - 1][0] is page
        if not same_column:
            run = 0
        if ln.text.endswith((SOFT, HARD)):
            run += 1
            if run == HYPHEN_RUN + 1:
                ctx.add(
                    section,
                    page.number,
                    f"column {col.index + 1}: {run} hyphenated lines in a row, down to "
                    f"'{_snip(ln.text)}'",
                    "rewrite a line or let the build drop one break",
                    "layout.hyphen-run",
                    INFO,
                )
        else:
            run = 0
        if not ln.text.endswith(SOFT) or k + 1 >= len(flow):
            continue
        # The word goes on at the next line that has letters (a list item's marker, drawn
        # as a line of its own on the same baseline, is not where it goes on).
        # A word cut twice (a line that holds only its middle, beside a drop cap or a
        # box) goes on over more than one line: its rest is joined up to where it ends.
        lines_after = (
            f[2].text
            for f in itertools.islice(flow, k + 1, None)
            if any(c.isalnum() for c in f[2].text)
        )
        head_match = _WORD_END.search(ln.text[:-1])
        head = head_match.group(1) if head_match else ""
        tail = ""
        for after in lines_after:
            tail_match = _WORD_START.search(after)
            part = tail_match.group(1) if tail_match else ""
            if part == after.strip() and part.endswith(SOFT):
                tail += part[:-1]
                continue
            tail += part
            break
        word = head + tail
        core = word.strip(_PUNCT)
        lead = len(word) - len(word.lstrip(_PUNCT))
        offset = len(head) - lead
        if core and 0 < offset < len(core) and not allowed_break(core, offset):
            ctx.add(
                section,
                page.number,
                f"column {col.index + 1}: '{core[:offset]}-{core[offset:]}' is cut where "
                "Indonesian hyphenation does not allow it",
                "rebuild with the bundled hyphenation, or rewrite the line",
                "layout.bad-hyphen",
                WARNING,
                obj=core,
            )


def _loose(
    ctx: _Context,
    section: ArticleSection,
    flow: list[tuple[ArticlePage, ColumnText, PdfLine]],
    grid: Grid,
) -> None:
    if ctx.median_space <= 0:
        return
    for page, col, ln in flow:
        if not ln.gaps or not _is_body(ln, ctx.body) or _short(ln, grid, page.number):
            continue
        space = statistics.median(ln.gaps)
        if space > LOOSE * ctx.median_space:
            ctx.add(
                section,
                page.number,
                f"column {col.index + 1}: loose line '{_snip(ln.text)}' (word spaces "
                f"{space / ctx.median_space:.1f} times the usual)",
                "rewrite the paragraph or allow a break in its long words",
                "layout.loose-line",
                INFO,
            )


# Display type read back: a headline, deck, caption or contents entry is a run of lines
# in one font, one below the other; its last line should hold more than one word.
_DISPLAY_FAMILIES = ("Inter-Display", "Inter")


def _display(
    ctx: _Context,
    read: Sequence[ReadPage],
    body: tuple[str, float],
    measures: Sequence[PageMeasure | None],
) -> None:
    # Read back in the build and in `edition check` alike, so that both say the same.
    del measures
    for page in read:
        blocks = _read_display(page, body)
        for lines in blocks:
            last = lines[-1]
            words = last.split()
            if len(lines) >= 2 and len(words) == 1 and len(words[0]) > 1:
                ctx.add(
                    None,
                    page.number,
                    f"runt: '{_snip(lines[-2])} / {words[0]}' ends on a one-word line",
                    "bind the last two words or rewrite the line",
                    "layout.runt",
                    INFO,
                )


def _display_text(text: str) -> str:
    """A caption's words without its credit ("FOTO: ..." is set in capitals after it)."""
    return re.split(r"\s+Foto:|\s+FOTO:", text)[0].strip()


def _read_display(page: ReadPage, body: tuple[str, float]) -> list[list[str]]:
    out: list[list[str]] = []
    current: list[PdfLine] = []
    for ln in page.lines:
        display = ln.font.startswith(_DISPLAY_FAMILIES) and (ln.size >= 9 or _under_image(ln, page))
        if not display or (_is_subhead(ln, body) and ln.size < 10):
            display = display and _is_subhead(ln, body)
        if current and display and _continues(current[-1], ln):
            current.append(ln)
            continue
        if current:
            out.append([_display_text(x.text) for x in current])
        current = [ln] if display else []
    if current:
        out.append([_display_text(x.text) for x in current])
    return [b for b in out if b and b[-1]]


def _under_image(line: PdfLine, page: ReadPage) -> bool:
    """A caption: just under a photo, or set on it."""
    for left, top, right, bottom in page.images:
        if left - 2 <= line.left <= right and top - 2 <= line.top <= bottom + 12:
            return True
    return False


def _continues(prev: PdfLine, line: PdfLine) -> bool:
    return (
        prev.font == line.font
        and abs(prev.size - line.size) < 0.2
        and 0 < line.baseline - prev.baseline < line.size * 1.7
        and abs(prev.left - line.left) < line.size * 6
    )


def _photos(ctx: _Context, plan: Plan, profile_dpi: int) -> None:
    """Every photo of an article where it holds less than 250 ppi (cover and Inframe:
    the planner's own checks say more)."""
    seen: set[tuple[Path, float, float]] = set()
    for section in plan.sections:
        for slot in _slots(section):
            req = slot.request
            key = (req.source, req.width_mm, req.height_mm)
            if key in seen or not all(slot.source_px):
                continue
            seen.add(key)
            ppi = slot.effective_dpi
            need = min(PHOTO_PPI, round(PHOTO_PPI * profile_dpi / 300))
            if ppi < need:
                ctx.findings.append(
                    Finding(
                        f"photo holds {ppi:.0f} ppi at {req.width_mm:.0f} x "
                        f"{req.height_mm:.0f} mm (under {need})",
                        Location(req.source),
                        "use a larger original, or give it a smaller slot",
                        "layout.photo-resolution",
                        WARNING,
                        obj=req.source.name,
                    )
                )


def _slots(section: object) -> list:
    """The photos a section places, not the ads' artwork (the advertiser's, checked as ads)."""
    from edition.plan.model import AdPage, Insert, section_slots

    if isinstance(section, AdPage):
        return []
    ads = set()
    if isinstance(section, ArticleSection):
        ads = {id(section.half_art)} | {
            id(i.slot) for i in section.items if isinstance(i, Insert) and i.kind == "quarter-ad"
        }
    return [s for s in section_slots(section) if s.request.crop and id(s) not in ads]  # type: ignore[arg-type]


def _snip(text: str, n: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def merge_measures(
    starts: dict[str, int], measures: dict[str, Sequence[PageMeasure]], pages: int
) -> list[PageMeasure | None]:
    """The build's measurements of its sections, page by page of the edition."""
    out: list[PageMeasure | None] = [None] * pages
    for anchor, first in starts.items():
        for k, m in enumerate(measures.get(anchor, ())):
            if 0 <= first + k < pages:
                out[first + k] = m
    return out
