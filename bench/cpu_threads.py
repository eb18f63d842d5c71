"""The trainer's CPU threads when the machine is not idle: the Quick demo on the identity demo
for one epoch (bench/train_identity.py, the real manager and worker), with torch's threads at
all of this machine's cores (the default) and at one less, each on an idle machine and beside
one busy process (a `while True: pass` in another Python), side by side.

    .venv/bin/python bench/cpu_threads.py [--epochs 1]

The threads are set through OMP_NUM_THREADS, which the worker inherits and torch reads. Prints
the training loop's tokens/s and the run's wall time; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LOOP = re.compile(r"training loop: .* = (\d+) tokens/s")
WALL = re.compile(r": (\w+) in ([\d.]+) s wall")


def run(threads: int, busy: bool, epochs: int) -> tuple[str, str, str]:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None
    try:
        time.sleep(0.5 if busy else 0)
        out = subprocess.run([sys.executable, str(REPO / "bench" / "train_identity.py"), "--epochs", str(epochs)],
                             capture_output=True, text=True, env=env, timeout=3600).stdout
    finally:
        if spinner is not None:
            spinner.kill()
            spinner.wait()
    loop, wall = LOOP.search(out), WALL.search(out)
    return (loop.group(1) if loop else "?", wall.group(2) if wall else "?", wall.group(1) if wall else out[-300:])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    print(f"{cores} CPUs; the Quick demo on the identity demo, {args.epochs} epoch(s), bench/train_identity.py")
    print(f"{'threads':>8} {'machine':<22} {'loop tokens/s':>14} {'wall s':>8}  status")
    for threads in sorted({cores, max(1, cores - 1)}, reverse=True):
        for busy in (False, True):
            tps, wall, status = run(threads, busy, args.epochs)
            print(f"{threads:>8} {'beside one busy process' if busy else 'idle':<22} {tps:>14} {wall:>8}  {status}",
                  flush=True)


if __name__ == "__main__":
    main()
