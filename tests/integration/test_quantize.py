"""Quantized model files made here: llama.cpp's own quantizer (the prebuilt libllama of
node-llama-cpp, in a child process) writes Q8_0 and Q4_K_M, gguf-py's numpy Q8_0 serves when
llama.cpp is not installed, and llama.cpp loads and runs every file. An export sends the file
already quantized and never asks Ollama to quantize (0.35 refuses it for a GGUF)."""

from __future__ import annotations

import pytest

from ollama_trainer.ollama.export import export_run, export_state
from ollama_trainer.weights import quantize
from tests import llamacpp_engine as engine
from tests.fakes import tiny_models
from tests.fakes.fixtures import ollama_standin  # noqa: F401
from tests.integration.export_helpers import TRAINING_ID

PROMPT = "<|im_start|>user\nWhat colour is the sky?<|im_end|>\n<|im_start|>assistant\n"


@pytest.fixture(scope="module")
def f16_model(tmp_path_factory):
    # 256 wide: Q4_K's blocks of 256 fit every row (a narrower model falls back to other types)
    shape = tiny_models.Shape(hidden=256, inter=512, layers=2, heads=4, kv_heads=2, head_dim=64, embed_std=0.2, std=0.05)
    return tiny_models.write_gguf(tmp_path_factory.mktemp("quantize") / "model.gguf", "llama", shape)


@pytest.mark.parametrize("kind, ftype", [("q8_0", "Q8_0"), ("q4_K_M", "Q4_K")])
def test_llama_cpps_quantizer_writes_a_file_llama_cpp_runs(f16_model, tmp_path, kind, ftype):
    engine.require()
    assert quantize.available() is None, quantize.available()
    made = quantize.quantize(f16_model, tmp_path / f"model-{kind}.gguf", kind)
    assert made.path.is_file() and made.bytes == made.path.stat().st_size
    assert made.bytes < f16_model.stat().st_size * (0.6 if kind == "q8_0" else 0.5)
    assert not list(tmp_path.glob(".*tmp*"))  # written next to the target and renamed into place
    info = engine.info(made.path)
    assert ftype in str(info["type_description"]), info
    assert len(engine.complete(made.path, [PROMPT], max_tokens=4)[0]["tokens"]) == 4


def test_without_llama_cpp_q8_0_comes_from_numpy_and_q4_k_m_says_what_is_missing(f16_model, tmp_path, monkeypatch):
    monkeypatch.setenv(quantize.LIB_ENV, str(tmp_path / "nothing-here"))
    assert "not installed" in quantize.available()
    made = quantize.quantize(f16_model, tmp_path / "model-q8.gguf", "q8_0")
    assert "Q8_0" in str(engine.info(made.path)["type_description"])
    with pytest.raises(quantize.QuantizeError) as err:
        quantize.quantize(f16_model, tmp_path / "model-q4.gguf", "q4_K_M")
    assert "needs llama.cpp's quantizer" in str(err.value) and "F16 or Q8_0" in str(err.value)


def test_an_export_sends_the_file_already_quantized(run, ollama_standin):
    options = {o.kind: o for o in export_state(TRAINING_ID).options}
    assert set(options) == {"f16", "q8_0", "q4_K_M"} and options["f16"].default  # a small base: F16 by default
    assert options["q4_K_M"].bytes < options["q8_0"].bytes < options["f16"].bytes
    said: list[str] = []
    result = export_run(TRAINING_ID, host=ollama_standin.url, quantize="q8_0", on_status=said.append)
    (create,) = ollama_standin.calls("POST", "/api/create")
    assert "quantize" not in create.json  # Ollama 0.35 refuses it for a GGUF: the file is quantized here
    received = ollama_standin.blobs.path(create.json["files"]["model.gguf"])
    assert received.read_bytes() == (run / "model-Q8_0.gguf").read_bytes()
    assert result.model_file == str(run / "model-Q8_0.gguf") and "FROM ./model-Q8_0.gguf" in (run / "Modelfile").read_text()
    assert any("quantizing the model file to Q8_0" in s for s in said)
    state = export_state(TRAINING_ID)
    assert state.quantize == "q8_0" and state.model_bytes == received.stat().st_size
