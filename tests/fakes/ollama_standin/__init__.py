"""A protocol-faithful Ollama stand-in on loopback, for tests (see shared/reference/ollama-api.md).

It is a real HTTP server (ThreadingHTTPServer in a thread) that speaks Ollama's API: version,
tags, show, blobs (HEAD/POST with digest checks), create (JSON form, streamed ndjson or not),
chat, delete. It rejects what a real server rejects, with the same status codes and messages.

It follows today's Ollama (default version 0.35.0): from 0.34.1 on, `adapters` in a create is
refused ("LoRA adapters are deprecated ...", from 0.35 "LoRA adapters are no longer
supported"), so a fine-tune comes in only as a whole model through `files`: a model GGUF
(checked: magic, architecture, tokenizer, not a LoRA adapter) or a safetensors model folder
(config.json with an architecture Ollama converts). From 0.35 `quantize` with a GGUF import is
refused ("create-time quantization is only supported for safetensors imports; ..."); before,
it worked on F16/F32 sources. An older `version` (e.g. "0.12.11") still accepts adapters. Blobs
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

from tests.fakes.ollama_standin.server import OllamaStandin
from tests.fakes.ollama_standin.state import BASE_MODEL, CURRENT_VERSION, BlobStore, Recorded, StandinModel

__all__ = ["BASE_MODEL", "CURRENT_VERSION", "BlobStore", "OllamaStandin", "Recorded", "StandinModel"]
