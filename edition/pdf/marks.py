"""Printer's marks outside the bleed: a wider MediaBox and crop marks at the trim lines.

WeasyPrint draws `marks: crop` inside the bleed box, where a bleeding photo covers
them and where the trimmer cannot see them; printers expect them outside the bleed.
"""

from __future__ import annotations

import pikepdf

MM = 72 / 25.4
SLUG = 10  # mm of paper beyond the bleed for the marks
MARK = 6  # mm, length of a crop mark
GAP = 0.5  # mm between the bleed edge and a mark


def draw_crop_marks(pdf: pikepdf.Pdf, bleed_mm: float) -> None:
    """Widen every page's MediaBox past the bleed and draw crop marks there."""
    for page in pdf.pages:
        x0, y0, x1, y1 = (float(v) for v in page.obj.get("/TrimBox", page.mediabox))
        b = bleed_mm * MM
        out = (bleed_mm + SLUG) * MM
        page.obj["/BleedBox"] = pikepdf.Array([x0 - b, y0 - b, x1 + b, y1 + b])
        page.obj["/MediaBox"] = pikepdf.Array([x0 - out, y0 - out, x1 + out, y1 + out])
        if "/CropBox" in page.obj:
            del page.obj["/CropBox"]
        if "/ArtBox" in page.obj:
            del page.obj["/ArtBox"]
        start, end = b + GAP * MM, b + (GAP + MARK) * MM
        lines = []
        for x in (x0, x1):
            for y, sign in ((y0, -1), (y1, 1)):
                lines.append((x, y + sign * start, x, y + sign * end))  # vertical
        for y in (y0, y1):
            for x, sign in ((x0, -1), (x1, 1)):
                lines.append((x + sign * start, y, x + sign * end, y))  # horizontal, beyond sides
        ops = ["Q", "q", "0.25 w", "0 0 0 1 K"]  # marks in black (registration is for plates)
        ops += [f"{ax:.3f} {ay:.3f} m {bx:.3f} {by:.3f} l S" for ax, ay, bx, by in lines]
        ops.append("Q")
        page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
        page.contents_add(pdf.make_stream(("\n".join(ops) + "\n").encode()), prepend=False)
