"""Export a run to the Ollama stand-in as a whole model (a current Ollama refuses adapters); every
way it can fail is test_export_failures.py. The run here is made by hand (export_helpers.py): a
small llama GGUF as the base and a random PEFT LoRA for it (no torch), plus one run on a
safetensors folder base. A real training whose model file llama.cpp loads and answers from is
test_worker_real.py (the builtin model) and tests/e2e/test_base_from_ollama.py (Gemma 3)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ollama_trainer.errors import DomainError
from ollama_trainer.ollama import modelfile
from ollama_trainer.ollama.export import export_run, export_state
from ollama_trainer.training import history
from tests.fakes import tiny_gguf
from tests.fakes.fixtures import ollama_standin  # noqa: F401
from tests.integration.export_helpers import (APP_ANSWER, HELD_OUT, HIDDEN, LAYERS, MODULES, N_HEAD, N_KV_HEAD, RANK,
                                              TRAINING_ID, make_run, sha, trained_prompt)


def test_export_to_a_current_server(run, answering):
    standin = answering
    assert standin.version == "0.35.0"
    seen: list[str] = []
    result = export_run(TRAINING_ID, host=standin.url, on_status=seen.append)

    assert result.ollama_model == "faq-abc123"
    model_gguf = run / "model.gguf"  # written now: this run had none
    assert result.model_file == str(model_gguf)
    assert standin.blobs[sha(model_gguf)] == model_gguf.read_bytes()
    (create,) = standin.calls("POST", "/api/create")
    body = create.json
    assert body["model"] == "faq-abc123" and body["stream"] is True
    assert body["files"] == {"model.gguf": sha(model_gguf)}
    assert "from" not in body and "adapters" not in body and "quantize" not in body
    assert body["template"] == modelfile.CHATML_TEMPLATE
    assert body["parameters"]["stop"] == ["<|im_end|>", "<|im_start|>"]
    assert body["parameters"]["temperature"] == pytest.approx(0.2)
    assert body["system"].startswith("You are a helpful AI assistant named SmolLM")
    assert result.statuses[0] == "parsing GGUF" and result.statuses[-1] == "success"
    assert [s for s in seen if s in result.statuses] == result.statuses
    assert any(s.startswith("uploading model.gguf") for s in seen)
    details = standin.find("faq-abc123")
    assert (details.architecture, details.quantization) == ("llama", "F16")
    # the check: Ollama knows it, renders the held-out prompt as training did, answers the same
    check = result.check
    assert (check.known, check.rendered, check.answer) == (True, "same", "same")
    assert check.rendered_prompt == trained_prompt(HELD_OUT) and check.message == "Ollama answers as the trained model"
    # artefacts and state
    text = (run / "Modelfile").read_text()
    assert "\nFROM ./model.gguf\n" in text and "\nADAPTER" not in text
    assert result.command == f"cd {run} && ollama create faq-abc123 -f Modelfile"
    state = export_state(TRAINING_ID)
    assert (state.state, state.model, state.host, state.error) == ("done", "faq-abc123", standin.url, None)
    assert state.check == check and state.model_file == str(model_gguf)
    assert state.gguf_adapter == str(run / "adapter.gguf")  # the LoRA alone, for llama.cpp users
    assert history.load_summary(TRAINING_ID).ollama_model == "faq-abc123"


def test_the_merged_model_is_base_plus_lora(run, ollama_standin, tiny_adapter):
    import gguf
    from safetensors.numpy import load_file

    export_run(TRAINING_ID, host=ollama_standin.url)
    merged = {t.name: t for t in gguf.GGUFReader(str(run / "model.gguf")).tensors}
    base = {t.name: t for t in gguf.GGUFReader(str(tiny_adapter[1])).tensors}
    assert set(merged) == set(base)
    peft = load_file(str(tiny_adapter[0] / "adapter_model.safetensors"))
    a = peft["base_model.model.model.layers.1.mlp.down_proj.lora_A.weight"]
    b = peft["base_model.model.model.layers.1.mlp.down_proj.lora_B.weight"]
    expected = base["blk.1.ffn_down.weight"].data + (8 / RANK) * (b @ a)
    assert merged["blk.1.ffn_down.weight"].tensor_type == gguf.GGMLQuantizationType.F16
    np.testing.assert_allclose(merged["blk.1.ffn_down.weight"].data.astype(np.float32), expected, rtol=1e-3, atol=2e-3)


def test_an_older_server_takes_the_same_path(run, answering):
    answering.version = "0.12.11"
    result = export_run(TRAINING_ID, host=answering.url)
    assert answering.calls("POST", "/api/create")[0].json["files"] == {"model.gguf": sha(run / "model.gguf")}
    assert (result.check.rendered, result.check.answer) == ("same", "same")


def test_a_second_export_skips_the_upload(run, ollama_standin):
    export_run(TRAINING_ID, host=ollama_standin.url)
    export_run(TRAINING_ID, host=ollama_standin.url, model_name="faq-two")
    assert len(ollama_standin.calls("POST", "/api/blobs/")) == 1
    assert len(ollama_standin.calls("HEAD", "/api/blobs/")) == 2
    assert ollama_standin.find("faq-two") is not None


def test_quantize_is_made_here_and_never_asked_of_ollama(run, ollama_standin):
    """Ollama 0.35 refuses create-time quantization of a GGUF: the model file is quantized here
    (llama.cpp's quantizer), so --quantize works with every version."""
    export_run(TRAINING_ID, host=ollama_standin.url, quantize="q4_K_M")
    assert "quantize" not in ollama_standin.calls("POST", "/api/create")[0].json
    assert ollama_standin.find("faq-abc123").quantization == "Q4_K_M"
    assert export_state(TRAINING_ID).quantize == "q4_K_M"
    with pytest.raises(DomainError) as err:
        export_run(TRAINING_ID, host=ollama_standin.url, quantize="q2")
    assert err.value.code == "invalid_argument"


def test_the_check_says_what_differs(run, ollama_standin):
    ollama_standin.engine = lambda model, prompt, req: "Something else entirely."
    check = export_run(TRAINING_ID, host=ollama_standin.url).check
    assert (check.rendered, check.answer) == ("same", "differs")
    assert check.ollama_answer == "Something else entirely." and check.app_answer == APP_ANSWER
    assert "answer differs" in check.message
    assert export_state(TRAINING_ID).state == "done"  # the model is there; the card says what differs


def test_a_server_without_render_debug_is_not_checked_there(run, answering):
    answering.version = "0.11.4"
    check = export_run(TRAINING_ID, host=answering.url).check
    assert (check.rendered, check.answer) == ("not_checked", "same")
    assert "not checked" in check.message


def test_a_run_without_held_out_answers_is_checked_for_show_only(tiny_adapter, ollama_standin):
    make_run(*tiny_adapter, samples=False)
    check = export_run(TRAINING_ID, host=ollama_standin.url).check
    assert (check.known, check.rendered, check.answer) == (True, "not_checked", "not_checked")


def test_the_exported_model_answers_chat(run, ollama_standin):
    from ollama_trainer.ollama.chat import ask_ollama

    result = export_run(TRAINING_ID, model_name="faq-bot:v1", host=ollama_standin.url)
    assert result.ollama_model == "faq-bot:v1"
    answer, cut = ask_ollama("faq-bot:v1", "What is LoRA?", host=ollama_standin.url)
    assert answer.startswith("faq-bot:v1 says: What is LoRA?") and not cut  # done_reason "stop"
    chat = ollama_standin.calls("POST", "/api/chat")[-1]
    assert chat.json["options"] == {"temperature": 0} and chat.json["stream"] is False
    with pytest.raises(DomainError) as err:
        ask_ollama("ghost", "hi", host=ollama_standin.url)
    assert err.value.code == "unknown_ollama_model"


def test_gguf_adapter_read_back(run, ollama_standin, tiny_adapter):
    import gguf
    from safetensors.numpy import load_file

    export_run(TRAINING_ID, host=ollama_standin.url)
    reader = gguf.GGUFReader(run / "adapter.gguf")
    fields = {name: f for name, f in reader.fields.items()}

    def text(key):
        f = fields[key]
        return bytes(f.parts[f.data[0]]).decode()

    assert (text("general.architecture"), text("general.type"), text("adapter.type")) == ("llama", "adapter", "lora")
    alpha = fields["adapter.lora.alpha"]
    assert float(alpha.parts[alpha.data[0]][0]) == 8.0
    peft = load_file(str(run / "adapter" / "adapter_model.safetensors"))
    by_name = {t.name: t for t in reader.tensors}
    assert len(by_name) == LAYERS * len(MODULES) * 2
    for layer in range(LAYERS):
        for module, gname in tiny_gguf.GGUF_NAMES.items():
            part = "mlp" if module in ("gate_proj", "up_proj", "down_proj") else "self_attn"
            a = peft[f"base_model.model.model.layers.{layer}.{part}.{module}.lora_A.weight"]
            b = peft[f"base_model.model.model.layers.{layer}.{part}.{module}.lora_B.weight"]
            ta, tb = by_name[f"blk.{layer}.{gname}.weight.lora_a"], by_name[f"blk.{layer}.{gname}.weight.lora_b"]
            # GGUF dims (ne) are numpy's reversed: a.ne = [in, r], b.ne = [r, out]
            assert list(ta.shape) == [a.shape[1], RANK] and list(tb.shape) == [RANK, b.shape[0]]
            np.testing.assert_array_equal(ta.data, a)
            if module in ("q_proj", "k_proj"):
                heads = N_HEAD if module == "q_proj" else N_KV_HEAD
                out = b.shape[0]
                expected = b.reshape(heads, 2, out // heads // 2, RANK).swapaxes(1, 2).reshape(out, RANK)
                assert not np.array_equal(expected, b)
                np.testing.assert_array_equal(tb.data, expected)
            else:
                np.testing.assert_array_equal(tb.data, b)


# -- a safetensors folder base: written as a GGUF by llama.cpp's converter ---------------------
def test_a_folder_base_exports_as_a_gguf_llama_cpp_wrote(tiny_models, tmp_path, ollama_standin):
    """The tiny llama as a safetensors folder (SmolLM2's tokenizer): the export merges the LoRA
    into the folder, llama.cpp's converter writes it as model.gguf (no merged/ left), which is
    the same model the GGUF path writes from the same weights, quantizes here and loads in
    llama.cpp."""
    import gguf

    from ollama_trainer.weights.merge import merge_into_gguf
    from tests import llamacpp_engine as engine

    engine.require()
    adapter = tiny_gguf.write_peft_adapter(tmp_path / "adapter", rank=RANK)
    run = make_run(adapter, tiny_models.folder("llama"))
    result = export_run(TRAINING_ID, host=ollama_standin.url, quantize="q4_K_M")

    model_gguf = run / "model.gguf"
    assert model_gguf.is_file() and not (run / "merged").exists()
    assert result.model_file == str(run / "model-Q4_K_M.gguf")
    (create,) = ollama_standin.calls("POST", "/api/create")
    assert create.json["files"] == {"model.gguf": sha(run / "model-Q4_K_M.gguf")} and "quantize" not in create.json
    assert "\nFROM ./model-Q4_K_M.gguf\n" in (run / "Modelfile").read_text()
    # the same model as the GGUF base's merge (the folder holds the GGUF's weights in bf16)
    reference = merge_into_gguf(tiny_models.gguf("llama"), run / "adapter", tmp_path / "reference.gguf").path
    ours, theirs = gguf.GGUFReader(str(model_gguf)), gguf.GGUFReader(str(reference))
    mine = {t.name: t for t in ours.tensors}
    assert set(mine) == {t.name for t in theirs.tensors}
    for t in theirs.tensors:
        np.testing.assert_allclose(mine[t.name].data.astype(np.float32).reshape(t.data.shape),
                                   t.data.astype(np.float32), rtol=2e-2, atol=2e-2, err_msg=t.name)
    for key in ("general.architecture", "tokenizer.ggml.model", "tokenizer.ggml.pre"):
        assert ours.fields[key].contents() == theirs.fields[key].contents(), key
    assert ours.fields["tokenizer.ggml.tokens"].contents() == theirs.fields["tokenizer.ggml.tokens"].contents()
    # llama.cpp loads what Ollama received and generates from it
    (answer,) = engine.complete(run / "model-Q4_K_M.gguf", ["The capital of France is"], max_tokens=4)
    assert len(answer["tokens"]) > 0, answer


# -- a folder llama.cpp cannot convert: the merged folder goes to Ollama (its MLX engine) -------
@pytest.fixture(scope="session")
def folder_adapter(tmp_path_factory, builtin_model) -> tuple[Path, Path]:
    """(adapter, base folder): a tiny HF llama saved with the builtin's tokenizer files."""
    import shutil

    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    root = tmp_path_factory.mktemp("tiny-folder")
    config = LlamaConfig(vocab_size=256, hidden_size=HIDDEN, intermediate_size=128, num_hidden_layers=LAYERS,
                         num_attention_heads=N_HEAD, num_key_value_heads=N_KV_HEAD, max_position_embeddings=128)
    torch.manual_seed(0)
    base = root / "base"
    LlamaForCausalLM(config).save_pretrained(base)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(builtin_model / name, base / name)
    return tiny_gguf.write_peft_adapter(root / "adapter", rank=RANK), base


def test_a_folder_llama_cpp_cannot_convert_sends_the_merged_folder(folder_adapter, ollama_standin):
    from safetensors.numpy import load_file

    adapter, base = folder_adapter
    run = make_run(adapter, base)
    result = export_run(TRAINING_ID, host=ollama_standin.url)
    merged = run / "merged"
    assert result.model_file == str(merged) and not (run / "model.gguf").exists()
    files = ollama_standin.calls("POST", "/api/create")[0].json["files"]
    assert set(files) == {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                          "generation_config.json"} & {p.name for p in merged.iterdir()}
    assert files["model.safetensors"] == sha(merged / "model.safetensors")
    assert result.statuses[0] == "converting model"
    assert "\nFROM ./merged\n" in (run / "Modelfile").read_text()
    peft = load_file(str(adapter / "adapter_model.safetensors"))
    a = peft["base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"]
    b = peft["base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight"]
    before = load_file(str(base / "model.safetensors"))["model.layers.0.self_attn.q_proj.weight"]
    after = load_file(str(merged / "model.safetensors"))["model.layers.0.self_attn.q_proj.weight"]
    np.testing.assert_allclose(after, before + (8 / RANK) * (b @ a), atol=1e-5)  # HF order: no permutation
