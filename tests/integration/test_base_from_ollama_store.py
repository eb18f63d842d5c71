"""The round trip the app is for, on a tiny model of each architecture in a local Ollama store:
a store model as the base -> resolved with its chat format -> converted once -> trained by the
manager (real worker, PyTorch, PEFT) -> merged into a whole model GGUF -> created in Ollama (a
stand-in reporting 0.35.0, with llama.cpp as its engine) -> the file Ollama received loads in
llama.cpp and continues the trainer's prompts with the trainer's own tokens.

Only the size differs from a real model (tests/fakes/tiny_models.py); that a real store model
learns and answers as trained is the named real-model test tests/e2e/test_base_from_ollama.py
(Gemma 3 270M)."""

from __future__ import annotations

import pytest

from ollama_trainer import chat_formats

from ollama_trainer import bases
from ollama_trainer.contracts import DatasetEntry, TrainingProfile
from ollama_trainer.ollama.export import export_run
from ollama_trainer.training.manager import TrainingManager
from ollama_trainer.training.run_folder import RunFolder
from tests import llamacpp_engine as engine
from tests.fakes import ollama_store
from tests.fakes.ollama_standin import OllamaStandin
from tests.integration.conftest import profile, write_chat_dataset

FORMATS = {"llama": ("smollm2", chat_formats.CHATML_GO), "qwen2": ("smollm2", chat_formats.CHATML_GO),
           "qwen3": ("smollm2", chat_formats.CHATML_GO), "gemma3": ("gemma", chat_formats.GEMMA_GO)}


@pytest.fixture(scope="module")
def store(tmp_path_factory, tiny_models):
    root = tmp_path_factory.mktemp("ollama-models")
    stops = {"smollm2": ["<|im_end|>"], "gemma": ["<end_of_turn>"]}
    ollama_store.make_store(root, [
        ollama_store.FakeModel(f"tiny-{arch}:latest", tiny_models.gguf(arch), template=template,
                               params={"stop": stops[fmt]})
        for arch, (fmt, template) in FORMATS.items()])
    return root


@pytest.fixture
def in_store(store, monkeypatch):
    monkeypatch.setenv("OLLAMA_MODELS", str(store))
    return store


def test_bases_from_the_store_are_resolved_with_their_format(in_store):
    for arch, (fmt, template) in FORMATS.items():
        base = bases.resolve(f"ollama:tiny-{arch}")
        assert (base.kind, base.architecture, base.chat_format) == ("ollama", arch, fmt)
        assert base.key.startswith("ollama-") and base.ollama_template == template
        assert 2_000_000 < base.parameters < 20_000_000


@pytest.mark.parametrize("arch", list(FORMATS))
def test_a_store_model_trained_and_back_in_ollama(in_store, arch, tmp_path):
    engine.require()
    fmt, template = FORMATS[arch]
    prof = TrainingProfile.model_validate(profile(f"ollama:tiny-{arch}", id="from-ollama", replay="off", probe=False,
                                                  default_epochs=2))
    data = write_chat_dataset(tmp_path / "colours.jsonl")
    dataset = DatasetEntry(id="colours", name="Colours", path=str(data), format="chat",
                           held_out_prompts=["What colour is ink?", "What colour is a plum?"])
    manager = TrainingManager()
    tid = manager.start(prof, dataset)
    final = manager.wait(tid, 600)
    assert final.status == "done", final.error
    folder = RunFolder.of(tid)
    job = folder.read_job()
    assert (job.base.kind, job.base.ollama_name, job.base.chat_format, job.base.architecture) == \
        ("ollama", f"tiny-{arch}:latest", fmt, arch)
    with OllamaStandin() as standin:
        result = export_run(tid, host=standin.url, model_name=f"tiny-{arch}-colours")
        (create,) = standin.calls("POST", "/api/create")
        assert "adapters" not in create.json and "from" not in create.json and "quantize" not in create.json
        assert create.json["template"] == template
        received = standin.blobs.path(create.json["files"]["model.gguf"])
        info = engine.info(received)
        samples = folder.samples()
        completions = engine.complete(received, [s.prompt_text for s in samples], max_tokens=8,
                                      bos=arch == "gemma3")
    assert result.ollama_model == f"tiny-{arch}-colours"
    assert info["architecture"] == arch and info["token_count"] == (262144 if arch == "gemma3" else 49152)
    same = [c["tokens"][:8] == s.after_tokens[:8] for c, s in zip(completions, samples)]
    print(arch, same, [c["text"] for c in completions], [s.after for s in samples])
    assert any(same), "llama.cpp does not continue the trainer's prompts with the trainer's tokens"
