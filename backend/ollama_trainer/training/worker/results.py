"""What a finished run writes: its adapter folder, then samples.json (held-out prompts answered
before and after), scores.json (learned and kept, probe.py) and the trained model file
(model_file.py). A stop during these leaves the adapter saved and skips the rest.

Every function is given what it reads (the model, the job, the run's data), never the recipe.

Imports torch: worker process only.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

from ollama_trainer import atomic
from ollama_trainer.contracts import SampleAnswer
from ollama_trainer import protocol as ev
from ollama_trainer.training import run_folder
from ollama_trainer.training.worker import base_answers, model_file, preference, probe, token_rows
from ollama_trainer.training.worker.event_log import EventLog
from ollama_trainer.training.worker.generation import generate
from ollama_trainer.training.worker.stage_meter import StageMeter
from ollama_trainer.training.worker.train_data import TrainData
from ollama_trainer.weights.merge import MergeError

SAMPLE_LIMIT = 4


def save_adapter(model, run_dir: Path, lora_alpha: float) -> Path:
    """The trained adapter as run_dir/adapter/ (PEFT safetensors and the token rows), written
    beside it and renamed into place."""
    adapter_dir = run_dir / run_folder.ADAPTER
    tmp = run_dir / f".adapter.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp, safe_serialization=True)
    token_rows.save(model, tmp)
    cfg_path = tmp / "adapter_config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["lora_alpha"] = int(lora_alpha)  # Ollama parses it as an integer
    cfg_path.write_text(json.dumps(cfg, indent=2, sort_keys=True))
    if adapter_dir.exists():
        shutil.rmtree(adapter_dir)
    os.replace(tmp, adapter_dir)
    return adapter_dir


def write_all(model, tokenizer, job: ev.JobSpec, data: TrainData, *, run_dir: Path, log: EventLog,
              cancel: threading.Event) -> None:
    """samples.json, scores.json and the model file, each said in events; stops between them
    when `cancel` is set."""
    samples = []
    prompts = sample_prompts(job.dataset.held_out_prompts, data.eval_examples, data.train_examples)
    if prompts:
        meter = StageMeter(log, "samples", "answering the held-out prompts, before and after", 2 * len(prompts))
        path, samples = write_samples(model, tokenizer, job, prompts, run_dir / run_folder.SAMPLES, cancel, meter)
        if path is not None:
            log.emit(ev.Samples(path=str(path)))
    if cancel.is_set():
        return
    model.eval()
    meter = StageMeter(log, "probe", "checking what the model kept: general questions",
                       2 * len(job.probe)) if job.profile.probe and job.probe else None
    scores = probe.run(model, tokenizer, job, samples, data.dataset_answers, data.replay_count, meter=meter)
    scores = scores.model_copy(update=_pair_scores(model, tokenizer, job, data))
    atomic.write_text(run_dir / run_folder.SCORES, scores.model_dump_json(indent=2))
    log.emit(ev.Scored(learned=scores.learned, kept=scores.kept))
    if cancel.is_set():
        return
    meter = StageMeter(log, "model_file", "writing the trained model file")
    try:
        written = model_file.write(job, run_dir, on_progress=meter.at)
    except (model_file.ModelFileError, MergeError, OSError) as exc:
        log.emit(ev.Notice(message=f"the trained model file was not written ({exc}); the adapter is "
                                   "saved, and Export to Ollama writes the file again"))
    else:
        if written is not None:
            log.emit(ev.ModelFile(path=str(written.path), bytes=written.bytes, seconds=written.seconds))
            if written.note:
                log.emit(ev.Notice(message=written.note))


def _pair_scores(model, tokenizer, job: ev.JobSpec, data: TrainData) -> dict:
    """Preference runs: of the held-out pairs, the share whose chosen answer the base prefers,
    and the share the trained model prefers."""
    pairs = [x for x in data.eval_set if isinstance(x, preference.Pair)]
    if not pairs:
        return {}
    device = next(model.parameters()).device
    shares = [preference.prefers_chosen(model, pairs, tokenizer.pad_token_id, device, job.profile.batch_size,
                                        base=base) for base in (True, False)]
    return {"pairs": len(pairs), "pairs_before": round(sum(shares[0]) / len(pairs), 4),
            "pairs_after": round(sum(shares[1]) / len(pairs), 4)}


def sample_prompts(held_out: list[str], eval_examples: list[dict], train_examples: list[dict],
                   limit: int = SAMPLE_LIMIT) -> list[tuple[str, str | None, str]]:
    """(prompt, expected answer, source): the dataset's own held-out prompts; else the
    questions of the eval split (held out of training, with the dataset's answers); else,
    for a dataset too small to split, training questions, said to be seen in training."""
    given = [x for x in held_out if x.strip()]
    if given:
        return [(x, None, "dataset") for x in given]
    for examples, source in ((eval_examples, "eval_split"), (train_examples, "training")):
        found = [pair for pair in (question(ex) for ex in examples) if pair is not None]
        if found:
            return [(q, a, source) for q, a in found[:limit]]
    return []


def write_samples(model, tokenizer, job: ev.JobSpec, prompts: list[tuple[str, str | None, str]], path: Path,
                  cancel: threading.Event, meter: StageMeter) -> tuple[Path | None, list[SampleAnswer]]:
    """The prompts answered by the base (cached) and by the trained model, written to `path`."""
    model.eval()
    system = job.presented_system
    questions = [q for q, _, _ in prompts]
    before = base_answers.answers(model, tokenizer, questions, job=job, system=system,
                                  max_new_tokens=probe.PROBE_TOKENS, meter=meter)
    if cancel.is_set():
        return None, []  # a stop during the samples: the adapter is saved, skip the rest
    after = generate(model, tokenizer, questions, system=system, max_new_tokens=probe.PROBE_TOKENS,
                     on_step=meter.beat)
    meter.advance(len(after))
    rows = [SampleAnswer(prompt=q, before=b, after=a.text, prompt_text=a.prompt_text, after_tokens=a.tokens,
                         expected=expected, source=source)
            for (q, expected, source), b, a in zip(prompts, before, after)]
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
