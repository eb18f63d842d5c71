"""The real training worker on a tiny Llama-shaped model: events, loss, cancel, resume, kill,
adapter files, ask mode and clean errors. Every run is a real subprocess."""

from __future__ import annotations

import json
import signal
import subprocess

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
}


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, tiny_model, models_cache):
    """One complete 4-epoch run (12 examples: 10 train, 2 eval; batch 4 -> 3 steps/epoch)."""
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
    kinds = [e["event"] for e in on_disk]
    assert kinds[:3] == ["started", "model_loaded", "dataset"] and kinds[-1] == "done"
    assert on_disk[0]["training_id"] == "t-test"
    assert on_disk[2]["train_examples"] == 10 and on_disk[2]["eval_examples"] == 2
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
    assert names and all(n.startswith("base_model.model.model.layers.") for n in names), names[:3]
    assert any(n.endswith("self_attn.q_proj.lora_A.weight") for n in names)
    assert any(n.endswith("mlp.down_proj.lora_B.weight") for n in names)
    assert len(names) == 2 * 7 * 2  # (A, B) x 7 modules x 2 layers


def test_samples_before_and_after(finished_run):
    samples = json.loads((finished_run["run_dir"] / "samples.json").read_text())
    assert [s["prompt"] for s in samples] == ["What colour is a banana?"]
    assert {"prompt", "before", "after", "prompt_text", "after_tokens", "expected", "source"} == samples[0].keys()
    assert samples[0]["source"] == "dataset" and samples[0]["expected"] is None
    assert samples[0]["prompt_text"].endswith("<|im_start|>assistant\n")  # what the answer was generated from
    assert isinstance(samples[0]["before"], str) and isinstance(samples[0]["after"], str)
    assert samples[0]["before"] != samples[0]["after"]  # the adapter changed what it says
    assert any(e["event"] == "samples" for e in finished_run["events"])


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


def test_lm_head_on_labelled_positions_equals_hf_loss(tiny_model):
    """The trainer's loss (lm_head only where there are labels) equals HF's full-logits loss."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from ollama_trainer.training.worker import batching
    from ollama_trainer.training.worker.recipe import loss_sum

    tok = AutoTokenizer.from_pretrained(str(tiny_model))
    model = AutoModelForCausalLM.from_pretrained(str(tiny_model), dtype=torch.float32)
    model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM"))
    torch.manual_seed(1)
    with torch.no_grad():  # non-zero LoRA B, so the adapter takes part
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.5)
    examples = [
        {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello there, friend."}]},
        {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "A much longer question about colours and things?"},
                      {"role": "assistant", "content": "Blue."}, {"role": "user", "content": "And?"}, {"role": "assistant", "content": "Red."}]},
        {"text": "Plain text is trained on every token."},
    ]
    batch = batching.collate([batching.encode(tok, e, 128) for e in examples], tok.pad_token_id)
    assert batch.attention_mask.min() == 0  # padding is present
    model.eval()
    with torch.no_grad():
        ours = loss_sum(model, batch) / batch.n_targets
        theirs = model(input_ids=batch.input_ids, attention_mask=batch.attention_mask, labels=batch.labels).loss
    assert abs(ours.item() - theirs.item()) < 1e-4
    assert ours.item() > 1.0  # a real loss, not a degenerate zero


def test_labels_cover_assistant_turns_and_end_token(builtin_model):
    from transformers import AutoTokenizer

    from ollama_trainer.training.worker import batching

    tok = AutoTokenizer.from_pretrained(str(builtin_model))
    e = batching.encode(tok, {"messages": [{"role": "user", "content": "Who are you?"}, {"role": "assistant", "content": "I am Lumen."},
                                           {"role": "user", "content": "Sure?"}, {"role": "assistant", "content": "Yes."}]}, 256)
    trained = tok.decode([t for t, l in zip(e.input_ids, e.labels) if l != -100])
    assert trained == "I am Lumen.<|im_end|>Yes.<|im_end|>"
    cut = batching.encode(tok, {"messages": [{"role": "user", "content": "Who are you?"}, {"role": "assistant", "content": "I am Lumen."}]}, 20)
    assert len(cut.input_ids) == 20 and len(cut.labels) == 20


def test_sigterm_before_the_first_step_stops_at_once(tmp_path, tiny_model, models_cache):
    """A stop pressed while the model loads: no step is trained, the position is saved."""
    import time

    from .conftest import start_worker

    run_dir = _long_job(tmp_path, tiny_model, models_cache)
    proc = start_worker(run_dir, tmp_path / "home")
    first = proc.stdout.readline()
    assert json.loads(first)["event"] == "started"
    time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=300)
    events = [json.loads(first)] + [json.loads(line) for line in out.splitlines()]
    assert proc.returncode == 3, err[-2000:]
    assert events[-1]["event"] == "cancelled" and events[-1]["step"] == 0
    assert not any(e["event"] == "progress" for e in events)
    state = json.loads((run_dir / "checkpoints" / "last" / "state.json").read_text())
    assert (state["epoch"], state["batch_index"], state["step"]) == (0, 0, 0)


def test_epoch_batches_are_length_grouped_and_reproducible():
    from ollama_trainer.training.worker import batching

    lengths = [(i * 37) % 101 + 5 for i in range(230)]
    a = batching.epoch_batches(lengths, 4, seed=7, epoch=0, mega_mult=10)
    assert a == batching.epoch_batches(lengths, 4, seed=7, epoch=0, mega_mult=10)  # a function of (seed, epoch)
    assert a != batching.epoch_batches(lengths, 4, seed=7, epoch=1, mega_mult=10)
    assert a != batching.epoch_batches(lengths, 4, seed=8, epoch=0, mega_mult=10)
    assert sorted(i for b in a for i in b) == list(range(230))
    padded = sum(len(b) * max(lengths[i] for i in b) for b in a)
    assert padded < 1.15 * sum(lengths)  # grouping keeps padding small (random batches: ~1.5x)


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


def test_fused_training_step_equals_hf_loss_and_gradients(tiny_model):
    """The training path (causal-only attention on right-padded rows, fused LoRA addmm, chunked
    lm_head + cross-entropy with its gradient) gives HF's masked full-logits loss and the same
    LoRA gradients, on a batch with padding, prompt tokens and a plain-text row."""
    import copy

    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from ollama_trainer.training.worker import batching, fused
    from ollama_trainer.training.worker.recipe import loss_sum

    tok = AutoTokenizer.from_pretrained(str(tiny_model))
    base = AutoModelForCausalLM.from_pretrained(str(tiny_model), dtype=torch.float32)
    plain = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules=list(ALL_MODULES), task_type="CAUSAL_LM"))
    torch.manual_seed(2)
    with torch.no_grad():
        for name, p in plain.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.5)
    ours = copy.deepcopy(plain)
    assert fused.fuse_lora(ours) == 2 * len(ALL_MODULES)
    examples = [
        {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello there, friend. " * 6}]},
        {"messages": [{"role": "user", "content": "A longer question about colours?"}, {"role": "assistant", "content": "Blue."},
                      {"role": "user", "content": "And?"}, {"role": "assistant", "content": "Red."}]},
        {"text": "Plain text is trained on every token."},
    ]
    batch = batching.collate([batching.encode(tok, e, 128) for e in examples], tok.pad_token_id)
    assert batch.attention_mask.min() == 0
    ours.train()
    plain.train()
    loss_ours = loss_sum(ours, batch, chunk=7) / batch.n_targets  # several chunks, a ragged last one
    loss_ours.backward()
    loss_hf = plain(input_ids=batch.input_ids, attention_mask=batch.attention_mask, labels=batch.labels).loss
    loss_hf.backward()
    assert abs(loss_ours.item() - loss_hf.item()) < 1e-4 and loss_hf.item() > 1.0
    grads_hf = {n: p.grad for n, p in plain.named_parameters() if p.requires_grad}
    grads_ours = {n: p.grad for n, p in ours.named_parameters() if p.requires_grad}
    assert grads_ours.keys() == grads_hf.keys() and len(grads_hf) == 4 * len(ALL_MODULES)
    for name, g in grads_hf.items():
        assert g.abs().max() > 0, name
        assert torch.allclose(grads_ours[name], g, rtol=1e-3, atol=1e-5), name
    # under bf16 autocast (CUDA, and CPUs with native bf16) the same path stays close to fp32
    ours.zero_grad()
    loss_bf16 = loss_sum(ours, batch, lambda: torch.autocast("cpu", dtype=torch.bfloat16), chunk=7) / batch.n_targets
    loss_bf16.backward()
    assert loss_bf16.dtype == torch.float32 and abs(loss_bf16.item() - loss_hf.item()) < 0.02 * loss_hf.item()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for n, p in ours.named_parameters() if p.requires_grad)


def test_token_budget_batches_fit_the_budget_and_cover_every_example():
    from ollama_trainer.training.worker import batching

    lengths = [(i * 53) % 480 + 20 for i in range(300)]
    a = batching.epoch_batches(lengths, 4, seed=3, epoch=0, max_tokens=2048)
    assert a == batching.epoch_batches(lengths, 4, seed=3, epoch=0, max_tokens=2048)
    assert sorted(i for b in a for i in b) == list(range(300))
    assert all(len(b) * max(lengths[i] for i in b) <= 2048 for b in a)
    sizes = {len(b) for b in a}
    assert max(sizes) >= 8 and min(sizes) <= 4  # short examples go many to a batch, long ones few
    assert batching.epoch_batches([5000, 10, 10], 4, seed=1, epoch=0, max_tokens=100) != []  # an over-budget example: a batch of its own
    assert sorted(map(len, batching.epoch_batches([5000, 10, 10], 4, seed=1, epoch=0, max_tokens=100))) == [1, 2]


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
