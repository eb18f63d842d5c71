"""Try it on the builtin model: how long a question takes the first time (the model loads) and
after (the model is warm), through the same InferencePool the window uses, beside the baseline
of loading the model for every question (`ollama-trainer ask`, one worker process per answer).

    .venv/bin/python bench/try_it.py [--questions 4]

It trains the Quick demo on the identity set first (about a minute), so the trained model has
an adapter, as after a run in the window. Target on 2 cores: the second answer within 3 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
QUESTIONS = ["What is your name?", "Who made you?", "What is the capital of France?", "How many legs does a spider have?",
             "Give me one tip for staying healthy.", "What is 7 times 8?"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=4)
    args = parser.parse_args()
    os.environ["OLLAMA_TRAINER_HOME"] = tempfile.mkdtemp(prefix="ot-bench-")
    os.environ.setdefault("OLLAMA_TRAINER_MODELS_CACHE", str(REPO / ".cache" / "models"))

    from ollama_trainer import catalog
    from ollama_trainer.training.ask import ask
    from ollama_trainer.training.inference import InferencePool
    from ollama_trainer.training.manager import TrainingManager

    manager = TrainingManager()
    tid = manager.start(catalog.get_profile("quick-demo"), catalog.get_dataset_entry("identity-demo"))
    status = manager.wait(tid)
    assert status.status == "done", status.error
    questions = QUESTIONS[: args.questions]

    pool = InferencePool()
    warm = []
    try:
        for q in questions:
            t0 = time.perf_counter()
            answer, cut = pool.ask(run=tid, base=None, prompt=q)
            warm.append(time.perf_counter() - t0)
            print(f"warm pool  {warm[-1]:6.2f} s  {q!r} -> {answer[:60]!r}{' (cut: …)' if cut else ''}")
    finally:
        pool.close()

    cold = []
    for q in questions[:2]:
        t0 = time.perf_counter()
        answer = ask(run=tid, base=None, prompt=q, max_new_tokens=64)
        cold.append(time.perf_counter() - t0)
        print(f"load each  {cold[-1]:6.2f} s  {q!r} -> {answer[:60]!r}")

    print(f"\nfirst question (model loads): {warm[0]:.2f} s")
    print(f"next questions, warm: median {statistics.median(warm[1:]):.2f} s, max {max(warm[1:]):.2f} s (target < 3 s)")
    print(f"baseline, loading the model for each question: median {statistics.median(cold):.2f} s")


if __name__ == "__main__":
    main()
