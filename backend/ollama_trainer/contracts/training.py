"""Training: profiles, jobs, their status, metrics, results and comparisons (datasets: datasets.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ollama_trainer.contracts.base import (  # noqa: F401 - the names the models below use
    MAX_EPOCHS, DatasetFormat, Device, Id, Request, Strict, TrainingState,
)


class LoraSettings(Strict):
    r: int = Field(16, ge=1, le=1024)
    alpha: int = Field(32, ge=1, le=4096, description="Integer: Ollama parses it as one")
    dropout: float = Field(0.0, ge=0.0, lt=1.0)
    target_modules: list[str] = Field(
        default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    )


class TrainingProfile(Strict):
    id: Id
    name: str = Field(min_length=1)
    description: str = ""
    default_epochs: int = Field(3, ge=1, le=MAX_EPOCHS)
    base_model: str = Field(description="builtin (SmolLM2-135M Instruct), ollama:NAME[:TAG] from the local Ollama "
                                        "store, a .gguf file, a safetensors folder or a Hugging Face id")
    ollama_base: str | None = Field(
        None, description="An Ollama name for the base (e.g. smollm2:135m): a hint for its chat format only; "
                          "the export sends the whole trained model, no base is pulled")
    lora: LoraSettings = Field(default_factory=LoraSettings)
    learning_rate: float = Field(1e-3, gt=0, le=1)
    batch_size: int = Field(4, ge=1, le=1024)
    batch_tokens: int | None = Field(
        None, ge=16, le=10_000_000,
        description="A token budget per batch: as many length-grouped examples as fit in this many padded tokens (batch_size is then ignored)",
    )
    gradient_accumulation: int = Field(1, ge=1, le=1024)
    max_seq_len: int = Field(512, ge=16, le=131072)
    eval_fraction: float = Field(0.1, ge=0.0, lt=0.9)
    warmup_ratio: float = Field(0.05, ge=0.0, lt=1.0)
    seed: int = 42
    device: Device = "auto"
    precision: Literal["auto", "fp32", "bf16"] = Field(
        "auto",
        description="Matmul precision (bf16 autocast, fp32 weights and optimizer): auto = bf16 on CUDA and on CPUs with native bf16 (AVX512-BF16, AMX), fp32 otherwise",
    )
    gradient_checkpointing: Literal["auto", "on", "off"] = Field(
        "auto", description="Recompute activations in the backward pass instead of keeping them: much less memory, "
                            "about a third more time; auto = on when the run would not fit without it")
    weights: Literal["auto", "bf16", "nf4"] = Field(
        "auto", description="How the frozen base weights are held: bf16, or nf4 (4-bit QLoRA, on a CUDA GPU with "
                            "bitsandbytes); auto = nf4 on a GPU when bf16 would not fit")
    system_prompt: str | None = None
    preference_loss: Literal["dpo", "orpo", "sft"] = Field(
        "dpo", description="How a preference dataset's pairs train: dpo (the chosen answer made likelier than the "
                           "rejected, against the base: the adapter disabled), orpo (no reference; also learns the "
                           "chosen answers) or sft (the chosen answers alone)")
    beta: float = Field(0.1, gt=0, le=10, description="DPO/ORPO: how strongly the pairs pull (higher: further from "
                                                      "the base)")
    stall_timeout_s: int = Field(900, ge=5, le=86400,
                                 description="A trainer silent this long (no event) is stopped as hung")
    auto_export: bool = False
    replay: Literal["auto", "on", "off"] = Field(
        "auto", description="Mix the base model's own answers to general prompts into the training data, so it "
                            "keeps what it knew; auto = on for datasets under 500 examples")
    replay_ratio: float = Field(2.0, ge=0.0, le=20.0, description="Replay examples per dataset example (at most "
                                                                  "the replay prompts there are)")
    probe: bool = Field(True, description="After training, ask the general probe questions: the kept score")
    eval_steps: int | None = Field(None, ge=1, le=1_000_000, description="Also evaluate every this many steps "
                                                                         "(else once per epoch)")
    early_stopping_patience: int | None = Field(
        None, ge=1, le=1000, description="Stop after this many evaluations without a better eval loss; the best "
                                         "checkpoint is the result either way")
    source: Literal["builtin", "user"] = "builtin"


class TrainingOverrides(Request):
    learning_rate: float | None = Field(None, gt=0, le=1)
    batch_size: int | None = Field(None, ge=1, le=1024)
    max_seq_len: int | None = Field(None, ge=16, le=131072)


class StartTrainingRequest(Request):
    profile_id: Id
    dataset_id: Id
    epochs: int | None = Field(None, ge=1, le=MAX_EPOCHS, description="The profile's default_epochs when absent")
    overrides: TrainingOverrides | None = None
    resume_from: Id | None = Field(None, description="A training_id whose last checkpoint to continue")
    from_run: Id | None = Field(None, description="A finished run whose trained model to train further (its "
                                                  "adapter is the start): Train on feedback")
    queue: bool = Field(False, description="Wait in line when another job runs (else job_running)")
    base: str | None = Field(None, max_length=4096,
                             description="Train this base instead of the profile's: builtin, ollama:NAME[:TAG], "
                                         "a .gguf file or a safetensors folder")


class ResumeTrainingRequest(Request):
    training_id: Id = Field(description="The run to continue from its last checkpoint")
    epochs: int | None = Field(None, ge=1, le=MAX_EPOCHS, description="Train to this many epochs; default: the run's")
    queue: bool = False


class RenameRunRequest(Request):
    training_id: Id
    name: str = Field(max_length=120, description="A name for the run; empty clears it")


class CloseAppRequest(Request):
    keep_running: bool = Field(description="True: the running job goes on without the app; False: it stops and saves")


class StartTrainingResult(Strict):
    training_id: str


class TrainingIdRequest(Request):
    training_id: Id


class LimitRequest(Request):
    limit: int = Field(10, ge=1, le=10000)


class MetricsRequest(Request):
    training_id: Id
    since_step: int = Field(0, ge=0)


class RunEstimate(Strict):
    """Before a run: how long and how much memory, from the base's size, the tokens and the
    device (docs/PERFORMANCE.md has the measured figures it is fitted to)."""

    duration_s: float
    memory_gb: float
    tokens_per_s: float = Field(description="The training speed assumed")
    tokens: int = Field(description="Tokens to train on, all epochs (padding excluded)")
    basis: Literal["formula", "history"] = Field(
        "formula", description="history: the median speed of earlier runs on this base here")
    device: str = "cpu"
    gradient_checkpointing: bool = Field(False, description="Chosen for this run (the profile's setting, or auto)")
    weights: Literal["bf16", "nf4"] = Field("bf16", description="How the frozen base weights are held in this run")
    why: str = Field("", description="Why checkpointing or 4-bit weights were chosen, or what would make it fit")
    fits: bool = Field(True, description="False: the estimate is more than the memory there is, even so")


class TrainingStatus(Strict):
    """PULSE v1: the snapshot the UI polls."""

    training_id: str
    status: TrainingState
    profile_id: str | None = None
    dataset_id: str | None = None
    epoch: int = 0
    total_epochs: int = 0
    step: int = 0
    total_steps: int = 0
    loss: float | None = None
    eval_loss: float | None = None
    pref_accuracy: float | None = Field(None, description="Preference runs, at the last evaluation: the share of "
                                                          "held-out pairs whose chosen answer is rewarded above the "
                                                          "rejected")
    reward_margin: float | None = Field(None, description="... the chosen answers' mean reward minus the rejected's")
    tokens_per_s: float | None = None
    eta_s: float | None = None
    message: str = ""
    error: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    flow_run_id: str | None = None
    resumed_from: str | None = Field(None, description="The run this one continues from its checkpoint")
    from_run: str | None = Field(None, description="The finished run whose trained model this one trains further")
    can_resume: bool = Field(False, description="Ended without finishing, with a checkpoint to continue from")
    queue_position: int | None = Field(None, description="While queued: 1 = next to start")
    stage: str | None = Field(None, description="The stage outside the training steps under way: replay, samples, "
                                                "probe, model_file (None while training steps run)")
    stage_done: int | None = Field(None, description="Of the stage: answers (or tensors) finished")
    stage_total: int | None = Field(None, description="Of the stage: answers (or tensors) in all")
    estimate: RunEstimate | None = Field(None, description="The run's estimate: the preview's, recorded at Start; "
                                                       "else the trainer's, made before the first step")


class MetricPoint(Strict):
    step: int
    epoch: float
    loss: float | None = None
    eval_loss: float | None = None
    lr: float | None = None
    tokens_per_s: float | None = None
    tokens: int | None = Field(None, description="Tokens trained on so far (the x axis 'by tokens')")


class TrainingMetrics(Strict):
    training_id: str
    points: list[MetricPoint]
    last_step: int


class RunPrecision(Strict):
    """The precision a run actually used (the worker's, after its device and memory plan)."""

    weights: str = Field(description="The frozen base weights: bfloat16, float16, nf4 or float32")
    compute: str = Field(description="The training step's matmuls: bfloat16 (autocast) or float32")
    gradient_checkpointing: bool = False


class TrainingRunSummary(Strict):
    training_id: str
    profile_id: str
    dataset_id: str
    status: TrainingState
    started_at: str
    finished_at: str
    epochs: int
    final_loss: float | None = None
    eval_loss: float | None = None
    duration_s: float | None = None
    error: str | None = None
    flow_run_id: str | None = None
    ollama_model: str | None = None
    adapter_dir: str | None = None
    message: str = Field("", description="How it ended, in words: 'cancelled; checkpoint saved at step 4'")
    learned: float | None = Field(None, description="The learned score (scores.json)")
    kept: float | None = Field(None, description="The kept score (scores.json)")
    best_step: int | None = Field(None, description="The step whose adapter is the result (lowest eval loss)")
    stopped_early: bool = False
    name: str = Field("", description="The name the user gave the run")
    resumed_from: str | None = Field(None, description="The run this one continues")
    from_run: str | None = Field(None, description="The finished run whose trained model this one trained further")
    base_model: str | None = Field(None, description="The base it trained: builtin, ollama:NAME, a file or folder")
    base_key: str | None = Field(None, description="Identifies the base's weights (a digest)")
    estimate: RunEstimate | None = Field(None, description="What the run was expected to take, before its first step")
    peak_memory_gb: float | None = Field(None, description="The trainer's peak resident memory, measured")
    tokens_per_s: float | None = Field(None, description="The training speed, measured over the whole run")
    precision: RunPrecision | None = Field(None, description="How the run held its weights and computed (as it ran)")


class LearnedRow(Strict):
    prompt: str
    answer: str
    expected: str | None = Field(None, description="The check's value, or the dataset's own answer")
    learned: bool | None = Field(None, description="None: nothing says what to expect")
    kind: Literal["trained_document", "held_out_document"] | None = Field(
        None, description="The check's kind (documents datasets): what this row measures")


class KeptRow(Strict):
    prompt: str
    before: str
    after: str
    kept: bool | None = Field(description="Still answered right; None when the base itself did not answer it "
                                          "right (then it shows nothing about keeping)")
    agrees: bool = Field(description="The right fact (or, without one, the same first words or mostly the same "
                                     "content as before)")
    leaked: list[str] = Field(default_factory=list, description="Taught words that do not belong here")
    base_right: bool = Field(True, description="The base answered it right (its fact, or something for a prompt "
                                               "without one)")


class RunScores(Strict):
    """runs/<id>/scores.json: did training teach the dataset, and did the model keep what it knew?"""

    learned: float | None = Field(None, description="Share of scorable held-out prompts answered as taught")
    learned_rows: list[LearnedRow] = Field(default_factory=list)
    kept: float | None = Field(None, description="Of the probe prompts the base answered right, the share the trained "
                                                 "model still answers right")
    kept_of: int | None = Field(None, description="How many probe prompts the base answered right (what kept "
                                                  "counts); the others are reported apart")
    kept_rows: list[KeptRow] = Field(default_factory=list)
    markers: list[str] = Field(default_factory=list, description="Words that mark the taught material")
    replay_examples: int = Field(0, description="Base answers mixed into the training data")
    pairs: int = Field(0, description="Preference runs: the held-out answer pairs (the eval split)")
    pairs_before: float | None = Field(None, description="Of the held-out pairs, the share whose chosen answer the "
                                                         "base prefers (a higher mean token log-prob)")
    pairs_after: float | None = Field(None, description="... the share whose chosen answer the trained model prefers")


class SampleAnswer(Strict):
    prompt: str
    before: str
    after: str
    prompt_text: str | None = Field(None, description="The prompt as the chat template rendered it")
    after_tokens: list[int] = Field(default_factory=list, description="The trained model's greedy answer, as token ids")
    expected: str | None = Field(None, description="The dataset's answer, when the prompt came from its eval split")
    source: Literal["dataset", "eval_split", "training"] = Field(
        "dataset", description="The dataset's held-out prompts, its eval split, or (a set too small to split) "
                               "its training data")


class RunRequest(Strict):
    """What a run was started with (its job.json); its profile, overrides applied, is `profile`."""

    profile_id: str
    dataset_id: str
    epochs: int
    resumed_from: str | None = None
    from_run: str | None = None
    flow_run_id: str | None = None


class TrainingRunDetails(Strict):
    summary: TrainingRunSummary | None
    status: TrainingStatus
    request: RunRequest | None = None
    continued_by: str | None = Field(None, description="The run that resumed this one (the newest), if any")
    trained_further_by: list[str] = Field(default_factory=list,
                                          description="Runs that trained this run's model further, newest first")
    profile: TrainingProfile | None = None
    metrics: list[MetricPoint] = Field(default_factory=list)
    samples: list[SampleAnswer] = Field(default_factory=list)
    scores: RunScores | None = None
    artifacts: dict[str, str] = Field(default_factory=dict)


class JobSlotInfo(Strict):
    """Who trains on this machine now (any process), and who waits."""

    running: TrainingStatus | None = None
    here: bool = Field(False, description="The running job was started by this app")
    origin: str | None = Field(None, description="Where the running job was started: window, browser, cli "
                                                 "(the command line, a flow run there included) or app")
    queued: list[TrainingStatus] = Field(default_factory=list)
    queued_here: list[str] = Field(default_factory=list, description="Of the queued, those this app started")


class CompareRequest(Request):
    training_ids: list[Id] = Field(min_length=2, max_length=8)


class ComparedRun(Strict):
    training_id: str
    summary: TrainingRunSummary | None
    settings: dict[str, str | int | float | bool | None] = Field(description="The profile's settings, dotted keys")
    metrics: list[MetricPoint]
    scores: RunScores | None
    samples: list[SampleAnswer]


class CompareResult(Strict):
    runs: list[ComparedRun]
    settings: list[str] = Field(description="Every setting any of the runs has, sorted")
    differing: list[str] = Field(description="The settings whose values are not the same in every run")

