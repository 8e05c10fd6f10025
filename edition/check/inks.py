"""The type on a printed page as the plates see it: each run of text with its size, its inks
and whether it sits on a photo, read from the page's drawing (pikepdf).

Small type in two or more inks depends on the plates meeting exactly (registration): a
hair off and 7 pt navy type in four inks grows coloured fringes. White (reversed) small
type cut out of a photo fills in the same way. These are the runs preflight reports.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import re
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pikepdf
from pikepdf import Name

from edition.errors import EditionError
from edition.pdf.subsets import unicode_map
from edition.store.atomic import atomic_write_text

SMALL_PT = 9.0  # type under this size is "small" for the ink rules
INK_MIN = 0.005  # an ink at less than half a percent is not printed
Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _mul(a: Matrix, b: Matrix) -> Matrix:
    """The product of a and b: a applied first."""
    return (
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    )


def _point(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return x * m[0] + y * m[2] + m[4], x * m[1] + y * m[3] + m[5]


@dataclass(frozen=True)
class TextRun:
    """Glyphs shown by one text operator."""

    page: int  # 1-based
    text: str
    glyphs: int
    size: float  # pt, as printed
    inks: tuple[str, ...]  # process inks the fill uses ("C", "M", "Y", "K"); () is paper white
    space: str  # "cmyk", "gray", "rgb" or "other"
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in page space
    on_image: bool  # drawn over a photo (nothing opaque between them)
    font: str  # the font's name, without its subset tag
    notdef: int = 0  # glyphs shown as .notdef (glyph 0)
    unmapped: int = 0  # glyphs without a Unicode value in the font's ToUnicode map

    @property
    def reversed(self) -> bool:
        return self.space in ("cmyk", "gray", "rgb") and not self.inks


@dataclass
class _State:
    ctm: Matrix = IDENTITY
    space: str = "gray"
    colour: tuple[float, ...] = (0.0,)
    font: pikepdf.Object | None = None
    size: float = 0.0
    char_space: float = 0.0
    word_space: float = 0.0
    scale: float = 1.0
    leading: float = 0.0
    rise: float = 0.0
    alpha: float = 1.0  # of fills (/ca)

    def copy(self) -> _State:
        return _State(**self.__dict__)


@dataclass
class _Font:
    name: str
    width: int  # bytes per code
    widths: dict[int, float]
    default: float
    text: dict[int, str]
    notdef: frozenset[int]  # codes that show glyph 0


@dataclass
class _Reader:
    page: int
    fonts: dict[tuple[int, int], _Font]
    # What text may sit on, in drawing order: (box, is a photo), opaque things only.
    grounds: list[tuple[tuple[float, float, float, float], bool]] = field(default_factory=list)
    runs: list[TextRun] = field(default_factory=list)

    def read(
        self, holder: pikepdf.Object, resources: pikepdf.Object, state: _State, depth: int
    ) -> None:
        if depth > 8:
            return
        stack: list[_State] = []
        tm = tlm = IDENTITY
        path: list[tuple[float, float]] = []
        subpaths = 0
        for inst in pikepdf.parse_content_stream(holder):
            if not isinstance(inst, pikepdf.ContentStreamInstruction):
                continue
            op = str(inst.operator)
            args = list(inst.operands)
            nums = [_num(a) for a in args]  # operands as numbers (0 where they are not)
            if op == "q":
                stack.append(state.copy())
            elif op == "Q" and stack:
                state = stack.pop()
            elif op == "cm" and len(args) == 6:
                state.ctm = _mul(_matrix(nums), state.ctm)
            elif op == "cs" and args:
                state.space = _space(resources, args[0])
                if str(args[0]) == "/Pattern":
                    state.space = "pattern"
                state.colour = (0.0,) * {"cmyk": 4, "rgb": 3}.get(state.space, 1)
                if state.space == "cmyk":
                    state.colour = (0.0, 0.0, 0.0, 1.0)
            elif op in ("sc", "scn") and args and all(_is_number(a) for a in args):
                state.colour = tuple(nums)
            elif op == "k":
                state.space, state.colour = "cmyk", tuple(nums)
            elif op == "g":
                state.space, state.colour = "gray", (nums[0],)
            elif op == "rg":
                state.space, state.colour = "rgb", tuple(nums)
            elif op == "gs" and args:
                gs = _resource(resources, "/ExtGState", args[0])
                if isinstance(gs, pikepdf.Dictionary) and "/ca" in gs:
                    state.alpha = _num(gs.ca)
            elif op in ("m", "l") and len(args) == 2:
                subpaths += op == "m"
                path.append(_point(state.ctm, nums[0], nums[1]))
            elif op in ("c", "v", "y") and len(args) >= 4:
                path.append(_point(state.ctm, nums[-2], nums[-1]))
            elif op == "re" and len(args) == 4:
                x, y, w, h = nums
                subpaths += 1
                path += [_point(state.ctm, x + dx, y + dy) for dx in (0, w) for dy in (0, h)]
            elif op in ("f", "F", "f*", "B", "B*", "b", "b*"):
                # One shape, opaque: a background. Two shapes filled even-odd are a frame
                # (a border), with nothing under its middle.
                frame = op.endswith("*") and subpaths > 1
                if path and not frame and state.alpha >= 0.99 and state.space != "pattern":
                    xs, ys = [pt[0] for pt in path], [pt[1] for pt in path]
                    self.grounds.append(((min(xs), min(ys), max(xs), max(ys)), False))
                path, subpaths = [], 0
            elif op in ("n", "S", "s"):
                path, subpaths = [], 0
            elif op == "BT":
                tm = tlm = IDENTITY
            elif op == "Tf" and len(args) == 2:
                state.font = _resource(resources, "/Font", args[0])
                state.size = nums[1]
            elif op == "Tc":
                state.char_space = nums[0]
            elif op == "Tw":
                state.word_space = nums[0]
            elif op == "Tz":
                state.scale = nums[0] / 100
            elif op == "TL":
                state.leading = nums[0]
            elif op == "Ts":
                state.rise = nums[0]
            elif op == "Tm" and len(args) == 6:
                tm = tlm = _matrix(nums)
            elif op in ("Td", "TD") and len(args) == 2:
                if op == "TD":
                    state.leading = -nums[1]
                tm = tlm = _mul((1, 0, 0, 1, nums[0], nums[1]), tlm)
            elif op == "T*":
                tm = tlm = _mul((1, 0, 0, 1, 0, -state.leading), tlm)
            elif op in ("Tj", "TJ", "'", '"') and args:
                if op in ("'", '"'):
                    tm = tlm = _mul((1, 0, 0, 1, 0, -state.leading), tlm)
                tm = self._show(state, tm, args[-1])
            elif op == "Do" and args:
                self._do(resources, args[0], state, depth)

    def _do(
        self, resources: pikepdf.Object, name: pikepdf.Object, state: _State, depth: int
    ) -> None:
        xobj = _resource(resources, "/XObject", name)
        if not isinstance(xobj, pikepdf.Stream):
            return
        if xobj.get("/Subtype") == Name.Image:
            corners = [_point(state.ctm, x, y) for x, y in ((0, 0), (1, 0), (0, 1), (1, 1))]
            xs, ys = [c[0] for c in corners], [c[1] for c in corners]
            self.grounds.append(((min(xs), min(ys), max(xs), max(ys)), True))
        elif xobj.get("/Subtype") == Name.Form:
            inner = state.copy()
            matrix = [_num(v) for v in xobj.get("/Matrix", [])]
            if len(matrix) == 6:
                inner.ctm = _mul(_matrix(matrix), state.ctm)
            self.read(xobj, xobj.get("/Resources", resources), inner, depth + 1)

    def _show(self, state: _State, tm: Matrix, what: pikepdf.Object) -> Matrix:
        font = self._font(state.font)
        if font is None:
            return tm
        # Widths and adjustments in thousandths of the font size; spacing in text space.
        raw, adjust = _shown(what)
        n = len(raw) // font.width
        codes = struct.unpack(f">{n}{'H' if font.width == 2 else 'B'}", raw[: n * font.width])
        units = sum(font.widths.get(c, font.default) for c in codes)
        spacing = n * state.char_space
        if font.width == 1:
            spacing += codes.count(32) * state.word_space
        advance = ((units - adjust) / 1000 * state.size + spacing) * state.scale
        chars = [font.text.get(c, "") for c in codes]
        glyphs = len(codes)
        notdef = sum(1 for c in codes if c in font.notdef)
        unmapped = sum(1 for t in chars if not t or "\x00" in t or "\ufeff" in t or "\ufffe" in t)
        text = chars
        full = _mul(tm, state.ctm)
        size = state.size * math.hypot(full[2], full[3])
        x0, y0 = _point(full, 0, state.rise + _DESCENT * state.size)
        x1, y1 = _point(full, advance, state.rise + _ASCENT * state.size)
        box = (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
        if glyphs:
            self.runs.append(
                TextRun(
                    self.page,
                    "".join(text),
                    glyphs,
                    round(size, 2),
                    _inks(state.space, state.colour),
                    state.space,
                    box,
                    self._on_image(box),
                    font.name,
                    notdef,
                    unmapped,
                )
            )
        return _mul((1, 0, 0, 1, advance, 0), tm)

    def _on_image(self, box: tuple[float, float, float, float]) -> bool:
        """The topmost opaque thing under the middle of `box` is a photo."""
        x, y = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        for ground, is_image in reversed(self.grounds):
            if ground[0] <= x <= ground[2] and ground[1] <= y <= ground[3]:
                return is_image
        return False

    def _font(self, font: pikepdf.Object | None) -> _Font | None:
        if not isinstance(font, pikepdf.Dictionary):
            return None
        key = font.objgen
        if key not in self.fonts:
            self.fonts[key] = _read_font(font)
        return self.fonts[key]


# Glyph box in text space units of the font size: enough to say what a run overlaps.
_DESCENT, _ASCENT = -0.2, 0.75


_TOKEN = re.compile(rb"<([0-9A-Fa-f\s]*)>|\(((?:[^\\()]|\\.)*)\)|([-+]?(?:\d+\.?\d*|\.\d+))", re.S)
_ESCAPE = re.compile(rb"\\([0-7]{1,3}|\r\n|.)", re.S)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _unescape(match: re.Match[bytes]) -> bytes:
    code = match.group(1)
    if code[:1].isdigit():
        return bytes([int(code, 8) & 0xFF])
    if code in (b"\n", b"\r", b"\r\n"):
        return b""  # a line continued
    return _ESCAPES.get(code, code)


_HEX_ONLY = re.compile(rb"<([0-9A-Fa-f]*)>")
_NUMBER = re.compile(rb"[-+]?(?:\d+\.?\d*|\.\d+)")


def _shown(what: pikepdf.Object) -> tuple[bytes, float]:
    """The bytes a Tj or TJ operand shows, and the sum of its adjustments. An array is
    read from its unparsed form, far quicker than one Python object per glyph; the usual
    form (hex strings and numbers only) in two regular-expression passes."""
    if isinstance(what, pikepdf.String):
        return bytes(what), 0.0
    if not isinstance(what, pikepdf.Array):
        return b"", 0.0
    data = what.unparse().replace(b"()", b"")
    if b"(" not in data:
        strings = _HEX_ONLY.findall(data)
        numbers = _NUMBER.findall(_HEX_ONLY.sub(b" ", data))
        raw = bytes.fromhex(b"".join(strings).decode())
        return raw, sum(float(x) for x in numbers)
    parts, adjust = [], 0.0
    for m in _TOKEN.finditer(data):
        hex_digits, literal, number = m.groups()
        if hex_digits is not None:
            digits = re.sub(rb"\s", b"", hex_digits)
            parts.append(bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode()))
        elif literal is not None:
            parts.append(_ESCAPE.sub(_unescape, literal))
        elif number is not None:
            adjust += float(number)
    return b"".join(parts), adjust


def _read_font(font: pikepdf.Dictionary) -> _Font:
    name = str(font.get("/BaseFont", "")).lstrip("/").split("+", 1)[-1]
    cmap = font.get("/ToUnicode")
    text = unicode_map(cmap.read_bytes()) if isinstance(cmap, pikepdf.Stream) else {}
    if font.get("/Subtype") == Name.Type0:
        cid = font.DescendantFonts[0]
        widths: dict[int, float] = {}
        w = list(cid.get("/W", []))
        i = 0
        while i + 1 < len(w):
            first = int(w[i])
            if isinstance(w[i + 1], pikepdf.Array):
                for k, v in enumerate(w[i + 1]):
                    widths[first + k] = float(v)
                i += 2
            elif i + 2 < len(w):
                for c in range(first, int(w[i + 1]) + 1):
                    widths[c] = float(w[i + 2])
                i += 3
            else:
                break
        return _Font(name, 2, widths, float(cid.get("/DW", 1000)), text, _notdef_codes(font))
    first = int(font.get("/FirstChar", 0))
    simple = {first + k: float(v) for k, v in enumerate(font.get("/Widths", []))}
    return _Font(name, 1, simple, 500.0, text, frozenset())


def _notdef_codes(font: pikepdf.Dictionary) -> frozenset[int]:
    """Codes of a composite font that select glyph 0: code 0 with Identity-H (CID = glyph
    id), and whatever an embedded CMap sends to CID 0."""
    encoding = font.get("/Encoding")
    if not isinstance(encoding, pikepdf.Stream):
        return frozenset({0})
    data = encoding.read_bytes()
    codes = {
        int(code, 16)
        for section in re.findall(rb"begincidchar(.*?)endcidchar", data, re.S)
        for code, cid in re.findall(rb"<([0-9A-Fa-f]+)>\s+(\d+)", section)
        if int(cid) == 0
    }
    return frozenset(codes)


def _matrix(values: list[float]) -> Matrix:
    a, b, c, d, e, f = values
    return (a, b, c, d, e, f)


def _num(value: object) -> float:
    return float(value) if _is_number(value) else 0.0  # type: ignore[arg-type]


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _resource(resources: pikepdf.Object, kind: str, name: pikepdf.Object) -> pikepdf.Object | None:
    if not isinstance(resources, pikepdf.Dictionary) or not isinstance(name, pikepdf.Name):
        return None
    group = resources.get(kind)
    return group.get(name) if isinstance(group, pikepdf.Dictionary) else None


def _space(resources: pikepdf.Object, name: pikepdf.Object) -> str:
    """What a fill colour space is, for counting inks."""
    device = {"/DeviceCMYK": "cmyk", "/DeviceRGB": "rgb", "/DeviceGray": "gray"}
    if str(name) in device:
        return device[str(name)]
    cs = _resource(resources, "/ColorSpace", name)
    if isinstance(cs, pikepdf.Array) and len(cs) == 2 and cs[0] == Name.ICCBased:
        return {1: "gray", 3: "rgb", 4: "cmyk"}.get(int(cs[1].get("/N", 0)), "other")
    if isinstance(cs, pikepdf.Name) and str(cs) in device:
        return device[str(cs)]
    return "other"


def _inks(space: str, colour: tuple[float, ...]) -> tuple[str, ...]:
    if space == "cmyk" and len(colour) == 4:
        return tuple(ink for ink, v in zip("CMYK", colour, strict=True) if v > INK_MIN)
    if space == "gray" and colour:
        return ("K",) if colour[0] < 1 - INK_MIN else ()
    if space == "rgb" and len(colour) == 3:
        return () if min(colour) > 1 - INK_MIN else ("C", "M", "Y", "K")
    return ("?",)


def text_runs(pdf: pikepdf.Pdf) -> Iterator[TextRun]:
    """Every run of text of every page, in drawing order."""
    fonts: dict[tuple[int, int], _Font] = {}
    for i, page in enumerate(pdf.pages, 1):
        reader = _Reader(i, fonts)
        reader.read(page.obj, page.obj.get("/Resources", pikepdf.Dictionary()), _State(), 0)
        yield from reader.runs


def remembered_text_runs(pdf: pikepdf.Pdf, keys: Sequence[str], store: Path) -> list[TextRun]:
    """`text_runs`, with the runs of each page kept in `store` under the page's key (what
    it draws, `check.pages.drawing_key`): a rebuild reads only the pages that changed."""
    try:
        known = json.loads(store.read_text())
    except (OSError, ValueError):
        known = {}
    if not isinstance(known, dict):
        known = {}
    fonts: dict[tuple[int, int], _Font] = {}
    out: list[TextRun] = []
    seen: dict[str, list[list[object]]] = {}
    for i, (page, key) in enumerate(zip(pdf.pages, keys, strict=True), 1):
        runs = _runs_from_json(known.get(key), i) if key else None
        if runs is None:
            reader = _Reader(i, fonts)
            reader.read(page.obj, page.obj.get("/Resources", pikepdf.Dictionary()), _State(), 0)
            runs = reader.runs
        if key:
            seen[key] = [_run_to_json(r) for r in runs]
        out += runs
    if seen != known:
        with contextlib.suppress(OSError, EditionError):  # a cache not written is no cache
            store.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(store, json.dumps(seen))
    return out


def _run_to_json(run: TextRun) -> list[object]:
    return [getattr(run, f.name) for f in dataclasses.fields(run) if f.name != "page"]


def _runs_from_json(data: object, page: int) -> list[TextRun] | None:
    if not isinstance(data, list):
        return None
    try:
        return [
            TextRun(
                page,
                str(t),
                int(g),
                float(s),
                tuple(map(str, inks)),
                str(sp),
                (float(b[0]), float(b[1]), float(b[2]), float(b[3])),
                bool(img),
                str(fn),
                int(nd),
                int(um),
            )
            for t, g, s, inks, sp, b, img, fn, nd, um in data
        ]
    except (TypeError, ValueError, IndexError):
        return None


def page_runs(pdf: pikepdf.Pdf, index: int) -> list[TextRun]:
    """The runs of text of one page (0-based index)."""
    page = pdf.pages[index]
    reader = _Reader(index + 1, {})
    reader.read(page.obj, page.obj.get("/Resources", pikepdf.Dictionary()), _State(), 0)
    return reader.runs
