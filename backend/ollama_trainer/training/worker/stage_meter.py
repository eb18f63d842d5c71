"""How far a stage outside the training steps is (the base's replay answers, the samples, the
probe, the model file), told as Stage events: one when it starts, one whenever work finishes
(answers, tensors), and a heartbeat at least every EVERY_S seconds while a long piece of work
goes on (a batch of answers being generated token by token), so the app sees a working
trainer and can say "answer 12 of 40, about 30 s left".

No torch: the generation calls `beat` from a stopping criterion (generation.py).
"""

from __future__ import annotations

import time

from ollama_trainer import protocol as ev

EVERY_S = 2.0


class StageMeter:
    def __init__(self, log, stage: str, message: str, total: int | None = None):
        self.log, self.stage, self.message, self.total = log, stage, message, total
        self.done = 0
        self._t0 = self._last = time.monotonic()
        self._emit()

    def advance(self, n: int = 1) -> None:
        """n more answers (or tensors) are finished."""
        self.done += n
        self._emit()

    def at(self, done: int, total: int) -> None:
        """`done` of `total` finished (a merge's tensors): said once the total is known, then at
        most every EVERY_S, and at the end."""
        known = self.total == total
        self.done, self.total = done, total
        if not known or done >= total or time.monotonic() - self._last >= EVERY_S:
            self._emit()

    def beat(self) -> None:
        """Work goes on (a token was generated): say so if nothing was said for EVERY_S."""
        if time.monotonic() - self._last >= EVERY_S:
            self._emit()

    def _emit(self) -> None:
        now = time.monotonic()
        self._last = now
        eta = None
        if self.total and 0 < self.done < self.total:
            eta = round((now - self._t0) / self.done * (self.total - self.done), 1)
        elif self.total and self.done >= self.total:
            eta = 0.0
        message = f"{self.message}: {self.done} of {self.total}" if self.total else self.message
        self.log.emit(ev.Stage(stage=self.stage, message=message, done=self.done if self.total else None,
                               total=self.total, eta_s=eta))
