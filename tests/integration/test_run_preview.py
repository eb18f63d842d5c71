"""The run preview on the real worker and the tiny model: it counts what the run then trains
on, refuses a run that would train on nothing, and the run records the estimate beside what it
measured; `--base` (and the bridge's `base`) trains another base than the profile's."""

from __future__ import annotations

import json
import uuid

import pytest

from ollama_trainer import catalog, paths
from ollama_trainer.bridge.commands import Commands
from ollama_trainer.bridge.registry import dispatch
from ollama_trainer.contracts import DatasetEntry, TrainingOverrides
from ollama_trainer.errors import DomainError
from ollama_trainer.training import history, run_preview
from ollama_trainer.training.manager import TrainingManager
from tests.integration.conftest import profile, read_events, write_chat_dataset


@pytest.fixture()
def setup(tiny_model, data_home, tmp_path):
    data_home.mkdir(parents=True, exist_ok=True)
    (data_home / "profiles.json").write_text(json.dumps({"profiles": [
        profile(tiny_model, id="tiny", default_epochs=2, replay="off", probe=False)]}))
    dataset = write_chat_dataset(tmp_path / "colours.jsonl", repeat=2)
    catalog.register_user_dataset(DatasetEntry(id="colours", name="Colours", path=str(dataset)))
    return catalog.get_profile("tiny"), catalog.get_dataset_entry("colours")


def test_the_preview_counts_what_the_run_trains_on_and_the_run_records_its_estimate(setup):
    prof, data = setup
    seen = run_preview.preview(prof, data)
    assert seen.can_start and seen.reason is None and seen.epochs == 2 and seen.device == "cpu"
    assert seen.examples == seen.train_examples + seen.eval_examples + seen.dropped
    assert 0 < seen.trainable_tokens < seen.total_tokens and seen.replay_examples == 0
    assert seen.estimate.tokens == seen.total_tokens * 2 and seen.estimate.duration_s > 0
    assert seen.estimate.memory_gb > 0 and seen.available_memory_gb
    # under 30 examples to train on: the epochs such a set needs (5 steps an epoch at 0.02 reach the budget)
    assert seen.small_dataset is not None and seen.train_examples < 30
    assert (seen.small_dataset.train_examples, seen.small_dataset.epochs_needed, seen.small_dataset.epochs) == (
        seen.train_examples, 1, 2)

    manager = TrainingManager()
    # another base's cached answers change meanwhile (a run beside this one): the count still holds
    other = paths.models_dir() / "answers" / f"another-base-{uuid.uuid4().hex[:8]}.json"
    other.parent.mkdir(parents=True, exist_ok=True)
    other.write_text("{}")
    try:
        tid = manager.start(prof, data)
    finally:
        other.unlink()
    assert manager.status(tid).estimate == seen.estimate  # the preview's, recorded at Start: the run's one estimate
    final = manager.wait(tid, 300)
    assert final.status == "done", final.error
    assert final.estimate == seen.estimate
    assert TrainingManager.status_of_folder(tid).estimate == seen.estimate  # the same from the folder alone
    loaded = next(e for e in read_events(history.run_dir(tid)) if e["event"] == "dataset")
    assert (loaded["train_examples"], loaded["eval_examples"]) == (seen.train_examples, seen.eval_examples)
    assert loaded["train_tokens"] == seen.total_tokens  # the preview counted what the worker then read
    summary = history.load_summary(tid)
    assert summary.estimate is not None and summary.estimate.tokens == seen.estimate.tokens
    assert summary.tokens_per_s > 0 and summary.peak_memory_gb > 0.1 and summary.base_key
    # the precision it ran in, as planned: 16-bit frozen weights on a CPU, no checkpointing
    assert summary.precision is not None and summary.precision.weights == "bfloat16", summary.precision
    assert summary.precision.gradient_checkpointing == summary.estimate.gradient_checkpointing is False

    # The next preview on the same base takes its speed from this run.
    again = run_preview.preview(prof, data)
    assert again.estimate.basis == "history" and again.estimate.tokens_per_s == summary.tokens_per_s


def test_with_replay_the_preview_counts_the_tokens_the_run_trains_on_and_estimates_the_same(setup):
    """Replay mixes the base's answers into the run: the preview counts their tokens (a guess
    before the answers exist, exact once they are cached), and a run records the very estimate
    the preview showed for the same input."""
    prof, data = setup
    prof = prof.model_copy(update={"replay": "on", "replay_ratio": 0.5,
                                   "system_prompt": f"You are a test ({uuid.uuid4().hex[:6]})."})
    guessed = run_preview.preview(prof, data)
    assert guessed.replay_examples > 0 and guessed.total_tokens > guessed.trainable_tokens

    def run() -> tuple[dict, object]:
        manager = TrainingManager()
        tid = manager.start(prof, data)
        assert manager.wait(tid, 300).status == "done"
        loaded = next(e for e in read_events(history.run_dir(tid)) if e["event"] == "dataset")
        return loaded, history.load_summary(tid)

    first, _ = run()
    exact = run_preview.preview(prof, data)  # the replay answers are cached now
    assert (exact.replay_examples, exact.total_tokens) == (first["replay_examples"], first["train_tokens"])
    second, summary = run()
    assert second["train_tokens"] == exact.total_tokens
    assert summary.estimate.model_dump(exclude={"basis"}) == exact.estimate.model_dump(exclude={"basis"})


def test_a_run_that_would_not_fit_cannot_start_and_says_what_would_make_it_fit(setup, monkeypatch):
    prof, data = setup
    monkeypatch.setattr(run_preview.estimate, "available_memory_gb", lambda: 0.3)
    seen = run_preview.preview(prof, data)
    assert not seen.can_start and not seen.estimate.fits
    assert "lower max_seq_len or batch_size" in seen.reason and "gradient checkpointing" in seen.reason


def test_a_run_that_would_train_on_nothing_cannot_start(setup, tmp_path):
    prof, _ = setup
    long_question = "Tell me, in as few words as you can, " + "what colour the sky is on a clear day " * 12
    rows = [{"messages": [{"role": "user", "content": f"{long_question} ({k})"},
                          {"role": "assistant", "content": "Blue."}]} for k in range(6)]
    path = tmp_path / "long.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    data = DatasetEntry(id="long", name="Long", path=str(path))
    seen = run_preview.preview(prof, data, overrides=TrainingOverrides(max_seq_len=32))
    assert not seen.can_start and "max_seq_len (32" in seen.reason
    assert seen.trainable_tokens == 0 and seen.dropped == seen.examples == 6
    cut = next(w for w in seen.warnings if "longer than max_seq_len" in w)  # named by file and line
    assert f"{path}:1: example is" in cut and f"{path}:5: example is" in cut and cut.endswith("; ...")
    assert f"{path}, line 1: the prompt fills max_seq_len (32 tokens), so nothing of the answer trains" in seen.reason
    assert run_preview.preview(prof, data, overrides=TrainingOverrides(max_seq_len=512)).can_start

    # A preference pair whose prompt leaves no room for its answers is named by its line too
    pairs = [{"prompt": f"What colour is thing {k}?", "chosen": "Blue.", "rejected": "I could not say."}
             for k in range(3)]
    pairs.insert(1, {"prompt": long_question, "chosen": "Blue.", "rejected": "I could not say."})
    prefs = tmp_path / "prefs.jsonl"
    prefs.write_text("".join(json.dumps(r) + "\n" for r in pairs))
    seen = run_preview.preview(prof, DatasetEntry(id="prefs", name="Prefs", path=str(prefs), format="preference"),
                               overrides=TrainingOverrides(max_seq_len=64))
    left = next(w for w in seen.warnings if "left out" in w)
    assert left.startswith("1 example(s) have no answer tokens within max_seq_len (64) and are left out: "), left
    assert left.endswith(f"{prefs}, line 2: the prompt fills max_seq_len (64 tokens), so nothing of the chosen answer "
                         "trains; raise max_seq_len or shorten the prompt"), left


def test_preview_and_start_take_another_base(setup, tmp_path):
    prof, data = setup
    commands = Commands()
    seen = dispatch(commands, "preview_training_run", {"profile_id": "tiny", "dataset_id": "colours",
                                                       "base": prof.base_model})
    assert seen["base_model"] == prof.base_model and seen["can_start"]
    with pytest.raises(DomainError) as err:
        run_preview.preview(prof, data, base=str(tmp_path / "missing.gguf"))
    assert err.value.code == "base_model_not_found"
    manager = TrainingManager()
    with pytest.raises(DomainError):
        manager.start(prof, data, base=str(tmp_path / "missing-folder" / "x"))
    assert not list(history.run_dir("x").parent.glob("*"))  # refused before any run folder exists
