"""A finished run made by hand for the export tests (test_export.py, test_export_failures.py,
tests/reliability/test_export_faults.py): a small llama GGUF as the base and a random PEFT LoRA
for it (no torch), recorded in the history as training TRAINING_ID; and how a failed export is
checked. The fixtures tiny_adapter, run and answering are in conftest.py."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import jinja2
import pytest

from ollama_trainer.contracts import TrainingRunSummary
from ollama_trainer.errors import DomainError
from ollama_trainer.ollama.export import export_run, export_state
from ollama_trainer.training import history
from ollama_trainer.protocol import BaseModelFile, JobSpec
from tests.fakes import tiny_gguf

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


def sha(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


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
