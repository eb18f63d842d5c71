"""Ollama: the connection, the export, chat and the settings."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ollama_trainer.contracts.base import (  # noqa: F401 - the names the models below use
    MAX_EPOCHS, DatasetFormat, Device, Id, Request, Strict, TrainingState,
)


# -- Ollama --------------------------------------------------------------------------------

ExportStateName = Literal["idle", "exporting", "done", "error"]


class OllamaConnection(Strict):
    reachable: bool
    version: str | None = None
    host: str = Field(description="The resolved address, e.g. http://127.0.0.1:11434")
    message: str = Field(description="One line for the sidebar: the version, or what to do")
    can_import: bool = Field(False, description="Creates models from the app's files (reachable, 0.5.5 or newer): "
                                                "what an export needs; every model file type is made here, so "
                                                "each one it offers is then accepted")


class OllamaHostRequest(Request):
    host: str | None = Field(None, max_length=512, description="Overrides OLLAMA_HOST; None: the default")


QuantizeChoice = Literal["f16", "q8_0", "q4_K_M"]
CheckOutcome = Literal["same", "differs", "not_checked"]


class ExportRequest(Request):
    training_id: Id
    model_name: str | None = Field(None, max_length=200, description="Default: <dataset_id>-<short id>")
    host: str | None = Field(None, max_length=512)
    quantize: QuantizeChoice | None = Field(
        None, description="The model file's type, quantized here by llama.cpp before the upload (Ollama 0.35 refuses "
                          "to quantize a GGUF itself); None: Q4_K_M for a base of 1 B parameters or more, F16 below")


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


class QuantizeOption(Strict):
    """One type the model file can be written as, with about how big it is."""

    kind: QuantizeChoice
    bytes: int | None = Field(None, description="About the model file's size; None when the base's size is unknown")
    default: bool = Field(False, description="What an export without a choice makes (Q4_K_M from 1 B parameters)")
    available: bool = Field(True, description="False: it needs llama.cpp's quantizer, which is not installed")
    why_not: str | None = None


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
    options: list[QuantizeOption] = Field(default_factory=list, description="The types this run's model file can "
                                                                            "be exported as, with their sizes")
    model_bytes: int | None = Field(None, description="The size of the file sent to Ollama")


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
    cut: bool = Field(False, description="The answer stopped at its length limit, before the model ended it")


class Settings(Request):
    """What the user set in the window (data folder's settings.json)."""

    ollama_host: str | None = Field(None, max_length=512, description="None: OLLAMA_HOST or the default address")
