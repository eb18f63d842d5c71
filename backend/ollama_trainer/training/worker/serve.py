"""A model kept loaded for questions (the window's Try it): one base model, optionally with a
run's adapter, answering JSON-line requests on stdin until stdin closes.

    python -m ollama_trainer.training.worker serve --base-model M --models-dir D [--adapter DIR] [--system S]

stdout: first `{"ready": true, "load_s": ...}`, then one reply per request:
    in:  {"id": 1, "prompt": "...", "with_adapter": true, "max_new_tokens": 64}
    out: {"id": 1, "answer": "...", "seconds": 1.2}   or   {"id": 1, "error": "..."}
With `"stream": true` the answer so far comes first, several times, as it grows:
    {"id": 1, "answer": "The sky", "partial": true}
`with_adapter: false` answers with the very base model (the LoRA and any trained token rows off).

Imports torch: worker process only.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from pathlib import Path

from ollama_trainer.protocol import ServeReady, ServeReply, ServeRequest


def serve(args) -> int:
    import torch

    from ollama_trainer.training.worker import base_models, token_rows
    from ollama_trainer.training.worker.generation import generate

    t0 = time.monotonic()
    try:
        model, tokenizer = base_models.load_for_answers(args.base_model, Path(args.models_dir), args.adapter)
    except Exception as exc:  # noqa: BLE001 - one reply line either way
        _say(ServeReady(ready=False, error=str(exc)))
        return 1
    _say(ServeReady(ready=True, load_s=round(time.monotonic() - t0, 2)))
    for line in sys.stdin:
        try:
            request = ServeRequest.model_validate_json(line)
        except ValueError:
            continue
        started = time.monotonic()
        try:
            use_adapter = request.with_adapter and args.adapter
            off = contextlib.nullcontext() if use_adapter or not args.adapter else token_rows.base_only(model)
            with torch.no_grad(), off:
                asked = [*request.history, {"role": "user", "content": request.prompt}]
                made = generate(model, tokenizer, [asked], system=args.system, max_new_tokens=request.max_new_tokens,
                                temperature=request.temperature, seed=request.seed,
                                on_text=_Partials(request.id) if request.stream else None)[0]
            _say(ServeReply(id=request.id, answer=made.text, cut=made.cut,
                            seconds=round(time.monotonic() - started, 2)))
        except Exception as exc:  # noqa: BLE001 - the server keeps serving
            _say(ServeReply(id=request.id, error=f"{type(exc).__name__}: {exc}"))
    return 0


class _Partials:
    """Says the answer so far when it has changed, at most every STREAM_EVERY_S."""

    def __init__(self, rid: int):
        self.rid, self.said, self.at = rid, "", 0.0

    def __call__(self, text: str) -> None:
        now = time.monotonic()
        if text != self.said and now - self.at >= STREAM_EVERY_S:
            self.said, self.at = text, now
            _say(ServeReply(id=self.rid, answer=text, partial=True))


STREAM_EVERY_S = 0.1


def _say(reply: ServeReady | ServeReply) -> None:
    print(json.dumps(reply.model_dump(exclude_none=True), ensure_ascii=False), flush=True)
