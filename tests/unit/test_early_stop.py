"""The best checkpoint and early stopping, on made-up eval losses."""

from ollama_trainer.evaluation.early_stop import BestTracker


def test_the_lowest_eval_loss_is_kept_when_it_rises():
    tracker = BestTracker()
    seen = [tracker.update(step, loss) for step, loss in [(3, 2.0), (6, 1.4), (9, 1.1), (12, 1.3), (15, 1.6)]]
    assert [best for best, _ in seen] == [True, True, True, False, False]
    assert (tracker.best_step, tracker.best_loss) == (9, 1.1)
    assert not any(stop for _, stop in seen)  # no patience: it never stops by itself


def test_patience_stops_after_that_many_evaluations_without_a_better_one():
    tracker = BestTracker(patience=2)
    outcomes = [tracker.update(step, loss) for step, loss in [(1, 3.0), (2, 2.5), (3, 2.6), (4, 2.7)]]
    assert outcomes == [(True, False), (True, False), (False, False), (False, True)]
    assert tracker.best_step == 2


def test_a_tiny_gain_is_noise_and_none_is_ignored():
    tracker = BestTracker(patience=1)
    assert tracker.update(1, 1.0) == (True, False)
    assert tracker.update(2, None) == (False, False)
    assert tracker.update(3, 0.99999) == (False, True)
