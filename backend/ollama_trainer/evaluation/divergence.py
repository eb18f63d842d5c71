"""When a run has stopped learning for good, so it ends as an error instead of "done":

- a loss that is not a number (NaN, inf);
- a loss far above where the run started: WINDOW steps in a row above RISE x the first steps'
  mean (and at least RISE_MIN above it);
- a dead model: WINDOW steps in a row at ln(vocabulary), the loss of a uniform guess over every
  token (the model predicts nothing any more; a learning rate of 1.0 with alpha 4096 gets there
  by step 3).

`check` is fed every step's loss and returns the reason the first time one holds. No torch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

WINDOW = 5  # steps in a row: one bad batch is not a diverged run
START_STEPS = 3  # the start: the mean of the first steps
RISE, RISE_MIN = 3.0, 2.0
UNIFORM_TOLERANCE = 0.02  # relative to ln(vocabulary)

ADVICE = "lower the learning rate or the LoRA alpha in the profile, then start a new run"


@dataclass
class DivergenceCheck:
    vocab_size: int
    start: list[float] = field(default_factory=list)
    rising: int = 0
    uniform: int = 0

    def check(self, step: int, loss: float) -> str | None:
        """The reason the run diverged at this step, or None."""
        if not math.isfinite(loss):
            return f"the loss diverged at step {step} (it became {loss}): {ADVICE}"
        if len(self.start) < START_STEPS:
            self.start.append(loss)
        begin = sum(self.start) / len(self.start)
        self.rising = self.rising + 1 if len(self.start) == START_STEPS and \
            loss > max(begin * RISE, begin + RISE_MIN) else 0
        if self.rising >= WINDOW:
            return (f"the loss diverged at step {step}: {loss:.3g}, from {begin:.3g} at the start, for {WINDOW} "
                    f"steps in a row: {ADVICE}")
        uniform = math.log(self.vocab_size) if self.vocab_size > 1 else None
        self.uniform = self.uniform + 1 if uniform and abs(loss - uniform) <= UNIFORM_TOLERANCE * uniform else 0
        if self.uniform >= WINDOW:
            return (f"the loss diverged at step {step}: it sits at {loss:.4g} = ln({self.vocab_size}), a uniform guess "
                    f"over the whole vocabulary, for {WINDOW} steps: the model no longer predicts anything; {ADVICE}")
        return None
