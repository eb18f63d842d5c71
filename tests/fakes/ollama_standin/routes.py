"""The stand-in's routes: version, tags, show, chat, delete, and the table the handler
dispatches by (create and blobs are in create.py)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.fakes.ollama_standin.server import OllamaStandin, _Handler

from tests.fakes.ollama_standin.create import _create
from tests.fakes.ollama_standin.state import DEBUG_RENDER_SINCE, StandinModel, _canonical, _now


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
