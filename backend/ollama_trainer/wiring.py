"""The app's parts put together: the training manager with what runs after a training (the
Ollama auto-export), the flow runner on it. The window, browser mode, the CLI and the tests use
these instead of constructing the parts by hand."""

from __future__ import annotations


def training_manager(origin: str = "app", **options):
    from ollama_trainer.ollama.auto_export import on_training_finished
    from ollama_trainer.training.manager import TrainingManager

    return TrainingManager(on_finished=[on_training_finished], origin=origin, **options)
