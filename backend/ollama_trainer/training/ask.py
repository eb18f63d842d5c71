"""Greedy answers from a trained run's adapter or a profile's base model, through the worker
(torch stays out of the app process). Used by `ollama-trainer ask`, the window's "try it" box
when the model is not in Ollama, and the EVAL flow step."""

from __future__ import annotations

from dataclasses import dataclass

from ollama_trainer import catalog, paths
from ollama_trainer.errors import DomainError
from ollama_trainer.training import worker_client
from ollama_trainer.protocol import AskReply
from ollama_trainer.training.run_folder import ADAPTER, RunFolder


@dataclass(frozen=True)
class ModelKey:
    """The model a question goes to."""
    base_model: str
    adapter: str | None
    system: str | None


def key_for(*, run: str | None, base: str | None, with_adapter: bool = True) -> ModelKey:
    """A run's trained model (its base with its adapter; no_adapter when it has none yet and
    with_adapter is asked for), or a profile's base model."""
    if run:
        folder = RunFolder.of(run)
        job = folder.read_job()
        if job is None:
            raise DomainError(f"no training run '{run}'", code="unknown_training")
        adapter = folder.file(ADAPTER)
        has_adapter = (adapter / "adapter_config.json").is_file()
        if with_adapter and not has_adapter:
            raise DomainError(f"run '{run}' has no trained adapter (did it finish?)", code="no_adapter")
        return ModelKey(job.profile.base_model, str(adapter) if has_adapter else None, job.presented_system)
    profile = catalog.get_profile(base)
    return ModelKey(profile.base_model, None, profile.system_prompt)


def ask(*, run: str | None, base: str | None, prompt: str, max_new_tokens: int = 96, timeout: float = 300,
        with_adapter: bool = True) -> str:
    """Greedy answer through the worker (torch stays out of this process): a run's trained
    model (or, with_adapter=False, the very base model that run was trained on), or a
    profile's base model."""
    key = key_for(run=run, base=base, with_adapter=with_adapter)
    reply = worker_client.call("ask", AskReply, timeout=timeout, code="ask_failed", base_model=key.base_model,
                               models_dir=paths.models_dir(), prompt=prompt, max_new_tokens=max_new_tokens,
                               adapter=key.adapter if with_adapter else None, system=key.system or None)
    return reply.answer or ""
