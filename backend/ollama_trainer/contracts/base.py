"""The contracts' base: the two model kinds (Strict: what the backend sends; Request: what the UI
sends), ids, states, the constants the client reads, errors and the app's info."""

from __future__ import annotations

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
DatasetFormat = Literal["chat", "alpaca", "prompt_completion", "text", "preference"]
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


class Ack(Strict):
    """A command that only needs to say it was done."""

    ok: bool = True


class ErrorInfo(Strict):
    code: ErrorCodeName = Field(description="Stable machine-readable code (errors.py), e.g. unknown_profile")
    message: str = Field(description="What went wrong, in words a person can act on")


class AppInfo(Strict):
    version: str
    data_dir: str
    config_dir: str
    device: Literal["cpu", "cuda", "mps"] | None = Field(
        None, description="Where training would run; None while the app still asks (the worker imports PyTorch: "
                          "10-20 s on a busy machine)")
    device_name: str | None = Field(None, description="CPU model or GPU name; None while the device is asked")
    transport: Literal["desktop", "browser", "cli"]
