"""Training and export at four sizes on this machine, each measured beside the app's estimate:

    .venv/bin/python bench/model_sizes.py [--sizes builtin,gemma3,qwen0.5b,llama1b] [--epochs 1]

- builtin: SmolLM2-135M-Instruct (the shipped GGUF, Q4_1);
- gemma3: Gemma 3 270M (Q4_K_M, tests/fakes/gemma3.py);
- qwen0.5b / llama1b: the real shapes of Qwen2.5-0.5B and Llama-3.2-1B with random weights,
  written here as F16 GGUFs with the builtin's tokenizer (tests/fakes/tiny_models.py; nothing
  is downloaded). A base's speed and memory depend on its shape, not on its weights' values.

Each is a model of a fake Ollama store, trained by the real manager and worker on the identity
demo (replay and the probe off, so the four do the same work), then its F16 model.gguf
quantized by llama.cpp to Q8_0 and Q4_K_M. Printed per size: the base load time, the trained
tokens/s, the worker's peak RSS beside the estimate's memory, the duration beside the
estimate's, and for F16 / Q8_0 / Q4_K_M the time to write and the file size. Goal (issue 24):
peak RSS of the 1B shape under 5 GB on 2 cores (its bf16 weights are 2.5 GB with Llama 3's
128k vocabulary), estimates within 25 % of what is measured.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "backend"), str(REPO)]

SIZES = ("builtin", "gemma3", "qwen0.5b", "llama1b")


def gguf_for(size: str, root: Path) -> tuple[Path, str, str]:
    """(the base GGUF, the Go template it is stored with, its stop token)."""
    from ollama_trainer import chat_formats
    from ollama_trainer import bases
    from tests.fakes import gemma3, tiny_models

    if size == "builtin":
        return bases.builtin_gguf(), chat_formats.CHATML_GO, "<|im_end|>"
    if size == "gemma3":
        return gemma3.gguf_path(), chat_formats.GEMMA_GO, "<end_of_turn>"
    shape, arch = {"qwen0.5b": (tiny_models.QWEN2_5_0_5B, "qwen2"), "llama1b": (tiny_models.LLAMA_3_2_1B, "llama")}[size]
    path = root / f"{size}.gguf"
    if not path.exists():
        tiny_models.write_gguf(path, arch, shape, name=f"{size} shape")
    return path, chat_formats.CHATML_GO, "<|im_end|>"


def measure(size: str, root: Path, epochs: int) -> dict:
    from ollama_trainer import catalog
    from ollama_trainer.training import history, run_preview
    from ollama_trainer.training.manager import TrainingManager
    from ollama_trainer.training.run_folder import RunFolder
    from tests.fakes import ollama_store

    gguf, template, stop = gguf_for(size, root)
    store = ollama_store.make_store(root / f"store-{size}", [
        ollama_store.FakeModel(f"{size}:bench", gguf, template=template, params={"stop": [stop]})])
    os.environ["OLLAMA_MODELS"] = str(store)
    os.environ["OLLAMA_TRAINER_HOME"] = str(root / f"home-{size}")
    profile = catalog.get_profile("quick-demo").model_copy(update={
        "base_model": f"ollama:{size}:bench", "id": f"bench-{size.replace('.', '-')}", "replay": "off", "probe": False})
    dataset = catalog.get_dataset_entry("identity-demo")
    preview = run_preview.preview(profile, dataset, epochs=epochs)
    manager = TrainingManager()
    started = time.monotonic()
    tid = manager.start(profile, dataset, epochs=epochs)
    final = manager.wait(tid)
    wall = time.monotonic() - started
    if final.status != "done":
        return {"size": size, "error": final.error}
    folder = RunFolder.of(tid)
    summary, job = history.load_summary(tid), folder.read_job()
    loaded = next(e for e in folder.events() if e.event == "model_loaded")
    written = next((e for e in folder.events() if e.event == "model_file"), None)
    files = {"f16": (written.seconds if written else None, (folder.path / "model.gguf").stat().st_size)}
    # the export's own steps, each in a process of its own so its peak RSS is its own: the merge
    # (what an export does when model.gguf is missing) and llama.cpp's quantizer
    merge_s, merge_mb = child_peak("merge", [str(gguf), str(folder.path / "adapter"),
                                                                       str(folder.path / "merged-again.gguf")])
    peaks = {"merge": merge_mb}
    for kind in ("q8_0", "q4_K_M"):
        out = folder.path / f"model-{kind.upper()}.gguf"
        seconds, peaks[kind] = child_peak("ollama_trainer.weights.quantize", [
            str(folder.path / "model.gguf"), str(out), kind, str(os.cpu_count() or 2)])
        files[kind] = (seconds, out.stat().st_size)
    return {
        "size": size, "parameters": job.base.parameters, "load_s": loaded.load_s, "tokens_per_s": summary.tokens_per_s,
        "peak_gb": summary.peak_memory_gb, "estimate_gb": preview.estimate.memory_gb, "wall_s": round(wall, 1),
        "estimate_s": preview.estimate.duration_s, "tokens": preview.estimate.tokens, "files": files,
        "weights": loaded.weights_dtype, "compute": loaded.dtype, "export_peak_mb": peaks, "merge_s": merge_s,
    }


# Runs a module as __main__ (or the merge), then prints the process's own peak RSS: VmHWM of
# /proc/self/status belongs to the process's memory since its exec, where ru_maxrss would also
# count the bench process it was forked from.
PEAK = """
import runpy, sys
module, args = sys.argv[1], sys.argv[2:]
if module == "merge":
    from ollama_trainer.weights.merge import merge_into_gguf
    merge_into_gguf(*args)
else:
    sys.argv = [module, *args]
    try:
        runpy.run_module(module, run_name="__main__")
    except SystemExit as exc:
        if exc.code:
            raise
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print("PEAK_KB", hwm.split()[1])
"""


def child_peak(module: str, args: list[str]) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of `module` (or "merge") run in a process of its own."""
    import subprocess

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "backend"), str(REPO)])}
    t0 = time.monotonic()
    done = subprocess.run([sys.executable, "-c", PEAK, module, *args], env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{module} failed with {done.returncode}: {done.stderr[-500:]}")
    kb = next(line.split()[1] for line in done.stdout.splitlines() if line.startswith("PEAK_KB"))
    return round(time.monotonic() - t0, 2), round(int(kb) / 1024, 1)


def show(rows: list[dict]) -> None:
    print(f"\n{'size':<10}{'params':>14}{'load s':>8}{'tok/s':>8}{'peak GB':>9}{'est GB':>8}{'err':>6}"
          f"{'run s':>8}{'est s':>8}{'err':>6}   F16 s/MB        Q8_0 s/MB       Q4_K_M s/MB")
    for r in rows:
        if "error" in r:
            print(f"{r['size']:<10} failed: {r['error']}")
            continue
        mem_err = (r["estimate_gb"] - r["peak_gb"]) / r["peak_gb"] * 100
        time_err = (r["estimate_s"] - r["wall_s"]) / r["wall_s"] * 100
        files = "   ".join(f"{(s or 0):6.1f}/{b / 1e6:7.0f}" for s, b in (r["files"][k] for k in ("f16", "q8_0", "q4_K_M")))
        print(f"{r['size']:<10}{r['parameters']:>14,}{r['load_s']:>8.1f}{r['tokens_per_s']:>8.0f}{r['peak_gb']:>9.2f}"
              f"{r['estimate_gb']:>8.2f}{mem_err:>5.0f}%{r['wall_s']:>8.0f}{r['estimate_s']:>8.0f}{time_err:>5.0f}%   {files}")
    print(f"\n{'size':<10}{'F16 MB':>9}{'merge s':>9}{'merge peak MB':>15}{'Q8_0 peak MB':>14}{'Q4_K_M peak MB':>16}")
    for r in rows:
        if "error" not in r:
            p = r["export_peak_mb"]
            print(f"{r['size']:<10}{r['files']['f16'][1] / 1e6:>9.0f}{r['merge_s']:>9.1f}{p['merge']:>15.0f}"
                  f"{p['q8_0']:>14.0f}{p['q4_K_M']:>16.0f}")
    print("\nerr: the estimate against what was measured (the goal: within 25 %). run s: the whole run, "
          "from start to done (load, training, samples, the model file).")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=",".join(SIZES))
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args()
    os.environ.setdefault("OLLAMA_TRAINER_MODELS_CACHE", str(REPO / ".cache" / "models"))
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-sizes-") as tmp:
        for size in args.sizes.split(","):
            print(f"{size}: training and exporting ...", flush=True)
            rows.append(measure(size, Path(tmp), args.epochs))
            print(json.dumps(rows[-1]), flush=True)
    show(rows)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
