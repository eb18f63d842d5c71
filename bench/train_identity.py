"""The Quick demo profile on the identity dataset, end to end through the manager and the real
worker (model load included): wall time, trained tokens/s, peak RSS of the worker, losses and
the held-out answers before and after.

    .venv/bin/python bench/train_identity.py [--profile quick-demo] [--dataset identity-demo]

Target on a 2-core machine: the whole run under 2 minutes and under 3 GB of memory.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", default="quick-demo")
    parser.add_argument("--dataset", default="identity-demo")
    parser.add_argument("--epochs", type=int)
    args = parser.parse_args()
    os.environ["OLLAMA_TRAINER_HOME"] = tempfile.mkdtemp(prefix="ot-bench-")
    os.environ.setdefault("OLLAMA_TRAINER_MODELS_CACHE", str(REPO / ".cache" / "models"))

    from ollama_trainer import catalog
    from ollama_trainer.training import events, history
    from ollama_trainer.training.manager import TrainingManager

    manager = TrainingManager()
    t0 = time.perf_counter()
    tid = manager.start(catalog.get_profile(args.profile), catalog.get_dataset_entry(args.dataset), epochs=args.epochs)
    status = manager.wait(tid)
    wall = time.perf_counter() - t0
    peak_rss_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1e6  # KiB -> GB
    evs = list(events.read_events(history.run_dir(tid) / "events.jsonl"))
    by = {e.event: e for e in evs}
    progress = [e for e in evs if e.event == "progress"]
    tps = [e.tokens_per_s for e in progress if e.tokens_per_s is not None]
    trained = by["dataset"].train_tokens * status.total_epochs if "dataset" in by else 0
    if progress and "dataset" in by:
        from datetime import datetime

        span = (datetime.fromisoformat(progress[-1].time) - datetime.fromisoformat(by["dataset"].time)).total_seconds()
        print(f"training loop: {trained} tokens (padding excluded) in {span:.1f} s = {trained / max(span, 1e-9):.0f} tokens/s")
    print(f"profile {args.profile}, dataset {args.dataset}: {status.status} in {wall:.1f} s wall (load included)")
    if "model_loaded" in by:
        print(f"model load: {by['model_loaded'].load_s:.1f} s on {by['model_loaded'].device}")
    print(f"steps: {len(progress)}, epochs: {status.total_epochs}, examples: {by['dataset'].train_examples if 'dataset' in by else None}")
    if tps:
        print(f"tokens/s (per step, as the UI shows it): median {sorted(tps)[len(tps) // 2]:.0f}, min {min(tps):.0f}, max {max(tps):.0f}")
    if progress:
        print(f"loss: first {progress[0].loss:.4f} -> last {progress[-1].loss:.4f}; eval {status.eval_loss}")
    print(f"peak RSS of the worker: {peak_rss_gb:.2f} GB")
    samples = history.run_dir(tid) / "samples.json"
    if samples.exists():
        for row in json.loads(samples.read_text()):
            print(f"- {row['prompt']}\n    before: {row['before'][:100]}\n    after : {row['after'][:100]}")
    if status.status != "done":
        print(f"error: {status.error}")


if __name__ == "__main__":
    main()
