"""The real training worker on a tiny Llama-shaped model: events, loss, cancel, resume, kill,
adapter files, ask mode and clean errors. Every run is a real subprocess. The worker's in-process
parts (labels, batches, the fused training step's loss) are test_worker_steps.py."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import pytest

from .conftest import (
    ALL_MODULES,
    CHAT_ROWS,
    PYTHON,
    REPO,
    losses,
    profile,
    read_events,
    run_until_step,
    run_worker,
    worker_env,
    write_chat_dataset,
    write_job,
)

EVENT_FIELDS = {
    "started": {"training_id", "pid"},
    "model_loaded": {"base_model", "device", "dtype", "trainable_params", "total_params", "load_s"},
    "dataset": {"train_examples", "eval_examples", "train_tokens"},
    "progress": {"epoch", "total_epochs", "step", "total_steps", "loss", "lr", "tokens_per_s", "eta_s"},
    "eval": {"epoch", "step", "eval_loss"},
    "checkpoint": {"epoch", "step", "path"},
    "samples": {"path"},
    "stage": {"stage", "message"},
    "model_file": {"path", "bytes", "seconds"},
    "scores": {"learned", "kept"},
    "done": {"final_loss", "eval_loss", "adapter_dir", "duration_s", "steps"},
    "cancelled": {"step", "checkpoint"},
    "error": {"message", "traceback_tail"},
    "warning": {"message"},
}


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, tiny_model, models_cache):
    """One complete 4-epoch run (12 examples: 9 train, 3 eval, the least a small set holds out;
    batch 4 -> 3 steps/epoch)."""
    root = tmp_path_factory.mktemp("finished")
    data = write_chat_dataset(root / "colours.jsonl")
    run_dir = write_job(root / "run", profile(tiny_model), data, models_cache, epochs=4,
                        held_out=["What colour is a banana?"])
    rc, events, err = run_worker(run_dir, root / "home")
    return {"rc": rc, "events": events, "stderr": err, "run_dir": run_dir}


def test_run_finishes_and_loss_decreases(finished_run):
    assert finished_run["rc"] == 0, finished_run["stderr"][-2000:]
    events = finished_run["events"]
    progress = [e for e in events if e["event"] == "progress"]
    first_epoch = [e["loss"] for e in progress if e["epoch"] == 1]
    last_epoch = [e["loss"] for e in progress if e["epoch"] == 4]
    assert sum(last_epoch) / len(last_epoch) < 0.8 * sum(first_epoch) / len(first_epoch)
    evals = [e["eval_loss"] for e in events if e["event"] == "eval"]
    assert len(evals) == 4 and evals[-1] < evals[0]
    done = events[-1]
    assert done["event"] == "done" and done["steps"] == 12
    assert done["final_loss"] == pytest.approx(progress[-1]["loss"], abs=1e-5)
    assert done["eval_loss"] == pytest.approx(evals[-1], abs=1e-5)


def test_events_are_well_formed(finished_run):
    run_dir = finished_run["run_dir"]
    on_disk = read_events(run_dir)  # every line parses
    assert on_disk == finished_run["events"]  # stdout and the file carry the same lines
    for e in on_disk:
        assert e["event"] in EVENT_FIELDS, e
        assert EVENT_FIELDS[e["event"]] <= e.keys(), e
        assert e["time"].endswith("Z") and "T" in e["time"]
    kinds = [e["event"] for e in on_disk if e["event"] != "warning"]  # a warning may come at any point
    assert kinds[:3] == ["started", "model_loaded", "dataset"] and kinds[-1] == "done"
    assert on_disk[0]["training_id"] == "t-test"
    loaded = next(e for e in on_disk if e["event"] == "dataset")
    assert loaded["train_examples"] == 9 and loaded["eval_examples"] == 3
    progress = [e for e in on_disk if e["event"] == "progress"]
    assert [e["step"] for e in progress] == list(range(1, 13))
    assert all(e["total_steps"] == 12 and e["total_epochs"] == 4 for e in progress)
    assert [e["epoch"] for e in progress] == [1] * 3 + [2] * 3 + [3] * 3 + [4] * 3
    assert all(e["tokens_per_s"] > 0 and e["eta_s"] >= 0 and e["lr"] > 0 for e in progress)
    assert progress[-1]["eta_s"] == 0
    checkpoints = [e for e in on_disk if e["event"] == "checkpoint"]
    assert [(c["epoch"], c["step"]) for c in checkpoints] == [(1, 3), (2, 6), (3, 9), (4, 12)]
    times = [e["time"] for e in on_disk]
    assert times == sorted(times)


def test_adapter_is_peft_safetensors_with_integer_alpha(finished_run):
    from safetensors import safe_open

    adapter = finished_run["run_dir"] / "adapter"
    config = json.loads((adapter / "adapter_config.json").read_text())
    assert config["lora_alpha"] == 16 and isinstance(config["lora_alpha"], int)
    assert config["r"] == 8 and config["peft_type"] == "LORA"
    assert set(config["target_modules"]) == set(ALL_MODULES)
    with safe_open(str(adapter / "adapter_model.safetensors"), "pt") as f:
        names = list(f.keys())
    # the tiny model with random weights does not know its chat format's turn tokens: their rows
    # train too, saved beside the LoRA
    with safe_open(str(adapter / "token_rows.safetensors"), "pt") as f:
        assert f.get_tensor("index").tolist() == [1, 2]  # <|im_start|>, <|im_end|>
        assert tuple(f.get_tensor("rows").shape) == (2, 64)
    lora = names
    assert lora and all(n.startswith("base_model.model.model.layers.") for n in lora), lora[:3]
    assert any(n.endswith("self_attn.q_proj.lora_A.weight") for n in lora)
    assert any(n.endswith("mlp.down_proj.lora_B.weight") for n in lora)
    assert len(lora) == 2 * 7 * 2  # (A, B) x 7 modules x 2 layers


def test_samples_before_and_after(finished_run):
    samples = json.loads((finished_run["run_dir"] / "samples.json").read_text())
    assert [s["prompt"] for s in samples] == ["What colour is a banana?"]
    assert {"prompt", "before", "after", "prompt_text", "after_tokens", "expected", "source"} == samples[0].keys()
    assert samples[0]["source"] == "dataset" and samples[0]["expected"] is None
    assert samples[0]["prompt_text"].endswith("<|im_start|>assistant\n")  # what the answer was generated from
    assert isinstance(samples[0]["before"], str) and isinstance(samples[0]["after"], str)
    assert samples[0]["before"] != samples[0]["after"]  # the adapter changed what it says
    assert any(e["event"] == "samples" for e in finished_run["events"])


def test_the_model_file_stage_counts_tensors_merged_and_converted(finished_run):
    """A folder base: each tensor counts twice (merged, then taken by llama.cpp's converter); the
    count is said as soon as it is known and ends at its total."""
    from safetensors import safe_open

    with safe_open(str(Path(json.loads((finished_run["run_dir"] / "job.json").read_text())["profile"]["base_model"])
                       / "model.safetensors"), "pt") as f:
        tensors = len(f.keys())
    stages = [e for e in finished_run["events"] if e["event"] == "stage" and e["stage"] == "model_file"]
    counted = [(e["done"], e["total"]) for e in stages if e.get("total")]
    assert counted and counted[0][0] < 2 * tensors and counted[-1] == (2 * tensors, 2 * tensors), counted
    assert all(total == 2 * tensors for _, total in counted)
    assert [done for done, _ in counted] == sorted(done for done, _ in counted)
    assert stages[-1]["message"].endswith(f"{2 * tensors} of {2 * tensors}")
    assert any(e["event"] == "model_file" for e in finished_run["events"])


def test_ask_answers_with_adapter(finished_run, tiny_model, models_cache, tmp_path):
    adapter = finished_run["run_dir"] / "adapter"
    out = subprocess.run(
        [PYTHON, "-m", "ollama_trainer.training.worker", "ask", "--base-model", str(tiny_model),
         "--adapter", str(adapter), "--models-dir", str(models_cache), "--prompt", "What colour is a banana?",
         "--max-new-tokens", "48"],
        capture_output=True, text=True, env=worker_env(tmp_path), cwd=REPO, timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1
    # the same greedy answer the run recorded as "after"
    samples = json.loads((finished_run["run_dir"] / "samples.json").read_text())
    assert json.loads(lines[0]) == {"answer": samples[0]["after"]}


def test_probe_reports_device():
    out = subprocess.run([PYTHON, "-m", "ollama_trainer.training.worker", "probe"], capture_output=True,
                         text=True, env=worker_env(REPO / ".cache"), cwd=REPO, timeout=120)
    assert out.returncode == 0, out.stderr
    info = json.loads(out.stdout)
    assert info["device"] in ("cpu", "cuda", "mps") and info["device_name"] and info["torch"][0].isdigit()


def _long_job(tmp_path, tiny_model, models_cache, *, resume=False):
    """8 epochs x 10 steps (batch 2 of 19 train examples, 5 eval), LoRA dropout on so RNG state matters."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    data = tmp_path / "colours.jsonl"
    if not data.exists():
        write_chat_dataset(data, repeat=2)
    prof = profile(tiny_model, batch_size=2, eval_fraction=0.2, lora={"dropout": 0.1}, learning_rate=0.003)
    return write_job(tmp_path / "run", prof, data, models_cache, epochs=8, resume=resume)


def test_sigterm_cancels_with_checkpoint(tmp_path, tiny_model, models_cache):
    run_dir = _long_job(tmp_path, tiny_model, models_cache)
    rc, events, err = run_until_step(run_dir, tmp_path / "home", 3, signal.SIGTERM)
    assert rc == 3, err[-2000:]
    cancelled = events[-1]
    assert cancelled["event"] == "cancelled"
    last_step = max(e["step"] for e in events if e["event"] == "progress")
    assert cancelled["step"] == last_step < 80
    state = json.loads((run_dir / "checkpoints" / "last" / "state.json").read_text())
    assert state["step"] == last_step
    assert state["epoch"] * 10 + state["batch_index"] == last_step  # the exact position (10 batches/epoch)
    assert (run_dir / "checkpoints" / "last" / "adapter.safetensors").is_file()
    assert not (run_dir / "adapter").exists()
    assert read_events(run_dir) == events


def test_resume_repeats_uninterrupted_losses(tmp_path, tiny_model, models_cache):
    ref_dir = _long_job(tmp_path / "ref", tiny_model, models_cache)
    rc, ref_events, err = run_worker(ref_dir, tmp_path / "home")
    assert rc == 0, err[-2000:]
    reference = losses(ref_events)
    assert len(reference) == 80

    run_dir = _long_job(tmp_path / "cut", tiny_model, models_cache)
    rc, first, err = run_until_step(run_dir, tmp_path / "home", 14, signal.SIGTERM)
    assert rc == 3, err[-2000:]
    stopped_at = first[-1]["step"]
    _long_job(tmp_path / "cut", tiny_model, models_cache, resume=True)
    rc, second, err = run_worker(run_dir, tmp_path / "home")
    assert rc == 0, err[-2000:]

    before, after = losses(first), losses(second)
    assert min(after) == stopped_at + 1 and max(after) == 80
    for step, loss in {**before, **after}.items():
        assert loss == pytest.approx(reference[step], abs=1e-4), step
    ref_evals = [e["eval_loss"] for e in ref_events if e["event"] == "eval"]
    got_evals = [e["eval_loss"] for e in first + second if e["event"] == "eval"]
    assert got_evals == pytest.approx(ref_evals, abs=1e-4)


def test_sigkill_leaves_a_readable_event_log(tmp_path, tiny_model, models_cache):
    run_dir = _long_job(tmp_path, tiny_model, models_cache)
    rc, events, _ = run_until_step(run_dir, tmp_path / "home", 2, signal.SIGKILL)
    assert rc == -signal.SIGKILL
    on_disk = read_events(run_dir)  # raises if any line is torn
    assert on_disk[0]["event"] == "started"
    assert any(e["event"] == "progress" for e in on_disk)
    assert not any(e["event"] in ("done", "cancelled", "error") for e in on_disk)


def test_missing_base_model_is_a_clean_error(tmp_path, models_cache):
    data = write_chat_dataset(tmp_path / "d.jsonl")
    run_dir = write_job(tmp_path / "run", profile(tmp_path / "no-such-model"), data, models_cache, epochs=1)
    rc, events, err = run_worker(run_dir, tmp_path / "home")
    assert rc == 1
    assert [e["event"] for e in events] == ["started", "error"]
    assert events[-1]["message"].startswith(f"base model '{tmp_path / 'no-such-model'}' not found")
    assert events[-1]["traceback_tail"] == ""
    assert "Traceback" not in err


def test_invalid_dataset_is_a_clean_error(tmp_path, tiny_model, models_cache):
    data = tmp_path / "bad.jsonl"
    data.write_text('{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}\n'
                    "this is not json\n")
    run_dir = write_job(tmp_path / "run", profile(tiny_model), data, models_cache, epochs=1)
    rc, events, _ = run_worker(run_dir, tmp_path / "home")
    assert rc == 1
    assert events[-1]["event"] == "error"
    assert "dataset 'test-data' is invalid" in events[-1]["message"] and ":2" in events[-1]["message"]


def test_sigterm_before_the_first_step_stops_at_once(tmp_path, tiny_model, models_cache):
    """A stop pressed while the model loads: no step is trained, the position is saved."""
    from .conftest import start_worker

    run_dir = _long_job(tmp_path, tiny_model, models_cache)
    proc = start_worker(run_dir, tmp_path / "home")
    first = proc.stdout.readline()
    # "started" comes after the worker's SIGTERM handler is set and before the model loads:
    # the stop now lands while it loads.
    assert json.loads(first)["event"] == "started"
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=300)
    events = [json.loads(first)] + [json.loads(line) for line in out.splitlines()]
    assert proc.returncode == 3, err[-2000:]
    assert events[-1]["event"] == "cancelled" and events[-1]["step"] == 0
    assert not any(e["event"] == "progress" for e in events)
    state = json.loads((run_dir / "checkpoints" / "last" / "state.json").read_text())
    assert (state["epoch"], state["batch_index"], state["step"]) == (0, 0, 0)


def test_unavailable_device_is_a_clean_error(tmp_path, tiny_model, models_cache):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    data = write_chat_dataset(tmp_path / "d.jsonl")
    run_dir = write_job(tmp_path / "run", profile(tiny_model, device="cuda"), data, models_cache, epochs=1)
    rc, events, _ = run_worker(run_dir, tmp_path / "home")
    assert rc == 1
    assert events[-1]["event"] == "error" and events[-1]["traceback_tail"] == ""
    assert events[-1]["message"].startswith("device 'cuda' was requested but no CUDA GPU is available")


def test_token_budget_run_counts_its_steps(tmp_path, tiny_model, models_cache):
    data = write_chat_dataset(tmp_path / "d.jsonl")
    run_dir = write_job(tmp_path / "run", profile(tiny_model, batch_tokens=64), data, models_cache, epochs=2)
    rc, events, err = run_worker(run_dir, tmp_path / "home")
    assert rc == 0, err[-2000:]
    progress = [e for e in events if e["event"] == "progress"]
    assert [e["step"] for e in progress] == list(range(1, len(progress) + 1))
    assert progress[-1]["step"] == progress[-1]["total_steps"] and len(progress) > 2 * 3  # more, smaller batches than batch_size 4


def test_a_dataset_without_held_out_prompts_gets_them_from_its_eval_split(tmp_path, tiny_model, models_cache):
    """Every dataset gets before/after answers: the questions of its eval split (kept out of
    training), with the dataset's own answers beside them."""
    data = write_chat_dataset(tmp_path / "colours.jsonl")
    run_dir = write_job(tmp_path / "run", profile(tiny_model, eval_fraction=0.2), data, models_cache, epochs=1)
    rc, events, err = run_worker(run_dir, tmp_path / "home")
    assert rc == 0, err[-2000:]
    samples = json.loads((run_dir / "samples.json").read_text())
    assert samples and {s["source"] for s in samples} == {"eval_split"}
    questions = dict(CHAT_ROWS)
    for s in samples:
        assert questions[s["prompt"]] == s["expected"]  # a real question of the dataset, with its answer
