"""Questions to a run's model without loading it each time (the window's Try it, EVAL): one
warm worker per model (`worker serve`), kept for a few minutes after its last question, then
released. The first question pays the load (a few seconds for the builtin model); the next
ones only the answer.
"""

from __future__ import annotations

import itertools
import logging
import subprocess
import threading
import time
from dataclasses import dataclass, field
from typing import TypeVar

from pydantic import BaseModel

from ollama_trainer import paths
from ollama_trainer.errors import DomainError
from ollama_trainer.training import worker_client
from ollama_trainer.protocol import ServeReady, ServeReply, ServeRequest
from ollama_trainer.training.ask import ModelKey, key_for

log = logging.getLogger(__name__)
IDLE_S = 300.0  # a model not asked for this long is released
MAX_WARM = 2  # models kept loaded at once (each holds its weights in memory)
ANSWER_TIMEOUT_S = 300.0
R = TypeVar("R", bound=BaseModel)


@dataclass
class Server:
    key: ModelKey
    process: subprocess.Popen
    lock: threading.Lock = field(default_factory=threading.Lock)
    last_used: float = field(default_factory=time.monotonic)
    ids: itertools.count = field(default_factory=itertools.count)

    def ask(self, prompt: str, *, with_adapter: bool, max_new_tokens: int, history: list[dict] | None = None,
            temperature: float = 0.0, seed: int | None = None, on_text=None) -> tuple[str, bool]:
        """(the answer, whether it stopped at max_new_tokens before the model ended it);
        `on_text(text)` hears the answer so far as it grows."""
        with self.lock:
            self.last_used = time.monotonic()
            rid = next(self.ids)
            request = ServeRequest(id=rid, prompt=prompt, history=history or [], with_adapter=with_adapter,
                                   max_new_tokens=max_new_tokens, temperature=temperature, seed=seed,
                                   stream=on_text is not None)
            try:
                self.process.stdin.write(request.model_dump_json() + "\n")
                self.process.stdin.flush()
                reply = self._read(ServeReply, lambda r: r.id == rid)
                while reply.partial:
                    on_text(reply.answer or "")
                    reply = self._read(ServeReply, lambda r: r.id == rid)
            finally:
                self.last_used = time.monotonic()
        if reply.error:
            raise DomainError(f"the model did not answer: {reply.error}", code="ask_failed")
        return reply.answer or "", reply.cut

    def _read(self, kind: type[R], wanted=lambda reply: True) -> R:
        """The next line that parses as `kind` and is `wanted` (other lines are skipped)."""
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise DomainError("the model's process ended; ask again", code="ask_failed")
            try:
                reply = kind.model_validate_json(line)
            except ValueError:
                continue
            if wanted(reply):
                return reply

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        try:
            self.process.stdin.close()
            self.process.wait(10)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()


class InferencePool:
    def __init__(self, *, idle_s: float = IDLE_S, max_warm: int = MAX_WARM):
        self._idle_s, self._max_warm = idle_s, max_warm
        self._lock = threading.Lock()
        self._servers: dict[ModelKey, Server] = {}
        self._reaper: threading.Thread | None = None

    def ask(self, *, run: str | None, base: str | None, prompt: str, with_adapter: bool = True,
            max_new_tokens: int = 64, history: list[dict] | None = None, temperature: float = 0.0,
            seed: int | None = None, on_text=None) -> tuple[str, bool]:
        """(the answer, whether it was cut at max_new_tokens): to `prompt` after the turns of
        `history`; greedy, or sampled at `temperature` from `seed`; `on_text` streams it."""
        key = key_for(run=run, base=base, with_adapter=with_adapter)
        return self._server(key).ask(prompt, with_adapter=with_adapter, max_new_tokens=max_new_tokens,
                                     history=history, temperature=temperature, seed=seed, on_text=on_text)

    def _server(self, key: ModelKey) -> Server:
        with self._lock:
            server = self._servers.get(key)
            if server is not None and server.alive():
                return server
            if len(self._servers) >= self._max_warm:  # release the one asked longest ago
                oldest = min(self._servers.values(), key=lambda s: s.last_used)
                self._servers.pop(oldest.key).close()
            server = self._start(key)
            self._servers[key] = server
            if self._reaper is None:
                self._reaper = threading.Thread(target=self._reap, name="inference-reaper", daemon=True)
                self._reaper.start()
            return server

    @staticmethod
    def _start(key: ModelKey) -> Server:
        process = worker_client.spawn_server(base_model=key.base_model, models_dir=paths.models_dir(),
                                             adapter=key.adapter, system=key.system or None)
        server = Server(key, process)
        ready = server._read(ServeReady)
        if not ready.ready:
            server.close()
            raise DomainError(f"the model could not be loaded: {ready.error}", code="ask_failed")
        log.info("model %s%s loaded in %.1f s", key.base_model, " + adapter" if key.adapter else "",
                 ready.load_s or 0)
        return server

    def _reap(self) -> None:
        while True:
            time.sleep(min(30.0, self._idle_s / 2))
            with self._lock:
                idle = [k for k, s in self._servers.items()
                        if not s.lock.locked() and time.monotonic() - s.last_used > self._idle_s]
                for k in idle:
                    self._servers.pop(k).close()

    def close(self) -> None:
        with self._lock:
            for server in self._servers.values():
                server.close()
            self._servers.clear()
