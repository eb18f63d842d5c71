"""Training throughput, side by side: plain HF `Trainer` + PEFT against our worker's loop.

    .venv/bin/python bench/train_throughput.py                 # CPU: 64 synthetic chats + identity set
    .venv/bin/python bench/train_throughput.py --quick         # CPU: 16 synthetic chats (a few minutes)
    .venv/bin/python bench/train_throughput.py --device cuda   # GPU: bf16, 2,048 chats of 64-1,024 tokens

Same model (the builtin SmolLM2-135M-Instruct, de-quantized from its GGUF into the models cache),
same tokenised examples (our chat template encoding and assistant-only labels, for both
sides), same LoRA (r=16, alpha=32, dropout 0, q/k/v/o/gate/up/down), same learning rate, batch
size and sequence limit, one epoch. Each side runs in its own subprocess (this script re-invokes
itself with --side hf / --side ours) so peak memory does not mix:

- hf:   `transformers.Trainer` with the docs' defaults apart from batch size, lr, epochs, no
        saving, no eval, report_to none (and logging_steps=1 to read the loss); the model is
        loaded from the converted folder (Trainer refuses a GGUF-marked one); padding per
        batch with DataCollatorForSeq2Seq; random batch order.
- ours: the worker's LoRARecipe (setup -> train), the real loop and its events; on CUDA the
        batches are formed by a token budget (batch size x max length padded tokens).

Trained tokens are the non-padding tokens of the batches (every example's full length, once)
on both sides; tokens/s = trained tokens / wall seconds of `trainer.train()` / `recipe.train()`
(model load and setup excluded on both). For ours the "UI" figure is the same quantity rebuilt
from the worker's progress events (tokens_per_s per step, as the UI shows it). Peak memory is
the subprocess's ru_maxrss on a CPU, torch.cuda.max_memory_allocated on CUDA. Losses: the
last step's and the mean over the last quarter of the steps (the two sides see the batches in
different orders, so compare them as "within noise").

Prints figures only; asserts nothing about timings.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "backend"))
MODELS = Path(os.environ.get("OLLAMA_TRAINER_MODELS_CACHE", REPO / ".cache" / "models"))
BASE = "smollm2-135m-instruct"
MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
WORDS = (
    "the a of to and in is it that for on with as was by at be this from or have an they which one you were her all "
    "she there would their we him been has when who will more no if out so said what up its about into than them can "
    "only other new some could time these two may then do first any my now such like our over man me even most made "
    "after also did many before must through back years where much your way well down should because each just those "
    "people how too little state good very make world still own see men work long get here between both life being "
    "under never day same another know while last might us great old year off come since against go came right used "
    "take three river stone garden window music paper bright quiet green simple careful"
).split()


def synthetic_chats(path: Path, n: int, prompt: tuple[int, int], answer: tuple[int, int], seed: int = 1234) -> Path:
    """n chats of random words (about a token each): prompt and answer lengths drawn uniformly."""
    rng = random.Random(seed)
    with open(path, "w") as f:
        for _ in range(n):
            q = " ".join(rng.choice(WORDS) for _ in range(rng.randint(*prompt)))
            a = " ".join(rng.choice(WORDS) for _ in range(rng.randint(*answer)))
            f.write(json.dumps({"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]}) + "\n")
    return path


def encoded_examples(path: Path, tokenizer, max_len: int):
    from ollama_trainer import datasets
    from ollama_trainer.training.worker import batching

    loaded = datasets.load(str(path), None)
    out = [batching.encode(tokenizer, ex, max_len) for ex in loaded.examples]
    return [e for e in out if e.trained_tokens > 0]  # as the recipe does


def peak_memory_gb(device: str) -> float:
    import torch

    if device == "cuda":
        return torch.cuda.max_memory_allocated() / 1e9
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # KiB on Linux


def tail_losses(losses: list[float]) -> dict:
    k = max(1, len(losses) // 4)
    return {"loss_last": losses[-1], "loss_tail": sum(losses[-k:]) / k, "loss_first": losses[0], "steps": len(losses)}


# ----------------------------------------------------------------------------- sides

def run_hf(args) -> dict:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import DataCollatorForSeq2Seq, Trainer, TrainingArguments

    from ollama_trainer.training.worker import base_models

    model, tok = base_models.load(BASE, MODELS)  # the converted folder, not the GGUF
    examples = encoded_examples(Path(args.data), tok, args.max_len)
    tokens = sum(len(e.input_ids) for e in examples)
    model.config.use_cache = False
    model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, target_modules=MODULES, bias="none", task_type="CAUSAL_LM"))

    class ListDataset(torch.utils.data.Dataset):
        def __init__(self, rows):
            self.rows = rows

        def __len__(self):
            return len(self.rows)

        def __getitem__(self, i):
            return self.rows[i]

    rows = [{"input_ids": e.input_ids, "attention_mask": [1] * len(e.input_ids), "labels": e.labels} for e in examples]
    out = tempfile.mkdtemp(prefix="bench-hf-")
    targs = TrainingArguments(
        output_dir=out, per_device_train_batch_size=args.batch_size, learning_rate=args.lr, num_train_epochs=1,
        save_strategy="no", eval_strategy="no", report_to="none", logging_steps=1, seed=42,
        use_cpu=args.device == "cpu", bf16=args.device == "cuda" or args.hf_bf16, disable_tqdm=True,
    )
    collator = DataCollatorForSeq2Seq(tok, padding=True, label_pad_token_id=-100)
    trainer = Trainer(model=model, args=targs, train_dataset=ListDataset(rows), data_collator=collator)
    if args.device == "cuda":
        torch.cuda.reset_peak_memory_stats()
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    trainer.train()
    if args.device == "cuda":
        torch.cuda.synchronize()
    wall = time.perf_counter() - t0
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    return {"tokens": tokens, "examples": len(examples), "wall_s": wall, "tokens_per_s": tokens / wall,
            "peak_gb": peak_memory_gb(args.device), **tail_losses(losses)}


def run_ours(args) -> dict:
    import torch

    from ollama_trainer.training import events
    from ollama_trainer.protocol import JobSpec
    from ollama_trainer.training.worker.event_log import EventLog
    from ollama_trainer.training.worker.recipe import LoRARecipe

    run_dir = Path(tempfile.mkdtemp(prefix="bench-ours-"))
    profile = {
        "id": "bench", "name": "Bench", "base_model": BASE, "ollama_base": "smollm2:135m",
        "lora": {"r": 16, "alpha": 32, "dropout": 0.0, "target_modules": MODULES},
        "learning_rate": args.lr, "batch_size": args.batch_size, "gradient_accumulation": 1,
        "max_seq_len": args.max_len, "eval_fraction": 0.0, "warmup_ratio": 0.05, "seed": 42,
        "device": args.device, "batch_tokens": args.batch_tokens, "precision": args.precision,
    }
    job = JobSpec.model_validate({"training_id": "bench", "epochs": 1, "resume": False, "profile": profile,
                                  "dataset": {"id": "bench", "path": str(args.data), "format": "chat"},
                                  "models_dir": str(MODELS)})
    log = EventLog(run_dir / "events.jsonl", stream=open(os.devnull, "w"))
    recipe = LoRARecipe(job, run_dir, log, threading.Event())
    recipe.setup()
    if args.device == "cuda":
        torch.cuda.reset_peak_memory_stats()
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    outcome = recipe.train()
    if args.device == "cuda":
        torch.cuda.synchronize()
    wall = time.perf_counter() - t0
    assert outcome == "done", outcome
    tokens = sum(recipe.lengths)
    evs = list(events.read_events(run_dir / "events.jsonl"))
    progress = [e for e in evs if e.event == "progress"]
    dtype = next(e.dtype for e in evs if e.event == "model_loaded")
    # the UI's figure, step by step: rebuild each step's wall time from its tokens and tokens_per_s
    step_tokens = [sum(recipe.lengths[i] for i in idx) for idx in recipe._batches(0)]
    step_walls = [t / e.tokens_per_s for t, e in zip(step_tokens, progress)]
    ui = sorted(e.tokens_per_s for e in progress)
    return {"tokens": tokens, "examples": len(recipe.lengths), "wall_s": wall, "tokens_per_s": tokens / wall,
            "peak_gb": peak_memory_gb(args.device), "ui_tokens_per_s": sum(step_tokens) / sum(step_walls),
            "ui_median_step": ui[len(ui) // 2], "dtype": dtype, **tail_losses([e.loss for e in progress])}


# ----------------------------------------------------------------------------- driver

def side_main(args) -> None:
    before = set(Path(tempfile.gettempdir()).glob(f"bench-{args.side}-*"))
    try:
        result = (run_hf if args.side == "hf" else run_ours)(args)
    finally:  # the run's output folder (checkpoint, HF output_dir)
        for path in set(Path(tempfile.gettempdir()).glob(f"bench-{args.side}-*")) - before:
            shutil.rmtree(path, ignore_errors=True)
    print("RESULT " + json.dumps(result), flush=True)


def run_side(side: str, data: Path, args) -> dict:
    cmd = [sys.executable, __file__, "--side", side, "--data", str(data), "--device", args.device,
           "--batch-size", str(args.batch_size), "--max-len", str(args.max_len), "--lr", str(args.lr)]
    if args.batch_tokens:
        cmd += ["--batch-tokens", str(args.batch_tokens)]
    cmd += ["--precision", args.precision]
    if args.hf_bf16:
        cmd += ["--hf-bf16"]
    env = dict(os.environ, TRANSFORMERS_VERBOSITY="error", TOKENIZERS_PARALLELISM="false", PYTHONWARNINGS="ignore")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    lines = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        sys.exit(f"{side} side failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT "):])


def print_row(name: str, hf: dict, ours: dict, device: str, hf_bf16: bool = False) -> None:
    mem = "peak RSS" if device == "cpu" else "peak alloc"
    print(f"\n== {name}: {ours['examples']} examples, {ours['tokens']} trained (non-padding) tokens, 1 epoch")
    for label, r in (("HF Trainer + PEFT", hf), ("ours (worker loop)", ours)):
        print(f"  {label:<19} {r['tokens_per_s']:8.1f} tokens/s  {r['wall_s']:7.1f} s  {mem} {r['peak_gb']:5.2f} GB  "
              f"{r['steps']:4d} steps  loss first {r['loss_first']:.4f} last {r['loss_last']:.4f} last-quarter mean {r['loss_tail']:.4f}")
    print(f"  ours ran in {ours['dtype']} (profile precision auto unless --precision); HF Trainer in "
          + ("bf16 (--hf-bf16)" if hf_bf16 else "its default fp32")
          if device == "cpu" else f"  ours ran in {ours['dtype']}, HF Trainer with bf16=True")
    print(f"  ours as the UI shows it: {ours['ui_tokens_per_s']:.1f} tokens/s over the steps (median step {ours['ui_median_step']:.1f})")
    print(f"  ratio ours / HF: {ours['tokens_per_s'] / hf['tokens_per_s']:.2f}x tokens/s, {ours['peak_gb'] / hf['peak_gb']:.2f}x peak memory")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    ap.add_argument("--quick", action="store_true", help="a smaller synthetic set (16 chats on a CPU, 256 on a GPU)")
    ap.add_argument("--examples", type=int)
    ap.add_argument("--batch-size", type=int)
    ap.add_argument("--max-len", type=int)
    ap.add_argument("--batch-tokens", type=int, help="ours: a token budget per batch (default on CUDA: batch size x max length)")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--hf-bf16", action="store_true",
                    help="hf: TrainingArguments(bf16=True) on the CPU too, to compare at the same precision as ours")
    ap.add_argument("--precision", choices=["auto", "fp32", "bf16"], default="auto",
                    help="ours: the profile's precision (auto: bf16 autocast on CUDA and on CPUs with native bf16)")
    ap.add_argument("--rows", default="synthetic,identity")
    ap.add_argument("--side", choices=["hf", "ours"], help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    args = ap.parse_args()
    gpu = args.device == "cuda"
    args.batch_size = args.batch_size or (16 if gpu else 4)
    args.max_len = args.max_len or (1024 if gpu else 512)
    if args.side:
        return side_main(args)
    if gpu and not args.batch_tokens:
        args.batch_tokens = args.batch_size * args.max_len
    n = args.examples or ((256 if args.quick else 2048) if gpu else (16 if args.quick else 64))

    from ollama_trainer.training.worker import base_models

    base_models.ensure_builtin(MODELS)
    tmp = Path(tempfile.mkdtemp(prefix="bench-data-"))
    lengths = ((32, 128), (32, 896)) if gpu else ((16, 128), (20, 900))
    rows = {
        "synthetic": synthetic_chats(tmp / "synthetic.jsonl", n, *lengths),
        "identity": REPO / "config" / "datasets" / "identity_demo.jsonl",
    }
    print(f"device {args.device}, batch size {args.batch_size}, max length {args.max_len}, lr {args.lr}, "
          f"ours batch_tokens {args.batch_tokens}, load at start {os.getloadavg()[0]:.2f}")
    try:
        for name in args.rows.split(","):
            hf = run_side("hf", rows[name], args)
            ours = run_side("ours", rows[name], args)
            print_row(name, hf, ours, args.device, args.hf_bf16)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\nload at end {os.getloadavg()[0]:.2f} (1-minute average)")


if __name__ == "__main__":
    main()
