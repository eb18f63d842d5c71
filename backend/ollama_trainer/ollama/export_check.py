"""After an export: does Ollama answer as the trained model?

Three checks, on the first held-out prompt the run answered (samples.json):
1. `/api/show` knows the model;
2. `/api/chat` with `_debug_render_only` renders the prompt exactly as the trainer's chat
   template did (the prompt the run's own answer was generated from); a server without the
   option answers the chat instead, and the check says "not checked";
3. one greedy answer through Ollama (temperature 0) equals the app's own answer: the same
   text, or the same start where one of them was cut at the length limit.
A check that cannot run says so; only a real difference reads as "differs".
"""

from __future__ import annotations

import logging
from pathlib import Path

import httpx

from ollama_trainer.contracts import ExportCheck, SampleAnswer
from ollama_trainer.training.run_folder import RunFolder

log = logging.getLogger(__name__)
CHAT_TIMEOUT = httpx.Timeout(300.0, connect=5.0)
SAME_START_CHARS = 60  # answers that agree this far are the same answer cut at different lengths


def first_sample(run_dir: Path) -> SampleAnswer | None:
    samples = RunFolder(run_dir).samples()
    return samples[0] if samples else None


def _norm(text: str) -> str:
    return " ".join(text.split())


def same_answer(a: str, b: str) -> bool:
    a, b = _norm(a), _norm(b)
    if a == b:
        return True
    shorter = min(len(a), len(b))
    return shorter >= SAME_START_CHARS and (a.startswith(b) or b.startswith(a))


def check(client, host: str, model: str, sample: SampleAnswer | None, *, bos: str = "") -> ExportCheck:
    """`client` is the official ollama client for `host`; `bos` is the text the trainer's
    template starts with that Ollama's engine adds as a token instead (Gemma's <bos>)."""
    try:
        client.show(model)
    except Exception as exc:  # noqa: BLE001 - any failure means Ollama does not know it
        log.warning("export check: /api/show %s failed: %s", model, exc)
        return ExportCheck(known=False, rendered="not_checked", answer="not_checked",
                           message=f"Ollama does not show the model {model} after creating it; export again")
    if sample is None:
        return ExportCheck(known=True, rendered="not_checked", answer="not_checked",
                           message="Ollama knows the model; not checked further: the run has no held-out answers")
    messages = [{"role": "user", "content": sample.prompt}]
    expected = sample.prompt_text.removeprefix(bos) if sample.prompt_text else None
    rendered, rendered_prompt = _render_check(host, model, messages, expected)
    try:
        reply = client.chat(model=model, messages=messages, stream=False, options={"temperature": 0})
        ollama_answer = reply.message.content or ""
        answer = "same" if same_answer(ollama_answer, sample.after) else "differs"
    except Exception as exc:  # noqa: BLE001 - the model was created; say what could not be checked
        log.warning("export check: chat with %s failed: %s", model, exc)
        ollama_answer, answer = None, "not_checked"
    return ExportCheck(known=True, rendered=rendered, answer=answer, prompt=sample.prompt,
                       expected_prompt=expected, rendered_prompt=rendered_prompt,
                       app_answer=sample.after, ollama_answer=ollama_answer,
                       message=_message(rendered, answer))


def _render_check(host: str, model: str, messages: list[dict], expected: str | None) -> tuple[str, str | None]:
    if expected is None:
        return "not_checked", None
    try:
        response = httpx.post(f"{host}/api/chat", timeout=CHAT_TIMEOUT,
                              json={"model": model, "messages": messages, "stream": False,
                                    "_debug_render_only": True, "options": {"temperature": 0}})
        response.raise_for_status()
        rendered = (response.json().get("_debug_info") or {}).get("rendered_template")
    except (httpx.HTTPError, ValueError, AttributeError) as exc:
        log.warning("export check: rendering through %s failed: %s", model, exc)
        return "not_checked", None
    if not isinstance(rendered, str):
        return "not_checked", None  # a server before _debug_render_only answered the chat instead
    return ("same" if rendered == expected else "differs"), rendered


def _message(rendered: str, answer: str) -> str:
    if answer == "same" and rendered in ("same", "not_checked"):
        tail = "" if rendered == "same" else " (this Ollama cannot show its rendered prompt: not checked)"
        return "Ollama answers as the trained model" + tail
    parts = []
    if rendered == "differs":
        parts.append("Ollama builds the prompt differently from training (compare the two prompts)")
    if answer == "differs":
        parts.append("Ollama's answer differs from the app's answer to the same question")
    if answer == "not_checked":
        parts.append("Ollama did not answer the test question")
    return "; ".join(parts)
