"""The flow steps, one module per command (train.py, index.py, export.py, eval.py), each
declaring its `STEP` (see flows/step.py). They are collected here, in the order of
contracts.FlowCommand: a module that declares a command FlowCommand does not name, or a
command without a module, stops the import with a message that says which."""

from __future__ import annotations

import importlib
import pkgutil
from typing import get_args

from ollama_trainer.contracts import FlowCommand
from ollama_trainer.flows.step import Step, StepFunction


def _collect() -> dict[str, Step]:
    found: dict[str, Step] = {}
    for module in pkgutil.iter_modules(__path__):
        step = importlib.import_module(f"{__name__}.{module.name}").STEP
        found[step.command] = step
    order = get_args(FlowCommand)
    if set(found) != set(order):
        raise ImportError(f"flow steps {sorted(found)} and contracts.FlowCommand {sorted(order)} differ: "
                          "a step's command goes in both")
    return {command: found[command] for command in order}


STEPS: dict[str, Step] = _collect()
STEP_FUNCTIONS: dict[str, StepFunction] = dict(STEPS)
