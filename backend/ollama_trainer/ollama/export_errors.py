"""What a failure of the Ollama client during an export means for the person: each exception
raised while uploading the model file or creating the model, as a stable error code and a
message that says what to do (export.py writes it into the export's state)."""

from __future__ import annotations

import json
from typing import Callable

import httpx

from ollama_trainer.errors import DomainError
from ollama_trainer.ollama import blobs
from ollama_trainer.ollama import client as oc

TOO_OLD_ANSWER = "neither 'from' or 'files' was specified"


def translate(exc: Exception, name: str, host: str, statuses: list[str], fail: Callable[[str, str], DomainError]) -> DomainError:
    """`exc`, raised while uploading or creating `name` (`statuses`: what /api/create said so
    far), as `fail(code, message)` gives it: the export's coded error, state written."""
    import ollama

    if isinstance(exc, blobs.UploadFailed):
        return fail("ollama_upload_failed", f"Ollama at {host} refused the model file ({exc}); check its disk space "
                    "and log, then export again")
    if isinstance(exc, ollama.ResponseError):
        error = str(exc.error)
        if TOO_OLD_ANSWER in error:
            return fail("ollama_too_old", f"Ollama at {host} does not understand creating a model from files "
                        f"({error}): upgrade Ollama to 0.5.5 or newer")
        where = f"HTTP {exc.status_code}: " if exc.status_code and exc.status_code > 0 else ""
        if "unsupported architecture" in error or "unsupported MLX architecture" in error:
            hint = "this Ollama cannot convert the base's architecture; use a base read from a GGUF"
        elif "create-time quantization" in error:
            hint = "this Ollama quantizes only safetensors imports: the app quantizes GGUF files itself, so " \
                   "export again (and update the app if this persists)"
        elif "adapters" in error.lower():
            hint = "this Ollama takes no LoRA adapters: the app sends the merged model, so export again " \
                   "(and update the app if this persists)"
        elif "quantiz" in error:
            hint = "export again as F16"
        else:
            hint = "check the Ollama server log, then export again"
        return fail("ollama_create_failed", f"Ollama refused to create '{name}': {where}{error}; {hint}")
    if isinstance(exc, (ConnectionError, httpx.ConnectError)):
        return fail("ollama_unreachable", oc.unreachable_message(host))
    if isinstance(exc, json.JSONDecodeError):
        return fail("ollama_create_failed", f"Ollama sent an answer that is not JSON while creating '{name}' "
                    f"({exc.msg}); check that {host} is Ollama, then export again")
    if isinstance(exc, httpx.TimeoutException):
        return fail("ollama_create_failed", f"Ollama at {host} did not answer in time while creating '{name}'; "
                    "export again")
    if isinstance(exc, (httpx.HTTPError, OSError)):
        stage = "uploading the model file" if not statuses else f"creating '{name}'"
        code = "ollama_upload_failed" if not statuses else "ollama_create_failed"
        return fail(code, f"the connection to Ollama at {host} broke while {stage} "
                    f"({type(exc).__name__}: {exc}); export again")
    return fail("ollama_create_failed", f"exporting '{name}' failed: {type(exc).__name__}: {exc}")
