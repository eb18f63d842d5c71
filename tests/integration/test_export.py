"""Export a run to the Ollama stand-in as a whole model (a current Ollama refuses adapters),
and every way it can fail. The run here is made by hand: a small llama GGUF as the base and a
random PEFT LoRA for it (no torch), plus one run on a safetensors folder base. The real
training of the builtin model, exported and loaded in llama.cpp, is test_export_llamacpp.py."""

from __future__ import annotations

import errno
import hashlib
import json
import socket
from pathlib import Path

import jinja2
import numpy as np
import pytest

from ollama_trainer.contracts import TrainingRunSummary
from ollama_trainer.errors import DomainError
from ollama_trainer.ollama import modelfile
from ollama_trainer.ollama.export import export_run, export_state
from ollama_trainer.training import history
from ollama_trainer.training.protocol import BaseModelFile, JobSpec
from tests.fakes import tiny_gguf
from tests.fakes.fixtures import ollama_standin  # noqa: F401

TRAINING_ID = "20250101-120000-abc123"
N_HEAD, N_KV_HEAD, HIDDEN, LAYERS, RANK = 4, 2, 64, 2, 4
MODULES = list(tiny_gguf.ALL_MODULES)
SMOLLM2_JINJA = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}"
    "{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
HELD_OUT = "What is LoRA?"
APP_ANSWER = "LoRA trains two small matrices next to each weight."


@pytest.fixture(scope="session")
def tiny_adapter(tmp_path_factory) -> tuple[Path, Path]:
    """(adapter folder, base model GGUF): a small llama with a random LoRA on all 7 modules."""
    root = tmp_path_factory.mktemp("tiny-export")
    base = tiny_gguf.write_llama(root / "base.gguf", chat_template=SMOLLM2_JINJA)
    adapter = tiny_gguf.write_peft_adapter(root / "adapter", rank=RANK)
    return adapter, base


def trained_prompt(prompt: str, system: str | None = None) -> str:
    messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]
    return jinja2.Template(SMOLLM2_JINJA).render(messages=messages, add_generation_prompt=True)


def make_run(adapter_src: Path, base: Path, *, status="done", training_id=TRAINING_ID, system_prompt=None,
             samples=True) -> Path:
    import shutil

    run = history.run_dir(training_id)
    run.mkdir(parents=True, exist_ok=True)
    if status == "done":
        shutil.copytree(adapter_src, run / "adapter", dirs_exist_ok=True)
    folder = Path(base).is_dir()
    profile = {"id": "test", "name": "Test", "base_model": str(base), "ollama_base": "smollm2:135m",
               "lora": {"r": RANK, "alpha": 8, "dropout": 0.0, "target_modules": MODULES},
               "system_prompt": system_prompt}
    JobSpec.model_validate({
        "training_id": training_id, "epochs": 1, "started_at": "2025-01-01T12:00:00+00:00", "profile": profile,
        "dataset": {"id": "faq", "path": "/x/faq.jsonl", "format": "chat", "held_out_prompts": [HELD_OUT]},
        "models_dir": str(run.parent.parent / "models"),
        "base": BaseModelFile(kind="folder", folder=str(base), architecture="llama") if folder
        else BaseModelFile(kind="gguf", gguf=str(base), architecture="llama"),
    }).write(run / "job.json")
    if samples and status == "done":
        (run / "samples.json").write_text(json.dumps([{
            "prompt": HELD_OUT, "before": "I don't know.", "after": APP_ANSWER,
            "prompt_text": trained_prompt(HELD_OUT, system_prompt)}]))
    history.record(TrainingRunSummary(
        training_id=training_id, profile_id="test", dataset_id="faq", status=status,
        started_at="2025-01-01T12:00:00+00:00", finished_at="2025-01-01T12:01:00+00:00", epochs=1, final_loss=1.0,
        adapter_dir=str(run / "adapter") if status == "done" else None))
    return run


@pytest.fixture
def run(tiny_adapter) -> Path:
    return make_run(*tiny_adapter)


@pytest.fixture
def answering(ollama_standin):
    """The stand-in answers every chat with the app's own answer (as the trained model would)."""
    ollama_standin.engine = lambda model, prompt, req: APP_ANSWER
    return ollama_standin


def sha(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


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


def test_quantize_goes_to_ollama(run, ollama_standin):
    export_run(TRAINING_ID, host=ollama_standin.url, quantize="q4_K_M")
    assert ollama_standin.calls("POST", "/api/create")[0].json["quantize"] == "q4_K_M"
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
    answer = ask_ollama("faq-bot:v1", "What is LoRA?", host=ollama_standin.url)
    assert answer.startswith("faq-bot:v1 says: What is LoRA?")
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


# -- a safetensors folder base: the merged folder goes to Ollama, which converts it -------------
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


def test_a_folder_base_sends_the_merged_folder(folder_adapter, ollama_standin):
    from safetensors.numpy import load_file

    adapter, base = folder_adapter
    run = make_run(adapter, base)
    result = export_run(TRAINING_ID, host=ollama_standin.url)
    merged = run / "merged"
    assert result.model_file == str(merged)
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


# -- failures ------------------------------------------------------------------------------------
def summary_bytes(run: Path) -> bytes:
    return (run / "summary.json").read_bytes()


def expect_failure(code: str, host: str, *, contains: str, model_name=None) -> DomainError:
    with pytest.raises(DomainError) as err:
        export_run(TRAINING_ID, host=host, model_name=model_name)
    assert err.value.code == code, err.value.message
    assert contains in err.value.message, err.value.message
    state = export_state(TRAINING_ID)
    assert (state.state, state.code, state.error) == ("error", code, err.value.message)
    return err.value


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_host(run):
    before = summary_bytes(run)
    host = f"http://127.0.0.1:{free_port()}"
    err = expect_failure("ollama_unreachable", host, contains="Ollama is not reachable at")
    assert err.message == f"Ollama is not reachable at {host}: start Ollama (`ollama serve`) or set its address"
    assert summary_bytes(run) == before
    assert (run / "Modelfile").is_file() and (run / "model.gguf").is_file()  # the manual path is ready


def test_too_old_version(run, ollama_standin):
    before = summary_bytes(run)
    ollama_standin.version = "0.5.4"
    expect_failure("ollama_too_old", ollama_standin.url, contains="upgrade Ollama to 0.5.5 or newer")
    assert ollama_standin.calls("POST", "/api/create") == []
    assert summary_bytes(run) == before


def test_too_old_create_answer(run, ollama_standin):
    ollama_standin.legacy_create = True
    expect_failure("ollama_too_old", ollama_standin.url, contains="upgrade Ollama to 0.5.5 or newer")


def test_server_errors(run, ollama_standin):
    before = summary_bytes(run)
    ollama_standin.fail_status["/api/create"] = 500
    expect_failure("ollama_create_failed", ollama_standin.url, contains="HTTP 500")
    ollama_standin.fail_status = {f"/api/blobs/{sha(run / 'model.gguf')}": 500}
    expect_failure("ollama_upload_failed", ollama_standin.url, contains="refused the model file (HTTP 500")
    assert summary_bytes(run) == before


def test_a_server_that_refuses_the_file(tiny_adapter, ollama_standin, tmp_path):
    # a base GGUF without a tokenizer: the merged file is complete, but Ollama cannot use it
    base = tmp_path / "no-tokenizer.gguf"
    tiny_gguf.write_model(base, tokenizer=False)
    adapter = tiny_gguf.write_peft_adapter(tmp_path / "adapter", layers=1, hidden=8, inter=8, heads=2, kv_heads=1)
    for module in ("o_proj", "gate_proj", "up_proj", "down_proj"):  # the tiny file has q/k/v only
        _drop_module(adapter, module)
    make_run(adapter, base)
    err = expect_failure("ollama_create_failed", ollama_standin.url, contains="Ollama refused to create 'faq-abc123'")
    assert "has no tokenizer" in err.message


def _drop_module(adapter: Path, module: str) -> None:
    from safetensors.numpy import load_file, save_file

    path = adapter / "adapter_model.safetensors"
    save_file({k: v for k, v in load_file(str(path)).items() if f".{module}." not in k}, str(path))


def test_a_damaged_model_file_is_written_again(run, ollama_standin):
    (run / "model.gguf").write_bytes(b"GGUF but broken")
    assert export_run(TRAINING_ID, host=ollama_standin.url).ollama_model == "faq-abc123"
    assert (run / "model.gguf").stat().st_size > 100_000


def test_error_line_mid_stream(run, ollama_standin):
    ollama_standin.create_error_after = {"after": "parsing GGUF", "error": "unsupported architecture"}
    err = expect_failure("ollama_create_failed", ollama_standin.url, contains="unsupported architecture")
    assert "use a base read from a GGUF" in err.message
    assert ollama_standin.find("faq-abc123") is None


def test_malformed_line(run, ollama_standin):
    ollama_standin.malformed_line = True
    expect_failure("ollama_create_failed", ollama_standin.url, contains="not JSON")


def test_dropped_upload(run, ollama_standin):
    ollama_standin.drop_upload = True
    expect_failure("ollama_upload_failed", ollama_standin.url, contains="broke while uploading the model file")


def test_a_full_disk_while_writing_the_model_file(run, ollama_standin, monkeypatch):
    from ollama_trainer.weights import merge

    real = merge._blocks
    calls = {"n": 0}

    def failing(*args):
        calls["n"] += 1
        if calls["n"] == 5:
            raise OSError(errno.ENOSPC, "No space left on device")
        yield from real(*args)

    before = summary_bytes(run)
    monkeypatch.setattr(merge, "_blocks", failing)
    expect_failure("model_file_failed", ollama_standin.url, contains="free some disk space")
    assert not (run / "model.gguf").exists() and not list(run.glob(".model.gguf.tmp-*"))
    assert summary_bytes(run) == before and ollama_standin.requests == []
    monkeypatch.setattr(merge, "_blocks", real)
    assert export_run(TRAINING_ID, host=ollama_standin.url).ollama_model == "faq-abc123"  # Retry export


def test_retry_after_a_failure_succeeds(run, ollama_standin):
    ollama_standin.fail_status["/api/create"] = 500
    with pytest.raises(DomainError):
        export_run(TRAINING_ID, host=ollama_standin.url)
    ollama_standin.fail_status.clear()
    assert export_run(TRAINING_ID, host=ollama_standin.url).ollama_model == "faq-abc123"
    assert export_state(TRAINING_ID).state == "done"


def test_preconditions(tiny_adapter, ollama_standin):
    with pytest.raises(DomainError) as err:
        export_run("nope", host=ollama_standin.url)
    assert err.value.code == "unknown_training"
    make_run(*tiny_adapter, status="error", training_id="20250101-000000-dead00")
    with pytest.raises(DomainError) as err:
        export_run("20250101-000000-dead00", host=ollama_standin.url)
    assert err.value.code == "no_adapter"
    run = make_run(*tiny_adapter)
    (run / "adapter" / "adapter_model.safetensors").unlink()  # a run whose adapter was deleted
    with pytest.raises(DomainError) as err:
        export_run(TRAINING_ID, host=ollama_standin.url)
    assert err.value.code == "no_adapter" and "adapter_model.safetensors missing" in err.value.message
    make_run(*tiny_adapter)
    with pytest.raises(DomainError) as err:
        export_run(TRAINING_ID, host=ollama_standin.url, model_name="bad name!")
    assert err.value.code == "invalid_model_name"
    assert ollama_standin.requests == []
    assert export_state(TRAINING_ID).state == "idle"


def test_a_base_file_that_is_gone(tiny_adapter, ollama_standin, tmp_path):
    import shutil

    base = tmp_path / "moved.gguf"
    shutil.copy(tiny_adapter[1], base)
    make_run(tiny_adapter[0], base)
    base.unlink()
    expect_failure("not_exportable", ollama_standin.url, contains="is gone")


def test_interrupted_export_reads_as_error(run):
    (run / "export.json").write_text(json.dumps({"training_id": TRAINING_ID, "state": "exporting"}))
    state = export_state(TRAINING_ID)
    assert (state.state, state.code) == ("error", "export_interrupted")


def test_system_prompt_from_the_profile(tiny_adapter, answering):
    run = make_run(*tiny_adapter, system_prompt="Answer in French.")
    result = export_run(TRAINING_ID, host=answering.url)
    assert answering.calls("POST", "/api/create")[0].json["system"] == "Answer in French."
    assert 'SYSTEM """Answer in French."""' in (run / "Modelfile").read_text()
    assert result.check.rendered == "same"


# -- CLI ----------------------------------------------------------------------------------------
def cli(*args: str) -> int:
    from ollama_trainer import cli_export

    return cli_export.main(list(args))


def test_cli_export_ok(run, answering, capsys):
    assert cli("--run", TRAINING_ID, "--host", answering.url) == 0
    out, err = capsys.readouterr()
    assert "Model: faq-abc123" in out and f"cd {run} && ollama create faq-abc123 -f Modelfile" in out
    assert "Check: Ollama answers as the trained model" in out and f"Model file: {run / 'model.gguf'}" in out
    assert "parsing GGUF" in err and "success" in err
    assert history.recent(5)[0].ollama_model == "faq-abc123"


def test_cli_export_json(run, ollama_standin, capsys):
    assert cli("--run", TRAINING_ID, "--host", ollama_standin.url, "--json", "--model", "x1", "--quantize", "q8_0") == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert events[-1]["event"] == "done" and events[-1]["ollama_model"] == "x1"
    assert {"event": "status", "status": "success"} in events


def test_cli_export_failures(run, ollama_standin, capsys):
    ollama_standin.version = "0.4.0"
    before = summary_bytes(run)
    assert cli("--run", TRAINING_ID, "--host", ollama_standin.url) == 1
    err = capsys.readouterr().err
    assert err.count("ollama_too_old") == 1  # said once, no library log lines
    assert f"To build it by hand on a machine with Ollama: cd {run} && ollama create" in err
    assert summary_bytes(run) == before
    assert cli("--run", "nope", "--host", ollama_standin.url) == 2
    assert cli("--run", TRAINING_ID, "--model", "Bad Name", "--host", ollama_standin.url) == 2
    with pytest.raises(SystemExit) as exit_:
        cli("--model", "x")
    assert exit_.value.code == 2
