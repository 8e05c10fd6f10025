"""How many subscriber copies `edition stamp` makes per second from the sample's screen PDF.

    .venv/bin/python bench/stamp.py [--copies 20] [--runs 5] [--pdf PATH]

Builds issues/2024-05 in the screen profile into bench/out/ first when no PDF is
given (and none is there yet), then stamps COPIES copies RUNS times in one process
(as a shop's download service would) and prints the median copies per second;
also the first copy's time, which includes cutting the font once.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def sample_pdf() -> Path:
    from edition.commands.build import build_edition
    from edition.store.paths import Output

    out = HERE / "out"
    pdf = Output(out).pdf("2024-05", "screen")
    if not pdf.is_file():
        print("building the sample's screen PDF (once) ...", file=sys.stderr)
        build_edition(REPO / "issues" / "2024-05", "screen", out)
    return pdf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pdf", type=Path, default=None)
    args = parser.parse_args()

    from edition.publish.stamp import stamp_pdf

    pdf = args.pdf or sample_pdf()
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        result = stamp_pdf(pdf, Path(tmp) / "first.pdf", name="Budi Santoso", licence_id="S-0")
        first = time.perf_counter() - t
        rates = []
        for run in range(args.runs):
            t = time.perf_counter()
            for i in range(args.copies):
                stamp_pdf(
                    pdf,
                    Path(tmp) / f"copy-{i}.pdf",
                    name=f"Pelanggan {run}-{i}",
                    licence_id=f"SUB-{run:02d}{i:04d}",
                )
            rates.append(args.copies / (time.perf_counter() - t))
    size = pdf.stat().st_size / 1e6
    print(f"{pdf.name}: {result.pages} pages, {size:.1f} MB")
    print(f"first copy (font cut once): {first * 1000:.0f} ms")
    print(
        f"copies per second, median of {args.runs} runs of {args.copies}: "
        f"{statistics.median(rates):.1f} (min {min(rates):.1f}, max {max(rates):.1f})"
    )


if __name__ == "__main__":
    main()
