"""llama.cpp for the tests: runs llamacpp/engine.mjs (node-llama-cpp, prebuilt CPU build; the
same package folder gives the app its quantizer).

Each call is one `node engine.mjs` process that loads the model once and answers every item it
is given, so give a call all the items a test needs. Text is tokenized with special tokens
recognised and no BOS added; generation is greedy. `make setup` installs the engine
(`npm ci --omit=optional` in llamacpp/); `require()` fails a test when it is missing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

ENGINE_DIR = Path(__file__).resolve().parents[1] / "llamacpp"
ENGINE = ENGINE_DIR / "engine.mjs"
TIMEOUT_S = 180


class LlamaCppError(RuntimeError):
    """The engine refused a request or failed; the message names the problem."""


def available() -> str | None:
    """None when the engine can run, else why not."""
    if shutil.which("node") is None:
        return "node is not installed (Node 20 is needed for llamacpp/)"
    if not (ENGINE_DIR / "node_modules" / "node-llama-cpp").is_dir():
        return f"{ENGINE_DIR / 'node_modules'} is missing: run make test / make setup"
    return None


def require() -> None:
    """Fail (not skip) the calling test when the engine is unavailable: make test installs it."""
    reason = available()
    if reason is not None:
        import pytest

        pytest.fail(f"llama.cpp test engine unavailable: {reason}", pytrace=False)


def run(request: dict, timeout: float = TIMEOUT_S) -> dict:
    """Send one request to the engine; its reply. Raises LlamaCppError on any failure."""
    reason = available()
    if reason is not None:
        raise LlamaCppError(reason)
    try:
        proc = subprocess.run(["node", str(ENGINE)], input=json.dumps(request), capture_output=True,
                              text=True, timeout=timeout, cwd=str(ENGINE_DIR))
    except subprocess.TimeoutExpired as e:
        raise LlamaCppError(f"llama.cpp engine timed out after {timeout} s; stderr: {_tail(e.stderr)}") from None
    try:
        reply = json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise LlamaCppError(f"llama.cpp engine exited {proc.returncode} without a JSON reply; "
                            f"stdout: {proc.stdout[-500:]!r}; stderr: {_tail(proc.stderr)}") from None
    if proc.returncode != 0 or "error" in reply:
        raise LlamaCppError(f"llama.cpp: {reply.get('error', 'failed')} (exit {proc.returncode}); "
                            f"stderr: {_tail(proc.stderr)}")
    return reply


def tokenize(model: str | Path, texts: list[str]) -> list[list[int]]:
    """llama.cpp's token ids of each text (special tokens recognised, no BOS added)."""
    return run({"model": str(model), "tokenize": list(texts)})["tokens"]


def complete(model: str | Path, prompts: list[str], max_tokens: int = 24, *, bos: bool = False,
             until_end: bool = True) -> list[dict]:
    """Greedy continuation of each raw prompt: [{"tokens": [ids], "text": str}, ...]. With
    `bos`, the model's BOS token goes first when the model adds one (what Ollama's engine does
    with a rendered prompt); `until_end=False` goes on past an end token to max_tokens (a model
    of random weights may end at once)."""
    items = [{"prompt": p, "max_tokens": max_tokens, "bos": bos, "until_end": until_end} for p in prompts]
    return run({"model": str(model), "complete": items})["completions"]


def chat(model: str | Path, items: list[dict | str], max_tokens: int = 64) -> list[str]:
    """Greedy chat answers through the model's own chat template, a fresh history per item.

    An item is a user prompt, or {"prompt": str, "system": str | None}; with no system message
    the template's own default (if it has one) applies.
    """
    items = [{"system": None, "prompt": i} if isinstance(i, str) else {"system": i.get("system"), "prompt": i["prompt"]}
             for i in items]
    return run({"model": str(model), "chat": items, "max_tokens": max_tokens})["answers"]


def info(model: str | Path) -> dict:
    """The GGUF metadata llama.cpp read: architecture, file_type, chat_template, token_count,
    bos/eos token ids, adds_bos_token, parameters, ..."""
    return run({"model": str(model), "info": True})["info"]


def _tail(text: str | bytes | None, chars: int = 2000) -> str:
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    return (text or "").strip()[-chars:] or "(empty)"
