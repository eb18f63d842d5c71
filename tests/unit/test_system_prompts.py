"""Which system prompt a trained model is asked with: the profile's, the dataset's own (all rows
or most of them), the base's Ollama model's, or the template's default."""

from __future__ import annotations

from ollama_trainer.datasets.system_prompts import choose


def rows(*systems):
    return [{"messages": ([{"role": "system", "content": s}] if s else []) +
             [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]} for s in systems]


def test_the_profile_wins():
    chosen = choose(profile_prompt="Be brief.", examples=rows("You are Bramble.") * 3, ollama_prompt="X")
    assert (chosen.prompt, chosen.source) == ("Be brief.", "profile")


def test_the_datasets_own_when_every_row_or_most_carry_it():
    assert choose(profile_prompt=None, examples=rows("You are Bramble.") * 4).source == "dataset"
    most = choose(profile_prompt=None, examples=rows(*["You are Bramble."] * 3, "Other.", None), ollama_prompt="X")
    assert (most.prompt, most.source) == ("You are Bramble.", "dataset_most") and "3 of the dataset's 5" in most.note


def test_mixed_rows_ship_none_and_say_so():
    mixed = choose(profile_prompt=None, examples=rows("A.", "B.", None, None), ollama_prompt=None)
    assert mixed.prompt is None and mixed.source == "default" and "2 different system prompts" in mixed.note


def test_rows_without_one_take_the_ollama_models_or_the_template_default():
    assert choose(profile_prompt=None, examples=rows(None, None), ollama_prompt="From Ollama.").source == "ollama"
    plain = choose(profile_prompt=None, examples=rows(None) + [{"text": "a text row"}])
    assert (plain.prompt, plain.source) == (None, "default")
