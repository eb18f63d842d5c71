"""How long get_training_history(10) takes with 100,000 summaries in the log, next to reading
the whole file. Run: .venv/bin/python bench/history_read.py [--records N]"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    os.environ["OLLAMA_TRAINER_HOME"] = tempfile.mkdtemp(prefix="ot-bench-")

    from ollama_trainer import paths
    from ollama_trainer.bridge.commands import Commands
    from ollama_trainer.bridge.registry import dispatch
    from ollama_trainer.contracts import TrainingRunSummary
    from ollama_trainer.training import history

    template = TrainingRunSummary(training_id="x", profile_id="quick-demo", dataset_id="identity-demo", status="done",
                                  started_at="2026-11-28T10:00:00+00:00", finished_at="2026-11-28T10:01:00+00:00",
                                  epochs=3, final_loss=0.01, eval_loss=0.02, duration_s=61.5)
    with open(paths.training_log(), "w", encoding="utf-8") as f:
        for n in range(args.records):
            f.write(template.model_copy(update={"training_id": f"20261128-000000-{n:06x}"}).model_dump_json() + "\n")
    size_mb = paths.training_log().stat().st_size / 1e6
    commands = Commands(transport="cli")

    def timed(fn) -> float:
        samples = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - t0) * 1000)
        return statistics.median(samples)

    recent = timed(lambda: dispatch(commands, "get_training_history", {"limit": 10}))
    whole = timed(lambda: list(history.log().all()))
    print(f"history log: {args.records} summaries, {size_mb:.1f} MB")
    print(f"get_training_history(10), tail read : {recent:8.2f} ms (median of {args.repeat})")
    print(f"reading the whole file (baseline)   : {whole:8.2f} ms (median of {args.repeat})")
    print(f"speed-up: {whole / recent:.0f}x")


if __name__ == "__main__":
    main()
