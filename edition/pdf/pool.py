"""The processes that lay out sections: started as soon as a build knows it has something
to lay out, each importing WeasyPrint while the build goes on."""

from __future__ import annotations

from concurrent.futures import Executor

from edition.workers import die_with_parent, layout_workers


def layout_processes(workers: int | None = None) -> Executor | None:
    """The processes that lay out sections, started at once, each importing WeasyPrint
    while this process goes on (None with a single worker: the layout is then done here).
    End them with `end_processes`."""
    from concurrent.futures import ProcessPoolExecutor

    count = layout_workers(workers)
    if count < 2:
        return None
    pool = ProcessPoolExecutor(max_workers=count, initializer=die_with_parent)
    for _ in range(count):
        pool.submit(_warm_up)
    return pool


def _warm_up() -> None:
    from edition.pdf.worker import warm_up

    warm_up()


def end_processes(pool: Executor | None) -> None:
    """Layout processes no build needs any longer told to end: each ends once the section
    it lays out (or its import) is done, and removes what it wrote to the temporary folder.
    """
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)
