"""Every way an export to the Ollama stand-in can fail, what it leaves behind, and the retry;
the export command line. The run is export_helpers' hand-made one."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from ollama_trainer.errors import DomainError
from ollama_trainer.ollama.export import export_run, export_state
from ollama_trainer.training import history
from tests.fakes import tiny_gguf
from tests.fakes.fixtures import ollama_standin  # noqa: F401
from tests.fault_helpers import full_disk_on_call
from tests.integration.export_helpers import TRAINING_ID, expect_failure, make_run, sha, summary_bytes


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

    before = summary_bytes(run)
    real = full_disk_on_call(monkeypatch, merge, "_blocks", 5)
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


@pytest.mark.parametrize("during_the_read", ["the export ends", "the export starts"])
def test_an_export_that_starts_or_ends_while_its_state_is_read_is_not_interrupted(run, monkeypatch, during_the_read):
    """The file said `exporting` when it was read; by the ownership check the export had let go
    of the run (it wrote `done` meanwhile), or it claimed the run only after the first check."""
    from ollama_trainer.contracts import ExportState
    from ollama_trainer.ollama import export

    (run / "export.json").write_text(json.dumps({"training_id": TRAINING_ID, "state": "exporting"}))
    if during_the_read == "the export ends":
        monkeypatch.setattr(export, "_running", {TRAINING_ID})
    read = ExportState.model_validate_json

    def read_while_it_changes(text):
        state = read(text)
        if during_the_read == "the export ends":
            export._running.discard(TRAINING_ID)
        else:
            export._running.add(TRAINING_ID)
        return state

    monkeypatch.setattr(ExportState, "model_validate_json", read_while_it_changes)
    try:
        assert export_state(TRAINING_ID).state == "exporting"  # the next read finds done, or the progress
    finally:
        export._running.discard(TRAINING_ID)


def test_system_prompt_from_the_profile(tiny_adapter, answering):
    run = make_run(*tiny_adapter, system_prompt="Answer in French.")
    result = export_run(TRAINING_ID, host=answering.url)
    assert answering.calls("POST", "/api/create")[0].json["system"] == "Answer in French."
    assert 'SYSTEM """Answer in French."""' in (run / "Modelfile").read_text()
    assert result.check.rendered == "same"


# -- CLI ----------------------------------------------------------------------------------------
def cli(*args: str) -> int:
    from ollama_trainer.cli import main

    return main(["export", *args])


def test_cli_export_ok(run, answering, capsys):
    assert cli("--run", TRAINING_ID, "--host", answering.url) == 0
    out, err = capsys.readouterr()
    assert "Model: faq-abc123" in out and f"cd {run} && ollama create faq-abc123 -f Modelfile" in out
    assert "Check: Ollama answers as the trained model" in out and f"Model file: {run / 'model.gguf'}" in out
    assert "parsing GGUF" in err and "success" in err
    assert history.recent(5)[0].ollama_model == "faq-abc123"


def test_cli_export_json(run, answering, capsys):
    assert cli("--run", TRAINING_ID, "--host", answering.url, "--json", "--model", "x1", "--quantize", "q8_0") == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert events[-1]["event"] == "done" and events[-1]["ollama_model"] == "x1"
    assert {"event": "status", "status": "success"} in events


def test_cli_export_says_when_ollama_answers_differently(run, ollama_standin, capsys):
    """The self-check found Ollama answering otherwise than the trained model: not "ready", a
    warning with both answers, and a non-zero exit unless the user accepts it."""
    ollama_standin.engine = lambda model, prompt, req: "Something else entirely."
    assert cli("--run", TRAINING_ID, "--host", ollama_standin.url) == 1
    out, err = capsys.readouterr()
    assert "Warning: Ollama's answer differs" in out and "Something else entirely." in out
    assert "LoRA trains two small matrices" in out and "--accept-different" in err
    assert cli("--run", TRAINING_ID, "--host", ollama_standin.url, "--accept-different") == 0


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


def test_a_name_is_kept_as_given_and_replacing_a_model_is_said(run, answering):
    """`me/quill:latest` is a valid Ollama name; `Quill` stays `Quill`; creating `quill:Latest`
    replaces `Quill:latest` (Ollama compares names without case), and the export says so."""
    said: list[str] = []
    assert export_run(TRAINING_ID, host=answering.url, model_name="me/quill:latest").ollama_model == "me/quill:latest"
    assert export_run(TRAINING_ID, host=answering.url, model_name="Quill").ollama_model == "Quill"
    export_run(TRAINING_ID, host=answering.url, model_name="quill:Latest", on_status=said.append)
    assert any("replaces Ollama's existing model" in s and "quill:latest" in s.lower() for s in said), said
