"""A protocol-faithful Ollama stand-in on loopback, for tests (see shared/reference/ollama-api.md).

It is a real HTTP server (ThreadingHTTPServer in a thread) that speaks Ollama's API: version,
tags, show, blobs (HEAD/POST with digest checks), create (JSON form, streamed ndjson or not),
chat, delete. It rejects what a real server rejects, with the same status codes and messages.

It does NOT run a model: /api/chat answers deterministically with
"<model> says: <last user message>" (plus the system prompt in brackets when there is one), so a
test can tell which model answered which question, nothing more.

Every request is recorded in `requests` (method, path, json body, raw body size, Host header).
Fault knobs, plain attributes a test may set at any time:
- `version`: what GET /api/version reports (e.g. "0.5.1" for a too-old server);
- `legacy_create`: answer every create like a pre-0.5.5 server would, 400 "neither 'from' or
  'files' was specified";
- `fail_status`: {path: status}: answer that path with this status and {"error": "..."};
- `drop_upload`: close the connection halfway through a blob upload, without an answer;
- `delay_s`: sleep before answering any request;
- `create_error_after`: {"after": status text, "error": message}: an error line mid-stream;
- `malformed_line`: put a line that is not JSON into the create stream.

`chat_responder`: an optional callable (request dict, StandinModel) -> str | None; when it
returns a string, /api/chat answers with that content instead of the echo (a test teacher).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
MODEL_NAME = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9._-]*/)?[A-Za-z0-9][A-Za-z0-9._-]{0,79}(?::[A-Za-z0-9][A-Za-z0-9._-]{0,79})?$")
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]", "0.0.0.0"}
BASE_MODEL = "smollm2:135m"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _canonical(name: str) -> str:
    """'smollm2' -> 'smollm2:latest'; names compare case-insensitively."""
    name = name.strip().lower()
    return name if ":" in name.rsplit("/", 1)[-1] else name + ":latest"


@dataclass
class Recorded:
    method: str
    path: str
    json: object = None
    body_size: int = 0
    host: str = ""


@dataclass
class StandinModel:
    name: str
    parent: str = ""
    template: str = ""
    system: str = ""
    parameters: dict = field(default_factory=dict)
    adapters: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)
    digest: str = ""
    modified_at: str = field(default_factory=_now)


class OllamaStandin:
    def __init__(self, *, version: str = "0.12.11", models: tuple[str, ...] = (BASE_MODEL,), port: int = 0):
        self.version = version
        self._port = port  # 0: any free port; a fixed one lets a test bring Ollama "back" at an address
        self.blobs: dict[str, bytes] = {}
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

    def __enter__(self) -> "OllamaStandin":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

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
            return self._error(state.fail_status[path], "an internal error occurred (stand-in fault)")
        route = ROUTES.get((method, path))
        if route is None and path.startswith("/api/blobs/") and method in ("HEAD", "POST"):
            route = _blob_head if method == "HEAD" else _blob_post
        if route is None:
            return self._send_json(404, None) if method == "HEAD" else self._error(404, "404 page not found")
        if body and not is_upload and parsed is None:
            return self._error(400, "invalid character in request body")
        route(self, state, path, body, parsed)

    def do_GET(self):
        self._handle("GET")

    def do_HEAD(self):
        self._handle("HEAD")

    def do_POST(self):
        self._handle("POST")

    def do_DELETE(self):
        self._handle("DELETE")


# -- routes ------------------------------------------------------------------------------------
def _version(h: _Handler, s: OllamaStandin, path, body, req) -> None:
    h._send_json(200, {"version": s.version})


def _tags(h: _Handler, s: OllamaStandin, path, body, req) -> None:
    models = [{"name": m.name, "model": m.name, "modified_at": m.modified_at, "size": 1000, "digest": m.digest[7:],
               "details": _details(m)} for m in s.models.values()]
    h._send_json(200, {"models": models})


def _details(m: StandinModel) -> dict:
    return {"parent_model": m.parent, "format": "gguf", "family": "llama", "families": ["llama"],
            "parameter_size": "134.52M", "quantization_level": "F16"}


def _modelfile_text(m: StandinModel) -> str:
    lines = [f"FROM {m.parent or m.name}"]
    lines += [f"ADAPTER {d}" for d in m.adapters.values()]
    if m.template:
        lines.append(f'TEMPLATE """{m.template}"""')
    if m.system:
        lines.append(f'SYSTEM """{m.system}"""')
    for key, value in m.parameters.items():
        for v in value if isinstance(value, list) else [value]:
            lines.append(f"PARAMETER {key} {json.dumps(v) if isinstance(v, str) else v}")
    return "\n".join(lines) + "\n"


def _show(h: _Handler, s: OllamaStandin, path, body, req) -> None:
    if not isinstance(req, dict):
        return h._error(400, "missing request body")
    name = req.get("model") or req.get("name")
    if not name:
        return h._error(400, "model is required")
    m = s.find(name)
    if m is None:
        return h._error(404, f"model '{name}' not found")
    params = "\n".join(f"{k} {json.dumps(v) if isinstance(v, str) else v}" for k, vs in m.parameters.items()
                       for v in (vs if isinstance(vs, list) else [vs]))
    h._send_json(200, {"modelfile": _modelfile_text(m), "parameters": params, "template": m.template,
                       "system": m.system, "details": _details(m), "capabilities": ["completion"],
                       "model_info": {"general.architecture": "llama"}, "modified_at": m.modified_at})


def _digest_of(path: str) -> str:
    return path[len("/api/blobs/"):]


def _blob_head(h: _Handler, s: OllamaStandin, path, body, req) -> None:
    digest = _digest_of(path)
    if not DIGEST.match(digest):
        return h._error(400, "invalid digest format")
    h._send_json(200 if digest in s.blobs else 404, None)


def _blob_post(h: _Handler, s: OllamaStandin, path, body, req) -> None:
    digest = _digest_of(path)
    if not DIGEST.match(digest):
        return h._error(400, "invalid digest format")
    if digest in s.blobs:
        return h._send_json(200, None)
    got = "sha256:" + hashlib.sha256(body).hexdigest()
    if got != digest:
        return h._error(400, f'digest mismatch, expected "{digest}", got "{got}"')
    s.blobs[digest] = body
    h._send_json(201, None)


def _is_relative(name: str) -> bool:
    return bool(name) and not name.startswith(("/", "\\")) and ".." not in name.replace("\\", "/").split("/") \
        and not re.match(r"^[A-Za-z]:", name)


def _create(h: _Handler, s: OllamaStandin, path, body, req) -> None:
    if not isinstance(req, dict):
        return h._error(400, "missing request body")
    stream = req.get("stream", True) is not False
    if s.legacy_create:
        return h._error(400, "neither 'from' or 'files' was specified")
    name = req.get("model") or req.get("name") or ""
    if not MODEL_NAME.match(name):
        return h._error(400, "invalid model name")
    files, adapters = req.get("files") or {}, req.get("adapters") or {}
    if not req.get("from") and not files:
        return h._error(400, "neither 'from' or 'files' was specified")
    if not isinstance(files, dict) or not isinstance(adapters, dict):
        return h._error(400, "unknown type")
    for key in list(files) + list(adapters):
        if not _is_relative(key):
            return h._error(400, "file path must be relative")
    for digest in list(files.values()) + list(adapters.values()):
        if not isinstance(digest, str) or not DIGEST.match(digest):
            return h._error(400, "invalid digest format")
        if digest not in s.blobs:
            return h._error(400, f"blob {digest} not found: upload it first")
    if adapters:
        ggufs = [k for k in adapters if k.endswith(".gguf")]
        if ggufs and len(adapters) > 1:
            return h._error(400, "only one adapter is currently supported")
        if not ggufs:
            if "adapter_config.json" not in adapters:
                return h._error(400, "open adapter_config.json: file does not exist")
            try:
                config = json.loads(s.blobs[adapters["adapter_config.json"]])
                alpha = config.get("lora_alpha")
                if not isinstance(alpha, int) or isinstance(alpha, bool) or alpha < 0:
                    raise ValueError
            except (ValueError, AttributeError):
                return h._error(400, "json: cannot unmarshal number into Go struct field "
                                     "AdapterParameters.lora_alpha of type uint32")
            if not any(k.endswith(".safetensors") for k in adapters):
                return h._error(400, "unknown type")
    template = req.get("template")
    if template is not None and template.count("{{") != template.count("}}"):
        return h._error(400, "template error: unexpected EOF")

    base = s.find(req["from"]) if req.get("from") else None
    statuses: list[dict | str] = []
    if req.get("from") and base is None:
        error = "pull model manifest: file does not exist"
        if not stream:
            return h._error(500, error)
        h._start_stream()
        h._stream_line({"status": "pulling manifest"})
        h._stream_line({"error": error})
        return h._end_stream()
    if adapters:
        statuses.append({"status": "converting adapter"})
    layers = [json.dumps(v, sort_keys=True) for v in (adapters, template, req.get("system"), req.get("parameters")) if v]
    for layer in layers:
        statuses.append({"status": f"creating new layer sha256:{hashlib.sha256(layer.encode()).hexdigest()}"})
    statuses.append({"status": "writing manifest"})
    fault = s.create_error_after
    if not stream:
        if fault:
            return h._error(500, fault["error"])
        _store(s, name, req, base)
        return h._send_json(200, {"status": "success"})
    h._start_stream()
    for line in statuses:
        h._stream_line(line)
        if s.malformed_line and line is statuses[0]:
            h._stream_line("this is not json {")
        if fault and line["status"] == fault.get("after"):
            h._stream_line({"error": fault["error"]})
            return h._end_stream()
    _store(s, name, req, base)
    h._stream_line({"status": "success"})
    h._end_stream()


def _store(s: OllamaStandin, name: str, req: dict, base: StandinModel | None) -> None:
    params = dict(base.parameters) if base else {}
    params.update(req.get("parameters") or {})
    s.add_model(name, parent=base.name if base else "", template=req.get("template") or (base.template if base else ""),
                system=req.get("system") or (base.system if base else ""), parameters=params,
                adapters=dict(req.get("adapters") or {}), files=dict(req.get("files") or {}))


def _chat(h: _Handler, s: OllamaStandin, path, body, req) -> None:
    if not isinstance(req, dict):
        return h._error(400, "missing request body")
    name = req.get("model")
    if not name:
        return h._error(400, "model is required")
    m = s.find(name)
    if m is None:
        return h._error(404, f"model '{name}' not found")
    messages = req.get("messages") or []
    last_user = next((x.get("content", "") for x in reversed(messages) if x.get("role") == "user"), "")
    system = next((x.get("content") for x in messages if x.get("role") == "system"), None) or m.system
    answer = f"{m.name} says: {last_user}" + (f" [system: {system}]" if system else "")
    if s.chat_responder is not None:
        custom = s.chat_responder(req, m)
        if custom is not None:
            answer = custom
    done = {"model": m.name, "created_at": _now(), "message": {"role": "assistant", "content": ""}, "done": True,
            "done_reason": "stop", "total_duration": 1000, "eval_count": len(answer.split())}
    if req.get("stream", True) is False:
        done["message"]["content"] = answer
        return h._send_json(200, done)
    h._start_stream()
    for word in answer.split(" "):
        h._stream_line({"model": m.name, "created_at": _now(), "message": {"role": "assistant", "content": word + " "},
                        "done": False})
    h._stream_line(done)
    h._end_stream()


def _delete(h: _Handler, s: OllamaStandin, path, body, req) -> None:
    if not isinstance(req, dict) or not (req.get("model") or req.get("name")):
        return h._error(400, "model is required")
    name = req.get("model") or req.get("name")
    if s.find(name) is None:
        return h._error(404, f"model '{name}' not found")
    del s.models[_canonical(name)]
    h._send_json(200, None)


ROUTES = {
    ("GET", "/api/version"): _version,
    ("GET", "/api/tags"): _tags,
    ("POST", "/api/show"): _show,
    ("POST", "/api/create"): _create,
    ("POST", "/api/chat"): _chat,
    ("DELETE", "/api/delete"): _delete,
}
