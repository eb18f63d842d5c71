"""Which evaluation's adapter to keep, and when to stop: the lowest eval loss wins; with a
patience, training stops after that many evaluations without a better one."""

from __future__ import annotations

from dataclasses import dataclass

MIN_IMPROVEMENT = 1e-4  # relative: smaller gains are noise


@dataclass
class BestTracker:
    patience: int | None = None
    best_loss: float | None = None
    best_step: int | None = None
    since_best: int = 0

    def update(self, step: int, loss: float | None) -> tuple[bool, bool]:
        """(this evaluation is the best so far, training should stop now)."""
        if loss is None:
            return False, False
        if self.best_loss is None or loss < self.best_loss * (1 - MIN_IMPROVEMENT):
            self.best_loss, self.best_step, self.since_best = loss, step, 0
            return True, False
        self.since_best += 1
        return False, self.patience is not None and self.since_best >= self.patience
