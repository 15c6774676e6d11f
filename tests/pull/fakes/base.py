"""A tiny threaded HTTP server on loopback for the fake platform APIs (werkzeug WSGI).

Every request is recorded (method, path, query, headers, form, JSON body) so tests can assert
on what the client sent. ``fail_next`` queues scripted responses (a 429 with Retry-After, a
500, a malformed body, …) that are served instead of the real handler for matching requests.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import Headers
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no request log lines in the test output


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    form: dict[str, str]
    body: bytes
    status: int = 0

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Scripted:
    match: Callable[[Request], bool]
    response: Callable[[], Response]
    times: int = 1


def json_response(
    document: Any, status: int = 200, headers: dict[str, str] | None = None, content_type: str = "application/json"
) -> Response:
    return Response(json.dumps(document), status=status, headers=Headers(headers or {}), content_type=content_type)


class FakeServer:
    """Base class: subclasses implement ``handle(request) -> Response``."""

    def __init__(self) -> None:
        self.log: list[Recorded] = []
        self._scripted: list[Scripted] = []
        self._lock = threading.Lock()
        self._server = None
        self._thread: threading.Thread | None = None
        self.url = ""

    # -- lifecycle
    def start(self) -> FakeServer:
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name=type(self).__name__, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- scripting
    def fail_next(
        self, match: Callable[[Request], bool] | str, response: Callable[[], Response], times: int = 1
    ) -> None:
        """Serve ``response()`` instead of the handler to the next ``times`` requests matching
        ``match`` (a callable, or a substring of the path)."""
        if isinstance(match, str):
            fragment = match
            match = lambda request: fragment in request.path  # noqa: E731
        with self._lock:
            self._scripted.append(Scripted(match, response, times))

    def requests_to(self, fragment: str, method: str | None = None) -> list[Recorded]:
        return [r for r in self.log if fragment in r.path and (method is None or r.method == method)]

    def clear_log(self) -> None:
        with self._lock:
            self.log.clear()

    # -- WSGI
    def _wsgi(self, environ, start_response):
        request = Request(environ)
        body = request.get_data(cache=True)
        record = Recorded(
            method=request.method,
            path=request.path,
            query={k: request.args.getlist(k) for k in request.args},
            headers={k.lower(): v for k, v in request.headers.items()},
            form=dict(request.form.items()),
            body=body,
        )
        with self._lock:
            self.log.append(record)
            scripted = next((s for s in self._scripted if s.match(request)), None)
            if scripted is not None:
                scripted.times -= 1
                if scripted.times <= 0:
                    self._scripted.remove(scripted)
        try:
            response = scripted.response() if scripted is not None else self.handle(request)
        except Exception as exc:  # a bug in the fake: make it visible as a 500 with the reason
            response = json_response({"fake_server_bug": f"{type(exc).__name__}: {exc}"}, status=500)
        record.status = response.status_code
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:  # pragma: no cover - subclasses
        raise NotImplementedError
