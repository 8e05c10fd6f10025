"""Worker processes (photos, section layout) that end with the build that started them."""

from __future__ import annotations


def die_with_parent() -> None:
    """In a worker process: end when the build that started it ends, even when it is
    killed (SIGKILL cannot be caught; Linux's parent-death signal still comes). A worker
    left behind would hold the build's output pipes open and its share of the machine."""
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the worker ends when its queue does
