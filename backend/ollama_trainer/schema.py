"""Print one JSON schema document with every contract model, for the UI's generated types.

    python -m ollama_trainer.schema > contracts.schema.json

Every pydantic model defined in ``ollama_trainer.contracts`` (except the ``Strict`` base) lands
under ``$defs``, in serialization mode (what the bridge sends). Keys are sorted, so the output
only changes when a contract changes; ``client/scripts/gen-contracts.mjs`` turns it into
``client/src/lib/contracts.gen.ts``.
"""

from __future__ import annotations

import inspect
import json
import sys
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from ollama_trainer import contracts

EXCLUDED = {"Strict"}


def contract_models() -> list[type[BaseModel]]:
    """Models defined in the contracts module itself, sorted by name."""
    found = [
        obj
        for name, obj in vars(contracts).items()
        if inspect.isclass(obj)
        and issubclass(obj, BaseModel)
        and obj.__module__ == contracts.__name__
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


def render() -> str:
    return json.dumps(build_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> int:
    sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
