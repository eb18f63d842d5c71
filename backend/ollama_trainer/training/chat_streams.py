"""The window's Chat: an answer that grows while the model writes it. `start` asks the warm
model (inference.py) in a thread of its own and returns at once with the stream's id; `read`
gives the answer so far, and at the end the whole answer, whether it was cut, or the error.
The window reads every fraction of a second: tokens show as they come.

    streams = ChatStreams(pool)
    sid = streams.start(run="20261207-...", base=None, history=[...], prompt="And grass?")
    streams.read(sid)   # ChatStream(text="Grass is", done=False, ...)

Finished streams are forgotten a few minutes after they ended (the window has read them).
"""

from __future__ import annotations

import threading
import time
import uuid

from ollama_trainer.contracts import ChatStream
from ollama_trainer.errors import DomainError, NotFound
from ollama_trainer.training.inference import InferencePool

KEEP_S = 300.0  # a finished stream is kept this long for a late read
ANOTHER_TEMPERATURE = 0.9  # "Another answer": sampled, so it differs from the greedy one


class ChatStreams:
    def __init__(self, pool: InferencePool):
        self._pool = pool
        self._lock = threading.Lock()
        self._streams: dict[str, ChatStream] = {}
        self._ended: dict[str, float] = {}

    def start(self, *, run: str | None, base: str | None, history: list[dict], prompt: str,
              with_adapter: bool = True, another: bool = False, seed: int | None = None,
              max_new_tokens: int = 160) -> str:
        """The stream's id; the answer comes in the background (greedy, or sampled: `another`)."""
        stream_id = uuid.uuid4().hex[:12]
        with self._lock:
            self._forget_old()
            self._streams[stream_id] = ChatStream(stream_id=stream_id)
        temperature = ANOTHER_TEMPERATURE if another else 0.0
        if another and seed is None:
            seed = int(time.time() * 1000) % 2**31
        threading.Thread(target=self._answer, name=f"chat-{stream_id}", daemon=True, kwargs=dict(
            stream_id=stream_id, run=run, base=base, history=history, prompt=prompt, with_adapter=with_adapter,
            temperature=temperature, seed=seed, max_new_tokens=max_new_tokens)).start()
        return stream_id

    def read(self, stream_id: str) -> ChatStream:
        with self._lock:
            stream = self._streams.get(stream_id)
        if stream is None:
            raise NotFound(f"no answer '{stream_id}' under way (it ended a while ago); ask again", code="not_found")
        return stream

    def _answer(self, *, stream_id: str, **ask) -> None:
        started = time.monotonic()
        try:
            text, cut = self._pool.ask(**ask, on_text=lambda so_far: self._update(stream_id, text=so_far))
        except DomainError as exc:
            self._update(stream_id, done=True, error=str(exc), seconds=round(time.monotonic() - started, 2))
        except Exception as exc:  # noqa: BLE001 - the window is told, never left waiting
            self._update(stream_id, done=True, error=f"{type(exc).__name__}: {exc}",
                         seconds=round(time.monotonic() - started, 2))
        else:
            self._update(stream_id, text=text, cut=cut, done=True, seconds=round(time.monotonic() - started, 2))

    def _update(self, stream_id: str, **changes) -> None:
        with self._lock:
            stream = self._streams.get(stream_id)
            if stream is None or stream.done:
                return
            self._streams[stream_id] = stream.model_copy(update=changes)
            if changes.get("done"):
                self._ended[stream_id] = time.monotonic()

    def _forget_old(self) -> None:
        now = time.monotonic()
        for stream_id in [s for s, at in self._ended.items() if now - at > KEEP_S]:
            self._ended.pop(stream_id)
            self._streams.pop(stream_id, None)
