"""The app/worker hand-off, typed: what job.json holds (JobSpec), every event the worker
writes (one JSON object per line: stdout and events.jsonl), and the worker's exit codes.

Both sides import this module: the worker builds events from these classes, the app parses
lines back into them (`parse_event`). pydantic only, no torch.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Annotated, Literal, Union, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from ollama_trainer.contracts import DatasetFormat, HeldOutCheck, RunEstimate, TrainingProfile

log = logging.getLogger(__name__)

EXIT_DONE, EXIT_ERROR, EXIT_CANCELLED, EXIT_INTERRUPTED = 0, 1, 3, 4
WORKER_MAX_EPOCHS = 1000  # what the worker accepts; the window, CLI and flows offer contracts.MAX_EPOCHS


class JobDataset(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    path: str
    format: DatasetFormat | None = None
    held_out_prompts: list[str] = Field(default_factory=list)
    held_out_checks: list[HeldOutCheck] = Field(default_factory=list)


class ProbeItem(BaseModel):
    prompt: str
    key: str | None = None


class BaseModelFile(BaseModel):
    """The file the base model's weights were read from, when it is a GGUF: the merged model
    is built from exactly this file."""

    model_config = ConfigDict(extra="ignore")

    kind: Literal["builtin", "ollama", "gguf", "folder", "hub"]
    gguf: str | None = None
    folder: str | None = None
    architecture: str | None = None
    key: str | None = Field(None, description="Identifies the weights (a digest): the conversion cache's key")
    chat_format: str | None = Field(None, description="chat_formats name training renders in; None: the model's own")
    ollama_name: str | None = None
    ollama_template: str | None = None
    ollama_system: str | None = None
    ollama_parameters: dict = Field(default_factory=dict)
    parameters: int | None = Field(None, description="Parameter count, from the GGUF header")
    hidden: int | None = Field(None, description="Hidden size (the estimate's activations)")
    layers: int | None = Field(None, description="Decoder layers")
    vocab: int | None = Field(None, description="Vocabulary size (the estimate's output head)")


class JobSpec(BaseModel):
    """runs/<id>/job.json: the exact request and the resolved profile, written once,
    atomically, before the worker starts."""

    model_config = ConfigDict(extra="ignore")  # a newer app's keys do not break an older reader

    training_id: str
    epochs: int = Field(ge=1, le=WORKER_MAX_EPOCHS)
    resume: bool = False
    resumed_from: str | None = None
    from_run: str | None = Field(None, description="The finished run whose trained model this one trains further")
    start_adapter: str | None = Field(None, description="from_run's adapter folder: the LoRA (and token rows) the "
                                                        "run starts from instead of a fresh one")
    flow_run_id: str | None = None
    started_at: str | None = None
    profile: TrainingProfile
    dataset: JobDataset
    models_dir: str
    base: BaseModelFile | None = None
    history_log: str | None = Field(None, description="The data folder's training log (the worker records its end)")
    replay_prompts: list[str] = Field(default_factory=list, description="For replay (config/replay_prompts.json)")
    probe: list[ProbeItem] = Field(default_factory=list, description="The forgetting probe (config/probe.json)")
    speeds: list[float] = Field(default_factory=list,
                                description="Tokens/s of earlier runs on this base here: the estimate's speed")
    system_prompt: str | None = Field(None, description="The system prompt the trained model is asked with "
                                                        "(samples, probe, Try it, the export): datasets/system_prompts.py")
    system_source: str | None = Field(None, description="Where system_prompt comes from (profile, dataset, "
                                                        "dataset_most, ollama, default); None in jobs of older apps")
    system_note: str = ""
    estimate: RunEstimate | None = Field(None, description="The estimate the run preview showed before Start (made "
                                                           "again at Start from its count): the run's one estimate")

    @property
    def presented_system(self) -> str | None:
        """The system prompt the trained model is asked with (older jobs: the profile's)."""
        return self.profile.system_prompt if self.system_source is None else self.system_prompt

    def answers_file(self) -> Path:
        """Where the base's own answers (replay, the probe) are kept, in the models cache: one
        file a base, named for its name and the file its weights come from (size and time)."""
        parts = [self.profile.base_model]
        source = (self.base.gguf or self.base.folder) if self.base else None
        if source and Path(source).exists():
            stat = Path(source).stat()
            parts += [str(source), str(stat.st_size), str(int(stat.st_mtime))]
        digest = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:24]
        return Path(self.models_dir) / "answers" / f"{digest}.json"

    def write(self, path) -> None:
        from ollama_trainer import atomic

        atomic.write_text(path, self.model_dump_json(indent=2))

    @classmethod
    def read(cls, path) -> "JobSpec":
        """Raises OSError or ValueError (pydantic's ValidationError is one)."""
        with open(path, encoding="utf-8") as f:
            return cls.model_validate_json(f.read())


class CheckpointState(BaseModel):
    """checkpoints/last/state.json: where a run stands, written by the worker with each
    checkpoint and read by both sides (the app checks a resume against it)."""

    model_config = ConfigDict(extra="ignore")

    epoch: int = Field(description="0-based epoch the run is in (== epochs when training finished)")
    batch_index: int = Field(description="Micro-batches of that epoch already trained")
    step: int = Field(description="Optimizer steps done in total")
    total_steps: int
    epochs: int
    seed: int
    last_loss: float | None = None
    last_eval_loss: float | None = None
    profile: dict = Field(default_factory=dict)
    tokens_seen: int = 0
    best_eval_loss: float | None = Field(None, description="The lowest eval loss so far (its adapter is best.safetensors)")
    best_step: int | None = None
    evals_since_best: int = 0


# -- events ------------------------------------------------------------------------------------

class _Event(BaseModel):
    model_config = ConfigDict(extra="ignore")

    time: str | None = None  # set by the worker's EventLog


class Started(_Event):
    event: Literal["started"] = "started"
    training_id: str | None = None
    pid: int | None = None


class ModelLoaded(_Event):
    event: Literal["model_loaded"] = "model_loaded"
    base_model: str = ""
    device: str = "cpu"
    dtype: str = Field("float32", description="The training step's matmul precision (bf16 autocast or fp32)")
    weights_dtype: str = Field("float32", description="How the frozen base weights are held: bfloat16 or float16")
    trainable_params: int = 0
    total_params: int = 0
    load_s: float | None = None
    cpu_threads: int | None = Field(None, description="torch's CPU threads in the worker (all cores but one)")


class DatasetLoaded(_Event):
    event: Literal["dataset"] = "dataset"
    train_examples: int = 0
    eval_examples: int = 0
    train_tokens: int = 0
    replay_examples: int = Field(0, description="Of the training examples: the base's own answers (replay)")
    estimate: RunEstimate | None = Field(None, description="How long and how much memory, before the first step")


class Progress(_Event):
    event: Literal["progress"] = "progress"
    epoch: int
    total_epochs: int
    step: int
    total_steps: int
    loss: float | None = None
    lr: float | None = None
    tokens_per_s: float | None = None
    eta_s: float | None = None
    epoch_progress: float | None = None
    tokens: int | None = Field(None, description="Non-padding tokens trained on so far, this step's included")


class Eval(_Event):
    event: Literal["eval"] = "eval"
    epoch: int
    step: int
    eval_loss: float | None = None
    best: bool = Field(False, description="The lowest eval loss so far: its adapter is kept")
    reward_margin: float | None = Field(None, description="Preference pairs: the chosen answers' mean reward "
                                                          "minus the rejected's (DPO, ORPO)")
    pref_accuracy: float | None = Field(None, description="Preference pairs: the share whose chosen answer is "
                                                          "rewarded above the rejected")


class Checkpoint(_Event):
    event: Literal["checkpoint"] = "checkpoint"
    epoch: int
    step: int
    path: str = ""


class Stage(_Event):
    """A stage outside the training steps that takes a while (the base's replay answers, the
    samples, the probe, writing the model file): emitted when it starts and then as it goes,
    with how far it is (`done` of `total`: answers, or tensors for the model file), at least
    every few seconds while it works, so a slow stage is never mistaken for a hung trainer."""

    event: Literal["stage"] = "stage"
    stage: Literal["replay", "reference", "samples", "probe", "model_file"]
    message: str = ""
    done: int | None = Field(None, description="Answers (or tensors) finished so far")
    total: int | None = Field(None, description="Answers (or tensors) in all")
    eta_s: float | None = Field(None, description="Time left in this stage, once it can be told")


class Samples(_Event):
    event: Literal["samples"] = "samples"
    path: str = ""


class Scored(_Event):
    event: Literal["scores"] = "scores"
    learned: float | None = None
    kept: float | None = None


class ModelFile(_Event):
    event: Literal["model_file"] = "model_file"
    path: str
    bytes: int = 0
    seconds: float | None = None


class Notice(_Event):
    """Something the user should know that does not stop the run (examples skipped, ...)."""

    event: Literal["warning"] = "warning"
    message: str = ""


class _Final(_Event):
    recorded: bool = Field(True, description="The worker wrote the run's summary and history line")


class Done(_Final):
    event: Literal["done"] = "done"
    best_step: int | None = None
    stopped_early: bool = False
    peak_memory_gb: float | None = Field(None, description="The worker's peak resident memory")
    tokens_per_s: float | None = Field(None, description="Tokens trained / seconds training, this session")
    final_loss: float | None = None
    eval_loss: float | None = None
    adapter_dir: str | None = None
    duration_s: float | None = None
    steps: int = 0


class Cancelled(_Final):
    """Stopped at a step with a checkpoint: the user cancelled (SIGTERM), or the app that
    started the run went away (`app_stopped`: the run reads `interrupted`)."""

    event: Literal["cancelled"] = "cancelled"
    step: int = 0
    checkpoint: str | None = None
    reason: Literal["user", "app_stopped"] = "user"


class Error(_Final):
    event: Literal["error"] = "error"
    message: str = ""
    traceback_tail: str = ""


WorkerEvent = Annotated[
    Union[Started, ModelLoaded, DatasetLoaded, Progress, Eval, Checkpoint, Stage, Samples, Scored, ModelFile, Notice,
          Done, Cancelled, Error],
    Field(discriminator="event"),
]
FINAL_EVENTS = ("done", "cancelled", "error")
_ADAPTER: TypeAdapter = TypeAdapter(WorkerEvent)
KNOWN_EVENTS = frozenset(cls.model_fields["event"].default for cls in get_args(get_args(WorkerEvent)[0]))


def parse_event(line: str | bytes) -> WorkerEvent | None:
    """One line of the worker's output as an event; None for a line it cannot use: torn, not
    JSON, not an object, an unknown event (a newer worker's), or a known event whose fields do
    not validate (logged once as a warning)."""
    try:
        raw = json.loads(line)
    except (ValueError, TypeError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("event"), str):
        return None
    if raw["event"] not in KNOWN_EVENTS:
        return None
    try:
        return _ADAPTER.validate_python(raw)
    except ValidationError as exc:
        log.warning("malformed %s event: %s", raw["event"], str(exc).splitlines()[0])
        return None


# -- one-shot worker calls: one JSON reply line on stdout ------------------------------------

class Reply(BaseModel):
    model_config = ConfigDict(extra="ignore")

    error: str | None = None


class AskReply(Reply):
    answer: str | None = None


# -- `worker serve`: a warm model answering JSON-line questions (training/inference.py) ------
class ServeReady(Reply):
    """The first line a `serve` process prints: loaded, or why not."""

    ready: bool
    load_s: float | None = None


class ServeRequest(BaseModel):
    id: int
    prompt: str
    history: list[dict] = Field(default_factory=list, description="The conversation before `prompt` (user and "
                                                                   "assistant turns)")
    with_adapter: bool = Field(True, description="False: the very base model (PEFT's disable_adapter)")
    max_new_tokens: int = 64
    temperature: float = Field(0.0, ge=0.0, le=2.0, description="0: greedy; above: sampled (another answer)")
    seed: int | None = None
    stream: bool = Field(False, description="Also print the answer so far as it grows (partial replies)")


class ServeReply(Reply):
    id: int | None = None
    answer: str | None = None
    partial: bool = False  # the answer so far, more to come (stream)
    cut: bool = False  # the answer stopped at max_new_tokens
    seconds: float | None = None


class MergeReply(Reply):
    path: str | None = None
    bytes: int = 0
    seconds: float | None = None


class ProbeReply(Reply):
    device: Literal["cpu", "cuda", "mps"] = "cpu"
    device_name: str | None = None
    torch: str | None = None
    memory_gb: float | None = Field(None, description="The GPU's memory (None on a CPU)")
    nf4: bool = Field(False, description="4-bit (NF4) weights can be used: a CUDA GPU and bitsandbytes")


class PreviewReply(Reply):
    """What a run would train on (worker `preview`), counted with the base's tokenizer."""

    examples: int = 0
    train_examples: int = 0
    eval_examples: int = 0
    replay_examples: int = 0
    replay_cached: bool = Field(False, description="The base's replay answers are cached: none to generate")
    probe_cached: bool = Field(False, description="The base's probe answers are cached")
    dropped: int = Field(0, description="Examples with no trainable tokens within max_seq_len")
    dropped_lines: list[str] = Field(default_factory=list, description="The first of them: 'path, line N: why'")
    truncated: int = Field(0, description="Examples cut at max_seq_len")
    long_lines: list[str] = Field(default_factory=list, description="The first long examples: 'path:line: ...'")
    trainable_tokens: int = Field(0, description="Per epoch, the dataset's own: the tokens the loss is computed on")
    total_tokens: int = Field(0, description="Per epoch, the dataset's training split: every token the model reads")
    replay_tokens: int = Field(0, description="Per epoch, about: the replay examples' tokens")
    longest: int = Field(0, description="The longest example's tokens as trained (cut at max_seq_len)")
