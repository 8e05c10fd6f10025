"""How fast `edition build` makes a print edition of a large issue, against plain WeasyPrint.

    .venv/bin/python bench/build_speed.py [--runs 3] [--issue DIR] [--keep] [--seed 1]
                                          [--rows a1,a2,b,c,d,f] [--profile-build]

Without --issue, a synthetic issue is written first with bench/make_issue.py (16 articles,
32 photos of 6000 x 4000 px, about 175 MB; 1-2 minutes). With --issue DIR, DIR is copied
into the work folder and only the copy is used (row d edits an article).

Every measurement runs in a fresh Python process, which reports its own time and its peak
memory (`resource.getrusage` of itself and of its waited-for children) when it is done;
the table gives the median over --runs runs:

  a1  plain WeasyPrint on edition's HTML with the original photos, default options
  a2  the same with `dpi=300, jpeg_quality=85` (WeasyPrint downsamples the photos itself)
  b   `edition build ISSUE --profile print --out D`, D empty (cold: no cache)
  c   the same command again, nothing changed (warm)
  d   after changing one word in the middle of a body paragraph of the 5th article
      (each run: edit, build and measure, restore the file, build again unmeasured)
  f   `edition build --single-pass`, cold (edition's one-document route)

The children run a snapshot of edition/, layouts/ and assets/ copied at the start (others
may be editing the checkout while it runs; a layout file that changes between two builds
would make the warm build a cold one), with their own TMPDIR, so that their fontconfig
file is theirs. `--live-code` runs the checkout as it is, and warns when it changed.

Writes bench/results/build_speed.json. The work folder is bench/out/build-speed/ (ignored
by git), removed at the end unless --keep.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / "out" / "build-speed"
RESULTS = HERE / "results" / "build_speed.json"
MARK = "@@build-speed "
ROWS = {
    "a1": "WeasyPrint, original photos",
    "a2": "WeasyPrint, dpi=300 jpeg_quality=85",
    "b": "edition build, cold",
    "c": "edition build, nothing changed",
    "d": "edition build, one word changed",
    "f": "edition build --single-pass, cold",
}
TARGETS = {  # what the lead asked for (GitHub issue 3)
    "cold_vs_a2": 1 / 3,  # b <= a2 / 3, with a PDF no larger than a2's
    "warm_s": 1.0,
    "edit_s": 1.5,
    "peak_mb": 400,
}


# --- in the child process -----------------------------------------------------------------


def child(spec: dict) -> None:
    """Do one measured thing and print its time and peak memory as one JSON line."""
    import resource

    result: dict = {}
    if spec["kind"] == "weasyprint":
        from edition.pdf.engine import weasyprint

        weasyprint()
        from edition.issue.load import load_issue
        from edition.layout.load import load_layout
        from edition.plan.plan import plan_issue
        from edition.profiles import PROFILES
        from edition.render.html import render_html

        issue = load_issue(Path(spec["issue"]))
        layout = load_layout(issue.spec.layout, issue.root)
        plan = plan_issue(issue, layout, dpi=300, quality=88, cmyk=False)
        urls = {s.request: s.request.source.resolve().as_uri() for s in plan.slots}
        html = render_html(plan, PROFILES["screen"], urls)  # RGB: plain WeasyPrint knows no CMYK
        import weasyprint

        start = time.perf_counter()
        # HTML.write_pdf() is render() then Document.write_pdf(); done in two steps here
        # to know the page count and where the time goes.
        document = weasyprint.HTML(string=html, base_url=str(issue.root.resolve()) + "/").render(
            **spec["options"]
        )
        laid_out = time.perf_counter()
        document.write_pdf(spec["target"], **spec["options"])
        end = time.perf_counter()
        result = {
            "op_s": end - start,
            "layout_s": laid_out - start,
            "write_s": end - laid_out,
            "pages": len(document.pages),
            "exit": 0,
        }
    elif spec["kind"] == "warmup":  # fontconfig's cache, the OS's file cache: not measured
        from edition.pdf.engine import weasyprint

        weasyprint()
        from edition.share import share_dir

        fonts = share_dir("assets") / "fonts"
        import weasyprint

        faces = "".join(
            f'@font-face {{ font-family: f{i}; src: url("{f.as_uri()}"); }}'
            for i, f in enumerate(sorted(fonts.glob("*.[ot]tf")))
        )
        weasyprint.HTML(string=f"<style>{faces}</style><p>Uji coba pertahanan</p>").write_pdf()
        result = {"op_s": 0.0, "exit": 0}
    elif spec["kind"] == "build":
        from edition.cli import main

        start = time.perf_counter()
        code = main.main(args=spec["args"], prog_name="edition", standalone_mode=False)
        result = {"op_s": time.perf_counter() - start, "exit": int(code or 0)}
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the largest child
    result |= {"maxrss_self_mb": me / 1024, "maxrss_children_mb": kids / 1024}
    sys.stdout.flush()
    print(MARK + json.dumps(result), flush=True)


# --- in the benchmark process ---------------------------------------------------------------


class TreeRss(threading.Thread):
    """The largest sum of the resident memory of a process and its descendants, sampled
    every 0.1 s from /proc (Linux). Shared pages count once per process, so this is an
    upper bound of what the tree needs at once."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.halt = pid, 0, threading.Event()
        self.page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

    def run(self) -> None:
        while not self.halt.wait(0.1):
            try:
                self.peak = max(self.peak, self.sample())
            except OSError:
                return

    def sample(self) -> int:
        children: dict[int, list[int]] = {}
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(name))
        total, todo = 0, [self.pid]
        while todo:
            pid = todo.pop()
            todo.extend(children.get(pid, []))
            try:
                with open(f"/proc/{pid}/statm") as f:
                    total += int(f.read().split()[1]) * self.page
            except (OSError, ValueError, IndexError):
                pass
        return total


CHILD_ENV: dict[str, str] = {}  # set by main(): the code snapshot and the children's TMPDIR


def measure(spec: dict, log: Path) -> dict:
    """Run `spec` in a fresh Python; its report plus the process's wall time and tree peak."""
    env = dict(os.environ, NO_COLOR="1", **CHILD_ENV)
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    watch = TreeRss(proc.pid)
    watch.start()
    out, _ = proc.communicate()
    wall = time.perf_counter() - start
    watch.halt.set()
    watch.join()
    with log.open("a") as f:
        f.write(f"$ {spec}\n{out}\n")
    lines = [ln for ln in out.splitlines() if ln.startswith(MARK)]
    if proc.returncode != 0 or not lines:
        sys.stderr.write(out[-4000:])
        raise SystemExit(f"measurement failed (exit {proc.returncode}): {spec}")
    report = json.loads(lines[-1][len(MARK) :])
    # 1 is the preflight's verdict (findings in a PDF that was written), not a failure.
    if report.get("exit") not in (0, 1, None):
        sys.stderr.write(out[-4000:])
        raise SystemExit(f"edition build exited with {report['exit']}: {spec}")
    report["process_s"] = wall
    report["tree_mb"] = watch.peak / 2**20
    report["peak_mb"] = max(report["maxrss_self_mb"], report["maxrss_children_mb"])
    if m := re.search(r"(\d+) sections laid out, (\d+) reused", out):
        report["sections_laid_out"], report["sections_reused"] = int(m[1]), int(m[2])
    if m := re.search(r"(\d+) photos prepared, (\d+) reused", out):
        report["photos_prepared"], report["photos_reused"] = int(m[1]), int(m[2])
    if m := re.search(r": (\d+) pages", out):
        report["pages"] = int(m[1])
    report["unchanged"] = "unchanged " in out
    return report


def build_spec(issue: Path, out: Path, *extra: str) -> dict:
    """A build into `out` with a build cache of its own beside it (empty at a run's first
    build: the user's cache is never used, so that row b is cold)."""
    cache = out.parent / f"{out.name}.cache"
    return {
        "kind": "build",
        "args": ["build", str(issue), "--profile", "print", "--out", str(out), "--cache",
                 str(cache), *extra],
    }  # fmt: skip


def issue_order(issue: Path) -> list[str]:
    """The articles' slugs in the order of the edition (as edition.plan orders them)."""
    spec = tomllib.loads((issue / "issue.toml").read_text(encoding="utf-8"))
    rubrics = {r["name"]: r.get("articles", []) for r in spec.get("rubrics", [])}
    order = spec.get("order") or ["news", *rubrics, "inframe"]
    return [slug for name in order for slug in rubrics.get(name, [])]


class Edit:
    """One word in the middle of a body paragraph of the 5th article, changed and put back."""

    def __init__(self, issue: Path) -> None:
        slugs = issue_order(issue)
        if len(slugs) < 5:
            raise SystemExit("row d needs an issue with at least 5 articles")
        self.path = issue / "articles" / f"{slugs[4]}.md"
        self.original = self.path.read_bytes()
        text = self.original.decode("utf-8")
        fence = re.compile(r"^---[ \t]*$", re.M)
        close = fence.search(text, 4)  # the front matter's closing line
        if not text.startswith("---") or close is None:
            raise SystemExit(f"{self.path}: no front matter")
        body_at = close.end() + 1
        paragraphs = []  # (start, end) of plain body paragraphs
        for m in re.finditer(r"[^\n]+(?:\n[^\n]+)*", text[body_at:]):
            block = m.group()
            if block.lstrip()[:1] in "#!->*|" or len(block.split()) < 30:
                continue
            paragraphs.append((body_at + m.start(), body_at + m.end()))
        if not paragraphs:
            raise SystemExit(f"{self.path}: no body paragraph of 30 words or more")
        k = len(paragraphs) // 2
        start, end = paragraphs[k]
        middle = (start + end) // 2
        words = list(re.finditer(r"(?<![\w*])[a-z]{5,}(?![\w*])", text[start:end]))
        word = min(words, key=lambda w: abs(start + w.start() - middle))
        self.old = word.group()
        self.new = "pertahanan" if self.old != "pertahanan" else "keamanan"
        self.at = at = start + word.start()
        self.edited = (text[:at] + self.new + text[at + len(self.old) :]).encode("utf-8")
        self.where = (
            f"{self.path.name}, paragraph {k + 1} of {len(paragraphs)}: "
            f"'{self.old}' -> '{self.new}'"
        )

    def apply(self) -> None:
        self.path.write_bytes(self.edited)

    def restore(self) -> None:
        self.path.write_bytes(self.original)


CODE = ("edition", "layouts", "assets")


def code_state(root: Path) -> str:
    """A fingerprint of edition's code, layouts and assets by name, size and mtime."""
    h = hashlib.sha256()
    for name in CODE:
        for f in sorted((root / name).rglob("*")):
            if f.is_file() and "__pycache__" not in f.parts:
                st = f.stat()
                h.update(f"{f.relative_to(root)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def snapshot_code(dest: Path) -> str:
    """Copy edition/, layouts/ and assets/ to `dest`; the SHA-256 of what was copied."""
    shutil.rmtree(dest, ignore_errors=True)
    h = hashlib.sha256()
    for name in CODE:
        shutil.copytree(
            REPO / name, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
        for f in sorted((dest / name).rglob("*")):
            if f.is_file():
                h.update(f.relative_to(dest).as_posix().encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:16]


def git_head() -> str | None:
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def summarize(samples: list[dict]) -> dict:
    times = [s["op_s"] for s in samples]
    return {
        "median_s": statistics.median(times),
        "min_s": min(times),
        "max_s": max(times),
        "process_s": statistics.median(s["process_s"] for s in samples),
        "peak_mb": max(s["peak_mb"] for s in samples),
        "tree_mb": max(s["tree_mb"] for s in samples),
        "pdf_mb": samples[-1].get("pdf_mb"),
        "pages": samples[-1].get("pages"),
        "runs": samples,
    }


def print_table(rows: dict[str, dict]) -> None:
    head = (
        f"{'row':<4}{'what':<38}{'median s':>9}{'min':>8}{'max':>8}{'process s':>10}"
        f"{'peak MB':>9}{'tree MB':>9}{'PDF MB':>8}{'pages':>6}"
    )
    print(head)
    print("-" * len(head))
    for key, r in rows.items():
        pdf = f"{r['pdf_mb']:.1f}" if r.get("pdf_mb") is not None else "-"
        print(
            f"{key:<4}{ROWS[key]:<38}{r['median_s']:>9.2f}{r['min_s']:>8.2f}"
            f"{r['max_s']:>8.2f}{r['process_s']:>10.2f}{r['peak_mb']:>9.0f}"
            f"{r['tree_mb']:>9.0f}{pdf:>8}{r.get('pages') or '-':>6}"
        )


def ratios(rows: dict[str, dict]) -> dict[str, float]:
    out = {}
    for name, (x, y) in {
        "b/a2": ("b", "a2"),
        "d/b": ("d", "b"),
        "c/b": ("c", "b"),
        "b/a1": ("b", "a1"),
        "f/b": ("f", "b"),
    }.items():
        if x in rows and y in rows:
            out[name] = rows[x]["median_s"] / rows[y]["median_s"]
    return out


def targets(rows: dict[str, dict]) -> dict[str, dict]:
    out = {}
    if "b" in rows and "a2" in rows:
        b, a2 = rows["b"], rows["a2"]
        out["cold build <= 1/3 of a2, PDF no larger"] = {
            "value": f"{b['median_s']:.1f} s vs {a2['median_s'] / 3:.1f} s; "
            f"{b['pdf_mb']:.1f} MB vs {a2['pdf_mb']:.1f} MB",
            "met": b["median_s"] <= a2["median_s"] * TARGETS["cold_vs_a2"]
            and b["pdf_mb"] <= a2["pdf_mb"],
        }
    if "c" in rows:
        out["no-change rebuild < 1 s"] = {
            "value": f"{rows['c']['median_s']:.2f} s ({rows['c']['process_s']:.2f} s "
            f"with Python start-up)",
            "met": rows["c"]["median_s"] < TARGETS["warm_s"],
        }
    if "d" in rows:
        out["one-paragraph rebuild < 1.5 s"] = {
            "value": f"{rows['d']['median_s']:.2f} s ({rows['d']['process_s']:.2f} s "
            f"with Python start-up)",
            "met": rows["d"]["median_s"] < TARGETS["edit_s"],
        }
    edition_rows = [rows[k] for k in ("b", "c", "d") if k in rows]
    if edition_rows:
        peak = max(r["peak_mb"] for r in edition_rows)
        tree = max(r["tree_mb"] for r in edition_rows)
        out["peak memory < 400 MB"] = {
            "value": f"{peak:.0f} MB in the largest process, {tree:.0f} MB summed over "
            f"the build's processes",
            "met": peak < TARGETS["peak_mb"],
        }
    return out


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("edition", "weasyprint", "pydyf", "pillow", "pikepdf"):
        with contextlib.suppress(PackageNotFoundError):
            out[name] = version(name)
    return out


def profile_build(issue: Path, work: Path) -> None:
    """One cold build in this process under cProfile; the top 25 by cumulative time."""
    import cProfile
    import pstats

    if "EDITION_HOME" in CHILD_ENV:  # the same code as the children
        sys.path.insert(0, CHILD_ENV["EDITION_HOME"])
        os.environ["EDITION_HOME"] = CHILD_ENV["EDITION_HOME"]
    os.environ["TMPDIR"] = CHILD_ENV["TMPDIR"]
    import tempfile

    tempfile.tempdir = None  # gettempdir() reads TMPDIR again
    from edition.pdf.engine import weasyprint

    weasyprint()
    from edition.commands.build import build_edition

    out = work / "profile"
    shutil.rmtree(out, ignore_errors=True)
    prof = cProfile.Profile()
    start = time.perf_counter()
    prof.enable()
    result = build_edition(issue, "print", out, workers=1)
    prof.disable()
    total = time.perf_counter() - start
    print(
        f"\nProfile of one cold build (in this process, build_edition(..., workers=1) so "
        f"that sections are laid out here; photos are still prepared in a process pool, "
        f"whose work shows as waiting): {result.pages} pages in {total:.1f} s"
    )
    stats = pstats.Stats(prof)
    print("\nedition's phases (cumulative seconds):")
    for label, (file, func) in PHASES.items():
        cum = sum(
            v[3]
            for (f, _, name), v in stats.stats.items()  # type: ignore[attr-defined]
            if name == func and f.endswith(file)
        )
        print(f"  {label:<44}{cum:7.1f} s  {cum / total:6.1%}")
    print()
    stats.strip_dirs().sort_stats("cumulative").print_stats(25)


PHASES = {  # (file, function) of edition whose cumulative time is a phase of a build
    "read and check the issue (load_issue)": ("edition/issue/load.py", "load_issue"),
    "plan (plan_issue)": ("edition/plan/plan.py", "plan_issue"),
    "prepare photos (prepare_images)": ("edition/photos/prepare.py", "prepare_images"),
    "lay out sections (SectionBuilder._pass)": ("edition/pdf/sections.py", "_pass"),
    "  of which WeasyPrint, per section": ("edition/pdf/worker.py", "render_job"),
    "assemble one PDF (assemble)": ("edition/pdf/assemble.py", "assemble"),
    "finish: compress, IDs, output intent": ("edition/pdf/finish.py", "finish_pdf"),
    "write files (atomic_write_bytes: cache, PDF)": (
        "edition/store/atomic.py",
        "atomic_write_bytes",
    ),
    "preflight the PDF (check_pdf)": ("edition/check/preflight.py", "check_pdf"),
    "metadata json (record_build)": ("edition/publish/meta.py", "record_build"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs",
        type=int,
        default=3,
        help="runs of every row; the table gives medians (default 3; fewer "
        "is a smoke run, not figures to quote)",
    )
    parser.add_argument(
        "--issue",
        type=Path,
        default=None,
        help="an issue folder to use (copied) instead of a generated one",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the work folder (issue, PDFs, caches, child logs)"
    )
    parser.add_argument("--seed", type=int, default=1, help="for the generated issue")
    parser.add_argument(
        "--rows",
        default=",".join(ROWS),
        help="which rows to measure, comma-separated (default: all)",
    )
    parser.add_argument(
        "--profile-build",
        action="store_true",
        help="also profile one cold build (cProfile, top 25 cumulative)",
    )
    parser.add_argument(
        "--live-code",
        action="store_true",
        help="run the checkout's code as it is, not a snapshot of it",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child))
        return
    wanted = [r.strip() for r in args.rows.split(",") if r.strip()]
    if unknown := [r for r in wanted if r not in ROWS]:
        parser.error(f"unknown rows: {', '.join(unknown)} (known: {', '.join(ROWS)})")
    if "d" in wanted and ("c" not in wanted or "b" not in wanted):
        parser.error("row d needs rows b and c (it edits the warm state they leave)")
    if "c" in wanted and "b" not in wanted:
        parser.error("row c needs row b")
    if wanted and args.runs < 1:
        parser.error("--runs must be at least 1 (3 or more for figures worth quoting)")

    load = os.getloadavg()
    started = time.perf_counter()
    shutil.rmtree(WORK / "builds", ignore_errors=True)
    (WORK / "builds").mkdir(parents=True)
    log = WORK / "builds" / "children.log"
    tmp = WORK / "builds" / "tmp"
    tmp.mkdir()
    CHILD_ENV["TMPDIR"] = str(tmp)
    if args.live_code:
        code = {"snapshot": None, "state": code_state(REPO)}
    else:
        snap = WORK / "builds" / "code"
        code = {"snapshot": snapshot_code(snap)}
        CHILD_ENV["EDITION_HOME"] = str(snap)
        CHILD_ENV["PYTHONPATH"] = os.pathsep.join(
            [str(snap), *filter(None, [os.environ.get("PYTHONPATH")])]
        )
    code["git_head"] = git_head()
    if args.issue is not None:
        given = args.issue.resolve()
        if not (given / "issue.toml").is_file():
            parser.error(f"{args.issue}: no issue.toml")
        issue = WORK / "issue" / given.name
        copied = issue.resolve() != given
        if copied:
            shutil.rmtree(issue, ignore_errors=True)
            shutil.copytree(given, issue)
        generated = False
    else:
        sys.path.insert(0, str(HERE))
        from make_issue import make_issue

        issue = WORK / "issue" / "2024-06"
        shutil.rmtree(issue, ignore_errors=True)
        print(f"writing the synthetic issue (seed {args.seed}) to {issue} ...", flush=True)
        t = time.perf_counter()
        make_issue(issue, seed=args.seed)
        print(f"  done in {time.perf_counter() - t:.0f} s", flush=True)
        generated = copied = True
    files = [f for f in issue.rglob("*") if f.is_file()]
    issue_mb = sum(f.stat().st_size for f in files) / 1e6
    print(
        f"issue {issue}: {len(files)} files, {issue_mb:.0f} MB; load average "
        f"{load[0]:.1f} on {os.cpu_count()} CPUs",
        flush=True,
    )

    measure({"kind": "warmup"}, log)
    samples: dict[str, list[dict]] = {r: [] for r in wanted}
    edit = Edit(issue) if "d" in wanted else None
    if edit:
        print(f"row d edits {edit.where}")

    def record(row: str, report: dict, pdf: Path | None) -> None:
        if pdf is not None and pdf.is_file():
            report["pdf_mb"] = pdf.stat().st_size / 1e6
        samples[row].append(report)
        extra = ""
        if "sections_laid_out" in report:
            extra = (
                f", {report['sections_laid_out']} sections laid out, "
                f"{report['sections_reused']} reused"
            )
        elif report.get("unchanged"):
            extra = ", unchanged"
        print(
            f"  {row:<3}{report['op_s']:8.2f} s  (process {report['process_s']:.2f} s, "
            f"peak {report['peak_mb']:.0f} MB, tree {report['tree_mb']:.0f} MB"
            f"{extra})",
            flush=True,
        )

    for run in range(1, args.runs + 1 if wanted else 1):
        print(f"run {run}/{args.runs}", flush=True)
        here = WORK / "builds" / f"run-{run}"
        here.mkdir(parents=True)
        for row, options in (("a1", {}), ("a2", {"dpi": 300, "jpeg_quality": 85})):
            if row in wanted:
                target = here / f"{row}.pdf"
                spec = {
                    "kind": "weasyprint",
                    "issue": str(issue),
                    "target": str(target),
                    "options": options,
                }
                record(row, measure(spec, log), target)
        out = here / "edition"
        pdf = out / issue.name / f"{issue.name}-print.pdf"
        if "b" in wanted:
            record("b", measure(build_spec(issue, out), log), pdf)
        if "c" in wanted:
            record("c", measure(build_spec(issue, out), log), pdf)
        if edit is not None:
            edit.apply()
            try:
                record("d", measure(build_spec(issue, out), log), pdf)
            finally:
                edit.restore()
            measure(build_spec(issue, out), log)  # back to the warm state, not counted
        if "f" in wanted:
            single = here / "single-pass"
            record(
                "f",
                measure(build_spec(issue, single, "--single-pass"), log),
                single / issue.name / f"{issue.name}-print.pdf",
            )
        if not args.keep and run < args.runs:
            shutil.rmtree(here)  # the PDFs of a1 are large
        if args.live_code and code_state(REPO) != code["state"]:
            code["changed_during_run"] = True
            print(
                "  WARNING: edition/, layouts/ or assets/ changed during this run: its "
                "figures measure a mix of versions (run without --live-code)",
                flush=True,
            )

    rows = {r: summarize(samples[r]) for r in ROWS if r in wanted and samples[r]}
    if rows:
        print(
            f"\nmedians of {args.runs} run{'s' * (args.runs != 1)}; 'median s' is the work "
            f"inside the child (a: HTML -> PDF; b-f: the build command), 'process s' adds "
            f"Python start-up and imports; peak = max ru_maxrss (the child or its largest "
            f"worker), tree = sum over its processes\n"
        )
        print_table(rows)
        rat = ratios(rows)
        if rat:
            print("\n" + "   ".join(f"{k} = {v:.3f}" for k, v in rat.items()))
        verdicts = targets(rows)
        if verdicts:
            print("\ntargets:")
            for name, v in verdicts.items():
                print(f"  {'met    ' if v['met'] else 'NOT met'}  {name}: {v['value']}")
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(
            json.dumps(
                {
                    "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                    "machine": {
                        "cpus": os.cpu_count(),
                        "platform": platform.platform(),
                        "load_average_at_start": [round(x, 2) for x in load],
                    },
                    "versions": versions(),
                    "code": code,
                    "runs": args.runs,
                    "smoke_run": args.runs < 3,
                    "issue": {
                        "path": str(issue),
                        "generated": generated,
                        "seed": args.seed if generated else None,
                        "files": len(files),
                        "mb": round(issue_mb, 1),
                        "edit": edit.where if edit else None,
                    },
                    "rows": {k: {"what": ROWS[k], **v} for k, v in rows.items()},
                    "ratios": rat,
                    "targets": verdicts,
                    "seconds_total": round(time.perf_counter() - started, 1),
                },
                indent=2,
                ensure_ascii=False,
            )
            + "\n",
            encoding="utf-8",
        )
        if args.runs < 3:
            print(
                f"\nonly {args.runs} run{'s' * (args.runs != 1)}: a smoke run, not figures to quote"
            )
        print(f"\nwrote {RESULTS.relative_to(REPO)}")

    if args.profile_build:
        profile_build(issue, WORK / "builds")
    if args.keep:
        print(f"kept {WORK} (the issue: --issue {issue})")
    else:
        shutil.rmtree(WORK / "builds", ignore_errors=True)
        if copied:  # never a folder given with --issue, only our copy of it
            shutil.rmtree(issue, ignore_errors=True)


if __name__ == "__main__":
    main()
