"""EVAL: greedy answers of the base model and the trained model to each prompt, saved as
runs/<training_id>/eval.json, with the run's learned and kept scores; `min_kept` and
`min_learned` fail the step when the run scores lower. One warm model answers them all."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Callable

from pydantic import BaseModel

from ollama_trainer import atomic
from ollama_trainer.contracts import Id, RunScores
from ollama_trainer.flows.step import Step, StepArgs, StepCancelled, StepContext, StepFailed, StepOutputs, arg
from ollama_trainer.training import history
from ollama_trainer.training.run_folder import EVAL, RunFolder

Ask = Callable[..., str]  # (*, run, base, prompt, with_adapter=True) -> the answer's text


class EvalArgs(StepArgs):
    training_id: Id = arg(kind="training")
    prompts: list[str] | None = arg(None, doc="default: the run's held-out prompts")
    min_kept: float | None = arg(None, ge=0, le=1, doc="0..1: fail when the run's kept score is lower")
    min_learned: float | None = arg(None, ge=0, le=1, doc="0..1: fail when the run's learned score is lower")


class EvalAnswer(BaseModel):
    prompt: str
    before: str
    after: str


class EvalOutputs(StepOutputs):
    training_id: str
    eval_path: str
    answers: list[EvalAnswer]
    count: int
    learned: float | None
    kept: float | None
    scores: RunScores | None


def run(a: EvalArgs, ctx: StepContext, *, ask: Ask | None = None) -> EvalOutputs:
    """`ask`: a stand-in for the models in tests; else a pool with one warm model."""
    if ask is not None:
        return _evaluate(a, ctx, ask)
    from ollama_trainer.training.inference import InferencePool

    pool = InferencePool(max_warm=1)
    try:
        return _evaluate(a, ctx, lambda **question: pool.ask(**question)[0])  # the text (cut or not)
    finally:
        pool.close()


def _evaluate(a: EvalArgs, ctx: StepContext, ask: Ask) -> EvalOutputs:
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
        answers.append(EvalAnswer(prompt=prompt, before=before, after=after))
    path = folder.file(EVAL)
    scores = folder.scores()
    learned = scores.learned if scores else None
    kept = scores.kept if scores else None
    payload = {"training_id": a.training_id, "flow_run_id": ctx.flow_run_id,
               "base_model": job.profile.base_model,
               "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "answers": [answer.model_dump() for answer in answers], "learned": learned, "kept": kept}
    atomic.write_text(path, json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    for name, floor, value in (("kept", a.min_kept, kept), ("learned", a.min_learned, learned)):
        if floor is not None and (value is None or value < floor):
            shown = "unknown (the run has no scores)" if value is None else f"{value:.0%}"
            raise StepFailed(f"run '{a.training_id}' scores {name} {shown}, under the flow's min_{name} of "
                             f"{floor:.0%}" + (": it forgets too much of what it knew" if name == "kept" else ""))
    return EvalOutputs(training_id=a.training_id, eval_path=str(path), answers=answers, count=len(answers),
                       learned=learned, kept=kept, scores=scores)


STEP = Step("EVAL", EvalArgs, EvalOutputs, run)
