"""What a flow step is: a `Step` declares a command once, and the loader, the runner and the
docs read everything about it from there.

A step module (one per command, in flows/steps/) declares:

    class TrainArgs(StepArgs):            # the step's arguments, checked before it runs
        profile: Id = arg(kind="profile")
        epochs: int | None = arg(None, kind="number", ge=1, doc="default: the profile's `default_epochs`")

    class TrainOutputs(StepOutputs):      # what later steps may refer to as ${steps.<id>.<field>}
        training_id: str

    def run(args: TrainArgs, ctx: StepContext) -> TrainOutputs: ...

    STEP = Step("TRAIN", TrainArgs, TrainOutputs, run)

A field without a default is a required argument; `kind` says what a flow input used for it
stands for (the window offers a profile, a dataset or a run to choose, a number field or a
folder); `doc` is its note in docs/flows.md's table (else its default is shown there).

A step fails by raising: StepFailed or any DomainError, whose message the flow run shows as it
is; StepCancelled when it stopped because the run was cancelled.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ollama_trainer.contracts import DatasetEntry, InputKind, TrainingProfile, TrainingStatus
from ollama_trainer.errors import DomainError


class StepFailed(DomainError):
    code = "step_failed"


class StepCancelled(Exception):
    """The step stopped because its flow run was cancelled."""


class Trainer(Protocol):
    """What flow steps (and the runner's cancel) ask of the training manager: the methods of
    training/manager.py's TrainingManager that they call, with its signatures. Tests pass a
    stand-in; nothing here imports the manager."""

    def start(self, profile: TrainingProfile, dataset: DatasetEntry, *, epochs: int | None = None,
              flow_run_id: str | None = None, queue: bool = False, from_run: str | None = None) -> str:
        """Start a run, or queue it while another job holds the machine (`queue`); its id;
        `from_run`: from that finished run's trained model."""
        ...

    def wait(self, training_id: str, timeout: float | None = None) -> TrainingStatus:
        """Block until the run ends (or `timeout`); its status then."""
        ...

    def cancel(self, training_id: str) -> TrainingStatus:
        """Stop the run after its current step (or take it out of the queue)."""
        ...


@dataclass
class StepContext:
    flow_run_id: str
    step_id: str
    manager: Trainer
    cancel: threading.Event = field(default_factory=threading.Event)
    on_training: Callable[[str], None] = lambda training_id: None


class StepArgs(BaseModel):
    """A step's arguments: an unknown one is an error."""

    model_config = ConfigDict(extra="forbid")


class StepOutputs(BaseModel):
    """A step's outputs: every field is a name `${steps.<id>.<field>}` may use."""

    model_config = ConfigDict(extra="forbid")


def arg(default: Any = ..., *, kind: InputKind | None = None, doc: str | None = None, **constraints: Any) -> Any:
    """A step argument: required without `default`. `kind`: what an input used for it stands
    for; `doc`: its note in docs/flows.md; `constraints`: pydantic's (ge, le, min_length...)."""
    return Field(default, description=doc, json_schema_extra={"kind": kind} if kind else None, **constraints)


A = TypeVar("A", bound=StepArgs)
O = TypeVar("O", bound=StepOutputs)


@dataclass(frozen=True)
class Step(Generic[A, O]):
    """One flow command, declared once. Calling it runs it the way the runner does:
    `step(args: dict, ctx) -> outputs: dict`, with the arguments checked first."""

    command: str
    args: type[A]
    outputs: type[O]
    run: Callable[..., O]
    """`run(args, ctx, **options) -> outputs`; options are what tests inject (EVAL's `ask`)."""

    @property
    def required(self) -> frozenset[str]:
        return frozenset(name for name, f in self.args.model_fields.items() if f.is_required())

    @property
    def optional(self) -> frozenset[str]:
        return frozenset(name for name, f in self.args.model_fields.items() if not f.is_required())

    @property
    def output_names(self) -> frozenset[str]:
        return frozenset(self.outputs.model_fields)

    @property
    def kinds(self) -> dict[str, InputKind]:
        """The arguments that stand for something a flow input should offer a choice of."""
        extras = {name: f.json_schema_extra for name, f in self.args.model_fields.items()}
        return {name: extra["kind"] for name, extra in extras.items() if isinstance(extra, dict) and "kind" in extra}

    def parse(self, args: dict) -> A:
        try:
            return self.args.model_validate(args)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "args"
            raise StepFailed(f"{self.command} argument {where}: {first['msg']} (got {first.get('input')!r})") from None

    def __call__(self, args: dict, ctx: StepContext, **options: Any) -> dict:
        return self.run(self.parse(args), ctx, **options).model_dump()


StepFunction = Callable[[dict, StepContext], dict]
