"""The fake Ollama stores the store tests read (test_ollama_store.py, test_ollama_store_errors.py,
test_bases_and_profiles.py): tiny GGUF files written here, laid out by tests/fakes/ollama_store.py.
Import the fixtures into a test module:

    from tests.unit.ollama_store_helpers import ggufs, root  # noqa: F401
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ollama_trainer.errors import DomainError
from ollama_trainer.bases.ollama_store import StoreError
from tests.fakes.ollama_store import FakeModel, make_store

TEMPLATE = "{{ if .System }}<|system|>{{ .System }}{{ end }}<|user|>{{ .Prompt }}<|assistant|>{{ .Response }}"


def write_gguf(path: Path, arch: str = "llama", seed: int = 0) -> Path:
    import gguf

    writer = gguf.GGUFWriter(str(path), arch)
    writer.add_name(f"tiny {arch}")
    writer.add_context_length(64)
    writer.add_embedding_length(8)
    writer.add_block_count(1)
    writer.add_head_count(2)
    writer.add_head_count_kv(1)
    writer.add_tokenizer_model("gpt2")
    writer.add_token_list(["<s>", "</s>", "a", "b"])
    rng = np.random.default_rng(seed)
    writer.add_tensor("token_embd.weight", rng.standard_normal((4, 8), dtype=np.float32))
    writer.add_tensor("blk.0.attn_q.weight", rng.standard_normal((8, 8), dtype=np.float32))
    writer.add_tensor("output_norm.weight", np.ones(8, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


@pytest.fixture
def ggufs(tmp_path) -> dict[str, Path]:
    folder = tmp_path / "ggufs"
    folder.mkdir()
    return {name: write_gguf(folder / f"{name}.gguf", seed=i) for i, name in enumerate(("a", "b", "c"))}


@pytest.fixture
def root(tmp_path, ggufs) -> Path:
    return make_store(tmp_path / "models", [
        FakeModel("smollm2:135m", ggufs["a"], template=TEMPLATE, system="You are brief.",
                  params={"stop": ["<|user|>"], "temperature": 0.2}, license="Apache 2.0"),
        FakeModel("gemma3:270m", ggufs["b"]),
        FakeModel("me/tuned:v1", ggufs["c"], template=TEMPLATE),
    ])


def codes(fn, *args, **kwargs) -> StoreError:
    with pytest.raises(StoreError) as info:
        fn(*args, **kwargs)
    assert isinstance(info.value, DomainError)
    return info.value
