"""The Ollama stand-in's server: OllamaStandin (lifecycle, state helpers, fault knobs) and the
HTTP handler that records each request, applies the fault knobs and hands it to its route."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.fakes.ollama_standin.create import _blob_head, _digest_of
from tests.fakes.ollama_standin.routes import ROUTES
from tests.fakes.ollama_standin.state import (BASE_MODEL, CURRENT_VERSION, DIGEST, LOCAL_HOSTS, BlobStore, Recorded,
                                              StandinModel, _canonical, _version_tuple)


class OllamaStandin:
    def __init__(self, *, version: str = CURRENT_VERSION, models: tuple[str, ...] = (BASE_MODEL,), port: int = 0):
        self.version = version
        self._port = port  # 0: any free port; a fixed one lets a test bring Ollama "back" at an address
        self.blobs = BlobStore()
        self.models: dict[str, StandinModel] = {}
        for name in models:
            self.add_model(name)
        self.requests: list[Recorded] = []
        self.lock = threading.Lock()
        # fault knobs
        self.legacy_create = False
        self.fail_status: dict[str, int] = {}
        self.drop_upload = False
        self.delay_s = 0.0
        self.create_error_after: dict | None = None
        self.malformed_line = False
        self.chat_responder = None
        self.engine = None
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> "OllamaStandin":
        standin = self

        class Handler(_Handler):
            server_state = standin

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="ollama-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def close(self) -> None:
        self.stop()
        self.blobs.cleanup()

    def __enter__(self) -> "OllamaStandin":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def at_least(self, version: tuple[int, int, int]) -> bool:
        try:
            return _version_tuple(self.version) >= version
        except ValueError:
            return True

    @property
    def port(self) -> int:
        assert self._server is not None, "the stand-in is not started"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- state helpers ------------------------------------------------------------------------
    def add_model(self, name: str, **kwargs) -> StandinModel:
        model = StandinModel(name=_canonical(name), **kwargs)
        model.digest = "sha256:" + hashlib.sha256(model.name.encode()).hexdigest()
        self.models[model.name] = model
        return model

    def find(self, name: str) -> StandinModel | None:
        return self.models.get(_canonical(name)) if name else None

    def calls(self, method: str | None = None, path: str | None = None) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests
                    if (method is None or r.method == method) and (path is None or r.path.startswith(path))]


class _Handler(BaseHTTPRequestHandler):
    server_state: OllamaStandin
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    # -- plumbing ---------------------------------------------------------------------------
    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            return self.rfile.read(length)
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        return b""

    def _send_json(self, status: int, body: object | None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data:
            self.wfile.write(data)

    def _error(self, status: int, message: str) -> None:
        self._send_json(status, {"error": message})

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _stream_line(self, obj: object | str) -> None:
        line = (obj if isinstance(obj, str) else json.dumps(obj)) + "\n"
        data = line.encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _handle(self, method: str) -> None:
        state = self.server_state
        path = self.path.split("?", 1)[0]
        host = (self.headers.get("Host") or "").strip()
        hostname = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
        is_upload = method == "POST" and path.startswith("/api/blobs/")
        if is_upload and state.drop_upload:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(max(1, length // 2))
            with state.lock:
                state.requests.append(Recorded(method, path, None, 0, host))
            self.close_connection = True
            self.connection.shutdown(2)  # RST-free close: the client sees the connection end
            return
        if is_upload:
            return self._upload(path, host)
        body = b"" if method in ("GET", "HEAD") else self._read_body()
        parsed = None
        if body and not is_upload:
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
        with state.lock:
            state.requests.append(Recorded(method, path, parsed, len(body), host))
        if state.delay_s:
            time.sleep(state.delay_s)
        if hostname.lower() not in LOCAL_HOSTS:
            return self._send_json(403, None)
        if path in state.fail_status:
            if method == "HEAD":  # a HEAD answer has no body
                return self._send_json(state.fail_status[path], None)
            return self._error(state.fail_status[path], "an internal error occurred (stand-in fault)")
        route = ROUTES.get((method, path))
        if route is None and path.startswith("/api/blobs/") and method in ("HEAD", "POST"):
            route = _blob_head
        if route is None:
            return self._send_json(404, None) if method == "HEAD" else self._error(404, "404 page not found")
        if body and not is_upload and parsed is None:
            return self._error(400, "invalid character in request body")
        route(self, state, path, body, parsed)

    def _upload(self, path: str, host: str) -> None:
        """POST /api/blobs/<digest>: the body goes to disk while it is hashed (a model is
        hundreds of MB)."""
        state = self.server_state
        length = int(self.headers.get("Content-Length") or 0)
        digest = _digest_of(path)
        tmp = state.blobs.root / f".upload-{threading.get_ident()}"
        sha = hashlib.sha256()
        size = 0
        with open(tmp, "wb") as out:
            for chunk in self._body_chunks(length):
                sha.update(chunk)
                out.write(chunk)
                size += len(chunk)
        with state.lock:
            state.requests.append(Recorded("POST", path, None, size, host))
        if state.delay_s:
            time.sleep(state.delay_s)
        hostname = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
        try:
            if hostname.lower() not in LOCAL_HOSTS:
                return self._send_json(403, None)
            if path in state.fail_status:
                return self._error(state.fail_status[path], "an internal error occurred (stand-in fault)")
            if not DIGEST.match(digest):
                return self._error(400, "invalid digest format")
            if digest in state.blobs:
                return self._send_json(200, None)
            got = "sha256:" + sha.hexdigest()
            if got != digest:
                return self._error(400, f'digest mismatch, expected "{digest}", got "{got}"')
            tmp.replace(state.blobs.path(digest))
            self._send_json(201, None)
        finally:
            tmp.unlink(missing_ok=True)

    def _body_chunks(self, length: int):
        if length:
            left = length
            while left > 0:
                chunk = self.rfile.read(min(left, 1 << 20))
                if not chunk:
                    return
                left -= len(chunk)
                yield chunk
        elif self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return
                yield self.rfile.read(size)
                self.rfile.readline()

    def do_GET(self):
        self._handle("GET")

    def do_HEAD(self):
        self._handle("HEAD")

    def do_POST(self):
        self._handle("POST")

    def do_DELETE(self):
        self._handle("DELETE")

