"""Contract models for the Ollama side of the bridge (to be moved into contracts.py)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ExportStateName = Literal["idle", "exporting", "done", "error"]
MODEL_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}(:[a-z0-9][a-z0-9._-]{0,79})?$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OllamaConnection(_Strict):
    reachable: bool
    version: str | None = None
    host: str = Field(description="The resolved address, e.g. http://127.0.0.1:11434")
    message: str = Field(description="One line for the sidebar: the version, or what to do")


class OllamaHostRequest(_Strict):
    host: str | None = Field(None, max_length=512, description="Overrides OLLAMA_HOST; None: the default")


class ExportRequest(_Strict):
    training_id: str
    model_name: str | None = Field(None, max_length=200, description="Default: <dataset_id>-<short id>")
    host: str | None = Field(None, max_length=512)


class ExportState(_Strict):
    """runs/<id>/export.json: the last export of a run, rewritten atomically at each change."""

    training_id: str
    state: ExportStateName = "idle"
    model: str | None = None
    host: str | None = None
    message: str = ""
    error: str | None = None
    code: str | None = None
    modelfile: str | None = Field(None, description="Path of the Modelfile written next to the adapter")
    command: str | None = Field(None, description="The shell command that builds the model from the Modelfile")
    gguf_adapter: str | None = Field(None, description="Path of adapter.gguf, when the conversion worked")
    updated_at: str | None = None


class ExportResult(_Strict):
    training_id: str
    ollama_model: str
    host: str
    modelfile: str
    command: str
    gguf_adapter: str | None = None
    statuses: list[str] = Field(default_factory=list, description="Ollama's streamed status lines")


class ChatRequest(_Strict):
    model: str = Field(min_length=1, max_length=200)
    prompt: str = Field(min_length=1, max_length=20000)
    system: str | None = None
    host: str | None = Field(None, max_length=512)


class ChatAnswer(_Strict):
    model: str
    answer: str
