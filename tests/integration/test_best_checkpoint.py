"""The best evaluation's adapter is the one a run keeps: the real recipe on the tiny model, its
eval losses made up (falling, then rising), so the choice does not depend on what the tiny model
happens to learn."""

from __future__ import annotations

import threading

import torch

from ollama_trainer.protocol import JobSpec
from ollama_trainer.training.worker.event_log import EventLog
from ollama_trainer.training.worker.recipe import LoRARecipe
from tests.integration.conftest import profile, read_events, write_chat_dataset, write_job


def _recipe(tmp_path, tiny_model, models_cache, losses: list[float], **changes) -> tuple[LoRARecipe, dict]:
    run_dir = write_job(tmp_path / "run", profile(tiny_model, replay="off", probe=False, eval_steps=2, **changes),
                        write_chat_dataset(tmp_path / "colours.jsonl", repeat=4), models_cache, epochs=4)
    recipe = LoRARecipe(JobSpec.read(run_dir / "job.json"), run_dir, EventLog(run_dir / "events.jsonl"),
                        threading.Event())
    made_up = iter(losses)
    adapters: dict[int, dict[str, torch.Tensor]] = {}  # the adapter at each evaluation, by step

    def evaluate() -> float:
        adapters[recipe.step] = {n: x.detach().clone() for n, x in recipe.model.named_parameters() if x.requires_grad}
        return next(made_up)

    recipe.setup()
    recipe.evaluate = evaluate
    return recipe, adapters


def test_a_rising_eval_loss_puts_the_best_adapter_back(tmp_path, tiny_model, models_cache):
    recipe, adapters = _recipe(tmp_path, tiny_model, models_cache, [2.0, 1.0] + [1.5 + k / 10 for k in range(60)])
    assert recipe.train() == "done" and not recipe.stopped_early
    evals = [e for e in read_events(recipe.run_dir) if e["event"] == "eval"]
    assert len(evals) >= 4 and [e["best"] for e in evals[:3]] == [True, True, False]
    best_step = evals[1]["step"]
    assert recipe.eval_loss > 1.0  # training ended worse than its best
    assert recipe.keep_best() == best_step and recipe.eval_loss == 1.0
    now = {n: x for n, x in recipe.model.named_parameters() if x.requires_grad}
    assert all(torch.equal(now[n], value) for n, value in adapters[best_step].items())
    last = max(adapters)
    assert any(not torch.equal(now[n], value) for n, value in adapters[last].items())  # not the last one


def test_patience_stops_the_run_early_with_the_best_adapter(tmp_path, tiny_model, models_cache):
    recipe, adapters = _recipe(tmp_path, tiny_model, models_cache, [2.0, 1.0, 1.2, 1.4, 1.6, 1.8] + [2.0] * 60,
                               early_stopping_patience=2)
    assert recipe.train() == "done" and recipe.stopped_early
    evals = [e for e in read_events(recipe.run_dir) if e["event"] == "eval"]
    assert len(evals) == 4 and recipe.step < recipe.total_steps  # stopped two evaluations after the best
    assert recipe.keep_best() == evals[1]["step"]
    now = {n: x for n, x in recipe.model.named_parameters() if x.requires_grad}
    assert all(torch.equal(now[n], value) for n, value in adapters[evals[1]["step"]].items())


def test_the_best_evaluation_survives_a_resume(tmp_path, tiny_model, models_cache):
    """Stopped after its best evaluation, then resumed: the resumed run still knows that best
    (loss, step and adapter) and puts it back at the end when it never beat it."""
    import json

    recipe, adapters = _recipe(tmp_path, tiny_model, models_cache, [2.0, 1.0, 1.5, 1.6])
    cancel_at = {"step": None}

    def stop_after_four_evals(real=recipe._evaluate_now):
        def wrapped(epoch):
            stop = real(epoch)
            if len(adapters) == 4:
                recipe.cancel.set()
                cancel_at["step"] = recipe.step
            return stop
        return wrapped

    recipe._evaluate_now = stop_after_four_evals()
    assert recipe.train() == "cancelled"
    best_step = [s for s in sorted(adapters)][1]
    state = json.loads((recipe.run_dir / "checkpoints" / "last" / "state.json").read_text())
    assert (state["best_eval_loss"], state["best_step"]) == (1.0, best_step)

    job = json.loads((recipe.run_dir / "job.json").read_text())
    (recipe.run_dir / "job.json").write_text(json.dumps({**job, "resume": True}))
    resumed = LoRARecipe(JobSpec.read(recipe.run_dir / "job.json"), recipe.run_dir,
                         EventLog(recipe.run_dir / "events.jsonl"), threading.Event())
    more = iter([1.7 + k / 10 for k in range(60)])  # never better than the first run's best
    resumed.setup()
    resumed.evaluate = lambda: next(more)
    assert resumed.tracker.best_loss == 1.0 and resumed.tracker.best_step == best_step
    assert resumed.train() == "done"
    assert resumed.keep_best() == best_step and resumed.eval_loss == 1.0
    now = {n: x for n, x in resumed.model.named_parameters() if x.requires_grad}
    assert all(torch.equal(now[n], value) for n, value in adapters[best_step].items())
