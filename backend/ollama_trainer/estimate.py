"""How long a run will take and how much memory it will need, before it starts: one function
(`for_run`) that the run preview shows and the run records, from the base's size and shape, the
tokens it trains on, the answers it generates and the device; and what this machine has.

The figures were fitted to runs measured on two CPU cores (bench/model_sizes.py, the identity
demo, docs/PERFORMANCE.md) at four sizes: SmolLM2-135M, Gemma 3 270M, and Qwen2.5-0.5B's and
Llama-3.2-1B's shapes. With the frozen weights in bf16:

- memory: 0.58 GB (Python, torch and the trainer) + 1.94 bytes per parameter (the weights) +
  3.14 bytes per entry of the vocabulary x hidden matrix (the embeddings and the output head's
  chunked cross-entropy) + the activations of the biggest batch (34 bytes per token, layer and
  hidden unit); within 1 % of the measured peak at the four sizes;
- training time per token: 1.9 ms + 2.24 ms per billion parameters of the layers + 18.6 ms per
  billion entries of the vocabulary x hidden matrix; within 10 %;
- an answer step (one token for a batch of answers): 31 ms + 58 ms per billion parameters;
  loading about 2.2 s + 7.7 s per billion (once converted), writing the model file 8 s per billion.

Earlier runs on the same base, when there are some, say better than the formula: their median
training speed is used instead ("measured on this machine"). On CUDA everything is divided by
GPU_SPEEDUP, a cautious guess until measured on a GPU.
"""

from __future__ import annotations

import math
import os
import statistics
from dataclasses import dataclass

from ollama_trainer.contracts import RunEstimate

GPU_SPEEDUP = 25.0
BASE_GB, WEIGHT_BYTES, HEAD_BYTES, ACTIVATION_BYTES = 0.58, 1.94, 3.14, 34
NF4_BYTES = 0.56  # 4 bits a weight, its scales and double quantization (bitsandbytes NF4)
CHECKPOINT_BYTES = 2  # with gradient checkpointing, a layer keeps its bf16 input per token and unit
CHECKPOINT_SLOWER = 1.33  # one more forward pass in the backward
HEADROOM = 0.9  # of the memory there is, what a run may plan to use
TOKEN_MS, BODY_MS_PER_B, HEAD_MS_PER_B = 1.9, 2.24, 18.6
STEP_MS, STEP_MS_PER_B = 31.0, 58.0
LOAD_S, LOAD_S_PER_B, MODEL_FILE_S_PER_B = 2.2, 7.7, 8.0
ANSWER_TOKENS = 48  # each sample, probe and replay answer (generation.SAMPLE_MAX_NEW_TOKENS)
ANSWER_BATCH = 32  # base_answers.BATCH: answers generated together
# A base of unknown size and shape (a hub id before it loads): the builtin's
DEFAULT_PARAMETERS = 135_000_000
DEFAULT_SHAPE = (576, 30, 49152)


@dataclass(frozen=True)
class Shape:
    parameters: int
    hidden: int | None = None
    layers: int | None = None
    vocab: int | None = None

    @property
    def head(self) -> float:
        """Entries of the vocabulary x hidden matrix, in billions."""
        hidden, _, vocab = self._filled()
        return hidden * vocab / 1e9

    @property
    def body(self) -> float:
        """Parameters of the layers (all but the embeddings), in billions."""
        return max(0.0, self.parameters / 1e9 - self.head)

    def _filled(self) -> tuple[int, int, int]:
        hidden, layers, vocab = DEFAULT_SHAPE
        return self.hidden or hidden, self.layers or layers, self.vocab or vocab


def shape_of(base) -> Shape:
    """A base (protocol.BaseModelFile) as the estimate takes it; the builtin's size when unknown."""
    return Shape(base.parameters or DEFAULT_PARAMETERS, base.hidden, base.layers, base.vocab)


def memory_gb(shape: Shape, batch_tokens: int = 512, *, bits: int = 16, checkpointing: bool = False) -> float:
    """The peak: weights in bf16 (bits=16), or in 4-bit NF4 (bits=4: QLoRA on a GPU, where the
    embeddings stay in bf16); with checkpointing, each layer keeps only its input for the
    backward pass (and one layer's activations are rebuilt at a time)."""
    hidden, layers, _ = shape._filled()
    per_token = hidden * (CHECKPOINT_BYTES * layers + ACTIVATION_BYTES) if checkpointing else \
        hidden * layers * ACTIVATION_BYTES
    activations = batch_tokens * per_token / 1e9
    weights = WEIGHT_BYTES * shape.parameters / 1e9 if bits == 16 else \
        WEIGHT_BYTES * shape.head + NF4_BYTES * shape.body
    return round(BASE_GB + weights + HEAD_BYTES * shape.head + activations, 2)


def tokens_per_s(shape: Shape, device: str = "cpu", history: list[float] | None = None) -> float:
    if history:
        return statistics.median(history)
    ms = TOKEN_MS + BODY_MS_PER_B * shape.body + HEAD_MS_PER_B * shape.head
    return 1000.0 / ms * (GPU_SPEEDUP if device == "cuda" else 1.0)


def generate_calls(*, samples: bool = True, probe: int = 0, probe_cached: bool = False, replay: int = 0,
                   replay_cached: bool = True) -> int:
    """How many batches of answers a run generates (each ANSWER_TOKENS steps): the samples before
    and after, the probe's after (and before, when the base's are not cached), the replay
    answers not cached yet."""
    calls = 2 if samples else 0
    if probe:
        calls += 1 if probe_cached else 2
    if replay and not replay_cached:
        calls += math.ceil(replay / ANSWER_BATCH)
    return calls


@dataclass(frozen=True)
class MemoryPlan:
    checkpointing: bool
    weights: str  # "bf16" or "nf4"
    memory_gb: float
    why: str
    fits: bool


def memory_plan(shape: Shape, batch_tokens: int, *, available_gb: float | None, device: str = "cpu",
                checkpointing: str = "auto", weights: str = "auto", nf4_possible: bool = False) -> MemoryPlan:
    """How a run holds its weights and activations: the profile's choices, and for `auto` the
    cheapest that fits the memory there is (`available_gb`: free RAM, or the GPU's memory):
    bf16 without checkpointing, then with it, then (on a GPU with bitsandbytes) 4-bit weights."""
    budget = available_gb * HEADROOM if available_gb else None
    bits_options = {"bf16": [16], "nf4": [4], "auto": [16, 4] if nf4_possible else [16]}[weights]
    ckpt_options = {"on": [True], "off": [False], "auto": [False, True]}[checkpointing]
    tried = [(bits, ckpt, memory_gb(shape, batch_tokens, bits=bits, checkpointing=ckpt))
             for bits in bits_options for ckpt in ckpt_options]
    chosen = next(((b, c, m) for b, c, m in tried if budget is None or m <= budget), None)
    if chosen is not None:
        bits, ckpt, need = chosen
        why = []
        if ckpt and checkpointing == "auto":
            why.append(f"gradient checkpointing: without it the run needs about {memory_gb(shape, batch_tokens):.1f} "
                       f"GB, more than the {available_gb:.1f} GB there is")
        if bits == 4 and weights == "auto":
            why.append(f"4-bit weights (NF4): in bf16 the run needs about "
                       f"{memory_gb(shape, batch_tokens, checkpointing=True):.1f} GB, more than the GPU's "
                       f"{available_gb:.1f} GB")
        return MemoryPlan(ckpt, "nf4" if bits == 4 else "bf16", need, "; ".join(why), True)
    bits, ckpt, need = tried[-1]
    fixes = ["lower max_seq_len or batch_size"]
    if not ckpt:
        fixes.append("turn on gradient checkpointing")
    if bits == 16:
        fixes.append("on a CUDA GPU, 4-bit weights (NF4, with bitsandbytes)" if device != "cuda" or not nf4_possible
                     else "4-bit weights (NF4)")
    fixes.append("or choose a smaller base model")
    why = (f"the run needs about {need:.1f} GB{' even with gradient checkpointing' if ckpt else ''} and there are "
           f"{available_gb:.1f} GB of {'GPU memory' if device == 'cuda' else 'free memory'}: " + ", ".join(fixes))
    return MemoryPlan(ckpt, "nf4" if bits == 4 else "bf16", need, why, False)


def for_run(shape: Shape, tokens: int, *, device: str = "cpu", generate: int = 0, speeds: list[float] | None = None,
            batch_tokens: int = 512, plan: MemoryPlan | None = None) -> RunEstimate:
    """The estimate a run records before its first step, and the preview shows before Start."""
    plan = plan or memory_plan(shape, batch_tokens, available_gb=None, device=device, checkpointing="off",
                               weights="bf16")
    speed = tokens_per_s(shape, device, speeds) / (CHECKPOINT_SLOWER if plan.checkpointing else 1.0)
    scale = GPU_SPEEDUP if device == "cuda" else 1.0
    billions = shape.parameters / 1e9
    answers = generate * ANSWER_TOKENS * (STEP_MS + STEP_MS_PER_B * billions) / 1000 / scale
    fixed = LOAD_S + LOAD_S_PER_B * billions + MODEL_FILE_S_PER_B * billions
    return RunEstimate(duration_s=round(fixed + tokens / speed + answers, 1), memory_gb=plan.memory_gb,
                       tokens_per_s=round(speed, 1), tokens=tokens, device=device,
                       basis="history" if speeds else "formula", gradient_checkpointing=plan.checkpointing,
                       weights=plan.weights, why=plan.why, fits=plan.fits)


def _meminfo(key: str) -> float | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024 / 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def available_memory_gb() -> float | None:
    value = _meminfo("MemAvailable")
    if value is None and hasattr(os, "sysconf"):
        try:
            value = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 1024**3
        except (ValueError, OSError):
            return None
    return round(value, 1) if value is not None else None


def total_memory_gb() -> float | None:
    value = _meminfo("MemTotal")
    return round(value, 1) if value is not None else None
