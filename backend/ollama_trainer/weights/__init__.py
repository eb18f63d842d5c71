"""Model files: reading GGUF headers, a PEFT LoRA's tensors, merging them into a base model
GGUF, and the llama.cpp LoRA GGUF. numpy and gguf only (no torch, no HTTP): the worker and the
app process both use it."""
