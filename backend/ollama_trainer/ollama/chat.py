"""Ask an Ollama model one question (temperature 0, not streamed)."""

from __future__ import annotations

import httpx

from ollama_trainer.errors import DomainError, NotFound
from ollama_trainer.ollama import client as oc

CHAT_TIMEOUT = httpx.Timeout(300.0, connect=5.0)


def ask_ollama(model: str, prompt: str, host: str | None = None, system: str | None = None) -> tuple[str, bool]:
    """(the answer, whether Ollama stopped it at a length limit: done_reason "length")."""
    import ollama

    resolved = oc.resolve_host(host)
    messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]
    client = oc.make_client(resolved, timeout=CHAT_TIMEOUT)
    try:
        reply = client.chat(model=model, messages=messages, stream=False, options={"temperature": 0})
    except ollama.ResponseError as exc:
        if exc.status_code == 404:
            raise NotFound(f"Ollama at {resolved} has no model '{model}': export the run or `ollama pull {model}`",
                           code="unknown_ollama_model") from exc
        raise DomainError(f"Ollama could not answer with '{model}': {exc.error}", code="ollama_chat_failed") from exc
    except (ConnectionError, httpx.ConnectError) as exc:
        raise DomainError(oc.unreachable_message(resolved), code="ollama_unreachable") from exc
    except (httpx.HTTPError, ValueError) as exc:
        raise DomainError(f"Ollama at {resolved} failed while answering ({type(exc).__name__}: {exc}); try again",
                          code="ollama_chat_failed") from exc
    finally:
        client.close()
    return reply.message.content or "", reply.get("done_reason") == "length"
