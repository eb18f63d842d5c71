"""The llama.cpp test engine (tests/llamacpp_engine.py) against the builtin model's GGUF.

These pin what later tests rely on: llama.cpp reads the GGUF's chat template, tokenizes a
ChatML prompt exactly as the HF tokenizer of the converted model does, and answers it.
One engine call (one model load, about a second) per test.
"""

from __future__ import annotations

import pytest

from ollama_trainer.training.worker.base_models import builtin_gguf
from tests import llamacpp_engine as engine

QUESTION = "What is the capital of France?"
# An explicit system message: with the template's default one ("You are a helpful AI assistant
# named SmolLM, ...") the 135M model's first token is a near tie ("The" 0.15 / "L" 0.14 in
# PyTorch), and llama.cpp's quantized arithmetic tips it to "L'Étoile, ...".
SYSTEM = "You are a helpful assistant."


@pytest.fixture(scope="module")
def gguf():
    engine.require()
    return builtin_gguf()


@pytest.fixture(scope="module")
def hf_tokenizer(builtin_model):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(builtin_model))


def rendered(tokenizer, question: str = QUESTION, system: str | None = SYSTEM) -> str:
    messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": question}]
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def test_info_reads_architecture_and_chat_template(gguf):
    info = engine.info(gguf)
    assert info["architecture"] == "llama"
    assert "<|im_start|>" in (info["chat_template"] or "")
    assert info["token_count"] == 49152
    assert info["parameters"] and info["parameters"] > 100_000_000
    # SmolLM2 adds no BOS of its own; its BOS token is <|im_start|>, which the template writes.
    assert info["adds_bos_token"] is False


def test_tokens_match_hf_tokenizer(gguf, hf_tokenizer):
    texts = [rendered(hf_tokenizer), rendered(hf_tokenizer, "Héllo,  wörld!\n\n  Tabs\tand 123456 émojis 🙂", None)]
    llama_tokens = engine.tokenize(gguf, texts)
    for text, tokens in zip(texts, llama_tokens):
        hf_ids = hf_tokenizer(text, add_special_tokens=False).input_ids
        # Neither side adds a BOS: HF's add_special_tokens=True adds none for this tokenizer
        # either, and the leading <|im_start|> (the BOS id) comes from the text itself.
        assert hf_tokenizer(text).input_ids == hf_ids
        assert tokens[0] == hf_ids[0] == hf_tokenizer.convert_tokens_to_ids("<|im_start|>")
        assert tokens == hf_ids


def test_greedy_completion_and_chat_answer(gguf, hf_tokenizer):
    completion, = engine.complete(gguf, [rendered(hf_tokenizer)], max_tokens=24)
    assert "Paris" in completion["text"], completion
    assert completion["tokens"] and len(completion["tokens"]) <= 24
    answer, = engine.chat(gguf, [{"system": SYSTEM, "prompt": QUESTION}], max_tokens=32)
    assert "Paris" in answer
    # The session renders the GGUF's template as HF does, so both paths give the same answer.
    assert answer == completion["text"].strip()


def test_not_a_model_gguf_is_refused(tmp_path):
    engine.require()
    import gguf as gguf_lib
    import numpy as np

    text_file = tmp_path / "notes.gguf"
    text_file.write_text("not a model\n")
    adapter = tmp_path / "adapter.gguf"
    writer = gguf_lib.GGUFWriter(str(adapter), "llama")
    writer.add_string("general.type", "adapter")
    writer.add_string("adapter.type", "lora")
    writer.add_tensor("blk.0.attn_q.weight.lora_a", np.zeros((8, 576), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()

    with pytest.raises(engine.LlamaCppError, match="not a GGUF file"):
        engine.info(text_file)
    with pytest.raises(engine.LlamaCppError, match="lora adapter GGUF, not a model"):
        engine.tokenize(adapter, ["hi"])
    with pytest.raises(engine.LlamaCppError, match="model file not found"):
        engine.info(tmp_path / "missing.gguf")
