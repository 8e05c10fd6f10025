"""How long `edition serve` takes from saving an edit to showing it: edit-to-pixels in Chromium.

    .venv/bin/python bench/serve_speed.py [--issue DIR] [--runs 7] [--port 8377] [--keep]
                                          [--workers N] [--profile print|screen]

Without --issue, the 64-page synthetic issue of bench/make_issue.py is written first into
bench/out/serve-speed/issue/2024-06 (1-2 minutes; reused when it is there). With --issue
DIR, DIR is copied there and only the copy is edited.

It starts `edition serve` on the issue (a fresh output folder: the first build is cold),
opens the desk in headless Chromium (Debian's /usr/bin/chromium, through Playwright) at
the page of the 5th article where its middle body paragraph ends (where the edit will
show), and waits for the first build. Then, --runs times:
one sentence with a number new to this run is added to the middle body paragraph of
that article and the file is saved; the time is taken just before the write. Measured in
the browser, on the same clock:

  laid    (from the server) its build's start to its pages laid out and pushed
  push    the first status pushed to the browser that shows the article's pages changed
  view    the page view's new image of that page has loaded (edit-to-pixels)
  thumb   the flatplan's new thumbnail of that page has loaded
  ready   the build is finished: the PDF written, preflight done, findings shown

Between runs the file is put back and the desk rebuilds (not measured), so every run
starts from the same state. At the end the server is stopped with SIGINT and the
benchmark checks that none of its processes is left. Writes bench/results/serve_speed.json
(every run, medians, machine and versions).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from build_speed import issue_order  # bench/, beside this script

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / "out" / "serve-speed"
RESULTS = HERE / "results" / "serve_speed.json"
CHROMIUM = "/usr/bin/chromium"
TARGET_S = 1.0


class Edit:
    """A sentence added to the middle body paragraph of the 5th article, and taken out."""

    def __init__(self, issue: Path) -> None:
        slugs = issue_order(issue)
        self.slug = slugs[min(4, len(slugs) - 1)]
        self.path = issue / "articles" / f"{self.slug}.md"
        self.original = self.path.read_text(encoding="utf-8")
        text = self.original
        close = re.compile(r"^---[ \t]*$", re.M).search(text, 4)
        if not text.startswith("---") or close is None:
            raise SystemExit(f"{self.path}: no front matter")
        body = close.end() + 1
        paragraphs = [
            (body + m.start(), body + m.end())
            for m in re.finditer(r"[^\n]+(?:\n[^\n]+)*", text[body:])
            if m.group().lstrip()[:1] not in "#!->*|" and len(m.group().split()) >= 30
        ]
        if not paragraphs:
            raise SystemExit(f"{self.path}: no body paragraph of 30 words or more")
        start, self.end = paragraphs[len(paragraphs) // 2]
        self.last_words = " ".join(text[start : self.end].split()[-5:])
        self.nonce = int(time.time()) % 90000 + 10000  # never the same words twice

    def apply(self, run: int) -> None:
        sentence = f" Kontrak nomor {self.nonce + run} ditandatangani pekan lalu di Jakarta."
        self.path.write_text(self.original[: self.end] + sentence + self.original[self.end :])

    def restore(self) -> None:
        self.path.write_text(self.original)


def page_of(pdf: Path, words: str, first: int, count: int) -> int:
    """The page (of the article's) whose text holds `words`: where the edit shows."""
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    for n in range(first, first + count):
        text = reader.pages[n - 1].extract_text().replace("\u2010\n", "").replace("-\n", "")
        if words in " ".join(text.split()):
            return n
    return first + count - 1  # what follows the edit moves down to the article's end


def get_status(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/status.json", timeout=10) as r:
        return json.loads(r.read())


def wait_status(port: int, test, timeout: float) -> dict:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            status = get_status(port)
            if test(status):
                return status
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"the desk did not get there in {timeout:.0f} s")


def descendants(pid: int) -> set[int]:
    """Every process under `pid` (from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = set(), [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.add(c)
            todo.append(c)
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def summary(values: list[float]) -> dict:
    return {
        "median": round(statistics.median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--issue", type=Path)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--port", type=int, default=8377)
    ap.add_argument("--workers", type=int)
    ap.add_argument("--profile", default="print", choices=["print", "screen"])
    ap.add_argument("--keep", action="store_true", help="keep bench/out/serve-speed/dist")
    args = ap.parse_args()

    issue = WORK / "issue" / "2024-06"
    if args.issue is not None:
        shutil.rmtree(issue, ignore_errors=True)
        shutil.copytree(args.issue, issue)
    elif not (issue / "issue.toml").is_file():
        print("writing the 64-page bench issue (bench/make_issue.py)...", flush=True)
        subprocess.run(
            [sys.executable, str(HERE / "make_issue.py"), str(issue), "--force"], check=True
        )
    out = WORK / "dist"
    cache = WORK / "cache"  # the desk's own build cache, empty: the first build is cold
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    load_at_start = os.getloadavg()
    edit = Edit(issue)

    cmd = [sys.executable, "-m", "edition.cli", "serve", str(issue), "--port", str(args.port)]
    cmd += ["--out", str(out), "--profile", args.profile]
    if args.workers:
        cmd += ["--workers", str(args.workers)]
    log = (WORK / "serve.log").open("w")
    server = subprocess.Popen(
        cmd,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "EDITION_CACHE": str(cache)},
    )
    runs: list[dict] = []
    try:
        started = time.perf_counter()
        status = wait_status(args.port, lambda s: s["state"] == "ready", 600)
        cold = time.perf_counter() - started
        article = next(a for a in status["articles"] if a["slug"] == edit.slug)
        pdf = out / issue.name / f"{issue.name}-{args.profile}.pdf"
        if args.profile == "screen":
            pdf = out / ".cache" / "desk" / issue.name / f"{issue.name}-screen.pdf"
        page = page_of(pdf, edit.last_words, article["first_page"], article["pages"])
        print(f"cold start {cold:.1f} s; editing {edit.path.name} (page {page})", flush=True)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            view = browser.new_page(viewport={"width": 1600, "height": 1000})
            view.goto(f"http://127.0.0.1:{args.port}/#{page}")
            view.wait_for_function(
                f"window.deskLoaded.view && window.deskLoaded.view.page === {page}"
            )
            # The thumbnail of the page must be on screen to be loaded (they load lazily).
            view.locator(f'figure[data-page="{page}"]').scroll_into_view_if_needed()
            view.wait_for_function(f"window.deskLoaded[{page}] !== undefined")
            for run in range(args.runs):
                before = view.evaluate(
                    f"[document.getElementById('page-image').dataset.token, "
                    f"document.body.dataset.build, window.deskLoaded[{page}].token]"
                )
                token, build, thumb = before
                time.sleep(0.3)
                t0 = time.time()
                edit.apply(run)
                got = view.wait_for_function(
                    f"""() => {{
                      const v = window.deskLoaded.view, t = window.deskLoaded[{page}];
                      if (!v || v.token === "{token}" || !t || t.token === "{thumb}") return null;
                      const push = window.deskEvents.find(
                        e => e.at >= {t0 * 1000 - 5} && e.changed.includes({page}));
                      return {{view: v.at, thumb: t.at, push: push ? push.at : null,
                               laid: push ? push.pages_seconds : null}};
                    }}""",
                    timeout=60000,
                ).json_value()
                view.wait_for_function(
                    f"document.body.dataset.state === 'ready' && "
                    f"Number(document.body.dataset.build) > {build}",
                    timeout=60000,
                )
                ready = view.evaluate(
                    "window.deskEvents.filter(e => e.state === 'ready').at(-1).at"
                )
                row = {
                    "laid_out_s": got["laid"],
                    "push_s": (got["push"] - t0 * 1000) / 1000 if got["push"] else None,
                    "view_s": (got["view"] - t0 * 1000) / 1000,
                    "thumb_s": (got["thumb"] - t0 * 1000) / 1000,
                    "ready_s": (ready - t0 * 1000) / 1000,
                }
                runs.append(row)
                print(
                    f"run {run + 1}: build to pages {row['laid_out_s']:.3f} s, "
                    f"push {row['push_s']:.3f} s, view {row['view_s']:.3f} s, "
                    f"thumb {row['thumb_s']:.3f} s, ready {row['ready_s']:.3f} s",
                    flush=True,
                )
                build = view.evaluate("document.body.dataset.build")
                edit.restore()
                view.wait_for_function(
                    f"document.body.dataset.state === 'ready' && "
                    f"Number(document.body.dataset.build) > {build}",
                    timeout=60000,
                )
            browser.close()
    finally:
        edit.restore()
        family = descendants(server.pid)
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        time.sleep(0.5)
        left = sorted(pid for pid in family if alive(pid))
        log.close()
    print(f"stopped: {len(family)} child processes before, {len(left)} left after", flush=True)
    result = {
        "date": dt.date.today().isoformat(),
        "issue": str(issue.relative_to(REPO)) if issue.is_relative_to(REPO) else str(issue),
        "profile": args.profile,
        "edit": f"{edit.path.name}: a sentence added to its middle body paragraph",
        "cold_start_s": round(cold, 2),
        "runs": runs,
        "medians": {
            k: summary([r[k] for r in runs if r[k] is not None])
            for k in ("laid_out_s", "push_s", "view_s", "thumb_s", "ready_s")
        }
        if runs
        else {},
        "target_s": TARGET_S,
        "processes_left_after_stop": left,
        "cpus": os.cpu_count(),
        "load_average_at_start": load_at_start,
        "load_average_at_end": os.getloadavg(),
        "python": platform.python_version(),
        "git_head": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    if runs:
        m = result["medians"]
        print(
            "medians: "
            + ", ".join(f"{k[:-2]} {v['median']:.3f} s" for k, v in m.items())
            + f" (target: view under {TARGET_S:.1f} s)"
        )
    if not args.keep:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
