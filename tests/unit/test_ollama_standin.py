"""The stand-in rejects what a real Ollama rejects (shared/reference/ollama-api.md)."""

from __future__ import annotations

import hashlib
import json

import httpx
import pytest

from tests.fakes.fixtures import ollama_standin  # noqa: F401


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@pytest.fixture
def http(ollama_standin):
    with httpx.Client(base_url=ollama_standin.url, timeout=10) as c:
        yield c


@pytest.fixture
def old_server(ollama_standin):
    """A server from before 0.34.1, which still creates models with LoRA adapters."""
    ollama_standin.version = "0.12.11"
    return ollama_standin


def upload(http, data: bytes) -> str:
    d = digest(data)
    assert http.post(f"/api/blobs/{d}", content=data).status_code == 201
    return d


def adapter_blobs(http, alpha=8) -> dict:
    return {"adapter_model.safetensors": upload(http, b"tensors"),
            "adapter_config.json": upload(http, json.dumps({"lora_alpha": alpha, "r": 4}).encode())}


def lines(response) -> list[dict]:
    return [json.loads(x) for x in response.text.splitlines() if x.strip()]


def test_version_and_tags(http, ollama_standin):
    ollama_standin.version = "0.5.1"
    assert http.get("/api/version").json() == {"version": "0.5.1"}
    names = [m["name"] for m in http.get("/api/tags").json()["models"]]
    assert names == ["smollm2:135m"]


def test_show_errors(http):
    r = http.post("/api/show", json={"model": "nope"})
    assert (r.status_code, r.json()) == (404, {"error": "model 'nope' not found"})
    r = http.post("/api/show", json={})
    assert (r.status_code, r.json()) == (400, {"error": "model is required"})
    assert http.post("/api/show", json={"model": "smollm2:135m"}).json()["details"]["family"] == "llama"


def test_blob_digest_checks(http, ollama_standin):
    r = http.post("/api/blobs/sha256:abc", content=b"x")
    assert (r.status_code, r.json()) == (400, {"error": "invalid digest format"})
    r = http.post("/api/blobs/md5:" + "0" * 64, content=b"x")
    assert r.status_code == 400
    wrong = digest(b"other")
    r = http.post(f"/api/blobs/{wrong}", content=b"data")
    assert r.status_code == 400
    assert r.json()["error"] == f'digest mismatch, expected "{wrong}", got "{digest(b"data")}"'
    d = digest(b"data")
    assert http.head(f"/api/blobs/{d}").status_code == 404
    assert http.post(f"/api/blobs/{d}", content=b"data").status_code == 201
    assert http.post(f"/api/blobs/{d}", content=b"data").status_code == 200
    assert http.head(f"/api/blobs/{d}").status_code == 200
    assert ollama_standin.blobs[d] == b"data"


def test_create_rejects_old_and_invalid_requests(old_server, http):
    r = http.post("/api/create", json={"model": "x", "modelfile": "FROM smollm2:135m"})
    assert (r.status_code, r.json()["error"]) == (400, "neither 'from' or 'files' was specified")
    r = http.post("/api/create", json={"model": "bad name!", "from": "smollm2:135m"})
    assert (r.status_code, r.json()["error"]) == (400, "invalid model name")
    r = http.post("/api/create", content=b"")
    assert (r.status_code, r.json()["error"]) == (400, "missing request body")
    blobs = adapter_blobs(http)
    r = http.post("/api/create", json={"model": "x", "from": "smollm2:135m",
                                       "adapters": {"/abs/adapter_config.json": blobs["adapter_config.json"]}})
    assert (r.status_code, r.json()["error"]) == (400, "file path must be relative")
    r = http.post("/api/create", json={"model": "x", "from": "smollm2:135m",
                                       "adapters": {"../adapter_config.json": blobs["adapter_config.json"]}})
    assert r.json()["error"] == "file path must be relative"
    r = http.post("/api/create", json={"model": "x", "from": "smollm2:135m",
                                       "adapters": {"adapter_model.safetensors": blobs["adapter_model.safetensors"]}})
    assert (r.status_code, r.json()["error"]) == (400, "open adapter_config.json: file does not exist")
    r = http.post("/api/create", json={"model": "x", "from": "smollm2:135m",
                                       "adapters": {**blobs, "adapter_model.safetensors": digest(b"never uploaded")}})
    assert r.status_code == 400 and "not found" in r.json()["error"]


def test_create_rejects_a_float_lora_alpha(old_server, http):
    blobs = {"adapter_model.safetensors": upload(http, b"t"),
             "adapter_config.json": upload(http, b'{"lora_alpha": 16.0}')}
    r = http.post("/api/create", json={"model": "x", "from": "smollm2:135m", "adapters": blobs})
    assert r.status_code == 400 and "uint32" in r.json()["error"]


def test_create_with_missing_base_streams_an_error(old_server, http, ollama_standin):
    blobs = adapter_blobs(http)
    r = http.post("/api/create", json={"model": "x", "from": "llama9:1b", "adapters": blobs})
    assert r.status_code == 200
    assert lines(r) == [{"status": "pulling manifest"}, {"error": "pull model manifest: file does not exist"}]
    r = http.post("/api/create", json={"model": "x", "from": "llama9:1b", "adapters": blobs, "stream": False})
    assert (r.status_code, r.json()["error"]) == (500, "pull model manifest: file does not exist")
    assert ollama_standin.find("x") is None


def test_create_streams_statuses_then_the_model_exists(old_server, http, ollama_standin):
    blobs = adapter_blobs(http)
    r = http.post("/api/create", json={"model": "my-ft", "from": "smollm2:135m", "adapters": blobs,
                                       "template": "{{ .Prompt }}", "system": "Be brief.",
                                       "parameters": {"temperature": 0.2, "stop": ["<|im_end|>"]}})
    assert r.headers["content-type"] == "application/x-ndjson"
    statuses = [x["status"] for x in lines(r)]
    assert statuses[0] == "converting adapter"
    assert any(s.startswith("creating new layer sha256:") for s in statuses)
    assert statuses[-2:] == ["writing manifest", "success"]
    shown = http.post("/api/show", json={"model": "my-ft"}).json()
    assert shown["template"] == "{{ .Prompt }}" and shown["details"]["parent_model"] == "smollm2:135m"
    assert 'stop "<|im_end|>"' in shown["parameters"]
    r = http.post("/api/create", json={"model": "other", "from": "my-ft", "stream": False})
    assert (r.status_code, r.json()) == (200, {"status": "success"})


def test_chat_answers_from_the_model_and_404s_unknown(http, ollama_standin):
    r = http.post("/api/chat", json={"model": "ghost", "messages": [{"role": "user", "content": "hi"}], "stream": False})
    assert (r.status_code, r.json()) == (404, {"error": "model 'ghost' not found"})
    r = http.post("/api/chat", json={"model": "smollm2:135m", "stream": False,
                                     "messages": [{"role": "user", "content": "Who are you?"}]})
    body = r.json()
    assert body["done"] is True and body["message"]["content"] == "smollm2:135m says: Who are you?"
    r = http.post("/api/chat", json={"model": "smollm2:135m", "messages": [{"role": "user", "content": "a b"}]})
    chunks = lines(r)
    assert [c["done"] for c in chunks] == [False] * (len(chunks) - 1) + [True]


def test_delete(http, ollama_standin):
    assert http.request("DELETE", "/api/delete", json={"model": "ghost"}).status_code == 404
    assert http.request("DELETE", "/api/delete", json={"model": "smollm2:135m"}).status_code == 200
    assert ollama_standin.find("smollm2:135m") is None


def test_non_local_host_header_is_forbidden(ollama_standin):
    r = httpx.get(ollama_standin.url + "/api/version", headers={"Host": "evil.example:11434"})
    assert r.status_code == 403
    assert httpx.get(ollama_standin.url + "/api/version", headers={"Host": "localhost:11434"}).status_code == 200


def test_records_requests(http, ollama_standin):
    http.post("/api/show", json={"model": "smollm2:135m"})
    (call,) = ollama_standin.calls("POST", "/api/show")
    assert call.json == {"model": "smollm2:135m"}


def test_fault_knobs(old_server, http, ollama_standin):
    ollama_standin.fail_status["/api/version"] = 500
    assert http.get("/api/version").status_code == 500
    ollama_standin.fail_status.clear()
    ollama_standin.create_error_after = {"after": "converting adapter", "error": "boom"}
    ollama_standin.malformed_line = True
    r = http.post("/api/create", json={"model": "m", "from": "smollm2:135m", "adapters": adapter_blobs(http)})
    raw = r.text.splitlines()
    assert raw[:3] == ['{"status": "converting adapter"}', "this is not json {", '{"error": "boom"}']
    assert ollama_standin.find("m") is None
    ollama_standin.drop_upload = True
    with pytest.raises(httpx.HTTPError):
        http.post(f"/api/blobs/{digest(b'x' * 100000)}", content=b"x" * 100000)


# -- today's Ollama: whole models only --------------------------------------------------------
from tests.fakes import tiny_gguf  # noqa: E402


def upload_file(http, path) -> str:
    data = path.read_bytes()
    d = digest(data)
    assert http.post(f"/api/blobs/{d}", content=data).status_code in (200, 201)
    return d


def test_a_current_server_refuses_adapters(http, ollama_standin):
    assert ollama_standin.version == "0.35.0"
    adapters = adapter_blobs(http)
    r = http.post("/api/create", json={"model": "x", "from": "smollm2:135m", "adapters": adapters})
    assert r.status_code == 400 and r.json()["error"] == "LoRA adapters are no longer supported"
    ollama_standin.version = "0.34.1"
    r = http.post("/api/create", json={"model": "x", "from": "smollm2:135m", "adapters": adapters})
    assert r.status_code == 400 and "LoRA adapters are deprecated" in r.json()["error"]


def test_a_current_server_refuses_to_quantize_a_gguf_import(http, ollama_standin, tmp_path):
    tiny_gguf.write_model(tmp_path / "m.gguf", arch="qwen2", file_type="F16")
    d = upload_file(http, tmp_path / "m.gguf")
    r = http.post("/api/create", json={"model": "q", "files": {"model.gguf": d}, "quantize": "q4_K_M"})
    assert r.status_code == 400 and r.json()["error"].startswith("create-time quantization is only supported")
    ollama_standin.version = "0.34.2"  # older servers quantized an F16 GGUF themselves
    r = http.post("/api/create", json={"model": "q", "files": {"model.gguf": d}, "quantize": "q4_K_M",
                                       "stream": False})
    assert r.status_code == 200


def test_create_from_a_model_gguf_and_show_reads_it(http, ollama_standin, tmp_path):
    tiny_gguf.write_model(tmp_path / "m.gguf", arch="qwen2")
    d = upload_file(http, tmp_path / "m.gguf")
    r = http.post("/api/create", json={"model": "mine", "files": {"model.gguf": d}, "template": "{{ .Prompt }}",
                                       "parameters": {"stop": ["<|im_end|>"]}})
    statuses = [x["status"] for x in lines(r)]
    assert statuses[0] == "parsing GGUF" and f"using existing layer {d}" in statuses and statuses[-1] == "success"
    details = http.post("/api/show", json={"model": "mine"}).json()["details"]
    assert (details["family"], details["quantization_level"]) == ("qwen2", "F32")
    assert ollama_standin.find("mine").gguf == ollama_standin.blobs.path(d)


@pytest.mark.parametrize("make, error", [
    (lambda p: p.write_bytes(b"not a gguf at all"), "invalid file magic"),
    (lambda p: tiny_gguf.write_lora(p), "LoRA adapter, not a model"),
    (lambda p: tiny_gguf.write_model(p, tokenizer=False), "no tokenizer"),
])
def test_create_refuses_a_gguf_that_is_not_a_model(http, tmp_path, make, error):
    make(tmp_path / "m.gguf")
    r = http.post("/api/create", json={"model": "x", "files": {"model.gguf": upload_file(http, tmp_path / "m.gguf")}})
    assert r.status_code == 400 and error in r.json()["error"]


def test_quantize_needs_a_float_source(http, ollama_standin, tmp_path):
    ollama_standin.version = "0.34.2"  # before 0.35, which refuses to quantize any GGUF import
    tiny_gguf.write_model(tmp_path / "f.gguf")
    tiny_gguf.write_model(tmp_path / "q.gguf", file_type="Q8_0", seed=2)
    r = http.post("/api/create", json={"model": "fq", "quantize": "q4_K_M", "stream": False,
                                       "files": {"model.gguf": upload_file(http, tmp_path / "f.gguf")}})
    assert r.json() == {"status": "success"}
    assert http.post("/api/show", json={"model": "fq"}).json()["details"]["quantization_level"] == "Q4_K_M"
    r = http.post("/api/create", json={"model": "qq", "quantize": "q4_K_M",
                                       "files": {"model.gguf": upload_file(http, tmp_path / "q.gguf")}})
    assert r.status_code == 400 and "only supported for F16 and F32" in r.json()["error"]
    r = http.post("/api/create", json={"model": "bad", "quantize": "q9",
                                       "files": {"model.gguf": upload_file(http, tmp_path / "f.gguf")}})
    assert r.status_code == 400 and "unsupported quantization type" in r.json()["error"]


def test_a_safetensors_folder_needs_an_architecture_ollama_converts(http):
    files = {"model.safetensors": upload(http, b"weights"), "tokenizer.json": upload(http, b"{}"),
             "config.json": upload(http, json.dumps({"architectures": ["LlamaForCausalLM"], "model_type": "llama"}).encode())}
    r = http.post("/api/create", json={"model": "st", "files": files, "stream": False})
    assert r.json() == {"status": "success"}
    files["config.json"] = upload(http, json.dumps({"architectures": ["MambaForCausalLM"]}).encode())
    r = http.post("/api/create", json={"model": "st2", "files": files})
    assert (r.status_code, r.json()["error"]) == (400, "unsupported architecture")


def test_debug_render_only_renders_the_template_as_go_does(http, ollama_standin):
    ollama_standin.add_model("chatml", system="Be brief.", template=(
        "{{- if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n{{ end }}"
        "{{- range .Messages }}{{- if ne .Role \"system\" }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n"
        "{{ end }}{{- end }}<|im_start|>assistant\n"))
    body = {"model": "chatml", "messages": [{"role": "user", "content": "Hi"}], "_debug_render_only": True,
            "stream": False}
    rendered = http.post("/api/chat", json=body).json()["_debug_info"]["rendered_template"]
    assert rendered == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    ollama_standin.version = "0.11.4"  # before the debug option: the model answers instead
    assert "_debug_info" not in http.post("/api/chat", json=body).json()


def test_an_engine_answers_from_the_rendered_prompt(http, ollama_standin, tmp_path):
    tiny_gguf.write_model(tmp_path / "m.gguf")
    d = upload_file(http, tmp_path / "m.gguf")
    http.post("/api/create", json={"model": "eng", "files": {"model.gguf": d}, "template": "Q: {{ .Prompt }} A:",
                                   "stream": False})
    seen = []
    ollama_standin.engine = lambda model, prompt, req: seen.append((model.gguf, prompt)) or "forty-two"
    r = http.post("/api/chat", json={"model": "eng", "messages": [{"role": "user", "content": "6*7?"}], "stream": False})
    assert r.json()["message"]["content"] == "forty-two"
    assert seen == [(ollama_standin.blobs.path(d), "Q: 6*7? A:")]
