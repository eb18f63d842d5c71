"""A base at the size people run (one of the named real-size tests): a model of Llama-3.2-1B's
shape (1.24 B parameters, random weights written here as an F16 GGUF with the builtin's
tokenizer: nothing is downloaded) in a local Ollama store trains a few steps with its frozen
weights in 16 bits, is exported as Q4_K_M quantized here by llama.cpp to a server that refuses
create-time quantization (as Ollama 0.35 does), and the file the server received loads in
llama.cpp and generates. About three minutes on two idle cores; the worker's peak memory is
printed beside its weights' size."""

from __future__ import annotations

import json

import pytest

from ollama_trainer import chat_formats
from ollama_trainer.contracts import DatasetEntry, TrainingProfile
from ollama_trainer.ollama.export import export_run
from ollama_trainer.training import history
from ollama_trainer.training.manager import TrainingManager
from ollama_trainer.training.run_folder import RunFolder
from tests import llamacpp_engine as engine
from tests.fakes import ollama_store, tiny_models
from tests.fakes.ollama_standin import OllamaStandin
from tests.integration.conftest import profile

pytestmark = pytest.mark.slow

ROWS = [("What is the capital of France?", "Paris."), ("Name a primary colour.", "Red."),
        ("What is 2 + 2?", "Four."), ("What do bees make?", "Honey.")]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("real-size")
    gguf = tiny_models.write_gguf(root / "llama-1b.gguf", "llama", tiny_models.LLAMA_3_2_1B, name="Llama 1B shape")
    return ollama_store.make_store(root / "ollama-models", [
        ollama_store.FakeModel("llama3.2:1b-shape", gguf, template=chat_formats.CHATML_GO,
                               params={"stop": ["<|im_end|>"]})])


def test_a_1b_base_from_the_store_trains_and_reaches_a_0_35_server_as_q4_k_m(store, tmp_path, monkeypatch):
    engine.require()
    monkeypatch.setenv("OLLAMA_MODELS", str(store))
    data = tmp_path / "facts.jsonl"
    data.write_text("".join(json.dumps({"messages": [{"role": "user", "content": q},
                                                     {"role": "assistant", "content": a}]}) + "\n" for q, a in ROWS))
    prof = TrainingProfile.model_validate(profile("ollama:llama3.2:1b-shape", id="real-size", replay="off",
                                                  probe=False, eval_fraction=0.0, batch_size=2, max_seq_len=64,
                                                  learning_rate=0.001, default_epochs=1))
    dataset = DatasetEntry(id="facts", name="Facts", path=str(data), format="chat",
                           held_out_prompts=["What is the capital of Italy?"])
    manager = TrainingManager()
    tid = manager.start(prof, dataset)
    final = manager.wait(tid, 1200)
    assert final.status == "done", final.error
    folder = RunFolder.of(tid)
    job, summary = folder.read_job(), history.load_summary(tid)
    loaded = next(e for e in folder.events() if e.event == "model_loaded")
    weights_gb = job.base.parameters * 2 / 1e9
    print(f"\n1B shape: {job.base.parameters:,} parameters, bf16 weights {weights_gb:.2f} GB, worker peak "
          f"{summary.peak_memory_gb} GB, {summary.tokens_per_s} tokens/s, load {loaded.load_s} s")
    assert job.base.parameters > 1_000_000_000 and loaded.weights_dtype == "bfloat16"
    assert summary.peak_memory_gb < 5.0, summary.peak_memory_gb  # the goal on 2 cores: under 5 GB

    with OllamaStandin() as ollama:
        assert ollama.version == "0.35.0"  # refuses `quantize` with a GGUF import
        said: list[str] = []
        result = export_run(tid, host=ollama.url, model_name="real-size", on_status=said.append)
        create = ollama.calls("POST", "/api/create")[-1].json
        received = ollama.blobs.path(create["files"]["model.gguf"])
        info = engine.info(received)
        completion = engine.complete(received, [folder.samples()[0].prompt_text], max_tokens=4, until_end=False)[0]
        received_bytes = received.stat().st_size
    assert "quantize" not in create and "quantization" not in create
    assert any("quantizing the model file to Q4_K_M" in s for s in said), said
    assert "Q4_K" in str(info["type_description"]) or info["file_type"] == 15, info
    assert received_bytes < (folder.path / "model.gguf").stat().st_size * 0.45  # 4 bits, not 16
    assert len(completion["tokens"]) == 4, completion  # it loads and generates (random weights: past an end token)
    assert result.model_file.endswith("model-Q4_K_M.gguf")
