"""TRAIN: train a profile on a dataset through the training manager (the same path as the
Training panel) and wait for the run to end."""

from __future__ import annotations

import logging

from ollama_trainer import catalog
from ollama_trainer.contracts import MAX_EPOCHS, Id, TrainingState
from ollama_trainer.flows.step import Step, StepArgs, StepCancelled, StepContext, StepFailed, StepOutputs, arg
from ollama_trainer.training import history

log = logging.getLogger(__name__)


class TrainArgs(StepArgs):
    profile: Id = arg(kind="profile")
    dataset: Id = arg(kind="dataset")
    epochs: int | None = arg(None, kind="number", ge=1, le=MAX_EPOCHS,
                             doc="default: the profile's `default_epochs`")
    from_run: Id | None = arg(None, kind="training",
                              doc="a finished run whose trained model this one trains further (its adapter is the "
                                  "start, not a fresh LoRA), e.g. `${steps.train.training_id}`")


class TrainOutputs(StepOutputs):
    training_id: str
    status: TrainingState
    final_loss: float | None
    eval_loss: float | None
    adapter_dir: str | None


def run(a: TrainArgs, ctx: StepContext) -> TrainOutputs:
    profile = catalog.get_profile(a.profile)
    dataset = catalog.get_dataset_entry(a.dataset)
    if ctx.cancel.is_set():
        raise StepCancelled()
    manager = ctx.manager
    # queue behind a job that runs (in this app or another process) instead of failing
    training_id = manager.start(profile, dataset, epochs=a.epochs, flow_run_id=ctx.flow_run_id, queue=True,
                                from_run=a.from_run)
    log.info("flow_run_id=%s training_id=%s step=%s", ctx.flow_run_id, training_id, ctx.step_id)
    ctx.on_training(training_id)
    if ctx.cancel.is_set():  # cancelled while the job was starting
        manager.cancel(training_id)
    status = manager.wait(training_id)
    summary = history.load_summary(training_id)
    if status.status == "cancelled":
        raise StepCancelled()
    if status.status != "done":
        raise StepFailed(f"training {training_id} {status.status}: {status.error or status.message}")
    return TrainOutputs(
        training_id=training_id,
        status=status.status,
        final_loss=summary.final_loss if summary else status.loss,
        eval_loss=summary.eval_loss if summary else status.eval_loss,
        adapter_dir=summary.adapter_dir if summary else None,
    )


STEP = Step("TRAIN", TrainArgs, TrainOutputs, run)
