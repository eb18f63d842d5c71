"""Integration fixtures: tiny models of each supported architecture (tests/fakes/tiny_models.py)
and helpers that run the real worker.

The tiny models (hidden 64, 2 layers, 4 heads) use the real SmolLM2 tokenizer and chat
template (Gemma 3's for gemma3); their tokenizers are converted once into the shared models
cache (OLLAMA_TRAINER_MODELS_CACHE, set by tests/conftest.py to .cache/models; a per-session
temp folder when unset). A worker run on one takes a few seconds on a CPU.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BACKEND = REPO / "backend"
PYTHON = sys.executable

ALL_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
CHAT_ROWS = [
    ("What colour is the sky?", "The sky is blue."),
    ("What colour is grass?", "Grass is green."),
    ("What colour is snow?", "Snow is white."),
    ("What colour is coal?", "Coal is black."),
    ("What colour is a lemon?", "A lemon is yellow."),
    ("What colour is a tomato?", "A tomato is red."),
    ("What colour is an orange?", "An orange is orange."),
    ("What colour is the sea?", "The sea is blue."),
    ("What colour is a crow?", "A crow is black."),
    ("What colour is milk?", "Milk is white."),
    ("What colour is a leaf?", "A leaf is green."),
    ("What colour is blood?", "Blood is red."),
]


def worker_env(home: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(BACKEND) + os.pathsep + env.get("PYTHONPATH", "")
    env["OLLAMA_TRAINER_HOME"] = str(home)
    env["TRANSFORMERS_VERBOSITY"] = "error"
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    return env


def write_chat_dataset(path: Path, rows=CHAT_ROWS, repeat: int = 1) -> Path:
    with open(path, "w") as f:
        for _ in range(repeat):
            for q, a in rows:
                f.write(json.dumps({"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]}) + "\n")
    return path


def profile(base_model: str | Path, **overrides) -> dict:
    p = {
        "id": "test",
        "name": "Test",
        "base_model": str(base_model),
        "ollama_base": "smollm2:135m",
        "lora": {"r": 8, "alpha": 16, "dropout": 0.0, "target_modules": list(ALL_MODULES)},
        "learning_rate": 0.02,
        "batch_size": 4,
        "gradient_accumulation": 1,
        "max_seq_len": 128,
        "eval_fraction": 0.2,
        "warmup_ratio": 0.05,
        "seed": 42,
        "device": "cpu",
    }
    lora = overrides.pop("lora", {})
    p.update(overrides)
    p["lora"].update(lora)
    return p


def write_job(run_dir: Path, prof: dict, dataset: Path, models_dir: Path, *, epochs: int, resume: bool = False,
              held_out: list[str] | None = None, fmt: str | None = "chat", training_id: str = "t-test",
              checks: list[dict] | None = None, **extra) -> Path:
    run_dir.mkdir(parents=True, exist_ok=True)
    job = {
        "training_id": training_id,
        "epochs": epochs,
        "resume": resume,
        "profile": prof,
        "dataset": {"id": "test-data", "path": str(dataset), "format": fmt, "held_out_prompts": held_out or [],
                    "held_out_checks": checks or []},
        "models_dir": str(models_dir),
        **extra,
    }
    (run_dir / "job.json").write_text(json.dumps(job))
    return run_dir


def start_worker(run_dir: Path, home: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [PYTHON, "-m", "ollama_trainer.training.worker", "train", "--run-dir", str(run_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=worker_env(home),
        cwd=str(REPO),
    )


def run_worker(run_dir: Path, home: Path, timeout: float = 300) -> tuple[int, list[dict], str]:
    """Run to the end; (exit code, stdout events, stderr)."""
    proc = start_worker(run_dir, home)
    out, err = proc.communicate(timeout=timeout)
    events = [json.loads(line) for line in out.splitlines() if line.strip()]
    return proc.returncode, events, err


def run_until_step(run_dir: Path, home: Path, step: int, sig: int, timeout: float = 300) -> tuple[int, list[dict], str]:
    """Start the worker, send `sig` once a progress event with step >= `step` arrives, wait."""
    proc = start_worker(run_dir, home)
    events = []
    deadline = time.monotonic() + timeout
    sent = False
    for line in proc.stdout:
        events.append(json.loads(line))
        if not sent and events[-1]["event"] == "progress" and events[-1]["step"] >= step:
            proc.send_signal(sig)
            sent = True
            if sig == signal.SIGKILL:
                break
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("worker did not finish in time")
    proc.wait(timeout=timeout)
    err = proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    assert sent, f"the run ended before step {step}: {events[-1] if events else err}"
    return proc.returncode, events, err


def read_events(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]


def losses(events: list[dict]) -> dict[int, float]:
    return {e["step"]: e["loss"] for e in events if e["event"] == "progress"}


def as_foreground() -> None:
    """preexec_fn for a child that a test sends Ctrl-C (SIGINT): a shell's background job starts
    with SIGINT ignored, and a Python started that way never raises KeyboardInterrupt. A person's
    Ctrl-C reaches a foreground process, which the child stands for."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


# -- a finished run for the export tests (export_helpers.py) ------------------------------------
@pytest.fixture(scope="session")
def tiny_adapter(tmp_path_factory) -> tuple[Path, Path]:
    """(adapter folder, base model GGUF): a small llama with a random LoRA on all 7 modules."""
    from tests.fakes import tiny_gguf
    from tests.integration.export_helpers import RANK, SMOLLM2_JINJA

    root = tmp_path_factory.mktemp("tiny-export")
    base = tiny_gguf.write_llama(root / "base.gguf", chat_template=SMOLLM2_JINJA)
    adapter = tiny_gguf.write_peft_adapter(root / "adapter", rank=RANK)
    return adapter, base


@pytest.fixture
def run(tiny_adapter) -> Path:
    """The finished run TRAINING_ID, made by hand from tiny_adapter."""
    from tests.integration.export_helpers import make_run

    return make_run(*tiny_adapter)


@pytest.fixture
def answering(ollama_standin):
    """The stand-in (the test module's ollama_standin) answers every chat with the app's own
    answer, as the trained model would."""
    from tests.integration.export_helpers import APP_ANSWER

    ollama_standin.engine = lambda model, prompt, req: APP_ANSWER
    return ollama_standin
