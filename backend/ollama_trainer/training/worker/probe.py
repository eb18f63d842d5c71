"""After training: the scores (evaluation/scores.py) for the adapter that is kept.

learned: the held-out answers in samples.json against the dataset's checks (or, for prompts
from the eval split, the dataset's own answers); for a dataset made from documents, the
questions held out of documents it trained on (those of documents held out whole are scored
apart: their facts were never trained on). kept: the probe's general prompts answered by
the base (cached) and by the trained model, compared.

Imports torch: worker process only.
"""

from __future__ import annotations

from ollama_trainer.contracts import KeptRow, LearnedRow, RunScores, SampleAnswer
from ollama_trainer.evaluation import scores
from ollama_trainer.protocol import JobSpec
from ollama_trainer.training.worker import base_answers
from ollama_trainer.training.worker.generation import generate

PROBE_TOKENS = 48


def learned_rows(samples: list[SampleAnswer], job: JobSpec) -> list[LearnedRow]:
    checks = {c.prompt: c for c in job.dataset.held_out_checks}
    rows = []
    for s in samples:
        c = checks.get(s.prompt)
        check = scores.Check(c.mode, c.value) if c else None
        rows.append(LearnedRow(prompt=s.prompt, answer=s.after, expected=c.value if c else s.expected,
                               learned=scores.learned(s.after, check=check, expected=s.expected),
                               kind=c.kind if c else None))
    return rows


def run(model, tokenizer, job: JobSpec, samples: list[SampleAnswer], dataset_answers: list[str],
        replay_examples: int, meter=None) -> RunScores:
    learned = learned_rows(samples, job)
    # a documents dataset's questions from documents held out whole measure facts never trained
    # on: when questions held out of trained documents are there, Learned is theirs alone
    measured = [r for r in learned if r.kind == "trained_document"] or \
        [r for r in learned if r.kind != "held_out_document"] or learned
    result = RunScores(learned=scores.share([r.learned for r in measured]), learned_rows=learned,
                       replay_examples=replay_examples)
    if not (job.profile.probe and job.probe):
        return result
    prompts = [p.prompt for p in job.probe]
    system = job.presented_system
    before = base_answers.answers(model, tokenizer, prompts, job=job, system=system, max_new_tokens=PROBE_TOKENS,
                                  meter=meter)
    after = [g.text for g in generate(model, tokenizer, prompts, system=system, max_new_tokens=PROBE_TOKENS,
                                      on_step=meter.beat if meter is not None else None)]
    if meter is not None:
        meter.advance(len(after))
    markers = scores.taught_markers(dataset_answers, prompts + before)
    kept = [scores.kept(b, a, key=item.key, markers=markers) for item, b, a in zip(job.probe, before, after)]
    result.kept_rows = [KeptRow(prompt=item.prompt, before=b, after=a, kept=k.kept, agrees=k.agrees, leaked=k.leaked,
                                base_right=k.base_right)
                        for item, b, a, k in zip(job.probe, before, after, kept)]
    result.kept = scores.share([k.kept for k in kept])
    result.kept_of = sum(k.base_right for k in kept)
    result.markers = sorted(markers)
    return result
