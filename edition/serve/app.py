"""The desk's web application (Starlette): the page, its status, its events, page images
and the editions' PDFs. Everything it shows comes from a `Desk`."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from concurrent.futures import CancelledError
from concurrent.futures.process import BrokenProcessPool
from importlib import resources

import pypdfium2 as pdfium
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from edition.commands.serve import Desk, Snapshot

KEEP_ALIVE = 15.0  # seconds between comments on an idle event stream
STATIC = {
    "desk.js": "text/javascript; charset=utf-8",
    "desk.css": "text/css; charset=utf-8",
}


class Hub:
    """The browsers listening for events: each gets every status the desk publishes."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self._queues: set[asyncio.Queue[str | None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    def message(self) -> str:
        data = json.dumps(self.desk.status(), ensure_ascii=False, separators=(",", ":"))
        return f"event: status\ndata: {data}\n\n"

    def subscribe(self) -> asyncio.Queue[str | None]:
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        with self._lock:
            self._loop = asyncio.get_running_loop()
            self._queues.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[str | None]) -> None:
        with self._lock:
            self._queues.discard(queue)

    def publish(self, _snapshot: Snapshot | None = None) -> None:
        """From any thread: send the desk's status to every browser."""
        self._send(self.message())

    def close(self) -> None:
        """End every event stream (the server is stopping)."""
        self._send(None)

    def _send(self, message: str | None) -> None:
        with self._lock:
            loop, queues = self._loop, list(self._queues)
        if loop is None or loop.is_closed():
            return
        for q in queues:
            loop.call_soon_threadsafe(q.put_nowait, message)


def create_app(desk: Desk, hub: Hub, allowed_hosts: list[str]) -> Starlette:
    """The desk on the web, answering only to requests addressed to `allowed_hosts`
    (a page elsewhere cannot reach it through a name that points at this machine)."""

    async def index(_: Request) -> Response:
        html = resources.files("edition.serve").joinpath("static/desk.html").read_text()
        return Response(html, media_type="text/html; charset=utf-8", headers=_NO_STORE)

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return Response("not found", status_code=404)
        data = resources.files("edition.serve").joinpath(f"static/{name}").read_bytes()
        return Response(data, media_type=STATIC[name], headers=_NO_STORE)

    async def status(_: Request) -> Response:
        return JSONResponse(desk.status(), headers=_NO_STORE)

    async def events(request: Request) -> Response:
        queue = hub.subscribe()

        async def stream() -> AsyncIterator[str]:
            try:
                yield "retry: 1000\n\n" + hub.message()
                while True:
                    try:
                        message = await asyncio.wait_for(queue.get(), KEEP_ALIVE)
                    except TimeoutError:
                        if await request.is_disconnected():
                            return
                        yield ": still here\n\n"
                        continue
                    if message is None:
                        return
                    yield message
            finally:
                hub.unsubscribe(queue)

        headers = {**_NO_STORE, "X-Accel-Buffering": "no"}
        return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)

    async def page(request: Request) -> Response:
        try:
            number = int(request.path_params["number"])
        except ValueError:
            return Response("no such page", status_code=404)
        size = request.query_params.get("size", "page")
        found = desk.page_image(number, size)
        if found is None:
            return Response("no such page", status_code=404)
        job, token = found
        try:
            data = (await asyncio.wrap_future(job))[size]
        except (BrokenProcessPool, CancelledError, RuntimeError, pdfium.PdfiumError):
            desk.image_failed(token, size)
            return Response("no such page", status_code=404)
        # An image asked for by its token never changes; asked for without, it may.
        fixed = request.query_params.get("t") == token
        headers = {"Cache-Control": "max-age=86400, immutable"} if fixed else _NO_STORE
        return Response(data, media_type="image/jpeg", headers={**headers, "X-Token": token})

    async def pdf(request: Request) -> Response:
        name = request.path_params["profile"]
        path = desk.pdf_path(name)
        if path is None:
            return Response(f"no {name} PDF has been built", status_code=404)
        return FileResponse(path, media_type="application/pdf", filename=path.name)

    routes = [
        Route("/", index),
        Route("/status.json", status),
        Route("/events", events),
        Route("/pages/{number}.jpg", page),
        Route("/pdf/{profile}", pdf),
        Route("/static/{name}", static),
    ]
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)]
    return Starlette(routes=routes, middleware=middleware)


_NO_STORE = {"Cache-Control": "no-store"}
