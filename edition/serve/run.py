"""Running the desk: the layout processes, one thread that builds, one that watches the
issue's files, and the web server (uvicorn) on this machine only."""

from __future__ import annotations

import ipaddress
import signal
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import uvicorn
import watchfiles

from edition.commands.serve import FAILED, Desk, Snapshot
from edition.errors import EditionError
from edition.serve.app import Hub, create_app

WATCH_STEP_MS = 30  # quiet time after a change before it is built (an editor's save is a burst)
LOOPBACK_NAMES = ("localhost",)


def check_host(host: str) -> None:
    """The desk shows unpublished pages and has no login: it listens on this machine only."""
    try:
        loopback = ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        loopback = host in LOOPBACK_NAMES
    if not loopback:
        raise EditionError.single(
            f"the desk cannot listen on '{host}': it shows unpublished pages to anyone who "
            "can reach it",
            None,
            None,
            "use 127.0.0.1 (the default) and reach it through an SSH tunnel from elsewhere",
            "usage.host",
        )


class Watcher:
    """Calls `changed()` when a file the build reads changes (hidden files, such as an
    editor's swap files and edition's own temporary files, aside)."""

    def __init__(self, paths: list[Path], ignore: list[Path], changed: Callable[[], None]) -> None:
        self.paths = [p.resolve() for p in paths if p.exists()]
        self.ignore = [p.resolve() for p in ignore]
        self.changed = changed
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="desk-watch", daemon=True)

    def wanted(self, _change: watchfiles.Change, path: str) -> bool:
        """Not a hidden file or folder (under the folders watched), not in the output."""
        resolved = Path(path).resolve()
        if any(resolved.is_relative_to(i) for i in self.ignore):
            return False
        for root in self.paths:
            if resolved.is_relative_to(root):
                hidden = any(part.startswith(".") for part in resolved.relative_to(root).parts)
                return not hidden
        return True

    def _run(self) -> None:
        for _changes in watchfiles.watch(
            *self.paths,
            watch_filter=self.wanted,
            step=WATCH_STEP_MS,
            stop_event=self.stop,
            raise_interrupt=False,
        ):
            self.changed()


class Builder:
    """One build at a time; changes that come in while it runs make one more build."""

    def __init__(self, desk: Desk, report: Callable[[Snapshot], None]) -> None:
        self.desk = desk
        self.report = report
        self.wanted = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="desk-build", daemon=True)

    def request(self) -> None:
        self.wanted.set()

    def _run(self) -> None:
        while not self.stop.is_set():
            self.wanted.wait()
            if self.stop.is_set():
                return
            self.wanted.clear()
            self.report(self.desk.build())


class _Server(uvicorn.Server):
    """uvicorn, ending the event streams as soon as it is asked to stop."""

    def __init__(self, config: uvicorn.Config, on_exit: Callable[[], None]) -> None:
        super().__init__(config)
        self.on_exit = on_exit

    def handle_exit(self, sig: int, frame: object) -> None:
        self.on_exit()
        super().handle_exit(sig, frame)  # type: ignore[arg-type]


def serve_issue(
    issue_dir: Path,
    *,
    port: int = 8000,
    host: str = "127.0.0.1",
    profile: str = "print",
    out_root: Path = Path("dist"),
    workers: int | None = None,
    cache: Path | None = None,
    say: Callable[[str], None] = lambda _: None,
    ready: Callable[[str], None] | None = None,
) -> None:
    """Serve the desk of `issue_dir` until interrupted (Ctrl-C, SIGTERM). `say` hears one
    line per build; `ready(url)` is called once the server listens."""
    check_host(host)
    if not (issue_dir / "issue.toml").is_file():
        raise EditionError.single(
            "not an issue folder: it has no issue.toml",
            issue_dir,
            None,
            "give the folder of an issue, or make one with `edition new`",
            "usage.issue-dir",
        )
    _check_port(host, port)
    desk = Desk(issue_dir, profile, out_root, workers=workers, cache=cache)
    hub = Hub(desk)
    desk.listener = hub.publish

    def report(snap: Snapshot) -> None:
        if snap.state == FAILED:
            say(f"build {snap.build}: failed ({len(snap.errors)} problems), last good pages kept")
            for f in snap.errors:
                say(f"  {f}")
        else:
            say(
                f"build {snap.build}: {len(snap.pages)} pages, {len(snap.pins)} findings, "
                f"{snap.seconds:.2f} s"
            )

    desk.start()  # the layout processes fork from this thread, before any other starts
    builder = Builder(desk, report)
    from edition.layout.load import layout_folders

    watched = [issue_dir, *(layout_folders(issue_dir) or [])]
    watcher = Watcher(watched, [out_root], builder.request)
    hosts = ["127.0.0.1", "localhost", "[::1]", "::1", host]
    app = create_app(desk, hub, hosts)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=2,
        lifespan="off",
    )
    server = _Server(config, hub.close)
    # uvicorn raises the signal that stopped it again once it has stopped: SIGTERM then
    # ends the desk the way Ctrl-C does, with its processes stopped in order.
    previous = signal.getsignal(signal.SIGTERM)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
    try:
        builder.thread.start()
        watcher.thread.start()
        builder.request()
        if ready is not None:
            threading.Thread(
                target=_when_started,
                args=(server, ready, f"http://{_url_host(host)}:{port}/"),
                daemon=True,
            ).start()
        server.run()
    finally:
        watcher.stop.set()
        builder.stop.set()
        builder.wanted.set()
        hub.close()
        desk.close()  # a build under way ends with its layout processes
        builder.thread.join(timeout=10)
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, previous)


def _interrupt(_sig: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _check_port(host: str, port: int) -> None:
    """One clear line when the port is taken (uvicorn would only log it and exit)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as exc:
            raise EditionError.single(
                f"cannot listen on {host} port {port}: {exc.strerror or exc}",
                None,
                None,
                "another program (another desk?) uses it: choose another with --port",
                "usage.port",
            ) from None


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _when_started(server: uvicorn.Server, ready: Callable[[str], None], url: str) -> None:
    while not server.started and not server.should_exit:
        time.sleep(0.05)
    if server.started:
        ready(url)
