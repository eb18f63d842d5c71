"""What a finished run writes after its adapter: samples.json (held-out prompts answered before
and after), scores.json (learned and kept, probe.py) and the trained model file
(model_file.py). A stop during these leaves the adapter saved and skips the rest.

Imports torch: worker process only.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ollama_trainer import atomic
from ollama_trainer.contracts import SampleAnswer
from ollama_trainer import protocol as ev
from ollama_trainer.training import run_folder
from ollama_trainer.training.worker import base_answers, model_file, probe
from ollama_trainer.training.worker.generation import generate
from ollama_trainer.training.worker.stage_meter import StageMeter
from ollama_trainer.weights.merge import MergeError

SAMPLE_LIMIT = 4


def write_all(recipe) -> None:
    samples = []
    prompts = sample_prompts(recipe)
    if prompts:
        meter = StageMeter(recipe.log, "samples", "answering the held-out prompts, before and after",
                           2 * len(prompts))
        path, samples = write_samples(recipe, prompts, meter)
        if path is not None:
            recipe.log.emit(ev.Samples(path=str(path)))
    if recipe.cancel.is_set():
        return
    recipe.model.eval()
    meter = StageMeter(recipe.log, "probe", "checking what the model kept: general questions",
                       2 * len(recipe.job.probe)) if recipe.job.profile.probe and recipe.job.probe else None
    scores = probe.run(recipe.model, recipe.tokenizer, recipe.job, samples, recipe.dataset_answers,
                       recipe.replay_count, meter=meter)
    atomic.write_text(recipe.run_dir / run_folder.SCORES, scores.model_dump_json(indent=2))
    recipe.log.emit(ev.Scored(learned=scores.learned, kept=scores.kept))
    if recipe.cancel.is_set():
        return
    meter = StageMeter(recipe.log, "model_file", "writing the trained model file")
    try:
        written = model_file.write(recipe.job, recipe.run_dir, on_progress=meter.at)
    except (model_file.ModelFileError, MergeError, OSError) as exc:
        recipe.log.emit(ev.Notice(message=f"the trained model file was not written ({exc}); the adapter is "
                                          "saved, and Export to Ollama writes the file again"))
    else:
        if written is not None:
            recipe.log.emit(ev.ModelFile(path=str(written.path), bytes=written.bytes, seconds=written.seconds))
            if written.note:
                recipe.log.emit(ev.Notice(message=written.note))


def sample_prompts(recipe, limit: int = SAMPLE_LIMIT) -> list[tuple[str, str | None, str]]:
    """(prompt, expected answer, source): the dataset's own held-out prompts; else the
    questions of the eval split (held out of training, with the dataset's answers); else,
    for a dataset too small to split, training questions, said to be seen in training."""
    given = [x for x in recipe.dataset_spec.held_out_prompts if x.strip()]
    if given:
        return [(x, None, "dataset") for x in given]
    for examples, source in ((recipe.eval_examples, "eval_split"), (recipe.train_examples, "training")):
        found = [pair for pair in (question(ex) for ex in examples) if pair is not None]
        if found:
            return [(q, a, source) for q, a in found[:limit]]
    return []


def write_samples(recipe, prompts: list[tuple[str, str | None, str]], meter) -> tuple[Path | None, list[SampleAnswer]]:
    model, tokenizer = recipe.model, recipe.tokenizer
    model.eval()
    system = recipe.job.presented_system
    questions = [q for q, _, _ in prompts]
    before = base_answers.answers(model, tokenizer, questions, job=recipe.job, system=system,
                                  max_new_tokens=probe.PROBE_TOKENS, meter=meter)
    if recipe.cancel.is_set():
        return None, []  # a stop during the samples: the adapter is saved, skip the rest
    after = generate(model, tokenizer, questions, system=system, max_new_tokens=probe.PROBE_TOKENS,
                     on_step=meter.beat)
    meter.advance(len(after))
    rows = [SampleAnswer(prompt=q, before=b, after=a.text, prompt_text=a.prompt_text, after_tokens=a.tokens,
                         expected=expected, source=source)
            for (q, expected, source), b, a in zip(prompts, before, after)]
    path = recipe.run_dir / run_folder.SAMPLES
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps([r.model_dump() for r in rows], indent=2, ensure_ascii=False))
    os.replace(tmp, path)
    return path, rows


def question(example: dict) -> tuple[str, str | None] | None:
    """A one-question example's question and answer (the last user turn before the last
    assistant turn); None for text examples."""
    from ollama_trainer.datasets.examples import prompt_of, to_chat_messages

    before = prompt_of(example)
    if not before or before[-1]["role"] != "user" or not before[-1]["content"].strip():
        return None
    messages = to_chat_messages(example) or []
    answer = messages[len(before)]["content"] if len(messages) > len(before) else None
    return before[-1]["content"], answer
