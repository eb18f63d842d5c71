"""How fast the training steps go, for their progress events: the tokens/s of each window
(the steps whose losses are read back together), each step's share of its window's time, the
ETA from the mean step time, and the session's measured speed (the done event's tokens_per_s).

    meter.start_window()            # an epoch starts, or a window's events are out
    meter.add(tokens)               # a step trained this many non-padding tokens
    tps = meter.end_window(steps)   # its losses are being read back: the window's tokens/s
    eta = meter.eta_s(step, total)  # once per step of the window, as its event is made

No torch: the recipe says when.
"""

from __future__ import annotations

import time


class StepMeter:
    def __init__(self) -> None:
        self.seconds = 0.0  # this session's time in training steps (the windows')
        self.tokens = 0  # this session's trained non-padding tokens
        self._step_times: list[float] = []
        self._step_s = 0.0  # the closed window's time per step
        self._t0 = time.monotonic()
        self._window_tokens = 0

    def start_window(self) -> None:
        self._t0, self._window_tokens = time.monotonic(), 0

    def add(self, tokens: int) -> None:
        self._window_tokens += tokens

    def end_window(self, steps: int) -> float:
        """The window of `steps` steps ends now (before its losses are read back): its tokens/s."""
        elapsed = time.monotonic() - self._t0
        self.seconds += elapsed
        self.tokens += self._window_tokens
        self._step_s = elapsed / steps
        return round(self._window_tokens / max(elapsed, 1e-9), 1)

    def eta_s(self, step: int, total_steps: int) -> float:
        """One more step of the closed window is reported: the seconds left after `step`."""
        self._step_times.append(self._step_s)
        return round(sum(self._step_times) / len(self._step_times) * (total_steps - step), 1)

    @property
    def tokens_per_s(self) -> float | None:
        """The session's measured speed; None before the first window ends."""
        return round(self.tokens / self.seconds, 1) if self.seconds else None
