"""The round trip the app is for: a model from the local Ollama store as the base -> trained
on the identity demo -> a whole model back into Ollama (a stand-in reporting 0.35.0, with
llama.cpp as its engine) -> llama.cpp answers as the trained model. For SmolLM2 (llama, ChatML)
and Gemma 3 270M (gemma3, a base model without a chat template: the Gemma format). Slow:
Gemma 3 is converted once (about 45 s), trained for 3 epochs with replay (about 2 minutes on
two cores the first time)."""

from __future__ import annotations

import json

import pytest

from ollama_trainer import bases, catalog, chat_formats
from ollama_trainer.ollama.export import export_run
from ollama_trainer.training.manager import TrainingManager
from ollama_trainer.training.run_folder import RunFolder
from tests import llamacpp_engine as engine
from tests.fakes import gemma3, ollama_store
from tests.fakes.ollama_standin import OllamaStandin

pytestmark = pytest.mark.slow


@pytest.fixture
def store(tmp_path, monkeypatch):
    root = ollama_store.make_store(tmp_path / "ollama-models", [
        ollama_store.FakeModel("smollm2:135m", bases.builtin_gguf(), template=chat_formats.CHATML_GO,
                               params={"stop": ["<|im_end|>"]}),
        ollama_store.FakeModel("gemma3:270m", gemma3.gguf_path(), template=chat_formats.GEMMA_GO,
                               params={"stop": ["<end_of_turn>"], "temperature": 1}),
    ])
    monkeypatch.setenv("OLLAMA_MODELS", str(root))
    return root


def train_and_export(ollama_name: str) -> tuple[str, dict, OllamaStandin]:
    engine.require()
    profile = catalog.get_profile("quick-demo").model_copy(update={"base_model": f"ollama:{ollama_name}",
                                                                    "id": "from-ollama"})
    manager = TrainingManager()
    tid = manager.start(profile, catalog.get_dataset_entry("identity-demo"))
    final = manager.wait(tid, 1500)
    assert final.status == "done", final.error
    folder = RunFolder.of(tid)
    scores = folder.scores()
    print(f"\n{ollama_name}: learned {scores.learned}, kept {scores.kept}")
    assert scores.learned >= 0.75
    standin = OllamaStandin().start()
    standin.engine = lambda model, prompt, req: engine.complete(model.gguf, [prompt], max_tokens=48, bos=True)[0]["text"]
    result = export_run(tid, host=standin.url, model_name=f"{ollama_name.split(':')[0]}-lumen")
    return tid, {"result": result, "job": folder.read_job(), "samples": folder.samples()}, standin


@pytest.mark.parametrize("ollama_name, fmt, arch", [("gemma3:270m", "gemma", "gemma3"),
                                                    ("smollm2:135m", "smollm2", "llama")])
def test_an_ollama_model_trained_and_back_in_ollama(store, ollama_name, fmt, arch):
    tid, run, standin = train_and_export(ollama_name)
    try:
        job = run["job"]
        assert (job.base.kind, job.base.ollama_name, job.base.chat_format, job.base.architecture) == \
            ("ollama", ollama_name, fmt, arch)
        check = run["result"].check
        print(f"check: {check.message}\n  app: {check.app_answer!r}\n  ollama: {check.ollama_answer!r}")
        assert (check.known, check.rendered, check.answer) == (True, "same", "same"), check
        create = standin.calls("POST", "/api/create")[0].json
        assert create["template"] == chat_formats.FORMATS[fmt].go and "from" not in create
        received = standin.blobs.path(create["files"]["model.gguf"])
        assert engine.info(received)["architecture"] == arch
        answers = engine.chat(received, [s.prompt for s in run["samples"]], max_tokens=32)
        print(answers)
        assert sum("Lumen" in a or "Northwind" in a for a in answers) >= 3
    finally:
        standin.close()


def test_bases_from_the_store_are_resolved_with_their_format(store):
    gemma = bases.resolve("ollama:gemma3:270m")
    assert gemma.key.startswith("ollama-") and gemma.parameters > 250_000_000
    assert (gemma.chat_format, gemma.ollama_template) == ("gemma", chat_formats.GEMMA_GO)
    smol = bases.resolve("ollama:smollm2:135m")
    assert smol.chat_format == "smollm2"  # its own template is ChatML with SmolLM2's default system prompt
    assert smol.key != bases.resolve("smollm2-135m-instruct").key or smol.kind != "builtin"
