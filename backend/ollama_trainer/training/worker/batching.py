"""From dataset examples to padded training batches.

- `encode(...)`: token ids and labels for one example. Labels are -100 except on assistant
  tokens (the content and the end-of-turn token that closes it, so the model learns to stop);
  a plain `text` example is trained on all of its tokens.
- `split_eval(...)`: a deterministic held-out slice for eval loss and the learned score (at
  least 3 examples of a set of 10 or more).
- `epoch_batches(...)`: the batch order of one epoch, a pure function of (seed, epoch), so a
  resumed run sees exactly the batches an uninterrupted one would.
- `collate(...)`: right-padded tensors plus, precomputed on the host, the flat positions whose
  next token is a label (the trainer applies the lm_head only there).

Imports torch: worker process only.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

IGNORE = -100


@dataclass
class Encoded:
    input_ids: list[int]
    labels: list[int]
    line: int | None = None

    @property
    def trained_tokens(self) -> int:
        return sum(1 for x in self.labels[1:] if x != IGNORE)


class TemplateError(ValueError):
    pass


def _render(tokenizer, messages, *, add_generation_prompt: bool) -> str:
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=add_generation_prompt)


def with_system(messages: list[dict], system_prompt: str | None) -> list[dict]:
    if system_prompt and not any(m["role"] == "system" for m in messages):
        return [{"role": "system", "content": system_prompt}, *messages]
    return list(messages)


def end_token_ids(tokenizer) -> list[int]:
    """EOS and the end-of-turn tokens of the chat formats the tokenizer knows (chat_formats.py)."""
    from ollama_trainer.chat_formats import END_OF_TURN_TOKENS

    ids = [tokenizer.eos_token_id] if tokenizer.eos_token_id is not None else []
    for token in END_OF_TURN_TOKENS:  # convert_tokens_to_ids, not get_vocab(): 0.3 s for 262k tokens
        found = tokenizer.convert_tokens_to_ids(token)
        if found is not None and found != tokenizer.unk_token_id and found not in ids:
            ids.append(found)
    return ids


def encode_chat(tokenizer, messages: list[dict], max_seq_len: int) -> Encoded:
    """Render with the chat template; label the characters each assistant turn adds.

    For assistant turn i the span is [len(render(messages[:i], generation prompt)),
    len(render(messages[:i+1]))): exactly what the model must produce after the generation
    prompt. Tokens are mapped to characters with the fast tokenizer's offsets, so merges
    across the boundary cannot shift the mask. Inside a span, labels stop at the first
    end-of-turn token (the trailing newline after <|im_end|> is not trained).
    """
    full = _render(tokenizer, messages, add_generation_prompt=False)
    spans: list[tuple[int, int]] = []
    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        prefix = _render(tokenizer, messages[:i], add_generation_prompt=True)
        upto = _render(tokenizer, messages[: i + 1], add_generation_prompt=False)
        if not (upto.startswith(prefix) and full.startswith(upto)):
            raise TemplateError(
                "the tokenizer's chat template does not render conversations incrementally; "
                "assistant-only labels need a template like ChatML"
            )
        spans.append((len(prefix), len(upto)))
    enc = tokenizer(full, add_special_tokens=False, return_offsets_mapping=True)
    ids: list[int] = list(enc["input_ids"])
    offsets = enc["offset_mapping"]
    end_ids = set(end_token_ids(tokenizer))
    labels = [IGNORE] * len(ids)
    for start, stop in spans:
        for pos, (a, b) in enumerate(offsets):
            if a >= start and b <= stop and b > a:
                labels[pos] = ids[pos]
                if ids[pos] in end_ids:
                    break
    return Encoded(ids[:max_seq_len], labels[:max_seq_len])


def encode_text(tokenizer, text: str, max_seq_len: int) -> Encoded:
    ids = list(tokenizer(text, add_special_tokens=True)["input_ids"])
    if tokenizer.eos_token_id is not None:
        ids.append(tokenizer.eos_token_id)
    ids = ids[:max_seq_len]
    return Encoded(ids, list(ids))


def encode(tokenizer, example: dict, max_seq_len: int, system_prompt: str | None = None) -> Encoded:
    if "text" in example:
        out = encode_text(tokenizer, example["text"], max_seq_len)
    else:
        out = encode_chat(tokenizer, with_system(example["messages"], system_prompt), max_seq_len)
    out.line = example.get("line")
    return out


SMALL_EVAL = 3  # a small set's held-out examples: one answer alone says little of what was learned
SMALL_EVAL_FROM = 10  # ... once the set has this many (7 left to train on)


def split_eval(n: int, fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """(train indices, eval indices): `fraction` of the examples, at least one from 5 examples
    and at least SMALL_EVAL from SMALL_EVAL_FROM; none when fraction <= 0."""
    if fraction <= 0 or n < 5:
        return list(range(n)), []
    n_eval = max(1, round(n * fraction), SMALL_EVAL if n >= SMALL_EVAL_FROM else 0)
    n_eval = min(n - 1, n_eval)
    gen = torch.Generator().manual_seed(seed)
    perm = torch.randperm(n, generator=gen).tolist()
    held = sorted(perm[:n_eval])
    held_set = set(held)
    return [i for i in range(n) if i not in held_set], held


def epoch_batches(lengths: list[int], batch_size: int, seed: int, epoch: int, mega_mult: int = 50,
                  max_tokens: int | None = None) -> list[list[int]]:
    """Length-grouped batches for `epoch` (0-based): shuffle, sort by length inside mega-batches
    of batch_size * mega_mult examples (little padding), then shuffle the batch order.

    With `max_tokens` (a token budget), a batch holds as many of the sorted examples as fit in
    max_tokens padded tokens (rows x longest row; always at least one), instead of batch_size:
    short examples go in many per batch, long ones few, so every step does similar work."""
    n = len(lengths)
    gen = torch.Generator().manual_seed(int(seed) * 1_000_003 + int(epoch) + 1)
    perm = torch.randperm(n, generator=gen).tolist()
    mega = batch_size * mega_mult
    batches: list[list[int]] = []
    for start in range(0, n, mega):
        chunk = sorted(perm[start : start + mega], key=lambda i: -lengths[i])
        if max_tokens is None:
            batches.extend(chunk[j : j + batch_size] for j in range(0, len(chunk), batch_size))
            continue
        current: list[int] = []
        for i in chunk:  # longest first: the first row of a batch sets its width
            if current and (len(current) + 1) * lengths[current[0]] > max_tokens:
                batches.append(current)
                current = []
            current.append(i)
        if current:
            batches.append(current)
    order = torch.randperm(len(batches), generator=gen).tolist()
    return [batches[i] for i in order]


@dataclass
class Batch:
    input_ids: torch.Tensor  # [B, T]
    attention_mask: torch.Tensor  # [B, T]
    labels: torch.Tensor  # [B, T], -100 where no loss
    positions: torch.Tensor  # flat indices b * T + t of the positions whose next token is a label
    targets: torch.Tensor  # the label at each of those positions
    n_tokens: int  # non-padding tokens
    n_targets: int  # trained tokens

    def to(self, device, non_blocking: bool = True) -> "Batch":
        return Batch(
            *(t.to(device, non_blocking=non_blocking) for t in (self.input_ids, self.attention_mask, self.labels, self.positions, self.targets)),
            self.n_tokens,
            self.n_targets,
        )


def collate(items: list[Encoded], pad_id: int) -> Batch:
    width = max(len(e.input_ids) for e in items)
    ids = torch.full((len(items), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(items), width), dtype=torch.long)
    labels = torch.full((len(items), width), IGNORE, dtype=torch.long)
    for row, e in enumerate(items):
        n = len(e.input_ids)
        ids[row, :n] = torch.tensor(e.input_ids)
        mask[row, :n] = 1
        labels[row, :n] = torch.tensor(e.labels)
    rows, cols = (labels[:, 1:] != IGNORE).nonzero(as_tuple=True)  # position t predicts label t+1
    positions = rows * width + cols
    targets = labels[rows, cols + 1]
    return Batch(ids, mask, labels, positions, targets, int(mask.sum()), int(positions.numel()))
