"""Browser mode: the same UI and commands over HTTP on loopback.

Safety: bound to 127.0.0.1 only; every command needs the per-launch token (the served page
carries it); Host and Origin must be this server's own (DNS rebinding, other web pages);
bodies over 64 KiB are refused (32 MiB for a dataset upload); a request must arrive whole (line, headers, body) within
SOCKET_TIMEOUT_S, so a client that trickles bytes (slow loris) is cut off rather than holding
its thread forever; errors are always `{code, message}` JSON, never an HTML traceback.
"""

from __future__ import annotations

import hmac
import io
import json
import logging
import mimetypes
import secrets
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from ollama_trainer import paths
from ollama_trainer.bridge.registry import CommandFailed, dispatch

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
LARGE_BODIES = {"upload_dataset": 33 * 1024 * 1024}  # a dataset's content, base of 32 MiB plus JSON
TOKEN_HEADER = "X-Ollama-Trainer-Token"
TOKEN_PLACEHOLDER = "%OT_TOKEN%"
SOCKET_TIMEOUT_S = 10.0


class BridgeServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # the stdlib's 5 resets connections when many clients open at once

    def __init__(self, commands: object, port: int = 0, web_dir: Path | None = None):
        self.commands = commands
        self.token = secrets.token_urlsafe(32)
        self.web_dir = (web_dir or paths.web_dir()).resolve()
        super().__init__(("127.0.0.1", port), _Handler)

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def allowed_hosts(self) -> set[str]:
        return {f"127.0.0.1:{self.port}", f"localhost:{self.port}"}

    def handle_error(self, request, client_address) -> None:
        # A client that hung up mid-request (or a slow one that timed out) is not our error and
        # goes to the debug log; anything else is a bug and goes to the app log whole. Never a
        # traceback on stderr, never one in a response.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            log.debug("request from %s ended early: %s", client_address, exc)
        else:
            log.error("request from %s failed", client_address, exc_info=True)

    def start_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="bridge-http", daemon=True)
        thread.start()
        return thread


class _DeadlineReader(io.RawIOBase):
    """The socket as a raw stream whose every receive waits at most until the handler's
    deadline: the per-operation socket timeout alone lets one byte every few seconds go on
    for ever."""

    def __init__(self, handler: "_Handler"):
        self._handler = handler

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        sock = self._handler.connection
        left = self._handler.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the request did not arrive in time")
        sock.settimeout(left)
        try:
            return sock.recv_into(buffer)
        finally:
            sock.settimeout(self._handler.timeout)


class _Handler(BaseHTTPRequestHandler):
    server: BridgeServer
    timeout = SOCKET_TIMEOUT_S
    server_version = "OllamaTrainer"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    deadline = 0.0

    def setup(self) -> None:
        super().setup()
        self.rfile = io.BufferedReader(_DeadlineReader(self))

    def handle_one_request(self) -> None:
        self.deadline = time.monotonic() + self.timeout  # for this request's line, headers and body
        super().handle_one_request()

    # -- plumbing ---------------------------------------------------------------------------
    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        log.debug("%s %s", self.address_string(), format % args)

    def send_error(self, code, message=None, explain=None) -> None:
        # The stdlib sends HTML; we always answer JSON.
        status = HTTPStatus(code)
        self._json(code, {"code": status.phrase.lower().replace(" ", "_"), "message": message or status.phrase})

    def _json(self, status: int, body: object, extra: dict | None = None) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self._send(status, data, "application/json; charset=utf-8", extra)

    def _send(self, status: int, data: bytes, ctype: str, extra: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _origin_ok(self) -> bool:
        host = self.headers.get("Host", "")
        if host not in self.server.allowed_hosts():
            return False
        origin = self.headers.get("Origin")
        if origin is not None:
            parts = urlsplit(origin)
            if parts.scheme != "http" or parts.netloc not in self.server.allowed_hosts():
                return False
        return True

    # -- GET: the page and its assets -------------------------------------------------------
    def do_GET(self) -> None:
        if not self._origin_ok():
            return self._json(403, {"code": "forbidden", "message": "foreign Host or Origin"})
        path = urlsplit(self.path).path
        if path.startswith("/api/"):
            return self._json(405, {"code": "method_not_allowed", "message": "use POST for commands"})
        if path in ("", "/", "/index.html"):
            return self._index()
        target = (self.server.web_dir / path.lstrip("/")).resolve()
        if not target.is_file() or self.server.web_dir not in target.parents:
            return self._json(404, {"code": "not_found", "message": f"no such file: {path[:200]}"})
        ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        self._send(200, target.read_bytes(), ctype)

    do_HEAD = do_GET

    def _index(self) -> None:
        index = self.server.web_dir / "index.html"
        if not index.is_file():
            return self._json(503, {"code": "ui_not_built", "message": "the UI is not built: run `make build`"})
        html = index.read_text(encoding="utf-8").replace(TOKEN_PLACEHOLDER, self.server.token)
        csp = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
               "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'")
        self._send(200, html.encode("utf-8"), "text/html; charset=utf-8", {"Content-Security-Policy": csp})

    # -- POST /api/<command> -----------------------------------------------------------------
    def do_POST(self) -> None:
        if not self._origin_ok():
            return self._json(403, {"code": "forbidden", "message": "foreign Host or Origin"})
        path = urlsplit(self.path).path
        if not path.startswith("/api/"):
            return self._json(404, {"code": "not_found", "message": "commands live under /api/"})
        token = self.headers.get(TOKEN_HEADER, "")
        if not hmac.compare_digest(token.encode(), self.server.token.encode()):
            return self._json(403, {"code": "forbidden", "message": "missing or wrong token"})
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return self._json(400, {"code": "bad_request", "message": "bad Content-Length"})
        limit = LARGE_BODIES.get(path[len("/api/"):], MAX_BODY)
        if length > limit or length < 0:
            self.close_connection = True
            return self._json(413, {"code": "too_large", "message": f"request body over {limit} bytes"})
        raw = self.rfile.read(length) if length else b""
        try:
            args = json.loads(raw.decode("utf-8")) if raw.strip() else {}
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return self._json(400, {"code": "malformed_json", "message": f"request body is not JSON: {exc}"})
        try:
            result = dispatch(self.server.commands, path[len("/api/"):], args)
        except CommandFailed as failed:
            return self._json(failed.status, failed.body())
        self._json(200, result)
