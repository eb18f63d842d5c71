"""EXPORT: register the trained model with Ollama (the same export as the window's button and
`ollama-trainer export`); the model file and the Modelfile are written either way."""

from __future__ import annotations

from typing import get_args

from ollama_trainer.contracts import ExportCheck, Id, QuantizeChoice
from ollama_trainer.errors import DomainError
from ollama_trainer.flows.step import Step, StepArgs, StepContext, StepFailed, StepOutputs, arg


class ExportArgs(StepArgs):
    training_id: Id = arg(kind="training")
    model_name: str | None = arg(None, min_length=1, doc="default `<dataset>-<short id>`")
    host: str | None = arg(None)
    quantize: QuantizeChoice | None = arg(None, doc=", ".join(f"`{q}`" for q in get_args(QuantizeChoice))
                                          + "; default `q4_K_M` for a GGUF base of 1 B parameters or more, else `f16`")


class ExportOutputs(StepOutputs):
    ollama_model: str
    model_name: str
    training_id: str
    host: str
    modelfile: str
    command: str
    model_file: str
    check: ExportCheck | None


def run(a: ExportArgs, ctx: StepContext) -> ExportOutputs:
    from ollama_trainer import settings
    from ollama_trainer.ollama.export import export_run

    try:
        result = export_run(a.training_id, model_name=a.model_name, host=settings.ollama_host(a.host),
                            quantize=a.quantize)
    except DomainError as exc:
        raise StepFailed(exc.message, code=exc.code) from None
    return ExportOutputs(ollama_model=result.ollama_model, model_name=result.ollama_model, training_id=a.training_id,
                         host=result.host, modelfile=result.modelfile, command=result.command,
                         model_file=result.model_file, check=result.check)


STEP = Step("EXPORT", ExportArgs, ExportOutputs, run)
