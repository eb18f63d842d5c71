"""One function per flow command: `fn(args, ctx) -> outputs`.

A step function gets its arguments with every `${...}` already resolved, checks them with a
small pydantic model, does its work and returns its outputs (the fields later steps may
refer to; see definition.COMMANDS). It fails by raising: StepFailed or any DomainError, whose
message the flow run shows as it is; StepCancelled when it stopped because the run was
cancelled.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ollama_trainer import atomic, catalog, paths
from ollama_trainer.contracts import MAX_EPOCHS, DatasetEntry, Id, QuantizeChoice
from ollama_trainer.errors import DomainError
from ollama_trainer.training import history
from ollama_trainer.training.run_folder import EVAL, RunFolder

log = logging.getLogger(__name__)


class StepFailed(DomainError):
    code = "step_failed"


class StepCancelled(Exception):
    """The step stopped because its flow run was cancelled."""


@dataclass
class StepContext:
    flow_run_id: str
    step_id: str
    manager: object  # TrainingManager (not imported here, so fakes can stand in for tests)
    cancel: threading.Event = field(default_factory=threading.Event)
    on_training: Callable[[str], None] = lambda training_id: None


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _parse(model: type[_Args], args: dict, cmd: str):
    try:
        return model.model_validate(args)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "args"
        raise StepFailed(f"{cmd} argument {where}: {first['msg']} (got {first.get('input')!r})") from None


# -- TRAIN -----------------------------------------------------------------------------------

class TrainArgs(_Args):
    profile: Id
    dataset: Id
    epochs: int | None = Field(None, ge=1, le=MAX_EPOCHS)


def train(args: dict, ctx: StepContext) -> dict:
    """Train through the TrainingManager (the same path as the Training panel) and wait."""
    a = _parse(TrainArgs, args, "TRAIN")
    profile = catalog.get_profile(a.profile)
    dataset = catalog.get_dataset_entry(a.dataset)
    if ctx.cancel.is_set():
        raise StepCancelled()
    manager = ctx.manager
    # queue behind a job that runs (in this app or another process) instead of failing
    training_id = manager.start(profile, dataset, epochs=a.epochs, flow_run_id=ctx.flow_run_id, queue=True)
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
    return {
        "training_id": training_id,
        "status": status.status,
        "final_loss": summary.final_loss if summary else status.loss,
        "eval_loss": summary.eval_loss if summary else status.eval_loss,
        "adapter_dir": summary.adapter_dir if summary else None,
    }


# -- INDEX -----------------------------------------------------------------------------------

class IndexArgs(_Args):
    source_dir: str = Field(min_length=1)
    dataset_id: Id
    mode: Literal["qa", "text"] | None = None
    teacher: str | None = None
    host: str | None = None
    chunk_tokens: int = Field(256, ge=16, le=100_000)
    overlap_tokens: int | None = Field(None, ge=0, le=50_000)
    pairs_per_chunk: int = Field(3, ge=1, le=20)
    patterns: list[str] | None = Field(None, min_length=1)


def source_path(source_dir: str) -> Path:
    """A relative source_dir is relative to the repository root (where automation/ lives), so a
    shipped flow can index a folder shipped with the app; ~ is the home folder."""
    path = Path(source_dir).expanduser()
    return path if path.is_absolute() else paths.shipped_root() / path


def index(args: dict, ctx: StepContext) -> dict:
    """Turn a folder of PDF, Word, HTML, Markdown and text documents into a dataset in the
    user's catalog: question-answer pairs written by a teacher model in Ollama (mode qa, the
    default when a teacher is given), else the documents' text in chunks (mode text). An Ollama
    that cannot be reached gives text chunks, and the step's notes say what that means."""
    from ollama_trainer import settings
    from ollama_trainer.documents import Cancelled
    from ollama_trainer.documents.dataset import BuildRequest, build

    a = _parse(IndexArgs, args, "INDEX")
    teacher = (a.teacher or "").strip() or None
    overlap = a.overlap_tokens if a.overlap_tokens is not None else min(32, a.chunk_tokens // 8)
    if overlap * 2 > a.chunk_tokens:
        raise StepFailed(f"INDEX argument overlap_tokens: {overlap} is more than half of chunk_tokens "
                         f"({a.chunk_tokens})")
    mode = a.mode or ("qa" if teacher else "text")
    notes: list[str] = []
    if mode == "qa" and teacher is None:
        notes.append("No teacher was given, so no question-answer pairs were written.")
        mode = "text"
    source = source_path(a.source_dir)
    request = BuildRequest(source_dir=str(source), dataset_id=a.dataset_id, teacher=teacher, mode=mode,
                           host=settings.ollama_host(a.host) if mode == "qa" else None, chunk_tokens=a.chunk_tokens,
                           overlap_tokens=overlap, pairs_per_chunk=a.pairs_per_chunk, patterns=a.patterns,
                           fallback_to_text=True)
    try:
        built = build(request, cancel=ctx.cancel)
    except Cancelled:
        raise StepCancelled() from None
    except DomainError as exc:
        raise StepFailed(exc.message, code=exc.code) from None
    result, report = built.result, built.result.report
    notes.extend(built.notes)
    if built.dataset is None:
        raise StepFailed(" ".join(notes) or f"no pair was kept from {source}")
    log.info("flow_run_id=%s step=%s dataset=%s mode=%s rows=%d", ctx.flow_run_id, ctx.step_id, a.dataset_id,
             report.mode, report.train_rows + report.held_out_rows)
    return {"dataset": a.dataset_id, "dataset_id": a.dataset_id, "mode": report.mode, "documents": report.documents, "pages": report.pages,
            "chunks": report.chunks, "duplicates": report.duplicate_chunks, "pairs_kept": report.pairs_kept,
            "rejected": report.rejected, "train_rows": report.train_rows, "held_out_rows": report.held_out_rows,
            "skipped": [s.model_dump() for s in report.skipped], "path": result.train_path,
            "report": result.report_path, "notes": notes}


# -- EXPORT ----------------------------------------------------------------------------------

class ExportArgs(_Args):
    training_id: Id
    model_name: str | None = Field(None, min_length=1)
    host: str | None = None
    quantize: QuantizeChoice | None = None


def export(args: dict, ctx: StepContext) -> dict:
    """Register the trained model with Ollama (the same export as the window's button and
    `ollama-trainer export`); the model file and the Modelfile are written either way."""
    from ollama_trainer import settings
    from ollama_trainer.ollama.export import export_run

    a = _parse(ExportArgs, args, "EXPORT")
    try:
        result = export_run(a.training_id, model_name=a.model_name, host=settings.ollama_host(a.host),
                            quantize=a.quantize)
    except DomainError as exc:
        raise StepFailed(exc.message, code=exc.code) from None
    return {"ollama_model": result.ollama_model, "model_name": result.ollama_model, "training_id": a.training_id,
            "host": result.host, "modelfile": result.modelfile, "command": result.command,
            "model_file": result.model_file, "check": result.check.model_dump() if result.check else None}


# -- EVAL ------------------------------------------------------------------------------------

class EvalArgs(_Args):
    training_id: Id
    prompts: list[str] | None = None
    min_kept: float | None = Field(None, ge=0, le=1, description="Fail when the kept score is lower")
    min_learned: float | None = Field(None, ge=0, le=1, description="Fail when the learned score is lower")


def evaluate(args: dict, ctx: StepContext, *, ask=None) -> dict:
    """Greedy answers of the base model and the trained model to each prompt, saved as
    runs/<training_id>/eval.json. One warm model answers them all."""
    pool = None
    if ask is None:
        from ollama_trainer.training.inference import InferencePool

        pool = InferencePool(max_warm=1)
        ask = pool.ask
    try:
        return _evaluate(args, ctx, ask)
    finally:
        if pool is not None:
            pool.close()


def _evaluate(args: dict, ctx: StepContext, ask) -> dict:
    a = _parse(EvalArgs, args, "EVAL")
    job = history.load_job(a.training_id)
    if job is None:
        raise StepFailed(f"no training run '{a.training_id}'", code="unknown_training")
    folder = RunFolder.of(a.training_id)
    prompts = a.prompts if a.prompts is not None else (
        list(job.dataset.held_out_prompts) or [s.prompt for s in folder.samples()])
    if not prompts:
        raise StepFailed(f"no prompts: run '{a.training_id}' used a dataset without held-out prompts; "
                         "pass \"prompts\": [...]")
    answers = []
    for prompt in prompts:
        if ctx.cancel.is_set():
            raise StepCancelled()
        before = ask(run=a.training_id, base=None, prompt=prompt, with_adapter=False)
        after = ask(run=a.training_id, base=None, prompt=prompt)
        answers.append({"prompt": prompt, "before": before, "after": after})
    path = RunFolder.of(a.training_id).file(EVAL)
    payload = {"training_id": a.training_id, "flow_run_id": ctx.flow_run_id,
               "base_model": job.profile.base_model,
               "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "answers": answers}
    scores = folder.scores()
    learned = scores.learned if scores else None
    kept = scores.kept if scores else None
    payload.update(learned=learned, kept=kept)
    atomic.write_text(path, json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    outputs = {"training_id": a.training_id, "eval_path": str(path), "answers": answers, "count": len(answers),
               "learned": learned, "kept": kept, "scores": scores.model_dump() if scores else None}
    for name, floor, value in (("kept", a.min_kept, kept), ("learned", a.min_learned, learned)):
        if floor is not None and (value is None or value < floor):
            shown = "unknown (the run has no scores)" if value is None else f"{value:.0%}"
            raise StepFailed(f"run '{a.training_id}' scores {name} {shown}, under the flow's min_{name} of "
                             f"{floor:.0%}" + (": it forgets too much of what it knew" if name == "kept" else ""))
    return outputs


StepFunction = Callable[[dict, StepContext], dict]

STEP_FUNCTIONS: dict[str, StepFunction] = {"TRAIN": train, "INDEX": index, "EXPORT": export, "EVAL": evaluate}
