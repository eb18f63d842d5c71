"""The base model's own greedy answers to general prompts, cached: what replay trains on (so a
small dataset does not overwrite what the model knew) and what the probe compares against.

The cache is `<models_dir>/answers/<key>.json`, one file per base model (its identity and
file), each answer keyed by (prompt, system prompt, length): greedy answers are the same every
time, so each base pays for them once (about 25 s for the builtin model's 60 prompts on two
CPU cores).

Imports torch: worker process only.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ollama_trainer import atomic
from ollama_trainer.protocol import JobSpec
from ollama_trainer.training.worker import token_rows
from ollama_trainer.training.worker.generation import generate

BATCH = 32  # prompts per generate call: per-token overhead dominates small models, so bigger is faster;
# each batch is cached as soon as it is made
REPLAY_TOKENS = 48
REPLAY_AUTO_BELOW = 500  # replay 'auto' is on for datasets smaller than this


def _read_cache(job: JobSpec) -> dict:
    try:
        return json.loads(job.answers_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _key(prompt: str, system: str | None, max_new_tokens: int) -> str:
    return json.dumps([prompt, system, max_new_tokens], ensure_ascii=False)


def cached(job: JobSpec, prompts: list[str], *, system: str | None, max_new_tokens: int) -> bool:
    """Whether every answer is in the cache already (nothing to generate)."""
    return len(cached_answers(job, prompts, system=system, max_new_tokens=max_new_tokens)) == len(set(prompts))


def cached_answers(job: JobSpec, prompts: list[str], *, system: str | None, max_new_tokens: int) -> dict[str, str]:
    """The answers of `prompts` that are in the cache, by prompt."""
    cache = _read_cache(job)
    found = {p: cache.get(_key(p, system, max_new_tokens)) for p in prompts}
    return {p: a for p, a in found.items() if a is not None}


def replay_example(prompt: str, answer: str) -> dict | None:
    """The chat example replay trains on for one of the base's answers (None: nothing to train)."""
    text = whole_sentences(answer)
    return {"messages": [{"role": "user", "content": prompt}, {"role": "assistant", "content": text}],
            "line": 0} if text else None


def answers(model, tokenizer, prompts: list[str], *, job: JobSpec, system: str | None,
            max_new_tokens: int, meter=None) -> list[str]:
    """The base model's answers (the LoRA switched off when the model has one). Each batch is
    added to the cache as soon as it is made, so a run stopped half-way keeps what it made and
    the next one goes on from there; `meter` (stage_meter.StageMeter) is told of each answer."""
    path = job.answers_file()
    cache = _read_cache(job)

    def key(prompt: str) -> str:
        return _key(prompt, system, max_new_tokens)

    wanted = list(dict.fromkeys(prompts))
    missing = [p for p in wanted if key(p) not in cache]
    if meter is not None:
        meter.advance(len(wanted) - len(missing))  # cached: done already
    if missing:
        with token_rows.base_only(model):
            for i in range(0, len(missing), BATCH):
                chunk = missing[i:i + BATCH]
                made = generate(model, tokenizer, chunk, system=system, max_new_tokens=max_new_tokens,
                                on_step=meter.beat if meter is not None else None)
                for prompt, answer in zip(chunk, made):
                    cache[key(prompt)] = answer.text
                _write_cache(path, cache)
                if meter is not None:
                    meter.advance(len(chunk))
    return [cache[key(p)] for p in prompts]


def _write_cache(path: Path, cache: dict) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_text(path, json.dumps(cache, ensure_ascii=False, indent=1))
    except OSError:
        pass  # a cache that cannot be written costs time next run, nothing else


def whole_sentences(text: str) -> str:
    """An answer cut at the length limit, back to its last whole sentence (what replay teaches
    should end the way an answer ends)."""
    match = re.match(r"(?s)(.*[.!?])", text.strip())
    return (match.group(1) if match else text).strip()


def replay_count(job: JobSpec, n_dataset: int) -> int:
    """How many of the base's own answers a dataset of `n_dataset` examples gets: `replay_ratio`
    per example when replay is on (always, or for datasets under REPLAY_AUTO_BELOW examples
    with `auto`), at most one per replay prompt."""
    p = job.profile
    on = p.replay == "on" or (p.replay == "auto" and n_dataset < REPLAY_AUTO_BELOW)
    return min(len(job.replay_prompts), round(p.replay_ratio * n_dataset)) if on else 0


def replay_cached(job: JobSpec, n_dataset: int) -> bool:
    """Whether every replay answer is in the cache already (nothing to generate); ask before
    replay_examples, which fills the cache."""
    count = replay_count(job, n_dataset)
    return count <= 0 or cached(job, job.replay_prompts[:count], system=job.profile.system_prompt,
                                max_new_tokens=REPLAY_TOKENS)


def replay_examples(model, tokenizer, job: JobSpec, n_dataset: int, meter=None) -> list[dict]:
    """Chat examples of the base's own answers (replay_count of them)."""
    p = job.profile
    count = replay_count(job, n_dataset)
    if count <= 0:
        return []
    prompts = job.replay_prompts[:count]
    made = answers(model, tokenizer, prompts, job=job, system=p.system_prompt, max_new_tokens=REPLAY_TOKENS,
                   meter=meter)
    return [ex for ex in (replay_example(q, a) for q, a in zip(prompts, made)) if ex is not None]
