"""What a run will cost, decided before its first step: the precision its base's weights are
stored in (bf16, or nf4 on a GPU where bf16 would not fit: QLoRA) and the run's estimate, by the
preview's formula from the same figures (run_preview.py).

Worker process only: it reads the loaded model's config and counts its parameters.
"""

from __future__ import annotations

from ollama_trainer import estimate
from ollama_trainer import protocol as ev
from ollama_trainer.contracts import RunEstimate
from ollama_trainer.training.worker import base_answers, low_precision
from ollama_trainer.training.worker.probe import PROBE_TOKENS
from ollama_trainer.training.worker.train_data import TrainData


def weights(job: ev.JobSpec, device_type: str, available_gb: float | None) -> str:
    """bf16, or nf4 where the profile asks or (auto) bf16 would not fit on this GPU; decided
    before the model loads, with the longest possible batch."""
    p = job.profile
    if device_type != "cuda":
        return "bf16"
    shape = estimate.shape_of(job.base) if job.base and job.base.parameters else \
        estimate.Shape(estimate.DEFAULT_PARAMETERS)
    plan = estimate.memory_plan(shape, p.batch_size * p.max_seq_len, available_gb=available_gb,
                                device="cuda", checkpointing="auto", weights=p.weights,
                                nf4_possible=low_precision.nf4_available())
    return plan.weights


def run_estimate(job: ev.JobSpec, model, data: TrainData, *, epochs: int, tokens_seen: int, device_type: str,
                 available_gb: float | None, nf4: bool, replay_cached: bool) -> RunEstimate:
    """The base's size, every token the run still trains on (replay included), the answers it generates."""
    p = job.profile
    left = max(0, sum(data.lengths) * epochs - tokens_seen)
    probe_cached = base_answers.cached(job, [x.prompt for x in job.probe], system=p.system_prompt,
                                       max_new_tokens=PROBE_TOKENS)
    generate = estimate.generate_calls(probe=len(job.probe) if p.probe else 0, probe_cached=probe_cached,
                                       replay=data.replay_count, replay_cached=replay_cached)
    base = job.base
    if base is None or not base.parameters:
        config = model.config
        trainable = sum(x.numel() for x in model.parameters() if x.requires_grad)
        total = sum(x.numel() for x in model.parameters())
        base = ev.BaseModelFile(kind="hub", parameters=total - trainable,
                                hidden=getattr(config, "hidden_size", None),
                                layers=getattr(config, "num_hidden_layers", None),
                                vocab=getattr(config, "vocab_size", None))
    longest = max((len(e.input_ids) for e in data.train_set), default=0)
    batch_tokens = p.batch_tokens or p.batch_size * min(p.max_seq_len, longest or p.max_seq_len)
    shape = estimate.shape_of(base)
    plan = estimate.memory_plan(shape, batch_tokens, available_gb=available_gb, device=device_type,
                                checkpointing=p.gradient_checkpointing, weights="nf4" if nf4 else "bf16")
    return estimate.for_run(shape, left, device=device_type, generate=generate, speeds=job.speeds,
                            batch_tokens=batch_tokens, plan=plan)
