"""Export a real PEFT adapter (tiny Llama, built here) to the Ollama stand-in, and every way it
can fail. The lead's end-to-end test does train -> export with the real worker."""

from __future__ import annotations

import hashlib
import json
import socket
from pathlib import Path

import numpy as np
import pytest

from ollama_trainer.contracts import TrainingRunSummary
from ollama_trainer.errors import DomainError
from ollama_trainer.ollama.export import export_run, export_state
from ollama_trainer.training import history
from tests.fakes.fixtures import ollama_standin  # noqa: F401

TRAINING_ID = "20250101-120000-abc123"
N_HEAD, N_KV_HEAD, HIDDEN, LAYERS, RANK = 4, 2, 64, 2, 4
MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


@pytest.fixture(scope="session")
def tiny_adapter(tmp_path_factory) -> tuple[Path, Path]:
    """(adapter folder, base model folder) of a tiny Llama with a random LoRA on all 7 modules."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    root = tmp_path_factory.mktemp("tiny-export")
    config = LlamaConfig(vocab_size=256, hidden_size=HIDDEN, intermediate_size=128, num_hidden_layers=LAYERS,
                         num_attention_heads=N_HEAD, num_key_value_heads=N_KV_HEAD, max_position_embeddings=128)
    torch.manual_seed(0)
    base = root / "base"
    LlamaForCausalLM(config).save_pretrained(base)
    model = LlamaForCausalLM.from_pretrained(base)
    peft_model = get_peft_model(model, LoraConfig(r=RANK, lora_alpha=8, target_modules=MODULES, lora_dropout=0.0))
    with torch.no_grad():  # B starts at zero: give it values so a layout mistake shows
        for name, param in peft_model.named_parameters():
            if "lora_B" in name:
                param.copy_(torch.randn_like(param))
    adapter = root / "adapter"
    peft_model.save_pretrained(adapter, safe_serialization=True)
    cfg = json.loads((adapter / "adapter_config.json").read_text())
    cfg["lora_alpha"] = 8
    (adapter / "adapter_config.json").write_text(json.dumps(cfg))
    return adapter, base


def make_run(adapter_src: Path, base: Path, *, status="done", training_id=TRAINING_ID, system_prompt=None,
             ollama_base="smollm2:135m") -> Path:
    import shutil

    run = history.run_dir(training_id)
    run.mkdir(parents=True, exist_ok=True)
    if status == "done":
        shutil.copytree(adapter_src, run / "adapter")
    profile = {"id": "test", "name": "Test", "base_model": str(base), "ollama_base": ollama_base,
               "lora": {"r": RANK, "alpha": 8, "dropout": 0.0, "target_modules": MODULES},
               "system_prompt": system_prompt}
    job = {"training_id": training_id, "epochs": 1, "resume": False, "resumed_from": None, "flow_run_id": None,
           "started_at": "2025-01-01T12:00:00+00:00", "profile": profile,
           "dataset": {"id": "faq", "path": "/x/faq.jsonl", "format": "chat", "held_out_prompts": []},
           "models_dir": str(run.parent.parent / "models")}
    (run / "job.json").write_text(json.dumps(job, indent=2))
    history.record(TrainingRunSummary(
        training_id=training_id, profile_id="test", dataset_id="faq", status=status,
        started_at="2025-01-01T12:00:00+00:00", finished_at="2025-01-01T12:01:00+00:00", epochs=1, final_loss=1.0,
        adapter_dir=str(run / "adapter") if status == "done" else None))
    return run


@pytest.fixture
def run(tiny_adapter) -> Path:
    return make_run(*tiny_adapter)


def sha(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def test_export_to_the_standin(run, ollama_standin):
    seen: list[str] = []
    result = export_run(TRAINING_ID, host=ollama_standin.url, on_status=seen.append)

    assert result.ollama_model == "faq-abc123"
    adapter = run / "adapter"
    for name in ("adapter_model.safetensors", "adapter_config.json"):
        assert ollama_standin.blobs[sha(adapter / name)] == (adapter / name).read_bytes()
    (create,) = ollama_standin.calls("POST", "/api/create")
    body = create.json
    assert body["model"] == "faq-abc123" and body["from"] == "smollm2:135m" and body["stream"] is True
    assert body["adapters"] == {"adapter_model.safetensors": sha(adapter / "adapter_model.safetensors"),
                                "adapter_config.json": sha(adapter / "adapter_config.json")}
    assert body["template"].startswith("{{- if .System }}<|im_start|>system\n")
    assert body["template"].endswith("<|im_start|>assistant\n")
    assert body["parameters"]["stop"] == ["<|im_end|>", "<|im_start|>"]
    assert body["parameters"]["temperature"] == pytest.approx(0.2)
    assert body["system"].startswith("You are a helpful AI assistant named SmolLM")
    # statuses streamed through, in order, and the model is confirmed with /api/show
    assert result.statuses[0] == "converting adapter" and result.statuses[-1] == "success"
    assert [s for s in seen if s in result.statuses] == result.statuses
    assert ollama_standin.calls("POST", "/api/show")[-1].json == {"model": "faq-abc123"}
    assert ollama_standin.find("faq-abc123") is not None
    # artefacts and state
    modelfile = (run / "Modelfile").read_text()
    assert "FROM smollm2:135m\n" in modelfile and "\nADAPTER ./adapter.gguf\n" in modelfile
    assert result.command == f"cd {run} && ollama create faq-abc123 -f Modelfile"
    state = export_state(TRAINING_ID)
    assert (state.state, state.model, state.host, state.error) == ("done", "faq-abc123", ollama_standin.url, None)
    assert state.gguf_adapter == str(run / "adapter.gguf")
    assert json.loads((run / "export.json").read_text())["state"] == "done"


def test_the_exported_model_answers_chat(run, ollama_standin):
    from ollama_trainer.ollama.chat import ask_ollama

    result = export_run(TRAINING_ID, model_name="faq-bot:v1", host=ollama_standin.url)
    assert result.ollama_model == "faq-bot:v1"
    answer = ask_ollama("faq-bot:v1", "What is LoRA?", host=ollama_standin.url)
    assert answer.startswith("faq-bot:v1 says: What is LoRA?")
    (chat,) = ollama_standin.calls("POST", "/api/chat")
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

    assert text("general.architecture") == "llama"
    assert text("general.type") == "adapter"
    assert text("adapter.type") == "lora"
    alpha = fields["adapter.lora.alpha"]
    assert float(alpha.parts[alpha.data[0]][0]) == 8.0

    peft = load_file(str(run / "adapter" / "adapter_model.safetensors"))
    names = {MODULES[i]: g for i, g in enumerate(
        ["attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"])}
    by_name = {t.name: t for t in reader.tensors}
    assert len(by_name) == LAYERS * len(MODULES) * 2
    for layer in range(LAYERS):
        for module, gname in names.items():
            part = "self_attn" if module.endswith(("q_proj", "k_proj", "v_proj", "o_proj")) else "mlp"
            a = peft[f"base_model.model.model.layers.{layer}.{part}.{module}.lora_A.weight"]
            b = peft[f"base_model.model.model.layers.{layer}.{part}.{module}.lora_B.weight"]
            ta, tb = by_name[f"blk.{layer}.{gname}.weight.lora_a"], by_name[f"blk.{layer}.{gname}.weight.lora_b"]
            # GGUF dims (ne) are numpy's reversed: a.ne = [in, r], b.ne = [r, out]
            assert list(ta.shape) == [a.shape[1], RANK] and list(tb.shape) == [RANK, b.shape[0]]
            assert ta.data.shape == a.shape and tb.data.shape == b.shape
            assert ta.tensor_type == gguf.GGMLQuantizationType.F32
            np.testing.assert_array_equal(ta.data, a)
            if module in ("q_proj", "k_proj"):
                heads = N_HEAD if module == "q_proj" else N_KV_HEAD
                out = b.shape[0]
                expected = b.reshape(heads, 2, out // heads // 2, RANK).swapaxes(1, 2).reshape(out, RANK)
                assert not np.array_equal(expected, b)
                np.testing.assert_array_equal(tb.data, expected)
            else:
                np.testing.assert_array_equal(tb.data, b)


def summary_bytes(run: Path) -> bytes:
    return (run / "summary.json").read_bytes()


def expect_failure(code: str, host: str, *, contains: str, model_name=None) -> DomainError:
    with pytest.raises(DomainError) as err:
        export_run(TRAINING_ID, host=host, model_name=model_name)
    assert err.value.code == code, err.value.message
    assert contains in err.value.message
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
    assert (run / "Modelfile").is_file()  # the manual path is there even without Ollama


def test_too_old_version(run, ollama_standin):
    before = summary_bytes(run)
    ollama_standin.version = "0.5.4"
    expect_failure("ollama_too_old", ollama_standin.url, contains="upgrade Ollama to 0.5.5 or newer")
    assert ollama_standin.calls("POST", "/api/create") == []
    assert summary_bytes(run) == before


def test_too_old_create_answer(run, ollama_standin):
    ollama_standin.legacy_create = True
    expect_failure("ollama_too_old", ollama_standin.url, contains="upgrade Ollama to 0.5.5 or newer")


def test_missing_base(tiny_adapter, ollama_standin):
    run = make_run(*tiny_adapter, ollama_base="qwen9:7b")
    before = summary_bytes(run)
    err = expect_failure("ollama_create_failed", ollama_standin.url, contains="ollama pull qwen9:7b")
    assert "pull model manifest: file does not exist" in err.message
    assert summary_bytes(run) == before
    assert "\nTEMPLATE " not in (run / "Modelfile").read_text()  # unknown family: the base model's own template


def test_missing_smollm2_base_says_pull_it(run, ollama_standin):
    del ollama_standin.models["smollm2:135m"]
    expect_failure("ollama_create_failed", ollama_standin.url, contains="run `ollama pull smollm2:135m`")


@pytest.mark.parametrize("path", ["/api/create", "/api/blobs/"])
def test_server_error(run, ollama_standin, path):
    before = summary_bytes(run)
    if path == "/api/blobs/":
        ollama_standin.fail_status[f"/api/blobs/{sha(run / 'adapter' / 'adapter_model.safetensors')}"] = 500
    else:
        ollama_standin.fail_status[path] = 500
    expect_failure("ollama_create_failed", ollama_standin.url, contains="HTTP 500")
    assert summary_bytes(run) == before


def test_error_line_mid_stream(run, ollama_standin):
    ollama_standin.create_error_after = {"after": "converting adapter", "error": "unsupported architecture"}
    err = expect_failure("ollama_create_failed", ollama_standin.url, contains="unsupported architecture")
    assert "llama or gemma2" in err.message
    assert ollama_standin.find("faq-abc123") is None


def test_malformed_line(run, ollama_standin):
    ollama_standin.malformed_line = True
    expect_failure("ollama_create_failed", ollama_standin.url, contains="not JSON")


def test_dropped_upload(run, ollama_standin):
    ollama_standin.drop_upload = True
    expect_failure("ollama_create_failed", ollama_standin.url, contains="broke")


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
    make_run(*tiny_adapter)
    with pytest.raises(DomainError) as err:
        export_run(TRAINING_ID, host=ollama_standin.url, model_name="bad name!")
    assert err.value.code == "invalid_model_name"
    assert ollama_standin.requests == []
    assert export_state(TRAINING_ID).state == "idle"


def test_interrupted_export_reads_as_error(run):
    (run / "export.json").write_text(json.dumps({"training_id": TRAINING_ID, "state": "exporting"}))
    state = export_state(TRAINING_ID)
    assert (state.state, state.code) == ("error", "export_interrupted")


def test_system_prompt_from_the_profile(tiny_adapter, ollama_standin):
    run = make_run(*tiny_adapter, system_prompt="Answer in French.")
    export_run(TRAINING_ID, host=ollama_standin.url)
    assert ollama_standin.calls("POST", "/api/create")[0].json["system"] == "Answer in French."
    assert 'SYSTEM """Answer in French."""' in (run / "Modelfile").read_text()


# -- CLI ----------------------------------------------------------------------------------------
def cli(*args: str) -> int:
    from ollama_trainer import cli_export

    return cli_export.main(list(args))


def test_cli_export_ok(run, ollama_standin, capsys):
    assert cli("--run", TRAINING_ID, "--host", ollama_standin.url) == 0
    out, err = capsys.readouterr()
    assert "Model: faq-abc123" in out and f"cd {run} && ollama create faq-abc123 -f Modelfile" in out
    assert "converting adapter" in err and "success" in err
    assert history.load_summary(TRAINING_ID).ollama_model == "faq-abc123"
    assert history.recent(5)[0].ollama_model == "faq-abc123"


def test_cli_export_json(run, ollama_standin, capsys):
    assert cli("--run", TRAINING_ID, "--host", ollama_standin.url, "--json", "--model", "x1") == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert events[-1]["event"] == "done" and events[-1]["ollama_model"] == "x1"
    assert {"event": "status", "status": "success"} in events


def test_cli_export_failures(run, ollama_standin, capsys):
    ollama_standin.version = "0.4.0"
    before = summary_bytes(run)
    assert cli("--run", TRAINING_ID, "--host", ollama_standin.url) == 1
    assert "ollama_too_old" in capsys.readouterr().err
    assert summary_bytes(run) == before
    assert cli("--run", "nope", "--host", ollama_standin.url) == 2
    assert cli("--run", TRAINING_ID, "--model", "Bad Name", "--host", ollama_standin.url) == 2
    with pytest.raises(SystemExit) as exit_:
        cli("--model", "x")
    assert exit_.value.code == 2
