"""Builds running at once, and builds that die half-way: nothing is corrupted or lost."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pikepdf
import pytest
from conftest import invoke
from PIL import Image

from edition.store.lock import lock_path, output_lock

pytestmark = pytest.mark.slow

RUN = "import sys; from edition.cli import main; main(sys.argv[1:], prog_name='edition')"
# A build that dies the moment before its PDF would be renamed into place: the temporary
# file is complete, the rename never happens.
KILLED_BEFORE_RENAME = """
import os, signal, sys
real_replace = os.replace
def replace(src, dst, *args, **kwargs):
    if str(dst).endswith("-print.pdf"):
        os.kill(os.getpid(), signal.SIGKILL)
    return real_replace(src, dst, *args, **kwargs)
os.replace = replace
from edition.cli import main
main(sys.argv[1:], prog_name="edition")
"""


def edition(*args: object, code: str = RUN) -> subprocess.Popen[str]:
    """`edition ARGS` in a process (and process group) of its own."""
    return subprocess.Popen(
        [sys.executable, "-c", code, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def reap(proc: subprocess.Popen[str]) -> None:
    """Kill what a killed build left running (its worker processes), so nothing writes later."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def wait_for(proc: subprocess.Popen[str], needle: str, timeout: float = 120) -> list[str]:
    """Read the process's stderr until a line holds `needle`; the lines read so far."""
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    lines: list[str] = []
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if needle in line:
                return lines
    finally:
        timer.cancel()
    raise AssertionError(f"{needle!r} never came; stderr:\n{''.join(lines)}")


def finish(proc: subprocess.Popen[str]) -> tuple[str, str]:
    out, err = proc.communicate(timeout=180)
    # 1: built, and preflight found the errors the fixture has on purpose (small photos).
    assert proc.returncode == 1, f"exit {proc.returncode}\n{out}\n{err}"
    assert "print: " in out and "; preflight: " in out, out
    return out, err


def reported_pages(stdout: str) -> int:
    return int(re.search(r"print: (\d+) pages", stdout).group(1))  # type: ignore[union-attr]


def no_temporaries(folder: Path) -> None:
    assert not [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


def cache_is_sane(cache: Path) -> None:
    """Every cached photo decodes completely. (A process killed while writing one may leave
    a hidden .tmp file, which no lookup ever reads.)"""
    files = [f for f in (cache / "images").iterdir() if not f.name.startswith(".")]
    assert files
    for f in files:
        assert f.suffix == ".jpg", f
        with Image.open(f, formats=["JPEG"]) as img:
            img.load()  # every byte decodes: no cache file was left half-written


def test_second_build_of_the_same_pdf_waits_for_the_first(make_issue, tmp_path: Path):
    root = make_issue()
    out = tmp_path / "dist"
    target = out / "minimal" / "minimal-print.pdf"
    with output_lock(target):  # another build holds the PDF
        proc = edition("build", root, "--out", out)
        wait_for(proc, "Waiting for another build of minimal-print.pdf to finish")
        assert not target.exists()
    stdout, _ = finish(proc)
    with pikepdf.open(target) as pdf:
        assert len(pdf.pages) == reported_pages(stdout)
    # The lock is kept apart from the output folder, which is published as it is.
    assert not lock_path(target).is_relative_to(out)
    assert sorted(p.name for p in target.parent.iterdir()) == ["minimal-print.pdf", "minimal.json"]


def test_concurrent_builds_do_not_corrupt_each_other_or_the_cache(
    make_issue, tmp_path: Path, cold_cache: Path
):
    root = make_issue()
    other = tmp_path / "other"
    shutil.copytree(root, other)  # a second issue with the same photos: the same cache files
    out = tmp_path / "dist"
    procs = [
        edition("build", root, "--out", out),
        edition("build", root, "--out", out),
        edition("build", other, "--out", out),
    ]
    results = [finish(p) for p in procs]
    pages = [reported_pages(stdout) for stdout, _ in results]
    assert pages[0] == pages[1] == pages[2] and pages[0] % 4 == 0
    for pdf_path in (out / "minimal" / "minimal-print.pdf", out / "other" / "other-print.pdf"):
        with pikepdf.open(pdf_path) as pdf:
            assert len(pdf.pages) == pages[0]
    cache_is_sane(cold_cache)
    no_temporaries(out)


def test_build_killed_before_the_rename_loses_nothing(make_issue, tmp_path: Path, build_cache):
    root = make_issue()
    out = tmp_path / "dist"
    target = out / "minimal" / "minimal-print.pdf"
    target.parent.mkdir(parents=True)
    with pikepdf.new() as previous:  # the edition built last week
        previous.add_blank_page()
        previous.save(target)
    before = target.read_bytes()

    proc = edition("build", root, "--out", out, code=KILLED_BEFORE_RENAME)
    proc.communicate(timeout=180)
    reap(proc)
    assert proc.returncode == -signal.SIGKILL
    assert target.read_bytes() == before
    # What the killed build left is hidden and named .tmp: never taken for an edition.
    leftovers = [p.name for p in target.parent.iterdir() if p != target]
    assert leftovers and all(n.startswith(".") for n in leftovers), leftovers
    assert [p.name for p in target.parent.glob("*.pdf")] == ["minimal-print.pdf"]

    invoke(["build", root, "--out", out], exit_code=1)  # the next build cleans up after it
    assert target.read_bytes() != before
    with pikepdf.open(target) as pdf:
        assert len(pdf.pages) % 4 == 0
    no_temporaries(out)
    cache_is_sane(build_cache)


def test_build_killed_while_rendering_leaves_the_previous_pdf(
    make_issue, tmp_path: Path, build_cache: Path
):
    root = make_issue()
    out = tmp_path / "dist"
    invoke(["build", root, "--out", out], exit_code=1)
    target = out / "minimal" / "minimal-print.pdf"
    before = target.read_bytes()
    (root / "articles" / "gudang-baru.md").write_text(
        (root / "articles" / "gudang-baru.md").read_text() + "\nParagraf baru.\n"
    )
    proc = edition("build", root, "--out", out)
    wait_for(proc, "Laying out")
    proc.send_signal(signal.SIGKILL)  # the build itself, not its workers
    proc.communicate(timeout=60)
    reap(proc)
    assert target.read_bytes() == before
    no_temporaries(target.parent)
    cache_is_sane(build_cache)  # the session's: a killed build spoils it for no other test


def test_write_failure_is_one_line_and_keeps_the_previous_pdf(
    make_issue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    root = make_issue()
    out = tmp_path / "dist"
    target = out / "minimal" / "minimal-print.pdf"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"%PDF-1.7 the previous edition")
    real_replace = os.replace

    def disk_full(src: str, dst: str | Path) -> None:
        if Path(dst) == target:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", disk_full)
    result = invoke(["build", root, "--out", out], exit_code=2)
    assert [ln for ln in result.output.splitlines() if ": error: " in ln] == [
        f"{target}: error: cannot write the file: No space left on device (free some disk "
        "space or check the folder's permissions, or choose another --out) [output.write]"
    ]
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert target.read_bytes() == b"%PDF-1.7 the previous edition"
    no_temporaries(out)
