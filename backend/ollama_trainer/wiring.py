"""The composition root: the one place the app's parts are put together. The window, browser
mode, the CLI and the tests get their parts here instead of constructing them by hand:

    parts = wiring.build("window")      # manager (+ the Ollama auto-export), flows, warm models
    Commands(transport="desktop", parts=parts)
    ...
    parts.close(keep_running=False)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from ollama_trainer.flows.runner import FlowRunner
    from ollama_trainer.training.inference import InferencePool
    from ollama_trainer.training.manager import TrainingManager


@dataclass
class AppParts:
    manager: TrainingManager
    flows: FlowRunner
    inference: InferencePool

    def close(self, *, keep_running: bool = False) -> None:
        """The app is closing: running flows end `cancelled`; a running job either stops after
        its current step and saves a checkpoint (instead of being left `interrupted`), or, when
        the user chose so, goes on without the app (the next start follows it again); warm
        models are released."""
        if not keep_running:
            self.flows.shutdown()
        self.manager.shutdown(keep_running=keep_running)
        self.inference.close()


def training_manager(origin: str = "app", **options) -> TrainingManager:
    """The training manager with what runs after a training (the Ollama auto-export hook, so
    training itself never imports the Ollama side)."""
    from ollama_trainer.ollama.auto_export import on_training_finished
    from ollama_trainer.training.manager import TrainingManager

    return TrainingManager(on_finished=[on_training_finished], origin=origin, **options)


def build(origin: str, *, on_flow_change: Callable | None = None, **manager_options) -> AppParts:
    """Every part, for a process that is `origin` ("window", "browser", "cli", ...)."""
    from ollama_trainer.flows.runner import FlowRunner
    from ollama_trainer.training.inference import InferencePool

    manager = training_manager(origin, **manager_options)
    return AppParts(manager, FlowRunner(manager, on_change=on_flow_change), InferencePool())
