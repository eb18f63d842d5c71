"""Answers through the chat template (samples.json, the worker's `ask` and `serve`): greedy, or
sampled at a temperature for a second answer to choose from (the chat's *Another answer*).

Imports torch: worker process only.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ollama_trainer.training.worker import batching, low_precision

SAMPLE_MAX_NEW_TOKENS = 48


@dataclass(frozen=True)
class Generated:
    prompt_text: str  # the prompt exactly as the chat template rendered it
    tokens: list[int]  # the generated token ids, end token excluded
    text: str
    cut: bool = False  # stopped at max_new_tokens, before the model ended its answer


def answers(model, tokenizer, prompts: list[str], *, system: str | None = None,
            max_new_tokens: int = SAMPLE_MAX_NEW_TOKENS) -> list[str]:
    """Greedy answers to user prompts through the chat template."""
    return [g.text for g in generate(model, tokenizer, prompts, system=system, max_new_tokens=max_new_tokens)]


class _EachStep:
    """A stopping criterion that never stops: it calls `on_step(input_ids)` at every generated
    token (the stage's heartbeat, stage_meter.py; the answer so far, streamed)."""

    def __init__(self, on_step):
        self.on_step = on_step

    def __call__(self, input_ids, scores, **kwargs):
        self.on_step(input_ids)
        return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)


def generate(model, tokenizer, prompts: list[str | list[dict]], *, system: str | None = None,
             max_new_tokens: int = SAMPLE_MAX_NEW_TOKENS, on_step=None, temperature: float = 0.0,
             seed: int | None = None, on_text=None) -> list[Generated]:
    """Answers to user prompts (a string: one user turn; a list: a conversation ending with the
    user's turn) through the chat template, generated as one left-padded batch (a single prompt
    is not padded at all), with the rendered prompts and token ids; greedy, or sampled at
    `temperature` (from `seed`) when it is above 0. `on_step()` is called at every token, and
    `on_text(text)` with the first answer so far (streaming)."""
    if not prompts:
        return []
    conversations = [[{"role": "user", "content": p}] if isinstance(p, str) else p for p in prompts]
    texts = [
        tokenizer.apply_chat_template(batching.with_system(c, system), tokenize=False, add_generation_prompt=True)
        for c in conversations
    ]
    side = tokenizer.padding_side
    tokenizer.padding_side = "left"
    try:
        enc = tokenizer(texts, add_special_tokens=False, return_tensors="pt", padding=True)
    finally:
        tokenizer.padding_side = side
    device = next(model.parameters()).device
    end_ids = batching.end_token_ids(tokenizer)
    if temperature > 0 and seed is not None:
        torch.manual_seed(seed)
    width = enc["input_ids"].shape[1]
    criteria = [_EachStep(lambda ids: on_step())] if on_step else []
    if on_text:
        criteria.append(_EachStep(lambda ids: on_text(_text(tokenizer, ids[0, width:].tolist(), end_ids))))
    with torch.no_grad(), low_precision.answering(model):
        out = model.generate(
            input_ids=enc["input_ids"].to(device),
            attention_mask=enc["attention_mask"].to(device),
            max_new_tokens=max_new_tokens,
            do_sample=temperature > 0,
            temperature=temperature if temperature > 0 else None,
            top_p=None,
            top_k=None,
            eos_token_id=end_ids,
            pad_token_id=tokenizer.pad_token_id,
            **({"stopping_criteria": _criteria(criteria)} if criteria else {}),
        )
    results = []
    for text, row in zip(texts, out):
        ids, cut = row[width:].tolist(), True
        for i, token in enumerate(ids):
            if token in end_ids:
                ids, cut = ids[:i], False
                break
        results.append(Generated(text, ids, tokenizer.decode(ids, skip_special_tokens=True).strip(),
                                 cut=cut and len(ids) >= max_new_tokens))
    return results


def _criteria(criteria: list[_EachStep]):
    from transformers import StoppingCriteriaList

    return StoppingCriteriaList(criteria)


def _text(tokenizer, ids: list[int], end_ids) -> str:
    """The answer in `ids` so far: up to an end token, decoded."""
    for i, token in enumerate(ids):
        if token in end_ids:
            ids = ids[:i]
            break
    return tokenizer.decode(ids, skip_special_tokens=True).strip()


def answer(model, tokenizer, prompt: str, *, system: str | None = None, max_new_tokens: int = SAMPLE_MAX_NEW_TOKENS) -> str:
    """A greedy answer to one user prompt, through the chat template."""
    return answers(model, tokenizer, [prompt], system=system, max_new_tokens=max_new_tokens)[0]
