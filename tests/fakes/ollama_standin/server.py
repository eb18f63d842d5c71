"""A protocol-faithful Ollama stand-in on loopback, for tests (see shared/reference/ollama-api.md).

It is a real HTTP server (ThreadingHTTPServer in a thread) that speaks Ollama's API: version,
tags, show, blobs (HEAD/POST with digest checks), create (JSON form, streamed ndjson or not),
chat, delete. It rejects what a real server rejects, with the same status codes and messages.

It follows today's Ollama (default version 0.35.0): from 0.34.1 on, `adapters` in a create is
refused ("LoRA adapters are deprecated ..."), so a fine-tune comes in only as a whole model
through `files`: a model GGUF (checked: magic, architecture, tokenizer, not a LoRA adapter) or
a safetensors model folder (config.json with an architecture Ollama converts). `quantize`
works on F16/F32 sources. An older `version` (e.g. "0.12.11") still accepts adapters. Blobs
are kept on disk, as Ollama keeps them. `/api/show` reports the family, size and quantization
read from the model's GGUF.

By default it does NOT run a model: /api/chat answers deterministically with
"<model> says: <last user message>" (plus the system prompt in brackets when there is one), so a
test can tell which model answered which question, nothing more. From 0.12 on,
`_debug_render_only` returns the prompt rendered by the model's TEMPLATE with Go's
text/template, as Ollama renders it (tests/fakes/gotemplate.py). With `engine` set (a callable
(model, rendered prompt, request) -> str, e.g. llama.cpp on the model's GGUF blob), chat
renders the prompt the same way and answers through it: then the stand-in is Ollama with the
real engine under it.

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

`engine`: see above. `chat_responder`: an optional callable (request dict, StandinModel) -> str | None; when it
returns a string, /api/chat answers with that content instead of the echo (a test teacher).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
MODEL_NAME = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9._-]*/)?[A-Za-z0-9][A-Za-z0-9._-]{0,79}(?::[A-Za-z0-9][A-Za-z0-9._-]{0,79})?$")
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]", "0.0.0.0"}
BASE_MODEL = "smollm2:135m"
CURRENT_VERSION = "0.35.0"
NO_ADAPTERS_SINCE = (0, 34, 1)
DEBUG_RENDER_SINCE = (0, 12, 0)
ADAPTERS_REFUSED = "LoRA adapters are deprecated; the adapter layer is carried over but new adapters cannot be created"
# config.json architectures Ollama's safetensors converter handles (convert/convert.go)
CONVERTIBLE = {"LlamaForCausalLM", "MistralForCausalLM", "GemmaForCausalLM", "Gemma2ForCausalLM",
               "Gemma3ForCausalLM", "Gemma3ForConditionalGeneration", "Qwen2ForCausalLM", "Qwen3ForCausalLM",
               "Phi3ForCausalLM", "MixtralForCausalLM"}
QUANTIZE_TYPES = {"q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "q3_k_s", "q3_k_m", "q3_k_l", "q4_k_s", "q4_k_m", "q5_k_s",
                  "q5_k_m", "q6_k"}


def _version_tuple(text: str) -> tuple[int, int, int]:
    parts = (text.strip().lstrip("v").split("-")[0].split(".") + ["0", "0"])[:3]
    return tuple(int(p) for p in parts)  # type: ignore[return-value]


class BlobStore:
    """Blobs as files in a folder of their own (like ~/.ollama/models/blobs), by digest."""

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="ollama-standin-blobs-"))

    def path(self, digest: str) -> Path:
        return self.root / digest.replace(":", "-")

    def __contains__(self, digest: str) -> bool:
        return self.path(digest).is_file()

    def __getitem__(self, digest: str) -> bytes:
        return self.path(digest).read_bytes()

    def __setitem__(self, digest: str, data: bytes) -> None:
        self.path(digest).write_bytes(data)

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


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
    gguf: Path | None = None  # the model's GGUF blob, when it was created from one
    architecture: str = "llama"
    parameter_size: str = "134.52M"
    quantization: str = "F16"


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


# -- routes ------------------------------------------------------------------------------------
def _version(h: _Handler, s: OllamaStandin, path, body, req) -> None:
    h._send_json(200, {"version": s.version})


def _tags(h: _Handler, s: OllamaStandin, path, body, req) -> None:
    models = [{"name": m.name, "model": m.name, "modified_at": m.modified_at, "size": 1000, "digest": m.digest[7:],
               "details": _details(m)} for m in s.models.values()]
    h._send_json(200, {"models": models})


def _details(m: StandinModel) -> dict:
    return {"parent_model": m.parent, "format": "gguf", "family": m.architecture, "families": [m.architecture],
            "parameter_size": m.parameter_size, "quantization_level": m.quantization}


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
                       "model_info": {"general.architecture": m.architecture}, "modified_at": m.modified_at})


def _digest_of(path: str) -> str:
    return path[len("/api/blobs/"):]


def _blob_head(h: _Handler, s: OllamaStandin, path, body, req) -> None:
    digest = _digest_of(path)
    if not DIGEST.match(digest):
        return h._error(400, "invalid digest format")
    h._send_json(200 if digest in s.blobs else 404, None)


def _is_relative(name: str) -> bool:
    return bool(name) and not name.startswith(("/", "\\")) and ".." not in name.replace("\\", "/").split("/") \
        and not re.match(r"^[A-Za-z]:", name)


def _gguf_facts(path: Path) -> dict | str:
    """What Ollama's GGUF decoder learns from a model file, or why it refuses it. Read with
    gguf-py's own reader: independent of the app's parser."""
    import gguf

    with open(path, "rb") as f:
        if f.read(4) != b"GGUF":
            return "invalid file magic"
    try:
        reader = gguf.GGUFReader(str(path))
    except Exception as exc:  # noqa: BLE001 - any decoding failure is a refused file
        return f"invalid GGUF file: {exc}"

    def value(key):
        fld = reader.fields.get(key)
        return fld.contents() if fld is not None else None

    if value("general.type") == "adapter" or value("adapter.type"):
        return "the GGUF file is a LoRA adapter, not a model: adapters cannot be created"
    arch = value("general.architecture")
    if not arch:
        return "the GGUF file has no general.architecture"
    if value("tokenizer.ggml.tokens") is None:
        return "the GGUF file has no tokenizer"
    n = sum(int(t.n_elements) for t in reader.tensors)
    size = f"{n / 1e9:.2f}B" if n >= 1e9 else f"{n / 1e6:.2f}M"
    try:
        quant = gguf.LlamaFileType(value("general.file_type")).name.removeprefix("MOSTLY_").removeprefix("ALL_")
    except (ValueError, TypeError):
        quant = "unknown"
    return {"architecture": arch, "parameter_size": size, "quantization": quant}


def _check_files(s: OllamaStandin, files: dict) -> dict | str:
    """A GGUF model file or a safetensors model folder, as Ollama's create accepts them."""
    ggufs = [k for k in files if k.endswith(".gguf")]
    if ggufs:
        if len(ggufs) > 1:
            return "only one GGUF model file is supported"
        facts = _gguf_facts(s.blobs.path(files[ggufs[0]]))
        if isinstance(facts, str):
            return facts
        return {**facts, "gguf": s.blobs.path(files[ggufs[0]])}
    if "config.json" not in files:
        return "open config.json: file does not exist"
    try:
        config = json.loads(s.blobs[files["config.json"]])
    except ValueError:
        return "invalid config.json"
    archs = set(config.get("architectures") or [])
    if not archs & CONVERTIBLE:
        return "unsupported architecture"
    if not any(k.endswith(".safetensors") for k in files):
        return "no safetensors files"
    if not any(k in files for k in ("tokenizer.json", "tokenizer.model")):
        return "open tokenizer.json: file does not exist"
    return {"architecture": str(config.get("model_type") or "llama"), "parameter_size": "unknown",
            "quantization": str(config.get("torch_dtype") or config.get("dtype") or "F16").upper().replace("FLOAT", "F"),
            "converted": True}


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
    if adapters and s.at_least(NO_ADAPTERS_SINCE):
        return h._error(400, ADAPTERS_REFUSED)
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
    facts = None
    if files:
        facts = _check_files(s, files)
        if isinstance(facts, str):
            return h._error(400, facts)
    quantize = req.get("quantize")
    if quantize:
        if str(quantize).lower() not in QUANTIZE_TYPES:
            return h._error(400, f"unsupported quantization type {quantize}")
        if facts is None or facts["quantization"] not in ("F16", "F32", "BF16"):
            return h._error(400, "quantization is only supported for F16 and F32 models")
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
    if facts is not None:
        statuses.append({"status": "converting model" if facts.get("converted") else "parsing GGUF"})
    if quantize:
        statuses.append({"status": f"quantizing {facts['quantization']} model to {str(quantize).upper()}"})
        facts = {**facts, "quantization": str(quantize).upper()}
    if adapters:
        statuses.append({"status": "converting adapter"})
    for digest in files.values():
        statuses.append({"status": f"using existing layer {digest}"})
    layers = [json.dumps(v, sort_keys=True) for v in (adapters, template, req.get("system"), req.get("parameters")) if v]
    for layer in layers:
        statuses.append({"status": f"creating new layer sha256:{hashlib.sha256(layer.encode()).hexdigest()}"})
    statuses.append({"status": "writing manifest"})
    fault = s.create_error_after
    if not stream:
        if fault:
            return h._error(500, fault["error"])
        _store(s, name, req, base, facts)
        return h._send_json(200, {"status": "success"})
    h._start_stream()
    for line in statuses:
        h._stream_line(line)
        if s.malformed_line and line is statuses[0]:
            h._stream_line("this is not json {")
        if fault and line["status"] == fault.get("after"):
            h._stream_line({"error": fault["error"]})
            return h._end_stream()
    _store(s, name, req, base, facts)
    h._stream_line({"status": "success"})
    h._end_stream()


def _store(s: OllamaStandin, name: str, req: dict, base: StandinModel | None, facts: dict | None) -> None:
    params = dict(base.parameters) if base else {}
    params.update(req.get("parameters") or {})
    extra = {}
    if facts is not None:
        extra = {"architecture": facts["architecture"], "parameter_size": facts["parameter_size"],
                 "quantization": facts["quantization"], "gguf": facts.get("gguf")}
    elif base is not None:
        extra = {"architecture": base.architecture, "parameter_size": base.parameter_size,
                 "quantization": base.quantization, "gguf": base.gguf}
    s.add_model(name, parent=base.name if base else "", template=req.get("template") or (base.template if base else ""),
                system=req.get("system") or (base.system if base else ""), parameters=params,
                adapters=dict(req.get("adapters") or {}), files=dict(req.get("files") or {}), **extra)


def _chat_messages(m: StandinModel, req: dict) -> list[dict]:
    return [{"role": x.get("role", ""), "content": x.get("content", "")} for x in req.get("messages") or []]


def _render(m: StandinModel, req: dict) -> str:
    """The prompt as Ollama renders it: the TEMPLATE run by Go's text/template."""
    from tests.fakes import gotemplate

    return gotemplate.render(m.template or "{{ .Prompt }}", m.system or None, _chat_messages(m, req))


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
    if req.get("_debug_render_only") and s.at_least(DEBUG_RENDER_SINCE):
        try:
            rendered = _render(m, req)
        except ValueError as exc:
            return h._error(500, str(exc))
        return h._send_json(200, {"model": m.name, "created_at": _now(),
                                  "message": {"role": "assistant", "content": ""}, "done": True,
                                  "_debug_info": {"rendered_template": rendered}})
    last_user = next((x.get("content", "") for x in reversed(messages) if x.get("role") == "user"), "")
    system = next((x.get("content") for x in messages if x.get("role") == "system"), None) or m.system
    answer = f"{m.name} says: {last_user}" + (f" [system: {system}]" if system else "")
    if s.engine is not None and m.gguf is not None:
        answer = s.engine(m, _render(m, req), req)
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
