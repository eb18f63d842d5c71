"""Print one JSON schema document with every contract model, for the UI's generated types.

    python -m ollama_trainer.schema > contracts.schema.json

Every pydantic model defined in ``ollama_trainer.contracts`` (except the ``Strict`` base) lands
under ``$defs``, in serialization mode (what the bridge sends; fields with defaults are
required there). Two more keys carry what the client must not re-type by hand:
``x-constants`` (error codes, epoch bounds, terminal states) and ``x-commands`` (every bridge
command with its request model and result type, for a typed ``invoke``). Keys are sorted, so
the output only changes when a contract changes; ``client/scripts/gen-contracts.mjs`` turns it
into ``client/src/lib/contracts.gen.ts``.
"""

from __future__ import annotations

import inspect
import json
import sys
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from ollama_trainer import contracts

EXCLUDED = {"Strict", "Request"}


def contract_models() -> list[type[BaseModel]]:
    """Models defined in the contracts module itself, sorted by name."""
    found = [
        obj
        for name, obj in vars(contracts).items()
        if inspect.isclass(obj)
        and issubclass(obj, BaseModel)
        and obj.__module__.startswith(contracts.__name__)
        and name not in EXCLUDED
    ]
    return sorted(found, key=lambda model: model.__name__)


def build_schema() -> dict[str, Any]:
    models = contract_models()
    _, schema = models_json_schema(
        [(model, "serialization") for model in models],
        title="Ollama Trainer contracts",
        description="Generated from ollama_trainer.contracts; do not edit.",
    )
    return schema


def constants() -> dict[str, Any]:
    return {
        "ERROR_CODES": list(contracts.ERROR_CODES),
        "MAX_EPOCHS": contracts.MAX_EPOCHS,
        "TERMINAL_STATES": sorted(contracts.TERMINAL_STATES),
        "FLOW_TERMINAL_STATES": sorted(contracts.FLOW_TERMINAL_STATES),
    }


def ts_type(annotation: Any) -> str:
    """A result annotation as TypeScript: models by name, lists, optionals, plain values."""
    import types
    import typing

    if annotation is None or annotation is type(None):
        return "null"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation.__name__
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(ts_type(arg) for arg in typing.get_args(annotation))
    if origin is list:
        (item,) = typing.get_args(annotation)
        inner = ts_type(item)
        return f"({inner})[]" if " " in inner else f"{inner}[]"
    simple = {str: "string", int: "number", float: "number", bool: "boolean", dict: "Record<string, unknown>"}
    return simple.get(annotation, "unknown")


def commands() -> dict[str, Any]:
    from ollama_trainer.bridge.commands import Commands
    from ollama_trainer.bridge.registry import specs

    return {name: {"request": spec.request.__name__ if spec.request else None, "result": ts_type(spec.annotation)}
            for name, spec in sorted(specs(Commands).items())}


def render() -> str:
    document = {**build_schema(), "x-constants": constants(), "x-commands": commands()}
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> int:
    sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
