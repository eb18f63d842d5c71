"""Fused pieces of the training step, each equal (to float rounding) to what it replaces.

- `head_loss_sum(h, head, targets)`: lm_head + cross-entropy over the labelled rows, in chunks,
  with the gradient for h computed in the forward (a frozen head needs no other): one chunk of
  logits in memory instead of three N x vocab tensors.
- `fuse_lora(model)`: PEFT's LoRA Linear computes `base(x) + lora_B(lora_A(x)) * scaling`,
  three full-width passes over the [tokens, out] output (the product, the scale, the sum) in
  the forward and one more in the backward; here the LoRA term is accumulated into the base
  output by the GEMM itself (`addmm_` with alpha = scaling). Anything else (dropout, DoRA,
  several or disabled adapters, merged weights, extra arguments) takes PEFT's own forward.
- `loss_sum(model, batch)`: the summed loss of a training batch, built from the two above.

Imports torch: worker process only.
"""

from __future__ import annotations

import contextlib
import types

import torch
import torch.nn.functional as F

from ollama_trainer.training.worker.batching import Batch

CE_CHUNK = 1024  # labelled rows per lm_head chunk: 1024 x 49k fp32 logits = 200 MB at most
CE_VALUES = 1 << 26  # fp32 logits per chunk at most (256 MB): a 262k vocabulary (Gemma) gets 256 rows


def chunk_rows(vocab: int, chunk: int = CE_CHUNK) -> int:
    """Rows per lm_head chunk for a vocabulary: CE_CHUNK, fewer for a big vocabulary."""
    return max(32, min(chunk, CE_VALUES // max(1, vocab)))


class _HeadCrossEntropy(torch.autograd.Function):
    """Sum of cross-entropy(h @ W.T, y) over rows, for a frozen head W, in chunks of rows.

    The forward computes each chunk's logits, its loss and at once its gradient with respect to
    h, (softmax - onehot) @ W, then drops the logits. The work is the two matmuls per row of a
    forward + backward; backward only scales the stored gradient. Logits are upcast to fp32
    before the softmax, as HF does.

    With trained token rows (token_rows.py: R, the new rows of the tokens `index`), the head is
    W with those rows replaced: their logits are h @ R.T, the gradient for h gains
    p[:, index] @ (R - W[index]) and R's own gradient is p[:, index].T @ h, never a copy of W.
    """

    @staticmethod
    def forward(ctx, h, weight, targets, chunk, index=None, rows=None):
        w = weight.to(h.dtype)
        grad = torch.empty_like(h)
        grad_rows = torch.zeros_like(rows, dtype=torch.float32) if rows is not None else None
        if rows is not None:
            r = rows.to(h.dtype)
            shift = r - w.index_select(0, index)
        total = torch.zeros((), dtype=torch.float32, device=h.device)
        for i in range(0, h.shape[0], chunk):
            hc, yc = h[i : i + chunk], targets[i : i + chunk]
            logits = (hc @ w.T).float()
            if rows is not None:
                logits.index_copy_(1, index, (hc @ r.T).float())
            lse = torch.logsumexp(logits, dim=-1)
            total += (lse - logits.gather(1, yc[:, None]).squeeze(1)).sum()
            probs = logits.sub_(lse[:, None]).exp_()  # softmax, in place
            probs[torch.arange(yc.shape[0], device=yc.device), yc] -= 1.0
            g = probs.to(w.dtype) @ w
            if rows is not None:
                picked = probs.index_select(1, index)
                g = g + picked.to(w.dtype) @ shift
                grad_rows += picked.T @ hc.float()
            grad[i : i + chunk] = g
        ctx.save_for_backward(grad, grad_rows) if rows is not None else ctx.save_for_backward(grad)
        return total

    @staticmethod
    def backward(ctx, grad_out):
        saved = ctx.saved_tensors
        grad = saved[0] * grad_out.to(saved[0].dtype)
        grad_rows = saved[1] * grad_out if len(saved) > 1 else None
        return grad, None, None, None, None, grad_rows


def head_loss_sum(h: torch.Tensor, head, targets: torch.Tensor, chunk: int = CE_CHUNK, rows=None) -> torch.Tensor:
    """sum_i cross_entropy(head(h[i]), targets[i]): chunked and fused when the head is a frozen
    bias-free Linear (LoRA training), the plain full-logits path otherwise. `rows`: trained
    token rows (token_rows.TokenRows) that replace some of the head's rows."""
    weight = getattr(head, "weight", None)
    plain = (
        not isinstance(head, torch.nn.Linear)
        or head.bias is not None
        or weight.requires_grad
        or not torch.is_grad_enabled()
        or not h.requires_grad
    )
    if plain:
        return F.cross_entropy(head(h).float(), targets, reduction="sum")
    device = h.device.type
    if torch.is_autocast_enabled(device):  # the matmuls in the autocast dtype, as head(h) would
        h = h.to(torch.get_autocast_dtype(device))
    with torch.autocast(device, enabled=False):
        if rows is not None:
            return _HeadCrossEntropy.apply(h, weight, targets, chunk_rows(weight.shape[0], chunk), rows.index,
                                           rows.output_rows())
        return _HeadCrossEntropy.apply(h, weight, targets, chunk_rows(weight.shape[0], chunk))


def _lora_forward(self, x: torch.Tensor, *args, **kwargs) -> torch.Tensor:
    """A PEFT lora.Linear forward; the plain single-adapter case as base GEMM + one addmm_."""
    fast = not args and not kwargs and not self.disable_adapters and not self.merged
    if fast:
        active = self.active_adapters
        fast = len(active) == 1 and active[0] in self.lora_A and active[0] not in self.lora_variant
    if fast:
        name = active[0]
        lora_a, lora_b = self.lora_A[name], self.lora_B[name]
        base = self.base_layer
        fast = (
            isinstance(self.lora_dropout[name], torch.nn.Identity)
            and isinstance(base, torch.nn.Linear)
            and lora_a.bias is None
            and lora_b.bias is None
            and (x.dtype == lora_a.weight.dtype or torch.is_autocast_enabled(x.device.type))
        )
    if not fast:
        return self._ot_peft_forward(x, *args, **kwargs)
    x2 = x.reshape(-1, x.shape[-1])
    out = base(x2)  # a frozen 16-bit base computes at x's precision (low_precision.py)
    a = F.linear(x2, lora_a.weight)
    wb = lora_b.weight
    if a.dtype != out.dtype:
        a = a.to(out.dtype)
    if wb.dtype != out.dtype:
        wb = wb.to(out.dtype)
    # mm does not keep its output for backward, so accumulating into it in place is safe
    out.addmm_(a, wb.t(), alpha=self.scaling[name])
    return out.view(*x.shape[:-1], out.shape[-1])


def fuse_lora(model) -> int:
    """Give every PEFT lora.Linear in `model` the fused forward; returns how many."""
    from peft.tuners.lora.layer import Linear as LoraLinear

    count = 0
    for module in model.modules():
        if type(module) is LoraLinear and not hasattr(module, "_ot_peft_forward"):
            module._ot_peft_forward = module.forward
            module.forward = types.MethodType(_lora_forward, module)
            count += 1
    return count


def _decoder_and_head(model):
    """(decoder body, lm_head) of a causal LM, seen through a PEFT wrapper if there is one."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return getattr(base, base.base_model_prefix), base.get_output_embeddings()


def loss_sum(model, batch: Batch, autocast=contextlib.nullcontext, chunk: int = CE_CHUNK) -> torch.Tensor:
    """Sum of the next-token cross-entropy over the labelled positions of `batch`.

    For a batch with hidden states h[b, t] (from the decoder body, LoRA included) and labels
    y[b, t] (-100 where there is no loss), the causal-LM loss is

        L = sum over (b, t) with y[b, t+1] != -100 of  -log softmax(W h[b, t])[y[b, t+1]]

    and HF's `model(input_ids, attention_mask, labels=y).loss` is L / N, N the number of such
    positions. `batch.positions` lists those (b, t) as flat indices b * T + t into the
    [B * T] hidden states (a view, no copy), precomputed on the host, so the lm_head W (a
    49k-row matrix here) is applied to N rows instead of B*T, in chunks (head_loss_sum): the
    full logits tensor, the biggest cost in time and memory, is never built, and no host sync
    is needed to find the positions.

    Rows are right-padded (batching.collate), so under a causal mask a real token never sees
    a pad (pads only come after it): the body runs with the plain causal mask (no attention
    mask), which lets SDPA use its fused causal kernel instead of materialising a
    [B, heads, T, T] mask and attention matrix per layer. Outputs at pad positions differ
    but are never labelled. Left-padded batches would need the mask: collate never makes them.
    """
    from ollama_trainer.training.worker import token_rows

    body, head = _decoder_and_head(model)
    with autocast():
        hidden = body(input_ids=batch.input_ids, use_cache=False).last_hidden_state
        h = hidden.reshape(-1, hidden.shape[-1]).index_select(0, batch.positions)
        return head_loss_sum(h, head, batch.targets, chunk, rows=token_rows.find(model))
