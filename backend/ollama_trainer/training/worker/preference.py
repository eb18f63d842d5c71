"""Preference training: DPO and ORPO on pairs of answers to one prompt (the chosen and the
rejected), beside plain supervised examples in the same run.

    pair = encode_pair(tokenizer, example, max_seq_len, system_prompt)   # example from a preference dataset
    score_reference(model, pairs, ...)         # DPO: the base's log-probs, the adapter disabled
    objective = Objective(profile, model, pad_id, autocast)
    loss = objective.loss(items, norm)          # a batch's share of the step's mean loss; backward it
    figures = objective.evaluate(eval_items, batch_size)

The losses are TRL's (trl/trainer/dpo_trainer.py `dpo_loss`, sigmoid; orpo_trainer.py
`odds_ratio_loss`), written from their published formulas and checked against them on fixed
numbers (tests/unit/test_preference_loss.py):

    DPO:  logits = (log pi(c) - log pi(r)) - (log ref(c) - log ref(r));  loss = -log sigmoid(beta * logits)
          rewards: beta * (log pi(y) - log ref(y)); log p(y) summed over the answer's tokens
    ORPO: log_odds = (a_c - a_r) - (log(1 - e^a_c) - log(1 - e^a_r)), a_y the answer's mean token log-prob;
          loss = NLL(chosen) - beta * log sigmoid(log_odds);  rewards: beta * a_y

DPO's reference is the same model with its adapter disabled (no second copy in memory), scored
once before training. A supervised example in a preference run adds its own cross-entropy (the
same as in an SFT run), weighted by its share of the step's items.

Imports torch: worker process only.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

from ollama_trainer.training.worker import batching
from ollama_trainer.training.worker.batching import Encoded
from ollama_trainer.training.worker.fused import _decoder_and_head, chunk_rows, loss_sum


@dataclass
class Pair:
    chosen: Encoded
    rejected: Encoded
    line: int | None = None
    ref_chosen: float = 0.0  # DPO: the reference's summed log-prob of each answer
    ref_rejected: float = 0.0

    @property
    def input_ids(self) -> list[int]:  # the tokens a batch holds for it (lengths, batching)
        return self.chosen.input_ids + self.rejected.input_ids

    @property
    def trained_tokens(self) -> int:
        return self.chosen.trained_tokens + self.rejected.trained_tokens


def encode_pair(tokenizer, example: dict, max_seq_len: int, system_prompt: str | None = None) -> Pair:
    prompt = batching.with_system(example["messages"], system_prompt)
    chosen = batching.encode_chat(tokenizer, [*prompt, {"role": "assistant", "content": example["chosen"]}], max_seq_len)
    rejected = batching.encode_chat(tokenizer, [*prompt, {"role": "assistant", "content": example["rejected"]}],
                                    max_seq_len)
    return Pair(chosen, rejected, line=example.get("line"))


def sequence_logps(model, items: list[Encoded], pad_id: int, device,
                   autocast=contextlib.nullcontext) -> tuple[torch.Tensor, torch.Tensor]:
    """(summed log-prob of each item's labelled tokens [B], how many there are [B]). The head is
    applied to the labelled positions only, a chunk at a time, each chunk recomputed in the
    backward (one chunk of logits in memory, not the batch's)."""
    batch = batching.collate(items, pad_id).to(device)
    body, head = _decoder_and_head(model)
    with autocast():
        hidden = body(input_ids=batch.input_ids, use_cache=False).last_hidden_state
    width = batch.input_ids.shape[1]
    h = hidden.reshape(-1, hidden.shape[-1]).index_select(0, batch.positions)
    vocab = getattr(getattr(head, "weight", None), "shape", (0,))[0] or 1
    step = chunk_rows(vocab)
    parts = []
    for start in range(0, h.shape[0], step):
        chunk_h, chunk_t = h[start:start + step], batch.targets[start:start + step]
        if torch.is_grad_enabled() and chunk_h.requires_grad:
            parts.append(checkpoint(_token_logps, head, chunk_h, chunk_t, autocast, use_reentrant=False))
        else:
            parts.append(_token_logps(head, chunk_h, chunk_t, autocast))
    token_logps = torch.cat(parts) if parts else h.new_zeros(0, dtype=torch.float32)
    rows = torch.div(batch.positions, width, rounding_mode="floor")
    sums = torch.zeros(len(items), device=h.device, dtype=torch.float32).index_add(0, rows, token_logps)
    counts = torch.zeros(len(items), device=h.device, dtype=torch.float32).index_add(
        0, rows, torch.ones_like(token_logps))
    return sums, counts


def _token_logps(head, h: torch.Tensor, targets: torch.Tensor, autocast) -> torch.Tensor:
    with autocast():
        logits = head(h)
    return -F.cross_entropy(logits.float(), targets, reduction="none")


def dpo_losses(policy_chosen: torch.Tensor, policy_rejected: torch.Tensor, ref_chosen: torch.Tensor,
               ref_rejected: torch.Tensor, beta: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(losses, chosen rewards, rejected rewards), each [pairs], from summed log-probs."""
    logits = (policy_chosen - policy_rejected) - (ref_chosen - ref_rejected)
    losses = -F.logsigmoid(beta * logits)
    return losses, beta * (policy_chosen - ref_chosen).detach(), beta * (policy_rejected - ref_rejected).detach()


def orpo_losses(mean_chosen: torch.Tensor, mean_rejected: torch.Tensor,
                beta: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(the odds-ratio part of the loss, chosen rewards, rejected rewards), each [pairs], from
    mean token log-probs; the NLL of the chosen answer is added by the caller."""
    log_odds = (mean_chosen - mean_rejected) - (
        torch.log1p(-torch.exp(mean_chosen)) - torch.log1p(-torch.exp(mean_rejected)))
    losses = -beta * F.logsigmoid(log_odds)
    return losses, beta * mean_chosen.detach(), beta * mean_rejected.detach()


def score_reference(model, pairs: list[Pair], pad_id: int, device, batch_size: int,
                    autocast=contextlib.nullcontext, on_done=None, *, trained: bool = False) -> None:
    """DPO's reference: each answer's summed log-prob under the model with its adapter
    disabled (the base), once, into the pairs; `trained`: under the model as it starts (a run
    training another run's model further: that model, before any step, is the reference)."""
    was_training = model.training
    model.eval()
    with torch.no_grad(), (contextlib.nullcontext() if trained else model.disable_adapter()):
        for start in range(0, len(pairs), batch_size):
            chunk = pairs[start:start + batch_size]
            sums, _ = sequence_logps(model, [p.chosen for p in chunk] + [p.rejected for p in chunk], pad_id, device,
                                     autocast)
            for k, p in enumerate(chunk):
                p.ref_chosen, p.ref_rejected = float(sums[k]), float(sums[len(chunk) + k])
            if on_done is not None:
                on_done(min(start + batch_size, len(pairs)))
    model.train(was_training)


@dataclass
class Norm:
    """What a step's mean is over (gradient accumulation: all of the step's batches)."""
    items: int
    sft_targets: int
    pairs: int
    chosen_tokens: int


@dataclass
class EvalFigures:
    loss: float
    reward_margin: float | None = None
    accuracy: float | None = None  # the share of pairs whose chosen reward is above the rejected's


class Objective:
    def __init__(self, kind: str, beta: float, model, pad_id: int, device, autocast=contextlib.nullcontext):
        self.kind, self.beta, self.model, self.pad_id, self.device = kind, beta, model, pad_id, device
        self.autocast = autocast

    def norm(self, group: list[list]) -> Norm:
        items = [x for batch in group for x in batch]
        pairs = [x for x in items if isinstance(x, Pair)]
        return Norm(len(items), sum(x.trained_tokens for x in items if not isinstance(x, Pair)),
                    len(pairs), sum(p.chosen.trained_tokens for p in pairs))

    def step(self, group: list[list]) -> torch.Tensor:
        """Backward every batch of one optimizer step (gradient accumulation); the step's loss."""
        norm = self.norm(group)
        total = torch.zeros((), device=self.device)
        for items in group:
            loss = self.loss(items, norm)
            loss.backward()
            total += loss.detach()
        return total

    def loss(self, items: list, norm: Norm) -> torch.Tensor:
        """This batch's share of the step's loss: the supervised items' mean cross-entropy and
        the pairs' mean preference loss, each weighted by its share of the step's items."""
        sft = [x for x in items if not isinstance(x, Pair)]
        pairs = [x for x in items if isinstance(x, Pair)]
        total = torch.zeros((), device=self.device)
        if sft and norm.sft_targets:
            batch = batching.collate(sft, self.pad_id).to(self.device)
            share = (norm.items - norm.pairs) / norm.items
            total = total + loss_sum(self.model, batch, self.autocast) / norm.sft_targets * share
        if pairs:
            losses, _, _, nll_sum = self._pair_losses(pairs)
            share = norm.pairs / norm.items
            total = total + losses.sum() / norm.pairs * share
            if self.kind == "orpo" and norm.chosen_tokens:
                total = total + nll_sum / norm.chosen_tokens * share
        return total

    def _pair_losses(self, pairs: list[Pair]):
        sums, counts = sequence_logps(self.model, [p.chosen for p in pairs] + [p.rejected for p in pairs],
                                      self.pad_id, self.device, self.autocast)
        k = len(pairs)
        chosen, rejected = sums[:k], sums[k:]
        if self.kind == "orpo":
            losses, cr, rr = orpo_losses(chosen / counts[:k].clamp(min=1), rejected / counts[k:].clamp(min=1),
                                         self.beta)
        else:
            ref_c = torch.tensor([p.ref_chosen for p in pairs], device=chosen.device)
            ref_r = torch.tensor([p.ref_rejected for p in pairs], device=chosen.device)
            losses, cr, rr = dpo_losses(chosen, rejected, ref_c, ref_r, self.beta)
        return losses, cr, rr, -chosen.sum()

    def evaluate(self, eval_set: list, batch_size: int) -> EvalFigures:
        """The eval split's loss (as in training), and for its pairs the mean reward margin and
        the share of pairs whose chosen answer is rewarded above the rejected."""
        self.model.eval()
        losses, margins, wins = [], [], []
        with torch.no_grad():
            for start in range(0, len(eval_set), batch_size):
                items = eval_set[start:start + batch_size]
                norm = self.norm([items])
                losses.append((float(self.loss(items, norm)), len(items)))
                pairs = [x for x in items if isinstance(x, Pair)]
                if pairs:
                    _, cr, rr, _ = self._pair_losses(pairs)
                    margins += (cr - rr).tolist()
                    wins += (cr > rr).tolist()
        self.model.train()
        n = sum(k for _, k in losses) or 1
        return EvalFigures(loss=sum(v * k for v, k in losses) / n,
                           reward_margin=sum(margins) / len(margins) if margins else None,
                           accuracy=sum(wins) / len(wins) if wins else None)


def objective_for(data, profile, model, pad_id: int, device, autocast, log, *,
                  reference_trained: bool = False) -> Objective | None:
    """The run's objective when its data holds pairs (None: plain SFT), with DPO's reference
    scored first (a stage of its own, counted): the base, or with `reference_trained` the
    trained model the run starts from."""
    pairs = [x for x in [*data.train_set, *data.eval_set] if isinstance(x, Pair)]
    if not pairs:
        return None
    if profile.preference_loss == "dpo":
        from ollama_trainer.training.worker.stage_meter import StageMeter

        whose = "the trained model it starts from" if reference_trained else "the base model"
        meter = StageMeter(log, "reference", f"{whose} scores the answer pairs (DPO's reference)", len(pairs))
        score_reference(model, pairs, pad_id, device, profile.batch_size, autocast,
                        on_done=lambda done: meter.at(done, len(pairs)), trained=reference_trained)
    return Objective(profile.preference_loss, profile.beta, model, pad_id, device, autocast)


def prefers_chosen(model, pairs: list[Pair], pad_id: int, device, batch_size: int, *, base: bool,
                   autocast=contextlib.nullcontext) -> list[bool]:
    """For each pair, whether the model (or, `base`, the model with its adapter disabled) gives
    the chosen answer a higher mean token log-prob than the rejected: which one it prefers."""
    out: list[bool] = []
    was_training = model.training
    model.eval()
    with torch.no_grad(), (model.disable_adapter() if base else contextlib.nullcontext()):
        for start in range(0, len(pairs), batch_size):
            chunk = pairs[start:start + batch_size]
            sums, counts = sequence_logps(model, [p.chosen for p in chunk] + [p.rejected for p in chunk], pad_id,
                                          device, autocast)
            means = sums / counts.clamp(min=1)
            k = len(chunk)
            out += (means[:k] > means[k:]).tolist()
    model.train(was_training)
    return out
