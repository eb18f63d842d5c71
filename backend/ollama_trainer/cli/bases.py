"""`ollama-trainer bases`: what can be trained here, the same answer as the window's base picker."""

from __future__ import annotations

import argparse

from ollama_trainer.cli.common import listing


def register(sub: argparse._SubParsersAction) -> None:
    listing(sub, "bases", help="list the base models that can be trained here",
            description="List the builtin base model and the models in the local Ollama store, each with its "
                        "family, size and quantization, and whether it can be trained here or why not.",
            fetch=bases, show=show_bases)


def bases(_args):
    from ollama_trainer.bases import catalog as base_catalog

    return base_catalog.list_bases()


def show_bases(found) -> None:
    for b in found.bases:
        facts = ", ".join(x for x in (b.family or b.architecture, b.parameter_size, b.quantization) if x)
        state = "trainable here" if b.trainable else f"not trainable: {b.reason}"
        name = f"{b.name} (builtin)" if b.kind == "builtin" else b.name
        print(f"{b.source:<32} {name}  [{facts}]  {state}")
    if found.note:
        print(f"({found.note})")
