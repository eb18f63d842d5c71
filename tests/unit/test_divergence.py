"""The divergence check: NaN/inf at once, a loss far above its start or at ln(vocabulary) for
WINDOW steps in a row; a bad batch or a bumpy but learning run is never called diverged."""

from __future__ import annotations

import math

from ollama_trainer.evaluation.divergence import WINDOW, DivergenceCheck


def first_reason(losses, vocab=49152):
    check = DivergenceCheck(vocab)
    for step, loss in enumerate(losses, start=1):
        reason = check.check(step, loss)
        if reason:
            return step, reason
    return None


def test_nan_and_inf_at_once():
    assert first_reason([2.0, 1.5, float("nan")])[0] == 3
    assert first_reason([2.0, float("inf")])[0] == 2


def test_a_dead_model_at_ln_vocab_for_a_window():
    dead = math.log(49152)
    step, reason = first_reason([3.1, 7.9, dead, dead, dead, dead, dead, dead])
    assert step == 2 + WINDOW and "ln(49152)" in reason and "learning rate" in reason


def test_a_loss_far_above_its_start_for_a_window():
    step, reason = first_reason([1.0, 1.1, 0.9] + [6.0] * WINDOW)
    assert step == 3 + WINDOW and "diverged at step" in reason


def test_learning_bumpy_runs_and_one_bad_batch_are_fine():
    assert first_reason([2.0, 1.5, 1.2, 9.0, 1.0, 0.8, 0.5, 0.6, 0.4] * 3) is None
    assert first_reason([10.0, 10.5, 10.7, 10.8, 10.6] * 3, vocab=256000) is None  # a big vocabulary starts high
    assert first_reason([0.05, 0.04, 0.05, 0.3, 0.2, 0.25, 0.1, 0.2]) is None  # far above in ratio, not in nats
