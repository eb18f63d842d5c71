"""Before Start: what a run would train on and what it would cost. The worker counts the
examples and the trainable tokens with the base's own tokenizer and chat format (worker
`preview`, from the same JobSpec a run gets: plan.py); this side adds the estimate (estimate.py),
the free memory and the warnings, and refuses a run that would train on nothing.
"""

from __future__ import annotations

import json
import math
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import NamedTuple

from ollama_trainer import bases, estimate
from ollama_trainer.contracts import (DatasetEntry, RunEstimate, RunPreview, SmallDataset, TrainingOverrides,
                                     TrainingProfile)
from ollama_trainer.protocol import PreviewReply
from ollama_trainer.training import device_probe, plan, worker_client

PREVIEW_TIMEOUT_S = 300.0
# Steps x learning rate below this learns little on a small set: the Quick demo on the identity
# set is 48 x 0.001 = 0.048 and learns 4/4; Standard LoRA's 3 epochs there are 24 x 0.0002 =
# 0.0048 and learn nothing.
LEARNING_BUDGET = 0.02
SMALL_DATASET = 30  # fewer examples to train on than this: the preview says how many epochs the set needs
MOST_EPOCHS = 100  # the most epochs a small-set hint asks for

_cache: OrderedDict[str, PreviewReply] = OrderedDict()
_cache_lock = threading.Lock()
_CACHE_SIZE = 32


def _dataset_identity(path: str) -> str:
    try:
        return bases.file_key(Path(path))
    except OSError:
        return "missing"


def _answers_identity(spec) -> str:
    """When the base's cached answers last changed (a run adds replay answers: the count and the
    estimate change with them); another base's answers leave this preview as it was."""
    try:
        return str(spec.answers_file().stat().st_mtime_ns)
    except OSError:
        return "none"


def _count_key(spec) -> str:
    return json.dumps([spec.profile.model_dump(mode="json"), spec.dataset.model_dump(mode="json"),
                       _dataset_identity(spec.dataset.path), spec.base.model_dump(mode="json") if spec.base else None,
                       _answers_identity(spec)], sort_keys=True)


def cached_count(spec) -> PreviewReply | None:
    """The count a preview already made for this JobSpec, or None (never asks the worker)."""
    key = _count_key(spec)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    return None


def count(spec) -> PreviewReply:
    """The worker's count for a JobSpec, cached by everything it depends on."""
    cached = cached_count(spec)
    if cached is not None:
        return cached
    key = _count_key(spec)
    with tempfile.TemporaryDirectory(prefix="ot-preview-") as tmp:
        path = Path(tmp) / "job.json"
        spec.write(path)
        reply = worker_client.call("preview", PreviewReply, timeout=PREVIEW_TIMEOUT_S, code="invalid_dataset",
                                   job=path)
    with _cache_lock:
        _cache[key] = reply
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return reply


def batch_tokens_of(profile: TrainingProfile, longest: int) -> int:
    """The tokens of the biggest batch: what the activations' memory grows with."""
    if profile.batch_tokens:
        return profile.batch_tokens
    return profile.batch_size * min(profile.max_seq_len, longest or profile.max_seq_len)


def optimizer_steps(examples: int, profile: TrainingProfile, epochs: int) -> int:
    """About how many optimizer steps a run makes (a token budget can make batches smaller)."""
    per_epoch = math.ceil(math.ceil(examples / profile.batch_size) / profile.gradient_accumulation)
    return per_epoch * epochs


def epochs_needed(examples: int, profile: TrainingProfile) -> int:
    """The fewest epochs whose optimizer steps x learning rate reach LEARNING_BUDGET (at most
    MOST_EPOCHS): what a small set needs to learn anything."""
    per_epoch = optimizer_steps(examples, profile, 1)
    if per_epoch <= 0 or profile.learning_rate <= 0:
        return MOST_EPOCHS
    return max(1, min(MOST_EPOCHS, math.ceil(LEARNING_BUDGET / (per_epoch * profile.learning_rate) - 1e-9)))


class _Guess(NamedTuple):
    estimate: RunEstimate
    memory: estimate.MemoryPlan
    device: str
    available_gb: float | None


def _guess(run: plan.Resolved, spec, counted: PreviewReply) -> _Guess:
    """The run's estimate (estimate.for_run) from the preview's count: what the preview shows
    and, made again at Start from the same count, what the run records."""
    profile = run.profile
    found = device_probe.probe()
    device = found["device"] if profile.device == "auto" else profile.device
    shape = estimate.shape_of(run.base)
    generate = estimate.generate_calls(probe=len(spec.probe) if profile.probe else 0, probe_cached=counted.probe_cached,
                                       replay=counted.replay_examples, replay_cached=counted.replay_cached)
    tokens = (counted.total_tokens + counted.replay_tokens) * run.epochs
    available = found.get("memory_gb") if device == "cuda" else estimate.available_memory_gb()
    batch_tokens = batch_tokens_of(profile, counted.longest)
    memory = estimate.memory_plan(shape, batch_tokens, available_gb=available, device=device,
                                  checkpointing=profile.gradient_checkpointing, weights=profile.weights,
                                  nf4_possible=device == "cuda" and bool(found.get("nf4")))
    guess = estimate.for_run(shape, tokens, device=device, generate=generate, speeds=spec.speeds,
                             batch_tokens=batch_tokens, plan=memory)
    return _Guess(guess, memory, device, available)


def known_estimate(run: plan.Resolved, dataset: DatasetEntry) -> RunEstimate | None:
    """At Start: the estimate the preview showed for this very run, when a preview counted it
    (the window always shows one first), so the run card and the run page quote the preview's
    number; None without a count (the worker then makes its own before the first step)."""
    spec = plan.job_spec("preview", run, dataset)
    counted = cached_count(spec)
    if counted is None or counted.error:
        return None
    return _guess(run, spec, counted).estimate


def preview(profile: TrainingProfile, dataset: DatasetEntry, *, epochs: int | None = None,
            overrides: TrainingOverrides | None = None, base: str | None = None) -> RunPreview:
    run = plan.resolve(profile, dataset, epochs=epochs, overrides=overrides, base=base)
    profile, resolved, epochs = run.profile, run.base, run.epochs
    spec = plan.job_spec("preview", run, dataset)
    counted = count(spec)
    guess, memory, device, available = _guess(run, spec, counted)

    warnings = []
    reason = None
    if counted.trainable_tokens == 0:
        reason = (f"nothing in dataset '{dataset.id}' would be trained on: every example's answer lies beyond "
                  f"max_seq_len ({profile.max_seq_len} tokens) or is empty; raise max_seq_len or shorten the "
                  "prompts" + "".join(f"\n{x}" for x in counted.dropped_lines[:3]))
    elif not memory.fits:
        reason = memory.why  # says what would make it fit
    if counted.dropped:
        warnings.append(f"{counted.dropped} example(s) have no answer tokens within max_seq_len "
                        f"({profile.max_seq_len}) and are left out: " + "; ".join(counted.dropped_lines) +
                        ("; ..." if counted.dropped > len(counted.dropped_lines) else ""))
    if counted.truncated:
        warnings.append(f"{counted.truncated} example(s) are longer than max_seq_len ({profile.max_seq_len}) "
                        "and are cut: " + "; ".join(counted.long_lines) + ("; ..." if counted.truncated > len(
                            counted.long_lines) else ""))
    steps = optimizer_steps(counted.train_examples + counted.replay_examples, profile, epochs)
    small = None
    if 0 < counted.train_examples < SMALL_DATASET:
        small = SmallDataset(train_examples=counted.train_examples, epochs=epochs,
                             epochs_needed=epochs_needed(counted.train_examples + counted.replay_examples, profile))
    elif counted.train_examples and steps * profile.learning_rate < LEARNING_BUDGET:
        warnings.append(f"{counted.train_examples} training examples give {steps} optimizer steps at learning rate "
                        f"{profile.learning_rate:g}: likely too few to learn anything; use more epochs or a higher "
                        "learning rate (the Quick demo profile teaches its 24 examples in 3 epochs at 0.001)")
    if resolved.parameters is None:
        warnings.append("the base's size is not known before it loads: the estimate assumes 135M parameters")
    return RunPreview(
        profile_id=profile.id, dataset_id=dataset.id, base_model=profile.base_model, epochs=epochs, device=device,
        examples=counted.examples, train_examples=counted.train_examples, eval_examples=counted.eval_examples,
        replay_examples=counted.replay_examples, dropped=counted.dropped, truncated=counted.truncated,
        trainable_tokens=counted.trainable_tokens, total_tokens=counted.total_tokens + counted.replay_tokens,
        estimate=guess, available_memory_gb=available, warnings=warnings, small_dataset=small,
        can_start=reason is None, reason=reason)
