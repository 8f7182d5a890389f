"""The web page and JSON API of ``restore serve`` (a Starlette ASGI app, served by uvicorn).

``GET /`` is one page (``static/index.html`` and its script): paste a text or open a ``.txt``,
see the restored text as an inline diff and the detection score with the suspected spans.  The
page builds every element with ``textContent``, never HTML from user text, and the
Content-Security-Policy allows only this origin's own script and style.

``POST /api/fix``, ``/api/explain``, ``/api/detect`` take ``{"text": "..."}`` as
``application/json`` (or the text itself as ``text/plain``), UTF-8, at most ``max_bytes``, and
answer ``{"text"}``, :meth:`restore.ExplainedText.to_dict` and :meth:`restore.detection.Detection.to_dict`.
Bad input gets a 4xx answer ``{"error": "one line"}``: 413 too big, 415 another content type,
400 not UTF-8, not JSON, no ``text`` string, or blank text.

One :class:`restore.Restorer` serves every request: its calls run one at a time on a single
worker thread (the restorer caches answers per call and torch runs its own threads inside
one call), so requests queue rather than race.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

if TYPE_CHECKING:
    from restore.restorer import Restorer

STATIC = Path(__file__).resolve().parent / "static"
DEFAULT_MAX_BYTES = 1 << 20
"""Largest request body accepted (1 MiB: a long article is ~10 KB)."""
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


class BadInput(Exception):
    """A request the API refuses, with its HTTP status and a one-line message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


class SecurityHeaders:
    """ASGI middleware: :data:`SECURITY_HEADERS` on every HTTP response."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items() if k.lower().encode() not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def read_text(request: Request, max_bytes: int) -> str:
    """The text of an API request (see the module docstring), or :class:`BadInput`."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ("application/json", "text/plain"):
        raise BadInput(415, f"send the text as application/json {{\"text\": ...}} or as text/plain, not {kind or 'no content type'}")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise BadInput(413, f"the request is {int(declared):,} bytes; the limit is {max_bytes:,}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise BadInput(413, f"the request is over the limit of {max_bytes:,} bytes")
    try:
        raw = bytes(body).decode("utf-8")
    except UnicodeDecodeError as e:
        raise BadInput(400, f"the request is not valid UTF-8 (byte {e.start})") from None
    if kind == "text/plain":
        text = raw
    else:
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as e:
            raise BadInput(400, f"the request is not valid JSON: {e.msg} at character {e.pos}") from None
        if not isinstance(data, dict) or not isinstance(data.get("text"), str):
            raise BadInput(400, 'expected a JSON object with a "text" string')
        text = data["text"]
    if not text.strip():
        raise BadInput(400, "the text is empty")
    return text


def create_app(restorer: "Restorer | Callable[[], Restorer] | None" = None, max_bytes: int = DEFAULT_MAX_BYTES) -> Starlette:
    """The app around ``restorer`` (or a function that loads one, called once on the worker
    thread at the first request; None: the shipped model)."""
    worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="restore-serve")
    state: dict = {"restorer": restorer}

    def model() -> "Restorer":
        if state["restorer"] is None:
            from restore.restorer import default_restorer

            state["restorer"] = default_restorer()
        elif callable(state["restorer"]) and not hasattr(state["restorer"], "explain"):
            state["restorer"] = state["restorer"]()
        return state["restorer"]

    def endpoint(work: Callable[["Restorer", str], dict]):
        async def handle(request: Request) -> Response:
            try:
                text = await read_text(request, max_bytes)
            except BadInput as e:
                return _error(e.status, str(e))
            except ClientDisconnect:
                return _error(400, "the client went away")
            result = await asyncio.get_running_loop().run_in_executor(worker, lambda: work(model(), text))
            return JSONResponse(result)

        return handle

    async def index(request: Request) -> Response:
        return FileResponse(STATIC / "index.html")

    async def not_found(request: Request, exc: Exception) -> Response:
        return _error(404, f"no such page: {request.url.path}")

    async def not_allowed(request: Request, exc: Exception) -> Response:
        return _error(405, f"{request.method} is not allowed here; POST the text")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        yield
        worker.shutdown(wait=False)

    app = Starlette(
        routes=[
            Route("/", index),
            Route("/api/fix", endpoint(lambda r, t: {"text": r.fix(t, progress=False)}), methods=["POST"]),
            Route("/api/explain", endpoint(lambda r, t: r.explain(t, progress=False).to_dict()), methods=["POST"]),
            Route("/api/detect", endpoint(lambda r, t: r.detect(t).to_dict()), methods=["POST"]),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={404: not_found, 405: not_allowed},
        lifespan=lifespan,
    )
    app.state.warm = lambda: worker.submit(model).result()  # load the model now (restore serve does)
    return app
