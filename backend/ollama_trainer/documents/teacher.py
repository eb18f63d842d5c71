"""Asking a teacher model in the local Ollama for question-answer pairs about one chunk.

One POST /api/chat per chunk through the official client: temperature 0, not streamed, and
`format` set to the JSON schema of `{"pairs": [{"question", "answer", "quote"}]}` (1 to N
items), so Ollama constrains the answer to that shape. The chunk goes into the user message
between `<document>` and `</document>` lines.

Errors: Ollama not reachable -> DomainError `ollama_unreachable`; the model unknown (404) ->
NotFound `unknown_teacher`. Any other failure of one request (a 500, a timeout, a dropped
connection) -> TeacherFailed: the job counts it as `teacher_error` for that chunk and goes on.
PROMPT_VERSION changes whenever the prompts or the schema change; it is part of the cache key,
so answers to an older prompt are never reused.
"""

from __future__ import annotations

import httpx

from ollama_trainer.errors import DomainError, NotFound
from ollama_trainer.ollama import client as oc

PROMPT_VERSION = "qa-v1"
CHAT_TIMEOUT = httpx.Timeout(600.0, connect=5.0)
DEFAULT_NUM_CTX = 4096

SYSTEM_PROMPT = (
    "You write training data for a question-answering assistant. You are given one passage of a "
    "document. Write questions that a user of the document would really ask, each one answerable "
    "from the passage alone, and each about a different fact. Answer each question in one to three "
    "full sentences, using only what the passage says: never add facts that are not in it. For each "
    "pair, copy an exact quote from the passage (a sentence or a part of one, word for word) that "
    "supports the answer. Do not refer to \"the passage\" or \"the text\" in the questions. Reply "
    "with JSON only."
)


def user_prompt(chunk_text: str, pairs: int) -> str:
    return (f"Write {pairs} question-answer pair{'s' if pairs != 1 else ''} about this passage.\n\n"
            f"<document>\n{chunk_text}\n</document>")


def pairs_schema(pairs: int) -> dict:
    item = {"type": "object",
            "properties": {"question": {"type": "string"}, "answer": {"type": "string"},
                           "quote": {"type": "string"}},
            "required": ["question", "answer", "quote"]}
    return {"type": "object",
            "properties": {"pairs": {"type": "array", "items": item, "minItems": 1, "maxItems": pairs}},
            "required": ["pairs"]}


def canonical_model(name: str) -> str:
    """'llama3.2' -> 'llama3.2:latest', as Ollama names it (the cache key uses this)."""
    name = name.strip()
    return name if ":" in name.rsplit("/", 1)[-1] else name + ":latest"


class TeacherFailed(Exception):
    """One request failed in a way that does not stop the job; the message says how."""


class Teacher:
    """One teacher model at one Ollama; `ask` sends one chunk. Close it when done."""

    def __init__(self, model: str, host: str | None = None, *, pairs_per_chunk: int = 3, chunk_tokens: int = 256):
        self.model = model.strip()
        self.pairs_per_chunk = pairs_per_chunk
        try:
            self.host = oc.resolve_host(host)
        except ValueError as exc:
            raise DomainError(str(exc), code="invalid_host") from None
        self.options: dict = {"temperature": 0}
        # a chunk, the prompt and N answers must fit in the context; Ollama's default is 4096
        needed = 2 * chunk_tokens + 2048
        if needed > DEFAULT_NUM_CTX:
            self.options["num_ctx"] = needed
        try:
            self._client = oc.make_client(self.host, timeout=CHAT_TIMEOUT)
        except ImportError:
            raise DomainError("the Ollama client is not installed: pip install 'ollama-trainer[ollama]'",
                              code="ollama_client_missing") from None

    def messages(self, chunk_text: str) -> list[dict]:
        return [{"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": user_prompt(chunk_text, self.pairs_per_chunk)}]

    def ask(self, chunk_text: str) -> str:
        """The teacher's raw answer (JSON text, not yet checked)."""
        import ollama

        try:
            reply = self._client.chat(model=self.model, messages=self.messages(chunk_text), stream=False,
                                      format=pairs_schema(self.pairs_per_chunk), options=self.options)
        except ollama.ResponseError as exc:
            if exc.status_code == 404:
                raise NotFound(f"Ollama at {self.host} has no model '{self.model}': pick one of its models "
                               f"or `ollama pull {self.model}`", code="unknown_teacher") from exc
            raise TeacherFailed(f"Ollama answered {exc.status_code}: {exc.error}") from exc
        except (ConnectionError, httpx.ConnectError) as exc:
            raise DomainError(oc.unreachable_message(self.host), code="ollama_unreachable") from exc
        except (httpx.HTTPError, ValueError) as exc:
            raise TeacherFailed(f"{type(exc).__name__}: {exc}") from exc
        return reply.message.content or ""

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "Teacher":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
