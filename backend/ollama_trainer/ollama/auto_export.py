"""The `auto_export` profile option: once a run is done, register it with Ollama at once
(running -> exporting -> done). Hung on the training manager's on_finished hooks, so training
does not import the Ollama side. The training result is already recorded; a failed export
only changes the message."""

from __future__ import annotations

from typing import Callable

from ollama_trainer.errors import DomainError


def on_training_finished(job, set_status: Callable[[str, str], None]) -> None:
    if not job.profile.auto_export:
        return
    from ollama_trainer import settings
    from ollama_trainer.ollama.export import export_run

    set_status("exporting", "registering the model with Ollama")
    try:
        result = export_run(job.training_id, host=settings.ollama_host(),
                            on_status=lambda text: set_status("exporting", text))
        message = f"training finished; Ollama model {result.ollama_model} is ready"
    except DomainError as exc:
        message = f"training finished; the Ollama export failed: {exc.message}"
    set_status("done", message)
