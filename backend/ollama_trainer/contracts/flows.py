"""Flows: flow files, runs and their steps."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ollama_trainer.contracts.base import (  # noqa: F401 - the names the models below use
    MAX_EPOCHS, DatasetFormat, Device, Id, Request, Strict, TrainingState,
)


# -- flows -----------------------------------------------------------------------------------

FlowCommand = Literal["TRAIN", "INDEX", "EXPORT", "EVAL"]
FlowRunState = Literal["running", "done", "error", "cancelled", "interrupted"]
FlowStepState = Literal["pending", "running", "done", "error", "skipped", "cancelled"]
FLOW_TERMINAL_STATES = frozenset({"done", "error", "cancelled", "interrupted"})
InputValue = str | int | float | bool | None
InputKind = Literal["profile", "dataset", "training", "number", "boolean", "folder", "text"]


class FlowStep(Strict):
    id: str
    cmd: FlowCommand
    args: dict = Field(default_factory=dict, description="As written; may hold ${inputs.x} / ${steps.id.field}")
    continue_on_error: bool = False


class FlowInfo(Strict):
    """A flow file as listed for the UI. A broken file is listed too: its id comes from the
    file name and `error` says what is wrong (it cannot be run)."""

    id: str
    name: str
    description: str = ""
    inputs: dict[str, InputValue] = Field(default_factory=dict, description="Input names and defaults (None: required)")
    input_kinds: dict[str, InputKind] = Field(
        default_factory=dict, description="What each input stands for: a profile, dataset or run id to choose, a "
                                          "number, a folder, a boolean or text")
    steps: list[FlowStep] = Field(default_factory=list)
    file: str = Field(description="The flow file's path")
    source: Literal["builtin", "user"] = "builtin"
    error: str | None = None


class FlowStepRun(Strict):
    id: str
    cmd: FlowCommand
    status: FlowStepState = "pending"
    args: dict = Field(default_factory=dict, description="Resolved arguments once the step started, else as written")
    continue_on_error: bool = False
    started_at: str | None = None
    finished_at: str | None = None
    duration_s: float | None = None
    outputs: dict = Field(default_factory=dict)
    error: str | None = None
    training_id: str | None = Field(None, description="A TRAIN step's training run, as soon as it started")


class FlowRun(Strict):
    flow_run_id: str
    flow_id: str
    flow_name: str = ""
    status: FlowRunState
    inputs: dict[str, InputValue] = Field(default_factory=dict)
    started_at: str
    finished_at: str | None = None
    duration_s: float | None = None
    steps: list[FlowStepRun] = Field(default_factory=list)
    error: str | None = None


class RunFlowRequest(Request):
    flow_id: Id
    inputs: dict[str, str | int | float | bool] | None = None


class FlowRunIdRequest(Request):
    flow_run_id: Id


class RunFlowResult(Strict):
    flow_run_id: str
