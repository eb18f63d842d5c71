"""New embedding rows for a few tokens, trained beside the LoRA: the chat format's turn tokens
of a base that never saw them (preparation.untrained_turn_tokens), so the model learns to end
its answers.

    rows = token_rows.attach(model, [105, 106])   # after the LoRA: its `rows` train
    token_rows.save(model, adapter_dir)            # adapter/token_rows.safetensors
    token_rows.load(model, adapter_dir)            # for answers (ask, serve)

The rows are applied without ever copying the vocabulary matrix (a copy of Llama 3's is 0.5 GB
in bf16, and PEFT's trainable tokens make several a step): the input embeddings get a forward
hook that puts the new rows where those tokens are; the output head (the same matrix when the
embeddings are tied, else its own rows) gets a hook that sets those tokens' logits from the new
rows, and the fused cross-entropy (fused.py) computes them, and their gradient, chunk by chunk.

Imports torch: worker process only.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import torch

FILE = "token_rows.safetensors"


class TokenRows(torch.nn.Module):
    def __init__(self, embed: torch.nn.Embedding, head: torch.nn.Linear | None, indices: list[int]):
        super().__init__()
        index = torch.tensor(sorted(set(indices)), dtype=torch.long, device=embed.weight.device)
        self.register_buffer("index", index)
        self.rows = torch.nn.Parameter(embed.weight.detach()[index].float().clone())
        self.tied = head is None or head.weight.data_ptr() == embed.weight.data_ptr()
        self.head_rows = None if self.tied else torch.nn.Parameter(head.weight.detach()[index].float().clone())
        self.embed_scale = getattr(embed, "embed_scale", None)  # Gemma scales its embeddings in forward
        self.enabled = True  # False while the base alone answers (base_only)

    def output_rows(self) -> torch.Tensor:
        return self.rows if self.tied else self.head_rows

    # the hooks -----------------------------------------------------------------------------
    def on_embeddings(self, module, args, out):
        if not self.enabled:
            return out
        ids = args[0]
        hits = ids.unsqueeze(-1) == self.index
        if not bool(hits.any()):
            return out
        new = self.rows[hits.int().argmax(-1)]
        if self.embed_scale is not None:
            new = new * self.embed_scale.to(new.dtype)
        return torch.where(hits.any(-1, keepdim=True), new.to(out.dtype), out)

    def on_head(self, module, args, out):
        if not self.enabled:
            return out
        h = args[0]
        logits = (h.to(self.output_rows().dtype) @ self.output_rows().T).to(out.dtype)
        return out.index_copy(-1, self.index, logits)


@contextlib.contextmanager
def base_only(model):
    """The base model alone: the LoRA (PEFT's disable_adapter) and the trained rows switched off."""
    module = find(model)
    off = model.disable_adapter() if hasattr(model, "disable_adapter") else contextlib.nullcontext()
    if module is not None:
        module.enabled = False
    try:
        with off:
            yield
    finally:
        if module is not None:
            module.enabled = True


def find(model) -> TokenRows | None:
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return getattr(base, "ot_token_rows", None)


def attach(model, indices: list[int], rows: dict | None = None) -> TokenRows:
    """Give `model` trainable rows for `indices` (from the base's rows, or `rows` saved earlier)."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    embed, head = base.get_input_embeddings(), base.get_output_embeddings()
    module = TokenRows(embed, head, indices)
    if rows is not None:
        with torch.no_grad():
            module.rows.copy_(rows["rows"])
            if module.head_rows is not None and "head_rows" in rows:
                module.head_rows.copy_(rows["head_rows"])
    base.ot_token_rows = module  # a submodule: its parameters are named, checkpointed, restored
    embed.register_forward_hook(module.on_embeddings)
    if head is not None:
        head.register_forward_hook(module.on_head)
    return module


def save(model, adapter_dir: Path) -> Path | None:
    module = find(model)
    if module is None:
        return None
    from safetensors.torch import save_file

    tensors = {"index": module.index.cpu(), "rows": module.rows.detach().cpu().contiguous()}
    if module.head_rows is not None:
        tensors["head_rows"] = module.head_rows.detach().cpu().contiguous()
    path = Path(adapter_dir) / FILE
    save_file(tensors, str(path))
    return path


def load(model, adapter_dir: Path) -> TokenRows | None:
    path = Path(adapter_dir) / FILE
    if not path.is_file():
        return None
    from safetensors.torch import load_file

    saved = load_file(str(path))
    return attach(model, saved["index"].tolist(), saved)


def take(model, adapter_dir: Path) -> bool | None:
    """A trained model's rows into `model` (training further from it): into the rows `model`
    trains already (the same tokens), else attached; None when it saved none, False when its
    tokens differ from those `model` trains."""
    path = Path(adapter_dir) / FILE
    if not path.is_file():
        return None
    from safetensors.torch import load_file

    saved = load_file(str(path))
    module = find(model)
    if module is None:
        attach(model, saved["index"].tolist(), saved)
        return True
    if module.index.cpu().tolist() != saved["index"].tolist():
        return False
    with torch.no_grad():
        module.rows.copy_(saved["rows"])
        if module.head_rows is not None and "head_rows" in saved:
            module.head_rows.copy_(saved["head_rows"])
    return True
