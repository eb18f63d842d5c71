"""A deterministic teacher for the Ollama stand-in's /api/chat (its `chat_responder` hook).

It reads the chunk between the `<document>` lines of the last user message and N from the
`maxItems` of the request's `format` schema (so a request without the schema gets no pairs),
and answers `{"pairs": [...]}` built from the chunk's first N sentences of at least four words:
question "What does the text say about <its first ten words>?", answer and quote the sentence.

Faults, to see every check reject and count:
- `mode` for every chunk: "good", "broken_json" (a truncated JSON answer), "bad_quote" (the
  first pair quotes a sentence that is not in the chunk), "empty_answer" (the first pair's
  answer is blank), "duplicates" (every pair asks the first pair's question), "extra" (one pair
  more than asked);
- `markers`: {text: mode}: a chunk containing the text gets that mode instead, so one folder can
  hold a document of each fault.
It counts what it was asked: `asked` is the list of chunk texts, in order.

    with OllamaStandin(models=("teacher:latest",)) as s:
        teacher = StandinTeacher()
        s.chat_responder = teacher
"""

from __future__ import annotations

import json
import re
import threading

DOCUMENT = re.compile(r"<document>\n(.*)\n</document>", re.DOTALL)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
MODES = ("good", "broken_json", "bad_quote", "empty_answer", "duplicates", "extra")
MARKERS = {
    "BROKEN-JSON-HERE": "broken_json",
    "BAD-QUOTE-HERE": "bad_quote",
    "EMPTY-ANSWER-HERE": "empty_answer",
    "DUPLICATES-HERE": "duplicates",
}


def sentences_of(text: str) -> list[str]:
    return [" ".join(s.split()) for s in SENTENCE_END.split(text) if len(s.split()) >= 4]


class StandinTeacher:
    def __init__(self, mode: str = "good", markers: dict[str, str] | None = None):
        assert mode in MODES, mode
        self.mode = mode
        self.markers = dict(MARKERS if markers is None else markers)
        self.asked: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, request: dict, model) -> str | None:
        messages = request.get("messages") or []
        user = next((m.get("content", "") for m in reversed(messages) if m.get("role") == "user"), "")
        match = DOCUMENT.search(user)
        if match is None:
            return None  # not a teacher request: the stand-in's echo
        chunk = match.group(1)
        with self.lock:
            self.asked.append(chunk)
        schema = request.get("format")
        limit = schema["properties"]["pairs"]["maxItems"] if isinstance(schema, dict) else 0
        return self.answer(chunk, limit, self._mode_for(chunk))

    def _mode_for(self, chunk: str) -> str:
        return next((mode for marker, mode in self.markers.items() if marker in chunk), self.mode)

    @staticmethod
    def pairs(chunk: str, n: int) -> list[dict]:
        out = []
        for sentence in sentences_of(chunk)[:n]:
            head = " ".join(sentence.split()[:10]).rstrip(".,;:!?")
            out.append({"question": f"What does the text say about {head}?", "answer": sentence, "quote": sentence})
        return out

    def answer(self, chunk: str, n: int, mode: str) -> str:
        pairs = self.pairs(chunk, n + (1 if mode == "extra" else 0))
        if mode == "broken_json":
            return json.dumps({"pairs": pairs})[: 25]
        if pairs and mode == "bad_quote":
            pairs[0]["quote"] = "Nothing like this sentence appears anywhere in the chunk."
        if pairs and mode == "empty_answer":
            pairs[0]["answer"] = "   "
        if pairs and mode == "duplicates":
            for pair in pairs[1:]:
                pair["question"] = pairs[0]["question"]
        return json.dumps({"pairs": pairs})
