"""Back issues in bulk: every (issue, profile) is an independent job on Dask distributed.

`archive_issues` builds the issue folders of a directory into OUT, skipping a
profile whose inputs have not changed since it was built (the fingerprint in
OUT/<id>/<id>.json) and whose PDF still has the recorded SHA-256. With
`verify=True` it builds nothing into OUT: it rebuilds each issue's archive PDF
into a temporary folder and compares its bytes with the one in OUT, saying
where they differ when it can tell.

By default the jobs run on an embedded LocalCluster (one single-threaded
worker process per core); given a scheduler address they go to that cluster
instead, whose workers must see ISSUES_DIR and OUT at the same paths.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import shutil
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edition.errors import EditionError, ExitCode, Finding, Location, Severity
from edition.publish.meta import read_meta
from edition.store.paths import Output
from edition.store.stamps import sha256_file

BUILT, SKIPPED, BAD_INPUT, INTERNAL = "built", "skipped", "bad-input", "internal"
IDENTICAL, DIFFERS, MISSING = "identical", "differs", "missing"


@dataclass(frozen=True)
class Job:
    """One unit of work: a profile of an issue folder (paths absolute, workers may cd)."""

    issue_dir: Path
    profile: str

    @property
    def issue_id(self) -> str:
        return self.issue_dir.name

    @property
    def label(self) -> str:
        return f"{self.issue_id} {self.profile}"


@dataclass
class Outcome:
    """What became of a job. `lines` are the error lines (str() of each finding), the
    reasons a verified PDF differs, or the warnings of a successful build."""

    job: Job
    status: str
    lines: list[str] = field(default_factory=list)
    pages: int = 0
    bytes: int = 0
    seconds: float = 0.0
    detail: str = ""  # the traceback of an internal error, shown with --debug

    @property
    def failed(self) -> bool:
        return self.status in (BAD_INPUT, INTERNAL, DIFFERS, MISSING)


@dataclass
class Progress:
    """Reported after each job: how many are done of how many, and which are in work."""

    done: int
    total: int
    outcome: Outcome
    in_work: list[str]


@dataclass
class Summary:
    outcomes: list[Outcome]
    seconds: float
    workers: int

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def exit_code(self) -> int:
        """0 all done (or identical); 3 an internal error; 2 bad input; 1 a verified PDF
        differs or is missing."""
        statuses = {o.status for o in self.outcomes}
        if INTERNAL in statuses:
            return ExitCode.INTERNAL
        if BAD_INPUT in statuses:
            return ExitCode.BAD_INPUT
        if statuses & {DIFFERS, MISSING}:
            return ExitCode.FINDINGS
        return ExitCode.OK


# --- what to build ------------------------------------------------------------


def find_issues(issues_dir: Path, ids: Sequence[str] = ()) -> list[Path]:
    """The issue folders (with an issue.toml) directly under `issues_dir`, by name; or
    only the ones named. A named one that is not there is an error."""
    if not issues_dir.is_dir():
        raise EditionError.single(
            "not a folder",
            issues_dir,
            hint="give the folder that holds the issue folders",
            code="archive.not-a-folder",
        )
    if ids:
        missing = [i for i in ids if not (issues_dir / i / "issue.toml").is_file()]
        if missing:
            raise EditionError(
                [
                    Finding(
                        f"no issue '{i}' here (no {i}/issue.toml)",
                        Location(issues_dir),
                        "check the name, or leave the names out to build every issue",
                        "archive.no-such-issue",
                    )
                    for i in missing
                ]
            )
        return [(issues_dir / i).resolve() for i in dict.fromkeys(ids)]
    found = sorted(
        p.resolve()
        for p in issues_dir.iterdir()
        if p.is_dir() and not p.name.startswith(".") and (p / "issue.toml").is_file()
    )
    if not found:
        raise EditionError.single(
            "no issue folders here (none has an issue.toml)",
            issues_dir,
            hint="give the folder that holds the issue folders",
            code="archive.no-issues",
        )
    return found


def unchanged_reason(job: Job, out_root: Path, fingerprint: str) -> str | None:
    """Why `job` need not run (its inputs and PDF are as last recorded), or None."""
    meta = read_meta(Output(out_root).meta(job.issue_id))
    entry = ((meta or {}).get("profiles") or {}).get(job.profile)
    if not isinstance(entry, dict) or entry.get("fingerprint") != fingerprint:
        return None
    pdf = out_root / job.issue_id / str(entry.get("file", ""))
    if not pdf.is_file() or sha256_file(pdf) != entry.get("sha256"):
        return None
    return f"inputs and {pdf.name} unchanged since its last build"


# --- the jobs (run on the workers) ----------------------------------------------


def _run_guarded(job: Job, work: Callable[[], Outcome]) -> Outcome:
    """Turn a job's failure into an Outcome, so that one bad issue stops nothing else."""
    started = time.perf_counter()
    # Dask's worker processes are daemonic, and daemonic processes may not start any;
    # a build prepares its photos in a process pool of its own (closed before it returns).
    process = multiprocessing.current_process()
    if process.daemon:
        process.daemon = False
    try:
        return work()
    except EditionError as exc:
        return Outcome(
            job, BAD_INPUT, [str(f) for f in exc.findings], seconds=time.perf_counter() - started
        )
    except Exception as exc:  # the one place a job's unexpected failure becomes a message
        return Outcome(
            job,
            INTERNAL,
            [f"internal error: {type(exc).__name__}: {exc}"],
            seconds=time.perf_counter() - started,
            detail=traceback.format_exc(),
        )


def build_job(job: Job, out_root: Path, force: bool = False, cache: Path | None = None) -> Outcome:
    """Build one profile of one issue into `out_root` (on a worker; `cache`: its build
    cache, default the worker's own)."""

    def work() -> Outcome:
        from edition.commands.build import build_edition

        result = build_edition(job.issue_dir, job.profile, out_root, force=force, cache=cache)
        lines = [str(f) for f in result.findings if f.severity != Severity.INFO]
        return Outcome(job, BUILT, lines, result.pages, result.pdf.stat().st_size, result.seconds)

    return _run_guarded(job, work)


def verify_job(job: Job, out_root: Path) -> Outcome:
    """Rebuild the archive PDF of an issue into a temporary folder and compare its bytes
    with the one in `out_root` (on a worker)."""

    def work() -> Outcome:
        from edition.commands.build import build_edition

        started = time.perf_counter()
        kept = Output(out_root).pdf(job.issue_id, job.profile)
        if not kept.is_file():
            return Outcome(
                job,
                MISSING,
                [f"{kept}: no {job.profile} PDF to compare with (run edition archive first)"],
            )
        tmp = Path(tempfile.mkdtemp(prefix="edition-verify-"))
        try:
            # A rebuild from nothing: with a cache of its own, empty, not the build cache.
            result = build_edition(job.issue_dir, job.profile, tmp / "out", cache=tmp / "cache")
            fresh = result.pdf.read_bytes()
            try:
                old = kept.read_bytes()
            except OSError as exc:
                return Outcome(job, DIFFERS, [f"{kept}: cannot be read ({exc.strerror or exc})"])
            seconds = time.perf_counter() - started
            if fresh == old:
                return Outcome(job, IDENTICAL, [], result.pages, len(old), seconds)
            return Outcome(
                job, DIFFERS, compare_pdfs(kept, result.pdf), result.pages, len(old), seconds
            )
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    return _run_guarded(job, work)


# --- why two PDFs differ ----------------------------------------------------------


def _ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 7] -> '1-3, 7'."""
    out: list[str] = []
    for n in numbers:
        if out and out[-1].split("-")[-1] == str(n - 1):
            out[-1] = f"{out[-1].split('-')[0]}-{n}"
        else:
            out.append(str(n))
    return ", ".join(out)


def _page_streams(page: Any) -> bytes:
    import pikepdf

    contents = page.obj.get("/Contents")
    if contents is None:
        return b""
    streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
    return b"\n".join(s.read_bytes() for s in streams)


def _page_images(page: Any) -> list[bytes]:
    import pikepdf

    out = []
    xobjects = page.obj.get("/Resources", {}).get("/XObject", {})
    for name in sorted(xobjects.keys()):
        x = xobjects[name]
        if isinstance(x, pikepdf.Stream) and x.get("/Subtype") == "/Image":
            out.append(x.read_raw_bytes())
    return out


def _attachments(pdf: Any) -> dict[str, bytes]:
    return {name: spec.get_file().read_bytes() for name, spec in pdf.attachments.items()}


def compare_pdfs(expected: Path, actual: Path) -> list[str]:
    """What differs between two PDFs of the same issue, as short lines, most telling first.

    The PDF in OUT may be damaged in any way (cut short, overwritten, its cross-reference
    table or a stream broken, encrypted): what cannot be read is itself a difference,
    and each comparison that fails says so instead of stopping the others."""
    import pikepdf

    reasons: list[str] = []
    if expected.read_bytes() == actual.read_bytes():
        return reasons  # nothing differs
    a_size, b_size = expected.stat().st_size, actual.stat().st_size
    if a_size != b_size:
        reasons.append(f"size: {a_size} bytes in OUT, {b_size} rebuilt")
    try:
        a = pikepdf.open(expected)
    except (pikepdf.PdfError, pikepdf.PasswordError, OSError, ValueError) as exc:
        reasons.append(f"the PDF in OUT cannot be read as a PDF ({_short(exc)})")
        return reasons
    with a, pikepdf.open(actual) as b:
        for check in _COMPARISONS:
            try:
                reasons += check(a, b)
            except Exception as exc:  # a damaged object: say so, and go on comparing
                reasons.append(f"{check.__doc__}: cannot be compared ({_short(exc)})")
    if not reasons[1 if reasons and reasons[0].startswith("size") else 0 :]:
        reasons.append("same structure, other bytes (object order, compression or fonts)")
    return reasons


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _pages(a: Any, b: Any) -> list[str]:
    """page count"""
    if len(a.pages) != len(b.pages):
        return [f"page count: {len(a.pages)} in OUT, {len(b.pages)} rebuilt"]
    return []


def _info(a: Any, b: Any) -> list[str]:
    """/Info"""
    out = []
    for key in sorted(set(a.docinfo.keys()) | set(b.docinfo.keys())):
        va, vb = a.docinfo.get(key), b.docinfo.get(key)
        if str(va) != str(vb):
            out.append(f"/Info {key}: {va!s} in OUT, {vb!s} rebuilt")
    return out


def _xmp(a: Any, b: Any) -> list[str]:
    """XMP metadata"""
    xa, xb = a.Root.get("/Metadata"), b.Root.get("/Metadata")
    if (xa is None) != (xb is None):
        return ["XMP metadata: present in only one of them"]
    if xa is None or xb is None or xa.read_bytes() == xb.read_bytes():
        return []
    try:
        ma, mb = dict(a.open_metadata().items()), dict(b.open_metadata().items())
    except Exception:  # XMP that is not XML any more
        return ["XMP metadata differs (the one in OUT cannot be parsed)"]
    keys = sorted(k for k in set(ma) | set(mb) if ma.get(k) != mb.get(k))
    return [
        "XMP metadata differs"
        + (f": {', '.join(keys)}" if keys else " (same properties, other bytes)")
    ]


def _trailer_id(a: Any, b: Any) -> list[str]:
    """trailer /ID"""
    ida, idb = a.trailer.get("/ID"), b.trailer.get("/ID")
    if ida is not None and idb is not None and [bytes(x) for x in ida] != [bytes(x) for x in idb]:
        return ["trailer /ID differs"]
    return []


def _objects(a: Any, b: Any) -> list[str]:
    """object count"""
    if len(a.objects) != len(b.objects):
        return [f"object count: {len(a.objects)} in OUT, {len(b.objects)} rebuilt"]
    return []


def _differing_pages(a: Any, b: Any, what: Callable[[Any], Any]) -> list[int]:
    out = []
    for i in range(min(len(a.pages), len(b.pages))):
        try:
            same = what(a.pages[i]) == what(b.pages[i])
        except Exception:  # a stream that cannot be decoded any more differs
            same = False
        if not same:
            out.append(i + 1)
    return out


def _content(a: Any, b: Any) -> list[str]:
    """content streams"""
    pages = _differing_pages(a, b, _page_streams)
    if not pages:
        return []
    return [f"content streams differ on page{'s' if len(pages) > 1 else ''} {_ranges(pages)}"]


def _images(a: Any, b: Any) -> list[str]:
    """images"""
    pages = _differing_pages(a, b, _page_images)
    if not pages:
        return []
    return [f"images differ on page{'s' if len(pages) > 1 else ''} {_ranges(pages)}"]


def _embedded(a: Any, b: Any) -> list[str]:
    """embedded files"""
    fa, fb = _attachments(a), _attachments(b)
    if set(fa) != set(fb):
        return [
            f"embedded files: {', '.join(sorted(fa)) or 'none'} in OUT, "
            f"{', '.join(sorted(fb)) or 'none'} rebuilt"
        ]
    changed = sorted(n for n in fa if fa[n] != fb[n])
    return [f"embedded files differ: {', '.join(changed)}"] if changed else []


_COMPARISONS: tuple[Callable[[Any, Any], list[str]], ...] = (
    _pages,
    _info,
    _xmp,
    _trailer_id,
    _objects,
    _content,
    _images,
    _embedded,
)


# --- the cluster --------------------------------------------------------------------


@contextlib.contextmanager
def dask_client(workers: int | None = None, scheduler: str | None = None) -> Iterator[Any]:
    """A distributed.Client: to `scheduler` when given, else to an embedded LocalCluster of
    `workers` single-threaded processes (default: one per core), with its logging quiet."""
    import dask
    from distributed import Client, LocalCluster

    for name in ("distributed", "tornado"):
        logging.getLogger(name).setLevel(logging.ERROR)
    if scheduler:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise EditionError.single(
                f"cannot reach the Dask scheduler at {scheduler}: {exc}",
                hint="check the address (tcp://host:8786) and that `dask scheduler` runs there",
                code="archive.scheduler",
            ) from None
        with client:
            yield client
        return
    # One task per worker at a time, so that what the scheduler says is in work is.
    # Dask's nodes run a web server even without a dashboard (metrics, logs, a proxy to
    # the workers): it gets no routes, and a port the system chooses on the loopback.
    settings = {
        "distributed.scheduler.worker-saturation": 1.0,
        "distributed.scheduler.http.routes": [],
        "distributed.worker.http.routes": [],
    }
    # The embedded cluster listens on the loopback only, speaks TLS with a key and
    # certificate made for this run (held in memory, handed to its workers when they
    # start) and accepts no one without them: another process of this machine cannot
    # submit work to it. No dashboard: it would be a web server on a known port.
    security = embedded_security()
    with (
        dask.config.set(settings),
        LocalCluster(
            n_workers=workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            protocol="tls://",
            security=security,
            dashboard_address=None,
            scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster, security=security) as client,
    ):
        yield client


def embedded_security() -> Any:
    """TLS credentials of an embedded cluster: a key and a self-signed certificate made
    for this run, required of every connection (distributed.security.Security)."""
    from distributed.security import Security

    security = Security.temporary()
    if not security.require_encryption:
        raise RuntimeError("Dask's temporary credentials do not require encryption")
    return security


def _workers(client: Any) -> int:
    return sum(client.nthreads().values())


def archive_issues(
    issue_dirs: Sequence[Path],
    profiles: Sequence[str],
    out_root: Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    force: bool = False,
    verify: bool = False,
    progress: Callable[[Progress], None] = lambda _: None,
    started: Callable[[int, int], None] = lambda _jobs, _workers: None,
    cache: Path | None = None,
) -> Summary:
    """Build (or with `verify`, rebuild and compare) every profile of every issue folder.

    Jobs whose outputs are up to date are reported as skipped without starting a
    cluster; the others run on Dask and are reported as they complete.
    """
    from distributed import as_completed

    t0 = time.perf_counter()
    out_root = out_root.resolve()
    jobs = [Job(d.resolve(), p) for d in issue_dirs for p in profiles]
    total = len(jobs)
    outcomes: list[Outcome] = []
    todo: list[Job] = []
    if verify:
        for job in jobs:
            kept = Output(out_root).pdf(job.issue_id, job.profile)
            if kept.is_file():
                todo.append(job)
                continue
            outcomes.append(
                Outcome(
                    job,
                    MISSING,
                    [f"{kept}: no {job.profile} PDF to compare with (run edition archive first)"],
                )
            )
            progress(Progress(len(outcomes), total, outcomes[-1], []))
    elif force:
        todo = jobs
    else:
        from edition.commands.build import current_fingerprint

        prints: dict[Path, str | None] = {}
        for job in jobs:
            if job.issue_dir not in prints:
                prints[job.issue_dir] = current_fingerprint(job.issue_dir, Output(out_root, cache))
            fingerprint = prints[job.issue_dir]
            reason = unchanged_reason(job, out_root, fingerprint) if fingerprint else None
            if reason is None:
                todo.append(job)
                continue
            outcomes.append(Outcome(job, SKIPPED, [reason]))
            progress(Progress(len(outcomes), total, outcomes[-1], []))
    n_workers = 0
    if todo:
        # No more local workers than jobs: each one is a process to start.
        local = workers or min(len(todo), os.cpu_count() or 1)
        with dask_client(local, scheduler) as client:
            n_workers = _workers(client)
            started(len(todo), n_workers)
            token = uuid.uuid4().hex[:8]
            futures = {}
            for job in todo:
                key = (
                    f"edition-{'verify' if verify else 'build'}-{job.issue_id}-"
                    f"{job.profile}-{token}"
                )
                fn = verify_job if verify else build_job
                args = (job, out_root) if verify else (job, out_root, force, cache)
                futures[client.submit(fn, *args, key=key, pure=False, retries=0)] = job
            labels = {f.key: job.label for f, job in futures.items()}
            for future in as_completed(list(futures)):
                job = futures[future]
                try:
                    outcome = future.result()
                except Exception as exc:  # the worker died (KilledWorker) or could not run it
                    outcome = Outcome(
                        job,
                        INTERNAL,
                        [f"internal error: {type(exc).__name__}: {exc}"],
                        detail=traceback.format_exc(),
                    )
                future.release()
                outcomes.append(outcome)
                try:
                    running = [
                        labels[k]
                        for keys in client.processing().values()
                        for k in keys
                        if k in labels and k != future.key
                    ]
                except Exception:  # only a progress hint; never fail a run for it
                    running = []
                progress(Progress(len(outcomes), total, outcome, sorted(running)))
    order = {job: i for i, job in enumerate(jobs)}
    outcomes.sort(key=lambda o: order[o.job])
    return Summary(outcomes, time.perf_counter() - t0, n_workers)
