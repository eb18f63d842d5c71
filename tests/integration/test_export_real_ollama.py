"""Opt-in: export to a real Ollama. Runs only when OLLAMA_TRAINER_REAL_OLLAMA=1 and Ollama
answers at OLLAMA_HOST (or the default address) with smollm2:135m pulled.

The adapter is a LoRA on a model with SmolLM2-135M's exact shapes (9 heads, 3 KV heads,
hidden 576, 30 layers), with B = 0, so the created model must behave like the base; the test
checks that Ollama converts it, lists it, and answers a chat with it (both the JSON-API model
and one built by hand from the written Modelfile with adapter.gguf, when the `ollama` CLI is
on PATH)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from ollama_trainer.contracts import TrainingRunSummary
from ollama_trainer.ollama import client as oc
from ollama_trainer.ollama.chat import ask_ollama
from ollama_trainer.ollama.export import export_run
from ollama_trainer.training import history

pytestmark = pytest.mark.skipif(os.environ.get("OLLAMA_TRAINER_REAL_OLLAMA") != "1",
                                reason="set OLLAMA_TRAINER_REAL_OLLAMA=1 with a running Ollama to run")
TRAINING_ID = "20250101-000000-real01"


def test_export_to_real_ollama(tmp_path):
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    state = oc.connection_state()
    if not state.reachable:
        pytest.skip(state.message)
    config = LlamaConfig(vocab_size=49152, hidden_size=576, intermediate_size=1536, num_hidden_layers=30,
                         num_attention_heads=9, num_key_value_heads=3, tie_word_embeddings=True)
    base = tmp_path / "base"
    base.mkdir()
    (base / "config.json").write_text(config.to_json_string())
    with torch.device("meta"):
        model = LlamaForCausalLM(config)
    model = model.to_empty(device="cpu")
    peft_model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=[
        "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]))
    run = history.run_dir(TRAINING_ID)
    peft_model.save_pretrained(run / "adapter", safe_serialization=True)
    profile = {"id": "real", "name": "Real", "base_model": str(base), "ollama_base": "smollm2:135m"}
    (run / "job.json").write_text(json.dumps({"training_id": TRAINING_ID, "epochs": 1, "profile": profile,
                                              "dataset": {"id": "real", "path": "/real.jsonl"},
                                              "models_dir": str(tmp_path)}))
    history.record(TrainingRunSummary(training_id=TRAINING_ID, profile_id="real", dataset_id="real", status="done",
                                      started_at="2025-01-01T00:00:00+00:00", finished_at="2025-01-01T00:00:01+00:00",
                                      epochs=1))
    result = export_run(TRAINING_ID, model_name="ollama-trainer-test:real")
    assert result.statuses[-1] == "success"
    assert ask_ollama(result.ollama_model, "Say hello.")[0].strip()
    if shutil.which("ollama"):
        subprocess.run(["ollama", "create", "ollama-trainer-test:gguf", "-f", "Modelfile"], cwd=run, check=True,
                       timeout=300)
        assert ask_ollama("ollama-trainer-test:gguf", "Say hello.")[0].strip()
