"""Worker processes (photos, section layout) that end with the build that started them, and
ceilings of time and memory for the work that input can make unbounded: laying out a
document, rasterising an advertiser's PDF. A ceiling reached is one finding that names
the file, never a hang, a machine out of memory or a killed build."""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from edition.errors import EditionError

T = TypeVar("T")
MB = 1 << 20


@dataclass(frozen=True)
class Ceiling:
    """How long a piece of work may take (wall clock) and how much more memory (address
    space) it may take; an environment variable may change each (for a slow machine)."""

    seconds: float
    memory_mb: int
    seconds_env: str
    memory_env: str

    def current(self) -> tuple[float, int]:
        """(seconds, bytes), as the environment sets them or by default."""
        seconds, memory = self.seconds, self.memory_mb
        with contextlib.suppress(ValueError):
            seconds = float(os.environ.get(self.seconds_env, seconds))
        with contextlib.suppress(ValueError):
            memory = int(os.environ.get(self.memory_env, memory))
        return seconds, memory * MB


# One section of the edition (a few pages) takes seconds; the whole edition in one pass
# (the tagged screen edition) under a minute for the 36-page sample; a PDF ad a second.
SECTION = Ceiling(300, 3072, "EDITION_SECTION_SECONDS", "EDITION_SECTION_MEMORY_MB")
ONE_PASS = Ceiling(1200, 6144, "EDITION_LAYOUT_SECONDS", "EDITION_LAYOUT_MEMORY_MB")
AD_PDF = Ceiling(30, 2048, "EDITION_AD_SECONDS", "EDITION_AD_MEMORY_MB")


def die_with_parent() -> None:
    """In a worker process: end when the build that started it ends, even when it is
    killed (SIGKILL cannot be caught; Linux's parent-death signal still comes). A worker
    left behind would hold the build's output pipes open and its share of the machine."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the worker ends when its queue does


class _OutOfTime(BaseException):
    """Raised in the limited code when its time is up. A BaseException, so that no
    `except Exception` on the way (WeasyPrint has some) takes it for an ordinary error."""


def limit_error(
    task: str, path: Path | None, kind: str, amount: str, setting: str | None = None
) -> EditionError:
    """The one line for a ceiling reached; `setting` is the variable that raises it."""
    if kind == "time":
        message = f"{task} took longer than {amount}"
    else:
        message = f"{task} needs more than {amount} of memory"
    hint = "simplify it" + (f", or on a slow machine raise {setting}" if setting else "")
    return EditionError.single(message, path, None, hint, f"limit.{kind}")


def _address_space() -> int:
    """The address space this process uses now, in bytes."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


@contextlib.contextmanager
def ceiling(limits: Ceiling, task: str, path: Path | None = None) -> Iterator[None]:
    """Run the body under `limits` in this process: a wall-clock alarm and a ceiling on
    address space above what is in use now, both in the main thread only (signals go
    there, and the address space is the whole process's: a ceiling set from two threads
    at once would be restored out of order and stay). Reaching either raises EditionError
    naming `task` and `path`; both are lifted after. Ceilings nest: an inner one is never
    looser than the one around it."""
    seconds, memory = limits.current()
    main = threading.current_thread() is threading.main_thread()
    alarm = main and seconds > 0
    if not main:
        memory = 0
    old_handler: Any = None
    outer_left = 0.0
    started = time.monotonic()
    old_limit = resource.getrlimit(resource.RLIMIT_AS)
    soft = _address_space() + memory if memory > 0 else resource.RLIM_INFINITY
    for cap in old_limit:
        if cap != resource.RLIM_INFINITY:
            soft = cap if soft == resource.RLIM_INFINITY else min(soft, cap)

    fired = False

    def out_of_time(_signum: int, _frame: object) -> None:
        nonlocal fired
        fired = True
        raise _OutOfTime

    try:
        if main:
            resource.setrlimit(resource.RLIMIT_AS, (soft, old_limit[1]))
        if alarm:
            outer_left = signal.getitimer(signal.ITIMER_REAL)[0]
            old_handler = signal.signal(signal.SIGALRM, out_of_time)
            signal.setitimer(signal.ITIMER_REAL, min(seconds, outer_left or seconds))
        try:
            yield
        finally:
            if alarm:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, old_handler)
                if outer_left:  # the ceiling around this one goes on counting
                    left = outer_left - (time.monotonic() - started)
                    signal.setitimer(signal.ITIMER_REAL, max(left, 0.001))
            if main:
                resource.setrlimit(resource.RLIMIT_AS, old_limit)
    except _OutOfTime:
        raise limit_error(task, path, "time", f"{seconds:g} s", limits.seconds_env) from None
    except RecursionError:  # markup nested thousands deep
        raise EditionError.single(
            f"{task} goes deeper than Python's stack allows",
            path,
            None,
            "nest the markup less deeply",
            "limit.depth",
        ) from None
    except MemoryError:
        raise limit_error(task, path, "memory", f"{memory // MB} MB", limits.memory_env) from None
    except Exception:
        # A library that catches every exception (WeasyPrint does, around colour profiles
        # and images) may swallow the alarm's and fail a moment later with an error of its
        # own: the time was out all the same.
        if fired:
            raise limit_error(task, path, "time", f"{seconds:g} s", limits.seconds_env) from None
        raise


def call_with_ceiling(
    limits: Ceiling, task: str, path: Path | None, fn: Callable[..., T], *args: Any
) -> T:
    """`fn(*args)` under `limits` in this process (for a worker process's job)."""
    with ceiling(limits, task, path):
        return fn(*args)


def run_in_child(
    limits: Ceiling, task: str, path: Path | None, fn: Callable[..., T], *args: Any
) -> T:
    """`fn(*args)` in a child process of its own, killed when it runs out of time, with
    its address space capped: what a native library does with hostile input (a PDF that
    draws itself a billion times) cannot take this process or the machine with it. The
    result and an EditionError come back; any other failure of the child is the limit."""
    import multiprocessing

    seconds, memory = limits.current()
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited locks
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(send, memory, seconds, fn, args), daemon=True)
    child.start()
    send.close()
    try:
        if not receive.poll(seconds if seconds > 0 else None):
            raise limit_error(task, path, "time", f"{seconds:g} s", limits.seconds_env)
        try:
            kind, value = receive.recv()
        except (EOFError, OSError):  # the child died: out of memory (or killed)
            raise limit_error(
                task, path, "memory", f"{memory // MB} MB", limits.memory_env
            ) from None
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
        child.join(5)
    if kind == "ok":
        return value  # type: ignore[no-any-return]
    if kind == "memory":
        raise limit_error(task, path, "memory", f"{memory // MB} MB", limits.memory_env)
    if isinstance(value, EditionError):
        raise value
    raise RuntimeError(f"{task} failed in its child process: {value}")


def _child(send: Any, memory: int, seconds: float, fn: Callable[..., Any], args: Any) -> None:
    die_with_parent()
    if memory > 0:
        hard = resource.getrlimit(resource.RLIMIT_AS)[1]
        soft = _address_space() + memory
        resource.setrlimit(
            resource.RLIMIT_AS, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard)
        )
    if seconds > 0:  # a second, harder stop should the parent be gone
        cpu = int(seconds) + 5
        hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
        if hard == resource.RLIM_INFINITY or hard > cpu:
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, hard))
    try:
        result: tuple[str, Any] = ("ok", fn(*args))
    except MemoryError:
        result = ("memory", None)
    except EditionError as exc:
        result = ("error", exc)
    except Exception as exc:  # reported to the parent, which raises it as a bug
        result = ("crash", f"{type(exc).__name__}: {exc}")
    try:
        send.send(result)
    except MemoryError:
        send.send(("memory", None))
    send.close()


# A forked helper's work takes a second or two; one that has not answered in this long
# is stuck, and the work is done in the process that asked for it.
ALONGSIDE_SECONDS = 120.0


def may_fork() -> bool:
    """Whether work may go to a forked process beside this one: a second core, and the
    caller on the main thread (a command's other thread, its heartbeat, holds nothing the
    work uses; a desk's threads are left alone)."""
    return (os.cpu_count() or 1) > 1 and threading.current_thread() is threading.main_thread()


def alongside(work: Callable[[], T]) -> Callable[[], T]:
    """`work` started in a forked process (its result must pickle); returns what waits for
    the result. Should that process end without one (killed, or an answer that cannot be
    sent), the work is done again here, where a failure is seen as it is."""
    import multiprocessing
    import warnings

    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)

    def child() -> None:
        try:
            send.send(work())
        except BaseException:
            os._exit(1)  # quietly: the parent does the work again, and says what is wrong
        send.close()

    process = context.Process(target=child, daemon=True)
    with warnings.catch_warnings():
        # Python 3.12 warns of forking a process with threads; see `may_fork`.
        warnings.simplefilter("ignore", DeprecationWarning)
        process.start()
    send.close()

    def result() -> T:
        try:
            if receive.poll(ALONGSIDE_SECONDS):
                return receive.recv()  # type: ignore[no-any-return]
        except (EOFError, OSError):
            pass
        finally:
            receive.close()
            if process.is_alive():  # stuck (a lock another thread held at the fork)
                process.kill()
            process.join()
        return work()

    return result


def layout_workers(workers: int | None = None) -> int:
    """How many processes lay out sections: as asked, else one a core (at most 4)."""
    return workers or min(os.cpu_count() or 1, 4)
