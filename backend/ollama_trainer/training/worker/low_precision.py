"""Frozen base weights in 16 bits, computed with at the precision of the step.

A base model is loaded in `storage_dtype` (bf16; fp16 on a GPU without bf16): half the memory
of fp32, a quarter for the optimizer-free frozen part. LoRA weights and their optimizer state
stay fp32 (PEFT's autocast_adapter_dtype). `upcast_frozen(model)` then makes every frozen
Linear compute at the precision of its input: under bf16 autocast (CUDA, CPUs with native bf16)
the stored bf16 weight is used as it is; otherwise the weight is widened to fp32 for that one
matmul and never kept (the backward widens it again), so an fp32 step holds one layer in fp32
at a time, not the model.

Answers (replay, samples, the probe, Try it) are generated `with answering(model)`: on a device
with fast 16-bit matmuls (CUDA, a CPU with AVX512-BF16 or AMX) the whole forward runs in the
stored dtype, as a 16-bit model does in transformers (3x faster than fp32 for Gemma 3 270M on
two cores, and 6x faster than widening each weight at every generated token); elsewhere in fp32.

Imports torch: worker process only.
"""

from __future__ import annotations

import contextlib
import threading

import torch
import torch.nn.functional as F

_native = threading.local()  # answering(): the forward runs in the stored 16-bit dtype


def storage_dtype(device: torch.device) -> torch.dtype:
    """bf16 where the device has it, else fp16."""
    if device.type == "cuda" and not torch.cuda.is_bf16_supported():
        return torch.float16
    return torch.bfloat16


class _WidenedLinear(torch.autograd.Function):
    """y = x W^T + b with W (and b) frozen in 16 bits, computed in x's dtype; only the 16-bit
    W is kept for the backward."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(weight)
        return F.linear(x, weight.to(x.dtype), None if bias is None else bias.to(x.dtype))

    @staticmethod
    def backward(ctx, grad):
        (weight,) = ctx.saved_tensors
        return grad @ weight.to(grad.dtype), None, None


def nf4_available() -> bool:
    """4-bit (NF4) base weights can be used: a CUDA GPU and the optional bitsandbytes."""
    if not torch.cuda.is_available():
        return False
    import importlib.util

    return importlib.util.find_spec("bitsandbytes") is not None


def nf4_config():
    """transformers' BitsAndBytesConfig for QLoRA: NF4 weights, bf16 compute, double quantization."""
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                              bnb_4bit_compute_dtype=torch.bfloat16)


def available_gb(device: torch.device) -> float | None:
    """The memory a run may use there: the GPU's free memory, or the machine's available RAM."""
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return round(free / 1024**3, 1)
    from ollama_trainer.estimate import available_memory_gb

    return available_memory_gb()


def _linear_forward(module: torch.nn.Linear):
    def forward(x):
        weight, bias = module.weight, module.bias
        # A strided input (the last position of each sequence, as generate asks the head for)
        # makes matmul expand a frozen weight per batch row: 3 s for Gemma's 262k-row head.
        x = x if x.is_contiguous() else x.contiguous()
        if x.dtype == weight.dtype or torch.is_autocast_enabled(x.device.type):
            return F.linear(x, weight, bias)
        if getattr(_native, "on", False) and not torch.is_grad_enabled():
            return F.linear(x.to(weight.dtype), weight, bias)
        if weight.requires_grad:  # not frozen after all: plain autograd through the widened copy
            return F.linear(x, weight.to(x.dtype), None if bias is None else bias.to(x.dtype))
        return _WidenedLinear.apply(x, weight, bias)

    return forward


def upcast_frozen(model: torch.nn.Module, compute_dtype: torch.dtype = torch.float32) -> torch.nn.Module:
    """Frozen 16-bit Linears compute in their input's dtype, and the token embeddings come out
    in `compute_dtype`, so hidden states stay fp32 outside autocast."""
    for module in model.modules():
        # exactly nn.Linear: a 4-bit Linear (bitsandbytes) is a subclass that computes its own way
        if type(module) is torch.nn.Linear and module.weight.dtype in (torch.bfloat16, torch.float16):
            module.forward = _linear_forward(module)
    embeddings = model.get_input_embeddings()
    if embeddings is not None and embeddings.weight.dtype != compute_dtype:
        embeddings.register_forward_hook(
            lambda _m, _args, out: out if torch.is_autocast_enabled(out.device.type) or getattr(_native, "on", False)
            else out.to(compute_dtype))
    return model


def fast_16bit(device: torch.device) -> bool:
    """Whether 16-bit matmuls are fast here: CUDA, or a CPU with native bf16."""
    from ollama_trainer.training.worker.devices import cpu_has_native_bf16

    return device.type == "cuda" or (device.type == "cpu" and cpu_has_native_bf16())


@contextlib.contextmanager
def answering(model: torch.nn.Module):
    """Generate in the weights' own 16-bit dtype where that is fast (fast_16bit), else in fp32."""
    before = getattr(_native, "on", False)
    _native.on = fast_16bit(next(model.parameters()).device)
    try:
        yield
    finally:
        _native.on = before
