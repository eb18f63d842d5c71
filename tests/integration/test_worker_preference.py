"""Preference training (DPO, ORPO) through the real worker on the tiny model: a preference
dataset's pairs (and the plain conversations beside them) train against the base (DPO's
reference scored first, a stage of its own),
evaluations carry the reward margin and the preference accuracy, the scores hold the held-out
pairs' preference before and after, and a cancelled DPO run resumes to the same losses."""

from __future__ import annotations

import json
import math
import signal

import pytest

from .conftest import losses, profile, read_events, run_until_step, run_worker, write_job

QUESTIONS = ["What colour is the sky?", "What colour is grass?", "What colour is snow?", "What colour is a banana?",
             "What colour is coal?", "What colour is a tomato?", "What colour is the sea?", "What colour is milk?",
             "What colour is a carrot?", "What colour is a plum?", "What colour is ink?", "What colour is gold?"]
ANSWERS = ["Blue.", "Green.", "White.", "Yellow.", "Black.", "Red.", "Blue.", "White.", "Orange.", "Purple.", "Blue.",
           "Gold."]
HELD_OUT = QUESTIONS[-3:]


CONVERSATIONS = [("Say hello.", "Hello!"), ("Say goodbye.", "Goodbye!"), ("Say thanks.", "Thank you!")]


def write_pairs(path):
    """Pairs, and a few plain conversations beside them (they train as supervised examples)."""
    with open(path, "w") as f:
        for q, a in zip(QUESTIONS, ANSWERS):
            f.write(json.dumps({"prompt": q, "chosen": a, "rejected": f"Well, I think that {q.lower()} Hmm, maybe "
                                                                         f"{a.lower()} or not."}) + "\n")
        for q, a in CONVERSATIONS:
            f.write(json.dumps({"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]})
                    + "\n")
    return path


def _job(root, tiny_model, models_cache, kind: str, *, epochs: int = 3, resume: bool = False):
    root.mkdir(parents=True, exist_ok=True)
    data = write_pairs(root / "pairs.jsonl")
    prof = profile(tiny_model, preference_loss=kind, beta=0.2, batch_size=3, learning_rate=0.01, probe=False,
                   replay="off")
    return write_job(root / "run", prof, data, models_cache, epochs=epochs, fmt="preference", held_out=HELD_OUT,
                     resume=resume)


@pytest.mark.parametrize("kind", ["dpo", "orpo"])
def test_a_preference_run_trains_and_reports_its_pairs(tmp_path, tiny_model, models_cache, kind):
    run_dir = _job(tmp_path, tiny_model, models_cache, kind)
    rc, events, err = run_worker(run_dir, tmp_path / "home")
    assert rc == 0, err[-3000:]
    dataset = next(e for e in events if e["event"] == "dataset")
    assert (dataset["train_examples"], dataset["eval_examples"]) == (12, 3)  # the held-out prompts' pairs
    stages = {e["stage"] for e in events if e["event"] == "stage"}
    assert ("reference" in stages) == (kind == "dpo")
    evals = [e for e in events if e["event"] == "eval"]
    assert len(evals) == 3 and all(e["pref_accuracy"] is not None and e["reward_margin"] is not None for e in evals)
    margins, eval_losses = [e["reward_margin"] for e in evals], [e["eval_loss"] for e in evals]
    if kind == "dpo":  # before the first step the model is its reference: margin 0, loss ln 2
        assert margins[-1] > 1.0 and eval_losses[-1] < 0.5 * math.log(2), (margins, eval_losses)
    else:  # the pairs pull apart
        assert margins[-1] > margins[0] and eval_losses[-1] < eval_losses[0], (margins, eval_losses)
    scores = json.loads((run_dir / "scores.json").read_text())
    assert scores["pairs"] == 3 and 0 <= scores["pairs_before"] <= 1 and 0 <= scores["pairs_after"] <= 1
    assert scores["pairs_after"] >= scores["pairs_before"]
    assert events[-1]["event"] == "done" and (run_dir / "adapter" / "adapter_model.safetensors").is_file()
    assert read_events(run_dir) == events


def test_a_cancelled_dpo_run_resumes_to_the_same_losses(tmp_path, tiny_model, models_cache):
    ref_dir = _job(tmp_path / "ref", tiny_model, models_cache, "dpo", epochs=3)
    rc, ref_events, err = run_worker(ref_dir, tmp_path / "home")
    assert rc == 0, err[-3000:]
    reference = losses(ref_events)
    run_dir = _job(tmp_path / "cut", tiny_model, models_cache, "dpo", epochs=3)
    rc, first, err = run_until_step(run_dir, tmp_path / "home", 3, signal.SIGTERM)
    assert rc == 3, err[-3000:]
    _job(tmp_path / "cut", tiny_model, models_cache, "dpo", epochs=3, resume=True)
    rc, second, err = run_worker(run_dir, tmp_path / "home")
    assert rc == 0, err[-3000:]
    after = losses(second)
    assert min(after) == first[-1]["step"] + 1 and max(after) == max(reference)
    for step, loss in {**losses(first), **after}.items():
        assert loss == pytest.approx(reference[step], abs=1e-4), step
