"""`ollama-trainer profiles`: the training profiles, and those of the user's file that cannot be used."""

from __future__ import annotations

import argparse

from ollama_trainer import catalog
from ollama_trainer.cli.common import listing, show_broken


def register(sub: argparse._SubParsersAction) -> None:
    listing(sub, "profiles", help="list training profiles", description="List the training profiles.",
            fetch=lambda _: catalog.list_profiles(), show=show_profiles)


def show_profiles(profiles) -> None:
    for p in profiles:
        print(f"{p.id:<20} {p.name}  [{p.base_model}, {p.default_epochs} epochs, lr {p.learning_rate:g}]")
        print(f"{'':<20} {p.description}")
    show_broken(catalog.broken_entries().profiles)
