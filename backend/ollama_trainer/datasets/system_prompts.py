"""Which system prompt a trained model is presented with, so it ships as it was trained.

A run trains every row as it is: a row with its own system message keeps it, a row without one
gets the profile's system prompt (or, without one either, the chat template's default). What the
model is then asked with (the before/after samples, the probe, Try it, the Modelfile's SYSTEM
and the Ollama model's `system`) is, in this order:

1. the profile's system prompt, when it has one;
2. the dataset's own, when its rows carry one (all of them the same, or one that more than half
   of the rows carry: the others are named in the note);
3. the system prompt of the base's Ollama model (a base from the local store);
4. none: the chat template's default, as rows without a system message were trained.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class SystemChoice:
    prompt: str | None  # None: the chat template's own default
    source: str  # "profile", "dataset", "dataset_most", "ollama", "default"
    note: str  # what a person reads (the export and the run page say it)


def of_rows(examples: list[dict]) -> Counter:
    """How many chat rows carry each system prompt ('' for rows without one)."""
    counts: Counter = Counter()
    for example in examples:
        messages = example.get("messages")
        if messages is None:
            continue
        system = next((m["content"] for m in messages if m["role"] == "system"), "")
        counts[system] += 1
    return counts


def choose(*, profile_prompt: str | None, examples: list[dict], ollama_prompt: str | None = None) -> SystemChoice:
    if profile_prompt:
        return SystemChoice(profile_prompt, "profile", "the profile's system prompt")
    counts = of_rows(examples)
    rows = sum(counts.values())
    carried = {k: v for k, v in counts.items() if k}
    if carried and rows:
        prompt, n = max(carried.items(), key=lambda kv: kv[1])
        if n == rows:
            return SystemChoice(prompt, "dataset", "the system prompt every row of the dataset carries")
        if n * 2 > rows:
            return SystemChoice(prompt, "dataset_most",
                                f"the system prompt {n} of the dataset's {rows} rows carry (the others were trained "
                                "with their own or none)")
        return SystemChoice(None, "default",
                            f"none: the dataset's rows carry {len(carried)} different system prompts and none of them "
                            "more than half the rows; the model is asked without one (the chat template's default)")
    if ollama_prompt:
        return SystemChoice(ollama_prompt, "ollama", "the system prompt of the base's Ollama model")
    return SystemChoice(None, "default", "none: the chat template's default, as the rows were trained")
