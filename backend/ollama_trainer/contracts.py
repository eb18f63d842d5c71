"""Pydantic models shared by the bridge, the CLI and the UI (TypeScript types are generated
from their JSON schema: `python -m ollama_trainer.schema`)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ollama_trainer.errors import CODES as _ERROR_CODES
from ollama_trainer.paths import ID_PATTERN


def _check_id(value: str) -> str:
    if not ID_PATTERN.fullmatch(value):
        raise ValueError(
            "must be 1-64 characters of a-z, 0-9, '_' or '-', starting with a letter or digit"
        )
    return value


Id = Annotated[str, AfterValidator(_check_id)]
Device = Literal["auto", "cpu", "cuda", "mps"]
DatasetFormat = Literal["chat", "alpaca", "prompt_completion", "text"]
TrainingState = Literal[
    "idle", "queued", "preparing", "running", "exporting", "done", "error", "cancelled", "interrupted"
]
TERMINAL_STATES = frozenset({"done", "error", "cancelled", "interrupted"})
MAX_EPOCHS = 100  # what the window, the CLI and flows offer (the worker itself accepts up to 1000)
ERROR_CODES = tuple(_ERROR_CODES)
ErrorCodeName = Literal[ERROR_CODES]  # type: ignore[valid-type]


class Strict(BaseModel):
    """What the backend sends: fields with defaults are always there, so the generated
    TypeScript has them required."""

    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)


class Request(BaseModel):
    """What the UI sends: a field with a default may be left out."""

    model_config = ConfigDict(extra="forbid")


class ErrorInfo(Strict):
    code: ErrorCodeName = Field(description="Stable machine-readable code (errors.py), e.g. unknown_profile")
    message: str = Field(description="What went wrong, in words a person can act on")


class AppInfo(Strict):
    version: str
    data_dir: str
    config_dir: str
    device: Literal["cpu", "cuda", "mps"] = Field(description="Where training would run")
    device_name: str = Field(description="CPU model or GPU name")
    transport: Literal["desktop", "browser", "cli"]


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
    base_model: str = Field(description="'smollm2-135m-instruct', a Hugging Face id or a local folder")
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
    system_prompt: str | None = None
    stall_timeout_s: int = Field(900, ge=5, le=86400,
                                 description="A trainer silent this long (no event) is stopped as hung")
    auto_export: bool = False
    source: Literal["builtin", "user"] = "builtin"


class DatasetEntry(Strict):
    id: Id
    name: str = Field(min_length=1)
    description: str = ""
    path: str = Field(description="A .jsonl file, relative to the catalog file or absolute")
    format: DatasetFormat | None = Field(None, description="Detected from the first record when absent")
    held_out_prompts: list[str] = Field(
        default_factory=list, description="Prompts kept out of training, answered before and after"
    )
    source: Literal["builtin", "user"] = "builtin"


class DatasetIssue(Strict):
    line: int | None = Field(description="1-based line number in the file, None for the whole file")
    field: str | None = None
    message: str
    severity: Literal["error", "warning"] = "error"

    def render(self, path: str) -> str:
        where = f"{path}:{self.line}" if self.line else path
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class DatasetInfo(DatasetEntry):
    examples: int = 0
    tokens: int | None = Field(None, description="Tokens after the chat template, when counted")
    detected_format: DatasetFormat | None = None
    valid: bool = False
    errors: list[DatasetIssue] = Field(default_factory=list)
    warnings: list[DatasetIssue] = Field(default_factory=list)
    first_error: str | None = None


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


class StartTrainingResult(Strict):
    training_id: str


class TrainingIdRequest(Request):
    training_id: Id


class LimitRequest(Request):
    limit: int = Field(10, ge=1, le=10000)


class MetricsRequest(Request):
    training_id: Id
    since_step: int = Field(0, ge=0)


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
    tokens_per_s: float | None = None
    eta_s: float | None = None
    message: str = ""
    error: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    flow_run_id: str | None = None
    resumed_from: str | None = Field(None, description="The run this one continues from its checkpoint")
    can_resume: bool = Field(False, description="Ended without finishing, with a checkpoint to continue from")
    queue_position: int | None = Field(None, description="While queued: 1 = next to start")


class MetricPoint(Strict):
    step: int
    epoch: float
    loss: float | None = None
    eval_loss: float | None = None
    lr: float | None = None
    tokens_per_s: float | None = None


class TrainingMetrics(Strict):
    training_id: str
    points: list[MetricPoint]
    last_step: int


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
    resumed_from: str | None = Field(None, description="The run this one continues")


class SampleAnswer(Strict):
    prompt: str
    before: str
    after: str
    prompt_text: str | None = Field(None, description="The prompt as the chat template rendered it")
    after_tokens: list[int] = Field(default_factory=list, description="The trained model's greedy answer, as token ids")


class TrainingRunDetails(Strict):
    summary: TrainingRunSummary | None
    status: TrainingStatus
    request: dict | None = None
    profile: TrainingProfile | None = None
    metrics: list[MetricPoint] = Field(default_factory=list)
    samples: list[SampleAnswer] = Field(default_factory=list)
    artifacts: dict[str, str] = Field(default_factory=dict)


class ImportDatasetRequest(Request):
    path: str = Field(min_length=1, max_length=4096)
    id: Id | None = None
    name: str | None = None


class PickedFile(Strict):
    path: str | None = Field(description="The chosen file, or None when the dialog was cancelled")


# -- flows -----------------------------------------------------------------------------------

FlowCommand = Literal["TRAIN", "INDEX", "EXPORT", "EVAL"]
FlowRunState = Literal["running", "done", "error", "cancelled", "interrupted"]
FlowStepState = Literal["pending", "running", "done", "error", "skipped", "cancelled"]
FLOW_TERMINAL_STATES = frozenset({"done", "error", "cancelled", "interrupted"})
InputValue = str | int | float | bool | None


class FlowStep(Strict):
    id: str
    cmd: FlowCommand
    args: dict = Field(default_factory=dict, description="As written; may hold ${inputs.x} / ${steps.id.field}")
    continue_on_error: bool = False


class FlowInfo(Strict):
    """A flow file as listed for the UI. A broken file is listed too: its id comes from the
    file name and `error` says what is wrong (it cannot be run)."""

    id: str
    name: str
    description: str = ""
    inputs: dict[str, InputValue] = Field(default_factory=dict, description="Input names and defaults (None: required)")
    steps: list[FlowStep] = Field(default_factory=list)
    file: str = Field(description="The flow file's path")
    source: Literal["builtin", "user"] = "builtin"
    error: str | None = None


class FlowStepRun(Strict):
    id: str
    cmd: FlowCommand
    status: FlowStepState = "pending"
    args: dict = Field(default_factory=dict, description="Resolved arguments once the step started, else as written")
    continue_on_error: bool = False
    started_at: str | None = None
    finished_at: str | None = None
    duration_s: float | None = None
    outputs: dict = Field(default_factory=dict)
    error: str | None = None
    training_id: str | None = Field(None, description="A TRAIN step's training run, as soon as it started")


class FlowRun(Strict):
    flow_run_id: str
    flow_id: str
    flow_name: str = ""
    status: FlowRunState
    inputs: dict[str, InputValue] = Field(default_factory=dict)
    started_at: str
    finished_at: str | None = None
    duration_s: float | None = None
    steps: list[FlowStepRun] = Field(default_factory=list)
    error: str | None = None


class RunFlowRequest(Request):
    flow_id: Id
    inputs: dict[str, str | int | float | bool] | None = None


class FlowRunIdRequest(Request):
    flow_run_id: Id


class RunFlowResult(Strict):
    flow_run_id: str


# -- Ollama --------------------------------------------------------------------------------

ExportStateName = Literal["idle", "exporting", "done", "error"]
MODEL_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}(:[a-z0-9][a-z0-9._-]{0,79})?$")


class OllamaConnection(Strict):
    reachable: bool
    version: str | None = None
    host: str = Field(description="The resolved address, e.g. http://127.0.0.1:11434")
    message: str = Field(description="One line for the sidebar: the version, or what to do")


class OllamaHostRequest(Request):
    host: str | None = Field(None, max_length=512, description="Overrides OLLAMA_HOST; None: the default")


QuantizeChoice = Literal["q8_0", "q4_K_M"]
CheckOutcome = Literal["same", "differs", "not_checked"]


class ExportRequest(Request):
    training_id: Id
    model_name: str | None = Field(None, max_length=200, description="Default: <dataset_id>-<short id>")
    host: str | None = Field(None, max_length=512)
    quantize: QuantizeChoice | None = Field(None, description="Ask Ollama to quantize the F16 model; None keeps F16")


class ExportCheck(Strict):
    """After create: does Ollama answer as the trained model?"""

    known: bool = Field(description="/api/show knows the new model")
    rendered: CheckOutcome = Field(description="Ollama's prompt for a held-out question equals the trainer's")
    answer: CheckOutcome = Field(description="Ollama's greedy answer equals the app's own answer")
    prompt: str | None = Field(None, description="The held-out question the check asked")
    expected_prompt: str | None = Field(None, description="The prompt as the trainer's chat template rendered it")
    rendered_prompt: str | None = Field(None, description="The prompt as Ollama rendered it")
    app_answer: str | None = None
    ollama_answer: str | None = None
    message: str = Field(description="One line: 'Ollama answers as the trained model', or what differs")


class ExportState(Strict):
    """runs/<id>/export.json: the last export of a run, rewritten atomically at each change."""

    training_id: str
    state: ExportStateName = "idle"
    model: str | None = None
    host: str | None = None
    message: str = ""
    error: str | None = None
    code: str | None = None
    progress: float | None = Field(None, ge=0, le=1, description="Of the step under way (writing, uploading)")
    quantize: QuantizeChoice | None = None
    model_file: str | None = Field(None, description="What was sent to Ollama: model.gguf or the merged folder")
    modelfile: str | None = Field(None, description="Path of the Modelfile written next to the model file")
    command: str | None = Field(None, description="The shell command that builds the model from the Modelfile")
    gguf_adapter: str | None = Field(None, description="adapter.gguf: the LoRA alone, for llama.cpp users (Ollama 0.34.1+ refuses adapters)")
    check: ExportCheck | None = None
    updated_at: str | None = None


class ExportResult(Strict):
    training_id: str
    ollama_model: str
    host: str
    model_file: str
    modelfile: str
    command: str
    gguf_adapter: str | None = None
    check: ExportCheck | None = None
    statuses: list[str] = Field(default_factory=list, description="Ollama's streamed status lines")


class ChatRequest(Request):
    model: str = Field(min_length=1, max_length=200)
    prompt: str = Field(min_length=1, max_length=20000)
    system: str | None = None
    host: str | None = Field(None, max_length=512)


class ChatAnswer(Strict):
    model: str
    answer: str


class Settings(Request):
    """What the user set in the window (data folder's settings.json)."""

    ollama_host: str | None = Field(None, max_length=512, description="None: OLLAMA_HOST or the default address")


class AskRequest(Request):
    training_id: Id
    prompt: str = Field(min_length=1, max_length=4000)
    with_adapter: bool = Field(True, description="False: the base model the run was trained on")

