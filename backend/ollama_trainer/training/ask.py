"""Greedy answers from a trained run's adapter or a profile's base model, through the worker
(torch stays out of the app process). Used by `ollama-trainer ask`, the window's "try it" box
when the model is not in Ollama, and the EVAL flow step."""

from __future__ import annotations

import json
import subprocess
import sys

from ollama_trainer import catalog, paths
from ollama_trainer.errors import DomainError
from ollama_trainer.training import history


def ask(*, run: str | None, base: str | None, prompt: str, max_new_tokens: int = 96, timeout: float = 300,
        with_adapter: bool = True) -> str:
    """Greedy answer through the worker (torch stays out of this process): a run's trained
    model (or, with_adapter=False, the very base model that run was trained on), or a
    profile's base model."""
    if run:
        job = history.load_job(run)
        if job is None:
            raise DomainError(f"no training run '{run}'", code="unknown_training")
        adapter = history.run_dir(run) / "adapter"
        if with_adapter and not (adapter / "adapter_config.json").is_file():
            raise DomainError(f"run '{run}' has no trained adapter (did it finish?)", code="no_adapter")
        adapter = adapter if with_adapter else None
        base_model, system = job.profile.base_model, job.profile.system_prompt
    else:
        profile = catalog.get_profile(base)
        adapter, base_model, system = None, profile.base_model, profile.system_prompt
    cmd = [sys.executable, "-m", "ollama_trainer.training.worker", "ask", "--base-model", base_model,
           "--models-dir", str(paths.models_dir()), "--prompt", prompt, "--max-new-tokens", str(max_new_tokens)]
    if adapter is not None:
        cmd += ["--adapter", str(adapter)]
    if system:
        cmd += ["--system", system]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    for line in reversed(proc.stdout.strip().splitlines()):
        try:
            reply = json.loads(line)
        except ValueError:
            continue
        if "answer" in reply:
            return reply["answer"]
        if "error" in reply or reply.get("event") == "error":
            raise DomainError(reply.get("message") or reply.get("error"), code="ask_failed")
    raise DomainError(f"the model did not answer: {proc.stderr.strip()[-400:]}", code="ask_failed")
