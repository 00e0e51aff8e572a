"""A local web server that shows the session's latest result as a live page, and nothing else.

``LiveServer`` serves two things under an unguessable token: the page (``views.html_page``) and a
server-sent event stream that pushes each new picture and its data as soon as it is drawn.

What a local server owes its user (as Jupyter's does):

- it binds 127.0.0.1 only (``http.server`` binds every interface unless told), on a port the system
  chooses or the one asked for;
- every URL carries a token from ``secrets.token_urlsafe``: other local users and web pages cannot
  guess it; a wrong or missing token is refused;
- the Host header must be ``127.0.0.1:PORT`` or ``localhost:PORT``, so a web page whose domain is
  re-pointed at 127.0.0.1 (DNS rebinding) cannot read it;
- GET only (anything else is 405), no CORS header, no files from disk, and a Content-Security-Policy
  that forbids loading anything from anywhere;
- over ssh it binds nowhere else: ``ssh_hint`` says how to forward the port instead.

Publishing never blocks the caller (the REPL): ``publish`` only records the latest result and wakes a
drawing thread, which runs ``dot`` for the newest one and drops any it never got to (latest wins), then
wakes the event streams, which send only the newest state. A browser that connects or reconnects gets
the current state at once.
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import subprocess
import threading
import time
from collections.abc import Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from gradcalc.errors import GradcalcError, UsageError
from gradcalc.program import Result
from gradcalc.views.html_page import State, empty_state, error_state, page_document, page_state

LOOPBACK = "127.0.0.1"
KEEPALIVE = 15.0  # seconds between comment lines on an idle event stream, so proxies and browsers keep it
DRAW_TIMEOUT = 60.0  # seconds: a graph that Graphviz takes longer to lay out is shown as an error instead
POLL = 0.1  # how often the accept loop and idle streams look at whether the server is stopping


def ssh_hint(port: int, environ: Mapping[str, str] | None = None) -> str | None:
    """How to reach the page from one's own computer when gradcalc runs over ssh (else None)."""
    env = os.environ if environ is None else environ
    connection = env.get("SSH_CONNECTION", "").split()
    if not connection:
        return None
    host = connection[2] if len(connection) >= 3 else "HOST"
    user = env.get("USER") or env.get("LOGNAME")
    target = f"{user}@{host}" if user else host
    return (
        f"over ssh: on your own computer run  ssh -L {port}:127.0.0.1:{port} {target}  "
        f"and open the URL there (the page is served to this machine's 127.0.0.1 only)"
    )


class LiveServer:
    """The live page of one session: start it, publish results, stop it.

    ``publish`` may be called from any thread, as often as you like; the page shows the latest.
    """

    def __init__(self, *, port: int | None = None, host: str = LOOPBACK) -> None:
        if host not in (LOOPBACK, "localhost"):
            raise UsageError(
                f"the live page is served on 127.0.0.1 only, not {host}",
                hint="to see it from another computer, forward the port: ssh -L PORT:127.0.0.1:PORT HOST",
            )
        if port is not None and not 0 <= port <= 65535:
            raise UsageError(f"port {port} is not a port number (0 to 65535)")
        self._port_asked = port
        self.token = secrets.token_urlsafe(24)
        self.url: str | None = None
        self.port: int | None = None
        self.ssh_hint: str | None = None
        self._httpd: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self._lock = threading.Condition()
        self._pending: tuple[int, Result | None, int, str, str | None] | None = None
        self._published = 0  # how many publishes so far: the version of the newest
        self._state: State = empty_state()
        self._version = 0  # the version of _state
        self._stopping = False
        self._dot: subprocess.Popen[bytes] | None = None  # the drawing in progress, ended by stop()
        self.draw_seconds = 0.0  # how long the latest drawing took (dot and the data): for benchmarks

    @property
    def running(self) -> bool:
        return self._httpd is not None and not self._stopping

    # -- life cycle --------------------------------------------------------------------------------

    def start(self) -> str:
        """Start serving in daemon threads; the page's URL (with its token). GradcalcError if it cannot."""
        if self.running:
            assert self.url is not None
            return self.url
        port = self._port_asked or 0
        try:
            httpd = _QuietServer((LOOPBACK, port), _handler(self))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                why = "is in use" if exc.errno == errno.EADDRINUSE else "needs privileges"
                raise GradcalcError(
                    f"cannot serve the live page on port {port}: the port {why}",
                    hint="choose another port, or give none and a free one is used",
                ) from None
            raise GradcalcError(f"cannot start the live page's server: {exc.strerror or exc}") from None
        self._httpd = httpd
        self._stopping = False
        self.port = httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/{self.token}/"
        self.ssh_hint = ssh_hint(self.port)
        serve = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": POLL}, name="gradcalc-live-http", daemon=True
        )
        draw = threading.Thread(target=self._draw_loop, name="gradcalc-live-draw", daemon=True)
        self._threads = [serve, draw]
        serve.start()
        draw.start()
        return self.url

    def stop(self) -> None:
        """Stop serving: the accept loop, the drawing thread and every open event stream, promptly."""
        httpd = self._httpd
        if httpd is None:
            return
        with self._lock:
            self._stopping = True
            self._lock.notify_all()
        dot = self._dot
        if dot is not None and dot.poll() is None:
            dot.kill()  # a big graph's layout must not outlive the server
        httpd.shutdown()
        httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=2.0)
        self._threads = []
        self._httpd = None

    def __enter__(self) -> LiveServer:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    # -- publishing --------------------------------------------------------------------------------

    def publish(self, result: Result | None, *, precision: int = 2, style: str = "circuit") -> None:
        """Show ``result`` (None: no result yet) on the page; returns at once, the drawing happens later."""
        self._offer(result, precision, style, None)

    def publish_error(self, message: str) -> None:
        """Show an error (``GradcalcError.render()`` text) instead of a picture; the page keeps the last one."""
        self._offer(None, 2, "circuit", message)

    def _offer(self, result: Result | None, precision: int, style: str, error: str | None) -> None:
        with self._lock:
            self._published += 1
            self._pending = (self._published, result, precision, style, error)
            self._lock.notify_all()

    def state(self) -> tuple[int, State]:
        """The version and state the page shows now."""
        with self._lock:
            return self._version, self._state

    def _draw_loop(self) -> None:
        while True:
            with self._lock:
                while self._pending is None and not self._stopping:
                    self._lock.wait()
                if self._stopping:
                    return
                assert self._pending is not None
                version, result, precision, style, error = self._pending
                self._pending = None
            started = time.perf_counter()
            state = self._draw(result, precision, style, error)
            self.draw_seconds = time.perf_counter() - started
            with self._lock:
                if version > self._version:
                    self._version, self._state = version, state
                    self._lock.notify_all()

    def _draw(self, result: Result | None, precision: int, style: str, error: str | None) -> State:
        """The page state for one publish; any failure to draw becomes an error shown on the page."""
        if error is not None:
            return error_state(error)
        if result is None:
            return empty_state("No result yet: evaluate something.")
        try:
            return page_state(result, precision=precision, style=style, timeout=DRAW_TIMEOUT, started=self._started)
        except GradcalcError as exc:
            return error_state(exc.render())
        except Exception as exc:  # a bug in a view must not kill the drawing thread (and so the page)
            return error_state(f"internal error while drawing: {type(exc).__name__}: {exc}")
        finally:
            self._dot = None

    def _started(self, process: subprocess.Popen[bytes]) -> None:
        self._dot = process
        if self._stopping:
            process.kill()

    def _wait_for_change(self, seen: int, timeout: float) -> tuple[int, State] | None:
        """The newest state once its version passes ``seen`` (None on timeout or when stopping)."""
        with self._lock:
            self._lock.wait_for(lambda: self._version > seen or self._stopping, timeout)
            if self._stopping or self._version <= seen:
                return None
            return self._version, self._state


class _QuietServer(ThreadingHTTPServer):
    """Threads that die with the program, and nothing printed: the terminal is the user's (the REPL's)."""

    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a browser that closes its connection mid-request is not news


def _with_version(version: int, state: State) -> dict[str, Any]:
    return {**state, "version": version}


def _handler(server: LiveServer) -> type[BaseHTTPRequestHandler]:
    """The request handler class bound to ``server``."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def version_string(self) -> str:
            return "gradcalc"  # not the Python version: nothing a visitor needs

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the REPL's terminal is the user's: nothing is printed there

        def _refuse(self, status: HTTPStatus, why: str, extra: Mapping[str, str] | None = None) -> None:
            body = f"{status.value} {status.phrase}: {why}\n".encode()
            self.send_response(status)
            for name, value in {**(extra or {}), **_COMMON_HEADERS}.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            self.close_connection = True

        def _not_allowed(self) -> None:
            self._refuse(HTTPStatus.METHOD_NOT_ALLOWED, "the live page answers GET only", {"Allow": "GET"})

        do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = do_TRACE = do_CONNECT = _not_allowed

        def do_GET(self) -> None:
            port = server.port
            host = (self.headers.get("Host") or "").strip().lower()
            if host not in (f"127.0.0.1:{port}", f"localhost:{port}"):
                self._refuse(HTTPStatus.FORBIDDEN, "wrong Host header")
                return
            path = self.path.split("?", 1)[0]
            parts = path.split("/")  # "/TOKEN/" -> ["", TOKEN, ""]; "/TOKEN/events" -> ["", TOKEN, "events"]
            if len(parts) < 2 or not secrets.compare_digest(parts[1].encode(), server.token.encode()):
                self._refuse(HTTPStatus.NOT_FOUND if len(parts) < 3 else HTTPStatus.FORBIDDEN, "wrong or missing token")
                return
            rest = "/".join(parts[2:])
            if rest == "":
                self._page()
            elif rest == "events":
                self._events()
            else:
                self._refuse(HTTPStatus.NOT_FOUND, "no such page")

        def _page(self) -> None:
            version, state = server.state()
            body = page_document(_with_version(version, state), live=True, events_url=f"/{server.token}/events").encode(
                "utf-8"
            )
            self.send_response(HTTPStatus.OK)
            for name, value in _COMMON_HEADERS.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _events(self) -> None:
            self.send_response(HTTPStatus.OK)
            for name, value in _COMMON_HEADERS.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            try:
                seen, state = server.state()
                if self.headers.get("Last-Event-ID", "") != str(seen):
                    self._send(seen, state)  # a browser that (re)connects gets the current state at once
                idle = 0.0
                while server.running:
                    change = server._wait_for_change(seen, POLL * 5)
                    if change is None:
                        idle += POLL * 5
                        if idle >= KEEPALIVE:
                            self.wfile.write(b": keep-alive\n\n")
                            self.wfile.flush()
                            idle = 0.0
                        continue
                    seen, state = change
                    idle = 0.0
                    self._send(seen, state)
            except (BrokenPipeError, ConnectionResetError, OSError):
                return  # the browser went away; it reconnects by itself if it wants more

        def _send(self, version: int, state: State) -> None:
            text = json.dumps(_with_version(version, state), ensure_ascii=False, allow_nan=False)
            self.wfile.write(f"retry: 1000\nid: {version}\ndata: ".encode() + text.encode("utf-8") + b"\n\n")
            self.wfile.flush()

    return Handler


_COMMON_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",  # the page's own meta CSP says the rest
}
