"""Base models and profiles: what a user can train, the profile editor, the run preview."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ollama_trainer.contracts.base import MAX_EPOCHS, Id, Request, Strict
from ollama_trainer.contracts.training import RunEstimate, TrainingOverrides, TrainingProfile


class BaseModelInfo(Strict):
    source: str = Field(description="What a profile's base_model (or --base) names: builtin, ollama:NAME[:TAG], a path")
    name: str
    kind: Literal["builtin", "ollama", "gguf", "folder", "hub"]
    architecture: str | None = None
    family: str | None = None
    parameter_size: str | None = Field(None, description="As Ollama words it: 135M, 268.10M, 3.2B")
    quantization: str | None = Field(None, description="The weights' file type: Q4_K_M, F16 ...")
    trainable: bool = Field(description="Can be trained and exported on this machine")
    reason: str | None = Field(None, description="Why not, when it cannot")
    chat_format: str | None = Field(None, description="The chat format training renders in (chat_formats)")
    path: str | None = Field(None, description="The weights' file or folder")
    memory_gb: float | None = Field(None, description="About the memory training it needs here, weights in bf16")
    memory_gb_4bit: float | None = Field(None, description="About the GPU memory training it needs with 4-bit (NF4) "
                                                           "weights, on a GPU with bitsandbytes")


class BaseModelList(Strict):
    bases: list[BaseModelInfo]
    store: str | None = Field(None, description="The Ollama model store read, when there is one")
    note: str | None = Field(None, description="Why the store's models are missing, when they are")


class PickBaseRequest(Request):
    folder: bool = Field(False, description="A safetensors folder (else a .gguf file)")


class RunPreviewRequest(Request):
    profile_id: Id
    dataset_id: Id
    epochs: int | None = Field(None, ge=1, le=MAX_EPOCHS)
    overrides: TrainingOverrides | None = None
    base: str | None = Field(None, max_length=4096, description="Instead of the profile's base_model")


class SmallDataset(Strict):
    """A dataset under SMALL_DATASET examples to train on, and the epochs it needs."""

    train_examples: int
    epochs_needed: int = Field(description="About the epochs this profile needs to learn a set this small "
                                           "(optimizer steps x learning rate reaching what the demos learn with)")
    epochs: int = Field(description="The epochs this run has")


class RunPreview(Strict):
    profile_id: str
    dataset_id: str
    base_model: str
    epochs: int
    device: str
    examples: int
    train_examples: int
    eval_examples: int
    replay_examples: int = Field(description="The base's own answers mixed in (replay)")
    dropped: int = Field(description="Examples with no trainable tokens within max_seq_len: not trained on")
    truncated: int = Field(description="Examples cut at max_seq_len")
    trainable_tokens: int = Field(description="Per epoch, after masking: the tokens the loss is computed on")
    total_tokens: int = Field(description="Per epoch: every token the model reads")
    estimate: RunEstimate
    available_memory_gb: float | None = Field(None, description="Free RAM now (VRAM on a GPU)")
    warnings: list[str] = Field(default_factory=list)
    small_dataset: SmallDataset | None = Field(None, description="Said for a dataset under 30 examples to train on")
    can_start: bool
    reason: str | None = Field(None, description="Why it cannot start, when it cannot")


class SaveProfileRequest(Request):
    profile: TrainingProfile
    replace: bool = Field(False, description="Overwrite the user's profile with this id (else profile_exists)")


class ProfileIdRequest(Request):
    profile_id: Id
